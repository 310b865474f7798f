//! The Models place: the catalog with a fit check per model, streamed and resumable downloads into
//! browser storage (OPFS), opening a GGUF file from the disk, the list of downloaded models, and the
//! selected model's parsed header. State lives in [`Models`], owned by the app shell so downloads
//! continue while another tab is open; the views only wire its signals.
//!
//! [`Models::selected_source`] hands the engine (`crate::engine`) the model the user selected,
//! readable in chunks ([`ModelSource::chunks`], [`ModelSource::read`]).

mod current;
mod downloader;
mod library;
mod open;
mod opfs;
mod pane;
mod source;

pub use current::ModelChip;
pub use pane::ModelsPane;
pub use source::{ModelSource, Origin};

use crate::browser;
use crate::gpu_status::GpuState;
use leptos::prelude::*;
use mindseye_core::models::catalog::{self, Catalog, Entry};
use mindseye_core::models::download::{PartLayout, ProgressView};
use mindseye_core::models::fit::{DEFAULT_CONTEXT, DeviceLimits, FitReport, Needs, check};
use mindseye_core::models::store::{self, Verified};
use mindseye_core::models::summary::{ModelSummary, summarize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The catalog next to the page.
const CATALOG_URL: &str = "models.json";
/// Remembers the selected downloaded model across visits.
const SELECTED_KEY: &str = "mindseye.model";

/// Something fetched at start-up.
#[derive(Clone, Debug, PartialEq)]
pub enum Loadable<T> {
    Loading,
    Ready(T),
    Failed(String),
}

/// A model folder in browser storage.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredModel {
    pub id: String,
    pub name: String,
    pub url: Option<String>,
    /// Bytes stored (the consistent run of parts).
    pub bytes: u64,
    /// The full size, when a server announced it (or the catalog estimated it).
    pub total: Option<u64>,
    pub complete: bool,
    pub verified: Verified,
    /// Why the folder cannot be used (a damaged meta.json), if so.
    pub problem: Option<String>,
}

/// Where a download is.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Starting,
    Downloading,
    Verifying,
    Paused,
    Failed { message: String, resumable: bool },
    Done(String),
}

impl Phase {
    pub fn active(&self) -> bool {
        matches!(self, Phase::Starting | Phase::Downloading | Phase::Verifying)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct DownloadView {
    pub name: String,
    pub phase: Phase,
    pub progress: Option<ProgressView>,
}

/// What a download job fetches.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: String,
    pub name: String,
    pub url: String,
    pub entry: Option<Entry>,
}

/// The model whose header is shown (and that the engine will load).
#[derive(Clone, Debug, PartialEq)]
pub struct Current {
    pub origin: Origin,
    pub file_name: String,
    pub summary: ModelSummary,
    /// How long reading and parsing the header took.
    pub parse_ms: f64,
    pub verified: Option<Verified>,
}

/// Opening a model: reading its header.
#[derive(Clone, Debug, PartialEq)]
pub enum Opening {
    Reading(String),
    Failed(String),
}

/// Why a running download was stopped by the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Pause,
    Cancel,
}

/// All model state; `Copy`, shared through context.
#[derive(Clone, Copy)]
pub struct Models {
    pub catalog: RwSignal<Loadable<Arc<Catalog>>>,
    pub stored: RwSignal<Loadable<Vec<StoredModel>>>,
    pub storage: RwSignal<opfs::Estimate>,
    pub downloads: RwSignal<BTreeMap<String, DownloadView>>,
    pub current: RwSignal<Option<Current>>,
    pub opening: RwSignal<Option<Opening>>,
    /// A problem with the stored models (a failed delete), shown above their list.
    pub problem: RwSignal<Option<String>>,
    /// The folder of the last download started from a typed address (its status shows there).
    pub url_job: RwSignal<Option<String>>,
    pub gpu: RwSignal<GpuState>,
    source: StoredValue<Option<ModelSource>, LocalStorage>,
    stops: StoredValue<HashMap<String, (web_sys::AbortController, Option<Stop>)>, LocalStorage>,
    persist_asked: StoredValue<bool>,
    /// Counts open requests: only the latest one may change the selection.
    opens: StoredValue<u64>,
}

