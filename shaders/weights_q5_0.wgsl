// Weight format library: Q5_0, repacked at upload so every load is an aligned vec4<u32> (a GGUF
// block is 22 bytes: f16 d, 4 bytes qh, 16 bytes qs): a row's blocks go in groups of up to 8,
// each group one vec4 of its f16 scales (two per word, the earlier block in the low half), two
// vec4s of their qh words (one per block), both zero past the row's last block, then one vec4
// per block of its 16 bytes of nibbles, unchanged from GGUF. The same 22 bytes a block as GGUF.
// Element j < 16 is the low nibble of byte j with bit j of qh above it, element j + 16 the high
// nibble with bit j + 16; value = (q - 16) * d (ggml's dequantize_row_q5_0). Llama.cpp's Q4_K_M
// and Q5_K_M files use Q5_0 for matrices whose rows are not whole 256-element super-blocks (all
// of Qwen2.5-0.5B's 896-column ones).
// Prepended to the matrix kernels and embedding.wgsl; interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

// The -16 offset is applied once per unit as -16 * sum(x) instead of once per weight.
const NEEDS_XSUM: bool = true;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// The four 5-bit values of one word of nibbles: the nibbles at bit `shift` of each byte, with
// bits `bit` .. `bit` + 3 of the block's qh word above them.
fn q5x4(w: u32, shift: u32, qh: u32, bit: u32) -> vec4<f32> {
    let lo = (vec4<u32>(w) >> (vec4<u32>(0u, 8u, 16u, 24u) + shift)) & vec4<u32>(15u);
    let hi = (vec4<u32>(qh) >> (vec4<u32>(0u, 1u, 2u, 3u) + bit)) & vec4<u32>(1u);
    return vec4<f32>(lo | (hi << vec4<u32>(4u)));
}

// The vec4 index of unit u's group (its scales; its qh words at + 1 and + 2; its nibbles at
// + 3 + u % 8).
fn q5_group(base: u32, u: u32) -> u32 {
    return (base >> 2u) + (u >> 3u) * 11u;
}

fn q5_scale(group: u32, u: u32) -> f32 {
    return unpack2x16float(weights[group][(u >> 1u) & 3u])[u & 1u];
}

fn q5_high_bits(group: u32, u: u32) -> u32 {
    return weights[group + 1u + ((u >> 2u) & 1u)][u & 3u];
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let g = q5_group(base, u);
    let q = weights[g + 3u + (u & 7u)];
    let qh = q5_high_bits(g, u);
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        s += dot(q5x4(q[i], 0u, qh, 4u * i), (*x)[i]) + dot(q5x4(q[i], 4u, qh, 4u * i + 16u), (*x)[i + 4u]);
    }
    return q5_scale(g, u) * (s - 16.0 * xsum);
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let g = q5_group(base, u);
    let q = weights[g + 3u + (u & 7u)];
    let qh = q5_high_bits(g, u);
    let i = 2u * (p & 1u);
    let shift = 4u * (p >> 1u);
    // Element 8p + k has bit 8p + k of qh: 4i + 16 * (p / 2) + k.
    let bit = 4u * i + 16u * (p >> 1u);
    let d = q5_scale(g, u);
    return Part((q5x4(q[i], shift, qh, bit) - 16.0) * d, (q5x4(q[i + 1u], shift, qh, bit + 4u) - 16.0) * d);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let g = q5_group(base, u);
    let q = weights[g + 3u + (u & 7u)];
    let qh = q5_high_bits(g, u);
    let d = q5_scale(g, u);
    var w: array<vec4<f32>, 8>;
    for (var i = 0u; i < 4u; i++) {
        w[i] = (q5x4(q[i], 0u, qh, 4u * i) - 16.0) * d;
        w[i + 4u] = (q5x4(q[i], 4u, qh, 4u * i + 16u) - 16.0) * d;
    }
    return w;
}
