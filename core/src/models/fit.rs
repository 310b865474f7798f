//! Will a model fit this GPU? The model's needs (weights, its largest tensor, the shape that sets the
//! KV cache) against the adapter's limits. The largest storage binding is not a hard limit (the engine
//! splits big tensors across bindings); the largest buffer and the memory the device has are.

use super::format;
use crate::gpu::AdapterSummary;
use serde::{Deserialize, Serialize};

/// Context the estimate assumes unless the model allows less: enough for the benchmarks' prompts.
pub const DEFAULT_CONTEXT: u32 = 4096;
/// Fixed allowance for intermediate buffers, uniforms and the allocator's slack.
pub const SCRATCH_OVERHEAD: u64 = 64 << 20;
/// Above this share of the device's memory a model is marked "tight".
const TIGHT_SHARE: f64 = 0.6;

/// The hyperparameters that decide the KV cache and scratch sizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    pub layers: u32,
    pub embedding: u32,
    pub heads: u32,
    pub kv_heads: u32,
    pub head_dim: u32,
    pub feed_forward: u32,
    pub vocab: u32,
    /// The longest context the model was trained for.
    pub context: u32,
}

/// What a model asks of the device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// Bytes of tensor data (about the file size).
    pub weights: u64,
    /// Bytes of the largest single tensor, which must fit in one GPU buffer.
    pub largest_tensor: u64,
    /// Its name, when known (from a parsed header).
    pub largest_tensor_name: Option<String>,
    pub shape: Shape,
}

/// The adapter limits that matter here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceLimits {
    pub max_buffer: u64,
    pub max_storage_binding: u64,
    pub shader_f16: bool,
    /// A CPU-backed adapter (SwiftShader, llvmpipe): correct but very slow.
    pub software: bool,
    /// The device's memory as the browser reports it (`navigator.deviceMemory`, rounded down), if known.
    pub device_memory: Option<u64>,
}

impl DeviceLimits {
    pub fn from_adapter(adapter: &AdapterSummary, device_memory: Option<u64>) -> DeviceLimits {
        let name = adapter.name.to_ascii_lowercase();
        DeviceLimits {
            max_buffer: adapter.max_buffer,
            max_storage_binding: adapter.max_storage_binding,
            shader_f16: adapter.shader_f16,
            software: adapter.device_type == "software"
                || ["swiftshader", "llvmpipe", "lavapipe", "software"].iter().any(|s| name.contains(s)),
            device_memory,
        }
    }
}

/// GPU memory a model needs at a given context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    pub context: u32,
    /// Bytes per cached key or value element: 2 with shader-f16, else 4.
    pub kv_bytes_per_value: u64,
    pub weights: u64,
    pub kv_cache: u64,
    pub scratch: u64,
}

impl MemoryEstimate {
    pub fn total(&self) -> u64 {
        self.weights.saturating_add(self.kv_cache).saturating_add(self.scratch)
    }

    /// "about 420 MB (386 MB of weights, 21 MB of KV cache for 4,096 tokens, 13 MB of scratch)".
    pub fn describe(&self) -> String {
        format!(
            "about {} ({} of weights, {} of KV cache for {} tokens, {} of working buffers)",
            format::bytes(self.total()),
            format::bytes(self.weights),
            format::bytes(self.kv_cache),
            format::count(self.context.into()),
            format::bytes(self.scratch)
        )
    }
}

/// The context the estimate uses: the default, or less if the model was trained for less.
pub fn effective_context(shape: &Shape, requested: u32) -> u32 {
    if shape.context == 0 { requested } else { requested.min(shape.context) }
}

/// Weights + KV cache (keys and values for every layer and position) + working buffers.
pub fn estimate(needs: &Needs, context: u32, kv_bytes_per_value: u64) -> MemoryEstimate {
    let s = &needs.shape;
    let context = effective_context(s, context);
    let kv_cache = 2u64
        .saturating_mul(s.layers.into())
        .saturating_mul(context.into())
        .saturating_mul(s.kv_heads.into())
        .saturating_mul(s.head_dim.into())
        .saturating_mul(kv_bytes_per_value);
    // Logits (twice: raw and sampled), the residual stream and FFN activations, one row of attention
    // scores per head, all f32.
    let floats = 2 * u64::from(s.vocab)
        + 8 * u64::from(s.embedding)
        + 3 * u64::from(s.feed_forward)
        + u64::from(s.heads) * u64::from(context);
    let scratch = floats.saturating_mul(4).saturating_add(SCRATCH_OVERHEAD);
    MemoryEstimate { context, kv_bytes_per_value, weights: needs.weights, kv_cache, scratch }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing stands in the way.
    Fits,
    /// It should load, with a caveat (slow adapter, most of the memory).
    Tight,
    /// It cannot: a hard limit is exceeded.
    WontFit,
}

/// The verdict and the reasons for it, as sentences for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitReport {
    pub verdict: Verdict,
    pub estimate: MemoryEstimate,
    /// Why it cannot fit (non-empty exactly when the verdict is `WontFit`).
    pub problems: Vec<String>,
    /// Caveats that make it `Tight`.
    pub warnings: Vec<String>,
    /// Facts that change nothing (splitting, f32 cache).
    pub notes: Vec<String>,
}

