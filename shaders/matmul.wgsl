// Matrix-matrix product for prompt prefill: y[t * stride + out_offset + first_row + r] =
// dot(W[r], X[t]) (+ bias[first_row + r]) for tokens t < step.n_tokens and the rows r of one weight
// chunk (one dispatch per chunk, as in matvec.wgsl). stride and out_offset place the rows inside a
// wider output row (the q, k and v parts of a stacked row); otherwise stride is the tensor's rows
// and out_offset 0. f32 accumulation.
//
// Prepended by one weights_*.wgsl library. A workgroup computes a 64-row x 64-token tile: per
// 32-column step it dequantizes the 64 x 32 weight slice once into workgroup memory (one 8-element
// part per thread) next to the 64 x 32 activation slice, then each thread accumulates a 4 x 4
// block of outputs (rows ty + 16i, tokens tx + 16j) in four vec4 accumulators. Both tiles are
// stored k-major so neighbouring threads read neighbouring vec4s. Workgroup memory: 2 x 8 KiB.
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

    // Lane j of acc_i is row ty + 16i, token tx + 16j. Named vectors rather than an indexed array,
    // so keeping them in registers does not depend on the driver unrolling a loop (naga emits
    // every loop as a while loop, which some compilers leave rolled: gfx-rs/wgpu#6521).
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
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
            let k = q * TILE;
            let x0 = x_tile[k + tx];
            let x1 = x_tile[k + tx + 16u];
            let x2 = x_tile[k + tx + 32u];
            let x3 = x_tile[k + tx + 48u];
            let w0 = w_tile[k + ty];
            let w1 = w_tile[k + ty + 16u];
            let w2 = w_tile[k + ty + 32u];
            let w3 = w_tile[k + ty + 48u];
            acc0 += vec4<f32>(dot(w0, x0), dot(w0, x1), dot(w0, x2), dot(w0, x3));
            acc1 += vec4<f32>(dot(w1, x0), dot(w1, x1), dot(w1, x2), dot(w1, x3));
            acc2 += vec4<f32>(dot(w2, x0), dot(w2, x1), dot(w2, x2), dot(w2, x3));
            acc3 += vec4<f32>(dot(w3, x0), dot(w3, x1), dot(w3, x2), dot(w3, x3));
        }
    }

    store(row0 + ty, tok0 + tx, n_tokens, acc0);
    store(row0 + ty + 16u, tok0 + tx, n_tokens, acc1);
    store(row0 + ty + 32u, tok0 + tx, n_tokens, acc2);
    store(row0 + ty + 48u, tok0 + tx, n_tokens, acc3);
}

// Writes row `row`'s outputs for tokens tok + 16j (lane j of acc), skipping rows and tokens past
// the ends.
fn store(row: u32, tok: u32, n_tokens: u32, acc: vec4<f32>) {
    if (row >= params.rows) {
        return;
    }
    let out_row = params.first_row + row;
    var b = 0.0;
    if (params.has_bias != 0u) {
        b = bias[out_row];
    }
    for (var j = 0u; j < 4u; j++) {
        let t = tok + 16u * j;
        if (t < n_tokens) {
            y[t * params.stride + params.out_offset + out_row] = acc[j] + b;
        }
    }
}
