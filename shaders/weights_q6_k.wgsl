// Weight format library: Q6_K, padded at upload from 210 to 224 bytes per super-block (56 words,
// 14 vec4s) so every field is vec4-aligned: ql (128 bytes) at word 0, qh (64 bytes) at word 32,
// 16 i8 scales at word 48, d (f16) in the low half of word 52, then zeros. A 32-element unit is
// sub-block j = u % 8 of super-block u / 8: half h = j / 4 and quarter k = j % 4 of ggml's
// dequantize_row_q6_K; element l (0..32) is
//   q = ((ql[64h + 32(k & 1) + l] >> 4(k >> 1)) & 15) | (((qh[32h + l] >> 2k) & 3) << 4)
//   value = d * scales[8h + 2k + l / 16] * (q - 32).
// Prepended to the matrix kernels and embedding.wgsl; interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// The four 6-bit values of one ql word and one qh word, minus 32.
// (The bits are joined in all four bytes at once, then the bytes split.)
fn q6x4(ql: u32, ql_shift: u32, qh: u32, qh_shift: u32) -> vec4<f32> {
    let q = ((ql >> ql_shift) & 0x0F0F0F0Fu) | (((qh >> qh_shift) & 0x03030303u) << 4u);
    return vec4<f32>((vec4<u32>(q) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xFFu)) - 32.0;
}

// Signed scale byte i (0..16) of the scales vec4.
fn q6_scale(scales: vec4<u32>, i: u32) -> f32 {
    return f32((bitcast<i32>(scales[i >> 2u]) << (24u - 8u * (i & 3u))) >> 24u);
}

// The vec4 index of unit u's super-block.
fn q6k_block(base: u32, u: u32) -> u32 {
    return (base >> 2u) + (u >> 3u) * 14u;
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let sb = q6k_block(base, u);
    let j = u & 7u;
    let h = j >> 2u;
    let k = j & 3u;
    let ql = sb + 4u * h + 2u * (k & 1u);
    let qh = sb + 8u + 2u * h;
    let ql_shift = 4u * (k >> 1u);
    let qh_shift = 2u * k;
    var s: array<f32, 2>;
    for (var e = 0u; e < 2u; e++) {
        let l = weights[ql + e];
        let m = weights[qh + e];
        for (var i = 0u; i < 4u; i++) {
            s[e] += dot(q6x4(l[i], ql_shift, m[i], qh_shift), (*x)[4u * e + i]);
        }
    }
    let scales = weights[sb + 12u];
    let d = unpack2x16float(weights[sb + 13u].x).x;
    let sc = 8u * h + 2u * k;
    return d * (q6_scale(scales, sc) * s[0] + q6_scale(scales, sc + 1u) * s[1]);
}

// A whole-row walk (matvec_rows.wgsl) takes the four units of a half together (step s: units
// 4s .. 4s + 3): units k and k + 2 share every ql byte (low and high nibbles) and all four share
// every qh byte (2 bits each), so each word is loaded once per four units. The four units' dots
// ride in the lanes of a vec4, as do their scales.
const STEP_UNITS: u32 = 4u;

fn step_unit(s: u32, k: u32) -> u32 {
    return 4u * s + k;
}

// Lane k: unit k's dot with x over its 16-element half e (values minus 32), from the half's ql
// vec4s e (units 0, 2) and 2 + e (units 1, 3) and qh vec4 e. Called with a constant e, so that its
// loop unrolls with every index into x constant.
fn q6_step_half(l0: vec4<u32>, l1: vec4<u32>, m: vec4<u32>,
                x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>, e: u32) -> vec4<f32> {
    var dots = vec4<f32>(0.0);
    for (var i = 0u; i < 4u; i++) {
        let v = 4u * e + i;
        dots += vec4<f32>(
            dot(q6x4(l0[i], 0u, m[i], 0u), (*x)[0][v]),
            dot(q6x4(l1[i], 0u, m[i], 2u), (*x)[1][v]),
            dot(q6x4(l0[i], 4u, m[i], 4u), (*x)[2][v]),
            dot(q6x4(l1[i], 4u, m[i], 6u), (*x)[3][v]),
        );
    }
    return dots;
}

// Lane k: scale 8h + 2k + e, signed (bytes e and 2 + e of scales words 2h and 2h + 1).
fn q6_step_scales(scales: vec4<u32>, h: u32, e: u32) -> vec4<f32> {
    let a = bitcast<i32>(scales[2u * h]);
    let b = bitcast<i32>(scales[2u * h + 1u]);
    let up = vec4<u32>(24u, 8u, 24u, 8u) - vec4<u32>(8u * e);
    return vec4<f32>((vec4<i32>(a, a, b, b) << up) >> vec4<u32>(24u));
}

fn step_dot(base: u32, s: u32, x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>,
            xsum: ptr<function, array<f32, STEP_UNITS>>) -> f32 {
    let sb = q6k_block(base, 4u * s);
    let h = s & 1u;
    let ql = sb + 4u * h;
    let qh = sb + 8u + 2u * h;
    let scales = weights[sb + 12u];
    let half0 = q6_step_half(weights[ql], weights[ql + 2u], weights[qh], x, 0u);
    let half1 = q6_step_half(weights[ql + 1u], weights[ql + 3u], weights[qh + 1u], x, 1u);
    let total = dot(q6_step_scales(scales, h, 0u), half0) + dot(q6_step_scales(scales, h, 1u), half1);
    return unpack2x16float(weights[sb + 13u].x).x * total;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let sb = q6k_block(base, u);
    let j = u & 7u;
    let h = j >> 2u;
    let k = j & 3u;
    let l = weights[sb + 4u * h + 2u * (k & 1u) + (p >> 1u)];
    let m = weights[sb + 8u + 2u * h + (p >> 1u)];
    let i = 2u * (p & 1u);
    let ql_shift = 4u * (k >> 1u);
    let qh_shift = 2u * k;
    let d = unpack2x16float(weights[sb + 13u].x).x;
    let ds = d * q6_scale(weights[sb + 12u], 8u * h + 2u * k + (p >> 1u));
    return Part(
        ds * q6x4(l[i], ql_shift, m[i], qh_shift),
        ds * q6x4(l[i + 1u], ql_shift, m[i + 1u], qh_shift),
    );
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let sb = q6k_block(base, u);
    let j = u & 7u;
    let h = j >> 2u;
    let k = j & 3u;
    let ql = sb + 4u * h + 2u * (k & 1u);
    let qh = sb + 8u + 2u * h;
    let ql_shift = 4u * (k >> 1u);
    let qh_shift = 2u * k;
    let scales = weights[sb + 12u];
    let d = unpack2x16float(weights[sb + 13u].x).x;
    var w: array<vec4<f32>, 8>;
    for (var e = 0u; e < 2u; e++) {
        let l = weights[ql + e];
        let m = weights[qh + e];
        let ds = d * q6_scale(scales, 8u * h + 2u * k + e);
        for (var i = 0u; i < 4u; i++) {
            w[4u * e + i] = ds * q6x4(l[i], ql_shift, m[i], qh_shift);
        }
    }
    return w;
}
