// The f32 KV cache reader of attention_rows.wgsl (not a kernel on its own): values as stored,
// two vec4 loads per eight.
//
// Bindings (group 0):
//   1: k_cache storage, read  array<vec4<f32>>  [n_ctx][n_kv_heads][head_dim]
//   2: v_cache storage, read  array<vec4<f32>>  likewise

@group(0) @binding(1) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v_cache: array<vec4<f32>>;

struct Eight {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

fn cache8(keys: bool, i: u32) -> Eight {
    if (keys) {
        return Eight(k_cache[2u * i], k_cache[2u * i + 1u]);
    }
    return Eight(v_cache[2u * i], v_cache[2u * i + 1u]);
}
