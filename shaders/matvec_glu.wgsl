// Gate and up projections fused with the gated linear unit, for one token: with W the stacked
// [gate; up] weight of 2 * rows rows (one buffer, as core::gpu::Weight stacks ffn_gate and ffn_up
// when they share a type),
//   y[out_offset + r] = glu(dot(W[r], x), dot(W[rows + r], x), act)   for r < rows
// with glu() from activation.wgsl (act 0 SwiGLU, act 1 GeGLU). One dispatch instead of two
// matvecs and glu.wgsl; f32 accumulation.
//
// The GPU kernel (matvec_rows_glu.wgsl is the CPU one), built from activation.wgsl, a
// weights_*.wgsl library, matvec_common.wgsl, matvec.wgsl, this file and a reduction library
// (matvec_tree.wgsl or matvec_subgroup.wgsl); Params as in matvec_common.wgsl with rows = the
// gate's rows (first_row, has_bias and bias unused). A workgroup computes HALF = ROWS / 2 gate
// rows and the HALF up rows that pair with them, as the ROWS rows of one `dots` (each activation
// unit loaded once for both), then pairs the sums through workgroup memory.
//
// Bindings (group 0): 0 weights, 1 x, 2 y, 4 params, as in matvec.wgsl.
// Dispatch: ceil(rows / HALF) workgroups of WG threads, folded into (x, y) past 65,535.

const HALF: u32 = ROWS / 2u;

var<workgroup> sums: array<f32, ROWS>;

@compute @workgroup_size(WG)
fn main_glu(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let rows = params.rows;
    let row0 = (wid.y * groups.x + wid.x) * HALF;
    if (row0 >= rows) {
        return;
    }
    // Gate rows row0 .. row0 + HALF, then their up rows (past the last, the last repeats).
    var bases: array<u32, ROWS>;
    for (var i = 0u; i < HALF; i++) {
        let row = min(row0 + i, rows - 1u);
        bases[i] = row * params.row_words;
        bases[HALF + i] = (rows + row) * params.row_words;
    }
    let sum = reduce(dots(bases, lid, WG), lid);
    if (lid < ROWS) {
        sums[lid] = sum;
    }
    workgroupBarrier();
    if (lid < HALF && row0 + lid < rows) {
        y[params.out_offset + row0 + lid] = glu(sums[lid], sums[HALF + lid], params.act);
    }
}
