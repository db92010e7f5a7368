//! Small sections of the panic text: zones, compressor, cpu usage, stackshot status, tables.

use kpanic_common::Hex;
use schemars::JsonSchema;
use serde::Serialize;

/// `Zone info:` ranges in log order (`Zone map`, `VM`, `RO`, `GEN0`…, `PGZ`, `Metadata`,
/// `Bitmaps`, `Extra`, or the macOS 12 `Foreign`/`Native`/`Readonly`).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ZoneInfo {
    /// The ranges, in log order.
    pub ranges: Vec<ZoneRange>,
}

/// One named `start - end` range of the `Zone info:` block.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ZoneRange {
    /// Range name (`Zone map`, `VM`, `GEN0`, `Metadata`, …).
    pub name: String,
    /// First address of the range (runtime, raw).
    pub start: Hex,
    /// End address of the range, as printed.
    pub end: Hex,
}

/// `Compressor Info: 7% of compressed pages limit (OK) and 7% of segments limit (OK) with 0
/// swapfiles and OK swap space`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CompressorInfo {
    /// The line as printed.
    pub raw: String,
    /// Percent of the compressed-pages limit in use (`7% of compressed pages limit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressed_pages_percent: Option<u32>,
    /// Status after that percentage (`OK`, `BAD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressed_pages_status: Option<String>,
    /// Percent of the compressor segments limit in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments_percent: Option<u32>,
    /// Status after that percentage (`OK`, `BAD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments_status: Option<String>,
    /// Number of swap files (`with 0 swapfiles`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swapfiles: Option<u32>,
    /// Swap space status (`OK`, `BAD`, as printed before `swap space`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swap_space_status: Option<String>,
}

/// Watchdog panics: `Total cpu_usage: N` and the `Thread task pri cpu_usage` rows.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct CpuUsage {
    /// `Total cpu_usage: N`: the sum printed by the kernel, in the table's units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// The thread rows, in log order.
    pub rows: Vec<CpuUsageRow>,
}

/// One row of the cpu_usage table: thread, task, priority, usage.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CpuUsageRow {
    /// Thread pointer, raw (PAC/tag bits kept).
    pub thread: Hex,
    /// Name of the task the thread belongs to.
    pub task: String,
    /// Scheduling priority.
    pub priority: i64,
    /// CPU usage of the thread, in the table's units (as printed).
    pub cpu_usage: u64,
}

/// `** Stackshot Succeeded ** Bytes Traced N (Uncompressed M) **`,
/// `!! debugger synchronization failed, no stackshot !!`, ….
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StackshotStatus {
    /// `succeeded`, `incomplete`, `failed`, `not_taken` or `unknown`.
    pub status: String,
    /// `Bytes Traced N`: stackshot size in bytes (compressed when `bytes_uncompressed` is present).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_traced: Option<u64>,
    /// `(Uncompressed M)`: stackshot size in bytes before compression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_uncompressed: Option<u64>,
    /// The status line as printed.
    pub raw: String,
}

/// A titled table of named rows of hex numbers (`Epoch Time:`, Intel `Last Sleep:`).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct TimeTable {
    /// Column titles from the header line (`sec`, `usec`; `absolute`, `base_tsc`, `base_nano`).
    pub columns: Vec<String>,
    /// The rows, in log order.
    pub rows: Vec<TimeRow>,
}

impl TimeTable {
    /// The `sec` column of the row `name` (any case): UNIX seconds in the `Epoch Time` table.
    /// `None` when the table has no such row or column, or the value is 0 (not set) or past the
    /// year 9999 (damage).
    pub fn seconds(&self, name: &str) -> Option<u64> {
        let col = self.columns.iter().position(|c| c == "sec")?;
        let row = self
            .rows
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))?;
        let v = row.values.get(col)?.get();
        (v > 0 && v < 253_402_300_800).then_some(v)
    }
}

/// One row of a [`TimeTable`]: a name and its hex values, one per column.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TimeRow {
    /// `Boot`, `Sleep`, `Wake`, `Calendar`, `Uptime`.
    pub name: String,
    /// Values, one per column (`sec`, `usec` …), as printed in hex.
    pub values: Vec<Hex>,
}

/// `service: WindowServer (2 induced crashes), total successful checkins in 38490 seconds: 3826,
/// last successful checkin: 120 seconds ago`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WatchdogService {
    /// Service (process) name (`WindowServer`).
    pub name: String,
    /// `(N induced crashes)`: how many times the watchdog already made the service crash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub induced_crashes: Option<u32>,
    /// The window in seconds over which check-ins were counted (`in 38490 seconds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<u64>,
    /// Successful check-ins in that window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successful_checkins: Option<u64>,
    /// Seconds since the last successful check-in: the service that stopped answering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_checkin_seconds_ago: Option<u64>,
    /// The line as printed.
    pub raw: String,
}

/// A line nobody understood, with its index in `panic_text`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UnparsedLine {
    /// Index (from 0) in `panic_text`; JSON gives its line
    /// number (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
    pub line: usize,
    /// The line as printed.
    pub text: String,
}
