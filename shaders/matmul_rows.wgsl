// Matrix-matrix product for prompt prefill on CPU adapters (lavapipe, SwiftShader): the same result
// as matmul.wgsl, y[t * stride + out_offset + first_row + r] = dot(W[r], X[t]) (+ bias), for the
// TOK tokens tok0 .. tok0 + TOK (those below step.n_tokens) and the rows r of one weight chunk.
// Laid out like matvec_rows.wgsl: an invocation is one SIMD lane of the CPU and walks whole rows,
// reading x from a uniform window. On a CPU adapter every storage or workgroup-memory load is a
// scalar load per lane (llvmpipe), so matmul.wgsl's shared tiles save nothing there; instead each
// 32-element weight unit is loaded and dequantized once (unit_load) into registers and used for
// all TOK tokens. f32 accumulation.
//
// Prepended by `const TOK: u32 = ...;` (tokens per dispatch: at most 8, past which the accumulators
// spill), `const TPW: u32 = ...;` (tokens per 64 KiB window of x: TOK / TPW rounded up of the
// WINDOWS = 4 windows are read, so rows of up to 16,384 columns still take 8 tokens at a time) and
// one weights_*.wgsl library. A workgroup of WG = 8
// invocations (one 256-bit SIMD vector) computes WG * ROWS = 64 rows: invocation i takes rows
// row0 + i + k * WG for k < ROWS. (lavapipe, Qwen2.5-0.5B and Llama 3.2 1B shapes: 8 x 8 ran
// 1.2-1.5x faster than 16 invocations x 4 rows; 8 x 16 was faster on Q4_0, up to 2x slower on Q8_0.)
//
// Bindings (group 0):
//   0: weights storage, read        array<vec4<u32>>  one chunk, declared by the format library
//   1, 6, 7, 8: x0 .. x3  uniform   array<vec4<f32>, 4096>  window w: 64 KiB of [n_tokens][cols]
//                                                     from the uniform offset alignment (256 bytes)
//                                                     at or before token tok0 + w * TPW; token
//                                                     tok0 + w * TPW + s at vec4
//                                                     x_first[w] + s * cols / 4 (windows no token
//                                                     of the group needs repeat window 0)
//   2: y       storage, read_write  array<f32>        [n_tokens][stride]
//   3: bias    storage, read        array<f32>        read only when has_bias != 0
//   4: params  storage, read        Params            per dispatch (storage, not uniform: lavapipe
//                                                     specialises shaders on the uniform values
//                                                     their control flow reads, and tok0 differs
//                                                     per token group)
//   5: step    storage, read        Step (step.wgsl)  n_tokens of this call
// Dispatch: ceil(rows / 64) workgroups of WG invocations, folded into (x, y) past 65,535; one
// dispatch per group of TOK tokens below n_tokens.

struct Params {
    rows: u32,
    units: u32,
    row_words: u32,
    first_row: u32,
    stride: u32,
    has_bias: u32,
    out_offset: u32,
    _pad0: u32,
    tok0: u32,
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
    x_first: vec4<u32>,
}

@group(0) @binding(1) var<uniform> x0: array<vec4<f32>, 4096>;
@group(0) @binding(6) var<uniform> x1: array<vec4<f32>, 4096>;
@group(0) @binding(7) var<uniform> x2: array<vec4<f32>, 4096>;
@group(0) @binding(8) var<uniform> x3: array<vec4<f32>, 4096>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> params: Params;
@group(0) @binding(5) var<storage, read> step: Step;

const WG: u32 = 8u;
const ROWS: u32 = 8u;

// Element i of window w. TOK and TPW are constants, so once the token loop unrolls w is too and
// the switch folds away.
fn x_at(w: u32, i: u32) -> vec4<f32> {
    switch (w) {
        case 0u: { return x0[i]; }
        case 1u: { return x1[i]; }
        case 2u: { return x2[i]; }
        default: { return x3[i]; }
    }
}

@compute @workgroup_size(WG)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let p = params;
    let row0 = (wid.y * groups.x + wid.x) * WG * ROWS + lid;
    var bases: array<u32, ROWS>;
    for (var k = 0u; k < ROWS; k++) {
        // Rows past the end repeat the last one (no branch in the loop); the store drops them.
        bases[k] = min(row0 + k * WG, p.rows - 1u) * p.row_words;
    }
    let token_quads = p.units * 8u;

    var acc: array<array<f32, ROWS>, TOK>;
    for (var u = 0u; u < p.units; u++) {
        // This unit of every token's activations, shared by the ROWS rows.
        var xs: array<array<vec4<f32>, 8>, TOK>;
        for (var t = 0u; t < TOK; t++) {
            let w = t / TPW;
            let first = p.x_first[w] + (t % TPW) * token_quads + u * 8u;
            for (var i = 0u; i < 8u; i++) {
                xs[t][i] = x_at(w, first + i);
            }
        }
        for (var r = 0u; r < ROWS; r++) {
            let w = unit_load(bases[r], u);
            for (var t = 0u; t < TOK; t++) {
                var s = 0.0;
                for (var i = 0u; i < 8u; i++) {
                    s += dot(w[i], xs[t][i]);
                }
                acc[t][r] += s;
            }
        }
    }

    let n = min(TOK, step.n_tokens - min(p.tok0, step.n_tokens));
    for (var r = 0u; r < ROWS; r++) {
        let row = row0 + r * WG;
        if (row >= p.rows) {
            continue;
        }
        let out_row = p.first_row + row;
        var b = 0.0;
        if (p.has_bias != 0u) {
            b = bias[out_row];
        }
        for (var t = 0u; t < n; t++) {
            y[(p.tok0 + t) * p.stride + p.out_offset + out_row] = acc[t][r] + b;
        }
    }
}
