//! Download planning, independent of the browser: where to resume from the parts already stored,
//! where each arriving chunk goes, what a server response means, whether the quota allows it, and
//! progress, speed and time left.

use super::format;
use std::collections::VecDeque;

/// Everything that can stop a download, as sentences for the user. What was stored stays stored
/// unless the message says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    #[error("The server has no file at this address (HTTP {0}). Check the address, or the catalog entry.")]
    NotFound(u16),
    #[error(
        "The server refused access (HTTP {0}). Some models require accepting a licence on the hub first; \
         those cannot be downloaded here."
    )]
    Forbidden(u16),
    #[error("The server asks to slow down (HTTP 429). Wait a minute, then resume.")]
    TooManyRequests,
    #[error("The server had a problem (HTTP {0}). Try again later; what was downloaded is kept.")]
    ServerError(u16),
    #[error("The server answered HTTP {0}, which is not a file download.")]
    UnexpectedStatus(u16),
    #[error("The server sent bytes from {got} when asked for bytes from {asked}; the download was stopped.")]
    WrongRange { asked: u64, got: u64 },
    #[error(
        "Not enough storage space: this needs {} more, but this browser lets the site store only {} more \
         ({} used of {}). Delete downloaded models or free disk space, then try again.",
        format::bytes(*.needed), format::bytes(*.available), format::bytes(*.usage), format::bytes(*.quota)
    )]
    Quota { needed: u64, available: u64, usage: u64, quota: u64 },
    #[error(
        "The connection dropped after {} ({reason}). What arrived is kept: press Resume to continue.",
        format::bytes(*.stored)
    )]
    Interrupted { stored: u64, reason: String },
    #[error("This address does not serve a GGUF model: {0}")]
    NotGguf(String),
    #[error("The download ended at {} but the server announced {}; press Resume to fetch the rest.",
        format::bytes(*.stored), format::bytes(*.announced))]
    Short { stored: u64, announced: u64 },
    #[error("The server sent more bytes ({}) than it announced ({}); the file was not kept.",
        format::bytes(*.stored), format::bytes(*.announced))]
    Long { stored: u64, announced: u64 },
    #[error("The file is {} but the catalog says exactly {}; it was kept but may not be the intended file.",
        format::bytes(*.actual), format::bytes(*.expected))]
    SizeMismatch { actual: u64, expected: u64 },
    #[error(
        "The file's SHA-256 checksum differs from the catalog's ({actual} instead of {expected}); it was kept, \
             but it is not the file the catalog describes."
    )]
    ChecksumMismatch { expected: String, actual: String },
    #[error("Could not write to browser storage: {0}")]
    Storage(String),
}

/// Where an offset falls among fixed-size parts, and where a chunk's bytes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartLayout {
    pub part_size: u64,
}

/// A run of a chunk that lands in one part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub part: usize,
    /// Offset within the part.
    pub at: u64,
    /// Offset within the chunk (or within the requested read).
    pub from: u64,
    pub len: u64,
}

/// What to keep of the parts found in storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResumePoint {
    /// Bytes kept: the download continues from here.
    pub offset: u64,
    /// Parts `0..keep` are kept; any part from `keep` on must be deleted.
    pub keep: usize,
}

impl PartLayout {
    pub fn new(part_size: u64) -> PartLayout {
        PartLayout { part_size: part_size.max(1) }
    }

    /// Part index and offset within it.
    pub fn locate(&self, offset: u64) -> (usize, u64) {
        ((offset / self.part_size) as usize, offset % self.part_size)
    }

    /// Splits `len` bytes written at file offset `offset` at part boundaries.
    pub fn split(&self, offset: u64, len: u64) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut done = 0;
        while done < len {
            let (part, at) = self.locate(offset + done);
            let take = (self.part_size - at).min(len - done);
            spans.push(Span { part, at, from: done, len: take });
            done += take;
        }
        spans
    }

    /// The longest run of consistent parts: every part but the last kept one full, none too big.
    /// `sizes[i]` is the size of part `i` (contiguous from 0; a gap ends the list).
    pub fn resume_point(&self, sizes: &[u64]) -> ResumePoint {
        let mut offset = 0;
        for (i, &size) in sizes.iter().enumerate() {
            if size > self.part_size || size == 0 {
                return ResumePoint { offset, keep: i };
            }
            offset += size;
            if size < self.part_size {
                return ResumePoint { offset, keep: i + 1 };
            }
        }
        ResumePoint { offset, keep: sizes.len() }
    }
}

