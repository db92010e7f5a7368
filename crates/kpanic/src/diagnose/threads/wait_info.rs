//! `waitInfo`: the kernel's text for what a thread waits on (`mach_msg receive on port set
//! 0x…`, `krwlock 0x… owned by thread 123`), reduced to its kind.

use std::collections::BTreeMap;

use kpanic_report::Spindump;
use serde::Serialize;

use super::all_threads;
use super::categories::{self, WaitCategory};
use super::wait_types::WaitType;

/// A `waitInfo` text with addresses and numbers removed, and how many threads have it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct WaitKind {
    /// The text (`kernel mutex`, `mach_msg receive on port set`…).
    pub kind: String,
    /// Number of threads.
    pub threads: usize,
    /// The wait type the text names (`unknown type 18 …` is `sleep_with_inheritor`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_type: Option<WaitType>,
    /// What the wait is about (not in the JSON).
    #[serde(skip)]
    pub category: WaitCategory,
}

/// `mach_msg receive on port set 0x…` → `mach_msg receive on port set`; numbers and
/// addresses go, the wait type number of `unknown type N` stays.
pub fn wait_kind(text: &str) -> String {
    let text = text
        .split(" owned by")
        .next()
        .unwrap_or(text)
        .split(" [turnstile")
        .next()
        .unwrap_or(text);
    // The words kept, joined by spaces; `last` is where the last of them starts.
    let mut out = String::with_capacity(text.len());
    let mut last: Option<usize> = None;
    for w in text.split_whitespace() {
        let bare = w.trim_start_matches('(').trim_end_matches([',', ')']);
        let numeric = bare.starts_with("0x")
            || (!bare.is_empty() && bare.chars().all(|c| c.is_ascii_digit()));
        if !numeric || last.is_some_and(|l| &out[l..] == "type") {
            if last.is_some() {
                out.push(' ');
            }
            last = Some(out.len());
            out.push_str(w);
            continue;
        }
        // Drop the number, keep its closing punctuation on the previous word.
        if last.is_some() {
            out.push_str(&w[w.trim_end_matches([',', ')']).len()..]);
        }
    }
    out
}

/// Threads by `waitInfo` kind, most first.
pub(super) fn kinds(sd: &Spindump) -> Vec<WaitKind> {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (_, t) in all_threads(sd) {
        if let Some(w) = &t.wait_info {
            *kinds.entry(wait_kind(w)).or_default() += 1;
        }
    }
    let mut wait_kinds: Vec<WaitKind> = kinds
        .into_iter()
        .map(|(kind, threads)| WaitKind {
            category: categories::of_wait_kind(&kind),
            wait_type: WaitType::from_wait_info(&kind),
            kind,
            threads,
        })
        .collect();
    wait_kinds.sort_by(|a, b| b.threads.cmp(&a.threads).then(a.kind.cmp(&b.kind)));
    wait_kinds
}
