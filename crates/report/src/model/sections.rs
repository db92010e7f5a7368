//! Small sections of the panic text: zones, compressor, cpu usage, stackshot status, tables.

use kpanic_common::Hex;
use schemars::JsonSchema;
use serde::Serialize;

/// `Zone info:` ranges in log order (`Zone map`, `VM`, `RO`, `GEN0`…, `PGZ`, `Metadata`,
/// `Bitmaps`, `Extra`, or the macOS 12 `Foreign`/`Native`/`Readonly`).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ZoneInfo {
    pub ranges: Vec<ZoneRange>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ZoneRange {
    pub name: String,
    pub start: Hex,
    pub end: Hex,
}

/// `Compressor Info: 7% of compressed pages limit (OK) and 7% of segments limit (OK) with 0
/// swapfiles and OK swap space`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CompressorInfo {
    pub raw: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressed_pages_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressed_pages_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swapfiles: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swap_space_status: Option<String>,
}

/// Watchdog panics: `Total cpu_usage: N` and the `Thread task pri cpu_usage` rows.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct CpuUsage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    pub rows: Vec<CpuUsageRow>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CpuUsageRow {
    /// Thread pointer, raw (PAC/tag bits kept).
    pub thread: Hex,
    pub task: String,
    pub priority: i64,
    pub cpu_usage: u64,
}

/// `** Stackshot Succeeded ** Bytes Traced N (Uncompressed M) **`,
/// `!! debugger synchronization failed, no stackshot !!`, ….
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StackshotStatus {
    /// `succeeded`, `incomplete`, `failed`, `not_taken` or `unknown`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_traced: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_uncompressed: Option<u64>,
    pub raw: String,
}

/// A titled table of named rows of hex numbers (`Epoch Time:`, Intel `Last Sleep:`).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct TimeTable {
    /// Column titles from the header line (`sec`, `usec`; `absolute`, `base_tsc`, `base_nano`).
    pub columns: Vec<String>,
    pub rows: Vec<TimeRow>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TimeRow {
    /// `Boot`, `Sleep`, `Wake`, `Calendar`, `Uptime`.
    pub name: String,
    pub values: Vec<Hex>,
}

/// `service: WindowServer (2 induced crashes), total successful checkins in 38490 seconds: 3826,
/// last successful checkin: 120 seconds ago`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WatchdogService {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub induced_crashes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successful_checkins: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_checkin_seconds_ago: Option<u64>,
    pub raw: String,
}

/// A line nobody understood, with its index in `panic_text`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UnparsedLine {
    pub line: usize,
    pub text: String,
}
