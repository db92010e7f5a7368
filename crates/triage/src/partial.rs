//! A triage split over many machines: each [`Partial`] is the work done on a contiguous run of
//! candidates (read, parsed, diagnosed, signed), and a [`Merger`] folds partials, taken in
//! candidate order, into exactly the [`Triage`] that [`crate::run_candidates`] gives on all
//! of them (docs/distributed.md).
//!
//! A partial keeps the outcome of each candidate of its run, in order, as the [`PanicRecord`]
//! triage keeps (hundreds of bytes, where the panic was kilobytes to megabytes), not a folded
//! bucket state. The fold cannot be done ahead: whether a panic counts depends on the runs
//! before it (a copy of an incident counted earlier is a duplicate; `--since` and `--kext` are
//! the merger's), and a bucket's bounded summaries depend on the order panics arrive in (the
//! first headline, the 64 values kept per field before `other`, the examples). A fold cannot
//! take a panic back out; the merger's fold is the local run's own (the same code), so
//! the result is the same by construction, and the merger's memory is the local run's.
//!
//! Merging is associative ([`Partial::append`] concatenates runs), so partials may be combined
//! in any grouping as long as the candidate order is kept; folding them one by one as they
//! come (a [`Merger`]) keeps memory bounded.

use kpanic::diagnose::suspects::{SuspectKind, SuspectRole};
use kpanic::diagnose::PanicClass;
use kpanic::SymbolLibrary;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use crate::load::{SkipReason, Skipped};
use crate::record::{PanicRecord, SuspectName};
use crate::signature::Signature;
use crate::{discover, Candidate, Observer, Options, Outcome, Triage, Triager, CHUNK};

/// The layout of a serialized partial; raised when it changes.
const FORMAT: u32 = 1;

/// Why partials cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    /// The bytes are not a serialized partial.
    #[error("not a kpanic triage partial: {0}")]
    Malformed(String),
    /// Made by another kpanic, whose diagnoses and signatures may differ.
    #[error(
        "a triage partial made by kpanic {found} (layout {format}), this is kpanic {ours} \
         (layout {FORMAT}): make every partial of a triage with the same kpanic"
    )]
    Version {
        /// The kpanic that made it.
        found: String,
        /// Its layout version.
        format: u32,
        /// This kpanic.
        ours: &'static str,
    },
    /// A value of a closed set that this kpanic does not know.
    #[error("a triage partial has an unknown {what} `{value}`")]
    Unknown {
        /// Which set (`panic class`, `suspect kind`, …).
        what: &'static str,
        /// The value.
        value: String,
    },
}

/// The outcomes of a contiguous run of candidates, in candidate order: what a worker sends
/// back. Serialized with [`Partial::to_bytes`] (JSON).
#[derive(Debug, Serialize, Deserialize)]
pub struct Partial {
    format: u32,
    kpanic_version: String,
    outcomes: Vec<Wire>,
}

/// The header alone, read first so that a partial of another layout is named as such.
#[derive(Deserialize)]
struct Header {
    format: u32,
    kpanic_version: String,
}

/// One outcome, as sent.
#[derive(Debug, Serialize, Deserialize)]
enum Wire {
    Panic(Box<WireRecord>),
    /// `name` and `detail` are kept only when the reason is worth a warning.
    Skipped {
        name: String,
        reason: String,
        bug_type: Option<String>,
        detail: String,
    },
    Internal {
        name: String,
        message: String,
    },
}

