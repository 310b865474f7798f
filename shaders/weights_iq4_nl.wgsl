// Weight format library: IQ4_NL, laid out as Q4_0 (see weights_q4_0.wgsl: groups of up to 8
// blocks, one vec4 of their f16 scales, then their nibbles), but each nibble indexes 16
// non-uniform levels (weights_iq4_levels.wgsl): value = levels[nibble] * d.
// Besides IQ4_NL files, llama.cpp puts it in IQ4_XS files (and, in some versions, Q2_K and Q3_K
// files) for matrices whose rows are not whole 256-element super-blocks.
// Prepended to the matrix kernels and embedding.wgsl, with weights_iq4_levels.wgsl and
// weights_q4.wgsl after it (the rest of the interface of weights_f32.wgsl).

const Q4_SCALES: u32 = 1u;

const Q4_GROUP_UNITS: u32 = 8u;

const NEEDS_XSUM: bool = false;

fn q4_scale_min(group: u32, u: u32) -> vec2<f32> {
    return vec2<f32>(unpack2x16float(weights[group][(u >> 1u) & 3u])[u & 1u], 0.0);
}
