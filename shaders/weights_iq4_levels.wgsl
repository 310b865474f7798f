// The 16 non-uniform 4-bit levels of IQ4_NL and IQ4_XS (ggml's kvalues_iq4nl), denser near zero
// than Q4_0's evenly spaced ones: q4_levels for weights_q4.wgsl. Put after weights_iq4_nl.wgsl or
// weights_iq4_xs.wgsl, before weights_q4.wgsl. No bindings, no entry point.

// The levels as signed bytes, four to a word; bits 2 and 3 of a nibble pick its word by selects
// (a run-time index into a vector, even a constant one, is a per-lane extract on CPU adapters),
// bits 0 and 1 its byte.
fn q4_levels(q: vec4<u32>) -> vec4<f32> {
    let b2 = (q & vec4<u32>(4u)) != vec4<u32>(0u);
    let low = select(vec4<u32>(0xBFAD9881u), vec4<u32>(0xF6EADDCFu), b2);
    let high = select(vec4<u32>(0x26190D01u), vec4<u32>(0x71594535u), b2);
    let words = select(low, high, q >= vec4<u32>(8u));
    let shifted = bitcast<vec4<i32>>(words << (vec4<u32>(24u) - 8u * (q & vec4<u32>(3u))));
    return vec4<f32>(shifted >> vec4<u32>(24u));
}
