//! One download: `fetch` streamed into numbered part files in OPFS, resumable with `Range` from what
//! is stored, cancellable with an `AbortController`, checked as a GGUF while the header arrives, and
//! verified at the end (size, and SHA-256 when the catalog gives one). Chunks go from the network
//! to storage as JS buffers; only the header's bytes and the hash's reads pass through wasm memory.

use super::{Job, Models, Phase, Stop, opfs, source::ModelSource};
use crate::browser;
use js_sys::{Reflect, Uint8Array};
use mindseye_core::gguf::StreamReader;
use mindseye_core::models::download::{
    DownloadError, PartLayout, Plan, Progress, ResponseInfo, Throttle, check_quota, plan_response, range_header,
};
use mindseye_core::models::store::{self, StoredMeta, Verified};
use mindseye_core::models::verify::{Expected, Stage, Verifier};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{FileSystemDirectoryHandle as Dir, FileSystemWritableFileStream};

/// Progress is redrawn at most this often.
const REDRAW_MS: f64 = 100.0;
/// Chunk size when reading stored parts back for the checksum.
const HASH_CHUNK: u64 = 4 << 20;

enum Outcome {
    Done(Verified),
    Paused,
    Cancelled,
}

struct Failure {
    message: String,
    resumable: bool,
}

impl Failure {
    fn new(message: impl Into<String>, resumable: bool) -> Failure {
        Failure { message: message.into(), resumable }
    }
}

impl From<DownloadError> for Failure {
    fn from(e: DownloadError) -> Failure {
        let resumable = matches!(
            e,
            DownloadError::Interrupted { .. }
                | DownloadError::Short { .. }
                | DownloadError::ServerError(_)
                | DownloadError::TooManyRequests
                | DownloadError::Quota { .. }
                | DownloadError::Storage(_)
        );
        Failure { message: e.to_string(), resumable }
    }
}

pub async fn run(models: Models, job: Job) {
    let outcome = download(models, &job).await;
    let id = job.id.clone();
    models.take_stop(&id);
    match outcome {
        Ok(Outcome::Done(verified)) => {
            let note = match &verified {
                Verified::Sha256 => "Downloaded; size and SHA-256 checksum verified.".to_string(),
                Verified::Size => "Downloaded; size verified.".to_string(),
                Verified::Mismatch(why) => format!("Downloaded, but: {why}"),
                Verified::No => "Downloaded.".to_string(),
            };
            models.set_phase(&id, &job.name, Phase::Done(note), None);
            models.refresh().await;
            models.open_stored(id).await;
        }
        Ok(Outcome::Paused) => {
            models.set_phase(&id, &job.name, Phase::Paused, None);
            models.refresh().await;
        }
        Ok(Outcome::Cancelled) => models.remove_folder(id).await,
        Err(failure) => {
            if !failure.resumable {
                // Nothing worth keeping (a wrong address, not a GGUF): leave no empty folder behind.
                models.discard_folder(&id).await;
            }
            models.refresh().await;
            let phase = Phase::Failed { message: failure.message, resumable: failure.resumable };
            models.set_phase(&id, &job.name, phase, None);
        }
    }
}

fn storage_error(why: String) -> Failure {
    if why == opfs::UNAVAILABLE { Failure::new(why, false) } else { DownloadError::Storage(why).into() }
}

