// RMS norm of each token's row, optionally after adding a residual (the attention or feed-forward
// output joining the residual stream, and the next block's input norm, in one dispatch), for
// tokens t < step.n_tokens:
//   x[t][i] += r[t][i]                                       when add != 0 (x updated in place)
//   y[t][i] = x[t][i] / sqrt(mean_i(x[t][i]^2) + eps) * w[i]
// (ggml_rms_norm followed by ggml_mul; Gemma's 1 + w is already in the GGUF weights). f32
// throughout; the sum of squares is reduced by a workgroup-memory tree.
//
// Bindings (group 0):
//   0: x      storage, read_write  array<f32>  [n_tokens][n]
//   1: r      storage, read        array<f32>  [n_tokens][n]  read only when add != 0
//   2: w      storage, read        array<f32>  [n]
//   3: y      storage, read_write  array<f32>  [n_tokens][n]
//   4: params uniform              { n: u32, eps: f32, add: u32 }
//   5: step   uniform              Step (step.wgsl)
// Dispatch: one workgroup of 256 threads per token, folded into (x, y) past 65,535.

struct Params {
    n: u32,
    eps: f32,
    add: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> r: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<uniform> step: Step;

const WG: u32 = 256u;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let t = wid.y * groups.x + wid.x;
    if (t >= step.n_tokens) {
        return;
    }
    let n = params.n;
    let base = t * n;
    var s = 0.0;
    // Each thread reads back only the elements it wrote.
    for (var i = lid; i < n; i += WG) {
        var v = x[base + i];
        if (params.add != 0u) {
            v += r[base + i];
            x[base + i] = v;
        }
        s += v * v;
    }
    partial[lid] = s;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            partial[lid] += partial[lid + stride];
        }
        workgroupBarrier();
    }
    let inv = 1.0 / sqrt(partial[0] / f32(n) + params.eps);
    for (var i = lid; i < n; i += WG) {
        y[base + i] = x[base + i] * inv * w[i];
    }
}
