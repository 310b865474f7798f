// Weight format library: Q6_K, padded at upload from 210 to 212 bytes per super-block (53 words)
// so every field is word-aligned: ql (128 bytes) at word 0, qh (64 bytes) at word 32, 16 i8
// scales at word 48, d (f16) in the low half of word 52. A 32-element unit is sub-block
// j = u % 8 of super-block u / 8: half h = j / 4 and quarter k = j % 4 of ggml's
// dequantize_row_q6_K; element l (0..32) is
//   q = ((ql[64h + 32(k & 1) + l] >> 4(k >> 1)) & 15) | (((qh[32h + l] >> 2k) & 3) << 4)
//   value = d * scales[8h + 2k + l / 16] * (q - 32).
// Prepended to matvec.wgsl, matmul.wgsl and embedding.wgsl; interface as in weights_f32.wgsl.

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// The four 6-bit values of one ql word and one qh word, minus 32.
fn q6x4(ql: u32, ql_shift: u32, qh: u32, qh_shift: u32) -> vec4<f32> {
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    let lo = (vec4<u32>(ql) >> (bytes + ql_shift)) & vec4<u32>(15u);
    let hi = (vec4<u32>(qh) >> (bytes + qh_shift)) & vec4<u32>(3u);
    return vec4<f32>(lo | (hi << vec4<u32>(4u))) - 32.0;
}

// Signed scale byte i (0..16) of the super-block at word sb.
fn q6_scale(sb: u32, i: u32) -> f32 {
    return f32((bitcast<i32>(weights[sb + 48u + (i >> 2u)]) << (24u - 8u * (i & 3u))) >> 24u);
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let sb = base + (u >> 3u) * 53u;
    let j = u & 7u;
    let h = j >> 2u;
    let k = j & 3u;
    let ql = sb + 16u * h + 8u * (k & 1u);
    let qh = sb + 32u + 8u * h;
    let ql_shift = 4u * (k >> 1u);
    let qh_shift = 2u * k;
    var s0 = 0.0;
    var s1 = 0.0;
    for (var i = 0u; i < 4u; i++) {
        s0 += dot(q6x4(weights[ql + i], ql_shift, weights[qh + i], qh_shift), (*x)[i]);
        s1 += dot(q6x4(weights[ql + i + 4u], ql_shift, weights[qh + i + 4u], qh_shift), (*x)[i + 4u]);
    }
    let d = unpack2x16float(weights[sb + 52u]).x;
    let sc = 8u * h + 2u * k;
    return d * (q6_scale(sb, sc) * s0 + q6_scale(sb, sc + 1u) * s1);
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let sb = base + (u >> 3u) * 53u;
    let j = u & 7u;
    let h = j >> 2u;
    let k = j & 3u;
    let ql = sb + 16u * h + 8u * (k & 1u) + 2u * p;
    let qh = sb + 32u + 8u * h + 2u * p;
    let ql_shift = 4u * (k >> 1u);
    let qh_shift = 2u * k;
    let ds = unpack2x16float(weights[sb + 52u]).x * q6_scale(sb, 8u * h + 2u * k + (p >> 1u));
    return Part(
        ds * q6x4(weights[ql], ql_shift, weights[qh], qh_shift),
        ds * q6x4(weights[ql + 1u], ql_shift, weights[qh + 1u], qh_shift),
    );
}
