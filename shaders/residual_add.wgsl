// Residual add: x[i] += y[i] for i < n = step.n_tokens * width, in f32.
//
// Bindings (group 0):
//   0: x      storage, read_write  array<f32>  (updated in place)
//   1: y      storage, read        array<f32>
//   2: params uniform              { width: u32 }
//   3: step   uniform              Step (step.wgsl)  n_tokens of this call
// Dispatch: ceil(n / 256) workgroups of 256 threads, folded into (x, y) when that exceeds the
// 65,535 workgroups allowed per dimension; the flat index is rebuilt from num_workgroups.

struct Params {
    width: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.y * groups.x * 256u + gid.x;
    if (i < step.n_tokens * params.width) {
        x[i] = x[i] + y[i];
    }
}
