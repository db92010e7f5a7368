//! `kpanic triage`: a folder of thousands of kernel panics, grouped and explained.
//!
//! A fleet's IT engineer or a driver vendor has a folder of panics every week and asks what
//! keeps crashing, since when, on which OS builds and models, and whether it is theirs. This
//! crate answers with buckets: panics of one [`Signature`], counted and summed up.
//!
//! - [`mod@discover`]: files, folders, the places macOS keeps panics, zip archives.
//! - [`load`]: a candidate into parsed panics, or the [`SkipReason`] it is not one.
//! - [`signature`]: the signature of a panic (docs/triage.md says how and why).
//! - [`record`]: what triage keeps of one panic ([`PanicRecord`]).
//! - [`bucket`]: the panics of one signature, in bounded summaries ([`Bucket`]).
//! - [`render`]: text, JSON, JSON Lines, CSV and Markdown.
//!
//! [`run`] does it all: files are read, parsed and diagnosed in parallel (rayon), in chunks
//! whose results are folded in file order, so the result is the same whatever the number of
//! threads. A renderer of another format (HTML) takes the finished [`Triage`]; one that wants
//! every panic implements [`Observer`]; one that shows a page per example reads it again with
//! [`load::reload`] (zip entries included) and symbolicates and diagnoses it with the engine.

#![warn(missing_docs)]

pub mod bucket;
pub mod discover;
pub mod load;
pub mod partial;
pub mod record;
pub mod render;
pub mod signature;
pub mod when;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

use kpanic::SymbolLibrary;
use rayon::prelude::*;
use serde::Serialize;

pub use bucket::{Bucket, BucketSuspect, Count};
pub use discover::{discover, Candidate, Discovery};
pub use load::{SkipReason, Skipped};
pub use partial::{Merger, Partial, PartialError};
pub use record::{PanicRecord, SuspectName};
pub use signature::Signature;

/// Files read and diagnosed in parallel before their results are folded in order: enough to
/// keep every core busy, few enough that memory stays small.
const CHUNK: usize = 256;
/// Warnings kept; the rest are counted.
const MAX_WARNINGS: usize = 100;

/// What to keep.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only panics at or after this UTC time (seconds since 1970); panics without a date are
    /// left out when it is set.
    pub since: Option<u64>,
    /// Only panics that implicate this kext or dext (bundle id, any case).
    pub kext: Option<String>,
}

/// Told about the run as it goes (all methods do nothing by default).
pub trait Observer {
    /// A panic was counted (not a duplicate, not filtered out), in file order.
    fn panic(&mut self, _record: &PanicRecord) {}
    /// `done` of `total` candidates (files and archives) have been read.
    fn progress(&mut self, _done: usize, _total: usize) {}
}

/// An [`Observer`] that does nothing.
pub struct Quiet;
impl Observer for Quiet {}

/// The counts of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Files and archive entries read.
    pub files: u64,
    /// Panics counted (each incident once, filters applied).
    pub panics: u64,
    /// Buckets.
    pub buckets: u64,
    /// Panics whose frames symbols resolved.
    pub symbolicated: u64,
    /// Files and archive entries not counted, by reason (`duplicate`, `not_a_panic`, …).
    pub skipped: BTreeMap<&'static str, u64>,
    /// The `bug_type` of the `.ips` reports of another kind, with their counts.
    pub other_bug_types: BTreeMap<String, u64>,
    /// Files that hit a kpanic bug (named in the warnings; the run went on).
    pub internal_errors: u64,
    /// The `--kext` asked about, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kext: Option<String>,
    /// The `--since` date, when one was given (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// The finished triage: what every renderer takes.
#[derive(Clone, Debug, Serialize)]
pub struct Triage {
    /// The counts.
    pub summary: Summary,
    /// The buckets, most panics first.
    pub buckets: Vec<Bucket>,
    /// Files that could not be used (damaged, refused, kpanic bugs), one line each, at most
    /// 100 and then how many more.
    pub warnings: Vec<String>,
}

/// One candidate's results.
enum Outcome {
    Panic(Box<PanicRecord>),
    Skipped(Skipped),
    Internal(String, String),
}

/// Triages the panics under `paths` (see [`discover()`]): parsed, diagnosed (with `symbols`
/// when given), signed, deduplicated, filtered by `opts`, bucketed. Paths that cannot be used
/// at all are in [`Discovery::unusable`] of the returned discovery.
pub fn run(
    paths: &[PathBuf],
    opts: &Options,
    symbols: Option<&SymbolLibrary>,
    observer: &mut dyn Observer,
) -> (Triage, Vec<(PathBuf, String)>) {
    let discovery = discover(paths);
    let triage = run_candidates(&discovery.candidates, opts, symbols, observer);
    (triage, discovery.unusable)
}

