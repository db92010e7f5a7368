//! Memory state: `memoryStatus` (JSON panics) and the `Compressor Info` line (text), pages
//! converted to bytes with the log's page size (16 KiB on arm64, 4 KiB on Intel when the log
//! does not say); in full panics, the processes that held the memory.
//!
//! How few free pages is too few depends on the platform: iOS and the other embedded systems
//! run with the free list near 2000 pages by design (jetsam, not the free count, keeps memory
//! in check), a Mac near 4000 ([`Platform`]). Free memory is "exhausted" below the VM's
//! reserve, where only VM-privileged threads still get pages.

mod platform;
mod processes;

use std::collections::BTreeMap;

use kpanic_report::{Arch, PanicReport};
use serde::Serialize;

use super::{human_bytes, Confidence, Evidence, Finding, PanicClass};

pub use platform::{FreeLevels, Platform};
pub use processes::{ProcessMemory, TOP_PROCESSES};
/// File-backed pages above this share of the pageable pages (active + inactive + speculative).
pub const FILE_BACKED_PERCENT: f64 = 80.0;
/// Speculative pages above this share of all pages.
pub const SPECULATIVE_PERCENT: f64 = 20.0;
/// Compressor usage (of its page or segment limit) from which it is "near its limit".
pub const COMPRESSOR_NEAR_LIMIT_PERCENT: u32 = 80;

string_enum! {
    /// A page count of the memory state (declared in the order of their names, which is the
    /// order of the JSON maps).
    pub enum PageKind {
        /// Active pages.
        Active = "active",
        /// Pages held by the VM compressor (`compressorSize`).
        Compressor = "compressor",
        /// File-backed pages (overlap the other kinds).
        FileBacked = "file_backed",
        /// Free pages.
        Free = "free",
        /// Inactive pages.
        Inactive = "inactive",
        /// Purgeable pages (overlap the other kinds).
        Purgeable = "purgeable",
        /// Speculative (read-ahead) pages.
        Speculative = "speculative",
        /// Throttled pages.
        Throttled = "throttled",
        /// Every kind but file_backed and purgeable (which overlap the others).
        Total = "total",
        /// Wired pages (cannot be paged out or compressed).
        Wired = "wired",
    }
}

/// The page kinds that add up to the total.
const TOTAL_OF: [PageKind; 7] = [
    PageKind::Active,
    PageKind::Inactive,
    PageKind::Wired,
    PageKind::Free,
    PageKind::Speculative,
    PageKind::Throttled,
    PageKind::Compressor,
];

string_enum! {
    /// Where the page size came from.
    pub enum PageSizeSource {
        /// `memoryStatus.pageSize`.
        Log = "log",
        /// 16 KiB on arm64, 4 KiB on Intel.
        Default = "default",
    }
}

string_enum! {
    /// Something worth saying about the memory state; each flag raised is also a finding of
    /// the same name.
    pub enum MemoryFlag {
        /// Free pages below the platform's VM reserve ([`FreeLevels::reserved`]; a Mac's
        /// when the platform is not known).
        LowFreeMemory = "low_free_memory",
        /// memoryPressure true, or (off the embedded platforms) pagesWanted > 0.
        MemoryPressure = "memory_pressure",
        /// The compressor at [`COMPRESSOR_NEAR_LIMIT_PERCENT`] of a limit, or not OK.
        CompressorNearLimit = "compressor_near_limit",
        /// Swap space not OK.
        SwapSpaceLow = "swap_space_low",
        /// File-backed above [`FILE_BACKED_PERCENT`] of the pageable pages.
        FileBackedHeavy = "file_backed_heavy",
        /// Speculative above [`SPECULATIVE_PERCENT`] of all pages.
        SpeculativeHeavy = "speculative_heavy",
    }
}

