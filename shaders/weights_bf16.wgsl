// Weight format library: BF16 (bfloat16, the top half of an f32), laid out as GGUF writes it (see
// weights_half.wgsl): each value is its 16 bits moved to the top of an f32, exactly.
// Prepended to the matrix kernels and embedding.wgsl, with weights_half.wgsl after it (the rest of
// the interface of weights_f32.wgsl).

fn halves(w: u32) -> vec2<f32> {
    return bitcast<vec2<f32>>(vec2<u32>(w << 16u, w & 0xFFFF0000u));
}
