// Plain buffer copy, dst[i] = src[i] over n vec4<u32>: the bandwidth yardstick of
// `mindseye bench kernels` (a kernel that only moves bytes, on the same adapter as the matvecs).
//
// Bindings (group 0):
//   0: src    storage, read        array<vec4<u32>>
//   1: dst    storage, read_write  array<vec4<u32>>
//   2: params uniform              { n: u32 }
// Dispatch: ceil(n / 256) workgroups of 256 threads, folded into (x, y) past 65,535.

struct Params {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.y * groups.x * 256u + gid.x;
    if (i < params.n) {
        dst[i] = src[i];
    }
}
