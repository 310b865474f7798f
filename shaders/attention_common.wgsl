// What the attention kernels (attention.wgsl, attention_rows.wgsl) share, not a kernel on its own:
// core::gpu::attention puts it ahead of each kernel's source so the two cannot drift apart from
// each other or from the Rust struct AttentionParams that fills Params.
//   Params:    the layer's shape, fixed when the kernel is bound (see attention.wgsl for each field)
//   (Step, the call's first position and token count, comes from step.wgsl, put ahead of this.)
//   LOWEST:    the running maximum before any key
//   tanh_safe: tanh for Gemma 2's soft-capping, computed from exp in a form that cannot overflow

struct Params {
    n_heads: u32,
    n_kv_heads: u32,
    head_dim: u32,
    n_ctx: u32,
    scale: f32,
    softcap: f32,
    window: u32,
    q_stride: u32,
}

const LOWEST: f32 = -3.4028234e38;

fn tanh_safe(x: f32) -> f32 {
    // 1 - 2 / (e^2|x| + 1): exp overflowing to +inf gives exactly 1.
    let t = 1.0 - 2.0 / (exp(2.0 * abs(x)) + 1.0);
    return select(-t, t, x >= 0.0);
}
