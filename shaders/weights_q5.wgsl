// Library of the Q5_0 and Q5_1 weight formats (weights_q5_0.wgsl, weights_q5_1.wgsl), put after
// either: 32-element blocks of 4-bit values with a fifth bit each from a 32-bit qh word, value =
// q * scale + min (q in 0..32). The format library before it gives the group layout, Q5_GROUP
// (vec4s per group of 8 blocks) and Q5_QH (where a group's two vec4s of qh words start, its
// nibbles following them, one vec4 per block), and q5_scale_min(group, u): (scale, min) of unit u.
// Element j < 16 of a block is the low nibble of byte j with bit j of qh above it, element j + 16
// the high nibble with bit j + 16. Interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

// The min is applied once per unit as min * sum(x).
const NEEDS_XSUM: bool = true;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// The four 5-bit values of one word of nibbles: the nibbles at bit `shift` of each byte, with
// bits `bit` .. `bit` + 3 of the block's qh word above them.
// The four high bits are spread to the bottom of the four bytes by one multiply (bit k lands at
// bits k + 7t for t = 0..3, never overlapping, and t = k puts it at 8k), joined with the nibbles in
// all four bytes at once, and only then are the bytes split.
fn q5x4(w: u32, shift: u32, qh: u32, bit: u32) -> vec4<f32> {
    let high = (((qh >> bit) & 15u) * 0x00204081u) & 0x01010101u;
    let q = ((w >> shift) & 0x0F0F0F0Fu) | (high << 4u);
    return vec4<f32>((vec4<u32>(q) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xFFu));
}

// The vec4 index of unit u's group.
fn q5_group(base: u32, u: u32) -> u32 {
    return (base >> 2u) + (u >> 3u) * Q5_GROUP;
}

fn q5_nibbles(group: u32, u: u32) -> vec4<u32> {
    return weights[group + Q5_QH + 2u + (u & 7u)];
}

fn q5_high_bits(group: u32, u: u32) -> u32 {
    return weights[group + Q5_QH + ((u >> 2u) & 1u)][u & 3u];
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let g = q5_group(base, u);
    let q = q5_nibbles(g, u);
    let qh = q5_high_bits(g, u);
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        s += dot(q5x4(q[i], 0u, qh, 4u * i), (*x)[i]) + dot(q5x4(q[i], 4u, qh, 4u * i + 16u), (*x)[i + 4u]);
    }
    let sm = q5_scale_min(g, u);
    return sm.x * s + sm.y * xsum;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let g = q5_group(base, u);
    let q = q5_nibbles(g, u);
    let qh = q5_high_bits(g, u);
    let i = 2u * (p & 1u);
    let shift = 4u * (p >> 1u);
    // Element 8p + k has bit 8p + k of qh: 4i + 16 * (p / 2) + k.
    let bit = 4u * i + 16u * (p >> 1u);
    let sm = q5_scale_min(g, u);
    return Part(q5x4(q[i], shift, qh, bit) * sm.x + sm.y, q5x4(q[i + 1u], shift, qh, bit + 4u) * sm.x + sm.y);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let g = q5_group(base, u);
    let q = q5_nibbles(g, u);
    let qh = q5_high_bits(g, u);
    let sm = q5_scale_min(g, u);
    var w: array<vec4<f32>, 8>;
    for (var i = 0u; i < 4u; i++) {
        w[i] = q5x4(q[i], 0u, qh, 4u * i) * sm.x + sm.y;
        w[i + 4u] = q5x4(q[i], 4u, qh, 4u * i + 16u) * sm.x + sm.y;
    }
    return w;
}
