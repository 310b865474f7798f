//! The two engines behind one interface for the CLI: the GPU runtime (default) and the CPU reference.

use super::model_file;
use mindseye_core::gguf::File;
use mindseye_core::gpu::{Capacity, Context, GpuModel, load_chunks};
use mindseye_core::model::{CpuModel, Generator, KvCache, LoadError, Step};
use mindseye_core::tokenizer::Tokenizer;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

pub enum Backend {
    Gpu(Box<GpuModel>),
    Cpu(Box<CpuModel>, KvCache),
}

impl Backend {
    /// Opens `path` on the GPU (streamed from disk in 4 MiB chunks) or on the CPU reference.
    pub fn open(path: &Path, cpu: bool, n_ctx: usize) -> Result<(File, Tokenizer, Backend), String> {
        if cpu {
            let (file, tokenizer, model) = model_file::open_cpu(path)?;
            let cache = model.cache(n_ctx.min(model.config.n_ctx_train));
            return Ok((file, tokenizer, Backend::Cpu(Box::new(model), cache)));
        }
        let n_ctx = u32::try_from(n_ctx).unwrap_or(u32::MAX);
        Self::open_gpu(path, n_ctx.into(), || ())
    }

    /// Opens `path` on the GPU; `device_open` runs once the device is open and before the weights
    /// stream in (the benchmark reads the host memory the driver took there).
    pub fn open_gpu(
        path: &Path,
        capacity: Capacity,
        device_open: impl FnOnce(),
    ) -> Result<(File, Tokenizer, Backend), String> {
        let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let (file, len) = model_file::read_header(path)?;
        file.check_len(len).map_err(|e| fail(&e))?;
        let tokenizer = Tokenizer::from_gguf(&file).map_err(|e| fail(&format!("tokenizer: {e}")))?;
        let ctx = pollster::block_on(Context::new()).map_err(|e| fail(&e))?;
        device_open();
        let mut input = std::fs::File::open(path).map_err(|e| fail(&e))?;
        let chunks = std::iter::from_fn(move || {
            let mut chunk = vec![0; 4 << 20];
            match input.read(&mut chunk) {
                Ok(0) => None,
                Ok(n) => {
                    chunk.truncate(n);
                    Some(Ok(chunk))
                }
                Err(e) => Some(Err(LoadError::Io(e.to_string()))),
            }
        });
        let model = load_chunks(Arc::new(ctx), chunks, capacity).map_err(|e| fail(&e))?;
        Ok((file, tokenizer, Backend::Gpu(Box::new(model))))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Gpu(_) => "GPU",
            Backend::Cpu(..) => "CPU reference",
        }
    }

    pub fn config(&self) -> &mindseye_core::model::Config {
        match self {
            Backend::Gpu(m) => &m.config,
            Backend::Cpu(m, _) => &m.config,
        }
    }

    /// Feeds the generator's pending tokens and lets it choose the next one; on the GPU the argmax
    /// is taken there when the generator does not need the logits.
    pub fn step(&mut self, generator: &mut Generator) -> Result<Step, String> {
        let pending = generator.pending().to_vec();
        match self {
            Backend::Cpu(model, cache) => {
                let mut logits = Vec::new();
                for t in pending {
                    logits = model.forward(cache, t).map_err(|e| e.to_string())?;
                }
                generator.next(&logits).map_err(|e| e.to_string())
            }
            Backend::Gpu(model) => {
                let want = model.want_for(generator);
                let output = pollster::block_on(model.forward(&pending, want)).map_err(|e| e.to_string())?;
                output.choose(generator).map_err(|e| e.to_string())
            }
        }
    }
}
