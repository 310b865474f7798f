// Weight format library: F16, as core::gpu::Weight uploads it (each row is `cols` halves, two per
// word, the first in the low half; unchanged from GGUF). Read with unpack2x16float, so it needs no
// `shader-f16`. Prepended to matvec.wgsl, matmul.wgsl and embedding.wgsl; interface as in
// weights_f32.wgsl.

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

fn f16x4_at(w: u32) -> vec4<f32> {
    return vec4<f32>(unpack2x16float(weights[w]), unpack2x16float(weights[w + 1u]));
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let w0 = base + u * 16u;
    var s = 0.0;
    for (var i = 0u; i < 8u; i++) {
        s += dot(f16x4_at(w0 + 2u * i), (*x)[i]);
    }
    return s;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let w0 = base + u * 16u + 4u * p;
    return Part(f16x4_at(w0), f16x4_at(w0 + 2u));
}
