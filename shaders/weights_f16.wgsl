// Weight format library: F16 (IEEE half precision), laid out as GGUF writes it (see
// weights_half.wgsl) and read with unpack2x16float, so it needs no `shader-f16`.
// Prepended to the matrix kernels and embedding.wgsl, with weights_half.wgsl after it (the rest of
// the interface of weights_f32.wgsl).

fn halves(w: u32) -> vec2<f32> {
    return unpack2x16float(w);
}
