//! The model catalog (`public/models.json`): GGUF files on a Hugging Face-style hub, with what each
//! needs from the device. Anyone can edit the file, so every entry is validated; a bad entry is
//! skipped with a reason and the others stay usable.
//!
//! Download URLs follow the hub scheme `{hub}/{repo}/resolve/{revision}/{file}`. The hub defaults to
//! `https://huggingface.co`; it may also be a path relative to the page (tests serve fixtures).

use super::fit::{DeviceLimits, FitReport, Needs, Shape, check};
use super::store;
use serde::Deserialize;
use serde_json::Value;

pub const DEFAULT_HUB: &str = "https://huggingface.co";
pub const DEFAULT_REVISION: &str = "main";
/// The catalog format this app reads.
pub const VERSION: u64 = 1;
/// A catalog is a few kilobytes; anything near this is not one.
pub const MAX_CATALOG_BYTES: usize = 1 << 20;
/// Larger sizes are typos, not models a browser can hold.
pub const MAX_MODEL_BYTES: u64 = 1 << 40;
const MAX_TEXT: usize = 200;

/// Why the whole catalog was refused (a bad entry only skips that entry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("the model catalog is larger than {} kB, so it was not read", MAX_CATALOG_BYTES / 1000)]
    TooLarge,
    #[error("the model catalog is not valid JSON: {0}")]
    NotJson(String),
    #[error("the model catalog must be a JSON object with a \"models\" list")]
    NotAnObject,
    #[error("the model catalog has format version {0}; this version of Mind's Eye reads version {VERSION}")]
    UnsupportedVersion(String),
    #[error("the model catalog's hub address is not usable: {0}")]
    BadHub(String),
}

/// One downloadable model file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Unique, and the name of its folder in browser storage.
    pub id: String,
    pub name: String,
    /// `owner/name` on the hub.
    pub repo: String,
    pub revision: String,
    /// Path of the file within the repository.
    pub file: String,
    /// File size in bytes; exact only when `size_exact`.
    pub size: u64,
    pub size_exact: bool,
    /// Lower-case hex SHA-256 of the file, when known.
    pub sha256: Option<String>,
    /// Quantization label, e.g. `Q4_K_M`.
    pub quant: String,
    pub params: u64,
    /// `general.architecture` of the file: `llama`, `qwen2`, `gemma2`.
    pub arch: String,
    pub license: Option<String>,
    pub shape: Shape,
    /// Estimated bytes of the largest tensor (usually the token embeddings).
    pub largest_tensor: u64,
    /// Estimated GPU memory at the default context, as written in the catalog (informative: the app
    /// recomputes it from `size` and `shape` for the adapter at hand).
    pub gpu_memory: Option<u64>,
    pub notes: Option<String>,
}

impl Entry {
    /// `{hub}/{repo}/resolve/{revision}/{file}`.
    pub fn url(&self, hub: &str) -> String {
        format!("{}/{}/resolve/{}/{}", hub.trim_end_matches('/'), self.repo, self.revision, self.file)
    }

    /// The hub page of the repository, for people who want to read the model card.
    pub fn page(&self, hub: &str) -> String {
        format!("{}/{}", hub.trim_end_matches('/'), self.repo)
    }

    pub fn needs(&self) -> Needs {
        Needs { weights: self.size, largest_tensor: self.largest_tensor, largest_tensor_name: None, shape: self.shape }
    }

    pub fn fit(&self, limits: &DeviceLimits, context: u32) -> FitReport {
        check(&self.needs(), limits, context)
    }
}

/// An entry that was left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Position in the `models` list, from 1.
    pub position: usize,
    pub id: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "entry {} (\u{201c}{id}\u{201d}): {}", self.position, self.reason),
            None => write!(f, "entry {}: {}", self.position, self.reason),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    pub hub: String,
    pub models: Vec<Entry>,
    pub skipped: Vec<Skipped>,
}

impl Catalog {
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.models.iter().find(|m| m.id == id)
    }
}

