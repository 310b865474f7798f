// Weight format library: Q2_K, repacked at upload so every load is an aligned vec4<u32> with no
// padding (a GGUF super-block is 84 bytes: 16 bytes of scales, 64 of qs, f16 d, f16 dmin): a
// row's super-blocks go in groups of up to 4, each group one vec4 of their (d, dmin) words (zero
// past the row's last super-block), then per super-block its scales vec4 and its 4 qs vec4s: the
// same 84 bytes a super-block as GGUF. A 32-element unit u (0..8) of a super-block takes bits
// 2(u % 4) of the 32 qs bytes 32(u / 4) ..: element l (0..32) is
//   q = (qs[32(u / 4) + l] >> 2(u % 4)) & 3
//   value = d * (scales[2u + l / 16] & 15) * q - dmin * (scales[2u + l / 16] >> 4)
// (ggml's dequantize_row_q2_K).
// Prepended to the matrix kernels and embedding.wgsl; interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

// Each 16 elements have their own min, so the sums of x they need are taken here, by halves.
const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// The four 2-bit values at bit `shift` of each byte of a word.
fn q2x4(q: u32, shift: u32) -> vec4<f32> {
    return vec4<f32>((vec4<u32>(q) >> (vec4<u32>(0u, 8u, 16u, 24u) + shift)) & vec4<u32>(3u));
}

// The vec4 index of unit u's super-block (its scales; its qs follow).
fn q2k_block(base: u32, u: u32) -> u32 {
    let sb = u >> 3u;
    return (base >> 2u) + (sb >> 2u) * 21u + 1u + (sb & 3u) * 5u;
}

// (d, dmin) of unit u's super-block.
fn q2k_dm(base: u32, u: u32) -> vec2<f32> {
    let sb = u >> 3u;
    return unpack2x16float(weights[(base >> 2u) + (sb >> 2u) * 21u][sb & 3u]);
}

// (d * scale, dmin * min) of scale byte b (0..16) of a scales vec4.
fn q2_scale_min(scales: vec4<u32>, b: u32, dm: vec2<f32>) -> vec2<f32> {
    let v = scales[b >> 2u] >> (8u * (b & 3u));
    return dm * vec2<f32>(f32(v & 15u), f32((v >> 4u) & 15u));
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let blk = q2k_block(base, u);
    let dm = q2k_dm(base, u);
    let j = u & 7u;
    let qs = blk + 1u + 2u * (j >> 2u);
    let shift = 2u * (j & 3u);
    let scales = weights[blk];
    var total = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let q = weights[qs + h];
        var s = 0.0;
        var xs = 0.0;
        for (var i = 0u; i < 4u; i++) {
            s += dot(q2x4(q[i], shift), (*x)[4u * h + i]);
            xs += dot((*x)[4u * h + i], vec4<f32>(1.0));
        }
        let sm = q2_scale_min(scales, 2u * j + h, dm);
        total += sm.x * s - sm.y * xs;
    }
    return total;
}

// A whole-row walk (matvec_rows.wgsl) takes the four units of a 128-element half together (step
// s: units 4s .. 4s + 3): they share every qs byte (2 bits each), so each word is loaded once per
// four units instead of once per unit.
const STEP_UNITS: u32 = 4u;

fn step_unit(s: u32, k: u32) -> u32 {
    return 4u * s + k;
}

fn step_dot(base: u32, s: u32, x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>,
            xsum: ptr<function, array<f32, STEP_UNITS>>) -> f32 {
    let blk = q2k_block(base, 4u * s);
    let dm = q2k_dm(base, 4u * s);
    let j0 = (4u * s) & 7u;
    let qs = blk + 1u + 2u * (s & 1u);
    let scales = weights[blk];
    var total = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let q = weights[qs + h];
        for (var k = 0u; k < 4u; k++) {
            var sum = 0.0;
            var xs = 0.0;
            for (var i = 0u; i < 4u; i++) {
                sum += dot(q2x4(q[i], 2u * k), (*x)[k][4u * h + i]);
                xs += dot((*x)[k][4u * h + i], vec4<f32>(1.0));
            }
            let sm = q2_scale_min(scales, 2u * (j0 + k) + h, dm);
            total += sm.x * sum - sm.y * xs;
        }
    }
    return total;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let blk = q2k_block(base, u);
    let j = u & 7u;
    let h = p >> 1u;
    let q = weights[blk + 1u + 2u * (j >> 2u) + h];
    let i = 2u * (p & 1u);
    let shift = 2u * (j & 3u);
    let sm = q2_scale_min(weights[blk], 2u * j + h, q2k_dm(base, u));
    return Part(sm.x * q2x4(q[i], shift) - sm.y, sm.x * q2x4(q[i + 1u], shift) - sm.y);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let blk = q2k_block(base, u);
    let dm = q2k_dm(base, u);
    let j = u & 7u;
    let qs = blk + 1u + 2u * (j >> 2u);
    let shift = 2u * (j & 3u);
    let scales = weights[blk];
    var w: array<vec4<f32>, 8>;
    for (var h = 0u; h < 2u; h++) {
        let q = weights[qs + h];
        let sm = q2_scale_min(scales, 2u * j + h, dm);
        for (var i = 0u; i < 4u; i++) {
            w[4u * h + i] = sm.x * q2x4(q[i], shift) - sm.y;
        }
    }
    return w;
}
