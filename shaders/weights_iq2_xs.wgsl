// Weight format library: IQ2_XS, repacked at upload so every load is an aligned vec4<u32> with no
// padding (a GGUF super-block is 74 bytes: f16 d, 32 u16 qs, 8 bytes of scales): a row's
// super-blocks go in groups of up to 8, each group one vec4 of their f16 d (two per word, the
// earlier super-block in the low half; zero past the row's last), then 4 vec4s of their scales
// (8 bytes a super-block), then per super-block its qs (4 vec4s). Unit u (0..8) of a super-block:
// qs[4u + l] is its group l of 8 values, the low nine bits an index into a 512-entry grid of eight
// values from {8, 25, 43} (ggml's iq2xs_grid), the top seven the group's signs (the eighth makes
// their count even); scales byte u scales values 0-15 by d * (0.5 + low nibble) * 0.25 and 16-31
// by its high nibble likewise (ggml's dequantize_row_iq2_xs).
// Prepended to the matrix kernels and embedding.wgsl, with weights_grid.wgsl after it (the rest
// of the interface of weights_f32.wgsl).

const GRID_VEC4S: u32 = 256u;
const ENTRY_POINTS: u32 = 2u;
const HIGH_BITS: u32 = 2u;

fn grid_unit(base: u32, u: u32) -> GridUnit {
    let sb = u >> 3u;
    let b = sb & 7u;
    let group = GRID_VEC4S + (base >> 2u) + (sb >> 3u) * 37u;
    let j = u & 7u;
    let v = weights[group + 5u + b * 4u + (j >> 1u)];
    let q = select(v.xy, v.zw, (j & 1u) != 0u);
    let qs = (vec4<u32>(q.x, q.x, q.y, q.y) >> vec4<u32>(0u, 16u, 0u, 16u)) & vec4<u32>(65535u);
    let low = qs & vec4<u32>(255u);
    let ninth = (qs >> vec4<u32>(8u)) & vec4<u32>(1u);
    let s = (weights[group + 1u + (b >> 1u)][(b & 1u) * 2u + (j >> 2u)] >> (8u * (j & 3u))) & 255u;
    let d = unpack2x16float(weights[group][b >> 1u])[b & 1u];
    return GridUnit(
        vec2<u32>(low.x | (low.y << 8u) | (low.z << 16u) | (low.w << 24u), 0u),
        ninth.x | (ninth.y << 2u) | (ninth.z << 4u) | (ninth.w << 6u),
        even_signs(qs >> vec4<u32>(9u)),
        d * (0.5 + vec2<f32>(f32(s & 15u), f32(s >> 4u))) * 0.25,
        vec4<f32>(0.0),
    );
}
