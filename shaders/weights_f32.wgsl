// Weight format library: F32, as core::gpu::Weight uploads it (each row is `cols` f32 bit patterns,
// unchanged from GGUF). Not a kernel on its own: prepended to the matrix kernels (matvec*.wgsl,
// matmul*.wgsl) and embedding.wgsl, which take the weights at binding 0 and locate rows in u32
// words.
//
// Every format library declares that binding, read in the widest aligned loads its layout allows
// (vec4<u32> where rows are whole vec4s: a CPU adapter pays per load, not per byte), and provides
// the same interface over 32-element units of a row:
//   NEEDS_XSUM                   whether unit_dot uses the sum of the activation unit
//   unit_dot(base, u, x, xsum)   dot(unit u of the row starting at word `base`, x[0..8] as vec4s)
// and, for matvec_rows.wgsl's whole-row walk, steps of units whose loads overlap (a library whose
// units share no words, this one included, takes them from weights_unit_step.wgsl):
//   STEP_UNITS                   units per step
//   step_unit(s, k)              the k-th unit of step s (k < STEP_UNITS)
//   step_dot(base, s, x, xsum)   the sum of unit_dot over the units of step s, each word loaded
//                                once; x[k] and xsum[k] belong to unit step_unit(s, k)
//   part_load(base, u, p)        elements 8p..8p+7 of unit u, dequantized to f32
//   unit_load(base, u)           all 32 elements of unit u, dequantized, in the fewest loads

@group(0) @binding(0) var<storage, read> weights: array<vec4<u32>>;

const NEEDS_XSUM: bool = false;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let w0 = (base >> 2u) + u * 8u;
    var s = 0.0;
    for (var i = 0u; i < 8u; i++) {
        s += dot(bitcast<vec4<f32>>(weights[w0 + i]), (*x)[i]);
    }
    return s;
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let w0 = (base >> 2u) + u * 8u + 2u * p;
    return Part(bitcast<vec4<f32>>(weights[w0]), bitcast<vec4<f32>>(weights[w0 + 1u]));
}

fn unit_load(base: u32, u: u32) -> array<vec4<f32>, 8> {
    let w0 = (base >> 2u) + u * 8u;
    var w: array<vec4<f32>, 8>;
    for (var i = 0u; i < 8u; i++) {
        w[i] = bitcast<vec4<f32>>(weights[w0 + i]);
    }
    return w;
}