/// [`run`] on candidates already listed.
pub fn run_candidates(
    candidates: &[Candidate],
    opts: &Options,
    symbols: Option<&SymbolLibrary>,
    observer: &mut dyn Observer,
) -> Triage {
    let mut t = Triager::new(opts);
    let total = candidates.len();
    let mut done = 0;
    observer.progress(0, total);
    for chunk in candidates.chunks(CHUNK) {
        let results: Vec<Vec<Outcome>> = chunk.par_iter().map(|c| process(c, symbols)).collect();
        for outcomes in results {
            for o in outcomes {
                t.fold(o, observer);
            }
        }
        done += chunk.len();
        observer.progress(done, total);
    }
    t.finish()
}

fn process(c: &Candidate, symbols: Option<&SymbolLibrary>) -> Vec<Outcome> {
    let loaded = match std::panic::catch_unwind(|| load::load(c)) {
        Ok(l) => l,
        Err(p) => {
            return vec![Outcome::Internal(
                c.path().display().to_string(),
                kpanic_common::payload::panic_text(p.as_ref()),
            )]
        }
    };
    loaded
        .into_iter()
        .map(|l| match l {
            load::Loaded::Skipped(s) => Outcome::Skipped(s),
            load::Loaded::Panic(name, report) => {
                // A kpanic bug on one file is reported for that file; the run goes on.
                std::panic::catch_unwind(AssertUnwindSafe(|| {
                    Outcome::Panic(Box::new(examine(name.clone(), &report, symbols)))
                }))
                .unwrap_or_else(|p| {
                    Outcome::Internal(name, kpanic_common::payload::panic_text(p.as_ref()))
                })
            }
        })
        .collect()
}

/// Symbolicates (when symbols are given), diagnoses and signs one panic.
pub fn examine(
    name: String,
    report: &kpanic_report::PanicReport,
    symbols: Option<&SymbolLibrary>,
) -> PanicRecord {
    let sym = symbols.map(|l| kpanic::symbolicate(report, l));
    let d = kpanic::diagnose::diagnose(report, sym.as_ref());
    let sig = signature::signature(report, &d, sym.as_ref());
    PanicRecord::new(name, report, &d, sig)
}

/// The fold: everything here runs in file order.
struct Triager {
    opts: Options,
    kext: Option<String>,
    summary: Summary,
    buckets: HashMap<String, bucket::BucketAcc>,
    /// 16 bytes per incident: the one thing that grows with the panics.
    seen: HashSet<[u8; 16]>,
    warnings: Vec<String>,
    warnings_dropped: u64,
}

impl Triager {
    fn new(opts: &Options) -> Self {
        Triager {
            opts: opts.clone(),
            kext: opts.kext.as_ref().map(|k| k.to_ascii_lowercase()),
            summary: Summary {
                kext: opts.kext.clone(),
                since: opts.since.map(when::day_of),
                ..Summary::default()
            },
            buckets: HashMap::new(),
            seen: HashSet::new(),
            warnings: Vec::new(),
            warnings_dropped: 0,
        }
    }

    fn warn(&mut self, w: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w);
        } else {
            self.warnings_dropped += 1;
        }
    }

    fn skip(&mut self, reason: SkipReason) {
        *self.summary.skipped.entry(reason.as_str()).or_insert(0) += 1;
    }

    fn fold(&mut self, o: Outcome, observer: &mut dyn Observer) {
        self.summary.files += 1;
        match o {
            Outcome::Skipped(s) => {
                self.skip(s.reason);
                if let Some(b) = s.bug_type {
                    *self.summary.other_bug_types.entry(b).or_insert(0) += 1;
                }
                if s.reason.worth_a_warning() {
                    self.warn(format!("{}: {}", s.name, s.detail));
                }
            }
            Outcome::Internal(name, msg) => {
                self.summary.internal_errors += 1;
                self.warn(format!(
                    "{name}: internal error, a kpanic bug (please report it with this file): {msg}"
                ));
            }
            Outcome::Panic(r) => {
                if let Some(since) = self.opts.since {
                    if r.time.is_none_or(|t| t < since) {
                        return self.skip(SkipReason::BeforeSince);
                    }
                }
                if let Some(k) = &self.kext {
                    if !r.implicates(k) {
                        return self.skip(SkipReason::KextNotImplicated);
                    }
                }
                if !self.seen.insert(r.incident_key) {
                    // A copy: same content, same signature; its path may still be the example.
                    if let Some(b) = self.buckets.get_mut(&r.signature.text) {
                        b.example(&r.file);
                    }
                    return self.skip(SkipReason::Duplicate);
                }
                self.summary.panics += 1;
                if r.symbolicated {
                    self.summary.symbolicated += 1;
                }
                self.buckets
                    .entry(r.signature.text.clone())
                    .or_insert_with(|| bucket::BucketAcc::new(&r))
                    .add(&r);
                observer.panic(&r);
            }
        }
    }

    fn finish(mut self) -> Triage {
        if self.warnings_dropped > 0 {
            self.warnings
                .push(format!("… and {} more", self.warnings_dropped));
        }
        let mut buckets: Vec<Bucket> = self
            .buckets
            .into_values()
            .map(bucket::BucketAcc::finish)
            .collect();
        bucket::sort(&mut buckets);
        self.summary.buckets = buckets.len() as u64;
        Triage {
            summary: self.summary,
            buckets,
            warnings: self.warnings,
        }
    }
}
