// Weight format library: Q2_K, repacked at upload so every load is an aligned vec4<u32> with no
// padding (a GGUF super-block is 84 bytes: 16 bytes of scales, 64 of qs, f16 d, f16 dmin): a
// row's super-blocks go in groups of up to 4, each group one vec4 of their (d, dmin) words (zero
// past the row's last super-block), then per super-block its scales vec4 and its 4 qs vec4s: the
// same 84 bytes a super-block as GGUF. A 32-element unit u (0..8) of a super-block takes bits
// 2(u % 4) of the 32 qs bytes 32(u / 4) ..: element l (0..32) is
//   q = (qs[32(u / 4) + l] >> 2(u % 4)) & 3
//   value = d * (scales[2u + l / 16] & 15) * q - dmin * (scales[2u + l / 16] >> 4)
// (ggml's dequantize_row_q2_K).
// Prepended to the matrix kernels and embedding.wgsl, with weights_k_halves.wgsl after it;
// interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

// Each 16 elements have their own min: the sum of x over a unit's second half is the unit's sum
// less its first half's.
const NEEDS_XSUM: bool = true;

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
    let sums = unit_half_sums(x, xsum);
    var total = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let q = weights[qs + h];
        var s = 0.0;
        for (var i = 0u; i < 4u; i++) {
            s += dot(q2x4(q[i], shift), (*x)[4u * h + i]);
        }
        let sm = q2_scale_min(scales, 2u * j + h, dm);
        total += sm.x * s - sm.y * sums[h];
    }
    return total;
}

// A whole-row walk (matvec_rows.wgsl) takes the four units of a 128-element half together (step
// s: units 4s .. 4s + 3): they share every qs byte (2 bits each), so each word is loaded once per
// four units instead of once per unit. The four units' sums ride in the lanes of a vec4, written
// out so that every index is a constant once the loops unroll: a CPU adapter keeps x in registers
// then, not in memory.
const STEP_UNITS: u32 = 4u;

fn step_unit(s: u32, k: u32) -> u32 {
    return 4u * s + k;
}

fn step_dot(base: u32, s: u32, x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>,
            xsum: ptr<function, array<f32, STEP_UNITS>>) -> f32 {
    let blk = q2k_block(base, 4u * s);
    let dm = q2k_dm(base, 4u * s);
    let qs = blk + 1u + 2u * (s & 1u);
    // Unit 4(s % 2) + k's scale for half h is byte 2k + h of words 2(s % 2) (k < 2) and + 1.
    let lo = weights[blk][2u * (s & 1u)];
    let hi = weights[blk][2u * (s & 1u) + 1u];
    let sums = step_half_sums(x, xsum);
    var total = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let q = weights[qs + h];
        var dots = vec4<f32>(0.0);
        for (var i = 0u; i < 4u; i++) {
            let e = 4u * h + i;
            dots += vec4<f32>(
                dot(q2x4(q[i], 0u), (*x)[0][e]),
                dot(q2x4(q[i], 2u), (*x)[1][e]),
                dot(q2x4(q[i], 4u), (*x)[2][e]),
                dot(q2x4(q[i], 6u), (*x)[3][e]),
            );
        }
        let b = vec4<u32>(lo >> (8u * h), lo >> (8u * h + 16u), hi >> (8u * h), hi >> (8u * h + 16u));
        let scale = dm.x * vec4<f32>(b & vec4<u32>(15u));
        let min = dm.y * vec4<f32>((b >> vec4<u32>(4u)) & vec4<u32>(15u));
        total += dot(scale, dots) - dot(min, sums[h]);
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
