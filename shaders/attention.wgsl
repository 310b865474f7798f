// Causal multi-head attention over the KV cache, for queries t < step.n_tokens at positions
// p = step.pos0 + t (decode: one token; prefill: many, each seeing the cache and the tokens before
// it, whose keys rope_kv.wgsl has already stored). Token t's queries start at q[t * q_stride]
// (q_stride > n_heads * head_dim when they sit in a stacked QKV row). Per head h, with kv head
// h / (n_heads / n_kv_heads) (grouped-query attention):
//   s_j = scale * dot(q, k_j);  s_j = cap * tanh(s_j / cap) if cap > 0 (Gemma 2 logit soft-capping)
//   keys j <= p, and p - j < window if window > 0 (sliding window)
//   out = sum_j softmax(s)_j * v_j
// The keys are walked in chunks of 64 with an online (running-max) softmax, so any context length
// works in 1.3 KiB of workgroup memory: per chunk a tree reduction (six halving steps) gives every
// thread the chunk's max; each thread keeps the running sum of its own keys' weights, and those
// are summed once, after the last chunk. (CPU adapters run attention_rows.wgsl instead.)
// Prepended by `const SPLITS: u32 = ...;`. With SPLITS = 1 a workgroup walks all its keys and
// writes the output. Decode over a long context is compiled with SPLITS > 1 (flash-decoding): the
// keys' chunks are shared out among SPLITS workgroups per head, so a few heads still fill a GPU,
// and each writes its partial result (running max, sum of weights, unnormalised weighted sum of
// values) for attention_merge.wgsl to combine. The cache holds `kv` values (an alias
// core::gpu::attention puts ahead of the source: f32, or f16 with `shader-f16`, see rope_kv.wgsl);
// they are widened to f32 as they are read, and all arithmetic is f32. tanh is computed from exp
// in a form that cannot overflow.
//
// Bindings (group 0):
//   0: q       storage, read        array<vec4<f32>>  [n_tokens][q_stride], heads first
//   1: k_cache storage, read        array<vec4<kv>>   [n_ctx][n_kv_heads][head_dim]
//   2: v_cache storage, read        array<kv>         [n_ctx][n_kv_heads][head_dim]
//   3: out     storage, read_write  array<f32>        [n_tokens][n_heads][head_dim]
//   4: params  storage, read        Params  (not a uniform: see core::gpu::kernels::storage_params)
//   5: step    uniform              Step (step.wgsl)
//   6: partial storage, read_write  array<f32>        SPLITS > 1 only: [n_tokens][n_heads][SPLITS]
//                                                     records of head_dim + 2 floats: m, l, the
//                                                     weighted sum (a placeholder with SPLITS = 1)
// (Params, Step, LOWEST and tanh_safe: attention_common.wgsl, which core::gpu::attention puts
// ahead of this file.)
// Dispatch: one workgroup of 64 threads per (token, head, split), n_tokens * n_heads * SPLITS
// workgroups folded into (x, y) past 65,535. Thread i owns output dimensions i, i + 64, ...
// (head_dim <= 256).

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k_cache: array<vec4<kv>>;
@group(0) @binding(2) var<storage, read> v_cache: array<kv>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> params: Params;
@group(0) @binding(5) var<uniform> step: Step;
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;

const WG: u32 = 64u;
const MAX_DIMS_PER_THREAD: u32 = 4u; // head_dim <= 256

var<workgroup> q_shared: array<vec4<f32>, 64>;
var<workgroup> tree: array<f32, WG>;
var<workgroup> probs: array<f32, WG>;

// The max (is_max) or the sum of every thread's `v`, returned to every thread: a tree of halving
// strides over workgroup memory. Call from uniform control flow.
fn workgroup_reduce(lid: u32, v: f32, is_max: bool) -> f32 {
    tree[lid] = v;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            let other = tree[lid + stride];
            tree[lid] = select(tree[lid] + other, max(tree[lid], other), is_max);
        }
        workgroupBarrier();
    }
    let total = tree[0];
    workgroupBarrier(); // everyone has read it before the tree is used again
    return total;
}