impl Models {
    /// Creates the state, provides it as context and starts loading the catalog and the stored list.
    pub fn start(gpu: RwSignal<GpuState>) -> Models {
        let models = Models {
            catalog: RwSignal::new(Loadable::Loading),
            stored: RwSignal::new(Loadable::Loading),
            storage: RwSignal::new(opfs::Estimate::default()),
            downloads: RwSignal::new(BTreeMap::new()),
            current: RwSignal::new(None),
            opening: RwSignal::new(None),
            problem: RwSignal::new(None),
            url_job: RwSignal::new(None),
            gpu,
            source: StoredValue::new_local(None),
            stops: StoredValue::new_local(HashMap::new()),
            persist_asked: StoredValue::new(false),
            opens: StoredValue::new(0),
        };
        provide_context(models);
        leptos::task::spawn_local(async move {
            let loaded = browser::fetch_bytes(CATALOG_URL)
                .await
                .map_err(|why| {
                    format!("The model catalog could not be loaded ({why}). You can still open a GGUF file.")
                })
                .and_then(|bytes| catalog::parse(&bytes).map_err(|e| format!("The model catalog was not used: {e}.")));
            models.catalog.set(match loaded {
                Ok(c) => Loadable::Ready(Arc::new(c)),
                Err(why) => Loadable::Failed(why),
            });
        });
        leptos::task::spawn_local(async move {
            models.refresh().await;
            if let Some(id) = remembered_selection() {
                let ready = models.stored.with_untracked(|s| match s {
                    Loadable::Ready(list) => list.iter().any(|m| m.id == id && m.complete),
                    _ => false,
                });
                // Only while the user has opened nothing: a file picked while storage was being
                // listed is their choice, and a later open would win over it.
                if ready && models.current.get_untracked().is_none() && !models.any_open_started() {
                    models.open_stored(id).await;
                }
            }
        });
        models
    }

    /// ENGINE HOOK: the selected model, readable in chunks; `None` until one is opened.
    pub fn selected_source(&self) -> Option<ModelSource> {
        self.source.get_value()
    }

    /// The adapter's limits, once the GPU probe has finished with a device.
    pub fn limits(&self) -> Option<DeviceLimits> {
        self.gpu.with(|g| match g {
            GpuState::Ready { summary, .. } => Some(DeviceLimits::from_adapter(summary, opfs::device_memory())),
            _ => None,
        })
    }

    /// The fit check for `needs` on this adapter, when it is known.
    pub fn fit(&self, needs: &Needs) -> Option<FitReport> {
        self.limits().map(|limits| check(needs, &limits, DEFAULT_CONTEXT))
    }

    /// Re-reads the stored models and the storage estimate.
    pub async fn refresh(&self) {
        self.stored.set(match list_stored().await {
            Ok(list) => Loadable::Ready(list),
            Err(why) => Loadable::Failed(why),
        });
        self.storage.set(opfs::estimate().await);
    }

    pub fn stored_model(&self, id: &str) -> Option<StoredModel> {
        self.stored.with(|s| match s {
            Loadable::Ready(list) => list.iter().find(|m| m.id == id).cloned(),
            _ => None,
        })
    }

    /// Starts (or resumes) a download, unless one is already running for that folder.
    pub fn download(&self, job: Job) {
        let running = self.downloads.with_untracked(|d| d.get(&job.id).is_some_and(|v| v.phase.active()));
        if running {
            return;
        }
        self.set_phase(&job.id, &job.name, Phase::Starting, None);
        let models = *self;
        leptos::task::spawn_local(async move {
            if !models.persist_asked.get_value() {
                models.persist_asked.set_value(true);
                opfs::request_persistence().await;
            }
            downloader::run(models, job).await;
        });
    }

