// Weight format library: IQ3_S, repacked at upload so every load is an aligned vec4<u32> (a GGUF
// super-block is 110 bytes: f16 d, 64 bytes of qs, 8 of qh, 32 of signs, 4 of scales): per
// super-block 7 vec4s, the qs (vec4s 0-3), the signs (4-5), then qh, scales and d (6: words 0-1
// qh, word 2 scales, word 3 d in its low half). Unit u (0..8) of a super-block: qs bytes
// 8u .. 8u + 8 and the high bits of qh[u] index a 512-entry grid of values from {1, 3, .., 15}
// (ggml's iq3s_grid), signs bytes 4u .. 4u + 4 are its signs word, and its scale is
// d * (1 + 2 * nibble u of the scales) (ggml's dequantize_row_iq3_s).
// Prepended to the matrix kernels and embedding.wgsl, with weights_grid.wgsl after it (the rest
// of the interface of weights_f32.wgsl).

const GRID_VEC4S: u32 = 128u;
const ENTRY_POINTS: u32 = 1u;
const HIGH_BITS: u32 = 1u;

fn grid_unit(base: u32, u: u32) -> GridUnit {
    let block = GRID_VEC4S + (base >> 2u) + (u >> 3u) * 7u;
    let j = u & 7u;
    let q = weights[block + (j >> 1u)];
    let signs = weights[block + 4u + (j >> 2u)][j & 3u];
    let tail = weights[block + 6u];
    let high = (select(tail.x, tail.y, j >= 4u) >> (8u * (j & 3u))) & 255u;
    let scale = unpack2x16float(tail.w).x * f32(1u + 2u * ((tail.z >> (4u * j)) & 15u));
    return GridUnit(select(q.xy, q.zw, (j & 1u) != 0u), high, signs, vec2<f32>(scale), vec4<f32>(0.0));
}