@compute @workgroup_size(64)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let index = wid.y * groups.x + wid.x;
    let flat = index / SPLITS;
    let split = index % SPLITS;
    let n_heads = params.n_heads;
    let t = flat / n_heads;
    if (t >= step.n_tokens) {
        return;
    }
    let h = flat % n_heads;
    let kv_h = h / (n_heads / params.n_kv_heads);
    let quads = params.head_dim / 4u;
    let kv_stride = params.n_kv_heads * quads; // vec4s per cache position

    let p = step.pos0 + t;
    let end = min(p + 1u, params.n_ctx);
    var start = 0u;
    if (params.window > 0u && p + 1u > params.window) {
        start = p + 1u - params.window;
    }
    // This split's share of the chunks (all of them with SPLITS = 1); a split past the last
    // chunk walks none and reports m = LOWEST, l = 0.
    let n_chunks = (end - start + WG - 1u) / WG;
    let per_split = (n_chunks + SPLITS - 1u) / SPLITS;
    let first = start + min(split * per_split, n_chunks) * WG;
    let stop = min(start + min((split + 1u) * per_split, n_chunks) * WG, end);

    let q_base = (t * params.q_stride + h * params.head_dim) / 4u;
    for (var i = lid; i < quads; i += WG) {
        q_shared[i] = q[q_base + i];
    }
    workgroupBarrier();

    // m: the running max, the same in every thread; l: the running sum of this thread's own keys'
    // weights (keys c + lid), rescaled with everything else when m grows.
    var m = LOWEST;
    var l = 0.0;
    var acc: array<f32, MAX_DIMS_PER_THREAD>;
    for (var c = first; c < stop; c += WG) {
        let j = c + lid;
        var s = LOWEST;
        if (j < stop) {
            let k_base = j * kv_stride + kv_h * quads;
            var d = 0.0;
            for (var i = 0u; i < quads; i++) {
                d += dot(q_shared[i], vec4<f32>(k_cache[k_base + i]));
            }
            s = d * params.scale;
            if (params.softcap > 0.0) {
                s = params.softcap * tanh_safe(s / params.softcap);
            }
        }
        let m_new = max(m, workgroup_reduce(lid, s, true));
        let alpha = exp(m - m_new);
        let weight = select(0.0, exp(s - m_new), j < stop);
        probs[lid] = weight;
        l = l * alpha + weight;
        workgroupBarrier();

        let count = min(WG, stop - c);
        for (var di = 0u; di < MAX_DIMS_PER_THREAD; di++) {
            let dim = lid + WG * di;
            if (dim < params.head_dim) {
                var a = acc[di] * alpha;
                var v_at = c * kv_stride * 4u + kv_h * params.head_dim + dim;
                for (var i = 0u; i < count; i++) {
                    a += probs[i] * f32(v_cache[v_at]);
                    v_at += kv_stride * 4u;
                }
                acc[di] = a;
            }
        }
        // No barrier needed here: the next chunk's reduction, which every thread must reach
        // before anyone writes probs again, is one.
        m = m_new;
    }
    l = workgroup_reduce(lid, l, false);

    if (SPLITS == 1u) {
        let out_base = (t * n_heads + h) * params.head_dim;
        for (var di = 0u; di < MAX_DIMS_PER_THREAD; di++) {
            let dim = lid + WG * di;
            if (dim < params.head_dim) {
                out[out_base + dim] = acc[di] / l;
            }
        }
        return;
    }
    let record = ((t * n_heads + h) * SPLITS + split) * (params.head_dim + 2u);
    if (lid == 0u) {
        partial[record] = m;
        partial[record + 1u] = l;
    }
    for (var di = 0u; di < MAX_DIMS_PER_THREAD; di++) {
        let dim = lid + WG * di;
        if (dim < params.head_dim) {
            partial[record + 2u + dim] = acc[di];
        }
    }
}
