//! Time per kernel kind of one forward call (`mindseye bench model --profile`). The work is recorded
//! as in the normal path but with every kernel in its own compute pass, timed by GPU timestamp
//! queries at the pass's start and end; without TIMESTAMP_QUERY, every kernel is submitted alone
//! and timed by the wall clock (natively only: the browser has neither the clock nor blocking waits).
//! With timestamps the call is also run once as the normal path records it, for its GPU time
//! without the per-kernel passes ([`Profile::as_run_s`]).

use super::buffers::map_read;
use super::record::{Kernel, KernelKind, PassRecorder, Recorder};
use super::{Context, GpuError};
use std::collections::BTreeMap;
use std::fmt;

/// How the kernels were timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    /// GPU timestamps around a compute pass per kernel (needs the adapter's TIMESTAMP_QUERY).
    Timestamps,
    /// Wall time of a submission per kernel, waited for: includes the submit and wait overhead.
    WallTime,
}

impl Timing {
    /// Timestamps when the adapter has them.
    pub fn best(ctx: &Context) -> Timing {
        if ctx.summary.timestamps { Timing::Timestamps } else { Timing::WallTime }
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timing::Timestamps => {
                write!(f, "GPU timestamp queries (one compute pass per kernel, timed at its start and end)")
            }
            Timing::WallTime => write!(
                f,
                "wall time (no timestamp queries: each kernel submitted alone and waited for, so the \
                 times include the submission overhead)"
            ),
        }
    }
}

/// The kernels of one kind in a profiled call.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct KindTime {
    #[serde(serialize_with = "as_text")]
    pub kind: KernelKind,
    /// Kernel calls (a weight split over several buffers makes one call of several dispatches).
    pub kernels: usize,
    pub dispatches: usize,
    pub seconds: f64,
}

/// Where the time of one forward call went.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Profile {
    pub timing: Timing,
    pub n_tokens: u32,
    /// Slowest kind first.
    pub kinds: Vec<KindTime>,
    /// The token the call chose (as `forward` with `Want::Argmax` would).
    pub token: u32,
    /// GPU seconds of the same call recorded as `forward` records it (its kernels sharing compute
    /// passes, not each in a timed pass of its own), from its first pass's start to its last
    /// pass's end: what the GPU spends on it. Timed by timestamps only.
    pub as_run_s: Option<f64>,
}

impl Profile {
    pub(crate) fn new(
        timing: Timing,
        n_tokens: u32,
        times: Vec<(KernelKind, usize, f64)>,
        token: u32,
        as_run_s: Option<f64>,
    ) -> Self {
        let mut by_kind: BTreeMap<KernelKind, KindTime> = BTreeMap::new();
        for (kind, dispatches, seconds) in times {
            let entry = by_kind.entry(kind).or_insert(KindTime { kind, kernels: 0, dispatches: 0, seconds: 0.0 });
            entry.kernels += 1;
            entry.dispatches += dispatches;
            entry.seconds += seconds;
        }
        let mut kinds: Vec<KindTime> = by_kind.into_values().collect();
        kinds.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        Profile { timing, n_tokens, kinds, token, as_run_s }
    }

    pub fn dispatches(&self) -> usize {
        self.kinds.iter().map(|k| k.dispatches).sum()
    }

    pub fn seconds(&self) -> f64 {
        self.kinds.iter().map(|k| k.seconds).sum()
    }
}