async fn download(models: Models, job: &Job) -> Result<Outcome, Failure> {
    let root = opfs::models_dir().await.map_err(storage_error)?;
    // A new download is checked against the quota before anything is created.
    let existing = opfs::folder(&root, &job.id, false).await.map_err(storage_error)?;
    if let (None, Some(entry)) = (&existing, &job.entry) {
        quota(entry.size).await?;
    }
    let dir = match existing {
        Some(dir) => dir,
        None => opfs::folder(&root, &job.id, true)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| storage_error(opfs::UNAVAILABLE.into()))?,
    };

    // What is stored already, if it belongs to this address.
    let mut meta = match opfs::read_meta(&dir).await {
        Ok(Some(meta)) if meta.url == job.url && meta.id == job.id => meta,
        _ => {
            clear_parts(&dir, 0).await.map_err(storage_error)?;
            StoredMeta::new(&job.id, &job.name, &job.url)
        }
    };
    if let Some(entry) = &job.entry {
        meta.catalog_id = Some(entry.id.clone());
        meta.expected_size = Some(entry.size);
        meta.size_exact = entry.size_exact;
        meta.sha256 = entry.sha256.clone();
    }
    let layout = PartLayout::new(meta.part_size);
    let sizes: Vec<u64> = opfs::parts(&dir).await.map_err(storage_error)?.iter().map(|(_, s)| *s).collect();
    let resume = layout.resume_point(&sizes);
    clear_parts(&dir, resume.keep).await.map_err(storage_error)?;
    let mut offset = resume.offset;

    if let Some(planned) = meta.planned_size() {
        quota(planned.saturating_sub(offset)).await?;
    }
    meta.complete = false;
    meta.verified = Verified::No;
    opfs::write_meta(&dir, &meta).await.map_err(storage_error)?;
    models.refresh().await;

    let mut progress = Progress::new(offset, meta.planned_size());
    let mut restarted = false;
    loop {
        let controller = web_sys::AbortController::new().map_err(|e| Failure::new(opfs::describe(&e), true))?;
        models.register_abort(&job.id, controller.clone());
        let response = match fetch(&job.url, offset, &controller).await {
            Ok(r) => r,
            Err(why) => return stopped_or(models, job, &dir, Failure::new(why, true)).await,
        };
        let info = response_info(&response);
        match plan_response(offset, meta.total, &info)? {
            Plan::Complete { total } => {
                meta.total = Some(total);
                break;
            }
            Plan::Restart if !restarted => {
                restarted = true;
                clear_parts(&dir, 0).await.map_err(storage_error)?;
                offset = 0;
                meta.total = None;
                continue;
            }
            Plan::Restart => {
                return Err(Failure::new("The server's file keeps changing size; the download was stopped.", false));
            }
            Plan::Write { start, total } => {
                if start < offset {
                    // The server ignored the range: what is stored gets rewritten from the start.
                    clear_parts(&dir, 0).await.map_err(storage_error)?;
                    offset = 0;
                }
                if total.is_some() && total != meta.total {
                    if meta.total.is_none() {
                        quota(total.unwrap_or(0).saturating_sub(offset)).await?;
                    }
                    meta.total = total;
                    opfs::write_meta(&dir, &meta).await.map_err(storage_error)?;
                }
                progress.set_total(meta.planned_size());
                models.set_phase(&job.id, &job.name, Phase::Downloading, Some(progress.view()));
                let body = response.body().ok_or_else(|| Failure::new("The server sent no data.", true))?;
                match stream(models, job, &dir, layout, body, offset, &mut progress).await? {
                    // The stored size is counted from the parts below.
                    StreamEnd::Finished => break,
                    StreamEnd::Stopped(outcome) => return Ok(outcome),
                }
            }
        }
    }

    // Verification: the stored size, then the checksum if the catalog gives one.
    models.set_phase(&job.id, &job.name, Phase::Verifying, None);
    let parts = opfs::parts(&dir).await.map_err(storage_error)?;
    let stored: u64 = parts.iter().map(|(_, s)| *s).sum();
    let mut verifier = Verifier::new(Expected {
        announced: meta.total,
        catalog_size: meta.expected_size,
        size_exact: meta.size_exact,
        sha256: meta.sha256.clone(),
    });
    if let Err(e) = verifier.check_size(stored) {
        if matches!(e, DownloadError::Long { .. }) {
            clear_parts(&dir, 0).await.map_err(storage_error)?;
        }
        return Err(e.into());
    }
    if let Stage::Hashing { total, .. } = verifier.stage().clone() {
        let source = ModelSource::stored(&meta, &parts).await.map_err(storage_error)?;
        let mut chunks = source.chunks(HASH_CHUNK);
        let mut hashing = Progress::new(0, Some(total));
        models.set_progress(&job.id, hashing.view());
        let mut throttle = Throttle::new(REDRAW_MS);
        while let Some(chunk) = chunks.next().await {
            let (at, bytes) = chunk.map_err(storage_error)?;
            verifier.update(&bytes);
            let now = browser::now_ms();
            hashing.record(now, at + bytes.len() as u64);
            if throttle.ready(now) {
                models.set_progress(&job.id, hashing.view());
            }
        }
    }
    let verified = verifier.finish();
    meta.complete = true;
    meta.verified = verified.clone();
    opfs::write_meta(&dir, &meta).await.map_err(storage_error)?;
    models.take_stop(&job.id);
    Ok(Outcome::Done(verified))
}

