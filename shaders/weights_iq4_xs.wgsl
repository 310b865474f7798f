// Weight format library: IQ4_XS, repacked at upload so every load is an aligned vec4<u32> with no
// padding (a GGUF super-block is 136 bytes: f16 d, u16 scales_h, 4 bytes of scales_l, 128 of qs):
// a row's super-blocks go in pairs, each pair one vec4 of their 8-byte headers (words 2b, 2b + 1
// for super-block b; zero past the row's last super-block), then the two super-blocks' qs, one
// vec4 per 32-element unit: the same 272 bytes a pair as GGUF. A unit's 16 bytes of nibbles are
// in Q4_0's order and index IQ4_NL's levels (weights_iq4_levels.wgsl); unit u (0..8) of a
// super-block has the 6-bit scale ls = nibble u of scales_l | (bits 2u of scales_h) << 4, and
//   value = d * (ls - 32) * levels[nibble]
// (ggml's dequantize_row_iq4_xs). So it reads as IQ4_NL with 16-unit groups and a per-unit scale.
// Prepended to the matrix kernels and embedding.wgsl, with weights_iq4_levels.wgsl and
// weights_q4.wgsl after it (the rest of the interface of weights_f32.wgsl).

const Q4_SCALES: u32 = 1u;

const Q4_GROUP_UNITS: u32 = 16u;

const NEEDS_XSUM: bool = false;

fn q4_scale_min(group: u32, u: u32) -> vec2<f32> {
    let header = weights[group];
    let words = select(header.xy, header.zw, (u & 8u) != 0u);
    let j = u & 7u;
    let low = (words.y >> (4u * j)) & 15u;
    let high = (words.x >> (16u + 2u * j)) & 3u;
    return vec2<f32>(unpack2x16float(words.x).x * (f32(low | (high << 4u)) - 32.0), 0.0);
}
