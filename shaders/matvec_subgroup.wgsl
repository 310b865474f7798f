// Reduction library of matvec.wgsl and matvec_glu.wgsl with subgroups: appended after them only
// when the adapter has the `subgroups` feature; same interface as matvec_tree.wgsl.
//   reduce(acc, lid): each subgroup sums its partial sums with subgroupAdd; its first active lane
//   (subgroupExclusiveAdd(1) == 0) publishes the sum, and ROWS threads add up the published sums,
//   so one barrier replaces the log2(WG) of the tree. No assumption about the subgroup size or
//   how invocations map to subgroups: every thread writes a slot (zero unless it publishes) and
//   all WG slots are summed. Every thread of the workgroup must call it (it has barriers), once
//   per kernel.

var<workgroup> partial: array<f32, ROWS * WG>;

fn reduce(acc: array<f32, ROWS>, lid: u32) -> f32 {
    let publishes = subgroupExclusiveAdd(1u) == 0u;
    for (var r = 0u; r < ROWS; r++) {
        let s = subgroupAdd(acc[r]);
        partial[r * WG + lid] = select(0.0, s, publishes);
    }
    workgroupBarrier();
    var sum = 0.0;
    if (lid < ROWS) {
        for (var i = 0u; i < WG; i++) {
            sum += partial[lid * WG + i];
        }
    }
    return sum;
}
