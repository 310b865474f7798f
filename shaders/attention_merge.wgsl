// The second half of split decode attention (attention.wgsl compiled with SPLITS > 1): combines
// each head's SPLITS partial results, each over its own share of the keys, into the output:
//   M = max_s m_s;  out = sum_s exp(m_s - M) acc_s / sum_s exp(m_s - M) l_s
// the online softmax's rescaling, applied once per split. A split that saw no keys has
// m_s = LOWEST and l_s = 0, so its weight is exp(LOWEST - M) = 0 (every query sees at least its
// own key, so M is finite).
//
// Prepended by `const SPLITS: u32 = ...;` (as attention.wgsl was), after attention_common.wgsl
// (Params, LOWEST) and step.wgsl (Step).
//
// Bindings (group 0):
//   0: partial storage, read        array<f32>  [n_tokens][n_heads][SPLITS] records of
//                                               head_dim + 2 floats: m, l, the weighted sum
//   1: out     storage, read_write  array<f32>  [n_tokens][n_heads][head_dim]
//   2: params  storage, read        Params      the attention kernel's
//   3: step    uniform              Step        n_tokens of this call
// Dispatch: one workgroup of 64 threads per (token, head), n_tokens * n_heads workgroups folded
// into (x, y) past 65,535. Thread i owns output dimensions i, i + 64, ... (head_dim <= 256).

@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> params: Params;
@group(0) @binding(3) var<uniform> step: Step;

const WG: u32 = 64u;

@compute @workgroup_size(64)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let flat = wid.y * groups.x + wid.x;
    if (flat >= step.n_tokens * params.n_heads) {
        return;
    }
    let head_dim = params.head_dim;
    let records = flat * SPLITS * (head_dim + 2u);
    var big_m = LOWEST;
    for (var s = 0u; s < SPLITS; s++) {
        big_m = max(big_m, partial[records + s * (head_dim + 2u)]);
    }
    var total = 0.0;
    var weights: array<f32, SPLITS>;
    for (var s = 0u; s < SPLITS; s++) {
        let at = records + s * (head_dim + 2u);
        weights[s] = exp(partial[at] - big_m);
        total += weights[s] * partial[at + 1u];
    }
    for (var dim = lid; dim < head_dim; dim += WG) {
        var o = 0.0;
        for (var s = 0u; s < SPLITS; s++) {
            o += weights[s] * partial[records + s * (head_dim + 2u) + 2u + dim];
        }
        out[flat * head_dim + dim] = o / total;
    }
}