/// Memory state at the panic, from the `.ips` body's `memoryStatus` and the `Compressor Info` line.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct MemoryState {
    /// Bytes per page: `memoryStatus.pageSize`, else 16384 (arm64) or 4096 (Intel).
    pub page_size: u64,
    /// Whether `page_size` came from the log or is the architecture's default.
    pub page_size_source: PageSizeSource,
    /// Page counts as logged (`active`, `inactive`, `wired`, `free`, `speculative`,
    /// `throttled`, `file_backed`, `purgeable`, `compressor`) and their `total` (every
    /// category but file_backed/purgeable, which overlap the others, plus the compressor).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pages: BTreeMap<PageKind, u64>,
    /// The same in bytes.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub bytes: BTreeMap<PageKind, u64>,
    /// Figures the log makes impossible (page counts adding up past 2^64, pages × page size
    /// past 2^64 bytes): the figure is left out of `pages`/`bytes` and said here instead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub impossible: Vec<String>,
    /// Free pages as a percentage of `total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_percent: Option<f64>,
    /// `memoryStatus.memoryPressure`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_pressure: Option<bool>,
    /// `memoryStatus.memoryPressureDetails.pagesWanted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages_wanted: Option<u64>,
    /// `memoryStatus.memoryPressureDetails.pagesReclaimed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages_reclaimed: Option<u64>,
    /// `memoryStatus.compressions`: pages compressed since boot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressions: Option<u64>,
    /// `memoryStatus.decompressions`: pages decompressed since boot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decompressions: Option<u64>,
    /// `Compressor Info` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressor_pages_limit_percent: Option<u32>,
    /// `Compressor Info` line: percent of the compressor segments limit in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressor_segments_limit_percent: Option<u32>,
    /// `Compressor Info` line: number of swap files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swapfiles: Option<u32>,
    /// `Compressor Info` line: swap space status (`OK` or another word).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swap_space: Option<String>,
    /// Flags raised, in the order of [`MemoryFlag`].
    #[schemars(description = "Flags raised, in the order of the MemoryFlag enum.")]
    pub flags: Vec<MemoryFlag>,
    /// The platform, from the `.ips` product or OS name (Intel: macOS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The free-page level below which `low_free_memory` is raised: the platform's VM reserve
    /// (128 pages on embedded systems, at most 1828 on a Mac, which is also used when the
    /// platform is not known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_reserve_pages: Option<u64>,
    /// The VM's free target as the log gives it: free + pagesWanted, when pagesWanted > 0
    /// (pagesWanted is the target minus the free count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_target_pages: Option<u64>,
    /// Full panics: the processes with the largest resident size, most first (up to 5).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top_resident: Vec<ProcessMemory>,
    /// Full panics: the processes with the most page-ins since they started (up to 5).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top_page_ins: Vec<ProcessMemory>,
    /// Full panics: the processes with the most page faults since they started (up to 5).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top_faults: Vec<ProcessMemory>,
}

impl MemoryState {
    /// True when `flag` was raised.
    pub fn has(&self, flag: MemoryFlag) -> bool {
        self.flags.contains(&flag)
    }

    /// Pages of `kind` (0 when the log does not say).
    pub fn pages_of(&self, kind: PageKind) -> u64 {
        self.pages.get(&kind).copied().unwrap_or(0)
    }