/// A [`PanicRecord`], every field of it.
#[derive(Debug, Serialize, Deserialize)]
struct WireRecord {
    file: String,
    time: Option<u64>,
    time_utc: Option<String>,
    uptime_seconds: Option<u64>,
    os_build: Option<String>,
    model: Option<String>,
    class: String,
    headline: String,
    signature: WireSignature,
    suspects: Vec<WireSuspect>,
    last_loaded_kext: Option<String>,
    incident_id: Option<String>,
    symbolicated: bool,
    incident_key: [u8; 16],
    implicated: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct WireSignature {
    text: String,
    class: String,
    message: Option<String>,
    frames: Vec<String>,
    kext: Option<String>,
    build_specific: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct WireSuspect {
    name: String,
    third_party: bool,
    kind: String,
    role: String,
}

impl Partial {
    /// Reads, parses, diagnoses (with `symbols` when given) and signs each candidate, in
    /// parallel, keeping candidate order.
    pub fn run(candidates: &[Candidate], symbols: Option<&SymbolLibrary>) -> Partial {
        let mut outcomes = Vec::new();
        for chunk in candidates.chunks(CHUNK) {
            let results: Vec<Vec<Outcome>> = chunk
                .par_iter()
                .map(|c| crate::process(c, symbols))
                .collect();
            outcomes.extend(results.into_iter().flatten().map(Wire::from));
        }
        Partial {
            format: FORMAT,
            kpanic_version: env!("CARGO_PKG_VERSION").to_string(),
            outcomes,
        }
    }

    /// [`Partial::run`] on candidates named by their paths, as [`discover()`] listed them (a
    /// path ending in `.zip` is an archive). A path that cannot be read is a skip with a
    /// warning, as a file that went away during a local run is.
    pub fn run_paths(paths: &[PathBuf], symbols: Option<&SymbolLibrary>) -> Partial {
        let candidates: Vec<Candidate> = paths.iter().cloned().map(discover::candidate).collect();
        Partial::run(&candidates, symbols)
    }

    /// Candidates' outcomes held (a zip archive has one per entry).
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// True when the run had no candidates.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// The run of `self` followed by the run of `next`.
    pub fn append(&mut self, next: Partial) {
        self.outcomes.extend(next.outcomes);
    }

    /// The partial as bytes (JSON), for a worker to send.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a partial is plain data")
    }

    /// A partial sent by [`Partial::to_bytes`] of the same kpanic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Partial, PartialError> {
        let malformed = |e: serde_json::Error| PartialError::Malformed(e.to_string());
        let header: Header = serde_json::from_slice(bytes).map_err(malformed)?;
        if header.format != FORMAT || header.kpanic_version != env!("CARGO_PKG_VERSION") {
            return Err(PartialError::Version {
                found: header.kpanic_version,
                format: header.format,
                ours: env!("CARGO_PKG_VERSION"),
            });
        }
        let p: Partial = serde_json::from_slice(bytes).map_err(malformed)?;
        // Every value is checked now, so that a bad partial is refused before any is folded.
        for w in &p.outcomes {
            w.check()?;
        }
        Ok(p)
    }
}

/// Folds partials, in candidate order, into a [`Triage`].
pub struct Merger {
    triager: Triager,
}

impl Merger {
    /// A merger keeping what `opts` says (`--since`, `--kext`), as [`crate::run`] does.
    pub fn new(opts: &Options) -> Merger {
        Merger {
            triager: Triager::new(opts),
        }
    }

    /// Folds the next partial (the run right after the previous one); `observer` is told of
    /// each panic counted, as in a local run.
    pub fn add(&mut self, p: Partial, observer: &mut dyn Observer) -> Result<(), PartialError> {
        for w in &p.outcomes {
            w.check()?;
        }
        for w in p.outcomes {
            let o = w.into_outcome().expect("checked above");
            self.triager.fold(o, observer);
        }
        Ok(())
    }

    /// The finished triage.
    pub fn finish(self) -> Triage {
        self.triager.finish()
    }
}

/// Merges `partials`, given in candidate order.
pub fn merge(
    partials: impl IntoIterator<Item = Partial>,
    opts: &Options,
    observer: &mut dyn Observer,
) -> Result<Triage, PartialError> {
    let mut m = Merger::new(opts);
    for p in partials {
        m.add(p, observer)?;
    }
    Ok(m.finish())
}

impl From<Outcome> for Wire {
    fn from(o: Outcome) -> Wire {
        match o {
            Outcome::Panic(r) => Wire::Panic(Box::new(WireRecord::from(*r))),
            Outcome::Skipped(s) => {
                let keep = s.reason.worth_a_warning();
                Wire::Skipped {
                    name: if keep { s.name } else { String::new() },
                    reason: s.reason.as_str().to_string(),
                    bug_type: s.bug_type,
                    detail: if keep { s.detail } else { String::new() },
                }
            }
            Outcome::Internal(name, message) => Wire::Internal { name, message },
        }
    }
}

