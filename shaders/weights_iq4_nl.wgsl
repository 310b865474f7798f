// Weight format library: IQ4_NL, laid out as Q4_0 (see weights_q4_0.wgsl: groups of up to 8
// blocks, one vec4 of their f16 scales, then their nibbles), but each nibble indexes 16
// non-uniform levels, denser near zero (ggml's kvalues_iq4nl): value = levels[nibble] * d.
// Besides IQ4_NL files, some llama.cpp versions put it in Q2_K and Q3_K files for matrices whose
// rows are not whole 256-element super-blocks (the version our goldens use falls back to Q4_0).
// Prepended to the matrix kernels and embedding.wgsl, with weights_q4.wgsl after it (the rest of
// the interface of weights_f32.wgsl).

const Q4_SCALES: u32 = 1u;

const NEEDS_XSUM: bool = false;

// The levels as signed bytes, four to a word, looked up per component: a vector, unlike an array,
// may be indexed at run time without a copy to memory on every backend.
fn q4_levels(q: vec4<u32>) -> vec4<f32> {
    let levels = vec4<u32>(0xBFAD9881u, 0xF6EADDCFu, 0x26190D01u, 0x71594535u);
    let words = vec4<u32>(levels[q.x >> 2u], levels[q.y >> 2u], levels[q.z >> 2u], levels[q.w >> 2u]);
    let shifted = bitcast<vec4<i32>>(words << (vec4<u32>(24u) - 8u * (q & vec4<u32>(3u))));
    return vec4<f32>(shifted >> vec4<u32>(24u));
}

fn q4_scale_min(group: u32, u: u32) -> vec2<f32> {
    return vec2<f32>(unpack2x16float(weights[group][(u >> 1u) & 3u])[u & 1u], 0.0);
}
