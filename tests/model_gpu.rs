//! The GPU forward pass (`core::gpu::GpuModel`, lavapipe in CI) against the CPU reference and against
//! llama.cpp, on the fixtures of `golden/models` (see `model_parity.rs` for how they were made).
//!
//! Per fixture: logits after each prompt token, decoded one at a time (the matrix-vector kernels),
//! and after the whole prompt in one call (the matrix-matrix kernels), match the CPU reference within
//! [`TOLERANCE`] of the logits' standard deviation; greedy decoding with the argmax taken on the GPU
//! gives llama.cpp's tokens exactly. Both compute in f32 and differ only in summation order, so the
//! tolerance is small; it is 1e-3 to leave room for lavapipe's and SwiftShader's fused multiply-adds.
#![cfg(not(target_arch = "wasm32"))] // reads files; the browser runs the same engine in gpu_browser

use mindseye_core::gpu::{Context, GpuModel, KernelKind, Output, Timing, Want, load_chunks};
use mindseye_core::model::{CpuModel, Generator, Limits, LoadError, Step};
use mindseye_core::sampling::SamplingConfig;
use mindseye_tests::models::{gguf, golden, ids, relative_difference};
use std::sync::Arc;

const TOLERANCE: f64 = 1e-3;

fn context() -> Context {
    pollster::block_on(Context::new()).expect("a native GPU adapter (lavapipe in CI: apt mesa-vulkan-drivers)")
}

/// Streams the fixture in 64 KiB chunks, as a download would arrive.
fn gpu_model(ctx: Context, name: &str) -> GpuModel {
    let bytes = gguf(name);
    let chunks = bytes.chunks(64 << 10).map(|c| Ok::<_, LoadError>(c.to_vec())).collect::<Vec<_>>();
    load_chunks(Arc::new(ctx), chunks, 256).expect("the fixture loads on the GPU")
}

fn logits(model: &mut GpuModel, tokens: &[u32]) -> Vec<f32> {
    match pollster::block_on(model.forward(tokens, Want::Logits)).expect("GPU forward") {
        Output::Logits(l) => l,
        Output::Token(_) => unreachable!("asked for logits"),
    }
}

fn prompts(name: &str) -> Vec<(String, Vec<u32>)> {
    let g = golden(name);
    g["cases"].as_array().expect("cases").iter().map(|c| (c["name"].to_string(), ids(&c["tokens"]))).collect()
}

fn decode_matches_the_cpu_reference(name: &str, ctx: Context) {
    let cpu = CpuModel::from_bytes(&gguf(name)).unwrap();
    let mut gpu = gpu_model(ctx, name);
    for (case, tokens) in prompts(name) {
        gpu.truncate(0);
        let mut cache = cpu.cache(tokens.len());
        for (pos, &t) in tokens.iter().enumerate() {
            let expected = cpu.forward(&mut cache, t).unwrap();
            let d = relative_difference(&logits(&mut gpu, &[t]), &expected);
            assert!(d <= TOLERANCE, "{name} {case} position {pos}: GPU differs by {d:.2e} of the std");
        }
    }
}

fn prefill_matches_the_cpu_reference(name: &str) {
    let cpu = CpuModel::from_bytes(&gguf(name)).unwrap();
    let mut gpu = gpu_model(context(), name);
    for (case, tokens) in prompts(name) {
        gpu.truncate(0);
        let mut cache = cpu.cache(tokens.len());
        let expected = tokens.iter().map(|&t| cpu.forward(&mut cache, t).unwrap()).last().unwrap();
        let d = relative_difference(&logits(&mut gpu, &tokens), &expected);
        assert!(d <= TOLERANCE, "{name} {case}: GPU prefill differs by {d:.2e} of the std");
    }
}

fn greedy_matches_llama_cpp(name: &str) {
    let mut gpu = gpu_model(context(), name);
    for case in golden(name)["cases"].as_array().unwrap() {
        let (tokens, expected) = (ids(&case["tokens"]), ids(&case["greedy"]));
        gpu.truncate(0);
        let limits = Limits { max_tokens: expected.len(), stop_tokens: vec![] };
        let mut generator = Generator::new(tokens, gpu.config.n_vocab, SamplingConfig::greedy(), limits, None).unwrap();
        while generator.stop_reason().is_none() {
            let Output::Token(t) = pollster::block_on(gpu.forward(generator.pending(), Want::Argmax)).unwrap() else {
                unreachable!("asked for the argmax")
            };
            if let Step::Done(_) = generator.next_argmax(t).unwrap() {
                break;
            }
        }
        assert_eq!(generator.generated(), expected.as_slice(), "{name} {}", case["name"]);
    }
}

