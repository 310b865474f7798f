// Rotary position embedding of a token's queries and keys, fused with the KV cache write. For
// tokens t < step.n_tokens at position p = step.pos0 + t, the projections sit in one row
// qkv[t] = [q: n_heads heads][k: n_kv_heads heads][v: n_kv_heads heads] of head_dim floats
// (`stride` floats per token, as the stacked QKV projection writes them):
//   q heads: rotated in place (attention.wgsl reads them from here)
//   k heads: rotated and stored at cache position p; v heads: stored at cache position p
// RoPE as ggml_rope_ext without YaRN (ext_factor 0, attn_factor 1):
//   theta_i = freq_scale * p * theta_scale^i / freq_factors[i],  theta_scale = freq_base^(-2/n_rot)
// for pair i < n_rot / 2, rotating (x[2i], x[2i+1]) in the normal layout (mode 0, llama) or
// (x[i], x[i + n_rot/2]) in the NeoX layout (mode 2, qwen2, gemma2). Dimensions past n_rot are
// not rotated. freq_factors (Llama 3.x rope_freqs.weight) is read only when has_factors != 0.
// The angle is reduced to [0, 2 pi) before cos/sin, whose accuracy is only specified near zero.
// Cache layout per layer: [n_ctx][n_kv_heads][head_dim] of `kv`; positions at or past n_ctx are
// dropped (the caller stops at the context length). `kv` is an alias core::gpu::attention puts
// ahead of the source: f32, or f16 (after `enable f16;`) when the adapter has `shader-f16`, which
// halves the cache (as llama.cpp's default f16 cache) and attention's reads of it.
//
// Bindings (group 0):
//   0: qkv     storage, read_write  array<f32>  [n_tokens][stride]
//   1: factors storage, read        array<f32>  [n_rot / 2]
//   2: k_cache storage, read_write  array<kv>   [n_ctx][n_kv_heads][head_dim]
//   3: v_cache storage, read_write  array<kv>   [n_ctx][n_kv_heads][head_dim]
//   4: params  uniform              Params
//   5: step    uniform              Step (step.wgsl)
// Dispatch: one thread per pair of values, n_tokens * (n_heads + 2 n_kv_heads) * head_dim / 2
// threads in workgroups of 256, folded into (x, y) past 65,535.

struct Params {
    n_heads: u32,
    n_kv_heads: u32,
    head_dim: u32,
    n_rot: u32,
    neox: u32,
    theta_scale: f32,
    freq_scale: f32,
    has_factors: u32,
    stride: u32,
    n_ctx: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> factors: array<f32>;
@group(0) @binding(2) var<storage, read_write> k_cache: array<kv>;
@group(0) @binding(3) var<storage, read_write> v_cache: array<kv>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<uniform> step: Step;

const TWO_PI: f32 = 6.283185307179586;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let idx = gid.y * groups.x * 256u + gid.x;
    let pairs = params.head_dim / 2u;
    let n_q = params.n_heads;
    let n_kv = params.n_kv_heads;
    let per_token = (n_q + 2u * n_kv) * pairs;
    let t = idx / per_token;
    if (t >= step.n_tokens) {
        return;
    }
    let head = (idx % per_token) / pairs; // q heads, then k heads, then v heads
    let i = idx % pairs;
    let pos = step.pos0 + t;
    let base = t * params.stride + head * params.head_dim;

    let half = params.n_rot / 2u;
    let rotate = head < n_q + n_kv && i < half;
    // The two dimensions of this pair: rotated pairs by the layout, the rest consecutively.
    var a = 2u * i;
    if (rotate && params.neox != 0u) {
        a = i;
    }
    var b = a + 1u;
    if (rotate && params.neox != 0u) {
        b = i + half;
    }
    var x0 = qkv[base + a];
    var x1 = qkv[base + b];
    if (rotate) {
        var theta = params.freq_scale * f32(pos) * pow(params.theta_scale, f32(i));
        if (params.has_factors != 0u) {
            theta /= factors[i];
        }
        theta -= TWO_PI * floor(theta / TWO_PI);
        let c = cos(theta);
        let s = sin(theta);
        let r0 = x0 * c - x1 * s;
        x1 = x0 * s + x1 * c;
        x0 = r0;
    }
    if (head < n_q) {
        if (rotate) {
            qkv[base + a] = x0;
            qkv[base + b] = x1;
        }
        return;
    }
    if (pos >= params.n_ctx) {
        return;
    }
    let kv_head = (head - n_q) % n_kv;
    let at = (pos * n_kv + kv_head) * params.head_dim;
    if (head < n_q + n_kv) {
        k_cache[at + a] = kv(x0);
        k_cache[at + b] = kv(x1);
    } else {
        v_cache[at + a] = kv(x0);
        v_cache[at + b] = kv(x1);
    }
}
