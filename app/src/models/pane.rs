//! The Models tab (`#/models`).

use super::Models;
use super::current::CurrentModel;
use super::library::{CatalogList, StoredList};
use super::open::OpenModel;
use leptos::prelude::*;

#[component]
pub fn ModelsPane(models: Models) -> impl IntoView {
    view! {
        <section class="pane models-pane" aria-labelledby="models-title">
            <div class="pane-head">
                <h2 id="models-title">"Models"</h2>
                <p class="lede">
                    "Download a small language model into this browser, or open a GGUF file from your disk. "
                    "Models stay on this device and work offline once downloaded."
                </p>
            </div>
            <div class="models-layout">
                <div class="models-side">
                    <CurrentModel models=models />
                    <OpenModel models=models />
                    <StoredList models=models />
                </div>
                <CatalogList models=models />
            </div>
        </section>
    }
}
