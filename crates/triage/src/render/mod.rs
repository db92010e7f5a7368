//! The outputs: one file per format. Text and Markdown are for people, JSON for programs that
//! want the buckets, JSON Lines and CSV for fleet tools that want every panic (written as each
//! is counted, then the buckets).
//!
//! Every format is written through a [`Renderer`]: an [`Observer`] that streams per-panic
//! lines (JSON Lines, CSV) and writes the rest when the run is [finished](Renderer::finish).

mod csv;
mod json;
mod jsonl;
mod markdown;
mod text;

use std::io::Write;

use crate::{Observer, PanicRecord, Triage};

pub use json::{document, TriageDocument};

/// The formats of `kpanic triage --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A table for the terminal, then one paragraph per bucket.
    Text,
    /// One JSON document: summary, buckets, warnings (keys sorted).
    Json,
    /// One JSON object per line: each panic as it is counted, then each bucket, then the summary.
    Jsonl,
    /// One row per panic, with the fields fleet tools expect.
    Csv,
    /// A summary and a table of buckets for a bug tracker.
    Markdown,
}

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Writing failed (a closed pipe, a full disk).
    #[error("cannot write the output: {0}")]
    Io(#[from] std::io::Error),
    /// JSON could not be made.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// CSV could not be made.
    #[error("cannot write CSV: {0}")]
    Csv(#[from] ::csv::Error),
}

/// Writes one format to `W` as the run goes and when it is finished. The first write error
/// stops the writing (later panics are not written) and is returned by [`Renderer::finish`].
pub struct Renderer<W: Write> {
    format: Format,
    out: Output<W>,
    error: Option<RenderError>,
    /// Text and Markdown: the width of the terminal or page.
    pub width: usize,
}

enum Output<W: Write> {
    Plain(W),
    Csv(Box<::csv::Writer<W>>),
}

impl<W: Write> Renderer<W> {
    /// A renderer of `format` into `out`.
    pub fn new(format: Format, out: W) -> Self {
        let out = match format {
            Format::Csv => Output::Csv(Box::new(csv::writer(out))),
            _ => Output::Plain(out),
        };
        Renderer {
            format,
            out,
            error: None,
            width: text::DEFAULT_WIDTH,
        }
    }

    /// True once a write failed (e.g. the reader of a pipe went away): the caller may stop.
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Writes what comes after the panics (the buckets, the summary) and flushes.
    pub fn finish(mut self, t: &Triage) -> Result<(), RenderError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match (&mut self.out, self.format) {
            (Output::Plain(w), Format::Text) => text::write(w, t, self.width)?,
            (Output::Plain(w), Format::Json) => json::write(w, t)?,
            (Output::Plain(w), Format::Jsonl) => jsonl::finish(w, t)?,
            (Output::Plain(w), Format::Markdown) => markdown::write(w, t)?,
            (Output::Csv(w), _) => w.flush()?,
            (Output::Plain(_), Format::Csv) => unreachable!("CSV has its writer"),
        }
        if let Output::Plain(w) = &mut self.out {
            w.flush()?;
        }
        Ok(())
    }
}

impl<W: Write> Observer for Renderer<W> {
    fn panic(&mut self, r: &PanicRecord) {
        if self.error.is_some() {
            return;
        }
        let result = match (&mut self.out, self.format) {
            (Output::Plain(w), Format::Jsonl) => jsonl::panic(w, r),
            (Output::Csv(w), _) => csv::row(w, r),
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}

/// `n` panics / `1 panic`.
fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The top values of a count list as `24E248 ×3, 24F74 ×1`, at most `max`, `+N more`.
fn top(counts: &[crate::Count], max: usize) -> String {
    let mut parts: Vec<String> = counts
        .iter()
        .take(max)
        .map(|c| format!("{} ×{}", c.value, c.count))
        .collect();
    if counts.len() > max {
        parts.push(format!("+{} more", counts.len() - max));
    }
    parts.join(", ")
}

/// The suspects of a bucket as `com.foo.driver ×3 (third-party), …`.
fn suspects(b: &crate::Bucket, max: usize) -> String {
    let mut parts: Vec<String> = b
        .suspects
        .iter()
        .take(max)
        .map(|s| {
            let who = if s.third_party { " third-party" } else { "" };
            format!("{} ×{}{who}", s.name, s.count)
        })
        .collect();
    if b.suspects.len() > max {
        parts.push(format!("+{} more", b.suspects.len() - max));
    }
    parts.join(", ")
}

/// The first and last day a bucket was seen: `2023-04-18 … 2023-05-02`, or `—`.
fn seen(b: &crate::Bucket) -> String {
    match (&b.first_seen, &b.last_seen) {
        (Some(f), Some(l)) if f[..10] == l[..10] => f[..10].to_string(),
        (Some(f), Some(l)) => format!("{} … {}", &f[..10], &l[..10]),
        _ => "—".to_string(),
    }
}
