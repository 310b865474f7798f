//! The shell: header with the tabs and the WebGPU status, and the pane the route selects.

use crate::about::About;
use crate::bench::BenchPage;
use crate::gpu_status::{GpuState, GpuStatus};
use crate::karel::{KarelPane, KarelSession};
use crate::models::{ModelChip, Models, ModelsPane};
use crate::route::{Route, Tab};
use crate::sgp::{SgpPane, SgpSession};
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let route = RwSignal::new(Route::current());
    let listener = window_event_listener(leptos::ev::hashchange, move |_| route.set(Route::current()));
    on_cleanup(move || listener.remove());

    let gpu = RwSignal::new(GpuState::Checking);
    leptos::task::spawn_local(async move { gpu.set(crate::gpu_status::probe().await) });
    // Owned here, so downloads go on and the selected model stays while another tab is open.
    let models = Models::start(gpu);

    let tab = Memo::new(move |_| route.with(|r| r.tab));
    // Owned here, not by the pane, so that answers survive switching tabs.
    crate::engine::Engine::provide();
    crate::batch_view::Runners::provide();
    let sgp = SgpSession::new();
    let karel = KarelSession::new();
    let sgp_link = Memo::new(move |_| route.with(|r| if r.tab == Tab::Sgp { r.rest.clone() } else { String::new() }));
    Effect::new(move |_| {
        let title = match tab.get() {
            Tab::About => "About · Mind's Eye".to_string(),
            t => format!("{} · Mind's Eye", t.label()),
        };
        document().set_title(&title);
    });

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="masthead">
            <div class="brand">
                <EyeLogo />
                <div>
                    <h1 class="brand-name">"Mind's Eye"</h1>
                    <p class="brand-tagline">"Watch small language models try to see programs"</p>
                </div>
            </div>
            <nav class="tabs" aria-label="Sections">
                {Tab::ALL
                    .into_iter()
                    .map(|t| {
                        view! {
                            <a
                                class="tab"
                                href=t.href()
                                aria-current=move || (tab.get() == t).then_some("page")
                            >
                                {t.label()}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <div class="masthead-tools">
                <ModelChip models=models />
                <GpuStatus state=gpu />
            </div>
        </header>
        <main id="main" tabindex="-1">
            {move || match tab.get() {
                Tab::Sgp => view! { <SgpPane session=sgp link=sgp_link /> }.into_any(),
                Tab::Karel => view! { <KarelPane session=karel /> }.into_any(),
                Tab::Models => view! { <ModelsPane models=models /> }.into_any(),
                Tab::About => view! { <About gpu=gpu /> }.into_any(),
                Tab::Bench => {
                    view! { <BenchPage query=route.with_untracked(|r| r.rest.clone()) /> }.into_any()
                }
            }}
        </main>
        <footer class="footer">
            <p>
                "Everything runs in this browser: models, data and results never leave it. "
                <a href=Tab::About.href()>"About Mind's Eye"</a>
            </p>
        </footer>
    }
}

#[component]
fn EyeLogo() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 64 64" aria-hidden="true">
            <path
                d="M4 32c7-12 17-19 28-19s21 7 28 19c-7 12-17 19-28 19S11 44 4 32z"
                fill="none"
                stroke="currentColor"
                stroke-width="4"
                stroke-linejoin="round"
            />
            <rect x="22" y="22" width="20" height="20" rx="3" fill="var(--accent)" />
            <path d="M27 27h4v4h-4zM33 33h4v4h-4z" fill="var(--surface)" />
        </svg>
    }
}
