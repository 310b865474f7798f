// Library of the Q4_K and Q5_K weight formats (weights_q4_k.wgsl, weights_q5_k.wgsl), put ahead of
// either: their shared 12 bytes of packed 6-bit scales and mins, in a super-block's header vec4
// (word 0 = d | dmin << 16, words 1-3 the packed bytes). No bindings, no entry point.

// Byte b (0..12) of the packed scales in a super-block's header vec4.
fn scale_byte(h: vec4<u32>, b: u32) -> u32 {
    return (h[1u + (b >> 2u)] >> (8u * (b & 3u))) & 0xFFu;
}

// (d * scale_j, dmin * min_j) for sub-block j: ggml's get_scale_min_k4.
fn scale_min(h: vec4<u32>, j: u32) -> vec2<f32> {
    var sc: u32;
    var m: u32;
    if (j < 4u) {
        sc = scale_byte(h, j) & 63u;
        m = scale_byte(h, j + 4u) & 63u;
    } else {
        sc = (scale_byte(h, j + 4u) & 0xFu) | ((scale_byte(h, j - 4u) >> 6u) << 4u);
        m = (scale_byte(h, j + 4u) >> 4u) | ((scale_byte(h, j) >> 6u) << 4u);
    }
    let dm = unpack2x16float(h.x);
    return vec2<f32>(dm.x * f32(sc), dm.y * f32(m));
}
