// Weight format library: IQ3_XXS, repacked at upload so every load is an aligned vec4<u32> with
// no padding (a GGUF super-block is 98 bytes: f16 d, 64 bytes of qs, 32 of scales and signs): a
// row's super-blocks go in groups of up to 8, each group one vec4 of their f16 d (two per word,
// the earlier super-block in the low half; zero past the row's last), then per super-block its qs
// (4 vec4s) and its scales and signs (2 vec4s): the same 98 bytes a super-block as GGUF. Unit u
// (0..8) of a super-block: qs bytes 8u .. 8u + 8 index a 256-entry grid of values from
// {4, 12, .., 52, 62} (ggml's iq3xxs_grid); word u of the scales and signs holds, for each group l
// of 8 values, seven sign bits at 7l (the eighth makes their count even: ggml's ksigns_iq2xs),
// and in its top four bits s the scale d * (0.5 + s) * 0.5 (ggml's dequantize_row_iq3_xxs).
// Prepended to the matrix kernels and embedding.wgsl, with weights_grid.wgsl after it (the rest
// of the interface of weights_f32.wgsl).

const GRID_VEC4S: u32 = 64u;
const ENTRY_POINTS: u32 = 1u;
const HIGH_BITS: u32 = 1u;

fn grid_unit(base: u32, u: u32) -> GridUnit {
    let sb = u >> 3u;
    let group = GRID_VEC4S + (base >> 2u) + (sb >> 3u) * 49u;
    let block = group + 1u + (sb & 7u) * 6u;
    let j = u & 7u;
    let q = weights[block + (j >> 1u)];
    let word = weights[block + 4u + (j >> 2u)][j & 3u];
    let signs = even_signs(vec4<u32>(word) >> vec4<u32>(0u, 7u, 14u, 21u));
    let d = unpack2x16float(weights[group][(sb >> 1u) & 3u])[sb & 1u];
    let scale = d * (0.5 + f32(word >> 28u)) * 0.5;
    return GridUnit(select(q.xy, q.zw, (j & 1u) != 0u), 0u, signs, vec2<f32>(scale), vec4<f32>(0.0));
}
