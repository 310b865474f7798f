// Weight format library: F32, as core::gpu::Weight uploads it (each row is `cols` f32 bit patterns,
// unchanged from GGUF). Not a kernel on its own: prepended to matvec.wgsl, matmul.wgsl and
// embedding.wgsl, which declare `weights: array<u32>`.
//
// Every format library provides the same interface over 32-element units of a row:
//   NEEDS_XSUM                   whether unit_dot uses the sum of the activation unit
//   unit_dot(base, u, x, xsum)   dot(unit u of the row starting at word `base`, x[0..8] as vec4s)
//   part_load(base, u, p)        elements 8p..8p+7 of unit u, dequantized to f32

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

fn f32x4_at(w: u32) -> vec4<f32> {
    return bitcast<vec4<f32>>(vec4<u32>(weights[w], weights[w + 1u], weights[w + 2u], weights[w + 3u]));
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let w0 = base + u * 32u;
    var s = 0.0;
    for (var i = 0u; i < 8u; i++) {
        s += dot(f32x4_at(w0 + 4u * i), (*x)[i]);
    }
    return s;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let w0 = base + u * 32u + 8u * p;
    return Part(f32x4_at(w0), f32x4_at(w0 + 4u));
}
