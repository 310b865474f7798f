// Activation library of the gated feed-forward block: not a kernel on its own, prepended to
// glu.wgsl and to matvec.wgsl + matvec_glu.wgsl.
//   glu(g, u, 0) = silu(g) * u       SwiGLU (llama, qwen2), silu(x) = x / (1 + e^-x)
//   glu(g, u, 1) = gelu_tanh(g) * u  GeGLU (gemma2), gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// tanh is computed from exp in a form that cannot overflow.

fn tanh_safe(x: f32) -> f32 {
    let t = 1.0 - 2.0 / (exp(2.0 * abs(x)) + 1.0);
    return select(-t, t, x >= 0.0);
}

fn glu(g: f32, u: f32, act: u32) -> f32 {
    if (act == 0u) {
        return g / (1.0 + exp(-g)) * u;
    }
    return 0.5 * g * (1.0 + tanh_safe(0.7978845608028654 * (g + 0.044715 * g * g * g))) * u;
}
