// Weight format library: IQ3_S, repacked at upload so every load is an aligned vec4<u32> (a GGUF
// super-block is 110 bytes: f16 d, 64 bytes of qs, 8 of qh, 32 of signs, 4 of scales): per
// super-block 7 vec4s, the qs (vec4s 0-3), the signs (4-5), then qh, scales and d (6: words 0-1
// qh, word 2 scales, word 3 d in its low half). Each 32-element unit u (0..8) is 8 points of a
// 512-entry grid of four values from {1, 3, .., 15} (ggml's iq3s_grid): point t (0..8) is entry
// qs[8u + t] | (bit t of qh[u]) << 8, value k of it negated where bit 4t + k of the unit's signs
// word (signs[4u..4u + 4]) is set, and all scaled by d * (1 + 2 * nibble u of the scales) (ggml's
// dequantize_row_iq3_s). The grid itself fills the first IQ3S_GRID_VEC4S vec4s of every weight
// buffer, ahead of its rows (core::gpu::Weight puts it there), so the kernels bind nothing more.
// Prepended to the matrix kernels and embedding.wgsl; interface as in weights_f32.wgsl, with
// weights_unit_step.wgsl's steps.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

const NEEDS_XSUM: bool = false;

const IQ3S_GRID_VEC4S: u32 = 128u;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// What a unit's points are read from: its 8 qs bytes, its signs word, its qh byte, its scale.
struct Iq3sUnit {
    qs: vec2<u32>,
    signs: u32,
    qh: u32,
    scale: f32,
}

fn iq3s_unit(base: u32, u: u32) -> Iq3sUnit {
    let block = IQ3S_GRID_VEC4S + (base >> 2u) + (u >> 3u) * 7u;
    let j = u & 7u;
    let q = weights[block + (j >> 1u)];
    let signs = weights[block + 4u + (j >> 2u)][j & 3u];
    let tail = weights[block + 6u];
    let qh = (select(tail.x, tail.y, j >= 4u) >> (8u * (j & 3u))) & 255u;
    let scale = unpack2x16float(tail.w).x * f32(1u + 2u * ((tail.z >> (4u * j)) & 15u));
    return Iq3sUnit(select(q.xy, q.zw, (j & 1u) != 0u), signs, qh, scale);
}

// Point t (0..8) of a unit: its four values, signed, not yet scaled.
fn iq3s_point(unit: Iq3sUnit, t: u32) -> vec4<f32> {
    let index = ((unit.qs[t >> 2u] >> (8u * (t & 3u))) & 255u) | (((unit.qh >> t) & 1u) << 8u);
    let point = weights[index >> 2u][index & 3u];
    let values = vec4<f32>((vec4<u32>(point) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(255u));
    let negative = (vec4<u32>(unit.signs >> (4u * t)) >> vec4<u32>(0u, 1u, 2u, 3u)) & vec4<u32>(1u);
    return values * (1.0 - 2.0 * vec4<f32>(negative));
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let unit = iq3s_unit(base, u);
    var s = 0.0;
    for (var t = 0u; t < 8u; t++) {
        s += dot(iq3s_point(unit, t), (*x)[t]);
    }
    return unit.scale * s;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let unit = iq3s_unit(base, u);
    return Part(unit.scale * iq3s_point(unit, 2u * p), unit.scale * iq3s_point(unit, 2u * p + 1u));
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let unit = iq3s_unit(base, u);
    var w: array<vec4<f32>, 8>;
    for (var t = 0u; t < 8u; t++) {
        w[t] = unit.scale * iq3s_point(unit, t);
    }
    return w;
}