    fn set_phase(&self, id: &str, name: &str, phase: Phase, progress: Option<ProgressView>) {
        self.downloads.update(|d| {
            let view = d.entry(id.to_string()).or_insert_with(|| DownloadView {
                name: name.to_string(),
                phase: Phase::Starting,
                progress: None,
            });
            view.phase = phase;
            if progress.is_some() {
                view.progress = progress;
            }
        });
    }

    fn set_progress(&self, id: &str, progress: ProgressView) {
        self.downloads.update(|d| {
            if let Some(view) = d.get_mut(id) {
                view.progress = Some(progress);
            }
        });
    }

    fn register_abort(&self, id: &str, controller: web_sys::AbortController) {
        self.stops.update_value(|s| {
            s.insert(id.to_string(), (controller, None));
        });
    }

    fn take_stop(&self, id: &str) -> Option<Stop> {
        self.stops.try_update_value(|s| s.remove(id).and_then(|(_, stop)| stop)).flatten()
    }

    fn stop(&self, id: &str, stop: Stop) -> bool {
        self.stops
            .try_update_value(|s| match s.get_mut(id) {
                Some((controller, intent)) => {
                    *intent = Some(stop);
                    controller.abort();
                    true
                }
                None => false,
            })
            .unwrap_or(false)
    }

    /// Stops a running download, keeping what arrived.
    pub fn pause(&self, id: &str) {
        self.stop(id, Stop::Pause);
    }

    /// Stops a running download (if any) and deletes the model folder.
    pub fn delete(&self, id: String) {
        if self.stop(&id, Stop::Cancel) {
            // The download loop closes its files, then removes the folder.
            return;
        }
        let models = *self;
        leptos::task::spawn_local(async move { models.remove_folder(id).await });
    }

    /// Deletes a model folder and forgets everything about it.
    async fn remove_folder(&self, id: String) {
        self.discard_folder(&id).await;
        self.downloads.update(|d| {
            d.remove(&id);
        });
        self.refresh().await;
    }

    /// Deletes a model folder; the download's last message stays on screen.
    async fn discard_folder(&self, id: &str) {
        let result = async {
            let dir = opfs::models_dir().await?;
            opfs::remove(&dir, id, true).await
        }
        .await;
        let selected = self.source.with_value(|s| s.as_ref().map(|s| s.origin.clone()));
        if selected == Some(Origin::Stored { id: id.to_string() }) {
            self.source.set_value(None);
            self.current.set(None);
            forget_selection();
        }
        self.problem.set(result.err().map(|why| format!("The model could not be deleted: {why}.")));
    }

    /// Opens a downloaded model: reads its header from storage and makes it the selected model.
    pub async fn open_stored(&self, id: String) {
        let ticket = self.next_open();
        let name = self.stored_model(&id).map_or_else(|| id.clone(), |m| m.name);
        self.opening.set(Some(Opening::Reading(name.clone())));
        let opened = async {
            let dir = opfs::models_dir().await?;
            let folder = opfs::folder(&dir, &id, false).await?.ok_or("it is no longer in browser storage")?;
            let meta = opfs::read_meta(&folder).await?.ok_or("its description (meta.json) is missing")?;
            if !meta.complete {
                return Err("its download is not finished; resume it first".to_string());
            }
            let parts = opfs::parts(&folder).await?;
            let layout = PartLayout::new(meta.part_size);
            let sizes: Vec<u64> = parts.iter().map(|(_, s)| *s).collect();
            let kept = layout.resume_point(&sizes).keep;
            let source = ModelSource::stored(&meta, &parts[..kept]).await?;
            let file_name = meta.url.rsplit('/').next().unwrap_or(&meta.name).to_string();
            Ok((source, file_name, Some(meta.verified)))
        }
        .await;
        match opened {
            Ok((source, file_name, verified)) => self.select(ticket, source, file_name, verified).await,
            Err(why) if self.is_latest(ticket) => {
                self.opening.set(Some(Opening::Failed(format!("\u{201c}{name}\u{201d} could not be opened: {why}."))))
            }
            Err(_) => {}
        }
    }

