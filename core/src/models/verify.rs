//! The check at the end of a download: the stored size against what the server announced (and the
//! catalog, when it gives an exact size), then the SHA-256 when the catalog has one. The hash is
//! streamed: the caller reads the stored file back in chunks and feeds them in order.

use super::download::DownloadError;
use super::store::Verified;
use sha2::{Digest, Sha256};

/// What the file should be.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// The size the server announced.
    pub announced: Option<u64>,
    /// The size the catalog gives, and whether it is exact.
    pub catalog_size: Option<u64>,
    pub size_exact: bool,
    /// Lower-case hex SHA-256.
    pub sha256: Option<String>,
}

/// Where the check is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the size check.
    Size,
    /// Hashing: `done` of `total` bytes.
    Hashing { done: u64, total: u64 },
    /// Finished: the verdict to store.
    Done(Verified),
}

/// A state machine: [`check_size`](Self::check_size), then [`update`](Self::update) with every
/// chunk when [`stage`](Self::stage) is `Hashing`, then [`finish`](Self::finish).
pub struct Verifier {
    expected: Expected,
    stage: Stage,
    hasher: Option<Sha256>,
}

impl Verifier {
    pub fn new(expected: Expected) -> Verifier {
        Verifier { expected, stage: Stage::Size, hasher: None }
    }

    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    /// Checks the stored size. A short file is an error to resume from; a long one is unusable; a
    /// size that differs from an exact catalog size is kept but marked as a mismatch.
    pub fn check_size(&mut self, stored: u64) -> Result<(), DownloadError> {
        if let Some(announced) = self.expected.announced {
            if stored < announced {
                return Err(DownloadError::Short { stored, announced });
            }
            if stored > announced {
                return Err(DownloadError::Long { stored, announced });
            }
        }
        if let (Some(expected), true) = (self.expected.catalog_size, self.expected.size_exact)
            && expected != stored
        {
            let error = DownloadError::SizeMismatch { actual: stored, expected };
            self.stage = Stage::Done(Verified::Mismatch(error.to_string()));
            return Ok(());
        }
        let size_known = self.expected.announced.is_some() || self.expected.size_exact;
        self.stage = if self.expected.sha256.is_some() {
            self.hasher = Some(Sha256::new());
            Stage::Hashing { done: 0, total: stored }
        } else if size_known {
            Stage::Done(Verified::Size)
        } else {
            // Nothing to compare with: the server gave no size and the catalog no exact one.
            Stage::Done(Verified::No)
        };
        Ok(())
    }

    /// Feeds the next chunk of the stored file while hashing; ignored otherwise.
    pub fn update(&mut self, chunk: &[u8]) {
        if let (Some(hasher), Stage::Hashing { done, .. }) = (&mut self.hasher, &mut self.stage) {
            hasher.update(chunk);
            *done += chunk.len() as u64;
        }
    }

    /// The verdict. A checksum mismatch is a verdict (`Verified::Mismatch`), not an error: the file
    /// is kept and the user decides.
    pub fn finish(mut self) -> Verified {
        match (self.stage, self.hasher.take(), self.expected.sha256) {
            (Stage::Done(verdict), _, _) => verdict,
            (Stage::Hashing { done, total }, Some(hasher), Some(expected)) if done == total => {
                let actual = hex(&hasher.finalize());
                if actual == expected {
                    Verified::Sha256
                } else {
                    Verified::Mismatch(DownloadError::ChecksumMismatch { expected, actual }.to_string())
                }
            }
            (Stage::Hashing { done, total }, _, _) => {
                Verified::Mismatch(format!("Only {done} of {total} bytes could be read back for the checksum."))
            }
            (Stage::Size, _, _) => Verified::No,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex SHA-256 of `bytes`, for tests and small files.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn expected(announced: u64) -> Expected {
        Expected { announced: Some(announced), ..Expected::default() }
    }

    #[test]
    fn a_file_of_the_announced_size_without_a_checksum_is_size_verified() {
        let mut v = Verifier::new(expected(10));
        v.check_size(10).unwrap();
        assert_eq!(v.stage(), &Stage::Done(Verified::Size));
        assert_eq!(v.finish(), Verified::Size);
    }

    #[test]
    fn a_short_file_asks_to_resume() {
        let err = Verifier::new(expected(10)).check_size(7).unwrap_err();
        assert_eq!(err, DownloadError::Short { stored: 7, announced: 10 });
        assert!(err.to_string().contains("press Resume"));
    }

    #[test]
    fn a_long_file_is_an_error() {
        assert_eq!(Verifier::new(expected(10)).check_size(11), Err(DownloadError::Long { stored: 11, announced: 10 }));
    }

    #[test]
    fn an_exact_catalog_size_that_differs_is_a_mismatch_not_an_error() {
        let mut v = Verifier::new(Expected { catalog_size: Some(12), size_exact: true, ..expected(10) });
        v.check_size(10).unwrap();
        assert!(matches!(v.finish(), Verified::Mismatch(why) if why.contains("exactly 12 bytes")));
    }

    #[test]
    fn an_approximate_catalog_size_is_not_checked() {
        let mut v = Verifier::new(Expected { catalog_size: Some(12), size_exact: false, ..expected(10) });
        v.check_size(10).unwrap();
        assert_eq!(v.finish(), Verified::Size);
    }

    #[test]
    fn without_any_size_to_compare_nothing_is_claimed() {
        let mut v = Verifier::new(Expected { catalog_size: Some(12), ..Expected::default() });
        v.check_size(10).unwrap();
        assert_eq!(v.finish(), Verified::No);
    }

    #[test]
    fn a_matching_checksum_streamed_in_chunks_verifies() {
        let data = b"hello, streaming world";
        let mut v = Verifier::new(Expected { sha256: Some(sha256_hex(data)), ..expected(data.len() as u64) });
        v.check_size(data.len() as u64).unwrap();
        assert_eq!(v.stage(), &Stage::Hashing { done: 0, total: data.len() as u64 });
        for chunk in data.chunks(5) {
            v.update(chunk);
        }
        assert_eq!(v.finish(), Verified::Sha256);
    }

    #[test]
    fn a_different_checksum_is_a_mismatch_naming_both() {
        let mut v = Verifier::new(Expected { sha256: Some(EMPTY_SHA.into()), ..expected(3) });
        v.check_size(3).unwrap();
        v.update(b"abc");
        let Verified::Mismatch(why) = v.finish() else { panic!("expected a mismatch") };
        assert!(why.contains(EMPTY_SHA) && why.contains(&sha256_hex(b"abc")), "{why}");
    }

    #[test]
    fn a_hash_over_fewer_bytes_than_stored_is_a_mismatch() {
        let mut v = Verifier::new(Expected { sha256: Some(EMPTY_SHA.into()), ..expected(3) });
        v.check_size(3).unwrap();
        v.update(b"ab");
        assert!(matches!(v.finish(), Verified::Mismatch(why) if why.contains("Only 2 of 3")));
    }

    #[test]
    fn sha256_of_nothing_is_the_known_constant() {
        assert_eq!(sha256_hex(b""), EMPTY_SHA);
    }
}
