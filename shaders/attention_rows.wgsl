// Causal multi-head attention over the KV cache on CPU adapters (lavapipe, SwiftShader): the same
// result as attention.wgsl (see there for the masking, grouped-query heads and soft-capping), laid
// out for a CPU's SIMD lanes. attention.wgsl's threads cooperate on each chunk of 64 keys through
// workgroup memory and four barriers; on a CPU adapter every workgroup-memory load is a scalar load
// per lane and every barrier a switch between coroutines, so there the query, the scores and the
// probabilities cost more loads than the keys and values themselves. Here each invocation walks
// whole keys and values instead: invocation i of a (token, head) takes keys start + i,
// start + i + WG, ... with its own online softmax (running max m, sum l and the weighted sum of
// values acc, all in registers), and the WG partial results are merged once at the end through
// workgroup memory (WG * HEAD_DIM floats: 8 KiB at HEAD_DIM 256). The loads per key are what
// cost, so an f16 cache is read as packed pairs, 8 values a load. f32 arithmetic.
//
// Prepended by `const HEAD_DIM: u32 = ...;` (a multiple of 8, at most 256; constant so the loops
// over a head unroll into registers) and the cache's reader, which declares bindings 1 and 2 and
//   cache8(k, i) -> Eight   values 8i .. 8i + 7 of the keys (k = true) or values, widened to f32
// (attention_rows_f32.wgsl or attention_rows_f16.wgsl), after attention_common.wgsl (Params,
// Step, LOWEST, tanh_safe).
//
// Bindings (group 0): as attention.wgsl, with the cache read in 16-byte loads, out written as
// vec4s, and step read from storage (the CPU kernels keep per-call values out of uniforms, which
// lavapipe specialises shaders on).
// Dispatch: one workgroup of WG = 8 invocations (one 256-bit SIMD vector) per (token, head),
// n_tokens * n_heads workgroups folded into (x, y) past 65,535.

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> params: Params;
@group(0) @binding(5) var<storage, read> step: Step;

const WG: u32 = 8u;
const QUADS: u32 = HEAD_DIM / 4u;
const EIGHTS: u32 = HEAD_DIM / 8u;

var<workgroup> part_m: array<f32, WG>;
var<workgroup> part_l: array<f32, WG>;
var<workgroup> part_acc: array<array<vec4<f32>, QUADS>, WG>;

@compute @workgroup_size(WG)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let pr = params;
    let n_tokens = step.n_tokens;
    let flat = wid.y * groups.x + wid.x;
    let t = flat / pr.n_heads;
    if (t >= n_tokens) {
        return;
    }
    let h = flat % pr.n_heads;
    let kv_h = h / (pr.n_heads / pr.n_kv_heads);
    let kv_stride = pr.n_kv_heads * EIGHTS; // 8-value groups per cache position

    let p = step.pos0 + t;
    let end = min(p + 1u, pr.n_ctx);
    var start = 0u;
    if (pr.window > 0u && p + 1u > pr.window) {
        start = p + 1u - pr.window;
    }

    let q_base = (t * pr.q_stride + h * HEAD_DIM) / 4u;
    var qv: array<vec4<f32>, QUADS>;
    for (var i = 0u; i < QUADS; i++) {
        qv[i] = q[q_base + i];
    }

    // An invocation without keys (fewer than WG of them) keeps m = LOWEST and l = 0.
    var m = LOWEST;
    var l = 0.0;
    var acc: array<vec4<f32>, QUADS>;
    for (var j = start + lid; j < end; j += WG) {
        let base = j * kv_stride + kv_h * EIGHTS;
        var d = 0.0;
        for (var i = 0u; i < EIGHTS; i++) {
            let k = cache8(true, base + i);
            d += dot(qv[2u * i], k.lo) + dot(qv[2u * i + 1u], k.hi);
        }
        var s = d * pr.scale;
        if (pr.softcap > 0.0) {
            s = pr.softcap * tanh_safe(s / pr.softcap);
        }
        let m_new = max(m, s);
        let alpha = exp(m - m_new);
        let w = exp(s - m_new);
        l = l * alpha + w;
        for (var i = 0u; i < EIGHTS; i++) {
            let v = cache8(false, base + i);
            acc[2u * i] = acc[2u * i] * alpha + w * v.lo;
            acc[2u * i + 1u] = acc[2u * i + 1u] * alpha + w * v.hi;
        }
        m = m_new;
    }

    part_m[lid] = m;
    part_l[lid] = l;
    for (var i = 0u; i < QUADS; i++) {
        part_acc[lid][i] = acc[i];
    }
    workgroupBarrier();

    // Every invocation merges the maxima and sums (key p itself is always seen, so the overall
    // max is finite), then writes quads lid, lid + WG, ... of the output.
    var big_m = LOWEST;
    for (var k = 0u; k < WG; k++) {
        big_m = max(big_m, part_m[k]);
    }
    var weights: array<f32, WG>;
    var total = 0.0;
    for (var k = 0u; k < WG; k++) {
        weights[k] = exp(part_m[k] - big_m);
        total += part_l[k] * weights[k];
    }
    let out_base = (t * pr.n_heads + h) * QUADS;
    for (var i = lid; i < QUADS; i += WG) {
        var o = vec4<f32>(0.0);
        for (var k = 0u; k < WG; k++) {
            o += part_acc[k][i] * weights[k];
        }
        out[out_base + i] = o / total;
    }
}
