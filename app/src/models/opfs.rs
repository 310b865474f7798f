//! Browser storage for models: the origin private file system (OPFS) and the storage manager's
//! estimate and persistence. Every call is checked before it is made (private windows and old
//! browsers lack parts of these APIs) and every failure comes back as a sentence.

use js_sys::Reflect;
use mindseye_core::models::store::{self, StoredMeta};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{FileSystemDirectoryHandle as Dir, FileSystemFileHandle, FileSystemWritableFileStream};

/// Said when the page cannot store files at all.
pub const UNAVAILABLE: &str = "This browser does not let the page store files (a private window, or storage \
    disabled in the settings), so models cannot be downloaded here. You can still open a GGUF file from your disk.";

/// "QuotaExceededError: ..." becomes a sentence about space; anything else keeps the browser's words.
pub fn describe(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<web_sys::DomException>() {
        return match e.name().as_str() {
            "QuotaExceededError" => {
                "the browser ran out of storage space for this site. Delete downloaded models or free disk \
                 space, then resume"
                    .to_string()
            }
            "SecurityError" | "NotAllowedError" => UNAVAILABLE.to_string(),
            "AbortError" => "it was stopped".to_string(),
            name => {
                let message = e.message();
                if message.is_empty() { name.to_string() } else { format!("{message} ({name})") }
            }
        };
    }
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the browser refused".into())
}

async fn wait(promise: js_sys::Promise) -> Result<JsValue, String> {
    JsFuture::from(promise).await.map_err(|e| describe(&e))
}

fn has(target: &JsValue, name: &str) -> bool {
    Reflect::get(target, &name.into()).is_ok_and(|v| !v.is_undefined() && !v.is_null())
}

/// `navigator.storage`, if this browser and context offer it.
fn storage_manager() -> Result<web_sys::StorageManager, String> {
    let navigator = web_sys::window().ok_or(UNAVAILABLE)?.navigator();
    if !has(&navigator, "storage") {
        return Err(UNAVAILABLE.into());
    }
    let storage = navigator.storage();
    if !has(&storage, "getDirectory") {
        return Err(UNAVAILABLE.into());
    }
    Ok(storage)
}

/// The `models/` folder at the root of this site's private file system.
pub async fn models_dir() -> Result<Dir, String> {
    let root: Dir = wait(storage_manager()?.get_directory()).await?.dyn_into().map_err(|_| UNAVAILABLE)?;
    folder(&root, store::MODELS_DIR, true).await?.ok_or_else(|| UNAVAILABLE.into())
}

