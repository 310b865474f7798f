// Subgroup variant of matvec.wgsl, appended to it (and to a weights_*.wgsl library) only when the
// adapter has the `subgroups` feature: entry point `main_subgroup`, same bindings and dispatch.
// Each subgroup sums its partial products with subgroupAdd; its first lane publishes the sum, and
// ROWS threads add up the published sums, so one barrier replaces the log2(WG) of the tree.
// No assumption about the subgroup size or how invocations map to subgroups: every thread writes
// a slot (zero unless it is a subgroup's first lane) and all WG slots are summed.

@compute @workgroup_size(WG)
fn main_subgroup(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let row0 = (wid.y * groups.x + wid.x) * ROWS;
    if (row0 >= params.rows) {
        return;
    }
    let acc = accumulate(row0, lid);
    for (var r = 0u; r < ROWS; r++) {
        let s = subgroupAdd(acc[r]);
        partial[r * WG + lid] = select(0.0, s, lane == 0u);
    }
    workgroupBarrier();
    if (lid < ROWS) {
        var sum = 0.0;
        for (var i = 0u; i < WG; i++) {
            sum += partial[lid * WG + i];
        }
        store(row0, lid, sum);
    }
}
