//! Memory state: `memoryStatus` (JSON panics) and the `Compressor Info` line (text), pages
//! converted to bytes with the log's page size (16 KiB on arm64, 4 KiB on Intel when the log
//! does not say).

use std::collections::BTreeMap;

use kpanic_report::{Arch, PanicReport};
use serde::Serialize;

use super::{human_bytes, Confidence, Evidence, Finding, FindingKind};

/// Free memory below this share of all pages is "near zero".
pub const LOW_FREE_PERCENT: f64 = 1.0;
/// File-backed pages above this share of the pageable pages (active + inactive + speculative).
pub const FILE_BACKED_PERCENT: f64 = 80.0;
/// Speculative pages above this share of all pages.
pub const SPECULATIVE_PERCENT: f64 = 20.0;
/// Compressor usage (of its page or segment limit) from which it is "near its limit".
pub const COMPRESSOR_NEAR_LIMIT_PERCENT: u32 = 80;

#[derive(Clone, Debug, Serialize)]
pub struct MemoryState {
    pub page_size: u64,
    /// `log` (memoryStatus.pageSize) or `default` (16 KiB arm64, 4 KiB Intel).
    pub page_size_source: String,
    /// Page counts as logged (`active`, `inactive`, `wired`, `free`, `speculative`,
    /// `throttled`, `file_backed`, `purgeable`, `compressor`) and their `total` (every
    /// category but file_backed/purgeable, which overlap the others, plus the compressor).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pages: BTreeMap<String, u64>,
    /// The same in bytes.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub bytes: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_pressure: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages_wanted: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages_reclaimed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressions: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decompressions: Option<u64>,
    /// `Compressor Info` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressor_pages_limit_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressor_segments_limit_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swapfiles: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swap_space: Option<String>,
    /// Figures the log makes impossible (page counts adding up past 2^64, pages × page size
    /// past 2^64 bytes): the figure is left out of `pages`/`bytes` and said here instead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub impossible: Vec<String>,
    /// Flags raised: `low_free_memory`, `memory_pressure`, `compressor_near_limit`,
    /// `swap_space_low`, `file_backed_heavy`, `speculative_heavy`.
    pub flags: Vec<String>,
}

/// The page size: the log's, else 16 KiB on arm64 and 4 KiB on Intel.
pub fn page_size(r: &PanicReport) -> u64 {
    log_page_size(r).unwrap_or(if r.arch == Some(Arch::X86_64) {
        4096
    } else {
        16384
    })
}

fn log_page_size(r: &PanicReport) -> Option<u64> {
    r.ips
        .as_ref()
        .and_then(|i| i.body.memory_status.as_ref())
        .and_then(|m| m.page_size)
        .filter(|p| *p > 0)
}

