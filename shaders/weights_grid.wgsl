// Library of the grid weight formats (weights_iq3_s.wgsl, weights_iq3_xxs.wgsl and the IQ2 and
// IQ1 ones), put after any of them: each 32-element unit is 8 points of four values (one value per
// byte of a grid word), taken from a grid whose entries are ENTRY_POINTS points (1: four values,
// IQ3; 2: eight, IQ2 and IQ1). The unit's entry e (0..8 / ENTRY_POINTS) has byte e of its `qs` as
// the low 8 bits of its index and bits HIGH_BITS * e .. of its `high` as the bits above; value k
// of point t is the grid byte plus shift[t / 2] (IQ1's delta; 0 for the others), negated where bit
// 4t + k of its signs word is set; points 0-3 are scaled by scales.x, 4-7 by scales.y. The grid fills the first GRID_VEC4S vec4s of every weight buffer, ahead of its rows
// (core::gpu::Weight puts it there), so the kernels bind nothing more. The format library before
// it gives GRID_VEC4S, ENTRY_POINTS, HIGH_BITS and grid_unit(base, u), a unit's GridUnit.
// Interface as in weights_f32.wgsl, with weights_unit_step.wgsl's steps.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// What a unit's points are read from.
struct GridUnit {
    qs: vec2<u32>,
    high: u32,
    signs: u32,
    scales: vec2<f32>,
    shift: vec4<f32>,
}

// Point t (0..8) of a unit: its four values, signed, not yet scaled.
fn grid_point(unit: GridUnit, t: u32) -> vec4<f32> {
    let e = t / ENTRY_POINTS;
    let high = (unit.high >> (HIGH_BITS * e)) & ((1u << HIGH_BITS) - 1u);
    let entry = ((unit.qs[e >> 2u] >> (8u * (e & 3u))) & 255u) | (high << 8u);
    let index = entry * ENTRY_POINTS + t % ENTRY_POINTS;
    let point = weights[index >> 2u][index & 3u];
    let bytes = (vec4<u32>(point) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(255u);
    let values = vec4<f32>(bytes) + unit.shift[t >> 1u];
    let negative = (vec4<u32>(unit.signs >> (4u * t)) >> vec4<u32>(0u, 1u, 2u, 3u)) & vec4<u32>(1u);
    return values * (1.0 - 2.0 * vec4<f32>(negative));
}

// The sign bits of four groups of eight values stored as seven bits each (the low seven of each
// lane): the eighth makes each group's count of negatives even (ggml's ksigns_iq2xs).
fn even_signs(seven: vec4<u32>) -> u32 {
    let low = seven & vec4<u32>(127u);
    let bytes = low | ((countOneBits(low) & vec4<u32>(1u)) << vec4<u32>(7u));
    return bytes.x | (bytes.y << 8u) | (bytes.z << 16u) | (bytes.w << 24u);
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let unit = grid_unit(base, u);
    var lo = 0.0;
    var hi = 0.0;
    for (var t = 0u; t < 4u; t++) {
        lo += dot(grid_point(unit, t), (*x)[t]);
        hi += dot(grid_point(unit, t + 4u), (*x)[t + 4u]);
    }
    return unit.scales.x * lo + unit.scales.y * hi;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let unit = grid_unit(base, u);
    let scale = select(unit.scales.x, unit.scales.y, p >= 2u);
    return Part(scale * grid_point(unit, 2u * p), scale * grid_point(unit, 2u * p + 1u));
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let unit = grid_unit(base, u);
    var w: array<vec4<f32>, 8>;
    for (var t = 0u; t < 4u; t++) {
        w[t] = unit.scales.x * grid_point(unit, t);
        w[t + 4u] = unit.scales.y * grid_point(unit, t + 4u);
    }
    return w;
}
