// Library of the grid weight formats (weights_iq3_s.wgsl, weights_iq3_xxs.wgsl), put after
// either: each 32-element unit is 8 points of a grid of four-value entries (one value per byte of
// a grid word), point t (0..8) being the entry at qs byte t of the unit with bit t of its `high`
// byte as a ninth index bit, value k of it negated where bit 4t + k of its signs word is set, all
// scaled by the unit's scale. The grid fills the first GRID_VEC4S vec4s of every weight buffer,
// ahead of its rows (core::gpu::Weight puts it there), so the kernels bind nothing more. The
// format library before it gives GRID_VEC4S and grid_unit(base, u), a unit's GridUnit. Interface
// as in weights_f32.wgsl, with weights_unit_step.wgsl's steps.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// What a unit's points are read from.
struct GridUnit {
    qs: vec2<u32>,
    signs: u32,
    high: u32,
    scale: f32,
}

// Point t (0..8) of a unit: its four values, signed, not yet scaled.
fn grid_point(unit: GridUnit, t: u32) -> vec4<f32> {
    let index = ((unit.qs[t >> 2u] >> (8u * (t & 3u))) & 255u) | (((unit.high >> t) & 1u) << 8u);
    let point = weights[index >> 2u][index & 3u];
    let values = vec4<f32>((vec4<u32>(point) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(255u));
    let negative = (vec4<u32>(unit.signs >> (4u * t)) >> vec4<u32>(0u, 1u, 2u, 3u)) & vec4<u32>(1u);
    return values * (1.0 - 2.0 * vec4<f32>(negative));
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let unit = grid_unit(base, u);
    var s = 0.0;
    for (var t = 0u; t < 8u; t++) {
        s += dot(grid_point(unit, t), (*x)[t]);
    }
    return unit.scale * s;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let unit = grid_unit(base, u);
    return Part(unit.scale * grid_point(unit, 2u * p), unit.scale * grid_point(unit, 2u * p + 1u));
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let unit = grid_unit(base, u);
    var w: array<vec4<f32>, 8>;
    for (var t = 0u; t < 8u; t++) {
        w[t] = unit.scale * grid_point(unit, t);
    }
    return w;
}