impl From<PanicRecord> for WireRecord {
    fn from(r: PanicRecord) -> WireRecord {
        WireRecord {
            file: r.file,
            time: r.time,
            time_utc: r.time_utc,
            uptime_seconds: r.uptime_seconds,
            os_build: r.os_build,
            model: r.model,
            class: r.class.as_str().to_string(),
            headline: r.headline,
            signature: WireSignature {
                text: r.signature.text,
                class: r.signature.class.as_str().to_string(),
                message: r.signature.message,
                frames: r.signature.frames,
                kext: r.signature.kext,
                build_specific: r.signature.build_specific,
            },
            suspects: r
                .suspects
                .into_iter()
                .map(|s| WireSuspect {
                    name: s.name,
                    third_party: s.third_party,
                    kind: s.kind.to_string(),
                    role: s.role.to_string(),
                })
                .collect(),
            last_loaded_kext: r.last_loaded_kext,
            incident_id: r.incident_id,
            symbolicated: r.symbolicated,
            incident_key: r.incident_key,
            implicated: r.implicated,
        }
    }
}

/// A value of a closed set, by its stable identifier.
fn known<T: std::str::FromStr>(what: &'static str, value: &str) -> Result<T, PartialError> {
    value.parse().map_err(|_| PartialError::Unknown {
        what,
        value: value.to_string(),
    })
}

fn skip_reason(value: &str) -> Result<SkipReason, PartialError> {
    SkipReason::ALL
        .iter()
        .copied()
        .find(|r| r.as_str() == value)
        .ok_or_else(|| PartialError::Unknown {
            what: "skip reason",
            value: value.to_string(),
        })
}

impl Wire {
    fn check(&self) -> Result<(), PartialError> {
        match self {
            Wire::Panic(r) => {
                known::<PanicClass>("panic class", &r.class)?;
                known::<PanicClass>("panic class", &r.signature.class)?;
                for s in &r.suspects {
                    known::<SuspectKind>("suspect kind", &s.kind)?;
                    known::<SuspectRole>("suspect role", &s.role)?;
                }
            }
            Wire::Skipped { reason, .. } => {
                skip_reason(reason)?;
            }
            Wire::Internal { .. } => {}
        }
        Ok(())
    }

    fn into_outcome(self) -> Result<Outcome, PartialError> {
        Ok(match self {
            Wire::Panic(r) => Outcome::Panic(Box::new(r.into_record()?)),
            Wire::Skipped {
                name,
                reason,
                bug_type,
                detail,
            } => Outcome::Skipped(Skipped {
                name,
                reason: skip_reason(&reason)?,
                bug_type,
                detail,
            }),
            Wire::Internal { name, message } => Outcome::Internal(name, message),
        })
    }
}

impl WireRecord {
    fn into_record(self) -> Result<PanicRecord, PartialError> {
        let suspects = self
            .suspects
            .into_iter()
            .map(|s| {
                Ok(SuspectName {
                    name: s.name,
                    third_party: s.third_party,
                    kind: known::<SuspectKind>("suspect kind", &s.kind)?.as_str(),
                    role: known::<SuspectRole>("suspect role", &s.role)?.as_str(),
                })
            })
            .collect::<Result<_, PartialError>>()?;
        Ok(PanicRecord {
            file: self.file,
            time: self.time,
            time_utc: self.time_utc,
            uptime_seconds: self.uptime_seconds,
            os_build: self.os_build,
            model: self.model,
            class: known("panic class", &self.class)?,
            headline: self.headline,
            signature: Signature {
                text: self.signature.text,
                class: known("panic class", &self.signature.class)?,
                message: self.signature.message,
                frames: self.signature.frames,
                kext: self.signature.kext,
                build_specific: self.signature.build_specific,
            },
            suspects,
            last_loaded_kext: self.last_loaded_kext,
            incident_id: self.incident_id,
            symbolicated: self.symbolicated,
            incident_key: self.incident_key,
            implicated: self.implicated,
        })
    }
}
