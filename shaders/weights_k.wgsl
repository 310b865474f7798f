// Library of the Q4_K and Q5_K weight formats (weights_q4_k.wgsl, weights_q5_k.wgsl), put after
// either: super-blocks of 256 elements read in place, vec4 0 their header (word 0 = d | dmin << 16,
// words 1-3 = 12 bytes of packed 6-bit scales and mins), then 128 bytes of nibbles. The format
// library before it gives the layout, K_BLOCK (vec4s per super-block) and K_NIBBLES (where the
// nibbles start), and k_high_bits(sb, h): the fifth bits of nibble vec4 h of a sub-block pair
// (Q5_K's qh; zero for Q4_K). A 32-element unit is sub-block j = u % 8 of super-block u / 8;
// element l (0..32) is the low (j even) or high (j odd) nibble of nibble byte 32 * (j / 2) + l,
// with bit j of high-bit byte l above it, and value = d * scale_j * q - dmin * min_j (ggml's
// dequantize_row_q4_K and _q5_K). Interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

// The min is applied once per unit as -dmin * min * sum(x).
const NEEDS_XSUM: bool = true;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// The four values of one word of nibbles: the nibbles at bit `shift` of each byte, with bit `bit`
// of each byte of the matching high-bit word above them, joined in all four bytes at once before
// the bytes are split (fewer operations than joining them lane by lane).
fn k_values(w: u32, shift: u32, high: u32, bit: u32) -> vec4<f32> {
    let q = ((w >> shift) & 0x0F0F0F0Fu) | (((high >> bit) & 0x01010101u) << 4u);
    return vec4<f32>((vec4<u32>(q) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xFFu));
}

// Byte b (0..12) of the packed scales in a super-block's header vec4.
fn scale_byte(h: vec4<u32>, b: u32) -> u32 {
    return (h[1u + (b >> 2u)] >> (8u * (b & 3u))) & 0xFFu;
}

// (d * scale_j, dmin * min_j) for sub-block j: ggml's get_scale_min_k4.
fn scale_min(h: vec4<u32>, j: u32) -> vec2<f32> {
    var sc: u32;
    var m: u32;
    if (j < 4u) {
        sc = scale_byte(h, j) & 63u;
        m = scale_byte(h, j + 4u) & 63u;
    } else {
        sc = (scale_byte(h, j + 4u) & 0xFu) | ((scale_byte(h, j - 4u) >> 6u) << 4u);
        m = (scale_byte(h, j + 4u) >> 4u) | ((scale_byte(h, j) >> 6u) << 4u);
    }
    let dm = unpack2x16float(h.x);
    return vec2<f32>(dm.x * f32(sc), dm.y * f32(m));
}

// The vec4 index of unit u's super-block (its header).
fn k_block(base: u32, u: u32) -> u32 {
    return (base >> 2u) + (u >> 3u) * K_BLOCK;
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let sb = k_block(base, u);
    let j = u & 7u;
    let qs = sb + K_NIBBLES + 2u * (j >> 1u);
    let shift = 4u * (j & 1u);
    var s = 0.0;
    for (var h = 0u; h < 2u; h++) {
        let w = weights[qs + h];
        let high = k_high_bits(sb, h);
        for (var i = 0u; i < 4u; i++) {
            s += dot(k_values(w[i], shift, high[i], j), (*x)[4u * h + i]);
        }
    }
    let sm = scale_min(weights[sb], j);
    return sm.x * s - sm.y * xsum;
}

// A whole-row walk (matvec_rows.wgsl) takes the four sub-blocks of a super-block's half together
// (step s: units 4s .. 4s + 3, two pairs whose nibble bytes hold the first's values in their low
// nibbles and the second's in their high ones, all four with their fifth bits in the same
// high-bit bytes), so each word and the header are loaded once per four units. The four units'
// dots ride in the lanes of a vec4, as do their scales and mins.
const STEP_UNITS: u32 = 4u;

fn step_unit(s: u32, k: u32) -> u32 {
    return 4u * s + k;
}

