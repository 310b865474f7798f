//! The catalog (what can be downloaded, and whether it fits) and the models in browser storage
//! (sizes, used space, open, resume, delete), with the progress of running downloads.

use super::current::FitLine;
use super::{DownloadView, Job, Loadable, Models, Phase, StoredModel};
use leptos::prelude::*;
use mindseye_core::models::catalog::Entry;
use mindseye_core::models::download::ProgressView;
use mindseye_core::models::fit::Verdict;
use mindseye_core::models::format;
use mindseye_core::models::store::Verified;

impl Models {
    /// How to (re)start the download into folder `id`: from the catalog, else from its stored address.
    pub fn job_for(&self, id: &str) -> Option<Job> {
        let from_catalog = self.catalog.with_untracked(|c| match c {
            Loadable::Ready(c) => c.get(id).map(|e| Job {
                id: e.id.clone(),
                name: e.name.clone(),
                url: e.url(&c.hub),
                entry: Some(e.clone()),
            }),
            _ => None,
        });
        from_catalog.or_else(|| {
            let stored = self.stored_model(id)?;
            Some(Job { id: stored.id, name: stored.name, url: stored.url?, entry: None })
        })
    }

    fn resume(&self, id: &str) {
        if let Some(job) = self.job_for(id) {
            self.download(job);
        }
    }
}

