//! How downloaded models are laid out in browser storage (OPFS): one folder per model under
//! `models/`, holding `meta.json` and the file itself in numbered parts (`part-00000`, ...).
//!
//! Parts, not one file: a browser only commits what a writable stream wrote when the stream is
//! closed, so a download writes one part at a time and closes it when full. A crash or a closed tab
//! loses at most the part in progress, and a resumed download never copies what is already stored.

use crate::generation::ModelIdentity;
use serde::{Deserialize, Serialize};

pub const MODELS_DIR: &str = "models";
pub const META_FILE: &str = "meta.json";
/// Bytes per part. Small enough that an interrupted part is cheap to redo, large enough that a
/// 2 GB model is only ~64 files.
pub const PART_SIZE: u64 = 32 << 20;
/// The `meta.json` format this app writes.
pub const META_FORMAT: u32 = 1;
const PART_PREFIX: &str = "part-";

/// A folder name for a model: 1 to 64 of `a-z 0-9 . _ -`, not starting with a dot.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// The folder for a model downloaded from an address the user typed: the file's name made safe,
/// plus a hash of the whole address so two files with the same name do not collide.
pub fn id_for_url(url: &str) -> String {
    let file = url.split(['?', '#']).next().unwrap_or_default().rsplit('/').next().unwrap_or_default();
    let file = file.strip_suffix(".gguf").or_else(|| file.strip_suffix(".GGUF")).unwrap_or(file);
    let mut slug = String::new();
    for c in file.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_matches(['-', '.']);
    let slug = if slug.is_empty() { "model" } else { slug };
    format!("url-{slug}-{:08x}", fnv1a(url.as_bytes()) as u32)
}

pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The name of part `index`.
pub fn part_name(index: usize) -> String {
    format!("{PART_PREFIX}{index:05}")
}

/// The index of a part file, or `None` for any other name.
pub fn part_index(name: &str) -> Option<usize> {
    let digits = name.strip_prefix(PART_PREFIX)?;
    (digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok())?
}

/// How far a download got and what the check at the end found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verified {
    /// Not finished, or not checked yet.
    #[default]
    No,
    /// The size matches what the server announced.
    Size,
    /// The size and the SHA-256 from the catalog match.
    Sha256,
    /// The file is complete but differs from what was expected; kept so the user can decide.
    Mismatch(String),
}

/// `meta.json`: what was downloaded from where. The stored bytes themselves are counted from the
/// part files, never trusted from here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMeta {
    pub format: u32,
    pub id: String,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub catalog_id: Option<String>,
    /// The file size the server announced, once a response arrived.
    #[serde(default)]
    pub total: Option<u64>,
    /// The size the catalog gave, for the quota check before the first response.
    #[serde(default)]
    pub expected_size: Option<u64>,
    #[serde(default)]
    pub size_exact: bool,
    #[serde(default)]
    pub sha256: Option<String>,
    pub part_size: u64,
    #[serde(default)]
    pub complete: bool,
    #[serde(default)]
    pub verified: Verified,
}

impl StoredMeta {
    /// Who this model is, for answers made with it: its hash only once the download was checked
    /// against it. `size` is the stored size, counted from the parts.
    pub fn identity(&self, size: u64) -> ModelIdentity {
        let file = self.url.rsplit('/').next().filter(|f| !f.is_empty()).unwrap_or(&self.name);
        ModelIdentity {
            name: self.name.clone(),
            file: file.split(['?', '#']).next().unwrap_or(file).to_string(),
            size,
            catalog_id: self.catalog_id.clone(),
            sha256: (self.verified == Verified::Sha256).then(|| self.sha256.clone()).flatten(),
        }
    }

    pub fn new(id: &str, name: &str, url: &str) -> StoredMeta {
        StoredMeta {
            format: META_FORMAT,
            id: id.to_string(),
            name: name.to_string(),
            url: url.to_string(),
            catalog_id: None,
            total: None,
            expected_size: None,
            size_exact: false,
            sha256: None,
            part_size: PART_SIZE,
            complete: false,
            verified: Verified::No,
        }
    }

