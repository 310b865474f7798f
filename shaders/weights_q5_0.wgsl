// Weight format library: Q5_0, repacked at upload so every load is an aligned vec4<u32> (a GGUF
// block is 22 bytes: f16 d, 4 bytes qh, 16 bytes qs): a row's blocks go in groups of up to 8,
// each group one vec4 of its f16 scales (two per word, the earlier block in the low half), two
// vec4s of their qh words (one per block), both zero past the row's last block, then one vec4
// per block of its 16 bytes of nibbles, unchanged from GGUF: the same 22 bytes a block as GGUF.
// value = (q - 16) * d (ggml's dequantize_row_q5_0), so (scale, min) = (d, -16 d). Llama.cpp's
// Q4_K_M and Q5_K_M files use Q5_0 for matrices whose rows are not whole 256-element super-blocks
// (all of Qwen2.5-0.5B's 896-column ones).
// Prepended to the matrix kernels and embedding.wgsl, with weights_q5.wgsl after it (the rest of
// the interface of weights_f32.wgsl).

const Q5_GROUP: u32 = 11u;
const Q5_QH: u32 = 1u;

fn q5_scale_min(group: u32, u: u32) -> vec2<f32> {
    let d = unpack2x16float(weights[group][(u >> 1u) & 3u])[u & 1u];
    return vec2<f32>(d, -16.0 * d);
}
