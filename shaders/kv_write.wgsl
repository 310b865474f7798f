// KV cache write: the keys and values of tokens t < step.n_tokens go to cache position
// step.pos0 + t. Cache layout per layer: [n_ctx][n_kv_heads][head_dim] f32, so one position is
// `width` = n_kv_heads * head_dim contiguous floats, the same layout as the k and v projections.
// Positions at or past n_ctx are dropped (the caller must stop at the context length).
//
// Bindings (group 0):
//   0: k       storage, read        array<vec4<f32>>  [n_tokens][width]
//   1: v       storage, read        array<vec4<f32>>  [n_tokens][width]
//   2: k_cache storage, read_write  array<vec4<f32>>  [n_ctx][width]
//   3: v_cache storage, read_write  array<vec4<f32>>  [n_ctx][width]
//   4: params  uniform              { quads: u32 (width / 4), n_ctx: u32 }
//   5: step    uniform              Step
// Dispatch: one thread per vec4, ceil(n_tokens * width / 4 / 256) workgroups of 256, folded into
// (x, y) past 65,535.

struct Params {
    quads: u32,
    n_ctx: u32,
    _pad0: u32,
    _pad1: u32,
}

struct Step {
    pos0: u32,
    n_tokens: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> k_cache: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> v_cache: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.y * groups.x * 256u + gid.x;
    let t = i / params.quads;
    if (t >= step.n_tokens) {
        return;
    }
    let pos = step.pos0 + t;
    if (pos >= params.n_ctx) {
        return;
    }
    let dst = pos * params.quads + i % params.quads;
    k_cache[dst] = k[i];
    v_cache[dst] = v[i];
}
