// Matrix-vector product for one token on CPU adapters (lavapipe, SwiftShader): the same result
// as matvec.wgsl, y[out_offset + first_row + r] = dot(W[r], x) (+ bias[first_row + r]) for the
// rows r of one weight chunk, computed a whole row per invocation. On a CPU adapter an invocation
// is one SIMD lane, and a storage-buffer load is a scalar load per lane and per 32-bit word
// (llvmpipe), so the loads are what costs. Here each invocation walks ROWS = 4 whole rows (one
// activation unit serves four rows), and x comes from a uniform buffer that every lane reads at
// the same index, which the CPU compiles to one load broadcast to all lanes; no reduction, no
// workgroup memory, no barriers. (On a GPU the lanes' weight reads would be rows apart, not
// coalesced: matvec.wgsl is the GPU kernel.) f32 accumulation.
//
// Prepended by one weights_*.wgsl library and matvec_common.wgsl (Params, the other bindings,
// dots, store). A workgroup of WG = 16 invocations computes WG * ROWS = 64 rows: invocation i
// takes rows row0 + i + k * WG for k < ROWS.
//
// Bindings (group 0): as matvec_common.wgsl, with
//   1: x       uniform              array<vec4<f32>, 4096>  the buffer's first 64 KiB; cols <= 16384
// Dispatch: ceil(rows / 64) workgroups of WG invocations, folded into (x, y) past 65,535.

@group(0) @binding(1) var<uniform> x: array<vec4<f32>, 4096>;

const WG: u32 = 16u;
const ROWS: u32 = 4u;

@compute @workgroup_size(WG)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let row0 = (wid.y * groups.x + wid.x) * WG * ROWS + lid;
    var bases: array<u32, ROWS>;
    for (var k = 0u; k < ROWS; k++) {
        // Rows past the end repeat the last one (no branch in the loop); store() drops them.
        bases[k] = min(row0 + k * WG, params.rows - 1u) * params.row_words;
    }
    let sums = dots(bases, 0u, 1u); // whole rows
    for (var k = 0u; k < ROWS; k++) {
        store(row0 + k * WG, sums[k]);
    }
}
