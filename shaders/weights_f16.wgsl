// Weight format library: F16, as core::gpu::Weight uploads it (each row is `cols` halves, two per
// word, the first in the low half; unchanged from GGUF, and whole vec4s since cols is a multiple
// of 32). Read with unpack2x16float, so it needs no `shader-f16`. Prepended to the matrix
// kernels and embedding.wgsl; interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// Eight halves, first word first.
fn f16x8(w: vec4<u32>) -> Part {
    return Part(
        vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)),
        vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w)),
    );
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let w0 = (base >> 2u) + u * 4u;
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let h = f16x8(weights[w0 + i]);
        s += dot(h.lo, (*x)[2u * i]) + dot(h.hi, (*x)[2u * i + 1u]);
    }
    return s;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    return f16x8(weights[(base >> 2u) + u * 4u + p]);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let w0 = (base >> 2u) + u * 4u;
    var w: array<vec4<f32>, 8>;
    for (var i = 0u; i < 4u; i++) {
        let h = f16x8(weights[w0 + i]);
        w[2u * i] = h.lo;
        w[2u * i + 1u] = h.hi;
    }
    return w;
}
