//! Host memory while a model streams onto the GPU (`core::gpu::load_chunks`, lavapipe in CI).
//!
//! The brief bounds a load's peak host memory by the file's size plus 64 MiB. On a discrete GPU the
//! weights leave the host, so what the loader itself holds must stay small and must not grow with
//! the model: one incoming chunk, one tensor's repacked rows (4 MiB at most), and the model's own
//! bookkeeping. This binary counts its Rust heap with a global allocator and streams a generated
//! 46 MiB llama-shaped model through the loader. (wgpu's staging copies live in the driver's memory,
//! which no Rust allocator sees; `Context::upload` waits for them every `UPLOAD_WAIT_BYTES`.)
//! One test per binary: the counters are global.
#![cfg(not(target_arch = "wasm32"))]

use mindseye_core::gguf::{File, Writer};
use mindseye_core::gpu::{Context, load_chunks};
use mindseye_core::model::LoadError;
use mindseye_core::quant::Type;
use mindseye_core::random::SplitMix64;
use mindseye_tests::models::gguf;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes allocated now and their peak.
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = NOW.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as the new block arriving before the old one leaves, as a moving realloc does.
            grew(new_size);
            NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: usize = 1 << 20;

/// A llama model of 4 layers, n_embd 1024, n_ff 2816, 16 heads (4 kv) of 64, every matrix Q8_0 with
/// random blocks: 46 MiB, each feed-forward matrix 2.9 MiB. The metadata (tokenizer included) is the
/// llama-q8_0 fixture's, with the sizes changed.
fn generated_model() -> Vec<u8> {
    let fixture = gguf("llama-q8_0");
    let fixture = File::parse(&fixture).expect("the fixture parses");
    let (n_embd, n_ff, n_layers, n_heads, n_kv) = (1024u64, 2816u64, 4u64, 16u64, 4u64);
    let sizes = [
        ("llama.embedding_length", n_embd),
        ("llama.feed_forward_length", n_ff),
        ("llama.block_count", n_layers),
        ("llama.attention.head_count", n_heads),
        ("llama.attention.head_count_kv", n_kv),
    ];
    let mut writer = fixture.metadata().iter().fold(Writer::new(), |w, (k, v)| w.metadata(k.clone(), v.clone()));
    for (key, value) in sizes {
        writer = writer.metadata(key, value as u32);
    }
    let n_vocab = fixture.tensors().iter().find(|t| t.name() == "token_embd.weight").expect("token_embd").dims()[1];
    let mut rng = SplitMix64::new(7);
    let mut q8_0 = |cols: u64, rows: u64| -> Vec<u8> {
        let mut bytes: Vec<u8> = (0..cols * rows / 32 * 34).map(|_| rng.next_u64() as u8).collect();
        for block in bytes.chunks_exact_mut(34) {
            block[..2].copy_from_slice(&half::f16::from_f32(0.01).to_le_bytes());
        }
        bytes
    };
    let ones = |n: u64| -> Vec<u8> { (0..n).flat_map(|_| 1.0f32.to_le_bytes()).collect() };
    let kv_width = n_embd / n_heads * n_kv;
    let mut tensors = vec![
        ("token_embd.weight".to_string(), vec![n_embd, n_vocab], Type::Q8_0, q8_0(n_embd, n_vocab)),
        ("output_norm.weight".to_string(), vec![n_embd], Type::F32, ones(n_embd)),
    ];
    for l in 0..n_layers {
        let matrices = [
            ("attn_q", n_embd, n_embd),
            ("attn_k", n_embd, kv_width),
            ("attn_v", n_embd, kv_width),
            ("attn_output", n_embd, n_embd),
            ("ffn_gate", n_embd, n_ff),
            ("ffn_up", n_embd, n_ff),
            ("ffn_down", n_ff, n_embd),
        ];
        for (name, cols, rows) in matrices {
            tensors.push((format!("blk.{l}.{name}.weight"), vec![cols, rows], Type::Q8_0, q8_0(cols, rows)));
        }
        for norm in ["attn_norm", "ffn_norm"] {
            tensors.push((format!("blk.{l}.{norm}.weight"), vec![n_embd], Type::F32, ones(n_embd)));
        }
    }
    for (name, dims, ty, data) in tensors {
        writer = writer.tensor(name, &dims, ty, &data).expect("a well-formed tensor");
    }
    writer.to_bytes()
}

#[test]
fn streaming_a_model_in_holds_one_tensor_of_staging_not_the_model() {
    let ctx = Arc::new(pollster::block_on(Context::new()).expect("a native GPU adapter (lavapipe in CI)"));
    let file = generated_model();
    let chunk = MIB;
    let chunks = file.chunks(chunk).map(|c| Ok::<_, LoadError>(c.to_vec()));
    // Compile the kernels once first (the context caches them), so the measured load holds the
    // loader's memory only and not naga's while it translates WGSL.
    drop(load_chunks(ctx.clone(), file.chunks(chunk).map(|c| Ok::<_, LoadError>(c.to_vec())), 64).expect("loads"));

    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let model = load_chunks(ctx, chunks, 64).expect("the generated model loads");
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let kept = NOW.load(Ordering::Relaxed) - before;
    eprintln!(
        "file {:.1} MiB: the load's Rust heap peaked {:.2} MiB above where it started and kept {:.2} MiB",
        file.len() as f64 / MIB as f64,
        peak as f64 / MIB as f64,
        kept as f64 / MIB as f64
    );
    assert_eq!(model.config.n_layer, 4);
    assert!(file.len() > 40 * MIB, "the model must dwarf the bound: {} bytes", file.len());
    // One chunk in flight and the reader's carry-over, one tensor's staging, bookkeeping.
    let bound = 2 * chunk + 4 * MIB + 2 * MIB;
    assert!(peak <= bound, "the load held {peak} bytes at its peak, more than {bound}");
}