// Lane k: sub-block j0 + k's dot with x over the 16 elements of nibble vec4 h of its pair (pairs
// j0 / 2 in w0, j0 / 2 + 1 in w1). Called with a constant h, so that its loop unrolls with every
// index into x constant.
fn k_step_quarter(w0: vec4<u32>, w1: vec4<u32>, high: vec4<u32>, j0: u32,
                  x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>, h: u32) -> vec4<f32> {
    var dots = vec4<f32>(0.0);
    for (var i = 0u; i < 4u; i++) {
        let e = 4u * h + i;
        dots += vec4<f32>(
            dot(k_values(w0[i], 0u, high[i], j0), (*x)[0][e]),
            dot(k_values(w0[i], 4u, high[i], j0 + 1u), (*x)[1][e]),
            dot(k_values(w1[i], 0u, high[i], j0 + 2u), (*x)[2][e]),
            dot(k_values(w1[i], 4u, high[i], j0 + 3u), (*x)[3][e]),
        );
    }
    return dots;
}

// scale_min of the four sub-blocks j0 .. j0 + 3 (j0 = 0 or 4) at once: lane k of element 0 is
// sub-block j0 + k's d * scale, of element 1 its dmin * min (the bytes as in scale_min).
fn k_step_scale_mins(h: vec4<u32>, j0: u32) -> array<vec4<f32>, 2> {
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    let b0 = (vec4<u32>(h.y) >> bytes) & vec4<u32>(0xFFu);
    let b4 = (vec4<u32>(h.z) >> bytes) & vec4<u32>(0xFFu);
    let b8 = (vec4<u32>(h.w) >> bytes) & vec4<u32>(0xFFu);
    let high = j0 != 0u;
    // Sub-blocks 4..7 take their top two bits from the top of bytes 0..3 (scales), 4..7 (mins).
    let top0 = (b0 >> vec4<u32>(6u)) << vec4<u32>(4u);
    let top4 = (b4 >> vec4<u32>(6u)) << vec4<u32>(4u);
    let sc = select(b0 & vec4<u32>(63u), (b8 & vec4<u32>(15u)) | top0, high);
    let m = select(b4 & vec4<u32>(63u), (b8 >> vec4<u32>(4u)) | top4, high);
    let dm = unpack2x16float(h.x);
    return array<vec4<f32>, 2>(dm.x * vec4<f32>(sc), dm.y * vec4<f32>(m));
}

fn step_dot(base: u32, s: u32, x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>,
            xsum: ptr<function, array<f32, STEP_UNITS>>) -> f32 {
    let sb = k_block(base, 4u * s);
    let j0 = 4u * (s & 1u);
    let qs = sb + K_NIBBLES + j0;
    let dots = k_step_quarter(weights[qs], weights[qs + 2u], k_high_bits(sb, 0u), j0, x, 0u)
        + k_step_quarter(weights[qs + 1u], weights[qs + 3u], k_high_bits(sb, 1u), j0, x, 1u);
    let sm = k_step_scale_mins(weights[sb], j0);
    return dot(sm[0], dots) - dot(sm[1], vec4<f32>((*xsum)[0], (*xsum)[1], (*xsum)[2], (*xsum)[3]));
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let sb = k_block(base, u);
    let j = u & 7u;
    let w = weights[sb + K_NIBBLES + 2u * (j >> 1u) + (p >> 1u)];
    let high = k_high_bits(sb, p >> 1u);
    let i = 2u * (p & 1u);
    let shift = 4u * (j & 1u);
    let sm = scale_min(weights[sb], j);
    return Part(sm.x * k_values(w[i], shift, high[i], j) - sm.y, sm.x * k_values(w[i + 1u], shift, high[i + 1u], j) - sm.y);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let sb = k_block(base, u);
    let j = u & 7u;
    let qs = sb + K_NIBBLES + 2u * (j >> 1u);
    let shift = 4u * (j & 1u);
    let sm = scale_min(weights[sb], j);
    var w: array<vec4<f32>, 8>;
    for (var h = 0u; h < 2u; h++) {
        let b = weights[qs + h];
        let high = k_high_bits(sb, h);
        for (var i = 0u; i < 4u; i++) {
            w[4u * h + i] = sm.x * k_values(b[i], shift, high[i], j) - sm.y;
        }
    }
    return w;
}
