// Weight format library: IQ1_S, repacked at upload so every load is an aligned vec4<u32> with no
// padding (a GGUF super-block is 50 bytes: f16 d, 32 bytes of qs, 8 u16 qh): a row's super-blocks
// go in groups of up to 8, each group one vec4 of their f16 d (two per word, the earlier
// super-block in the low half; zero past the row's last), then per super-block its qs and qh (3
// vec4s), as GGUF. Unit u (0..8) of a super-block: qs byte 4u + l, with bits 3l .. 3l + 3 of
// qh[u] above it, indexes a 2048-entry grid of eight values from {-1, 0, 1} (ggml's iq1s_grid,
// stored here plus 1, as bytes 0-2) for its group l of 8 values; bits 12-14 of qh[u] give the
// scale d * (2s + 1), bit 15 the sign of the delta 0.125 added to every value before scaling
// (ggml's dequantize_row_iq1_s). No sign bits.
// Prepended to the matrix kernels and embedding.wgsl, with weights_grid.wgsl after it (the rest
// of the interface of weights_f32.wgsl).

const GRID_VEC4S: u32 = 1024u;
const ENTRY_POINTS: u32 = 2u;
const HIGH_BITS: u32 = 3u;

fn grid_unit(base: u32, u: u32) -> GridUnit {
    let sb = u >> 3u;
    let group = GRID_VEC4S + (base >> 2u) + (sb >> 3u) * 25u;
    let block = group + 1u + (sb & 7u) * 3u;
    let j = u & 7u;
    let qh = (weights[block + 2u][j >> 1u] >> (16u * (j & 1u))) & 65535u;
    let d = unpack2x16float(weights[group][(sb >> 1u) & 3u])[sb & 1u];
    let delta = select(0.125, -0.125, (qh & 32768u) != 0u);
    return GridUnit(
        vec2<u32>(weights[block + (j >> 2u)][j & 3u], 0u),
        qh & 4095u,
        0u,
        vec2<f32>(d * f32(2u * ((qh >> 12u) & 7u) + 1u)),
        vec4<f32>(delta - 1.0), // the grid bytes are the values plus 1
    );
}
