// Weight format library: Q5_1, repacked at upload so every load is an aligned vec4<u32> (a GGUF
// block is 24 bytes: f16 d, f16 m, 4 bytes qh, 16 bytes qs): a row's blocks go in groups of up to
// 8, each group one vec4 of its f16 d, one of its f16 m (two per word, the earlier block in the
// low half), two vec4s of their qh words (one per block), all zero past the row's last block,
// then one vec4 per block of its 16 bytes of nibbles, unchanged from GGUF: the same 24 bytes a
// block as GGUF. value = q * d + m (ggml's dequantize_row_q5_1). Llama.cpp's Q5_K_M files use
// Q5_1 for matrices whose rows are not whole 256-element super-blocks.
// Prepended to the matrix kernels and embedding.wgsl, with weights_q5.wgsl after it (the rest of
// the interface of weights_f32.wgsl).

const Q5_GROUP: u32 = 12u;
const Q5_QH: u32 = 2u;

fn q5_scale_min(group: u32, u: u32) -> vec2<f32> {
    let word = (u >> 1u) & 3u;
    let half = u & 1u;
    return vec2<f32>(unpack2x16float(weights[group][word])[half], unpack2x16float(weights[group + 1u][word])[half]);
}
