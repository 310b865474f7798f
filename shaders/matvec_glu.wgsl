// Gate and up projections fused with the gated linear unit, for one token: with W the stacked
// [gate; up] weight of 2 * rows rows (one buffer, as core::gpu::Weight stacks ffn_gate and ffn_up
// when they share a type),
//   y[out_offset + r] = glu(dot(W[r], x), dot(W[rows + r], x), act)   for r < rows
// with glu() from activation.wgsl (act 0 SwiGLU, act 1 GeGLU). One dispatch instead of two
// matvecs and glu.wgsl; f32 accumulation.
//
// Appended to activation.wgsl, a weights_*.wgsl library and matvec.wgsl, whose bindings, Params
// (rows = the gate's rows; first_row, has_bias and bias unused) and `accumulate` it uses, and
// followed by a reduction library (matvec_tree.wgsl or matvec_subgroup.wgsl) for `reduce`.
// A workgroup computes ROWS gate rows and the ROWS up rows that pair with them.
//
// Bindings (group 0): 0 weights, 1 x, 2 y, 4 params, as in matvec.wgsl.
// Dispatch: ceil(rows / ROWS) workgroups of WG threads, folded into (x, y) past 65,535.

@compute @workgroup_size(WG)
fn main_glu(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let rows = params.rows;
    let row0 = (wid.y * groups.x + wid.x) * ROWS;
    if (row0 >= rows) {
        return;
    }
    let gate = reduce(accumulate(row0, rows - 1u, lid), lid);
    let up = reduce(accumulate(rows + row0, 2u * rows - 1u, lid), lid);
    if (lid < ROWS && row0 + lid < rows) {
        y[params.out_offset + row0 + lid] = glu(gate, up, params.act);
    }
}
