// Weight format library: Q8_0, repacked at upload so every load is an aligned vec4<u32> (a GGUF
// block is 34 bytes): a row's blocks go in groups of up to 8, each group one vec4 of its f16
// scales (two per word, the earlier block in the low half; zero past the row's last block) and
// then two vec4s per block of its 32 signed bytes, unchanged from GGUF. Rows are whole vec4s.
// value = i8 * d.
// Prepended to the matrix kernels and embedding.wgsl; interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// The four signed bytes of a word, first byte first.
fn i8x4(w: u32) -> vec4<f32> {
    return vec4<f32>((vec4<i32>(bitcast<i32>(w)) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u));
}

// The vec4 index of unit u's group (its scales; its quants follow at + 1 + 2 * (u % 8)).
fn q8_group(base: u32, u: u32) -> u32 {
    return (base >> 2u) + (u >> 3u) * 17u;
}

fn q8_scale(group: u32, u: u32) -> f32 {
    return unpack2x16float(weights[group][(u >> 1u) & 3u])[u & 1u];
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let g = q8_group(base, u);
    let q = g + 1u + 2u * (u & 7u);
    var s = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let w = weights[q + h];
        for (var i = 0u; i < 4u; i++) {
            s += dot(i8x4(w[i]), (*x)[4u * h + i]);
        }
    }
    return s * q8_scale(g, u);
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let g = q8_group(base, u);
    let w = weights[g + 1u + 2u * (u & 7u) + (p >> 1u)];
    let i = 2u * (p & 1u);
    let d = q8_scale(g, u);
    return Part(i8x4(w[i]) * d, i8x4(w[i + 1u]) * d);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let g = q8_group(base, u);
    let q = g + 1u + 2u * (u & 7u);
    let d = q8_scale(g, u);
    var w: array<vec4<f32>, 8>;
    for (var h = 0u; h < 2u; h++) {
        let b = weights[q + h];
        for (var i = 0u; i < 4u; i++) {
            w[4u * h + i] = i8x4(b[i]) * d;
        }
    }
    return w;
}
