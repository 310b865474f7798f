// The f16 KV cache reader of attention_rows.wgsl (not a kernel on its own): the halves that
// rope_kv.wgsl stored with `shader-f16`, read as packed pairs (one vec4<u32> load per eight values,
// half the loads of vec4<f16>) and widened with unpack2x16float.
//
// Bindings (group 0):
//   1: k_cache storage, read  array<vec4<u32>>  [n_ctx][n_kv_heads][head_dim] halves, two a word
//   2: v_cache storage, read  array<vec4<u32>>  likewise

@group(0) @binding(1) var<storage, read> k_cache: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> v_cache: array<vec4<u32>>;

struct Eight {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

fn cache8(keys: bool, i: u32) -> Eight {
    var w: vec4<u32>;
    if (keys) {
        w = k_cache[i];
    } else {
        w = v_cache[i];
    }
    return Eight(
        vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)),
        vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w)),
    );
}
