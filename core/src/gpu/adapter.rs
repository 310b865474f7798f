//! Finding an adapter and opening a device that asks for everything the adapter offers.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// How many bytes a streamed upload hands the queue before it waits for the copies (natively):
/// wgpu stages every write in host memory until its copy has run on the GPU.
pub const UPLOAD_WAIT_BYTES: u64 = 32 << 20;

/// Why the GPU could not be used. Every variant reads as a plain sentence for the user.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("no GPU adapter was found ({0}); WebGPU or a Vulkan/Metal/DX12 driver is required")]
    NoAdapter(String),
    #[error("the GPU adapter refused to open a device: {0}")]
    DeviceRequest(String),
    #[error("reading a result back from the GPU failed: {0}")]
    Readback(String),
    #[error("the GPU computed a wrong result: {0}")]
    WrongResult(String),
    #[error(
        "{what} needs {needed} bytes in one storage binding, but this GPU allows at most {limit} \
         (max_storage_buffer_binding_size)"
    )]
    TooLarge { what: String, needed: u64, limit: u64 },
    #[error("the GPU kernels do not support {0}")]
    Unsupported(String),
    #[error("wrong shape or size: {0}")]
    Shape(String),
    #[error("the GPU rejected the work: {0}")]
    Rejected(String),
    #[error("the GPU device was lost ({0}); reload the model to go on")]
    DeviceLost(String),
}

/// What the app and the CLI show about an adapter: its identity, the limits that decide which
/// models fit, and the optional features that select faster kernel variants.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub max_storage_binding: u64,
    /// The CPU-adapter kernels read activations through 64 KiB uniform windows.
    pub max_uniform_binding: u64,
    pub max_buffer: u64,
    pub max_workgroup_storage: u32,
    pub max_invocations_per_workgroup: u32,
    pub max_storage_buffers_per_stage: u32,
    pub shader_f16: bool,
    pub subgroups: bool,
    pub timestamps: bool,
}

impl AdapterSummary {
    /// Whether the adapter is software, running on the CPU (lavapipe, SwiftShader).
    pub fn is_software(&self) -> bool {
        self.device_type == device_type_name(wgpu::DeviceType::Cpu)
    }

    fn new(info: &wgpu::AdapterInfo, limits: &wgpu::Limits, features: wgpu::Features) -> Self {
        Self {
            name: info.name.clone(),
            backend: backend_name(info.backend).to_string(),
            device_type: device_type_name(info.device_type).to_string(),
            driver: [info.driver.as_str(), info.driver_info.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" "),
            max_storage_binding: limits.max_storage_buffer_binding_size,
            max_uniform_binding: limits.max_uniform_buffer_binding_size,
            max_buffer: limits.max_buffer_size,
            max_workgroup_storage: limits.max_compute_workgroup_storage_size,
            max_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
            max_storage_buffers_per_stage: limits.max_storage_buffers_per_shader_stage,
            shader_f16: features.contains(wgpu::Features::SHADER_F16),
            subgroups: features.contains(wgpu::Features::SUBGROUP),
            timestamps: features.contains(wgpu::Features::TIMESTAMP_QUERY),
        }
    }
}

impl AdapterSummary {
    /// Names a browser adapter from `GPUAdapterInfo`. Browsers often leave `description` empty
    /// for privacy (SwiftShader does), and wgpu keeps only that field, so fall back to
    /// "vendor architecture device".
    pub fn name_from_web_info(vendor: &str, architecture: &str, device: &str, description: &str) -> String {
        if !description.trim().is_empty() {
            return description.trim().to_string();
        }
        let parts: Vec<&str> =
            [vendor, architecture, device].into_iter().map(str::trim).filter(|s| !s.is_empty()).collect();
        if parts.is_empty() { "unnamed WebGPU adapter".to_string() } else { parts.join(" ") }
    }
}

fn backend_name(backend: wgpu::Backend) -> &'static str {
    match backend {
        wgpu::Backend::Vulkan => "Vulkan",
        wgpu::Backend::Metal => "Metal",
        wgpu::Backend::Dx12 => "DirectX 12",
        wgpu::Backend::Gl => "OpenGL",
        wgpu::Backend::BrowserWebGpu => "WebGPU",
        wgpu::Backend::Noop => "no-op",
    }
}

