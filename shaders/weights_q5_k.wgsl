// Weight format library: Q5_K, read in place (a 176-byte GGUF super-block is already 11 whole
// vec4s): vec4 0 is the header (word 0 = d | dmin << 16, words 1-3 = 12 bytes of packed 6-bit
// scales and mins, as in Q4_K), vec4s 1-2 are qh (32 bytes), vec4s 3-10 the nibbles (128 bytes).
// A 32-element unit is sub-block j = u % 8 of super-block u / 8; element l (0..32) is the low
// (j even) or high (j odd) nibble of nibble byte 32 * (j / 2) + l, with bit j of qh byte l above
// it, and value = d * scale_j * q - dmin * min_j (ggml's dequantize_row_q5_K). Llama.cpp's
// Q5_K_M files are mostly Q5_K.
// Prepended to the matrix kernels and embedding.wgsl, after weights_k_scales.wgsl (scale_min);
// interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

// The min is applied once per unit as -dmin * min * sum(x).
const NEEDS_XSUM: bool = true;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// The four 5-bit values of one word of nibbles: the nibbles at bit `shift` of each byte, with bit
// `bit` of each byte of the matching qh word above them.
fn q5k4(w: u32, shift: u32, qh: u32, bit: u32) -> vec4<f32> {
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    let lo = (vec4<u32>(w) >> (bytes + shift)) & vec4<u32>(15u);
    let hi = (vec4<u32>(qh) >> (bytes + bit)) & vec4<u32>(1u);
    return vec4<f32>(lo | (hi << vec4<u32>(4u)));
}

// The vec4 index of unit u's super-block (its header; qh at + 1 and + 2, nibbles from + 3).
fn q5k_block(base: u32, u: u32) -> u32 {
    return (base >> 2u) + (u >> 3u) * 11u;
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let sb = q5k_block(base, u);
    let j = u & 7u;
    let qs = sb + 3u + 2u * (j >> 1u);
    let shift = 4u * (j & 1u);
    var s = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let w = weights[qs + h];
        let qh = weights[sb + 1u + h];
        for (var i = 0u; i < 4u; i++) {
            s += dot(q5k4(w[i], shift, qh[i], j), (*x)[4u * h + i]);
        }
    }
    let sm = scale_min(weights[sb], j);
    return sm.x * s - sm.y * xsum;
}

// A whole-row walk (matvec_rows.wgsl) takes sub-blocks in pairs: the pair's nibble bytes hold the
// first's values in their low nibbles and the second's in their high ones, and every sub-block's
// high bits share the qh bytes, so each word is loaded once per pair instead of once per unit.
const STEP_UNITS: u32 = 2u;

fn step_unit(s: u32, k: u32) -> u32 {
    return 2u * s + k;
}

fn step_dot(base: u32, s: u32, x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>,
            xsum: ptr<function, array<f32, STEP_UNITS>>) -> f32 {
    let sb = q5k_block(base, 2u * s);
    let j = (2u * s) & 7u;
    let qs = sb + 3u + j;
    var lo = 0.0;
    var hi = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let w = weights[qs + h];
        let qh = weights[sb + 1u + h];
        for (var i = 0u; i < 4u; i++) {
            lo += dot(q5k4(w[i], 0u, qh[i], j), (*x)[0][4u * h + i]);
            hi += dot(q5k4(w[i], 4u, qh[i], j + 1u), (*x)[1][4u * h + i]);
        }
    }
    let header = weights[sb];
    let a = scale_min(header, j);
    let b = scale_min(header, j + 1u);
    return a.x * lo - a.y * (*xsum)[0] + b.x * hi - b.y * (*xsum)[1];
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let sb = q5k_block(base, u);
    let j = u & 7u;
    let w = weights[sb + 3u + 2u * (j >> 1u) + (p >> 1u)];
    let qh = weights[sb + 1u + (p >> 1u)];
    let i = 2u * (p & 1u);
    let shift = 4u * (j & 1u);
    let sm = scale_min(weights[sb], j);
    return Part(sm.x * q5k4(w[i], shift, qh[i], j) - sm.y, sm.x * q5k4(w[i + 1u], shift, qh[i + 1u], j) - sm.y);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let sb = q5k_block(base, u);
    let j = u & 7u;
    let qs = sb + 3u + 2u * (j >> 1u);
    let shift = 4u * (j & 1u);
    let sm = scale_min(weights[sb], j);
    var w: array<vec4<f32>, 8>;
    for (var h = 0u; h < 2u; h++) {
        let b = weights[qs + h];
        let qh = weights[sb + 1u + h];
        for (var i = 0u; i < 4u; i++) {
            w[4u * h + i] = sm.x * q5k4(b[i], shift, qh[i], j) - sm.y;
        }
    }
    return w;
}
