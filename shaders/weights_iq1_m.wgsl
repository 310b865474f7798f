// Weight format library: IQ1_M, repacked at upload so every load is an aligned vec4<u32> with no
// padding (a GGUF super-block is 56 bytes: 32 bytes of qs, 16 of qh, 8 of scales, and no d field):
// a row's super-blocks go in groups of up to 8, each group 4 vec4s of their scales (8 bytes a
// super-block; zero past the row's last), then per super-block its qs and qh (3 vec4s), as GGUF.
// The super-block's d is the f16 whose four nibbles are the top nibbles of its four u16 scales
// words, the first's lowest. Unit u (0..8): nibble l of qh bytes 2u, 2u + 1 (low nibble first)
// holds three index bits above qs byte 4u + l, together an entry of a 2048-entry grid of eight
// values from {-1, 0, 1} (ggml's iq1s_grid, stored here plus 1, as bytes 0-2) for its group l of
// 8 values, and in its bit 3 the sign of the delta 0.125 added to the group's values; bits
// 6 (u % 2) .. of scales word u / 2 hold s for values 0-15, the three above it s for 16-31, each
// scaling by d * (2s + 1) (ggml's dequantize_row_iq1_m). No sign bits.
// Prepended to the matrix kernels and embedding.wgsl, with weights_grid.wgsl after it (the rest
// of the interface of weights_f32.wgsl).

const GRID_VEC4S: u32 = 1024u;
const ENTRY_POINTS: u32 = 2u;
const HIGH_BITS: u32 = 3u;

fn grid_unit(base: u32, u: u32) -> GridUnit {
    let sb = u >> 3u;
    let b = sb & 7u;
    let group = GRID_VEC4S + (base >> 2u) + (sb >> 3u) * 28u;
    let block = group + 4u + b * 3u;
    let j = u & 7u;
    let qh = (weights[block + 2u][j >> 1u] >> (16u * (j & 1u))) & 65535u;
    let nibbles = (vec4<u32>(qh) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u);
    let bits = nibbles & vec4<u32>(7u);
    let delta = select(vec4<f32>(0.125), vec4<f32>(-0.125), (nibbles & vec4<u32>(8u)) != vec4<u32>(0u));
    // Scales words 0-1 in sc.x, 2-3 in sc.y.
    let words = weights[group + (b >> 1u)];
    let sc = select(words.xy, words.zw, (b & 1u) != 0u);
    let d_bits = ((sc.x >> 12u) & 0xFu) | ((sc.x >> 24u) & 0xF0u) | ((sc.y >> 4u) & 0xF00u) | ((sc.y >> 16u) & 0xF000u);
    let d = unpack2x16float(d_bits).x;
    let s = (select(sc.x, sc.y, j >= 4u) >> (16u * ((j >> 1u) & 1u) + 6u * (j & 1u))) & 63u;
    return GridUnit(
        vec2<u32>(weights[block + (j >> 2u)][j & 3u], 0u),
        bits.x | (bits.y << 3u) | (bits.z << 6u) | (bits.w << 9u),
        0u,
        d * vec2<f32>(f32(2u * (s & 7u) + 1u), f32(2u * (s >> 3u) + 1u)),
        delta - 1.0, // the grid bytes are the values plus 1
    );
}
