// Weight format library: IQ2_S, repacked at upload so every load is an aligned vec4<u32> with no
// padding (a GGUF super-block is 82 bytes: f16 d, 32 bytes of qs, 32 of signs, 8 of qh, 8 of
// scales): a row's super-blocks go in groups of up to 8, each group one vec4 of their f16 d (two
// per word, the earlier super-block in the low half; zero past the row's last), then a vec4 per
// super-block of its qh (words 0-1) and scales (words 2-3), then per super-block its qs and signs
// (4 vec4s). Unit u (0..8) of a super-block: qs byte 4u + l, with bits 2l and 2l + 1 of qh byte u
// above it, indexes a 1024-entry grid of eight values from {8, 25, 43} (ggml's iq2s_grid) for its
// group l of 8 values, signed by signs byte 4u + l; scales byte u scales values 0-15 by
// d * (0.5 + low nibble) * 0.25 and 16-31 by its high nibble likewise (ggml's
// dequantize_row_iq2_s).
// Prepended to the matrix kernels and embedding.wgsl, with weights_grid.wgsl after it (the rest
// of the interface of weights_f32.wgsl).

const GRID_VEC4S: u32 = 512u;
const ENTRY_POINTS: u32 = 2u;
const HIGH_BITS: u32 = 2u;

fn grid_unit(base: u32, u: u32) -> GridUnit {
    let sb = u >> 3u;
    let b = sb & 7u;
    let group = GRID_VEC4S + (base >> 2u) + (sb >> 3u) * 41u;
    let j = u & 7u;
    let block = group + 9u + b * 4u;
    let tail = weights[group + 1u + b];
    let shift = 8u * (j & 3u);
    let s = (select(tail.z, tail.w, j >= 4u) >> shift) & 255u;
    let d = unpack2x16float(weights[group][b >> 1u])[b & 1u];
    return GridUnit(
        vec2<u32>(weights[block + (j >> 2u)][j & 3u], 0u),
        (select(tail.x, tail.y, j >= 4u) >> shift) & 255u,
        weights[block + 2u + (j >> 2u)][j & 3u],
        d * (0.5 + vec2<f32>(f32(s & 15u), f32(s >> 4u))) * 0.25,
        vec4<f32>(0.0),
    );
}
