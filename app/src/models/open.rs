//! Opening a model that is not in the catalog: a GGUF file from the disk (picker or drag and drop,
//! read in place in slices), or any address (downloaded like a catalog model).

use super::library::DownloadStatus;
use super::{Job, Models};
use leptos::prelude::*;
use mindseye_core::models::catalog::check_download_url;
use mindseye_core::models::store::id_for_url;

#[component]
pub fn OpenModel(models: Models) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let open = move |file: web_sys::File| {
        leptos::task::spawn_local(async move { models.open_local(file).await });
    };
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            open(file);
        }
        // Picking the same file again should open it again.
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|files| files.get(0)) {
            open(file);
        }
    };

    let url = RwSignal::new(String::new());
    let url_error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match check_download_url(&url.get_untracked()) {
            Err(why) => url_error.set(Some(why)),
            Ok(address) => {
                url_error.set(None);
                let name = address
                    .split(['?', '#'])
                    .next()
                    .and_then(|a| a.rsplit('/').next())
                    .filter(|n| !n.is_empty())
                    .unwrap_or("model.gguf")
                    .to_string();
                let id = id_for_url(&address);
                models.url_job.set(Some(id.clone()));
                models.download(Job { id, name, url: address, entry: None });
                url.set(String::new());
            }
        }
    };

    view! {
        <section class="models-open" aria-labelledby="open-title">
            <h3 id="open-title">"Open a model"</h3>
            <div
                class="models-drop"
                class:is-dragging=move || dragging.get()
                on:dragover=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <label class="models-button primary">
                    "Open a GGUF file\u{2026}"
                    <input
                        class="visually-hidden"
                        type="file"
                        accept=".gguf"
                        data-testid="model-file-input"
                        on:change=on_change
                    />
                </label>
                <span class="models-hint">
                    "or drop one here. It is read in place, a slice at a time; nothing is uploaded or copied."
                </span>
            </div>
            <form class="models-url" on:submit=submit novalidate>
                <label for="model-url">"Or download a .gguf file from an address"</label>
                <div class="models-url-row">
                    <input
                        id="model-url"
                        type="url"
                        inputmode="url"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="https://huggingface.co/owner/repo/resolve/main/model.gguf"
                        aria-describedby="model-url-error"
                        prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev))
                    />
                    <button type="submit" class="models-button">
                        "Download"
                    </button>
                </div>
                <p id="model-url-error" class="models-field-error" role="alert">
                    {move || url_error.get()}
                </p>
            </form>
            {move || models.url_job.get().map(|id| view! { <DownloadStatus models=models id=id /> })}
        </section>
    }
}
