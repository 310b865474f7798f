// Library of the matrix-vector kernels (matvec.wgsl for GPUs, matvec_rows.wgsl for CPU adapters,
// and their fused gate/up variants): not a kernel on its own. Prepended by one weights_*.wgsl
// library; the kernel after it declares the activation `x` (binding 1: storage in matvec.wgsl,
// uniform in matvec_rows.wgsl) and ROWS, the rows one invocation accumulates.
//   dots(bases, first, step)  this invocation's share of the dot products of x with the ROWS rows
//                             at word offsets `bases`: units first, first + step, ... of each,
//                             each activation unit loaded once for all ROWS rows (the GPU
//                             kernels: matvec_rows.wgsl walks whole rows with its row_dots)
//   store(row, sum)           y[out_offset + first_row + row] = sum (+ bias[first_row + row]),
//                             for rows of this chunk only
//
// Bindings (group 0), shared by every matrix-vector kernel:
//   0: weights storage, read        array<vec4<u32>>  one chunk, `row_words` u32 words per row,
//                                               declared by the format library
//   1: x       (declared by the kernel)          cols floats
//   2: y       storage, read_write  array<f32>  out_offset + all rows of the whole tensor
//   3: bias    storage, read        array<f32>  read only when has_bias != 0
//   4: params  uniform              Params

struct Params {
    rows: u32,
    units: u32,
    row_words: u32,
    first_row: u32,
    has_bias: u32,
    out_offset: u32,
    act: u32, // the fused gate/up kernels only
    _pad0: u32,
}

@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn dots(bases: array<u32, ROWS>, first: u32, step: u32) -> array<f32, ROWS> {
    var acc: array<f32, ROWS>;
    for (var u = first; u < params.units; u += step) {
        var xv: array<vec4<f32>, 8>;
        var xsum = 0.0;
        for (var i = 0u; i < 8u; i++) {
            xv[i] = x[u * 8u + i];
            if (NEEDS_XSUM) {
                xsum += dot(xv[i], vec4<f32>(1.0));
            }
        }
        for (var r = 0u; r < ROWS; r++) {
            acc[r] += unit_dot(bases[r], u, &xv, xsum);
        }
    }
    return acc;
}

fn store(row: u32, sum: f32) {
    if (row < params.rows) {
        let out = params.first_row + row;
        var v = sum;
        if (params.has_bias != 0u) {
            v += bias[out];
        }
        y[params.out_offset + out] = v;
    }
}
