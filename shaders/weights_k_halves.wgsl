// Sums of x by 16-element halves, for the weight formats whose halves of a 32-element unit each
// take their own offset (Q2_K's mins, Q3_K's -4): put after weights_q2_k.wgsl or
// weights_q3_k.wgsl, which set NEEDS_XSUM so that a unit's second half sums to the unit's sum less
// its first half's. No bindings, no entry point.

// The sum of the first 16 elements of a unit of x.
fn first_half_sum(x0: vec4<f32>, x1: vec4<f32>, x2: vec4<f32>, x3: vec4<f32>) -> f32 {
    return dot((x0 + x1) + (x2 + x3), vec4<f32>(1.0));
}

// Both halves' sums of a unit.
fn unit_half_sums(x: ptr<function, array<vec4<f32>, 8>>, xsum: f32) -> vec2<f32> {
    let first = first_half_sum((*x)[0], (*x)[1], (*x)[2], (*x)[3]);
    return vec2<f32>(first, xsum - first);
}

// A step's half sums (four units a step): element h, lane k is half h of the step's unit k.
fn step_half_sums(x: ptr<function, array<array<vec4<f32>, 8>, STEP_UNITS>>,
                  xsum: ptr<function, array<f32, STEP_UNITS>>) -> array<vec4<f32>, 2> {
    let first = vec4<f32>(
        first_half_sum((*x)[0][0], (*x)[0][1], (*x)[0][2], (*x)[0][3]),
        first_half_sum((*x)[1][0], (*x)[1][1], (*x)[1][2], (*x)[1][3]),
        first_half_sum((*x)[2][0], (*x)[2][1], (*x)[2][2], (*x)[2][3]),
        first_half_sum((*x)[3][0], (*x)[3][1], (*x)[3][2], (*x)[3][3]),
    );
    return array<vec4<f32>, 2>(first, vec4<f32>((*xsum)[0], (*xsum)[1], (*xsum)[2], (*xsum)[3]) - first);
}