/// A table: one row per kind, slowest first, with its dispatches, time and share, then the total.
impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.seconds();
        // As wide as the longest kind's name ("matvec_glu IQ4_NL").
        const KIND: usize = 17;
        writeln!(f, "  {:<KIND$} {:>10} {:>10} {:>12} {:>7}", "kernel", "dispatches", "ms", "us/dispatch", "share")?;
        for k in &self.kinds {
            writeln!(
                f,
                "  {:<KIND$} {:>10} {:>10.2} {:>12.1} {:>6.1}%",
                k.kind.to_string(),
                k.dispatches,
                k.seconds * 1e3,
                k.seconds * 1e6 / k.dispatches.max(1) as f64,
                100.0 * k.seconds / total.max(f64::MIN_POSITIVE)
            )?;
        }
        write!(f, "  {:<KIND$} {:>10} {:>10.2}", "total", self.dispatches(), total * 1e3)?;
        if let Some(as_run) = self.as_run_s {
            let note = "the same work with its kernels sharing passes, as decoding runs it";
            write!(f, "\n  {:<KIND$} {:>10} {:>10.2}  ({note})", "as run", self.dispatches(), as_run * 1e3)?;
        }
        Ok(())
    }
}

/// A kernel kind as its name (`matvec Q4_K`), for reports read by people and scripts.
fn as_text<S: serde::Serializer>(kind: &KernelKind, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(kind)
}

/// Every kernel in its own compute pass with timestamps at its start and end, in one command buffer.
pub(crate) struct TimestampRecorder<'a> {
    ctx: &'a Context,
    encoder: wgpu::CommandEncoder,
    queries: wgpu::QuerySet,
    kernels: Vec<(KernelKind, usize)>,
}

impl<'a> TimestampRecorder<'a> {
    pub fn new(ctx: &'a Context, kernels: usize) -> Result<Self, GpuError> {
        let queries = pass_queries(ctx, kernels)
            .ok_or_else(|| GpuError::Unsupported(format!("profiling {kernels} kernels in one call")))?;
        let encoder = ctx.device.create_command_encoder(&Default::default());
        Ok(Self { ctx, encoder, queries, kernels: Vec::with_capacity(kernels) })
    }

    /// Submits the recorded work and returns each kernel's (kind, dispatches, seconds).
    pub async fn finish(self) -> Result<Vec<(KernelKind, usize, f64)>, GpuError> {
        let used = self.kernels.len() as u32 * 2;
        let ticks = submit_and_read(self.ctx, self.encoder, &self.queries, used).await?;
        let period_s = f64::from(self.ctx.queue.get_timestamp_period()) * 1e-9;
        Ok(self
            .kernels
            .iter()
            .zip(ticks.chunks_exact(2))
            .map(|(&(kind, dispatches), t)| (kind, dispatches, t[1].saturating_sub(t[0]) as f64 * period_s))
            .collect())
    }
}

impl Recorder for TimestampRecorder<'_> {
    fn kernel(&mut self, kernel: &dyn Kernel, n_tokens: u32) {
        // The query set was sized by counting the kernels first; an index past it is a validation
        // error, which the caller's error scope reports.
        let first = self.kernels.len() as u32 * 2;
        let timestamp_writes = Some(wgpu::ComputePassTimestampWrites {
            query_set: &self.queries,
            beginning_of_pass_write_index: Some(first),
            end_of_pass_write_index: Some(first + 1),
        });
        let mut pass = self.encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes });
        kernel.record(&mut pass, n_tokens);
        drop(pass);
        self.kernels.push((kernel.kind(n_tokens), kernel.dispatches(n_tokens)));
    }

    fn copy(&mut self, encode: impl FnOnce(&mut wgpu::CommandEncoder)) {
        encode(&mut self.encoder);
    }
}

/// Timestamps for the start and end of `passes` compute passes; None past a query set's limit.
fn pass_queries(ctx: &Context, passes: usize) -> Option<wgpu::QuerySet> {
    let count = u32::try_from(passes * 2).ok().filter(|&n| (1..=wgpu::QUERY_SET_MAX_QUERIES).contains(&n))?;
    Some(ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
        label: Some("profile"),
        ty: wgpu::QueryType::Timestamp,
        count,
    }))
}