#[component]
pub fn CatalogList(models: Models) -> impl IntoView {
    view! {
        <section class="models-catalog" aria-labelledby="catalog-title">
            <h3 id="catalog-title">"Catalog"</h3>
            <p class="models-hint">
                "Quantized GGUF files from the Hugging Face hub, downloaded straight into this browser. "
                "Sizes are as the hub lists them; memory needs are estimated for a 4,096-token context."
            </p>
            {move || match models.catalog.get() {
                Loadable::Loading => view! { <p class="models-hint">"Loading the catalog\u{2026}"</p> }.into_any(),
                Loadable::Failed(why) => {
                    view! {
                        <p class="models-alert" role="alert" data-testid="catalog-error">
                            {why}
                        </p>
                    }
                        .into_any()
                }
                Loadable::Ready(catalog) => {
                    let skipped = (!catalog.skipped.is_empty())
                        .then(|| {
                            let reasons: Vec<String> = catalog.skipped.iter().map(|s| s.to_string()).collect();
                            view! {
                                <p class="models-alert" role="alert" data-testid="catalog-skipped">
                                    {format!(
                                        "Some catalog entries were left out: {}.",
                                        reasons.join("; "),
                                    )}
                                </p>
                            }
                        });
                    let hub = catalog.hub.clone();
                    view! {
                        {skipped}
                        <ul class="models-cards" role="list">
                            {catalog
                                .models
                                .iter()
                                .cloned()
                                .map(|entry| {
                                    view! {
                                        <li>
                                            <CatalogCard models=models entry=entry hub=hub.clone() />
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn CatalogCard(models: Models, entry: Entry, hub: String) -> impl IntoView {
    let id = entry.id.clone();
    let title_id = format!("model-{}", entry.id.replace('.', "-"));
    let fit_id = format!("fit-{}", entry.id.replace('.', "-"));
    let needs = entry.needs();
    let fit = Signal::derive(move || models.fit(&needs));
    let refused = move || fit.with(|f| f.as_ref().is_some_and(|f| f.verdict == Verdict::WontFit));
    let size =
        if entry.size_exact { format::bytes(entry.size) } else { format!("about {}", format::bytes(entry.size)) };
    let meta = format!("{} parameters · {} · {size}", format::params(entry.params), entry.arch);
    let license = entry.license.clone().map(|l| format!(" · licence {l}")).unwrap_or_default();
    let job = Job { id: entry.id.clone(), name: entry.name.clone(), url: entry.url(&hub), entry: Some(entry.clone()) };
    let stored = {
        let id = id.clone();
        move || models.stored_model(&id)
    };
    let download_state = {
        let id = id.clone();
        move || models.downloads.with(|d| d.get(&id).cloned())
    };
    let action = {
        let id = id.clone();
        let name = entry.name.clone();
        let fit_id = fit_id.clone();
        move || {
            let running = download_state().is_some_and(|d| d.phase.active());
            match stored() {
                _ if running => ().into_any(),
                Some(m) if m.complete => {
                    let id = id.clone();
                    view! {
                        <button
                            type="button"
                            class="models-button primary"
                            aria-label=format!("Open {name}")
                            on:click=move |_| {
                                let id = id.clone();
                                leptos::task::spawn_local(async move { models.open_stored(id).await });
                            }
                        >
                            "Open"
                        </button>
                        <span class="models-badge ok">"Downloaded"</span>
                    }
                    .into_any()
                }
                Some(_) if download_state().is_some() => ().into_any(),
                partial => {
                    let job = job.clone();
                    let label = if partial.is_some() { "Resume download" } else { "Download" };
                    view! {
                        <button
                            type="button"
                            class="models-button primary"
                            aria-label=format!("{label}: {name}")
                            aria-describedby=fit_id.clone()
                            disabled=refused
                            on:click=move |_| models.download(job.clone())
                        >
                            {label}
                        </button>
                        {partial
                            .map(|m| {
                                view! {
                                    <span class="models-badge">
                                        {format!("{} stored", format::bytes(m.bytes))}
                                    </span>
                                }
                            })}
                    }
                    .into_any()
                }
            }
        }
    };
    let card_testid = format!("card-{id}");
    let labelled_by = title_id.clone();
    view! {
        <article class="models-card" aria-labelledby=labelled_by data-testid=card_testid>
            <div class="models-card-head">
                <h4 id=title_id>{entry.name.clone()}</h4>
                <span class="models-tag">{entry.quant.clone()}</span>
            </div>
            <p class="models-meta">{meta}</p>
            <div id=fit_id.clone()>
                <FitLine gpu=models.gpu report=fit compact=true />
            </div>
            {entry.notes.clone().map(|n| view! { <p class="models-notes">{n}</p> })}
            <p class="models-source">
                "From "
                <a href=entry.page(&hub) target="_blank" rel="noopener noreferrer">
                    {entry.repo.clone()}
                </a>
                {license}
            </p>
            <div class="models-actions">{action}</div>
            <DownloadStatus models=models id=id.clone() />
        </article>
    }
}

/// A running (or stopped) download: progress bar with bytes, speed and time left; Pause, Resume,
/// Cancel; and the outcome in words.
#[component]
pub fn DownloadStatus(models: Models, #[prop(into)] id: String) -> impl IntoView {
    let state = {
        let id = id.clone();
        Memo::new(move |_| models.downloads.with(|d| d.get(&id).cloned()))
    };
    move || {
        let id = id.clone();
        state.get().map(|view| download_view(models, id, view))
    }
}

fn download_view(models: Models, id: String, view: DownloadView) -> AnyView {
    let name = view.name.clone();
    let progress = view.progress.clone();
    let bar = move |label: String| {
        let progress = progress.clone();
        let text = progress.as_ref().map_or_else(|| "Starting\u{2026}".to_string(), |p| p.text());
        let (max, value) = match progress.as_ref().and_then(|p| p.total.map(|t| (t, p.done))) {
            Some((total, done)) => (Some(total.max(1) as f64), Some(done as f64)),
            None => (None, None),
        };
        view! {
            <div class="models-progress">
                <progress
                    max=max
                    value=value
                    aria-label=label
                    aria-valuetext=text.clone()
                    data-testid="download-progress"
                ></progress>
                <p class="models-progress-text" data-testid="download-progress-text">
                    {text}
                </p>
            </div>
        }
    };
    let pause = {
        let id = id.clone();
        move |_| models.pause(&id)
    };
    let cancel = {
        let id = id.clone();
        move |_| models.delete(id.clone())
    };
    let resume = {
        let id = id.clone();
        move |_| models.resume(&id)
    };
    match view.phase {
        Phase::Starting => view! {
            <p class="models-hint" role="status">
                "Starting the download\u{2026}"
            </p>
        }
        .into_any(),
        Phase::Downloading => view! {
            <div class="models-download" data-testid="download">
                {bar(format!("Downloading {name}"))}
                <div class="models-actions">
                    <button type="button" class="models-button" on:click=pause>
                        "Pause"
                    </button>
                    <button type="button" class="models-button" on:click=cancel>
                        "Cancel"
                    </button>
                </div>
            </div>
        }
        .into_any(),
        Phase::Verifying => view! {
            <div class="models-download" data-testid="download">
                <p class="models-hint" role="status">
                    "Checking the download\u{2026}"
                </p>
                {bar(format!("Checking {name}"))}
            </div>
        }
        .into_any(),
        Phase::Paused => view! {
            <div class="models-download" data-testid="download">
                <p class="models-note" role="status" data-testid="download-status">
                    {format!(
                        "Paused{}. Resume continues from there.",
                        view.progress
                            .as_ref()
                            .map(|p| {
                                let still = ProgressView { speed: None, eta_seconds: None, ..p.clone() };
                                format!(" at {}", still.text())
                            })
                            .unwrap_or_default(),
                    )}
                </p>
                <div class="models-actions">
                    <button type="button" class="models-button primary" on:click=resume>
                        "Resume"
                    </button>
                </div>
            </div>
        }
        .into_any(),
        Phase::Failed { message, resumable } => view! {
            <div class="models-download" data-testid="download">
                <p class="models-alert" role="alert" data-testid="download-error">
                    {message}
                </p>
                {resumable
                    .then(|| {
                        view! {
                            <div class="models-actions">
                                <button type="button" class="models-button primary" on:click=resume>
                                    "Resume"
                                </button>
                            </div>
                        }
                    })}
            </div>
        }
        .into_any(),
        Phase::Done(note) => view! {
            <p class="models-ok" role="status" data-testid="download-status">
                {note}
            </p>
        }
        .into_any(),
    }
}

#[component]
pub fn StoredList(models: Models) -> impl IntoView {
    let usage = move || {
        let estimate = models.storage.get();
        let mine: u64 = models.stored.with(|s| match s {
            Loadable::Ready(list) => list.iter().map(|m| m.bytes).sum(),
            _ => 0,
        });
        let mut text = format!("Downloaded models use {}.", format::bytes(mine));
        if let (Some(usage), Some(quota)) = (estimate.usage, estimate.quota) {
            text.push_str(&format!(
                " This site uses {} of the {} this browser allows it.",
                format::bytes(usage),
                format::bytes(quota)
            ));
        }
        match estimate.persisted {
            Some(true) => text.push_str(" Storage is persistent: the browser will not clear it on its own."),
            Some(false) => text.push_str(" The browser may clear this storage if the disk runs low."),
            None => {}
        }
        text
    };
    view! {
        <section class="models-stored" aria-labelledby="stored-title">
            <h3 id="stored-title">"Downloaded models"</h3>
            {move || {
                models.problem.get().map(|why| view! { <p class="models-alert" role="alert">{why}</p> })
            }}
            {move || match models.stored.get() {
                Loadable::Loading => {
                    view! { <p class="models-hint">"Looking in browser storage\u{2026}"</p> }.into_any()
                }
                Loadable::Failed(why) => {
                    view! {
                        <p class="models-alert" role="alert" data-testid="storage-error">
                            {why}
                        </p>
                    }
                        .into_any()
                }
                Loadable::Ready(list) if list.is_empty() => {
                    view! {
                        <p class="models-hint" data-testid="stored-empty">
                            "Nothing downloaded yet."
                        </p>
                        <p class="models-usage" data-testid="storage-usage">
                            {usage}
                        </p>
                    }
                        .into_any()
                }
                Loadable::Ready(list) => {
                    view! {
                        <ul class="models-stored-list" role="list" data-testid="stored-list">
                            {list
                                .into_iter()
                                .map(|m| view! { <StoredRow models=models model=m /> })
                                .collect_view()}
                        </ul>
                        <p class="models-usage" data-testid="storage-usage">
                            {usage}
                        </p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn StoredRow(models: Models, model: StoredModel) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let size = match (model.complete, model.total) {
        (true, _) => format::bytes(model.bytes),
        (false, Some(total)) => format!("{} of {}, not finished", format::bytes(model.bytes), format::bytes(total)),
        (false, None) => format!("{}, not finished", format::bytes(model.bytes)),
    };
    let check = match (&model.problem, &model.verified) {
        (Some(problem), _) => Some(("bad", format!("Unusable: {problem}."))),
        (None, Verified::Sha256) => Some(("ok", "SHA-256 verified".to_string())),
        (None, Verified::Size) => Some(("ok", "Size verified".to_string())),
        (None, Verified::Mismatch(_)) => Some(("bad", "Differs from the catalog".to_string())),
        (None, Verified::No) => None,
    };
    let mismatch = match &model.verified {
        Verified::Mismatch(why) => Some(why.clone()),
        _ => None,
    };
    let is_current = {
        let id = model.id.clone();
        move || models.current.with(|c| matches!(c, Some(c) if c.origin == super::Origin::Stored { id: id.clone() }))
    };
    let running = {
        let id = model.id.clone();
        move || models.downloads.with(|d| d.get(&id).is_some_and(|v| v.phase.active()))
    };
    let id = model.id.clone();
    let name = model.name.clone();
    let open = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            leptos::task::spawn_local(async move { models.open_stored(id).await });
        }
    };
    let resume = {
        let id = id.clone();
        move |_| models.resume(&id)
    };
    let remove = {
        let id = id.clone();
        move |_| {
            confirming.set(false);
            models.delete(id.clone());
        }
    };
    let complete = model.complete;
    let can_resume = !complete && model.problem.is_none() && model.url.is_some();
    let delete_label = format!("Delete {name}");
    let confirm_text = format!("Delete \u{201c}{name}\u{201d} ({}) from this browser?", format::bytes(model.bytes));
    let row_testid = format!("stored-{id}");
    view! {
        <li class="models-stored-row" data-testid=row_testid>
            <div class="models-stored-main">
                <p class="models-stored-name">
                    {name.clone()}
                    {move || is_current().then(|| view! { <span class="models-badge ok">"Selected"</span> })}
                </p>
                <p class="models-meta" data-testid="stored-size">
                    {size}
                    {check
                        .map(|(class, text)| {
                            view! { <span class=format!("models-badge {class}")>{text}</span> }
                        })}
                </p>
                {mismatch.map(|why| view! { <p class="models-note">{why}</p> })}
            </div>
            <div class="models-actions">
                {move || {
                    (!running())
                        .then(|| {
                            view! {
                                {complete
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                class="models-button primary"
                                                aria-label=format!("Open {}", name.clone())
                                                on:click=open.clone()
                                            >
                                                "Open"
                                            </button>
                                        }
                                    })}
                                {can_resume
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                class="models-button primary"
                                                on:click=resume.clone()
                                            >
                                                "Resume"
                                            </button>
                                        }
                                    })}
                                <button
                                    type="button"
                                    class="models-button"
                                    aria-label=delete_label.clone()
                                    aria-expanded=move || confirming.get().to_string()
                                    on:click=move |_| confirming.update(|c| *c = !*c)
                                >
                                    "Delete"
                                </button>
                            }
                        })
                }}
            </div>
            {move || {
                confirming
                    .get()
                    .then(|| {
                        view! {
                            <div class="models-confirm" role="group" aria-label="Confirm deletion">
                                <p>{confirm_text.clone()}</p>
                                <button type="button" class="models-button danger" on:click=remove.clone()>
                                    "Delete it"
                                </button>
                                <button
                                    type="button"
                                    class="models-button"
                                    on:click=move |_| confirming.set(false)
                                >
                                    "Keep it"
                                </button>
                            </div>
                        }
                    })
            }}
            {move || {
                let id = id.clone();
                let shown_elsewhere = models.url_job.get().as_deref() == Some(id.as_str())
                    || models.catalog.with(|c| matches!(c, Loadable::Ready(c) if c.get(&id).is_some()));
                (!shown_elsewhere).then(|| view! { <DownloadStatus models=models id=id.clone() /> })
            }}
        </li>
    }
}
