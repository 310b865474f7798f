// Weight format library: Q3_K, padded at upload from 110 to 112 bytes per super-block (28 words,
// 7 vec4s) so every field is vec4-aligned: hmask (32 bytes) at vec4 0, qs (64 bytes) at vec4 2,
// the 12 bytes of packed 6-bit scales in words 0-2 of vec4 6 and d (f16) in the low half of its
// word 3. A 32-element unit u (0..8) of a super-block takes bits 2(u % 4) of the 32 qs bytes
// 32(u / 4) .. and bit u of the 32 hmask bytes: element l (0..32) is
//   q = ((qs[32(u / 4) + l] >> 2(u % 4)) & 3) | (((hmask[l] >> u) & 1) << 2)
//   value = d * (scale[2u + l / 16] - 32) * (q - 4)
// (ggml's dequantize_row_q3_K; scale i's low four bits are nibble i / 8 of byte i % 8, its high
// two bits pair i / 4 of byte 8 + i % 4).
// Prepended to the matrix kernels and embedding.wgsl, with weights_k_halves.wgsl after it;
// interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

// The -4 offset is applied once per 16 elements as -4 * sum(x): the sum over a unit's second half
// is the unit's sum less its first half's.
const NEEDS_XSUM: bool = true;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// Four 3-bit q (0..8, stored for the value q - 4): the bit pairs at `shift` of each byte of a qs
// word, with bit `bit` of each byte of the matching hmask word above them.
// (The bits are joined in all four bytes at once, then the bytes split.)
fn q3x4(q: u32, shift: u32, hm: u32, bit: u32) -> vec4<f32> {
    let v = ((q >> shift) & 0x03030303u) | (((hm >> bit) & 0x01010101u) << 2u);
    return vec4<f32>((vec4<u32>(v) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xFFu));
}

// d * (scale i - 32), from a super-block's last vec4.
fn q3_scale(tail: vec4<u32>, i: u32) -> f32 {
    let low = (tail[(i & 7u) >> 2u] >> (8u * (i & 3u) + 4u * (i >> 3u))) & 15u;
    let high = (tail[2u] >> (8u * (i & 3u) + 2u * (i >> 2u))) & 3u;
    return unpack2x16float(tail.w).x * f32(i32(low | (high << 4u)) - 32);
}

// The vec4 index of unit u's super-block.
fn q3k_block(base: u32, u: u32) -> u32 {
    return (base >> 2u) + (u >> 3u) * 7u;
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let sb = q3k_block(base, u);
    let j = u & 7u;
    let qs = sb + 2u + 2u * (j >> 2u);
    let shift = 2u * (j & 3u);
    let tail = weights[sb + 6u];
    let sums = unit_half_sums(x, xsum);
    var total = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let q = weights[qs + h];
        let m = weights[sb + h];
        var s = 0.0;
        for (var i = 0u; i < 4u; i++) {
            s += dot(q3x4(q[i], shift, m[i], j), (*x)[4u * h + i]);
        }
        total += q3_scale(tail, 2u * j + h) * (s - 4.0 * sums[h]);
    }
    return total;
}

// A whole-row walk (matvec_rows.wgsl) takes the four units of a 128-element half together (step
// s: units 4s .. 4s + 3): they share every qs byte (2 bits each) and every hmask byte, so each
// word is loaded once per four units instead of once per unit. The four units' sums ride in the
// lanes of a vec4, each half in a call of its own: with the halves in one loop, the body was too
// big for lavapipe's LLVM to unroll, x was indexed at run time, in memory, and the step ran 3x
// slower.
const STEP_UNITS: u32 = 4u;

fn step_unit(s: u32, k: u32) -> u32 {
    return 4u * s + k;
}

// Half h of step_dot's four units: lane k is unit j0 + k's dot with x (values plus 4). Called
// with a constant h, so that its loop unrolls with every index into x constant.
fn q3_step_half(q: vec4<u32>, m: vec4<u32>, j0: u32, x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>,
                h: u32) -> vec4<f32> {
    var dots = vec4<f32>(0.0);
    for (var i = 0u; i < 4u; i++) {
        let e = 4u * h + i;
        dots += vec4<f32>(
            dot(q3x4(q[i], 0u, m[i], j0), (*x)[0][e]),
            dot(q3x4(q[i], 2u, m[i], j0 + 1u), (*x)[1][e]),
            dot(q3x4(q[i], 4u, m[i], j0 + 2u), (*x)[2][e]),
            dot(q3x4(q[i], 6u, m[i], j0 + 3u), (*x)[3][e]),
        );
    }
    return dots;
}

// Lane k: scale 2(j0 + k) + h - 32 of step_dot's four units, c = 4 (j0 / 4): its low nibble c / 4
// of byte (2k + h) % 8 (bytes h, h + 2 of word 0, then of word 1), its high pair of byte
// 8 + (2k + h) % 4 at bit c + 2 (k / 2).
fn q3_step_scales(tail: vec4<u32>, h: u32, c: u32) -> vec4<f32> {
    let low = (vec4<u32>(tail.x >> (8u * h), tail.x >> (8u * h + 16u), tail.y >> (8u * h), tail.y >> (8u * h + 16u))
        >> vec4<u32>(c)) & vec4<u32>(15u);
    let high = (vec4<u32>(tail.z) >> (vec4<u32>(0u, 16u, 2u, 18u) + 8u * h + c)) & vec4<u32>(3u);
    return vec4<f32>(vec4<i32>(low | (high << vec4<u32>(4u))) - vec4<i32>(32));
}

fn step_dot(base: u32, s: u32, x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>,
            xsum: ptr<function, array<f32, STEP_UNITS>>) -> f32 {
    let sb = q3k_block(base, 4u * s);
    let j0 = 4u * (s & 1u);
    let qs = sb + 2u + 2u * (s & 1u);
    let tail = weights[sb + 6u];
    let sums = step_half_sums(x, xsum);
    let c = 4u * (j0 >> 2u);
    let half0 = q3_step_half(weights[qs], weights[sb], j0, x, 0u);
    let half1 = q3_step_half(weights[qs + 1u], weights[sb + 1u], j0, x, 1u);
    let total = dot(q3_step_scales(tail, 0u, c), half0 - 4.0 * sums[0])
        + dot(q3_step_scales(tail, 1u, c), half1 - 4.0 * sums[1]);
    return unpack2x16float(tail.w).x * total;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let sb = q3k_block(base, u);
    let j = u & 7u;
    let h = p >> 1u;
    let q = weights[sb + 2u + 2u * (j >> 2u) + h];
    let m = weights[sb + h];
    let i = 2u * (p & 1u);
    let shift = 2u * (j & 3u);
    let ds = q3_scale(weights[sb + 6u], 2u * j + h);
    return Part(ds * (q3x4(q[i], shift, m[i], j) - 4.0), ds * (q3x4(q[i + 1u], shift, m[i + 1u], j) - 4.0));
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let sb = q3k_block(base, u);
    let j = u & 7u;
    let qs = sb + 2u + 2u * (j >> 2u);
    let shift = 2u * (j & 3u);
    let tail = weights[sb + 6u];
    var w: array<vec4<f32>, 8>;
    for (var h = 0u; h < 2u; h++) {
        let q = weights[qs + h];
        let m = weights[sb + h];
        let ds = q3_scale(tail, 2u * j + h);
        for (var i = 0u; i < 4u; i++) {
            w[4u * h + i] = ds * (q3x4(q[i], shift, m[i], j) - 4.0);
        }
    }
    return w;
}