    /// The size to plan for: what the server said, else what the catalog said.
    pub fn planned_size(&self) -> Option<u64> {
        self.total.or(self.expected_size)
    }

    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Reads a `meta.json`, refusing anything this app would not have written.
pub fn parse_meta(bytes: &[u8]) -> Result<StoredMeta, String> {
    if bytes.len() > 64 * 1024 {
        return Err("its meta.json is too large".into());
    }
    let meta: StoredMeta = serde_json::from_slice(bytes).map_err(|e| format!("its meta.json is damaged ({e})"))?;
    if meta.format != META_FORMAT {
        return Err(format!("its meta.json has format {}, not {META_FORMAT}", meta.format));
    }
    if !is_valid_id(&meta.id) {
        return Err("its meta.json names an invalid folder".into());
    }
    if !(1 << 20..=1 << 30).contains(&meta.part_size) {
        return Err(format!("its meta.json gives an impossible part size ({})", meta.part_size));
    }
    if meta.name.chars().count() > 300 || meta.url.len() > 4096 {
        return Err("its meta.json has an over-long name or address".into());
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_safe_folder_names() {
        assert!(is_valid_id("qwen2.5-0.5b-instruct-q4_0"));
        for bad in ["", ".hidden", "UPPER", "a/b", "a b", &"x".repeat(65)] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn url_ids_keep_the_file_name_and_differ_by_address() {
        let a = id_for_url("https://example.org/a/Llama-3.2-1B-Instruct-Q4_K_M.gguf?download=true");
        let b = id_for_url("https://mirror.example/Llama-3.2-1B-Instruct-Q4_K_M.gguf");
        assert!(a.starts_with("url-llama-3.2-1b-instruct-q4_k_m-"), "{a}");
        assert_ne!(a, b);
        assert!(is_valid_id(&a) && is_valid_id(&b));
    }

    #[test]
    fn url_ids_are_safe_even_for_hostile_addresses() {
        for url in ["https://x/", "https://x/../../..", "https://x/%3Cscript%3E.gguf", "https://x/ñ€.gguf"] {
            let id = id_for_url(url);
            assert!(is_valid_id(&id), "{url} -> {id}");
        }
    }

    #[test]
    fn part_names_round_trip_and_other_files_are_not_parts() {
        assert_eq!(part_name(7), "part-00007");
        assert_eq!(part_index(&part_name(123)), Some(123));
        for other in ["meta.json", "part-1", "part-0000a", "part-000001", "xpart-00001"] {
            assert_eq!(part_index(other), None, "{other}");
        }
    }

    #[test]
    fn meta_round_trips_through_json() {
        let mut meta = StoredMeta::new("tiny", "Tiny", "https://example.org/tiny.gguf");
        meta.total = Some(1234);
        meta.verified = Verified::Mismatch("checksum differs".into());
        assert_eq!(parse_meta(meta.to_json().as_bytes()), Ok(meta));
    }

    #[test]
    fn damaged_meta_is_a_plain_error() {
        assert!(parse_meta(b"{").unwrap_err().starts_with("its meta.json is damaged"));
        let mut meta = StoredMeta::new("tiny", "Tiny", "u");
        meta.part_size = 7;
        assert!(parse_meta(meta.to_json().as_bytes()).unwrap_err().contains("part size"));
        let meta = StoredMeta::new("../x", "Tiny", "u");
        assert!(parse_meta(meta.to_json().as_bytes()).is_err());
    }

    #[test]
    fn planned_size_prefers_what_the_server_announced() {
        let mut meta = StoredMeta::new("tiny", "Tiny", "u");
        meta.expected_size = Some(100);
        assert_eq!(meta.planned_size(), Some(100));
        meta.total = Some(120);
        assert_eq!(meta.planned_size(), Some(120));
    }

    #[test]
    fn a_stored_model_is_identified_by_its_file_name_size_and_checked_hash() {
        let mut meta = StoredMeta::new("q", "Qwen", "https://hub.example/r/resolve/main/Qwen-Q4_0.gguf?download=true");
        meta.catalog_id = Some("qwen".into());
        meta.sha256 = Some("ab".repeat(32));
        let unchecked = meta.identity(42);
        assert_eq!((unchecked.file.as_str(), unchecked.size, unchecked.sha256), ("Qwen-Q4_0.gguf", 42, None));
        meta.verified = Verified::Sha256;
        assert_eq!(meta.identity(42).sha256, Some("ab".repeat(32)));
        assert_eq!(meta.identity(42).catalog_id.as_deref(), Some("qwen"));
    }
}