/// Which parts (of the given sizes) hold `len` bytes from `offset`; clipped to what is stored.
pub fn read_spans(sizes: &[u64], offset: u64, len: u64) -> Vec<Span> {
    let mut spans = Vec::new();
    let end = offset.saturating_add(len);
    let mut start_of_part = 0u64;
    for (part, &size) in sizes.iter().enumerate() {
        let end_of_part = start_of_part + size;
        let from = offset.max(start_of_part);
        let to = end.min(end_of_part);
        if from < to {
            spans.push(Span { part, at: from - start_of_part, from: from - offset, len: to - from });
        }
        if end_of_part >= end {
            break;
        }
        start_of_part = end_of_part;
    }
    spans
}

/// The `Range` header that asks for the rest of a file, when anything is stored.
pub fn range_header(offset: u64) -> Option<String> {
    (offset > 0).then(|| format!("bytes={offset}-"))
}

/// The parts of a response that decide what to do with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseInfo {
    pub status: u16,
    pub content_range: Option<String>,
    pub content_length: Option<u64>,
}

/// What a response means for the stored bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Write the body from file offset `start`; the file is `total` bytes when known. A `start`
    /// below what is stored means the stored bytes from `start` on must be dropped first.
    Write { start: u64, total: Option<u64> },
    /// Everything is already stored (a range past the end was refused, and the sizes agree).
    Complete { total: u64 },
    /// The file on the server is not the one partly stored (it shrank): drop everything, start over.
    Restart,
}

/// `bytes a-b/total`, `bytes a-b/*` or `bytes */total`: (start, total).
fn parse_content_range(value: &str) -> Option<(Option<u64>, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total = if total.trim() == "*" { None } else { Some(total.trim().parse().ok()?) };
    let start = if range.trim() == "*" {
        None
    } else {
        let (a, b) = range.trim().split_once('-')?;
        let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
        if b < a {
            return None;
        }
        Some(a)
    };
    Some((start, total))
}

/// Interprets a response to a request for the file from byte `asked` (0: the whole file).
/// `known_total` is the size an earlier response announced, if any.
pub fn plan_response(asked: u64, known_total: Option<u64>, info: &ResponseInfo) -> Result<Plan, DownloadError> {
    let range = info.content_range.as_deref().and_then(parse_content_range);
    match info.status {
        200 => {
            // The whole file: either nothing was stored, or the server ignores ranges.
            Ok(Plan::Write { start: 0, total: info.content_length })
        }
        206 => {
            let (start, total) = match range {
                Some((Some(start), total)) => (start, total),
                // Cross-origin servers may hide Content-Range; a 206 then answers what was asked.
                _ => (asked, info.content_length.map(|len| asked + len)),
            };
            if start != asked {
                return Err(DownloadError::WrongRange { asked, got: start });
            }
            if let (Some(known), Some(total)) = (known_total, total)
                && known != total
            {
                return Ok(Plan::Restart);
            }
            Ok(Plan::Write { start, total })
        }
        416 => match range {
            Some((_, Some(total))) if total == asked && asked > 0 => Ok(Plan::Complete { total }),
            _ if asked > 0 => Ok(Plan::Restart),
            _ => Err(DownloadError::UnexpectedStatus(416)),
        },
        401 | 403 => Err(DownloadError::Forbidden(info.status)),
        404 | 410 => Err(DownloadError::NotFound(info.status)),
        429 => Err(DownloadError::TooManyRequests),
        500..=599 => Err(DownloadError::ServerError(info.status)),
        other => Err(DownloadError::UnexpectedStatus(other)),
    }
}

/// Room to leave besides the file itself: browsers count metadata and need slack to commit parts.
pub fn quota_margin(needed: u64) -> u64 {
    (needed / 50).max(16 << 20)
}

/// Refuses a download of `needed` more bytes when the storage estimate says it cannot fit.
/// Unknown usage or quota never refuses (the write itself will say if space runs out).
pub fn check_quota(needed: u64, usage: Option<u64>, quota: Option<u64>) -> Result<(), DownloadError> {
    let (Some(usage), Some(quota)) = (usage, quota) else { return Ok(()) };
    let available = quota.saturating_sub(usage);
    if needed.saturating_add(quota_margin(needed)) > available {
        return Err(DownloadError::Quota { needed, available, usage, quota });
    }
    Ok(())
}

