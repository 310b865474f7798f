//! A model the user chose, readable in chunks: a downloaded model's parts in browser storage, or a
//! file from the disk. Nothing ever reads a whole model into memory; reads are `Blob.slice`s.
//!
//! ENGINE HOOK: the GPU engine gets the selected model with `Models::selected_source()` (or
//! `models::selected_model_source()`) and reads it with [`ModelSource::chunks`] or
//! [`ModelSource::read`]; `crate::engine` streams it into the GPU.

use super::opfs;
use mindseye_core::generation::ModelIdentity;
use mindseye_core::gguf::{self, StreamReader};
use mindseye_core::models::download::read_spans;
use mindseye_core::models::store::StoredMeta;
use std::rc::Rc;
use wasm_bindgen_futures::JsFuture;

/// Where a source's bytes live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Downloaded into browser storage, in the folder with this id.
    Stored { id: String },
    /// A file picked or dropped by the user (not copied anywhere).
    Local,
}

/// A model file as a list of blobs read back to back (one for a local file; one per stored part).
#[derive(Clone)]
pub struct ModelSource {
    pub name: String,
    pub origin: Origin,
    /// Who the model is, for the answers it gives.
    pub identity: ModelIdentity,
    blobs: Rc<Vec<web_sys::Blob>>,
    sizes: Rc<Vec<u64>>,
}

impl ModelSource {
    /// A file the user picked or dropped.
    pub fn local(file: web_sys::File) -> ModelSource {
        let size = file.size() as u64;
        let name = file.name();
        let identity = ModelIdentity { name: name.clone(), file: name.clone(), size, catalog_id: None, sha256: None };
        ModelSource {
            name,
            origin: Origin::Local,
            identity,
            blobs: Rc::new(vec![file.into()]),
            sizes: Rc::new(vec![size]),
        }
    }

    /// A downloaded model: the snapshot of each part, in order.
    pub async fn stored(
        meta: &StoredMeta,
        parts: &[(web_sys::FileSystemFileHandle, u64)],
    ) -> Result<ModelSource, String> {
        let mut blobs = Vec::with_capacity(parts.len());
        let mut sizes = Vec::with_capacity(parts.len());
        for (handle, _) in parts {
            let file = opfs::get_file(handle).await?;
            sizes.push(file.size() as u64);
            blobs.push(file.into());
        }
        Ok(ModelSource {
            name: meta.name.clone(),
            origin: Origin::Stored { id: meta.id.clone() },
            identity: meta.identity(sizes.iter().sum()),
            blobs: Rc::new(blobs),
            sizes: Rc::new(sizes),
        })
    }

    /// Total bytes.
    pub fn size(&self) -> u64 {
        self.sizes.iter().sum()
    }

    /// Up to `len` bytes from `offset` (fewer at the end of the file).
    pub async fn read(&self, offset: u64, len: u64) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(usize::try_from(len.min(self.size().saturating_sub(offset))).unwrap_or(0));
        for span in read_spans(&self.sizes, offset, len) {
            let blob = &self.blobs[span.part];
            let slice = blob
                .slice_with_f64_and_f64(span.at as f64, (span.at + span.len) as f64)
                .map_err(|e| opfs::describe(&e))?;
            let buffer = JsFuture::from(slice.array_buffer()).await.map_err(|e| {
                format!("the file could not be read ({}); was it moved, changed or deleted?", opfs::describe(&e))
            })?;
            out.extend_from_slice(&js_sys::Uint8Array::new(&buffer).to_vec());
        }
        Ok(out)
    }

    /// Reads the file front to back in chunks of `chunk` bytes.
    pub fn chunks(&self, chunk: u64) -> Chunks {
        Chunks { source: self.clone(), offset: 0, chunk: chunk.max(1) }
    }
}

/// A sequential reader over a [`ModelSource`].
pub struct Chunks {
    source: ModelSource,
    offset: u64,
    chunk: u64,
}

impl Chunks {
    /// The next chunk with its file offset; `None` at the end.
    pub async fn next(&mut self) -> Option<Result<(u64, Vec<u8>), String>> {
        if self.offset >= self.source.size() {
            return None;
        }
        let at = self.offset;
        Some(self.source.read(at, self.chunk).await.map(|bytes| {
            self.offset += bytes.len().max(1) as u64;
            (at, bytes)
        }))
    }
}

/// The header of `source`, parsed incrementally: only the header's bytes are read and buffered.
/// Also checks that the file is long enough for every tensor it lists (a truncated download or a
/// cut-off file is refused here, with the tensor that is missing).
pub async fn read_header(source: &ModelSource) -> Result<gguf::File, String> {
    // Small first: most headers are a few hundred kB; large vocabularies take a few MB.
    const FIRST: u64 = 256 << 10;
    const LATER: u64 = 2 << 20;
    let mut reader = StreamReader::new();
    let mut offset = 0;
    let size = source.size();
    let mut parsed = false;
    while offset < size {
        let bytes = source.read(offset, if offset == 0 { FIRST } else { LATER }).await?;
        if bytes.is_empty() {
            break;
        }
        offset += bytes.len() as u64;
        if reader.push(&bytes).map_err(not_usable)?.header.is_some() {
            parsed = true;
            break;
        }
    }
    if !parsed {
        reader.finish().map_err(not_usable)?;
    }
    let header = reader.into_header().ok_or_else(|| not_usable(gguf::Error::HeaderTooLarge { limit: 0 }))?;
    header.check_len(size).map_err(not_usable)?;
    Ok(header)
}

fn not_usable(error: gguf::Error) -> String {
    match error {
        gguf::Error::BadMagic { found } if found.iter().all(|b| b.is_ascii_graphic() || *b == b' ') => format!(
            "This is not a GGUF model file: it starts with \u{201c}{}\u{201d} instead of \u{201c}GGUF\u{201d}.",
            String::from_utf8_lossy(&found)
        ),
        gguf::Error::Truncated { .. } | gguf::Error::TensorOutOfBounds { .. } => {
            format!("This GGUF file is incomplete (cut off or still downloading): {error}.")
        }
        other => format!("This is not a usable GGUF model file: {other}."),
    }
}
