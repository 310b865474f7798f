//! Is WebGPU here, and what can it do? Probed once at start-up with a real compute self-test.

use leptos::prelude::*;
use mindseye_core::gpu::{AdapterSummary, Context, self_test};

#[derive(Clone, Debug, PartialEq)]
pub enum GpuState {
    Checking,
    Ready {
        summary: AdapterSummary,
        self_test: Result<usize, String>,
    },
    /// The browser has no WebGPU at all: nothing the user can fix by reloading.
    Missing(String),
    /// WebGPU exists but no usable adapter or device came back.
    Failed(String),
}

pub async fn probe() -> GpuState {
    let Some(window) = web_sys::window() else {
        return GpuState::Missing("No browser window is available.".into());
    };
    if !window.is_secure_context() {
        return GpuState::Missing(
            "WebGPU only works on pages served over HTTPS or from localhost; this page is neither.".into(),
        );
    }
    let has_gpu = js_sys::Reflect::has(&window.navigator(), &"gpu".into()).unwrap_or(false);
    if !has_gpu {
        return GpuState::Missing(
            "This browser does not offer WebGPU. Use a recent Chrome or Edge, Safari 26 or later, or \
             Firefox with WebGPU enabled. The panes still work; models cannot run here."
                .into(),
        );
    }
    match Context::new().await {
        Err(e) => GpuState::Failed(format!(
            "WebGPU is present but refused to give us a GPU: {e}. It may be disabled by policy or \
             blocked for this graphics driver (see chrome://gpu)."
        )),
        Ok(ctx) => {
            let result = self_test(&ctx).await.map(|r| r.elements).map_err(|e| e.to_string());
            let mut summary = ctx.summary.clone();
            if let Some(name) = browser_adapter_name(&window).await {
                summary.name = name;
            }
            GpuState::Ready { summary, self_test: result }
        }
    }
}

/// wgpu keeps only `GPUAdapterInfo.description`, which browsers often leave empty; ask the
/// browser directly for vendor and architecture too.
pub(crate) async fn browser_adapter_name(window: &web_sys::Window) -> Option<String> {
    use js_sys::Reflect;
    use wasm_bindgen::JsCast;
    let gpu = Reflect::get(&window.navigator(), &"gpu".into()).ok()?;
    let request = Reflect::get(&gpu, &"requestAdapter".into()).ok()?.dyn_into::<js_sys::Function>().ok()?;
    let promise = request.call0(&gpu).ok()?.dyn_into::<js_sys::Promise>().ok()?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    let info = Reflect::get(&adapter, &"info".into()).ok()?;
    let field = |name: &str| Reflect::get(&info, &name.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    Some(AdapterSummary::name_from_web_info(
        &field("vendor"),
        &field("architecture"),
        &field("device"),
        &field("description"),
    ))
}

fn adapter_label(summary: &AdapterSummary) -> String {
    if summary.name.is_empty() { format!("{} adapter", summary.backend) } else { summary.name.clone() }
}

/// The chip in the header; expands into the adapter details.
#[component]
pub fn GpuStatus(state: RwSignal<GpuState>) -> impl IntoView {
    let chip = move || match state.get() {
        GpuState::Checking => ("checking", "Checking WebGPU…".to_string()),
        GpuState::Ready { summary, self_test: Ok(_) } => ("ok", format!("WebGPU · {}", adapter_label(&summary))),
        GpuState::Ready { self_test: Err(_), .. } => ("error", "WebGPU self-test failed".to_string()),
        GpuState::Missing(_) => ("warn", "No WebGPU".to_string()),
        GpuState::Failed(_) => ("error", "WebGPU unavailable".to_string()),
    };
    view! {
        <details class="gpu-status" data-state=move || chip().0>
            <summary>
                <span class="dot" aria-hidden="true"></span>
                <span class="gpu-label">{move || chip().1}</span>
            </summary>
            <div class="gpu-details" role="status" aria-live="polite">
                <GpuDetails state=state />
            </div>
        </details>
    }
}

/// The full report, also shown on the About page.
#[component]
pub fn GpuDetails(state: RwSignal<GpuState>) -> impl IntoView {
    move || match state.get() {
        GpuState::Checking => view! { <p>"Asking the browser for a GPU adapter…"</p> }.into_any(),
        GpuState::Missing(why) | GpuState::Failed(why) => view! { <p class="error-text">{why}</p> }.into_any(),
        GpuState::Ready { summary, self_test } => {
            let yes_no = |b: bool| if b { "yes" } else { "no (f32 fallback)" };
            let test = match self_test {
                Ok(n) => format!("passed ({n} additions match the CPU)"),
                Err(e) => format!("failed: {e}"),
            };
            view! {
                <dl class="facts">
                    <dt>"Adapter"</dt>
                    <dd data-testid="adapter-name">{adapter_label(&summary)}</dd>
                    <dt>"Backend"</dt>
                    <dd>{format!("{} ({})", summary.backend, summary.device_type)}</dd>
                    <dt>"Largest storage binding"</dt>
                    <dd>{format!("{} MiB", summary.max_storage_binding >> 20)}</dd>
                    <dt>"Largest buffer"</dt>
                    <dd>{format!("{} MiB", summary.max_buffer >> 20)}</dd>
                    <dt>"Workgroup memory"</dt>
                    <dd>{format!("{} KiB", summary.max_workgroup_storage >> 10)}</dd>
                    <dt>"shader-f16"</dt>
                    <dd>{yes_no(summary.shader_f16)}</dd>
                    <dt>"Subgroups"</dt>
                    <dd>{yes_no(summary.subgroups)}</dd>
                    <dt>"Compute self-test"</dt>
                    <dd data-testid="self-test">{test}</dd>
                </dl>
            }
            .into_any()
        }
    }
}