/// Bytes, speed over the last few seconds, and time left.
#[derive(Clone, Debug)]
pub struct Progress {
    total: Option<u64>,
    done: u64,
    /// (time in ms, bytes done) within the speed window.
    samples: VecDeque<(f64, u64)>,
    window_ms: f64,
}

/// A moment of a download, ready to show.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgressView {
    pub done: u64,
    pub total: Option<u64>,
    /// Bytes per second, once measurable.
    pub speed: Option<f64>,
    pub eta_seconds: Option<f64>,
}

impl ProgressView {
    pub fn fraction(&self) -> Option<f64> {
        self.total.filter(|&t| t > 0).map(|t| (self.done as f64 / t as f64).clamp(0.0, 1.0))
    }

    /// "12.3 MB of 145 MB (8%) · 4.2 MB/s · about 28 s left".
    pub fn text(&self) -> String {
        let mut text = match (self.total, self.fraction()) {
            (Some(total), Some(f)) => {
                format!("{} of {} ({}%)", format::bytes(self.done), format::bytes(total), (f * 100.0).floor())
            }
            _ => format!("{} so far", format::bytes(self.done)),
        };
        if let Some(speed) = self.speed {
            text.push_str(&format!(" · {}", format::speed(speed)));
        }
        if let Some(eta) = self.eta_seconds {
            text.push_str(&format!(" · about {} left", format::duration(eta)));
        }
        text
    }
}

impl Progress {
    /// Speed is measured over this many milliseconds.
    pub const WINDOW_MS: f64 = 4000.0;

    /// A download that already has `done` bytes stored.
    pub fn new(done: u64, total: Option<u64>) -> Progress {
        Progress { total, done, samples: VecDeque::new(), window_ms: Self::WINDOW_MS }
    }

    pub fn set_total(&mut self, total: Option<u64>) {
        self.total = total;
    }

    /// Records that `done` bytes are stored at time `now_ms` (a monotonic clock).
    pub fn record(&mut self, now_ms: f64, done: u64) {
        if done < self.done {
            // Bytes were dropped (a restart): earlier samples no longer describe this download.
            self.samples.clear();
        }
        self.done = done;
        self.samples.push_back((now_ms, done));
        while self.samples.len() > 2 && self.samples.front().is_some_and(|&(t, _)| now_ms - t > self.window_ms) {
            self.samples.pop_front();
        }
    }

    /// Bytes per second over the window; `None` until samples span at least a quarter second.
    pub fn speed(&self) -> Option<f64> {
        let (&(t0, b0), &(t1, b1)) = (self.samples.front()?, self.samples.back()?);
        let elapsed = (t1 - t0) / 1000.0;
        (elapsed >= 0.25 && b1 >= b0).then(|| (b1 - b0) as f64 / elapsed)
    }

    pub fn eta_seconds(&self) -> Option<f64> {
        let remaining = self.total?.saturating_sub(self.done);
        let speed = self.speed().filter(|&s| s > 0.0)?;
        Some(remaining as f64 / speed)
    }

    pub fn view(&self) -> ProgressView {
        ProgressView { done: self.done, total: self.total, speed: self.speed(), eta_seconds: self.eta_seconds() }
    }
}

/// Lets through one update per interval, so a fast download does not redraw the page per chunk.
#[derive(Clone, Copy, Debug)]
pub struct Throttle {
    interval_ms: f64,
    last: Option<f64>,
}

impl Throttle {
    pub fn new(interval_ms: f64) -> Throttle {
        Throttle { interval_ms, last: None }
    }

