// Weight format library: Q4_K, read in place (a 144-byte GGUF super-block is already 9 whole
// vec4s): vec4 0 is the header (d, dmin and the packed scales and mins), vec4s 1-8 the 128 bytes
// of nibbles. There are no fifth bits: value = d * scale_j * nibble - dmin * min_j (ggml's
// dequantize_row_q4_K).
// Prepended to the matrix kernels and embedding.wgsl, with weights_k.wgsl after it (the rest of
// the interface of weights_f32.wgsl).

const K_BLOCK: u32 = 9u;
const K_NIBBLES: u32 = 1u;

fn k_high_bits(sb: u32, h: u32) -> vec4<u32> {
    return vec4<u32>(0u);
}
