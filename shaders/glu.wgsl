// Gated linear unit of the feed-forward block, in place on gate, for tokens t < step.n_tokens:
//   SwiGLU (act 0): gate[i] = silu(gate[i]) * up[i],       silu(x) = x / (1 + e^-x)
//   GeGLU  (act 1): gate[i] = gelu_tanh(gate[i]) * up[i],  gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// over n = n_tokens * width floats. tanh is computed from exp in a form that cannot overflow.
//
// Bindings (group 0):
//   0: gate   storage, read_write  array<f32>  [n_tokens][width]
//   1: up     storage, read        array<f32>  [n_tokens][width]
//   2: params uniform              { width: u32, act: u32 }
//   3: step   uniform              Step
// Dispatch: ceil(n / 256) workgroups of 256 threads, folded into (x, y) past 65,535.

struct Params {
    width: u32,
    act: u32,
    _pad0: u32,
    _pad1: u32,
}

struct Step {
    pos0: u32,
    n_tokens: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> gate: array<f32>;
@group(0) @binding(1) var<storage, read> up: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<uniform> step: Step;

fn tanh_safe(x: f32) -> f32 {
    let t = 1.0 - 2.0 / (exp(2.0 * abs(x)) + 1.0);
    return select(-t, t, x >= 0.0);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.y * groups.x * 256u + gid.x;
    if (i >= step.n_tokens * params.width) {
        return;
    }
    let g = gate[i];
    var a: f32;
    if (params.act == 0u) {
        a = g / (1.0 + exp(-g));
    } else {
        a = 0.5 * g * (1.0 + tanh_safe(0.7978845608028654 * (g + 0.044715 * g * g * g)));
    }
    gate[i] = a * up[i];
}