    /// Who held the memory, for evidence: the largest resident processes, and the most
    /// page-ins and faults when the stackshot has them.
    pub fn users_evidence(&self) -> Vec<Evidence> {
        let mut out = Vec::new();
        if !self.top_resident.is_empty() {
            out.push(Evidence::fact(format!(
                "largest resident processes: {}",
                processes::resident_line(&self.top_resident)
            )));
        }
        if !self.top_page_ins.is_empty() {
            out.push(Evidence::fact(format!(
                "most page-ins since they started: {}",
                processes::count_line(&self.top_page_ins, |p| p.page_ins)
            )));
        }
        if !self.top_faults.is_empty() {
            out.push(Evidence::fact(format!(
                "most page faults since they started: {}",
                processes::count_line(&self.top_faults, |p| p.page_faults)
            )));
        }
        out
    }
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
            PageSizeSource::Log
        } else {
            PageSizeSource::Default
        },
        pages: BTreeMap::new(),
        bytes: BTreeMap::new(),
        impossible: Vec::new(),
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
        flags: Vec::new(),
        platform: Platform::of(r),
        free_reserve_pages: None,
        free_target_pages: None,
        top_resident: Vec::new(),
        top_page_ins: Vec::new(),
        top_faults: Vec::new(),
    };
    if let Some(sd) = &r.spindump {
        st.top_resident = processes::top_by(sd, |p| p.resident_memory_bytes);
        st.top_page_ins = processes::top_by(sd, |p| p.page_ins);
        st.top_faults = processes::top_by(sd, |p| p.page_faults);
    }
    if let Some(m) = ms {
        if let Some(p) = &m.memory_pages {
            for (k, v) in [
                (PageKind::Active, p.active),
                (PageKind::Inactive, p.inactive),
                (PageKind::Wired, p.wired),
                (PageKind::Free, p.free),
                (PageKind::Speculative, p.speculative),
                (PageKind::Throttled, p.throttled),
                (PageKind::FileBacked, p.file_backed),
                (PageKind::Purgeable, p.purgeable),
            ] {
                if let Some(v) = v {
                    pages.insert(k, v);
                }
            }
        }
        if let Some(c) = m.compressor_size {
            pages.insert(PageKind::Compressor, c);
        }
        st.memory_pressure = m.memory_pressure;
        st.compressions = m.compressions;
        st.decompressions = m.decompressions;
        if let Some(d) = &m.memory_pressure_details {
            st.pages_wanted = d.get("pagesWanted").and_then(|v| v.as_u64());
            st.pages_reclaimed = d.get("pagesReclaimed").and_then(|v| v.as_u64());
        }
    }
    let total = TOTAL_OF.iter().try_fold(0u64, |sum, k| {
        sum.checked_add(pages.get(k).copied().unwrap_or(0))
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
        pages.insert(PageKind::Total, total);
        if let Some(free) = pages.get(&PageKind::Free) {
            st.free_percent = Some(round2(*free as f64 * 100.0 / total as f64));
        }
    }
    for (k, v) in &pages {
        match v.checked_mul(ps) {
            Some(b) => {
                st.bytes.insert(*k, b);
            }
            None => st.impossible.push(format!(
                "{k}: {v} pages of {ps} bytes is more than 2^64 bytes: the log's value is impossible"
            )),
        }
    }
    if !st.bytes.contains_key(&PageKind::Total) {
        // A share of an impossible total is no figure either.
        st.free_percent = None;
    }
    st.pages = pages;
    let get = |k: PageKind| st.pages.get(&k).copied().unwrap_or(0);

    // Flags. A free count is judged only against a total that adds up (a share of it exists).
    let levels = st.platform.unwrap_or(Platform::Macos).free_levels();
    let free = st.pages.get(&PageKind::Free).copied();
    if free.is_some() {
        st.free_reserve_pages = Some(levels.reserved);
        st.free_target_pages = st
            .pages_wanted
            .filter(|w| *w > 0)
            .and_then(|w| free?.checked_add(w));
    }
    if st.free_percent.is_some() && free.is_some_and(|f| f < levels.reserved) {
        st.flags.push(MemoryFlag::LowFreeMemory);
    }
    // pagesWanted > 0 only says the free count is under the VM's target, where an embedded
    // system spends its life.
    let wanted_matters = st.platform != Some(Platform::Embedded);
    if st.memory_pressure == Some(true)
        || (wanted_matters && st.pages_wanted.is_some_and(|w| w > 0))
    {
        st.flags.push(MemoryFlag::MemoryPressure);
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
        st.flags.push(MemoryFlag::CompressorNearLimit);
    }
    if st
        .swap_space
        .as_deref()
        .is_some_and(|s| !s.eq_ignore_ascii_case("ok"))
    {
        st.flags.push(MemoryFlag::SwapSpaceLow);
    }
    let pageable = get(PageKind::Active)
        .checked_add(get(PageKind::Inactive))
        .and_then(|p| p.checked_add(get(PageKind::Speculative)))
        .unwrap_or(0);
    if pageable > 0
        && get(PageKind::FileBacked) as f64 * 100.0 / pageable as f64 > FILE_BACKED_PERCENT
    {
        st.flags.push(MemoryFlag::FileBackedHeavy);
    }
    if total > 0 && get(PageKind::Speculative) as f64 * 100.0 / total as f64 > SPECULATIVE_PERCENT {
        st.flags.push(MemoryFlag::SpeculativeHeavy);
    }
    Some(st)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn pages_line(st: &MemoryState, keys: &[PageKind]) -> String {
    keys.iter()
        .filter_map(|k| {
            st.pages.get(k).map(|p| match st.bytes.get(k) {
                Some(b) => format!("{k} {p} pages = {}", human_bytes(*b)),
                None => format!("{k} {p} pages (impossible in bytes)"),
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A memory rule: the finding of one flag, when it is raised. `stall` when memory matters
/// more than usual for the panic class (see [`matters_for`]).
type Rule = fn(&MemoryState, bool) -> Option<Finding>;

/// The memory rules, in the order their findings are emitted.
static RULES: &[Rule] = &[
    low_free_memory,
    memory_pressure,
    compressor_near_limit,
    swap_space_low,
    file_backed_heavy,
    speculative_heavy,
];

/// Memory matters more in watchdog panics (stalls) and when the zone map ran out.
fn matters_for(class: PanicClass) -> bool {
    class.is_watchdog() || class == PanicClass::ZoneMapExhausted
}

/// Findings about memory.
pub fn findings(st: &MemoryState, class: PanicClass) -> Vec<Finding> {
    let stall = matters_for(class);
    RULES.iter().filter_map(|rule| rule(st, stall)).collect()
}

fn low_free_memory(st: &MemoryState, stall: bool) -> Option<Finding> {
    if !st.has(MemoryFlag::LowFreeMemory) {
        return None;
    }
    let mut f = Finding::new(
        MemoryFlag::LowFreeMemory,
        Confidence::High,
        if stall { 800 } else { 420 },
        format!(
            "Free memory was exhausted: {} pages ({}) free of {}, under the VM's {}-page reserve",
            st.pages_of(PageKind::Free),
            human_bytes(st.bytes.get(&PageKind::Free).copied().unwrap_or(0)),
            st.bytes
                .get(&PageKind::Total)
                .map_or_else(|| "?".to_string(), |b| human_bytes(*b)),
            st.free_reserve_pages.unwrap_or(0)
        ),
        "Below the reserve the VM hands pages only to its own privileged threads: every other \
         thread that needs a page blocks in vm_page_wait until the pageout daemon and the \
         compressor free some, and kernel code that cannot wait fails. It may be the background \
         of this panic (a stall, an allocation failure) or a side effect of what the panicked \
         process was doing (a memory-hungry test or a leak).",
    )
    .evidence(Evidence::fact(pages_line(
        st,
        &[
            PageKind::Free,
            PageKind::Active,
            PageKind::Inactive,
            PageKind::Wired,
            PageKind::Speculative,
            PageKind::Compressor,
        ],
    )));
    if let Some(w) = st.pages_wanted.filter(|w| *w > 0) {
        f.evidence.push(Evidence::fact(format!(
            "memoryPressureDetails: pagesWanted {w}, pagesReclaimed {}{}",
            st.pages_reclaimed.unwrap_or(0),
            st.free_target_pages
                .map(|t| format!(" (the VM's free target: {t} pages)"))
                .unwrap_or_default()
        )));
    }
    f.evidence.extend(st.users_evidence());
    f.next_steps.push(
        "Find what used the memory: the processes with the largest resident size (threads section / full panic), leaks, or a test allocating in a loop.".into(),
    );
    Some(f)
}

/// Pressure is worth its own finding only when free memory is not already flagged.
fn memory_pressure(st: &MemoryState, stall: bool) -> Option<Finding> {
    if !st.has(MemoryFlag::MemoryPressure) || st.has(MemoryFlag::LowFreeMemory) {
        return None;
    }
    Some(with_users(
        Finding::new(
            MemoryFlag::MemoryPressure,
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
        st,
    ))
}

fn compressor_near_limit(st: &MemoryState, stall: bool) -> Option<Finding> {
    st.has(MemoryFlag::CompressorNearLimit).then(|| {
        let f = Finding::new(
            MemoryFlag::CompressorNearLimit,
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
        .step("Find the process that grew (leak) and check free disk space for swap.".to_string());
        // The low-free-memory finding already says who held the memory.
        if st.has(MemoryFlag::LowFreeMemory) {
            f
        } else {
            with_users(f, st)
        }
    })
}

fn swap_space_low(st: &MemoryState, stall: bool) -> Option<Finding> {
    st.has(MemoryFlag::SwapSpaceLow).then(|| {
        Finding::new(
            MemoryFlag::SwapSpaceLow,
            Confidence::High,
            if stall { 770 } else { 440 },
            format!(
                "Swap space was not OK ({})",
                st.swap_space.as_deref().unwrap_or("?")
            ),
            "The disk had no room for more swap files: memory could not be paged out. Low disk space \
             stalls the whole system.",
        )
        .step("Free disk space on the boot volume.")
    })
}

/// `f` with the processes that held the memory as evidence.
fn with_users(mut f: Finding, st: &MemoryState) -> Finding {
    f.evidence.extend(st.users_evidence());
    f
}

fn file_backed_heavy(st: &MemoryState, _stall: bool) -> Option<Finding> {
    st.has(MemoryFlag::FileBackedHeavy).then(|| {
        Finding::new(
            MemoryFlag::FileBackedHeavy,
            Confidence::Low,
            150,
            "Most pageable memory was file-backed (file cache)",
            "The active/inactive queues were dominated by file-backed pages: heavy file I/O (mapped files, \
             large reads) was filling memory.",
        )
        .evidence(Evidence::fact(pages_line(
            st,
            &[
                PageKind::FileBacked,
                PageKind::Active,
                PageKind::Inactive,
                PageKind::Speculative,
            ],
        )))
    })
}

fn speculative_heavy(st: &MemoryState, _stall: bool) -> Option<Finding> {
    st.has(MemoryFlag::SpeculativeHeavy).then(|| {
        Finding::new(
            MemoryFlag::SpeculativeHeavy,
            Confidence::Low,
            140,
            "A large share of memory was speculative read-ahead",
            "Speculative (read-ahead) pages out of proportion point to heavy sequential file reads.",
        )
        .evidence(Evidence::fact(pages_line(
            st,
            &[PageKind::Speculative, PageKind::Free],
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_kinds_are_declared_in_name_order() {
        // The JSON maps are ordered by the enum; they must stay alphabetical.
        let mut names: Vec<&str> = PageKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        let declared: Vec<&str> = PageKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, declared);
    }
}
