// Weight format library: Q4_0, repacked at upload so every load is an aligned vec4<u32> (a GGUF
// block is 18 bytes): a row's blocks go in groups of up to 8, each group one vec4 of its f16
// scales (two per word, the earlier block in the low half; zero past the row's last block) and
// then one vec4 per block of its 16 bytes of nibbles, unchanged from GGUF. Rows are whole vec4s.
// Element j < 16 is the low nibble of byte j, element j + 16 its high nibble; value =
// (nibble - 8) * d.
// Prepended to the matrix kernels and embedding.wgsl; interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

// The -8 offset is applied once per unit as -8 * sum(x) instead of once per weight.
const NEEDS_XSUM: bool = true;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// Nibbles at bit `shift` of each byte of a word, first byte first.
fn nibbles(w: u32, shift: u32) -> vec4<f32> {
    return vec4<f32>((vec4<u32>(w) >> (vec4<u32>(0u, 8u, 16u, 24u) + shift)) & vec4<u32>(15u));
}

// The vec4 index of unit u's group (its scales; its quants follow at + 1 + u % 8).
fn q4_group(base: u32, u: u32) -> u32 {
    return (base >> 2u) + (u >> 3u) * 9u;
}

fn q4_scale(group: u32, u: u32) -> f32 {
    return unpack2x16float(weights[group][(u >> 1u) & 3u])[u & 1u];
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let g = q4_group(base, u);
    let q = weights[g + 1u + (u & 7u)];
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        s += dot(nibbles(q[i], 0u), (*x)[i]) + dot(nibbles(q[i], 4u), (*x)[i + 4u]);
    }
    return q4_scale(g, u) * (s - 8.0 * xsum);
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let g = q4_group(base, u);
    let q = weights[g + 1u + (u & 7u)];
    let i = 2u * (p & 1u);
    let shift = 4u * (p >> 1u);
    let d = q4_scale(g, u);
    return Part((nibbles(q[i], shift) - 8.0) * d, (nibbles(q[i + 1u], shift) - 8.0) * d);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let g = q4_group(base, u);
    let q = weights[g + 1u + (u & 7u)];
    let d = q4_scale(g, u);
    var w: array<vec4<f32>, 8>;
    for (var i = 0u; i < 4u; i++) {
        w[i] = (nibbles(q[i], 0u) - 8.0) * d;
        w[i + 4u] = (nibbles(q[i], 4u) - 8.0) * d;
    }
    return w;
}
