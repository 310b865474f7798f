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
// store). Rows are walked a step of the format's STEP_UNITS units at a time (its step_dot), so the
// K-quant words that several units share are loaded once. A workgroup of WG = 16 invocations
// computes WG * ROWS = 64 rows: invocation i takes rows row0 + i + k * WG for k < ROWS.
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
    let sums = row_dots(bases);
    for (var k = 0u; k < ROWS; k++) {
        store(row0 + k * WG, sums[k]);
    }
}

// The dot products of x with the ROWS whole rows at word offsets `bases`, a step at a time, each
// step's activations loaded once for all ROWS rows. K-quant rows are whole super-blocks, so
// whole steps.
fn row_dots(bases: array<u32, ROWS>) -> array<f32, ROWS> {
    var acc: array<f32, ROWS>;
    for (var s = 0u; s < params.units / STEP_UNITS; s++) {
        var xv: array<array<vec4<f32>, 8>, STEP_UNITS>;
        var xsum: array<f32, STEP_UNITS>;
        for (var k = 0u; k < STEP_UNITS; k++) {
            // An explicit 0 per step: Chromium's WGSL compiler on SwiftShader did not zero a
            // loop-body `var` on each iteration, so `xsum[k] +=` summed across steps there.
            var sum = 0.0;
            for (var i = 0u; i < 8u; i++) {
                xv[k][i] = x[step_unit(s, k) * 8u + i];
                if (NEEDS_XSUM) {
                    sum += dot(xv[k][i], vec4<f32>(1.0));
                }
            }
            xsum[k] = sum;
        }
        for (var r = 0u; r < ROWS; r++) {
            acc[r] += step_dot(bases[r], s, &xv, &xsum);
        }
    }
    return acc;
}
