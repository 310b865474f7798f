// Logit soft-capping, in place: x[i] = cap * tanh(x[i] / cap) for i < n (Gemma 2's final logits,
// cap 30). tanh is computed from exp in a form that cannot overflow.
//
// Bindings (group 0):
//   0: x      storage, read_write  array<f32>
//   1: params uniform              { n: u32, cap: f32 }
// Dispatch: ceil(n / 256) workgroups of 256 threads, folded into (x, y) past 65,535.

struct Params {
    n: u32,
    cap: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

fn tanh_safe(x: f32) -> f32 {
    let t = 1.0 - 2.0 / (exp(2.0 * abs(x)) + 1.0);
    return select(-t, t, x >= 0.0);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.y * groups.x * 256u + gid.x;
    if (i < params.n) {
        x[i] = params.cap * tanh_safe(x[i] / params.cap);
    }
}
