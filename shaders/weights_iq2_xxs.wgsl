// Weight format library: IQ2_XXS, repacked at upload so every load is an aligned vec4<u32> with
// no padding (a GGUF super-block is 66 bytes: f16 d, then two words per 32-element unit): a row's
// super-blocks go in groups of up to 8, each group one vec4 of their f16 d (two per word, the
// earlier super-block in the low half; zero past the row's last), then per super-block its
// units' 64 bytes (4 vec4s), as GGUF. Unit u (0..8) of a super-block: the four bytes of its first
// word index a 256-entry grid of eight values from {8, 25, 43} (ggml's iq2xxs_grid), an entry per
// group of 8 values; its second word holds group l's signs as seven bits at 7l (the eighth makes
// their count even), and in its top four bits s the scale d * (0.5 + s) * 0.25 (ggml's
// dequantize_row_iq2_xxs).
// Prepended to the matrix kernels and embedding.wgsl, with weights_grid.wgsl after it (the rest
// of the interface of weights_f32.wgsl).

const GRID_VEC4S: u32 = 128u;
const ENTRY_POINTS: u32 = 2u;
const HIGH_BITS: u32 = 2u;

fn grid_unit(base: u32, u: u32) -> GridUnit {
    let sb = u >> 3u;
    let group = GRID_VEC4S + (base >> 2u) + (sb >> 3u) * 33u;
    let j = u & 7u;
    let v = weights[group + 1u + (sb & 7u) * 4u + (j >> 1u)];
    let words = select(v.xy, v.zw, (j & 1u) != 0u);
    let signs = even_signs(vec4<u32>(words.y) >> vec4<u32>(0u, 7u, 14u, 21u));
    let d = unpack2x16float(weights[group][(sb >> 1u) & 3u])[sb & 1u];
    let scale = d * (0.5 + f32(words.y >> 28u)) * 0.25;
    return GridUnit(vec2<u32>(words.x, 0u), 0u, signs, vec2<f32>(scale), vec4<f32>(0.0));
}
