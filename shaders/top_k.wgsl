// Top-k of a vector (k <= 64; k = 1 is argmax), so decoding reads back a few bytes per token.
// Ranking: larger value first, the lower index first among equal values. NaNs are never chosen.
//
// Two entry points, dispatched one after the other in the same pass:
//   partial: workgroup g ranks the top k of x[g * slice .. (g + 1) * slice] into
//            part_values / part_indices[g * k ..], padding with index NONE when the slice is short.
//   merge:   one workgroup ranks the top k of all n_partials * k candidates into result.
// Each ranks by k rounds of selection: a round finds the best element ranked strictly after the
// previous round's pick (each thread scans its strided elements, then a workgroup-memory tree),
// so no per-thread lists are needed and any n works.
//
// Bindings (group 0), the same for both entry points:
//   0: x            storage, read        array<f32>  [n]
//   1: part_values  storage, read_write  array<f32>  [n_partials * k]
//   2: part_indices storage, read_write  array<u32>  [n_partials * k]
//   3: result       storage, read_write  array<u32>  [k indices][k values as f32 bits]
//   4: params       uniform              { n, k, slice, n_partials: u32 }
// Dispatch: partial: n_partials = ceil(n / slice) workgroups of 256; merge: 1 workgroup of 256.

struct Params {
    n: u32,
    k: u32,
    slice: u32,
    n_partials: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> part_values: array<f32>;
@group(0) @binding(2) var<storage, read_write> part_indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> result: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

const WG: u32 = 256u;
const NONE: u32 = 0xFFFFFFFFu;

var<workgroup> best_values: array<f32, WG>;
var<workgroup> best_indices: array<u32, WG>;

// Whether (av, ai) ranks before (bv, bi); NONE ranks last.
fn better(av: f32, ai: u32, bv: f32, bi: u32) -> bool {
    return ai != NONE && (bi == NONE || av > bv || (av == bv && ai < bi));
}

// Ranks candidates e < count, read from x (from_partials false: index begin + e) or from the
// partial lists (true); round r's pick goes to part_*[out + r] or to result[r].
fn rank(lid: u32, from_partials: bool, begin: u32, count: u32, out: u32) {
    var prev_v = 0.0;
    var prev_i = NONE;
    var exhausted = false;
    for (var r = 0u; r < params.k; r++) {
        var bv = 0.0;
        var bi = NONE;
        for (var e = lid; e < count; e += WG) {
            var v: f32;
            var i: u32;
            if (from_partials) {
                v = part_values[e];
                i = part_indices[e];
            } else {
                v = x[begin + e];
                i = begin + e;
            }
            // Strictly after the previous pick in the ranking (every element, in round 0).
            let after = r == 0u || v < prev_v || (v == prev_v && i > prev_i);
            if (!exhausted && after && better(v, i, bv, bi)) {
                bv = v;
                bi = i;
            }
        }
        best_values[lid] = bv;
        best_indices[lid] = bi;
        workgroupBarrier();
        for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
            if (lid < stride && better(best_values[lid + stride], best_indices[lid + stride], best_values[lid], best_indices[lid])) {
                best_values[lid] = best_values[lid + stride];
                best_indices[lid] = best_indices[lid + stride];
            }
            workgroupBarrier();
        }
        prev_v = best_values[0];
        prev_i = best_indices[0];
        exhausted = prev_i == NONE;
        workgroupBarrier();
        if (lid == 0u) {
            if (from_partials) {
                result[r] = prev_i;
                result[params.k + r] = bitcast<u32>(prev_v);
            } else {
                part_values[out + r] = prev_v;
                part_indices[out + r] = prev_i;
            }
        }
    }
}

@compute @workgroup_size(256)
fn partial(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let begin = wid.x * params.slice;
    let count = min(params.slice, params.n - min(begin, params.n));
    rank(lid, false, begin, count, wid.x * params.k);
}

@compute @workgroup_size(256)
fn merge(@builtin(local_invocation_index) lid: u32) {
    rank(lid, true, 0u, params.n_partials * params.k, 0u);
}