macro_rules! gpu_parity {
    ($($module:ident => $name:literal),* $(,)?) => {$(
        mod $module {
            #[test]
            fn decoding_token_by_token_matches_the_cpu_reference() {
                super::decode_matches_the_cpu_reference($name, super::context());
            }

            #[test]
            fn prefill_of_the_whole_prompt_matches_the_cpu_reference() {
                super::prefill_matches_the_cpu_reference($name);
            }

            #[test]
            fn greedy_decoding_with_the_gpu_argmax_matches_llama_cpp() {
                super::greedy_matches_llama_cpp($name);
            }
        }
    )*};
}

gpu_parity! {
    llama_q8_0 => "llama-q8_0",
    llama_q4_0 => "llama-q4_0",
    llama_q4_k_m => "llama-q4_k_m",
    qwen2_q8_0 => "qwen2-q8_0",
    qwen2_q4_0 => "qwen2-q4_0",
    qwen2_q4_k_m => "qwen2-q4_k_m",
    gemma2_q8_0 => "gemma2-q8_0",
    gemma2_q4_0 => "gemma2-q4_0",
    gemma2_q4_k_m => "gemma2-q4_k_m",
}

#[test]
fn weights_split_across_small_storage_bindings_give_the_same_logits() {
    // 16 KiB bindings split every matrix of the fixture into several buffers, as 128 MiB does on phones.
    let small = context().with_storage_binding_cap(16 << 10);
    decode_matches_the_cpu_reference("qwen2-q4_k_m", small);
}

#[test]
fn the_gpu_kernels_give_the_same_logits_on_a_cpu_adapter() {
    // lavapipe runs the CPU-adapter matrix-vector kernels unless told not to.
    decode_matches_the_cpu_reference("llama-q4_0", context().without_cpu_kernels());
}

#[test]
fn the_portable_kernels_without_subgroups_give_the_same_logits() {
    decode_matches_the_cpu_reference("llama-q4_0", context().without_cpu_kernels().without_subgroups());
}

/// The first case's prompt of fixture `name`.
fn first_prompt(name: &str) -> Vec<u32> {
    prompts(name).swap_remove(0).1
}

#[test]
fn a_decoded_layer_is_eight_dispatches_when_its_projections_share_types() {
    // qwen2-q4_0: 2 layers of Q4_0 projections, biased q, k and v, a Q6_K tied output head.
    // Per layer: stacked qkv, rope_kv, attention, o, add+norm, gate+up+glu, down, add+norm.
    let gpu = gpu_model(context(), "qwen2-q4_0");
    let outside_layers = 2 + 1 + 2; // embedding and first norm; output head; top-k in two passes
    assert_eq!(gpu.dispatches_per_token(), outside_layers + 2 * 8);
}

#[test]
fn the_profile_of_a_decoded_token_counts_every_dispatch_by_either_timing() {
    // Gemma 2 has the optional kernels too (post-norms, final soft-capping).
    for name in ["llama-q4_0", "gemma2-q4_k_m"] {
        let mut gpu = gpu_model(context(), name);
        for timing in [Timing::best(gpu.context()), Timing::WallTime] {
            gpu.truncate(0);
            let profile = pollster::block_on(gpu.profile(&[1], timing)).expect("profile");
            assert_eq!(profile.timing, timing);
            assert_eq!(profile.dispatches(), gpu.dispatches_per_token(), "{name} {timing:?}");
            assert!(profile.kinds.iter().all(|k| k.seconds >= 0.0), "{name} {timing:?}");
            assert!(profile.seconds() > 0.0, "{name} {timing:?}");
        }
    }
}

#[test]
fn a_profiled_prefill_times_the_matmul_kernels_and_chooses_the_same_token() {
    let name = "qwen2-q8_0";
    let prompt = first_prompt(name);
    let mut gpu = gpu_model(context(), name);
    let Output::Token(expected) = pollster::block_on(gpu.forward(&prompt, Want::Argmax)).unwrap() else {
        unreachable!("asked for the argmax")
    };
    gpu.truncate(0);
    let profile = pollster::block_on(gpu.profile(&prompt, Timing::best(gpu.context()))).unwrap();
    assert_eq!(profile.token, expected);
    assert_eq!(profile.n_tokens as usize, prompt.len());
    assert_eq!(gpu.len(), prompt.len());
    assert!(profile.kinds.iter().any(|k| matches!(k.kind, KernelKind::Matmul(_))));
}
