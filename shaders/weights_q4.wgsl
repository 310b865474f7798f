// Library of the 4-bit weight formats whose 32-element units are 16 bytes of nibbles
// (weights_q4_0.wgsl, weights_q4_1.wgsl, weights_iq4_nl.wgsl, weights_iq4_xs.wgsl), put after any
// of them: groups of up to Q4_GROUP_UNITS units, each group Q4_SCALES vec4s of the format's scale
// fields (its own layout), then one vec4 per unit of its nibbles, unchanged from GGUF. Element
// j < 16 of a unit is the low nibble of byte j, element j + 16 its high nibble; value =
// q4_levels(nibble) * scale + min. The format library before it gives Q4_SCALES, Q4_GROUP_UNITS,
// NEEDS_XSUM (whether min is ever non-zero), q4_levels(nibbles) and q4_scale_min(group, u):
// (scale, min) of unit u. Interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// The levels of the nibbles at bit `shift` of each byte of a word, first byte first.
fn q4x4(w: u32, shift: u32) -> vec4<f32> {
    return q4_levels((vec4<u32>(w) >> (vec4<u32>(0u, 8u, 16u, 24u) + shift)) & vec4<u32>(15u));
}

// The vec4 index of unit u's group (its scales; its nibbles follow at + Q4_SCALES + u % units).
fn q4_group(base: u32, u: u32) -> u32 {
    return (base >> 2u) + (u / Q4_GROUP_UNITS) * (Q4_SCALES + Q4_GROUP_UNITS);
}

fn q4_nibbles(group: u32, u: u32) -> vec4<u32> {
    return weights[group + Q4_SCALES + u % Q4_GROUP_UNITS];
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let g = q4_group(base, u);
    let q = q4_nibbles(g, u);
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        s += dot(q4x4(q[i], 0u), (*x)[i]) + dot(q4x4(q[i], 4u), (*x)[i + 4u]);
    }
    let sm = q4_scale_min(g, u);
    return sm.x * s + sm.y * xsum;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let g = q4_group(base, u);
    let q = q4_nibbles(g, u);
    let i = 2u * (p & 1u);
    let shift = 4u * (p >> 1u);
    let sm = q4_scale_min(g, u);
    return Part(q4x4(q[i], shift) * sm.x + sm.y, q4x4(q[i + 1u], shift) * sm.x + sm.y);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let g = q4_group(base, u);
    let q = q4_nibbles(g, u);
    let sm = q4_scale_min(g, u);
    var w: array<vec4<f32>, 8>;
    for (var i = 0u; i < 4u; i++) {
        w[i] = q4x4(q[i], 0u) * sm.x + sm.y;
        w[i + 4u] = q4x4(q[i], 4u) * sm.x + sm.y;
    }
    return w;
}
