// Weight format library: Q5_K, read in place (a 176-byte GGUF super-block is already 11 whole
// vec4s): vec4 0 is the header (d, dmin and the packed scales and mins, as in Q4_K), vec4s 1-2
// are qh (32 bytes: bit j of byte l is the fifth bit of element l of sub-block j), vec4s 3-10
// the 128 bytes of nibbles (ggml's dequantize_row_q5_K). Llama.cpp's Q5_K_M files are mostly
// Q5_K.
// Prepended to the matrix kernels and embedding.wgsl, with weights_k.wgsl after it (the rest of
// the interface of weights_f32.wgsl).

const K_BLOCK: u32 = 11u;
const K_NIBBLES: u32 = 3u;

fn k_high_bits(sb: u32, h: u32) -> vec4<u32> {
    return weights[sb + 1u + h];
}
