//! Buckets: the panics of one signature, summed up. A bucket keeps bounded summaries only
//! (counts per OS build, model, suspect and day, the first and last time, a few example
//! files), so memory grows with the number of buckets, not of panics.

use std::collections::BTreeMap;

use kpanic::diagnose::PanicClass;
use serde::Serialize;

use crate::record::PanicRecord;
use crate::signature::Signature;
use crate::when;

/// Example files kept per bucket.
pub const EXAMPLES: usize = 3;
/// Distinct values counted per field of a bucket (OS builds, models, suspects); the rest are
/// summed in one `other` entry.
pub const MAX_DISTINCT: usize = 64;
/// Days of trend kept per bucket; older days are summed in `trend_before`.
pub const MAX_DAYS: usize = 3660;

/// A value and how many panics of the bucket had it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The value (an OS build, a model, a bundle id, a day `YYYY-MM-DD`).
    pub value: String,
    /// How many panics.
    pub count: u64,
}

/// A suspect of a bucket: how often the diagnosis implicated it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BucketSuspect {
    /// Bundle id or process name.
    pub name: String,
    /// Not Apple's.
    pub third_party: bool,
    /// `kext`, `dext` or `process` (`other` for the sum of those past the first 64).
    pub kind: &'static str,
    /// Panics of the bucket that named it.
    pub count: u64,
}

/// The panics of one signature.
#[derive(Clone, Debug, Serialize)]
pub struct Bucket {
    /// The signature all its panics share (the key).
    pub signature: Signature,
    /// The panic class.
    pub class: PanicClass,
    /// The headline diagnosis of its first panic (in file order).
    pub headline: String,
    /// Number of panics (duplicates counted once).
    pub count: u64,
    /// The earliest panic time, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// The latest panic time, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// Panics with no date in the log.
    pub undated: u64,
    /// OS builds, most panics first.
    pub os_builds: Vec<Count>,
    /// Hardware models, most panics first.
    pub models: Vec<Count>,
    /// Suspects, third-party first, then most panics first.
    pub suspects: Vec<BucketSuspect>,
    /// Up to [`EXAMPLES`] files, the first in path order (copies of an incident included).
    pub examples: Vec<String>,
    /// Panics per UTC day, oldest first.
    pub trend: Vec<Count>,
}

/// A bucket being filled.
#[derive(Debug)]
pub(crate) struct BucketAcc {
    signature: Signature,
    headline: String,
    count: u64,
    first: Option<u64>,
    last: Option<u64>,
    undated: u64,
    os_builds: Tally,
    models: Tally,
    suspects: BTreeMap<String, (bool, &'static str, u64)>,
    suspects_other: u64,
    examples: Vec<String>,
    days: BTreeMap<u64, u64>,
}

/// Counts of distinct values, bounded.
#[derive(Debug, Default)]
struct Tally {
    counts: BTreeMap<String, u64>,
    other: u64,
}

impl Tally {
    fn add(&mut self, v: Option<&str>) {
        let v = v.unwrap_or("unknown");
        if let Some(c) = self.counts.get_mut(v) {
            *c += 1;
        } else if self.counts.len() < MAX_DISTINCT {
            self.counts.insert(v.to_string(), 1);
        } else {
            self.other += 1;
        }
    }

    fn finish(&self) -> Vec<Count> {
        let mut v: Vec<Count> = self
            .counts
            .iter()
            .map(|(k, &c)| Count {
                value: k.clone(),
                count: c,
            })
            .collect();
        // Most first; equal counts by value, so the order never depends on arrival.
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        if self.other > 0 {
            v.push(Count {
                value: "other".into(),
                count: self.other,
            });
        }
        v
    }
}

impl BucketAcc {
    pub(crate) fn new(r: &PanicRecord) -> Self {
        BucketAcc {
            signature: r.signature.clone(),
            headline: r.headline.clone(),
            count: 0,
            first: None,
            last: None,
            undated: 0,
            os_builds: Tally::default(),
            models: Tally::default(),
            suspects: BTreeMap::new(),
            suspects_other: 0,
            examples: Vec::new(),
            days: BTreeMap::new(),
        }
    }

    /// Counts a panic.
    pub(crate) fn add(&mut self, r: &PanicRecord) {
        self.count += 1;
        match r.time {
            Some(t) => {
                self.first = Some(self.first.map_or(t, |f| f.min(t)));
                self.last = Some(self.last.map_or(t, |l| l.max(t)));
                *self.days.entry(t / 86_400).or_insert(0) += 1;
                if self.days.len() > MAX_DAYS {
                    // Past ten years of days the oldest leaves the trend; the panic stays in
                    // the count and in first/last seen.
                    self.days.pop_first();
                }
            }
            None => self.undated += 1,
        }
        self.os_builds.add(r.os_build.as_deref());
        self.models.add(r.model.as_deref());
        for s in &r.suspects {
            if let Some(e) = self.suspects.get_mut(&s.name) {
                e.2 += 1;
            } else if self.suspects.len() < MAX_DISTINCT {
                self.suspects
                    .insert(s.name.clone(), (s.third_party, s.kind, 1));
            } else {
                self.suspects_other += 1;
            }
        }
        self.example(&r.file);
    }

    /// Offers a file as an example (also the copies of a counted incident): the first
    /// [`EXAMPLES`] in path order are kept, whatever order they come in.
    pub(crate) fn example(&mut self, file: &str) {
        if self.examples.iter().any(|e| e == file) {
            return;
        }
        let at = self.examples.partition_point(|e| e.as_str() < file);
        if at < EXAMPLES {
            self.examples.insert(at, file.to_string());
            self.examples.truncate(EXAMPLES);
        }
    }

    pub(crate) fn finish(self) -> Bucket {
        let mut suspects: Vec<BucketSuspect> = self
            .suspects
            .into_iter()
            .map(|(name, (third_party, kind, count))| BucketSuspect {
                name,
                third_party,
                kind,
                count,
            })
            .collect();
        suspects.sort_by(|a, b| {
            b.third_party
                .cmp(&a.third_party)
                .then(b.count.cmp(&a.count))
                .then_with(|| a.name.cmp(&b.name))
        });
        if self.suspects_other > 0 {
            suspects.push(BucketSuspect {
                name: "other".into(),
                third_party: false,
                kind: "other",
                count: self.suspects_other,
            });
        }
        Bucket {
            class: self.signature.class,
            signature: self.signature,
            headline: self.headline,
            count: self.count,
            first_seen: self.first.map(when::rfc3339),
            last_seen: self.last.map(when::rfc3339),
            undated: self.undated,
            os_builds: self.os_builds.finish(),
            models: self.models.finish(),
            suspects,
            examples: self.examples,
            trend: self
                .days
                .into_iter()
                .map(|(d, c)| Count {
                    value: when::day_of(d * 86_400),
                    count: c,
                })
                .collect(),
        }
    }
}

/// Buckets most panics first; equal counts by signature, so the order is the same on every
/// run.
pub(crate) fn sort(buckets: &mut [Bucket]) {
    buckets.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.signature.text.cmp(&b.signature.text))
    });
}