/// The user's stop, if the failure came from one; otherwise the failure.
async fn stopped_or(models: Models, job: &Job, dir: &Dir, failure: Failure) -> Result<Outcome, Failure> {
    match models.take_stop(&job.id) {
        Some(Stop::Pause) => Ok(Outcome::Paused),
        Some(Stop::Cancel) => {
            let _ = clear_parts(dir, 0).await;
            Ok(Outcome::Cancelled)
        }
        None => Err(failure),
    }
}

/// Refuses to start when the storage estimate says `needed` more bytes will not fit.
async fn quota(needed: u64) -> Result<(), Failure> {
    let estimate = opfs::estimate().await;
    check_quota(needed, estimate.usage, estimate.quota).map_err(Failure::from)
}

async fn fetch(url: &str, offset: u64, controller: &web_sys::AbortController) -> Result<web_sys::Response, String> {
    let window = web_sys::window().ok_or("no browser window")?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_signal(Some(&controller.signal()));
    // Models are large: keep them out of the HTTP cache (OPFS holds them).
    init.set_cache(web_sys::RequestCache::NoStore);
    if let Some(range) = range_header(offset) {
        let headers = web_sys::Headers::new().map_err(|e| opfs::describe(&e))?;
        headers.set("Range", &range).map_err(|e| opfs::describe(&e))?;
        init.set_headers(&headers);
    }
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(|e| {
        format!(
            "The server could not be reached ({}). Check the connection and the address; what was stored is kept.",
            opfs::describe(&e)
        )
    })?;
    response.dyn_into().map_err(|_| "the browser returned no response".to_string())
}

fn response_info(response: &web_sys::Response) -> ResponseInfo {
    let headers = response.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    ResponseInfo {
        status: response.status(),
        content_range: header("content-range"),
        content_length: header("content-length").and_then(|v| v.trim().parse().ok()),
    }
}

/// How copying a body ended.
enum StreamEnd {
    /// Every byte the server sent is stored.
    Finished,
    /// The user paused or cancelled.
    Stopped(Outcome),
}