    /// Opens a file from the disk (read in place, in slices; never copied whole).
    pub async fn open_local(&self, file: web_sys::File) {
        let ticket = self.next_open();
        let name = file.name();
        self.opening.set(Some(Opening::Reading(name.clone())));
        self.select(ticket, ModelSource::local(file), name, None).await;
    }

    fn next_open(&self) -> u64 {
        self.opens
            .try_update_value(|n| {
                *n += 1;
                *n
            })
            .unwrap_or(0)
    }

    /// Whether any open (stored model or local file) has started since the page loaded.
    fn any_open_started(&self) -> bool {
        self.opens.get_value() > 0
    }

    /// Whether no other open started after the one holding `ticket`.
    fn is_latest(&self, ticket: u64) -> bool {
        self.opens.get_value() == ticket
    }

    /// Parses the header of `source`; on success it becomes the selected model, otherwise the
    /// previous selection stays and the reason is shown. A result that arrives after a later open
    /// started (a remembered model still loading when the user picks a file) is dropped.
    async fn select(&self, ticket: u64, source: ModelSource, file_name: String, verified: Option<Verified>) {
        let started = browser::now_ms();
        let result = source::read_header(&source).await;
        if !self.is_latest(ticket) {
            return;
        }
        match result {
            Ok(header) => {
                let summary = summarize(&header, source.size(), &file_name);
                let parse_ms = browser::now_ms() - started;
                if let Origin::Stored { id } = &source.origin {
                    remember_selection(id);
                }
                let origin = source.origin.clone();
                self.source.set_value(Some(source));
                self.current.set(Some(Current { origin, file_name, summary, parse_ms, verified }));
                self.opening.set(None);
            }
            Err(why) => {
                self.opening.set(Some(Opening::Failed(format!("\u{201c}{file_name}\u{201d} was not opened. {why}"))))
            }
        }
    }
}

/// Every folder under `models/`, described; a damaged one is listed with its problem.
async fn list_stored() -> Result<Vec<StoredModel>, String> {
    let dir = opfs::models_dir().await?;
    let mut list = Vec::new();
    for (name, handle) in opfs::entries(&dir).await? {
        let Ok(folder) = wasm_bindgen::JsCast::dyn_into::<web_sys::FileSystemDirectoryHandle>(handle) else {
            continue;
        };
        if !store::is_valid_id(&name) {
            continue;
        }
        let parts = opfs::parts(&folder).await.unwrap_or_default();
        let sizes: Vec<u64> = parts.iter().map(|(_, s)| *s).collect();
        let model = match opfs::read_meta(&folder).await {
            Ok(Some(meta)) => {
                let bytes = PartLayout::new(meta.part_size).resume_point(&sizes).offset;
                StoredModel {
                    id: name,
                    name: meta.name.clone(),
                    url: Some(meta.url.clone()),
                    bytes,
                    total: meta.planned_size(),
                    complete: meta.complete,
                    verified: meta.verified,
                    problem: None,
                }
            }
            Ok(None) => StoredModel {
                name: name.clone(),
                id: name,
                url: None,
                bytes: sizes.iter().sum(),
                total: None,
                complete: false,
                verified: Verified::No,
                problem: Some("its description (meta.json) is missing".into()),
            },
            Err(why) => StoredModel {
                name: name.clone(),
                id: name,
                url: None,
                bytes: sizes.iter().sum(),
                total: None,
                complete: false,
                verified: Verified::No,
                problem: Some(why),
            },
        };
        list.push(model);
    }
    list.sort_by_key(|a| a.name.to_lowercase());
    Ok(list)
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn remembered_selection() -> Option<String> {
    local_storage()?.get_item(SELECTED_KEY).ok().flatten().filter(|id| store::is_valid_id(id))
}

fn remember_selection(id: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(SELECTED_KEY, id);
    }
}

fn forget_selection() {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(SELECTED_KEY);
    }
}
