// Weight format library: Q4_K, read in place (a 144-byte GGUF super-block is already 36 whole
// words): word 0 = d | dmin << 16, words 1-3 = 12 bytes of packed 6-bit scales and mins, words
// 4-35 = 128 bytes of nibbles (a row is whole super-blocks, so whole vec4s: vec4 0 of a
// super-block is its header, vec4s 1-8 its nibbles). A 32-element unit is sub-block j = u % 8 of
// super-block u / 8; its values are the low (j even) or high (j odd) nibbles of bytes
// 32 * (j / 2) .. + 32, and value = d * scale_j * nibble - dmin * min_j (ggml's
// dequantize_row_q4_K).
// Prepended to the matrix kernels and embedding.wgsl, after weights_k_scales.wgsl (scale_min);
// interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

// The min is applied once per unit as -dmin * min * sum(x).
const NEEDS_XSUM: bool = true;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

fn nibbles(w: u32, shift: u32) -> vec4<f32> {
    return vec4<f32>((vec4<u32>(w) >> (vec4<u32>(0u, 8u, 16u, 24u) + shift)) & vec4<u32>(15u));
}

// The vec4 index of unit u's super-block (its header; its nibbles follow).
fn q4k_block(base: u32, u: u32) -> u32 {
    return (base >> 2u) + (u >> 3u) * 9u;
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let sb = q4k_block(base, u);
    let j = u & 7u;
    let qs = sb + 1u + 2u * (j >> 1u);
    let shift = 4u * (j & 1u);
    var s = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let w = weights[qs + h];
        for (var i = 0u; i < 4u; i++) {
            s += dot(nibbles(w[i], shift), (*x)[4u * h + i]);
        }
    }
    let sm = scale_min(weights[sb], j);
    return sm.x * s - sm.y * xsum;
}

// A whole-row walk (matvec_rows.wgsl) takes sub-blocks in pairs: the pair's 32 bytes hold the
// first's values in their low nibbles and the second's in their high ones, so each word of
// nibbles and the header are loaded once per pair instead of once per unit.
const STEP_UNITS: u32 = 2u;

fn step_unit(s: u32, k: u32) -> u32 {
    return 2u * s + k;
}

fn step_dot(base: u32, s: u32, x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>,
            xsum: ptr<function, array<f32, STEP_UNITS>>) -> f32 {
    let sb = q4k_block(base, 2u * s);
    let j = (2u * s) & 7u;
    let qs = sb + 1u + j;
    var lo = 0.0;
    var hi = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let w = weights[qs + h];
        for (var i = 0u; i < 4u; i++) {
            lo += dot(nibbles(w[i], 0u), (*x)[0][4u * h + i]);
            hi += dot(nibbles(w[i], 4u), (*x)[1][4u * h + i]);
        }
    }
    let header = weights[sb];
    let a = scale_min(header, j);
    let b = scale_min(header, j + 1u);
    return a.x * lo - a.y * (*xsum)[0] + b.x * hi - b.y * (*xsum)[1];
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let sb = q4k_block(base, u);
    let j = u & 7u;
    let w = weights[sb + 1u + 2u * (j >> 1u) + (p >> 1u)];
    let i = 2u * (p & 1u);
    let shift = 4u * (j & 1u);
    let sm = scale_min(weights[sb], j);
    return Part(sm.x * nibbles(w[i], shift) - sm.y, sm.x * nibbles(w[i + 1u], shift) - sm.y);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let sb = q4k_block(base, u);
    let j = u & 7u;
    let qs = sb + 1u + 2u * (j >> 1u);
    let shift = 4u * (j & 1u);
    let sm = scale_min(weights[sb], j);
    var w: array<vec4<f32>, 8>;
    for (var h = 0u; h < 2u; h++) {
        let b = weights[qs + h];
        for (var i = 0u; i < 4u; i++) {
            w[4u * h + i] = sm.x * nibbles(b[i], shift) - sm.y;
        }
    }
    return w;
}