fn device_type_name(device_type: wgpu::DeviceType) -> &'static str {
    match device_type {
        wgpu::DeviceType::DiscreteGpu => "discrete GPU",
        wgpu::DeviceType::IntegratedGpu => "integrated GPU",
        wgpu::DeviceType::VirtualGpu => "virtual GPU",
        wgpu::DeviceType::Cpu => "software",
        wgpu::DeviceType::Other => "GPU",
    }
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1024 * 1024))
}

fn kib(bytes: u64) -> String {
    format!("{} KiB", bytes / 1024)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

impl fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "adapter:              {}", self.name)?;
        writeln!(f, "backend:              {} ({})", self.backend, self.device_type)?;
        if !self.driver.is_empty() {
            writeln!(f, "driver:               {}", self.driver)?;
        }
        writeln!(f, "max storage binding:  {}", mib(self.max_storage_binding))?;
        writeln!(f, "max uniform binding:  {}", kib(self.max_uniform_binding))?;
        writeln!(f, "max buffer:           {}", mib(self.max_buffer))?;
        writeln!(f, "workgroup memory:     {} KiB", self.max_workgroup_storage / 1024)?;
        writeln!(f, "invocations/group:    {}", self.max_invocations_per_workgroup)?;
        writeln!(f, "storage buffers/stage: {}", self.max_storage_buffers_per_stage)?;
        writeln!(f, "shader-f16:           {}", yes_no(self.shader_f16))?;
        writeln!(f, "subgroups:            {}", yes_no(self.subgroups))?;
        write!(f, "timestamp queries:    {}", yes_no(self.timestamps))
    }
}

/// An open device plus what we learned about its adapter.
pub struct Context {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub summary: AdapterSummary,
    /// Largest storage binding the kernels plan for: the adapter's limit unless lowered by
    /// [`Context::with_storage_binding_cap`].
    binding_cap: u64,
    /// Whether kernels may use their subgroup variants (off: the portable path everywhere).
    subgroups: bool,
    /// Whether kernels may use their `shader-f16` variants (the KV cache in halves).
    f16: bool,
    /// Why the device was lost, once it has been (a driver reset, a crashed GPU process, `destroy`).
    lost: Arc<Mutex<Option<String>>>,
    /// Compiled pipelines by WGSL source and entry point, shared by every model loaded on this
    /// context: compiling is most of a first load's time (about 20 s for the engine's kernels on
    /// a software adapter), and browsers do not reuse pipelines across `create*` calls.
    pipelines: Mutex<HashMap<(String, String), wgpu::ComputePipeline>>,
    /// Whether the matrix-vector kernels may use their CPU-adapter variants.
    cpu_kernels: bool,
    /// The GPU matrix-vector kernels' workgroup shape (threads, rows) when forced by
    /// [`Context::with_matvec_shape`]; else chosen by row length.
    matvec_shape: Option<(u32, u32)>,
    /// Bytes [`Context::upload`] has handed the queue since it last waited.
    unwaited: AtomicU64,
}

fn new_instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    if cfg!(target_arch = "wasm32") {
        desc.backends = wgpu::Backends::BROWSER_WEBGPU;
    } else if std::env::var_os("WGPU_BACKEND").is_none() {
        desc.backends = wgpu::Backends::PRIMARY;
    }
    wgpu::Instance::new(desc)
}

/// Natively, one instance for the whole process: each instance loads the Vulkan driver again, and
/// NVIDIA's (580.159, on an H200) finds no adapter from the 31st load in a process on, even with
/// every earlier context dropped, which a test binary opening a context per test reaches.
#[cfg(not(target_arch = "wasm32"))]
fn instance() -> &'static wgpu::Instance {
    static INSTANCE: std::sync::OnceLock<wgpu::Instance> = std::sync::OnceLock::new();
    INSTANCE.get_or_init(new_instance)
}

/// Held while a context opens natively ([`Context::new`]).
#[cfg(not(target_arch = "wasm32"))]
static OPENING: Mutex<()> = Mutex::new(());

/// In the browser an instance is only a handle on `navigator.gpu`.
#[cfg(target_arch = "wasm32")]
fn instance() -> wgpu::Instance {
    new_instance()
}

