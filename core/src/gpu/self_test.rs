//! A tiny end-to-end check that the adapter really computes: upload, dispatch a kernel from
//! `shaders/`, read back, compare with the CPU.

use super::{Context, GpuError, ResidualAdd, Step, read_f32, storage_f32, submit_pass};

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SelfTestReport {
    pub elements: usize,
    pub max_abs_error: f32,
}

/// Runs `x += y` on an odd-sized vector (not a multiple of the workgroup) and checks every element.
pub async fn self_test(ctx: &Context) -> Result<SelfTestReport, GpuError> {
    const N: usize = 1_000_003;
    let x: Vec<f32> = (0..N).map(|i| (i % 1000) as f32 * 0.5).collect();
    let y: Vec<f32> = (0..N).map(|i| 1.0 - (i % 7) as f32).collect();
    let xb = storage_f32(ctx, "self_test.x", &x);
    let yb = storage_f32(ctx, "self_test.y", &y);

    // One "token" of N floats.
    let step = Step::new(ctx);
    step.write(ctx, 0, 1);
    let kernel = ResidualAdd::new(ctx).bind(ctx, &step, &xb, &yb, N as u32)?;
    submit_pass(ctx, |pass| kernel.encode(pass, 1));

    let got = read_f32(ctx, &xb, N).await?;
    let mut max_abs_error = 0.0f32;
    for (i, ((a, b), g)) in x.iter().zip(&y).zip(&got).enumerate() {
        let err = (a + b - g).abs();
        if err > 0.0 {
            return Err(GpuError::WrongResult(format!("element {i}: expected {}, got {g}", a + b)));
        }
        max_abs_error = max_abs_error.max(err);
    }
    Ok(SelfTestReport { elements: N, max_abs_error })
}
