//! The kernels and the whole engine through the browser's WebGPU, in headless Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]

use mindseye_core::gpu::{Context, self_test};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod vocabulary;

#[wasm_bindgen_test]
async fn webgpu_self_test_matches_the_cpu() {
    let ctx = Context::new().await.expect("WebGPU adapter (Chromium: --enable-unsafe-webgpu)");
    let report = self_test(&ctx).await.expect("self-test");
    assert_eq!(report.max_abs_error, 0.0);
    assert!(!ctx.summary.name.is_empty() || !ctx.summary.backend.is_empty());
}

#[wasm_bindgen_test]
async fn every_kernel_compiles_on_webgpu() {
    use mindseye_core::gpu::*;
    let ctx = Context::new().await.expect("WebGPU adapter");
    let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let _ = (Attention::new(&ctx), Matvec::new(&ctx), Matmul::new(&ctx), Embedding::new(&ctx), RmsNorm::new(&ctx));
    let _ = (
        Rope::new(&ctx),
        KvWrite::new(&ctx),
        Glu::new(&ctx),
        Softcap::new(&ctx),
        TopK::new(&ctx),
        ResidualAdd::new(&ctx),
    );
    if let Some(e) = scope.pop().await {
        panic!("{e}");
    }
}

mod model {
    //! The whole engine in the browser: a fixture model streamed into the GPU through WebGPU on
    //! Chromium's software adapter, decoding greedily with the argmax on the GPU, must produce
    //! llama.cpp's tokens (golden/models; see model_gpu.rs for the native run of every fixture).
    use mindseye_core::gpu::{Context, Output, Want, load_chunks};
    use mindseye_core::model::{Generator, Limits, LoadError, Step};
    use mindseye_core::sampling::SamplingConfig;
    use std::sync::Arc;
    use wasm_bindgen_test::*;

    async fn greedy_matches_llama_cpp(gguf: &[u8], golden: &str) {
        let ctx = Context::new().await.expect("WebGPU adapter");
        let chunks = gguf.chunks(64 << 10).map(|c| Ok::<_, LoadError>(c.to_vec()));
        // The engine's API shares the context through an Arc; in the browser it stays on one thread.
        #[allow(clippy::arc_with_non_send_sync)]
        let ctx = Arc::new(ctx);
        let mut model = load_chunks(ctx, chunks, 256).expect("the fixture loads on WebGPU");
        let golden: serde_json::Value = serde_json::from_str(golden).expect("golden JSON");
        let ids = |v: &serde_json::Value| -> Vec<u32> {
            v.as_array().expect("ids").iter().map(|i| i.as_u64().expect("id") as u32).collect()
        };
        for case in golden["cases"].as_array().expect("cases") {
            let (prompt, expected) = (ids(&case["tokens"]), ids(&case["greedy"]));
            model.truncate(0);
            let limits = Limits { max_tokens: expected.len(), stop_tokens: vec![] };
            let mut generator =
                Generator::new(prompt, model.config.n_vocab, SamplingConfig::greedy(), limits, None).unwrap();
            while generator.stop_reason().is_none() {
                let Output::Token(t) = model.forward(generator.pending(), Want::Argmax).await.expect("forward") else {
                    unreachable!("asked for the argmax")
                };
                if let Step::Done(_) = generator.next_argmax(t).unwrap() {
                    break;
                }
            }
            assert_eq!(generator.generated(), expected.as_slice(), "{}", case["name"]);
        }
    }

    #[wasm_bindgen_test]
    async fn llama_q4_k_m_decodes_like_llama_cpp_on_webgpu() {
        greedy_matches_llama_cpp(
            include_bytes!("golden/models/llama-q4_k_m.gguf"),
            include_str!("golden/models/llama-q4_k_m.json"),
        )
        .await;
    }

    #[wasm_bindgen_test]
    async fn qwen2_q8_0_decodes_like_llama_cpp_on_webgpu() {
        greedy_matches_llama_cpp(
            include_bytes!("golden/models/qwen2-q8_0.gguf"),
            include_str!("golden/models/qwen2-q8_0.json"),
        )
        .await;
    }

    #[wasm_bindgen_test]
    async fn gemma2_q4_0_decodes_like_llama_cpp_on_webgpu() {
        greedy_matches_llama_cpp(
            include_bytes!("golden/models/gemma2-q4_0.gguf"),
            include_str!("golden/models/gemma2-q4_0.json"),
        )
        .await;
    }
}

mod grammar {
    //! Grammar-constrained decoding in wasm: each step checks every token that could continue the
    //! program against the grammar, so it must stay fast with a real 151,669-token vocabulary.
    use crate::vocabulary::{TEN_STATEMENTS, qwen3_pieces, write_under};
    use mindseye_core::karel::StraightLineGrammar;
    use mindseye_core::sampling::TokenTexts;
    use std::sync::Arc;
    use wasm_bindgen_test::*;

    fn now() -> f64 {
        web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
    }

    #[wasm_bindgen_test]
    fn each_constrained_step_over_qwen3s_151669_tokens_takes_milliseconds_in_wasm() {
        let pieces = qwen3_pieces();
        let started = now();
        let constraint = StraightLineGrammar::constraint(Arc::new(TokenTexts::from_pieces(pieces.clone(), false)))
            .expect("Qwen3 spells every byte");
        let setup = now() - started;
        let mut times = write_under(constraint.as_ref(), &pieces, TEN_STATEMENTS, 48, now);
        times.sort_by(f64::total_cmp);
        let (median, worst) = (times[times.len() / 2], times[times.len() - 1]);
        console_log!(
            "{} tokens: token texts {setup:.1} ms once; {} steps, median {median:.2} ms, worst {worst:.2} ms",
            pieces.len(),
            times.len()
        );
        // This is a debug build (median about 6 ms here, worst about 100 ms on a loaded machine); the
        // app's release build measured a median of 0.16 ms and a worst step of 2.7 ms. Either way a
        // step stays below what a decoding step costs on the GPU.
        assert!(median < 50.0 && worst < 500.0, "median {median:.1} ms, worst {worst:.1} ms");
    }
}
