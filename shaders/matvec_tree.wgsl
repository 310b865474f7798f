// Reduction library of matvec.wgsl and matvec_glu.wgsl, portable: appended after them when the
// adapter has no subgroups (or they are turned off).
//   reduce(acc, lid): sums the WG threads' partial sums of each of the ROWS rows by a
//   workgroup-memory tree; thread r < ROWS gets row r's sum. Every thread of the workgroup must
//   call it (it has barriers), once per kernel. Workgroup memory: ROWS * WG floats (1 KiB).

var<workgroup> partial: array<f32, ROWS * WG>;

fn reduce(acc: array<f32, ROWS>, lid: u32) -> f32 {
    for (var r = 0u; r < ROWS; r++) {
        partial[r * WG + lid] = acc[r];
    }
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            for (var r = 0u; r < ROWS; r++) {
                partial[r * WG + lid] += partial[r * WG + lid + stride];
            }
        }
        workgroupBarrier();
    }
    return partial[min(lid, ROWS - 1u) * WG];
}
