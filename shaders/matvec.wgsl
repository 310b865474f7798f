// Matrix-vector product for one token: y[out_offset + first_row + r] = dot(W[r], x)
// (+ bias[first_row + r]) for the rows r of one weight chunk (core::gpu::Weight splits tensors
// larger than a storage binding by rows; each chunk is one dispatch). out_offset places the rows
// inside a wider output (the q, k and v parts of a stacked row). f32 accumulation. The GPU
// kernel; matvec_rows.wgsl computes the same on CPU adapters.
//
// Prepended by one weights_*.wgsl library, which dequantizes 32-element units of a row, and
// matvec_common.wgsl (Params, the other bindings, dots, store).
// A workgroup of WG threads computes ROWS consecutive rows; its threads split each row into
// 32-element units (thread t takes units t, t + WG, ...), keep the activation unit in registers
// and reuse it for all ROWS rows, then `reduce` sums the WG partial sums of each row. WG and ROWS
// are constants core::gpu::matvec puts ahead of the source, by row length (WG * ROWS = 256):
// 32 x 8 for rows of up to 96 units, 128 x 2 beyond, so the long rows of a feed-forward down
// projection (few rows) still spread over many workgroups and threads.
// `reduce` comes from the reduction library appended after this file (and after matvec_glu.wgsl,
// which uses it too): matvec_tree.wgsl (a workgroup-memory tree, portable) or
// matvec_subgroup.wgsl (subgroupAdd, when the adapter has subgroups).
//
// Bindings (group 0): as matvec_common.wgsl, with
//   1: x       storage, read        array<vec4<f32>>  cols floats
// Dispatch: ceil(rows / ROWS) workgroups of WG threads, folded into (x, y) when that exceeds
// 65,535 per dimension.

@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;

// Word offsets of rows row0 .. row0 + ROWS; rows past `last` repeat it, so the loops have no
// branch (their sums are dropped).
fn row_bases(row0: u32, last: u32) -> array<u32, ROWS> {
    var bases: array<u32, ROWS>;
    for (var r = 0u; r < ROWS; r++) {
        bases[r] = min(row0 + r, last) * params.row_words;
    }
    return bases;
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
    let sum = reduce(dots(row_bases(row0, params.rows - 1u), lid, WG), lid);
    if (lid < ROWS) {
        store(row0 + lid, sum);
    }
}
