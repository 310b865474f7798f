// Weight format library: Q4_0, repacked at upload so every load is an aligned u32 (a GGUF block is
// 18 bytes): blocks go in pairs of 9 words, [d0 | d1 << 16][qs0: 4 words][qs1: 4 words], the same
// bytes as GGUF, reordered; an odd last block is paired with a zero block. Element j < 16 is the
// low nibble of byte j, element j + 16 its high nibble; value = (nibble - 8) * d.
// Prepended to matvec.wgsl, matmul.wgsl and embedding.wgsl; interface as in weights_f32.wgsl.

// The -8 offset is applied once per unit as -8 * sum(x) instead of once per weight.
const NEEDS_XSUM: bool = true;

struct Part {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// Nibbles at bit `shift` of each byte of a word, first byte first.
fn nibbles(w: u32, shift: u32) -> vec4<f32> {
    return vec4<f32>((vec4<u32>(w) >> (vec4<u32>(0u, 8u, 16u, 24u) + shift)) & vec4<u32>(15u));
}

fn unit_dot(base: u32, u: u32, x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> f32 {
    let pw = base + (u >> 1u) * 9u;
    let qs = pw + 1u + (u & 1u) * 4u;
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let w = weights[qs + i];
        s += dot(nibbles(w, 0u), (*x)[i]) + dot(nibbles(w, 4u), (*x)[i + 4u]);
    }
    let d = unpack2x16float(weights[pw])[u & 1u];
    return d * (s - 8.0 * xsum);
}

fn part_load(base: u32, u: u32, p: u32) -> Part {
    let pw = base + (u >> 1u) * 9u;
    let qs = pw + 1u + (u & 1u) * 4u + 2u * (p & 1u);
    let shift = 4u * (p >> 1u);
    let d = unpack2x16float(weights[pw])[u & 1u];
    return Part((nibbles(weights[qs], shift) - 8.0) * d, (nibbles(weights[qs + 1u], shift) - 8.0) * d);
}
