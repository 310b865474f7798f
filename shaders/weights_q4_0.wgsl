// Weight format library: Q4_0, repacked at upload so every load is an aligned vec4<u32> (a GGUF
// block is 18 bytes: f16 d, 16 bytes of nibbles): a row's blocks go in groups of up to 8, each
// group one vec4 of its f16 scales (two per word, the earlier block in the low half; zero past the
// row's last block), then the blocks' nibbles. value = (nibble - 8) * d (ggml's
// dequantize_row_q4_0), so (scale, min) = (d, -8 d).
// Prepended to the matrix kernels and embedding.wgsl, with weights_q4.wgsl after it (the rest of
// the interface of weights_f32.wgsl).

const Q4_SCALES: u32 = 1u;

const Q4_GROUP_UNITS: u32 = 8u;

// The -8 offset is applied once per unit as -8 d * sum(x) instead of once per weight.
const NEEDS_XSUM: bool = true;

fn q4_levels(q: vec4<u32>) -> vec4<f32> {
    return vec4<f32>(q);
}

fn q4_scale_min(group: u32, u: u32) -> vec2<f32> {
    let d = unpack2x16float(weights[group][(u >> 1u) & 3u])[u & 1u];
    return vec2<f32>(d, -8.0 * d);
}
