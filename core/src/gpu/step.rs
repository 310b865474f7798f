//! The per-call values that change from token to token, kept in one small uniform buffer that every
//! bound kernel reads, so command recording never creates buffers or bind groups.

use super::Context;

/// `struct Step`, the WGSL twin of [`StepValues`], put ahead of every kernel that binds the step
/// buffer.
pub(crate) const STEP_WGSL: &str = include_str!("../../../shaders/step.wgsl");

/// `pos0`: position of the first token of this call; `n_tokens`: how many tokens it processes
/// (1 when decoding). Matches `struct Step` in the shaders.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct StepValues {
    pos0: u32,
    n_tokens: u32,
    _pad: [u32; 2],
}

/// The step uniform buffer: create once, bind into every kernel, [`Step::write`] once per call
/// (before submitting that call's commands). Each `encode` must be given the same `n_tokens`:
/// it sizes the dispatch, while the shader reads the exact count from here.
pub struct Step {
    buffer: wgpu::Buffer,
}

impl Step {
    pub fn new(ctx: &Context) -> Self {
        let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("step"),
            size: std::mem::size_of::<StepValues>() as u64,
            // Storage as well for the CPU-adapter kernels, which read it from storage (see matmul_rows.wgsl).
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Self { buffer }
    }

    /// Tokens `pos0 .. pos0 + n_tokens` are processed by the commands submitted next.
    pub fn write(&self, ctx: &Context, pos0: u32, n_tokens: u32) {
        let values = StepValues { pos0, n_tokens, _pad: [0; 2] };
        ctx.queue.write_buffer(&self.buffer, 0, bytemuck::bytes_of(&values));
    }

    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }
}
