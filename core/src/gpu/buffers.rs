//! Uploading and reading back buffers without blocking the browser's thread.

use super::{Context, GpuError};
use wgpu::util::DeviceExt;

/// Also UNIFORM: the CPU-adapter matrix-vector kernels read their activation as a uniform.
const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::UNIFORM)
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// A storage buffer holding `data`, usable as a kernel input or output and as a copy source.
pub fn storage_f32(ctx: &Context, label: &str, data: &[f32]) -> wgpu::Buffer {
    ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::cast_slice(data),
        usage: STORAGE,
    })
}

/// A storage buffer holding `data` (token ids).
pub fn storage_u32(ctx: &Context, label: &str, data: &[u32]) -> wgpu::Buffer {
    ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::cast_slice(data),
        usage: STORAGE,
    })
}

/// A zero-filled storage buffer of `len` f32 (or u32) values, at least one.
pub fn storage_zeroed(ctx: &Context, label: &str, len: usize) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (len.max(1) * 4) as u64,
        usage: STORAGE,
        mapped_at_creation: false,
    })
}

/// Maps a `MAP_READ` buffer whose copy has been submitted and returns its bytes. Natively this
/// polls the device; in the browser the map callback fires from the event loop while we await.
pub(crate) async fn map_read(ctx: &Context, staging: &wgpu::Buffer) -> Result<Vec<u8>, GpuError> {
    Mapping::start(staging).bytes(ctx, None).await
}

/// A read-back buffer's mapping, asked for before later work is submitted: WebGPU maps a buffer
/// once the work submitted before the request is done, so a decode step submitted after it keeps
/// running while the token is read.
pub(crate) struct Mapping<'a> {
    staging: &'a wgpu::Buffer,
    mapped: futures_channel::oneshot::Receiver<Result<(), wgpu::BufferAsyncError>>,
}

impl<'a> Mapping<'a> {
    pub(crate) fn start(staging: &'a wgpu::Buffer) -> Mapping<'a> {
        let (tx, mapped) = futures_channel::oneshot::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |result| {
            let _ = tx.send(result);
        });
        Mapping { staging, mapped }
    }

    /// The buffer's bytes once the copy into it is done; natively `submission` (the one that made
    /// the copy; the last one when None) is waited for, not work submitted after it.
    pub(crate) async fn bytes(
        self,
        ctx: &Context,
        submission: Option<wgpu::SubmissionIndex>,
    ) -> Result<Vec<u8>, GpuError> {
        ctx.check_alive()?;
        #[cfg(not(target_arch = "wasm32"))]
        ctx.device
            .poll(wgpu::PollType::Wait { submission_index: submission, timeout: None })
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        #[cfg(target_arch = "wasm32")]
        let _ = submission;
        let mapped =
            self.mapped.await.map_err(|_| GpuError::Readback("the device was dropped before the copy finished".into()));
        ctx.check_alive()?;
        mapped?.map_err(|e| GpuError::Readback(e.to_string()))?;
        let bytes = {
            let view = self.staging.get_mapped_range(..).map_err(|e| GpuError::Readback(e.to_string()))?;
            view.to_vec()
        };
        self.staging.unmap();
        Ok(bytes)
    }
}

/// Copies the first `len` 4-byte values of `buffer` to the host.
async fn read_words(ctx: &Context, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<u8>, GpuError> {
    let size = (len * 4) as u64;
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
    ctx.queue.submit([encoder.finish()]);
    map_read(ctx, &staging).await
}

/// Copies the first `len` floats of `buffer` to the host.
pub async fn read_f32(ctx: &Context, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<f32>, GpuError> {
    let bytes = read_words(ctx, buffer, len).await?;
    Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

/// Copies the first `len` u32 values of `buffer` to the host.
pub async fn read_u32(ctx: &Context, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<u32>, GpuError> {
    let bytes = read_words(ctx, buffer, len).await?;
    Ok(bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}
