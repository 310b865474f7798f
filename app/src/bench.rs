//! The benchmark page, `#/bench/model=URL&prompt-tokens=N&decode-tokens=M[&batch=B][&profile=1]`
//! (reached only by its address; `scripts/browser_bench.mjs` drives it next to wllama): fetches the
//! model, loads it into the page's engine, measures it (`mindseye_core::gpu::bench`), profiles it
//! when asked, and shows the report as JSON.

use crate::engine::Engine;
use crate::models::ModelSource;
use leptos::prelude::*;
use mindseye_core::gpu::bench::{Report, Request};

#[component]
pub fn BenchPage(
    /// The address after `#/bench/`: the form-encoded [`Request`].
    query: String,
) -> impl IntoView {
    let engine = Engine::expect();
    let status = RwSignal::new("Starting\u{2026}".to_string());
    let report = RwSignal::new(String::new());
    leptos::task::spawn_local(async move {
        match run(engine, &query, status).await {
            Ok(json) => {
                status.try_set("Done.".into());
                report.try_set(json);
            }
            Err(e) => {
                status.try_set(format!("The benchmark failed: {e}"));
            }
        }
    });
    view! {
        <section class="bench" aria-labelledby="bench-title">
            <h2 id="bench-title">"Benchmark"</h2>
            <p role="status" data-testid="bench-status">{move || status.get()}</p>
            <pre class="bench-report" data-testid="bench-report">{move || report.get()}</pre>
        </section>
    }
}

async fn run(engine: Engine, query: &str, status: RwSignal<String>) -> Result<String, String> {
    let request = Request::parse(query).map_err(|e| e.to_string())?;
    let seconds_since = |started: f64| (crate::browser::now_ms() - started) / 1000.0;
    status.try_set(format!("Fetching {}\u{2026}", request.model));
    let started = crate::browser::now_ms();
    let file = crate::browser::fetch_file(&request.model).await?;
    let fetch_s = seconds_since(started);
    let file_bytes = file.size() as u64;

    status.try_set("Loading it into the GPU\u{2026}".into());
    let started = crate::browser::now_ms();
    engine.load_for_batch(ModelSource::local(file), request.batch).await?;
    let load_s = seconds_since(started);

    status.try_set("Measuring\u{2026}".into());
    if request.profile {
        status.try_set("Measuring, then profiling\u{2026}".into());
    }
    let (prompt, measurement, profile) = engine.bench(&request.prompt, request.decode_steps, request.profile).await?;
    let mut adapter = engine.adapter().ok_or("the model was unloaded during the run")?;
    if let Some(name) = web_sys::window().as_ref().map(crate::gpu_status::browser_adapter_name) {
        adapter.name = name.await.unwrap_or(adapter.name);
    }
    let engine = "mindseye (WebGPU)".to_string();
    let model = request.model;
    Ok(Report { engine, adapter, model, file_bytes, fetch_s, load_s, prompt, measurement, profile }.to_json())
}
