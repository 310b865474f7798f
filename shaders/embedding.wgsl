// Embedding lookup: out[t][c] = dequantized W[ids[t]][c] * scale for tokens t < step.n_tokens
// (Gemma scales by sqrt(n_embd); others pass 1). W is one chunk of a row-split token_embd
// (core::gpu::Weight); one dispatch per chunk, each writing the tokens whose id falls in its rows.
// Ids past the vocabulary get a zero row, written by the first chunk's dispatch.
//
// Prepended by one weights_*.wgsl library. One thread per 8-element part of an output row.
//
// Bindings (group 0):
//   0: weights storage, read        array<vec4<u32>>  one chunk, `row_words` u32 words per row,
//                                                     declared by the format library
//   1: ids     storage, read        array<u32>        [n_tokens]
//   2: out     storage, read_write  array<vec4<f32>>  [n_tokens][cols]
//   3: params  uniform              Params
//   4: step    uniform              Step (step.wgsl)
// Dispatch: ceil(n_tokens * cols / 8 / 256) workgroups of 256 threads, folded into (x, y) when that
// exceeds 65,535 per dimension.

struct Params {
    rows: u32,
    units: u32,
    row_words: u32,
    first_row: u32,
    vocab: u32,
    first_chunk: u32,
    scale: f32,
    _pad0: u32,
}

@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.y * groups.x * 256u + gid.x;
    let parts = params.units * 4u;
    let t = i / parts;
    if (t >= step.n_tokens) {
        return;
    }
    let q = i % parts;
    let id = ids[t];
    let o = 2u * i; // two vec4s per part; rows are `parts` parts long
    if (id >= params.first_row && id - params.first_row < params.rows) {
        let p = part_load((id - params.first_row) * params.row_words, q / 4u, q % 4u);
        out[o] = p.lo * params.scale;
        out[o + 1u] = p.hi * params.scale;
    } else if (id >= params.vocab && params.first_chunk != 0u) {
        out[o] = vec4<f32>(0.0);
        out[o + 1u] = vec4<f32>(0.0);
    }
}
