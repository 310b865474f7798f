// Weight format library: Q4_1, repacked at upload so every load is an aligned vec4<u32> (a GGUF
// block is 20 bytes: f16 d, f16 m, 16 bytes of nibbles): a row's blocks go in groups of up to 8,
// each group one vec4 of its f16 d and one of its f16 m (two per word, the earlier block in the
// low half; zero past the row's last block), then the blocks' nibbles: the same 20 bytes a block
// as GGUF. value = nibble * d + m (ggml's dequantize_row_q4_1).
// Prepended to the matrix kernels and embedding.wgsl, with weights_q4.wgsl after it (the rest of
// the interface of weights_f32.wgsl).

const Q4_SCALES: u32 = 2u;

const Q4_GROUP_UNITS: u32 = 8u;

// The min is applied once per unit as m * sum(x).
const NEEDS_XSUM: bool = true;

fn q4_levels(q: vec4<u32>) -> vec4<f32> {
    return vec4<f32>(q);
}

fn q4_scale_min(group: u32, u: u32) -> vec2<f32> {
    let word = (u >> 1u) & 3u;
    let half = u & 1u;
    return vec2<f32>(unpack2x16float(weights[group][word])[half], unpack2x16float(weights[group + 1u][word])[half]);
}