impl FitReport {
    /// One short sentence: the verdict and its main reason.
    pub fn summary(&self) -> String {
        let first = |list: &[String]| list.first().cloned().unwrap_or_default();
        match self.verdict {
            Verdict::Fits => {
                format!("Fits this GPU: needs about {} of GPU memory.", format::bytes(self.estimate.total()))
            }
            Verdict::Tight => format!("Should fit, but {}", first(&self.warnings)),
            Verdict::WontFit => format!("Will not fit this GPU: {}", first(&self.problems)),
        }
    }

    /// Everything the summary leaves out, as sentences: the memory breakdown, further reasons, notes.
    pub fn details(&self) -> Vec<String> {
        let mut details = vec![format!("Needs {}.", self.estimate.describe())];
        let (problems, warnings) = match self.verdict {
            Verdict::WontFit => (self.problems.get(1..).unwrap_or_default(), &self.warnings[..]),
            Verdict::Tight => (&self.problems[..], self.warnings.get(1..).unwrap_or_default()),
            Verdict::Fits => (&self.problems[..], &self.warnings[..]),
        };
        details.extend(problems.iter().chain(warnings).map(|s| capitalized(s)));
        details.extend(self.notes.iter().cloned());
        details
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Compares `needs` with `limits` at `context` tokens (capped by the model's own maximum).
pub fn check(needs: &Needs, limits: &DeviceLimits, context: u32) -> FitReport {
    let kv_bytes = if limits.shader_f16 { 2 } else { 4 };
    let estimate = estimate(needs, context, kv_bytes);
    let total = estimate.total();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut notes = Vec::new();
    let tensor = needs.largest_tensor_name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();

    if needs.largest_tensor > limits.max_buffer {
        problems.push(format!(
            "its largest tensor{tensor} is {}, but this GPU allows buffers of at most {}.",
            format::bytes(needs.largest_tensor),
            format::bytes(limits.max_buffer)
        ));
    } else if needs.largest_tensor > limits.max_storage_binding && limits.max_storage_binding > 0 {
        let pieces = needs.largest_tensor.div_ceil(limits.max_storage_binding);
        notes.push(format!(
            "Its largest tensor{tensor} ({}) is bigger than one shader binding ({}); it will be read in {pieces} pieces.",
            format::bytes(needs.largest_tensor),
            format::bytes(limits.max_storage_binding)
        ));
    }
    if let Some(memory) = limits.device_memory {
        if total > memory {
            problems.push(format!(
                "it needs {}, but this device reports only about {} of memory.",
                estimate.describe(),
                format::bytes(memory)
            ));
        } else if total as f64 > memory as f64 * TIGHT_SHARE {
            warnings.push(format!(
                "it would use most of this device's memory (about {}); close other tabs first.",
                format::bytes(memory)
            ));
        }
    }
    if limits.software {
        warnings.push("this is a software adapter without GPU acceleration, so it will run very slowly.".into());
    }
    if !limits.shader_f16 {
        notes.push("This GPU has no shader-f16, so the KV cache is kept in f32 (counted above).".into());
    }
    let verdict = if !problems.is_empty() {
        Verdict::WontFit
    } else if !warnings.is_empty() {
        Verdict::Tight
    } else {
        Verdict::Fits
    };
    FitReport { verdict, estimate, problems, warnings, notes }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;

    fn smollm() -> Needs {
        Needs {
            weights: 145 * MB,
            largest_tensor: 30 * MB,
            largest_tensor_name: Some("token_embd.weight".into()),
            shape: Shape {
                layers: 30,
                embedding: 576,
                heads: 9,
                kv_heads: 3,
                head_dim: 64,
                feed_forward: 1536,
                vocab: 49152,
                context: 8192,
            },
        }
    }

    fn desktop() -> DeviceLimits {
        DeviceLimits {
            max_buffer: 4 << 30,
            max_storage_binding: 2 << 30,
            shader_f16: true,
            software: false,
            device_memory: Some(8 << 30),
        }
    }

    #[test]
    fn kv_cache_counts_keys_and_values_for_every_layer_and_position() {
        let e = estimate(&smollm(), 4096, 4);
        assert_eq!(e.kv_cache, 2 * 30 * 4096 * 3 * 64 * 4);
        assert_eq!(e.weights, 145 * MB);
        assert_eq!(e.total(), e.weights + e.kv_cache + e.scratch);
    }

    #[test]
    fn context_is_capped_by_what_the_model_was_trained_for() {
        let mut needs = smollm();
        needs.shape.context = 2048;
        assert_eq!(estimate(&needs, 4096, 2).context, 2048);
        needs.shape.context = 0;
        assert_eq!(estimate(&needs, 4096, 2).context, 4096);
    }

    #[test]
    fn a_small_model_fits_a_desktop_gpu() {
        let report = check(&smollm(), &desktop(), DEFAULT_CONTEXT);
        assert_eq!(report.verdict, Verdict::Fits, "{report:?}");
        assert!(report.problems.is_empty());
        assert_eq!(
            report.summary(),
            format!("Fits this GPU: needs about {} of GPU memory.", format::bytes(report.estimate.total()))
        );
        assert!(report.details()[0].starts_with("Needs about"), "{:?}", report.details());
    }

    #[test]
    fn a_tensor_larger_than_the_largest_buffer_does_not_fit() {
        let limits = DeviceLimits { max_buffer: 256 << 20, max_storage_binding: 128 << 20, ..desktop() };
        let needs = Needs { largest_tensor: 484 * MB, ..smollm() };
        let report = check(&needs, &limits, DEFAULT_CONTEXT);
        assert_eq!(report.verdict, Verdict::WontFit);
        assert!(report.problems[0].contains("token_embd.weight"), "{}", report.problems[0]);
        assert!(report.problems[0].contains("484 MB"), "{}", report.problems[0]);
        assert!(report.summary().starts_with("Will not fit this GPU: its largest tensor"));
    }

    #[test]
    fn a_tensor_larger_than_one_binding_is_split_not_refused() {
        let limits = DeviceLimits { max_storage_binding: 128 << 20, ..desktop() };
        let needs = Needs { largest_tensor: 300 * MB, ..smollm() };
        let report = check(&needs, &limits, DEFAULT_CONTEXT);
        assert_eq!(report.verdict, Verdict::Fits);
        assert!(report.notes.iter().any(|n| n.contains("3 pieces")), "{:?}", report.notes);
    }

    #[test]
    fn more_than_the_device_memory_does_not_fit() {
        let limits = DeviceLimits { device_memory: Some(1 << 30), ..desktop() };
        let needs = Needs { weights: 1710 * MB, ..smollm() };
        let report = check(&needs, &limits, DEFAULT_CONTEXT);
        assert_eq!(report.verdict, Verdict::WontFit);
        assert!(report.problems[0].contains("reports only about 1.07 GB"), "{}", report.problems[0]);
    }

    #[test]
    fn further_reasons_are_details_in_sentence_case() {
        let limits = DeviceLimits { max_buffer: 1 << 20, device_memory: Some(1 << 20), software: true, ..desktop() };
        let report = check(&smollm(), &limits, DEFAULT_CONTEXT);
        let details = report.details();
        assert!(details[1].starts_with("It needs about"), "{details:?}");
        assert!(details[2].starts_with("This is a software adapter"), "{details:?}");
    }

    #[test]
    fn most_of_the_device_memory_is_tight() {
        let limits = DeviceLimits { device_memory: Some(2 << 30), ..desktop() };
        let needs = Needs { weights: 1500 * MB, ..smollm() };
        assert_eq!(check(&needs, &limits, DEFAULT_CONTEXT).verdict, Verdict::Tight);
    }

    #[test]
    fn unknown_device_memory_is_not_a_reason_to_refuse() {
        let limits = DeviceLimits { device_memory: None, ..desktop() };
        let needs = Needs { weights: 100_000 * MB, ..smollm() };
        assert_eq!(check(&needs, &limits, DEFAULT_CONTEXT).verdict, Verdict::Fits);
    }

    #[test]
    fn a_software_adapter_is_tight_and_says_why() {
        let limits = DeviceLimits { software: true, ..desktop() };
        let report = check(&smollm(), &limits, DEFAULT_CONTEXT);
        assert_eq!(report.verdict, Verdict::Tight);
        assert!(report.summary().starts_with("Should fit, but this is a software adapter"), "{}", report.summary());
        assert!(!report.details().iter().any(|d| d.contains("very slowly")), "said once: {:?}", report.details());
    }

    #[test]
    fn without_shader_f16_the_cache_is_twice_as_large() {
        let f16 = check(&smollm(), &desktop(), DEFAULT_CONTEXT);
        let f32 = check(&smollm(), &DeviceLimits { shader_f16: false, ..desktop() }, DEFAULT_CONTEXT);
        assert_eq!(f32.estimate.kv_cache, 2 * f16.estimate.kv_cache);
        assert!(f32.notes.iter().any(|n| n.contains("shader-f16")));
    }

    #[test]
    fn software_adapters_are_recognised_by_name_or_type() {
        let mut adapter = AdapterSummary {
            name: "Google SwiftShader".into(),
            backend: "WebGPU".into(),
            device_type: "GPU".into(),
            driver: String::new(),
            max_storage_binding: 1 << 27,
            max_buffer: 1 << 28,
            max_workgroup_storage: 16384,
            max_invocations_per_workgroup: 256,
            max_storage_buffers_per_stage: 8,
            max_uniform_binding: 64 << 10,
            shader_f16: false,
            subgroups: false,
            timestamps: false,
        };
        assert!(DeviceLimits::from_adapter(&adapter, None).software);
        adapter.name = "NVIDIA GeForce RTX 4090".into();
        assert!(!DeviceLimits::from_adapter(&adapter, None).software);
        adapter.device_type = "software".into();
        assert!(DeviceLimits::from_adapter(&adapter, None).software);
    }
}