    pub fn ready(&mut self, now_ms: f64) -> bool {
        match self.last {
            Some(last) if now_ms - last < self.interval_ms => false,
            _ => {
                self.last = Some(now_ms);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PART: u64 = 100;

    fn layout() -> PartLayout {
        PartLayout::new(PART)
    }

    #[test]
    fn a_chunk_inside_one_part_is_one_span() {
        assert_eq!(layout().split(10, 20), vec![Span { part: 0, at: 10, from: 0, len: 20 }]);
    }

    #[test]
    fn a_chunk_across_part_boundaries_is_split_there() {
        assert_eq!(
            layout().split(90, 220),
            vec![
                Span { part: 0, at: 90, from: 0, len: 10 },
                Span { part: 1, at: 0, from: 10, len: 100 },
                Span { part: 2, at: 0, from: 110, len: 100 },
                Span { part: 3, at: 0, from: 210, len: 10 },
            ]
        );
    }

    #[test]
    fn an_empty_chunk_has_no_spans() {
        assert!(layout().split(50, 0).is_empty());
    }

    #[test]
    fn resume_continues_after_full_parts_and_a_partial_last_one() {
        assert_eq!(layout().resume_point(&[100, 100, 40]), ResumePoint { offset: 240, keep: 3 });
        assert_eq!(layout().resume_point(&[100, 100]), ResumePoint { offset: 200, keep: 2 });
        assert_eq!(layout().resume_point(&[]), ResumePoint { offset: 0, keep: 0 });
    }

    #[test]
    fn resume_drops_parts_after_a_short_one() {
        // A short part in the middle means later parts cannot be trusted.
        assert_eq!(layout().resume_point(&[100, 40, 100]), ResumePoint { offset: 140, keep: 2 });
    }

    #[test]
    fn resume_drops_empty_and_oversized_parts() {
        assert_eq!(layout().resume_point(&[100, 0, 100]), ResumePoint { offset: 100, keep: 1 });
        assert_eq!(layout().resume_point(&[100, 101]), ResumePoint { offset: 100, keep: 1 });
    }

    #[test]
    fn the_resume_offset_locates_where_writing_continues() {
        assert_eq!(layout().locate(240), (2, 40));
        assert_eq!(layout().locate(200), (2, 0));
    }

    #[test]
    fn reads_span_the_parts_that_hold_them() {
        let sizes = [100, 100, 40];
        assert_eq!(read_spans(&sizes, 0, 24), vec![Span { part: 0, at: 0, from: 0, len: 24 }]);
        assert_eq!(
            read_spans(&sizes, 95, 10),
            vec![Span { part: 0, at: 95, from: 0, len: 5 }, Span { part: 1, at: 0, from: 5, len: 5 }]
        );
        // Past the end: clipped to what is stored.
        assert_eq!(read_spans(&sizes, 230, 50), vec![Span { part: 2, at: 30, from: 0, len: 10 }]);
        assert!(read_spans(&sizes, 240, 10).is_empty());
    }

    #[test]
    fn a_range_is_asked_for_only_when_something_is_stored() {
        assert_eq!(range_header(0), None);
        assert_eq!(range_header(1234).as_deref(), Some("bytes=1234-"));
    }

    fn response(status: u16, range: Option<&str>, len: Option<u64>) -> ResponseInfo {
        ResponseInfo { status, content_range: range.map(str::to_string), content_length: len }
    }

    #[test]
    fn a_full_response_writes_from_the_start() {
        assert_eq!(
            plan_response(0, None, &response(200, None, Some(500))),
            Ok(Plan::Write { start: 0, total: Some(500) })
        );
    }

    #[test]
    fn a_server_that_ignores_ranges_restarts_from_zero() {
        // Asked from 240, got the whole file: the caller drops the stored bytes.
        assert_eq!(
            plan_response(240, Some(500), &response(200, None, Some(500))),
            Ok(Plan::Write { start: 0, total: Some(500) })
        );
    }

    #[test]
    fn a_partial_response_continues_where_asked() {
        let info = response(206, Some("bytes 240-499/500"), Some(260));
        assert_eq!(plan_response(240, Some(500), &info), Ok(Plan::Write { start: 240, total: Some(500) }));
    }

    #[test]
    fn a_partial_response_without_content_range_is_trusted_from_its_length() {
        let info = response(206, None, Some(260));
        assert_eq!(plan_response(240, None, &info), Ok(Plan::Write { start: 240, total: Some(500) }));
    }

    #[test]
    fn a_partial_response_from_the_wrong_offset_is_refused() {
        let info = response(206, Some("bytes 0-499/500"), Some(500));
        assert_eq!(plan_response(240, None, &info), Err(DownloadError::WrongRange { asked: 240, got: 0 }));
    }

    #[test]
    fn a_file_that_changed_size_on_the_server_restarts() {
        let info = response(206, Some("bytes 240-599/600"), Some(360));
        assert_eq!(plan_response(240, Some(500), &info), Ok(Plan::Restart));
    }

    #[test]
    fn an_unsatisfiable_range_at_the_exact_end_means_complete() {
        let info = response(416, Some("bytes */500"), None);
        assert_eq!(plan_response(500, Some(500), &info), Ok(Plan::Complete { total: 500 }));
        let info = response(416, Some("bytes */300"), None);
        assert_eq!(plan_response(500, Some(500), &info), Ok(Plan::Restart));
    }

    #[test]
    fn http_errors_become_plain_sentences() {
        let err = plan_response(0, None, &response(404, None, None)).unwrap_err();
        assert_eq!(err, DownloadError::NotFound(404));
        assert!(err.to_string().starts_with("The server has no file at this address (HTTP 404)"));
        assert_eq!(plan_response(0, None, &response(403, None, None)), Err(DownloadError::Forbidden(403)));
        assert_eq!(plan_response(0, None, &response(503, None, None)), Err(DownloadError::ServerError(503)));
        assert_eq!(plan_response(0, None, &response(429, None, None)), Err(DownloadError::TooManyRequests));
        assert_eq!(plan_response(0, None, &response(302, None, None)), Err(DownloadError::UnexpectedStatus(302)));
    }

    #[test]
    fn malformed_content_ranges_fall_back_to_the_length() {
        for bad in ["bytes x-y/500", "items 0-1/2", "bytes 9-3/500", "bytes 240-499/abc"] {
            let info = response(206, Some(bad), Some(260));
            assert_eq!(plan_response(240, None, &info), Ok(Plan::Write { start: 240, total: Some(500) }), "{bad}");
        }
    }

    #[test]
    fn quota_refuses_a_download_that_cannot_fit() {
        let gb = 1_000_000_000;
        let err = check_quota(gb, Some(gb), Some(gb + gb / 2)).unwrap_err();
        assert!(matches!(err, DownloadError::Quota { needed, available, .. } if needed == gb && available == gb / 2));
        assert!(err.to_string().starts_with("Not enough storage space: this needs 1 GB more"), "{err}");
    }

    #[test]
    fn quota_keeps_a_margin_beyond_the_file() {
        // 100 MB free is not enough for a 99 MB file: the margin is at least 16 MiB.
        assert!(check_quota(99_000_000, Some(0), Some(100_000_000)).is_err());
        assert!(check_quota(50_000_000, Some(0), Some(100_000_000)).is_ok());
    }

    #[test]
    fn an_unknown_quota_does_not_refuse() {
        assert!(check_quota(u64::MAX, None, None).is_ok());
    }

    #[test]
    fn speed_is_measured_over_the_recent_window() {
        let mut p = Progress::new(0, Some(10_000_000));
        p.record(0.0, 0);
        assert_eq!(p.speed(), None, "one sample is not a speed");
        p.record(1000.0, 1_000_000);
        p.record(2000.0, 2_000_000);
        assert_eq!(p.speed(), Some(1_000_000.0));
        assert_eq!(p.eta_seconds(), Some(8.0));
        // Much later and faster: the old samples leave the window.
        p.record(10_000.0, 3_000_000);
        p.record(11_000.0, 7_000_000);
        assert_eq!(p.speed(), Some(4_000_000.0));
    }

    #[test]
    fn a_resumed_download_reports_the_stored_bytes_but_not_as_speed() {
        let mut p = Progress::new(5_000_000, Some(10_000_000));
        p.record(0.0, 5_000_000);
        p.record(1000.0, 6_000_000);
        let view = p.view();
        assert_eq!(view.fraction(), Some(0.6));
        assert_eq!(view.speed, Some(1_000_000.0));
        assert_eq!(view.text(), "6 MB of 10 MB (60%) · 1 MB/s · about 4 s left");
    }

    #[test]
    fn without_a_total_progress_counts_bytes_only() {
        let mut p = Progress::new(0, None);
        p.record(0.0, 0);
        p.record(500.0, 1_500_000);
        let view = p.view();
        assert_eq!(view.fraction(), None);
        assert_eq!(view.eta_seconds, None);
        assert_eq!(view.text(), "1.5 MB so far · 3 MB/s");
    }

    #[test]
    fn dropped_bytes_reset_the_speed() {
        let mut p = Progress::new(0, Some(100));
        p.record(0.0, 0);
        p.record(1000.0, 80);
        p.record(1500.0, 0);
        assert_eq!(p.speed(), None);
    }

    #[test]
    fn the_throttle_lets_one_update_through_per_interval() {
        let mut t = Throttle::new(100.0);
        assert!(t.ready(0.0));
        assert!(!t.ready(50.0));
        assert!(t.ready(100.0));
        assert!(!t.ready(199.0));
    }
}