/// The JSON form of an entry; unknown fields are ignored so that newer catalogs still load.
#[derive(Deserialize)]
struct RawEntry {
    id: String,
    name: String,
    repo: String,
    #[serde(default)]
    revision: Option<String>,
    file: String,
    size: u64,
    #[serde(default)]
    size_exact: bool,
    #[serde(default)]
    sha256: Option<String>,
    quant: String,
    params: u64,
    arch: String,
    #[serde(default)]
    license: Option<String>,
    shape: Shape,
    largest_tensor: u64,
    #[serde(default)]
    gpu_memory: Option<u64>,
    #[serde(default)]
    notes: Option<String>,
}

/// Parses and validates a catalog. Entries that fail validation, or repeat an earlier id, are skipped.
pub fn parse(bytes: &[u8]) -> Result<Catalog, CatalogError> {
    if bytes.len() > MAX_CATALOG_BYTES {
        return Err(CatalogError::TooLarge);
    }
    let root: Value = serde_json::from_slice(bytes).map_err(|e| CatalogError::NotJson(e.to_string()))?;
    let Value::Object(root) = root else { return Err(CatalogError::NotAnObject) };
    match root.get("version") {
        None => {}
        Some(Value::Number(n)) if n.as_u64() == Some(VERSION) => {}
        Some(other) => return Err(CatalogError::UnsupportedVersion(other.to_string())),
    }
    let hub = match root.get("hub") {
        None | Some(Value::Null) => DEFAULT_HUB.to_string(),
        Some(Value::String(hub)) => check_hub(hub).map_err(CatalogError::BadHub)?,
        Some(_) => return Err(CatalogError::BadHub("it must be a string".into())),
    };
    let Some(Value::Array(list)) = root.get("models") else { return Err(CatalogError::NotAnObject) };

    let mut models: Vec<Entry> = Vec::with_capacity(list.len());
    let mut skipped = Vec::new();
    for (i, value) in list.iter().enumerate() {
        let id = value.get("id").and_then(Value::as_str).map(|s| s.chars().take(64).collect::<String>());
        let entry = RawEntry::deserialize(value).map_err(|e| e.to_string()).and_then(validate);
        match entry {
            Ok(entry) if models.iter().any(|m| m.id == entry.id) => {
                skipped.push(Skipped { position: i + 1, id, reason: "its id is used by an earlier entry".into() })
            }
            Ok(entry) => models.push(entry),
            Err(reason) => skipped.push(Skipped { position: i + 1, id, reason }),
        }
    }
    Ok(Catalog { hub, models, skipped })
}

