// Gated linear unit of the feed-forward block for tokens t < step.n_tokens, reading each token's
// gate and up projections from one row (as the stacked gate|up matmul writes them):
//   out[t][i] = glu(gu[t][i], gu[t][width + i], act)   for i < width
// with glu() from activation.wgsl (prepended): act 0 SwiGLU, act 1 GeGLU.
//
// Bindings (group 0):
//   0: gu     storage, read        array<f32>  [n_tokens][2 * width]  gate then up
//   1: out    storage, read_write  array<f32>  [n_tokens][width]
//   2: params uniform              { width: u32, act: u32 }
//   3: step   uniform              Step (step.wgsl)
// Dispatch: ceil(n_tokens * width / 256) workgroups of 256 threads, folded into (x, y) past 65,535.

struct Params {
    width: u32,
    act: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> gu: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.y * groups.x * 256u + gid.x;
    let width = params.width;
    if (i >= step.n_tokens * width) {
        return;
    }
    let g = (i / width) * 2u * width + i % width;
    out[i] = glu(gu[g], gu[g + width], params.act);
}