/// Resolves the first `used` timestamps of `queries` at the end of `encoder`, submits it and reads
/// them back, in ticks.
async fn submit_and_read(
    ctx: &Context,
    mut encoder: wgpu::CommandEncoder,
    queries: &wgpu::QuerySet,
    used: u32,
) -> Result<Vec<u64>, GpuError> {
    let bytes = u64::from(used.max(1)) * 8;
    let buffer = |usage| {
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("profile.timestamps"),
            size: bytes,
            usage,
            mapped_at_creation: false,
        })
    };
    let resolved = buffer(wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
    let staging = buffer(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
    if used > 0 {
        encoder.resolve_query_set(queries, 0..used, &resolved, 0);
        encoder.copy_buffer_to_buffer(&resolved, 0, &staging, 0, bytes);
    }
    ctx.queue.submit([encoder.finish()]);
    Ok(map_read(ctx, &staging)
        .await?
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect())
}

/// Timestamps for [`Profile::as_run_s`]: a call of at most `passes` compute passes (one more than
/// its copies), recorded by [`PassRecorder::timed`].
pub(crate) fn as_run_queries(ctx: &Context, passes: usize) -> Result<wgpu::QuerySet, GpuError> {
    pass_queries(ctx, passes)
        .ok_or_else(|| GpuError::Unsupported(format!("timing {passes} compute passes in one call")))
}

/// Submits what `recorder` (timed into `queries`) holds and returns the seconds from its first
/// pass's start to its last pass's end.
pub(crate) async fn as_run_seconds(
    ctx: &Context,
    recorder: PassRecorder,
    queries: &wgpu::QuerySet,
) -> Result<f64, GpuError> {
    let (encoder, passes) = recorder.end();
    let ticks = submit_and_read(ctx, encoder, queries, passes * 2).await?;
    let starts = ticks.iter().step_by(2).copied().min().unwrap_or(0);
    let ends = ticks.iter().skip(1).step_by(2).copied().max().unwrap_or(0);
    Ok(ends.saturating_sub(starts) as f64 * f64::from(ctx.queue.get_timestamp_period()) * 1e-9)
}

/// Records through `record` with every kernel submitted alone and waited for, timed by the wall
/// clock; returns each kernel's (kind, dispatches, seconds).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn wall_times(
    ctx: &Context,
    record: impl FnOnce(&mut WallRecorder<'_>),
) -> Result<Vec<(KernelKind, usize, f64)>, GpuError> {
    let mut recorder = WallRecorder { ctx, times: Vec::new(), error: None };
    // Earlier work (a decode step submitted ahead) would be timed with the first kernel.
    if let Err(e) = ctx.device.poll(wgpu::PollType::wait_indefinitely()) {
        return Err(GpuError::Readback(e.to_string()));
    }
    record(&mut recorder);
    recorder.error.map_or(Ok(recorder.times), Err)
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) struct WallRecorder<'a> {
    ctx: &'a Context,
    times: Vec<(KernelKind, usize, f64)>,
    error: Option<GpuError>,
}

#[cfg(not(target_arch = "wasm32"))]
impl WallRecorder<'_> {
    fn submit_and_wait(&mut self, encoder: wgpu::CommandEncoder) {
        self.ctx.queue.submit([encoder.finish()]);
        if let Err(e) = self.ctx.device.poll(wgpu::PollType::wait_indefinitely()) {
            self.error.get_or_insert(GpuError::Readback(e.to_string()));
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Recorder for WallRecorder<'_> {
    fn kernel(&mut self, kernel: &dyn Kernel, n_tokens: u32) {
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        kernel.record(&mut encoder.begin_compute_pass(&Default::default()), n_tokens);
        let start = std::time::Instant::now();
        self.submit_and_wait(encoder);
        self.times.push((kernel.kind(n_tokens), kernel.dispatches(n_tokens), start.elapsed().as_secs_f64()));
    }

    fn copy(&mut self, encode: impl FnOnce(&mut wgpu::CommandEncoder)) {
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        encode(&mut encoder);
        self.submit_and_wait(encoder);
    }
}