/// The memory state, when the log has any.
pub fn analyse(r: &PanicReport) -> Option<MemoryState> {
    let ms = r.ips.as_ref().and_then(|i| i.body.memory_status.as_ref());
    let ci = r.compressor_info.as_ref();
    if ms.is_none() && ci.is_none() {
        return None;
    }
    let ps = page_size(r);
    let mut pages = BTreeMap::new();
    let mut st = MemoryState {
        page_size: ps,
        page_size_source: if log_page_size(r).is_some() {
            "log"
        } else {
            "default"
        }
        .into(),
        pages: BTreeMap::new(),
        bytes: BTreeMap::new(),
        free_percent: None,
        memory_pressure: None,
        pages_wanted: None,
        pages_reclaimed: None,
        compressions: None,
        decompressions: None,
        compressor_pages_limit_percent: ci.and_then(|c| c.compressed_pages_percent),
        compressor_segments_limit_percent: ci.and_then(|c| c.segments_percent),
        swapfiles: ci.and_then(|c| c.swapfiles),
        swap_space: ci.and_then(|c| c.swap_space_status.clone()),
        impossible: Vec::new(),
        flags: Vec::new(),
    };
    if let Some(m) = ms {
        if let Some(p) = &m.memory_pages {
            for (k, v) in [
                ("active", p.active),
                ("inactive", p.inactive),
                ("wired", p.wired),
                ("free", p.free),
                ("speculative", p.speculative),
                ("throttled", p.throttled),
                ("file_backed", p.file_backed),
                ("purgeable", p.purgeable),
            ] {
                if let Some(v) = v {
                    pages.insert(k.to_string(), v);
                }
            }
        }
        if let Some(c) = m.compressor_size {
            pages.insert("compressor".into(), c);
        }
        st.memory_pressure = m.memory_pressure;
        st.compressions = m.compressions;
        st.decompressions = m.decompressions;
        if let Some(d) = &m.memory_pressure_details {
            st.pages_wanted = d.get("pagesWanted").and_then(|v| v.as_u64());
            st.pages_reclaimed = d.get("pagesReclaimed").and_then(|v| v.as_u64());
        }
    }
    let total = [
        "active",
        "inactive",
        "wired",
        "free",
        "speculative",
        "throttled",
        "compressor",
    ]
    .iter()
    .try_fold(0u64, |sum, k| {
        sum.checked_add(pages.get(*k).copied().unwrap_or(0))
    });
    let total = match total {
        Some(t) => t,
        None => {
            st.impossible.push(
                "the page counts add up to more than 2^64 pages: the log's values are impossible \
                 (no total or free share)"
                    .into(),
            );
            0
        }
    };
    if total > 0 {
        pages.insert("total".into(), total);
        if let Some(free) = pages.get("free") {
            st.free_percent = Some(round2(*free as f64 * 100.0 / total as f64));
        }
    }
    for (k, v) in &pages {
        match v.checked_mul(ps) {
            Some(b) => {
                st.bytes.insert(k.clone(), b);
            }
            None => st.impossible.push(format!(
                "{k}: {v} pages of {ps} bytes is more than 2^64 bytes: the log's value is impossible"
            )),
        }
    }
    if !st.bytes.contains_key("total") {
        // A share of an impossible total is no figure either.
        st.free_percent = None;
    }
    st.pages = pages;
    let get = |k: &str| st.pages.get(k).copied().unwrap_or(0);

    // Flags.
    if st.free_percent.is_some_and(|p| p < LOW_FREE_PERCENT) {
        st.flags.push("low_free_memory".into());
    }
    if st.memory_pressure == Some(true) || st.pages_wanted.is_some_and(|w| w > 0) {
        st.flags.push("memory_pressure".into());
    }
    let c_pages = st.compressor_pages_limit_percent.unwrap_or(0);
    let c_segs = st.compressor_segments_limit_percent.unwrap_or(0);
    let not_ok = ci.is_some_and(|c| {
        [&c.compressed_pages_status, &c.segments_status]
            .iter()
            .any(|s| s.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case("ok")))
    });
    if c_pages >= COMPRESSOR_NEAR_LIMIT_PERCENT || c_segs >= COMPRESSOR_NEAR_LIMIT_PERCENT || not_ok
    {
        st.flags.push("compressor_near_limit".into());
    }
    if st
        .swap_space
        .as_deref()
        .is_some_and(|s| !s.eq_ignore_ascii_case("ok"))
    {
        st.flags.push("swap_space_low".into());
    }
    let pageable = get("active")
        .checked_add(get("inactive"))
        .and_then(|p| p.checked_add(get("speculative")))
        .unwrap_or(0);
    if pageable > 0 && get("file_backed") as f64 * 100.0 / pageable as f64 > FILE_BACKED_PERCENT {
        st.flags.push("file_backed_heavy".into());
    }
    if total > 0 && get("speculative") as f64 * 100.0 / total as f64 > SPECULATIVE_PERCENT {
        st.flags.push("speculative_heavy".into());
    }
    Some(st)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn pages_line(st: &MemoryState, keys: &[&str]) -> String {
    keys.iter()
        .filter_map(|k| {
            st.pages.get(*k).map(|p| match st.bytes.get(*k) {
                Some(b) => format!("{k} {p} pages = {}", human_bytes(*b)),
                None => format!("{k} {p} pages (impossible in bytes)"),
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Findings about memory.
pub fn findings(st: &MemoryState, class: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let stall = class.contains("watchdog") || class == "zone_map_exhausted";
    let has = |f: &str| st.flags.iter().any(|x| x == f);
    if has("low_free_memory") {
        let mut f = Finding::new(
            "low_free_memory",
            FindingKind::Memory,
            Confidence::High,
            if stall { 800 } else { 420 },
            format!(
                "Free memory was nearly exhausted: {} free of {} ({:.2}%)",
                human_bytes(st.bytes.get("free").copied().unwrap_or(0)),
                st.bytes
                    .get("total")
                    .map_or_else(|| "?".to_string(), |b| human_bytes(*b)),
                st.free_percent.unwrap_or(0.0)
            ),
            "With almost no free pages, allocations wait for the pageout daemon and the compressor \
             (vm_page_wait): threads stall, and kernel code that cannot wait fails. It may be the \
             background of this panic (a stall, an allocation failure) or a side effect of what the \
             panicked process was doing (a memory-hungry test or a leak).",
        )
        .evidence(Evidence::fact(pages_line(st, &["free", "active", "inactive", "wired", "speculative", "compressor"])));
        if let Some(w) = st.pages_wanted.filter(|w| *w > 0) {
            f.evidence.push(Evidence::fact(format!(
                "memoryPressureDetails: pagesWanted {w}, pagesReclaimed {}",
                st.pages_reclaimed.unwrap_or(0)
            )));
        }
        f.next_steps.push(
            "Find what used the memory: the processes with the largest resident size (threads section / full panic), leaks, or a test allocating in a loop.".into(),
        );
        out.push(f);
    } else if has("memory_pressure") {
        out.push(
            Finding::new(
                "memory_pressure",
                FindingKind::Memory,
                Confidence::Medium,
                if stall { 600 } else { 300 },
                "The system was under memory pressure",
                "The VM was trying to reclaim pages when the panic happened.",
            )
            .evidence(Evidence::fact(format!(
                "memoryPressure {:?}, pagesWanted {}, pagesReclaimed {}",
                st.memory_pressure,
                st.pages_wanted.unwrap_or(0),
                st.pages_reclaimed.unwrap_or(0)
            ))),
        );
    }
    if has("compressor_near_limit") {
        out.push(
            Finding::new(
                "compressor_near_limit",
                FindingKind::Memory,
                Confidence::High,
                if stall { 780 } else { 450 },
                format!(
                    "The VM compressor was near its limit ({}% of pages, {}% of segments)",
                    st.compressor_pages_limit_percent.unwrap_or(0),
                    st.compressor_segments_limit_percent.unwrap_or(0)
                ),
                "When the compressor is full the system cannot reclaim memory and threads block in the VM; \
                 jetsam/swap can no longer keep up.",
            )
            .step("Find the process that grew (leak) and check free disk space for swap.".to_string()),
        );
    }
    if has("swap_space_low") {
        out.push(Finding::new(
            "swap_space_low",
            FindingKind::Memory,
            Confidence::High,
            if stall { 770 } else { 440 },
            format!(
                "Swap space was not OK ({})",
                st.swap_space.as_deref().unwrap_or("?")
            ),
            "The disk had no room for more swap files: memory could not be paged out. Low disk space \
             stalls the whole system.",
        )
        .step("Free disk space on the boot volume."));
    }
    if has("file_backed_heavy") {
        out.push(Finding::new(
            "file_backed_heavy",
            FindingKind::Memory,
            Confidence::Low,
            150,
            "Most pageable memory was file-backed (file cache)",
            "The active/inactive queues were dominated by file-backed pages: heavy file I/O (mapped files, \
             large reads) was filling memory.",
        )
        .evidence(Evidence::fact(pages_line(st, &["file_backed", "active", "inactive", "speculative"]))));
    }
    if has("speculative_heavy") {
        out.push(Finding::new(
            "speculative_heavy",
            FindingKind::Memory,
            Confidence::Low,
            140,
            "A large share of memory was speculative read-ahead",
            "Speculative (read-ahead) pages out of proportion point to heavy sequential file reads.",
        )
        .evidence(Evidence::fact(pages_line(st, &["speculative", "free"]))));
    }
    out
}
