// Weight format library: Q8_0, repacked at upload so every load is an aligned u32 (a GGUF block is
// 34 bytes): blocks go in pairs of 17 words, [d0 | d1 << 16][qs0: 8 words][qs1: 8 words], the same
// bytes as GGUF, reordered; an odd last block is paired with a zero block. value = i8 * d.
// Prepended to matvec.wgsl, matmul.wgsl and embedding.wgsl; interface as in weights_f32.wgsl.

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// The four signed bytes of a word, first byte first.
fn i8x4(w: u32) -> vec4<f32> {
    return vec4<f32>((vec4<i32>(bitcast<i32>(w)) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u));
}

fn scale(pw: u32, u: u32) -> f32 {
    return unpack2x16float(weights[pw])[u & 1u];
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let pw = base + (u >> 1u) * 17u;
    let qs = pw + 1u + (u & 1u) * 8u;
    var s = 0.0;
    for (var i = 0u; i < 8u; i++) {
        s += dot(i8x4(weights[qs + i]), (*x)[i]);
    }
    return s * scale(pw, u);
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let pw = base + (u >> 1u) * 17u;
    let qs = pw + 1u + (u & 1u) * 8u + 2u * p;
    let d = scale(pw, u);
    return Part(i8x4(weights[qs]) * d, i8x4(weights[qs + 1u]) * d);
}
