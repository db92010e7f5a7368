//! `kpanic triage --format html`: a [`Triage`]'s buckets as a [`TriageReport`], with a page for
//! the first examples of the buckets (each read again, symbolicated and diagnosed). Pages are
//! made in the order the report shows them (each bucket's first example, then each second…)
//! and only up to the cap, so the cost stays bounded by the cap, not by the fleet.

use kpanic::diagnose::diagnose;
use kpanic::{symbolicate, SymbolLibrary};
use kpanic_triage::load::{reload, Loaded};
use kpanic_triage::Triage;

use crate::{triage_report, BucketView, PanicPage, TriageReport, Written};

/// The report of `triage`, with at most `max_pages` example pages.
pub fn fleet_report(
    triage: &Triage,
    lib: Option<&SymbolLibrary>,
    max_pages: usize,
) -> (String, Written) {
    let buckets: Vec<BucketView> = triage
        .buckets
        .iter()
        .map(|b| BucketView {
            signature: b.signature.text.clone(),
            class: b.class.as_str().to_string(),
            headline: b.headline.clone(),
            count: b.count,
            first_seen: b.first_seen.clone(),
            last_seen: b.last_seen.clone(),
            os_builds: b
                .os_builds
                .iter()
                .map(|c| (c.value.clone(), c.count))
                .collect(),
            models: b
                .models
                .iter()
                .map(|c| (c.value.clone(), c.count))
                .collect(),
            suspects: b.suspects.iter().map(|s| s.name.clone()).collect(),
            trend: b.trend.iter().map(|c| (c.value.clone(), c.count)).collect(),
            examples: b.examples.clone(),
        })
        .collect();
    let rounds = buckets.iter().map(|b| b.examples.len()).max().unwrap_or(0);
    let mut wanted: Vec<&str> = Vec::new();
    for round in 0..rounds {
        for b in &buckets {
            if let Some(e) = b.examples.get(round) {
                if !wanted.contains(&e.as_str()) {
                    wanted.push(e);
                }
            }
        }
    }
    let total_examples = wanted.len();
    let mut pages = Vec::new();
    let mut unreadable = 0;
    for name in wanted.into_iter().take(max_pages) {
        match reload(name) {
            Loaded::Panic(name, report) => {
                let sym = lib.map(|l| symbolicate(&report, l));
                let d = diagnose(&report, sym.as_ref());
                pages.push(PanicPage::new(&name, &name, &report, sym.as_ref(), &d));
            }
            // Gone or changed since it was counted: its bucket row still stands.
            Loaded::Skipped(_) => unreadable += 1,
        }
    }
    let s = &triage.summary;
    let mut facts = vec![
        ("files".to_string(), s.files.to_string()),
        ("panics".to_string(), s.panics.to_string()),
        ("buckets".to_string(), s.buckets.to_string()),
        ("symbolicated".to_string(), s.symbolicated.to_string()),
        (
            "skipped".to_string(),
            s.skipped.values().sum::<u64>().to_string(),
        ),
        (
            "example pages".to_string(),
            format!("{} of {total_examples}", pages.len()),
        ),
    ];
    if unreadable > 0 {
        facts.push((
            "examples unreadable now".to_string(),
            unreadable.to_string(),
        ));
    }
    if let Some(k) = &s.kext {
        facts.push(("kext".to_string(), k.clone()));
    }
    if let Some(since) = &s.since {
        facts.push(("since".to_string(), since.clone()));
    }
    triage_report(&TriageReport {
        title: "kpanic triage",
        facts: &facts,
        buckets: &buckets,
        pages: &pages,
        max_pages,
    })
}