impl Context {
    /// Opens the best adapter on this platform: WebGPU in the browser, Vulkan/Metal/DX12 natively.
    /// The device gets the adapter's own limits (not WebGPU's defaults, which cap storage bindings
    /// at 128 MiB even on large GPUs) and the optional features our kernels can use.
    // Native wgpu's requests are ready futures (wgpu-core does the work as they are made), so the
    // guard below is never held across a suspension.
    #[allow(clippy::await_holding_lock)]
    pub async fn new() -> Result<Self, GpuError> {
        // Natively, one context opens at a time: NVIDIA's Linux driver has raced in concurrent
        // adapter and device creation (gfx-rs/wgpu#5930, kvark/blade#336), which a test binary
        // opening a context per test on 16 threads does.
        #[cfg(not(target_arch = "wasm32"))]
        let _opening = OPENING.lock().unwrap_or_else(PoisonError::into_inner);
        let instance = instance();
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        Self::from_adapter(&adapter).await
    }

    async fn from_adapter(adapter: &wgpu::Adapter) -> Result<Self, GpuError> {
        let wanted = wgpu::Features::SHADER_F16 | wgpu::Features::SUBGROUP | wgpu::Features::TIMESTAMP_QUERY;
        let features = adapter.features() & wanted;
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("mindseye"),
                required_features: features,
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::DeviceRequest(e.to_string()))?;
        let summary = AdapterSummary::new(&adapter.get_info(), &limits, features);
        let binding_cap = summary.max_storage_binding.min(summary.max_buffer);
        let subgroups = summary.subgroups;
        let f16 = summary.shader_f16;
        // The CPU variants read the activation through a 64 KiB uniform binding.
        let cpu_kernels = adapter.get_info().device_type == wgpu::DeviceType::Cpu
            && limits.max_uniform_buffer_binding_size >= super::matvec::X_WINDOW_BYTES;
        let lost = Arc::new(Mutex::new(None));
        let record = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            let why = match (reason, message.trim()) {
                (wgpu::DeviceLostReason::Destroyed, _) => "the device was destroyed".to_string(),
                (_, "") => "no reason given".to_string(),
                (_, message) => message.to_string(),
            };
            if let Ok(mut slot) = record.lock() {
                slot.get_or_insert(why);
            }
        });
        Ok(Self {
            device,
            queue,
            summary,
            binding_cap,
            subgroups,
            f16,
            lost,
            pipelines: Mutex::default(),
            cpu_kernels,
            matvec_shape: None,
            unwaited: AtomicU64::new(0),
        })
    }

    /// Writes `data` into `buffer` at `offset`, for uploads that stream a model in. wgpu copies each
    /// write into a staging buffer in host memory, freed only once the copy has run on the GPU and
    /// the device is polled; so natively, every [`UPLOAD_WAIT_BYTES`] this submits and waits, and a
    /// model of any size holds at most that much staging at once. In the browser `writeBuffer`
    /// hands the bytes to the GPU process as it is called, and there is nothing to wait for.
    pub(crate) fn upload(&self, buffer: &wgpu::Buffer, offset: u64, data: &[u8]) {
        self.queue.write_buffer(buffer, offset, data);
        let len = data.len() as u64;
        if self.unwaited.fetch_add(len, Ordering::Relaxed) + len >= UPLOAD_WAIT_BYTES {
            self.unwaited.store(0, Ordering::Relaxed);
            self.queue.submit([]);
            // A failed wait means a lost device, which the model's first use reports (`check_alive`).
            #[cfg(not(target_arch = "wasm32"))]
            let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
        }
    }

    /// Why the device was lost, if it has been. A lost device never comes back: the model must be
    /// loaded again on a new [`Context`].
    pub fn lost(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|slot| slot.clone())
    }

    /// Fails with [`GpuError::DeviceLost`] once the device is gone, so callers report that rather
    /// than the confusing errors a dead device produces.
    pub fn check_alive(&self) -> Result<(), GpuError> {
        self.lost().map_or(Ok(()), |why| Err(GpuError::DeviceLost(why)))
    }

    /// The size in bytes that weight tensors are split to (by whole rows) so each piece fits one
    /// storage binding.
    pub fn storage_binding_cap(&self) -> u64 {
        self.binding_cap
    }

    /// Plans for storage bindings of at most `bytes` (rounded down to whole words, never above the
    /// adapter's limit), so tests exercise the split-weight paths on small tensors, as on phones
    /// and lavapipe where the limit is 128 MiB.
    pub fn with_storage_binding_cap(mut self, bytes: u64) -> Self {
        self.binding_cap = self.binding_cap.min(bytes / 4 * 4).max(4);
        self
    }

    /// Turns the subgroup kernel variants off, as on an adapter without subgroups (Chromium's
    /// software WebGPU), so the portable path can be tested and measured on any adapter.
    pub fn without_subgroups(mut self) -> Self {
        self.subgroups = false;
        self
    }

    /// Whether kernels built from this context use their subgroup variants.
    pub fn uses_subgroups(&self) -> bool {
        self.subgroups
    }

    /// Turns the `shader-f16` variants off, as on an adapter without it (Chromium's software
    /// WebGPU), so the f32 path can be tested and measured on any adapter.
    pub fn without_f16(mut self) -> Self {
        self.f16 = false;
        self
    }

    /// Whether kernels and KV caches built from this context use their `shader-f16` variants.
    pub fn uses_f16(&self) -> bool {
        self.f16
    }

    /// The pipeline for `entry` of `source`, compiled by `compile` the first time it is asked for.
    pub(crate) fn pipeline(
        &self,
        source: &str,
        entry: &str,
        compile: impl FnOnce() -> wgpu::ComputePipeline,
    ) -> wgpu::ComputePipeline {
        let mut cache = self.pipelines.lock().unwrap_or_else(PoisonError::into_inner);
        cache.entry((source.to_string(), entry.to_string())).or_insert_with(compile).clone()
    }

    /// How many distinct pipelines this context has compiled.
    pub fn compiled_pipelines(&self) -> usize {
        self.pipelines.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Turns the CPU-adapter variants of the matrix-vector kernels off, so the GPU kernels can be
    /// tested and measured on a CPU adapter (lavapipe).
    pub fn without_cpu_kernels(mut self) -> Self {
        self.cpu_kernels = false;
        self
    }

    /// Forces the GPU matrix-vector kernels (matvec.wgsl, matvec_glu.wgsl) to workgroups of
    /// `threads` threads computing `rows` rows each, whatever the row length, so benchmarks can
    /// compare shapes on one adapter. `threads`: a power of two from 32 to 256 (the reduction
    /// halves it); `rows`: a power of two from 2 (the fused gate and up pair them) up to 16; at
    /// most 2,048 partial sums in all (8 KiB of workgroup memory). The CPU-adapter kernels keep
    /// their own layout.
    pub fn with_matvec_shape(mut self, threads: u32, rows: u32) -> Result<Self, GpuError> {
        let power = |n: u32, lo: u32, hi: u32| n.is_power_of_two() && (lo..=hi).contains(&n);
        if !power(threads, 32, 256) || !power(rows, 2, 16) || threads * rows > 2048 {
            return Err(GpuError::Unsupported(format!(
                "a matvec workgroup of {threads} threads x {rows} rows (threads: 32, 64, 128 or 256; rows: 2, 4, 8 \
                 or 16; at most 2,048 of both multiplied)"
            )));
        }
        self.matvec_shape = Some((threads, rows));
        Ok(self)
    }

    /// The GPU matrix-vector kernels' forced workgroup shape, if any.
    pub fn matvec_shape(&self) -> Option<(u32, u32)> {
        self.matvec_shape
    }

    /// Whether the matrix-vector kernels built from this context use their CPU-adapter variants
    /// (one row per invocation, the activation from a uniform buffer): on software adapters,
    /// where every storage load is a scalar load per SIMD lane.
    pub fn uses_cpu_kernels(&self) -> bool {
        self.cpu_kernels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_adapter_name_prefers_the_description() {
        assert_eq!(AdapterSummary::name_from_web_info("nvidia", "ampere", "", "NVIDIA RTX 3080"), "NVIDIA RTX 3080");
    }

    #[test]
    fn web_adapter_name_falls_back_to_vendor_and_architecture() {
        assert_eq!(AdapterSummary::name_from_web_info("google", "swiftshader", "", ""), "google swiftshader");
    }

    #[test]
    fn web_adapter_name_is_never_empty() {
        assert_eq!(AdapterSummary::name_from_web_info("", " ", "", ""), "unnamed WebGPU adapter");
    }
}