/// A hub base: an http(s) URL, or a path relative to the page (`/hub`, `./hub`, `../hub`).
pub fn check_hub(hub: &str) -> Result<String, String> {
    let hub = hub.trim();
    if hub.is_empty() {
        return Err("it is empty".into());
    }
    if hub.len() > 500 || hub.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>\\`".contains(c)) {
        return Err(format!("{hub:?} contains characters that are not allowed in an address"));
    }
    let absolute = hub.strip_prefix("https://").or_else(|| hub.strip_prefix("http://"));
    match absolute {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => Err(format!("{hub:?} has no host name")),
        Some(_) => Ok(hub.trim_end_matches('/').to_string()),
        None if hub.starts_with('/') && !hub.starts_with("//") || hub.starts_with("./") || hub.starts_with("../") => {
            Ok(hub.trim_end_matches('/').to_string())
        }
        None => Err(format!("{hub:?} must start with https://, http:// or be a relative path")),
    }
}

fn validate(raw: RawEntry) -> Result<Entry, String> {
    if !store::is_valid_id(&raw.id) {
        return Err(format!(
            "id {:?} must be 1 to 64 characters of lower-case letters, digits, '.', '_' or '-'",
            raw.id
        ));
    }
    let name = raw.name.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_TEXT {
        return Err(format!("name must be 1 to {MAX_TEXT} characters"));
    }
    let repo_ok = raw.repo.split('/').count() == 2 && raw.repo.split('/').all(is_path_segment);
    if !repo_ok {
        return Err(format!("repo {:?} must look like \"owner/name\"", raw.repo));
    }
    let revision = raw.revision.unwrap_or_else(|| DEFAULT_REVISION.to_string());
    if !revision.split('/').all(is_path_segment) {
        return Err(format!("revision {revision:?} is not a branch, tag or commit name"));
    }
    if !raw.file.split('/').all(is_path_segment) || !raw.file.to_ascii_lowercase().ends_with(".gguf") {
        return Err(format!("file {:?} must be a path inside the repository ending in .gguf", raw.file));
    }
    if raw.size == 0 || raw.size > MAX_MODEL_BYTES {
        return Err(format!("size {} is not a plausible file size in bytes", raw.size));
    }
    let sha256 = match raw.sha256 {
        None => None,
        Some(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => Some(s.to_ascii_lowercase()),
        Some(s) => return Err(format!("sha256 {s:?} must be 64 hexadecimal digits, or null")),
    };
    let label_ok =
        |s: &str| !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !label_ok(&raw.quant) {
        return Err(format!("quant {:?} must be a label like Q4_K_M", raw.quant));
    }
    if !label_ok(&raw.arch) {
        return Err(format!("arch {:?} must be a label like llama", raw.arch));
    }
    if raw.params == 0 {
        return Err("params must be the number of parameters".into());
    }
    let s = raw.shape;
    let dims = [s.layers, s.embedding, s.heads, s.kv_heads, s.head_dim, s.feed_forward, s.vocab, s.context];
    if dims.contains(&0) {
        return Err(
            "shape needs layers, embedding, heads, kv_heads, head_dim, feed_forward, vocab and context, all positive"
                .into(),
        );
    }
    if s.kv_heads > s.heads || !s.heads.is_multiple_of(s.kv_heads) {
        return Err(format!("shape.kv_heads ({}) must divide shape.heads ({})", s.kv_heads, s.heads));
    }
    if raw.largest_tensor == 0 || raw.largest_tensor > raw.size {
        return Err("largest_tensor must be positive and no larger than the file".into());
    }
    let short =
        |t: Option<String>| t.map(|t| t.trim().chars().take(1000).collect::<String>()).filter(|t| !t.is_empty());
    Ok(Entry {
        id: raw.id,
        name,
        repo: raw.repo,
        revision,
        file: raw.file,
        size: raw.size,
        size_exact: raw.size_exact,
        sha256,
        quant: raw.quant,
        params: raw.params,
        arch: raw.arch,
        license: short(raw.license),
        shape: raw.shape,
        largest_tensor: raw.largest_tensor,
        gpu_memory: raw.gpu_memory,
        notes: short(raw.notes),
    })
}

/// A path segment safe to put into a URL unencoded: no traversal, no separators, no markup.
fn is_path_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s != "."
        && s != ".."
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
}

/// Checks an address the user typed for "Download from a URL": http(s) only, no spaces.
pub fn check_download_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("Enter the address of a .gguf file.".into());
    }
    if url.len() > 2048 {
        return Err("That address is too long.".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("An address cannot contain spaces.".into());
    }
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(url.to_string()),
        _ => Err("The address must start with https:// (or http://) and name a server.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_json(id: &str) -> String {
        format!(
            r#"{{"id": "{id}", "name": "Tiny", "repo": "owner/Tiny-GGUF", "file": "tiny-q8_0.gguf",
                "size": 1000, "quant": "Q8_0", "params": 900, "arch": "llama", "largest_tensor": 300,
                "shape": {{"layers": 2, "embedding": 64, "heads": 4, "kv_heads": 2, "head_dim": 16,
                          "feed_forward": 128, "vocab": 256, "context": 512}}}}"#
        )
    }

    fn catalog_with(entries: &[String]) -> Vec<u8> {
        format!(r#"{{"version": 1, "models": [{}]}}"#, entries.join(",")).into_bytes()
    }

    fn one_bad(field_change: (&str, &str)) -> Catalog {
        let good = entry_json("tiny");
        let bad = good.replacen(field_change.0, field_change.1, 1);
        assert_ne!(good, bad, "the replacement must apply");
        parse(&catalog_with(&[bad])).unwrap()
    }

    #[test]
    fn a_valid_entry_is_read_with_defaults() {
        let catalog = parse(&catalog_with(&[entry_json("tiny")])).unwrap();
        assert_eq!(catalog.hub, DEFAULT_HUB);
        assert!(catalog.skipped.is_empty());
        let e = &catalog.models[0];
        assert_eq!(e.revision, "main");
        assert!(!e.size_exact);
        assert_eq!(e.sha256, None);
        assert_eq!(e.shape.kv_heads, 2);
    }

    #[test]
    fn urls_follow_the_hub_resolve_scheme() {
        let catalog = parse(&catalog_with(&[entry_json("tiny")])).unwrap();
        let e = &catalog.models[0];
        assert_eq!(e.url(DEFAULT_HUB), "https://huggingface.co/owner/Tiny-GGUF/resolve/main/tiny-q8_0.gguf");
        assert_eq!(e.url("../hub/"), "../hub/owner/Tiny-GGUF/resolve/main/tiny-q8_0.gguf");
        assert_eq!(e.page(DEFAULT_HUB), "https://huggingface.co/owner/Tiny-GGUF");
    }

    #[test]
    fn the_hub_can_be_a_local_relative_path() {
        let json = format!(r#"{{"version": 1, "hub": "../hub/", "models": [{}]}}"#, entry_json("tiny"));
        assert_eq!(parse(json.as_bytes()).unwrap().hub, "../hub");
    }

    #[test]
    fn a_hub_that_is_not_an_address_refuses_the_catalog() {
        for hub in ["javascript:alert(1)", "https://", "hub with space", "//evil.example", ""] {
            let json = format!(r#"{{"hub": "{hub}", "models": []}}"#);
            assert!(matches!(parse(json.as_bytes()), Err(CatalogError::BadHub(_))), "{hub}");
        }
    }

    #[test]
    fn invalid_json_is_a_plain_error() {
        let err = parse(b"{ not json").unwrap_err();
        assert!(err.to_string().starts_with("the model catalog is not valid JSON"), "{err}");
    }

    #[test]
    fn a_catalog_without_a_models_list_is_refused() {
        assert_eq!(parse(b"[1, 2]"), Err(CatalogError::NotAnObject));
        assert_eq!(parse(br#"{"version": 1}"#), Err(CatalogError::NotAnObject));
    }

    #[test]
    fn a_newer_catalog_version_is_refused_by_name() {
        let err = parse(br#"{"version": 2, "models": []}"#).unwrap_err();
        assert_eq!(err, CatalogError::UnsupportedVersion("2".into()));
        assert!(err.to_string().contains("reads version 1"));
    }

    #[test]
    fn an_oversized_catalog_is_not_parsed() {
        assert_eq!(parse(&vec![b' '; MAX_CATALOG_BYTES + 1]), Err(CatalogError::TooLarge));
    }

    #[test]
    fn a_bad_entry_is_skipped_and_the_rest_load() {
        let bad = entry_json("broken").replace(r#""size": 1000"#, r#""size": "big""#);
        let catalog = parse(&catalog_with(&[entry_json("a"), bad, entry_json("b")])).unwrap();
        assert_eq!(catalog.models.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(catalog.skipped.len(), 1);
        assert_eq!(catalog.skipped[0].position, 2);
        assert_eq!(catalog.skipped[0].id.as_deref(), Some("broken"));
        assert!(catalog.skipped[0].to_string().starts_with("entry 2 (“broken”)"));
    }

    #[test]
    fn a_missing_field_skips_the_entry_naming_the_field() {
        let bad = entry_json("x").replace(r#""quant": "Q8_0","#, "");
        let catalog = parse(&catalog_with(&[bad])).unwrap();
        assert!(catalog.skipped[0].reason.contains("quant"), "{}", catalog.skipped[0].reason);
    }

    #[test]
    fn a_repeated_id_is_skipped() {
        let catalog = parse(&catalog_with(&[entry_json("a"), entry_json("a")])).unwrap();
        assert_eq!(catalog.models.len(), 1);
        assert!(catalog.skipped[0].reason.contains("earlier entry"));
    }

    #[test]
    fn ids_must_be_safe_folder_names() {
        for id in ["../etc", "Upper", "", "a b", "<img>"] {
            let catalog = one_bad((r#""id": "tiny""#, &format!(r#""id": "{id}""#)));
            assert_eq!(catalog.models.len(), 0, "{id}");
        }
    }

    #[test]
    fn file_paths_cannot_escape_the_repository() {
        for file in ["../secret.gguf", "/abs.gguf", "a//b.gguf", "model.bin", "x?y=1.gguf", "<b>.gguf"] {
            let catalog = one_bad((r#""file": "tiny-q8_0.gguf""#, &format!(r#""file": "{file}""#)));
            assert!(catalog.skipped[0].reason.contains("file"), "{file}: {}", catalog.skipped[0].reason);
        }
    }

    #[test]
    fn repos_must_be_owner_slash_name() {
        for repo in ["nobody", "a/b/c", "a/..", "a/b c"] {
            let catalog = one_bad((r#""repo": "owner/Tiny-GGUF""#, &format!(r#""repo": "{repo}""#)));
            assert!(catalog.skipped[0].reason.contains("owner/name"), "{repo}");
        }
    }

    #[test]
    fn sizes_must_be_plausible() {
        let catalog = one_bad((r#""size": 1000"#, r#""size": 0"#));
        assert!(catalog.skipped[0].reason.contains("size 0"));
        let catalog = one_bad((r#""size": 1000"#, r#""size": -5"#));
        assert_eq!(catalog.models.len(), 0);
    }

    #[test]
    fn sha256_must_be_64_hex_digits_and_is_lowercased() {
        let catalog = one_bad((r#""quant""#, r#""sha256": "abc", "quant""#));
        assert!(catalog.skipped[0].reason.contains("sha256"));
        let hex = "AB".repeat(32);
        let catalog = one_bad((r#""quant""#, &format!(r#""sha256": "{hex}", "quant""#)));
        assert_eq!(catalog.models[0].sha256.as_deref(), Some("ab".repeat(32).as_str()));
    }

    #[test]
    fn the_shape_must_be_complete_and_consistent() {
        let catalog = one_bad((r#""layers": 2"#, r#""layers": 0"#));
        assert!(catalog.skipped[0].reason.contains("all positive"));
        let catalog = one_bad((r#""kv_heads": 2"#, r#""kv_heads": 3"#));
        assert!(catalog.skipped[0].reason.contains("must divide"));
    }

    #[test]
    fn the_largest_tensor_cannot_exceed_the_file() {
        let catalog = one_bad((r#""largest_tensor": 300"#, r#""largest_tensor": 5000"#));
        assert!(catalog.skipped[0].reason.contains("largest_tensor"));
    }

    #[test]
    fn unknown_fields_are_ignored_for_forward_compatibility() {
        let e = entry_json("tiny").replacen('{', r#"{"future_field": [1, 2, 3], "#, 1);
        assert_eq!(parse(&catalog_with(&[e])).unwrap().models.len(), 1);
    }

    #[test]
    fn download_urls_must_be_http_addresses() {
        assert!(check_download_url(" https://example.org/m.gguf ").is_ok());
        assert!(check_download_url("http://127.0.0.1:8080/m.gguf").is_ok());
        for bad in ["", "ftp://x/m.gguf", "https://", "https:///x", "javascript:alert(1)", "https://a b"] {
            assert!(check_download_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_bundled_catalog_is_valid() {
        let bytes = include_bytes!("../../../public/models.json");
        let catalog = parse(bytes).unwrap();
        assert!(catalog.skipped.is_empty(), "{:?}", catalog.skipped);
        let ids: Vec<&str> = catalog.models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids.len(), 6, "{ids:?}");
        for arch in ["llama", "qwen2", "gemma2"] {
            assert!(catalog.models.iter().any(|m| m.arch == arch), "{arch}");
        }
    }

    #[test]
    fn the_bundled_catalog_gpu_memory_matches_the_estimate() {
        let catalog = parse(include_bytes!("../../../public/models.json")).unwrap();
        for m in &catalog.models {
            let computed = super::super::fit::estimate(&m.needs(), super::super::fit::DEFAULT_CONTEXT, 4).total();
            let written = m.gpu_memory.unwrap_or(0);
            let off = (written as f64 - computed as f64).abs() / computed as f64;
            assert!(off < 0.02, "{}: catalog says {written}, estimate is {computed}", m.id);
        }
    }
}
