// Library of the 16-bit float weight formats (weights_f16.wgsl, weights_bf16.wgsl), put after
// either: each row is `cols` 16-bit values, two per word, the first in the low half; unchanged
// from GGUF, and whole vec4s since cols is a multiple of 32. The format library before it gives
// halves(word): the word's two values as f32. Interface as in weights_f32.wgsl.

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// Eight values, first word first.
fn halves8(w: vec4<u32>) -> Part {
    return Part(vec4<f32>(halves(w.x), halves(w.y)), vec4<f32>(halves(w.z), halves(w.w)));
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let w0 = (base >> 2u) + u * 4u;
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let h = halves8(weights[w0 + i]);
        s += dot(h.lo, (*x)[2u * i]) + dot(h.hi, (*x)[2u * i + 1u]);
    }
    return s;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    return halves8(weights[(base >> 2u) + u * 4u + p]);
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let w0 = (base >> 2u) + u * 4u;
    var w: array<vec4<f32>, 8>;
    for (var i = 0u; i < 4u; i++) {
        let h = halves8(weights[w0 + i]);
        w[2u * i] = h.lo;
        w[2u * i + 1u] = h.hi;
    }
    return w;
}
