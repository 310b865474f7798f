// The parameters of the attention kernels (attention.wgsl, attention_rows.wgsl), not a kernel on
// its own: core::gpu::attention puts it ahead of each kernel's source so the two cannot drift
// apart from each other or from the Rust struct AttentionParams that fills Params.
//   Params: the layer's shape, fixed when the kernel is bound (see attention.wgsl for each field)
//   Step:   the call's first position and token count, written before each dispatch

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

struct Step {
    pos0: u32,
    n_tokens: u32,
    _pad0: u32,
    _pad1: u32,
}
