// Rotary position embedding, in place on x[n_tokens][n_heads][head_dim], token t at position
// step.pos0 + t, as ggml_rope_ext without YaRN (ext_factor 0, attn_factor 1):
//   theta_i = freq_scale * pos * theta_scale^i / freq_factors[i],  theta_scale = freq_base^(-2/n_rot)
// for pair i < n_rot / 2, rotating (x[2i], x[2i+1]) in the normal layout (mode 0, llama) or
// (x[i], x[i + n_rot/2]) in the NeoX layout (mode 2, qwen2, gemma2). Dimensions past n_rot are
// left alone. freq_factors (Llama 3.x rope_freqs.weight) is read only when has_factors != 0.
// The angle is reduced to [0, 2 pi) before cos/sin, whose accuracy is only specified near zero.
//
// Bindings (group 0):
//   0: x       storage, read_write  array<f32>
//   1: factors storage, read        array<f32>  [n_rot / 2]
//   2: params  uniform              Params
//   3: step    uniform              Step
// Dispatch: one thread per pair, ceil(n_tokens * n_heads * n_rot / 2 / 256) workgroups of 256,
// folded into (x, y) past 65,535.

struct Params {
    n_heads: u32,
    head_dim: u32,
    n_rot: u32,
    neox: u32,
    theta_scale: f32,
    freq_scale: f32,
    has_factors: u32,
    _pad0: u32,
}

struct Step {
    pos0: u32,
    n_tokens: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> factors: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<uniform> step: Step;

const TWO_PI: f32 = 6.283185307179586;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let idx = gid.y * groups.x * 256u + gid.x;
    let half = params.n_rot / 2u;
    let head = idx / half; // over all tokens' heads
    if (head >= step.n_tokens * params.n_heads) {
        return;
    }
    let i = idx % half;
    let t = head / params.n_heads;
    let pos = f32(step.pos0 + t);
    var theta = params.freq_scale * pos * pow(params.theta_scale, f32(i));
    if (params.has_factors != 0u) {
        theta /= factors[i];
    }
    theta -= TWO_PI * floor(theta / TWO_PI);
    let c = cos(theta);
    let s = sin(theta);
    let base = head * params.head_dim;
    var a: u32;
    var b: u32;
    if (params.neox != 0u) {
        a = base + i;
        b = base + i + half;
    } else {
        a = base + 2u * i;
        b = a + 1u;
    }
    let x0 = x[a];
    let x1 = x[b];
    x[a] = x0 * c - x1 * s;
    x[b] = x0 * s + x1 * c;
}
