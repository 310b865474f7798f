// Gate and up projections fused with the gated linear unit, for one token, on CPU adapters: the
// same result as matvec_glu.wgsl,
//   y[out_offset + r] = glu(dot(W[r], x), dot(W[rows + r], x), act)   for r < rows
// with W the stacked [gate; up] weight in one buffer and glu() from activation.wgsl, computed as
// matvec_rows.wgsl does: each invocation walks whole rows, here ROWS / 2 = 2 gate rows and their
// 2 up rows (one activation unit serves all four), then applies glu itself; no barriers.
//
// Built from activation.wgsl, a weights_*.wgsl library, matvec_common.wgsl, matvec_rows.wgsl and
// this file; Params as in matvec_common.wgsl with rows = the gate's rows (first_row, has_bias and
// bias unused). A workgroup computes WG * ROWS / 2 = 32 gate rows.
//
// Bindings (group 0): 0 weights, 1 x (uniform), 2 y, 4 params, as in matvec_rows.wgsl.
// Dispatch: ceil(rows / 32) workgroups of WG invocations, folded into (x, y) past 65,535.

@compute @workgroup_size(WG)
fn main_glu(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let rows = params.rows;
    let row0 = (wid.y * groups.x + wid.x) * WG * (ROWS / 2u) + lid;
    var bases: array<u32, ROWS>;
    for (var k = 0u; k < ROWS / 2u; k++) {
        let row = min(row0 + k * WG, rows - 1u);
        bases[k] = row * params.row_words;
        bases[ROWS / 2u + k] = (rows + row) * params.row_words;
    }
    let sums = row_dots(bases);
    for (var k = 0u; k < ROWS / 2u; k++) {
        let row = row0 + k * WG;
        if (row < rows) {
            y[params.out_offset + row] = glu(sums[k], sums[ROWS / 2u + k], params.act);
        }
    }
}
