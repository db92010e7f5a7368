//! `.ips` / `.panic` JSON: the header line and the body's metadata keys.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize)]
pub struct IpsInfo {
    pub header: IpsHeader,
    pub body: IpsBody,
    /// Body key the panic text came from: `panicString`, `macOSPanicString` or `string`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_string_key: Option<String>,
    /// False when the body was not valid JSON and values were extracted leniently.
    pub body_complete: bool,
}

/// Line 1 of the file. Values are strings except `roots_installed`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IpsHeader {
    /// 210 = kernel panic, 151 = forceReset(-full); 309 (app crash) and others are not panics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roots_installed: Option<i64>,
    /// bridgeOS: `bridgeos` / `macos`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macos_system_state: Option<String>,
    /// Keys not listed above, verbatim.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, Value>,
}

/// Body keys other than the panic text and the stackshot.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IpsBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soc_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soc_revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash_reporter_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_flags: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_processing_flags: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_initiator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_string: Option<String>,
    /// The `macOSPanicString` when the panic text came from another key (bridgeOS: "not yet set").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macos_panic_string: Option<String>,
    /// The `panicString` when the panic text came from `macOSPanicString` (a T2 Mac's file can
    /// hold both: the bridgeOS side's string and the macOS kernel's own panic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_string: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_status: Option<MemoryStatus>,
    /// Keys not listed above (and not `processByPid`/`binaryImages`), verbatim.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressor_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressions: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decompressions: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy_buffer_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_pressure: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_pressure_details: Option<BTreeMap<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_pages: Option<MemoryPages>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryPages {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inactive: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wired: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speculative: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttled: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_backed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purgeable: Option<u64>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}
