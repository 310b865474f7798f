// Whole-row walk in steps of one unit, for the weight formats whose units share no loaded words
// (F32, F16, Q8_0, the Q5 and Q4 formats): the step interface of the format libraries (see
// weights_f32.wgsl) over their unit_dot. Appended after such a library in matvec_rows.wgsl's
// kernels only; the K-quant libraries define their own steps. No bindings, no entry point.

const STEP_UNITS: u32 = 1u;

fn step_unit(s: u32, k: u32) -> u32 {
    return s;
}

fn step_dot(base: u32, s: u32, x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>,
            xsum: ptr<function, array<f32, STEP_UNITS>>) -> f32 {
    var unit = (*x)[0]; // a pointer argument must name a whole variable
    return unit_dot(base, s, &unit, (*xsum)[0]);
}