/// A sub-folder; `None` when it does not exist and `create` is false.
pub async fn folder(parent: &Dir, name: &str, create: bool) -> Result<Option<Dir>, String> {
    let options = web_sys::FileSystemGetDirectoryOptions::new();
    options.set_create(create);
    match JsFuture::from(parent.get_directory_handle_with_options(name, &options)).await {
        Ok(dir) => Ok(dir.dyn_into().ok()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(describe(&e)),
    }
}

/// A file handle; `None` when it does not exist and `create` is false.
pub async fn file(parent: &Dir, name: &str, create: bool) -> Result<Option<FileSystemFileHandle>, String> {
    let options = web_sys::FileSystemGetFileOptions::new();
    options.set_create(create);
    match JsFuture::from(parent.get_file_handle_with_options(name, &options)).await {
        Ok(handle) => Ok(handle.dyn_into().ok()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(describe(&e)),
    }
}

fn is_not_found(error: &JsValue) -> bool {
    error
        .dyn_ref::<web_sys::DomException>()
        .is_some_and(|e| e.name() == "NotFoundError" || e.name() == "TypeMismatchError")
}

/// The entries of a folder: (name, handle), folders and files alike. Bounded, in case of a huge folder.
pub async fn entries(dir: &Dir) -> Result<Vec<(String, JsValue)>, String> {
    const MAX_ENTRIES: usize = 10_000;
    let iterator = dir.values();
    let mut out = Vec::new();
    while out.len() < MAX_ENTRIES {
        let next = wait(iterator.next().map_err(|e| describe(&e))?).await?;
        if Reflect::get(&next, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            break;
        }
        let handle = Reflect::get(&next, &"value".into()).map_err(|e| describe(&e))?;
        let name = Reflect::get(&handle, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
        out.push((name, handle));
    }
    Ok(out)
}

/// The file behind a handle: a snapshot `File`, readable in slices.
pub async fn get_file(handle: &FileSystemFileHandle) -> Result<web_sys::File, String> {
    wait(handle.get_file()).await?.dyn_into().map_err(|_| "the browser returned no file".to_string())
}

/// Sizes of `part-00000`, `part-00001`, ... contiguous from 0, with their handles.
pub async fn parts(dir: &Dir) -> Result<Vec<(FileSystemFileHandle, u64)>, String> {
    let mut found: Vec<(usize, FileSystemFileHandle)> = Vec::new();
    for (name, handle) in entries(dir).await? {
        if let (Some(index), Ok(handle)) = (store::part_index(&name), handle.dyn_into::<FileSystemFileHandle>()) {
            found.push((index, handle));
        }
    }
    found.sort_by_key(|(i, _)| *i);
    let mut out = Vec::new();
    for (expected, (index, handle)) in found.into_iter().enumerate() {
        if index != expected {
            break; // a gap: later parts cannot be placed
        }
        let size = get_file(&handle).await?.size() as u64;
        out.push((handle, size));
    }
    Ok(out)
}

/// Reads a small text file; `None` when absent.
pub async fn read_text(dir: &Dir, name: &str) -> Result<Option<String>, String> {
    let Some(handle) = file(dir, name, false).await? else { return Ok(None) };
    let text = wait(get_file(&handle).await?.text()).await?;
    Ok(text.as_string())
}

/// Replaces a small text file.
pub async fn write_text(dir: &Dir, name: &str, text: &str) -> Result<(), String> {
    let handle = file(dir, name, true).await?.ok_or("could not create a file")?;
    let writable: FileSystemWritableFileStream = wait(handle.create_writable()).await?.unchecked_into();
    let written = match writable.write_with_str(text) {
        Ok(promise) => wait(promise).await.map(|_| ()),
        Err(e) => Err(describe(&e)),
    };
    if let Err(why) = written {
        let _ = JsFuture::from(writable.abort()).await;
        return Err(why);
    }
    wait(writable.close()).await.map(|_| ())
}

/// Deletes an entry (a folder with everything in it, when `recursive`). Absent is not an error.
pub async fn remove(dir: &Dir, name: &str, recursive: bool) -> Result<(), String> {
    let options = web_sys::FileSystemRemoveOptions::new();
    options.set_recursive(recursive);
    match JsFuture::from(dir.remove_entry_with_options(name, &options)).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(describe(&e)),
    }
}

/// Reads a model folder's `meta.json`: `Ok(None)` when absent, `Err` when unreadable or damaged.
pub async fn read_meta(dir: &Dir) -> Result<Option<StoredMeta>, String> {
    match read_text(dir, store::META_FILE).await? {
        None => Ok(None),
        Some(text) => store::parse_meta(text.as_bytes()).map(Some),
    }
}

pub async fn write_meta(dir: &Dir, meta: &StoredMeta) -> Result<(), String> {
    write_text(dir, store::META_FILE, &meta.to_json()).await
}

/// What the browser says about this site's storage.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    pub usage: Option<u64>,
    pub quota: Option<u64>,
    pub persisted: Option<bool>,
}

pub async fn estimate() -> Estimate {
    let Ok(storage) = storage_manager() else { return Estimate::default() };
    let mut out = Estimate::default();
    if let Ok(promise) = storage.estimate()
        && let Ok(value) = JsFuture::from(promise).await
    {
        let number = |key: &str| {
            Reflect::get(&value, &key.into()).ok().and_then(|v| v.as_f64()).filter(|v| v.is_finite() && *v >= 0.0)
        };
        out.usage = number("usage").map(|v| v as u64);
        out.quota = number("quota").map(|v| v as u64);
    }
    if let Ok(promise) = storage.persisted()
        && let Ok(value) = JsFuture::from(promise).await
    {
        out.persisted = value.as_bool();
    }
    out
}

/// Asks the browser to keep this site's storage under pressure. Best effort: browsers may decide
/// silently (Chromium grants it to sites used often or installed).
pub async fn request_persistence() -> Option<bool> {
    let storage = storage_manager().ok()?;
    if !has(&storage, "persist") {
        return None;
    }
    JsFuture::from(storage.persist().ok()?).await.ok()?.as_bool()
}

/// An options bag `{ keepExistingData: true }` for resuming a part.
pub fn keep_existing() -> web_sys::FileSystemCreateWritableOptions {
    let options = web_sys::FileSystemCreateWritableOptions::new();
    options.set_keep_existing_data(true);
    options
}

/// `navigator.deviceMemory` in bytes (Chromium only; rounded down, capped at 8 GiB).
pub fn device_memory() -> Option<u64> {
    let navigator = web_sys::window()?.navigator();
    let gib = Reflect::get(&navigator, &"deviceMemory".into()).ok()?.as_f64()?;
    (gib.is_finite() && gib > 0.0).then_some((gib * (1u64 << 30) as f64) as u64)
}