/// Copies the body into parts from `offset`.
async fn stream(
    models: Models,
    job: &Job,
    dir: &Dir,
    layout: PartLayout,
    body: web_sys::ReadableStream,
    offset: u64,
    progress: &mut Progress,
) -> Result<StreamEnd, Failure> {
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut writer = PartWriter { dir: dir.clone(), layout, offset, open: None };
    // The first bytes must be a GGUF header: checked as they arrive, so an HTML page or a wrong file
    // is refused after a few kilobytes, not after the whole download.
    let mut sniff = (offset == 0).then(StreamReader::new);
    let mut throttle = Throttle::new(REDRAW_MS);
    progress.record(browser::now_ms(), offset);
    loop {
        let read = match JsFuture::from(reader.read()).await {
            Ok(read) => read,
            Err(e) => {
                // Commit what arrived before the drop, so Resume continues from it.
                let committed = writer.close().await;
                let stored = writer.offset;
                let failure = match committed {
                    Ok(()) => DownloadError::Interrupted { stored, reason: opfs::describe(&e) }.into(),
                    Err(why) => storage_error(why),
                };
                return stopped_or(models, job, dir, failure).await.map(StreamEnd::Stopped);
            }
        };
        if Reflect::get(&read, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            break;
        }
        let Ok(chunk) = Reflect::get(&read, &"value".into()).and_then(|v| v.dyn_into::<Uint8Array>()) else {
            continue;
        };
        if let Some(reader_state) = sniff.as_mut() {
            match reader_state.push(&chunk.to_vec()) {
                Ok(pushed) if pushed.header.is_some() => sniff = None,
                Ok(_) => {}
                Err(e) => {
                    let _ = JsFuture::from(reader.cancel()).await;
                    writer.discard().await;
                    clear_parts(dir, 0).await.ok();
                    return Err(DownloadError::NotGguf(e.to_string()).into());
                }
            }
        }
        if let Err(why) = writer.write(&chunk).await {
            let _ = JsFuture::from(reader.cancel()).await;
            writer.close().await.ok();
            return Err(storage_error(why));
        }
        let now = browser::now_ms();
        progress.record(now, writer.offset);
        if throttle.ready(now) {
            models.set_progress(&job.id, progress.view());
        }
    }
    writer.close().await.map_err(storage_error)?;
    if let Some(mut reader_state) = sniff
        && let Err(e) = reader_state.finish()
    {
        clear_parts(dir, 0).await.ok();
        return Err(DownloadError::NotGguf(e.to_string()).into());
    }
    models.set_progress(&job.id, progress.view());
    Ok(StreamEnd::Finished)
}

/// Deletes parts `keep..`.
async fn clear_parts(dir: &Dir, keep: usize) -> Result<(), String> {
    for (name, _) in opfs::entries(dir).await? {
        if store::part_index(&name).is_some_and(|i| i >= keep) {
            opfs::remove(dir, &name, false).await?;
        }
    }
    Ok(())
}

/// Writes a stream of chunks into consecutive part files, one writable at a time. A part's bytes
/// are committed when its writable closes: when it is full, and when the download stops.
struct PartWriter {
    dir: Dir,
    layout: PartLayout,
    /// File offset of the next byte.
    offset: u64,
    open: Option<(usize, FileSystemWritableFileStream)>,
}

impl PartWriter {
    async fn write(&mut self, chunk: &Uint8Array) -> Result<(), String> {
        for span in self.layout.split(self.offset, chunk.length().into()) {
            if self.open.as_ref().map(|(part, _)| *part) != Some(span.part) {
                self.close().await?;
                self.open = Some((span.part, self.open_part(span.part, span.at).await?));
            }
            let Some((_, writable)) = &self.open else { return Err("no part file is open".into()) };
            let view = chunk.subarray(span.from as u32, (span.from + span.len) as u32);
            let promise = writable.write_with_js_u8_array(&view).map_err(|e| opfs::describe(&e))?;
            JsFuture::from(promise).await.map_err(|e| opfs::describe(&e))?;
            self.offset += span.len;
        }
        Ok(())
    }

    async fn open_part(&self, part: usize, at: u64) -> Result<FileSystemWritableFileStream, String> {
        let handle =
            opfs::file(&self.dir, &store::part_name(part), true).await?.ok_or("could not create a part file")?;
        let promise =
            if at > 0 { handle.create_writable_with_options(&opfs::keep_existing()) } else { handle.create_writable() };
        let writable: FileSystemWritableFileStream =
            JsFuture::from(promise).await.map_err(|e| opfs::describe(&e))?.unchecked_into();
        if at > 0 {
            let seek = writable.seek_with_f64(at as f64).map_err(|e| opfs::describe(&e))?;
            JsFuture::from(seek).await.map_err(|e| opfs::describe(&e))?;
        }
        Ok(writable)
    }

    /// Commits the open part.
    async fn close(&mut self) -> Result<(), String> {
        if let Some((_, writable)) = self.open.take() {
            JsFuture::from(writable.close()).await.map_err(|e| opfs::describe(&e))?;
        }
        Ok(())
    }

    /// Drops the open part's uncommitted bytes.
    async fn discard(&mut self) {
        if let Some((_, writable)) = self.open.take() {
            let _ = JsFuture::from(writable.abort()).await;
        }
    }
}
