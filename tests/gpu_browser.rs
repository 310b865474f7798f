//! The kernels and the whole engine through the browser's WebGPU, in headless Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]

use mindseye_core::gpu::{Context, self_test};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

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
    let _ = (RopeKv::new(&ctx), Glu::new(&ctx), MatvecGlu::new(&ctx), Softcap::new(&ctx));
    let _ = (TopK::new(&ctx), ResidualAdd::new(&ctx));
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
