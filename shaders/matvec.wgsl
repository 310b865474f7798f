// Matrix-vector product for one token: y[out_offset + first_row + r] = dot(W[r], x)
// (+ bias[first_row + r]) for the rows r of one weight chunk (core::gpu::Weight splits tensors
// larger than a storage binding by rows; each chunk is one dispatch). out_offset places the rows
// inside a wider output (the q, k and v parts of a stacked row). f32 accumulation.
//
// Prepended by one weights_*.wgsl library, which dequantizes 32-element units of a row.
// A workgroup of WG = 32 threads computes ROWS = 8 consecutive rows; its threads split each row
// into 32-element units (thread t takes units t, t + WG, ...), keep the activation unit in
// registers and reuse it for all ROWS rows, then `reduce` sums the WG partial sums of each row.
// `reduce` comes from the reduction library appended after this file (and after matvec_glu.wgsl,
// which uses it too): matvec_tree.wgsl (a workgroup-memory tree, portable) or
// matvec_subgroup.wgsl (subgroupAdd, when the adapter has subgroups).
//
// Bindings (group 0):
//   0: weights storage, read        array<u32>        one chunk, `row_words` words per row
//   1: x       storage, read        array<vec4<f32>>  cols floats
//   2: y       storage, read_write  array<f32>        out_offset + all rows of the whole tensor
//   3: bias    storage, read        array<f32>        read only when has_bias != 0
//   4: params  uniform              Params
// Dispatch: ceil(rows / ROWS) workgroups of WG threads, folded into (x, y) when that exceeds
// 65,535 per dimension.

struct Params {
    rows: u32,
    units: u32,
    row_words: u32,
    first_row: u32,
    has_bias: u32,
    out_offset: u32,
    act: u32, // matvec_glu.wgsl only
    _pad0: u32,
}

@group(0) @binding(0) var<storage, read> weights: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// One subgroup on most GPUs; on CPU adapters (lavapipe, SwiftShader) more rows per workgroup
// share each activation load, which is what limits them (measured: 32 x 8 beats 64 x 4 by 1.5x).
const WG: u32 = 32u;
const ROWS: u32 = 8u;

// Word offsets of rows row0 .. row0 + ROWS; rows past `last` repeat it, so the loops have no
// branch (their sums are dropped).
fn row_bases(row0: u32, last: u32) -> array<u32, ROWS> {
    var bases: array<u32, ROWS>;
    for (var r = 0u; r < ROWS; r++) {
        bases[r] = min(row0 + r, last) * params.row_words;
    }
    return bases;
}

// This thread's share of the dot products of the ROWS rows starting at words `bases`.
fn accumulate(bases: array<u32, ROWS>, lid: u32) -> array<f32, ROWS> {
    var acc: array<f32, ROWS>;
    for (var u = lid; u < params.units; u += WG) {
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

fn store(row0: u32, r: u32, sum: f32) {
    let row = row0 + r;
    if (row < params.rows) {
        let out = params.first_row + row;
        var v = sum;
        if (params.has_bias != 0u) {
            v += bias[out];
        }
        y[params.out_offset + out] = v;
    }
}

@compute @workgroup_size(WG)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let row0 = (wid.y * groups.x + wid.x) * ROWS;
    if (row0 >= params.rows) {
        return;
    }
    let sum = reduce(accumulate(row_bases(row0, params.rows - 1u), lid), lid);
    if (lid < ROWS) {
        store(row0, lid, sum);
    }
}
