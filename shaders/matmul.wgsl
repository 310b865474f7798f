// Matrix-matrix product for prompt prefill: y[t * stride + out_offset + first_row + r] =
// dot(W[r], X[t]) (+ bias[first_row + r]) for tokens t < step.n_tokens and the rows r of one weight
// chunk (one dispatch per chunk, as in matvec.wgsl). stride and out_offset place the rows inside a
// wider output row (the q, k and v parts of a stacked row); otherwise stride is the tensor's rows
// and out_offset 0. f32 accumulation.
//
// Prepended by one weights_*.wgsl library. A workgroup computes a 64-row x 64-token tile: per
// 32-column step it dequantizes the 64 x 32 weight slice once into workgroup memory (one 8-element
// part per thread) next to the 64 x 32 activation slice, then each thread accumulates a 4 x 4
// block of outputs (rows ty + 16i, tokens tx + 16j). Both tiles are stored k-major so neighbouring
// threads read neighbouring vec4s. Workgroup memory: 2 x 8 KiB.
//
// Bindings (group 0):
//   0: weights storage, read        array<vec4<u32>>  one chunk, `row_words` u32 words per row,
//                                                     declared by the format library
//   1: x       storage, read        array<vec4<f32>>  [n_tokens][cols]
//   2: y       storage, read_write  array<f32>        [n_tokens][stride]
//   3: bias    storage, read        array<f32>        read only when has_bias != 0
//   4: params  uniform              Params
//   5: step    uniform              Step (step.wgsl)  n_tokens of this call
// Dispatch: (ceil(rows / 64), ceil(n_tokens / 64)) workgroups of 256 threads.

struct Params {
    rows: u32,
    units: u32,
    row_words: u32,
    first_row: u32,
    stride: u32,
    has_bias: u32,
    out_offset: u32,
    _pad0: u32,
}

@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<uniform> step: Step;

const TILE: u32 = 64u;

var<workgroup> w_tile: array<vec4<f32>, 512>; // [8 column quads][64 rows]
var<workgroup> x_tile: array<vec4<f32>, 512>; // [8 column quads][64 tokens]

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let row0 = wid.x * TILE;
    let tok0 = wid.y * TILE;
    let n_tokens = step.n_tokens;
    let tx = lid % 16u;
    let ty = lid / 16u;

    // This thread's share of the tile loads: one weight part, two activation quads.
    let load_row = lid / 4u;
    let load_part = lid % 4u;
    let row_ok = row0 + load_row < params.rows;
    let base = min(row0 + load_row, params.rows - 1u) * params.row_words;
    let quads_per_row = params.units * 8u;

    var acc: array<array<f32, 4>, 4>;
    for (var u = 0u; u < params.units; u++) {
        workgroupBarrier();
        var part = Part(vec4<f32>(0.0), vec4<f32>(0.0));
        if (row_ok) {
            part = part_load(base, u, load_part);
        }
        w_tile[(2u * load_part) * TILE + load_row] = part.lo;
        w_tile[(2u * load_part + 1u) * TILE + load_row] = part.hi;
        for (var m = 0u; m < 2u; m++) {
            let idx = lid + 256u * m;
            let tok = idx / 8u;
            let quad = idx % 8u;
            var v = vec4<f32>(0.0);
            if (tok0 + tok < n_tokens) {
                v = x[(tok0 + tok) * quads_per_row + u * 8u + quad];
            }
            x_tile[quad * TILE + tok] = v;
        }
        workgroupBarrier();
        for (var q = 0u; q < 8u; q++) {
            var w: array<vec4<f32>, 4>;
            var xs: array<vec4<f32>, 4>;
            for (var i = 0u; i < 4u; i++) {
                w[i] = w_tile[q * TILE + ty + 16u * i];
                xs[i] = x_tile[q * TILE + tx + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i][j] += dot(w[i], xs[j]);
                }
            }
        }
    }

    for (var i = 0u; i < 4u; i++) {
        let row = row0 + ty + 16u * i;
        if (row >= params.rows) {
            continue;
        }
        let out_row = params.first_row + row;
        var b = 0.0;
        if (params.has_bias != 0u) {
            b = bias[out_row];
        }
        for (var j = 0u; j < 4u; j++) {
            let tok = tok0 + tx + 16u * j;
            if (tok < n_tokens) {
                y[tok * params.stride + params.out_offset + out_row] = acc[i][j] + b;
            }
        }
    }
}
