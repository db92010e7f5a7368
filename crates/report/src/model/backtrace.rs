//! The panicked task/thread and its backtrace.

use crate::RuntimeAddr;
use kpanic_common::Hex;
use schemars::JsonSchema;
use serde::Serialize;

/// `Panicked task 0x…: 35305 pages, 458 threads: pid 0: kernel_task`
/// (Intel 11+: `Panicked task 0x…: 3 threads: pid 88: systemstats`).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct PanickedTask {
    /// Task pointer, raw (macOS 26 pointers carry PAC/tag bits in the top byte).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Hex>,
    /// Resident size of the task in pages (`35305 pages`); absent on Intel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<u64>,
    /// Number of threads of the task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<u64>,
    /// Process id (`pid 0` is `kernel_task`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
    /// Process name (`kernel_task`, `WindowServer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Index (from 0) of the `Panicked task` line in `panic_text`; JSON gives its line
    /// number (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
    pub line: usize,
}

/// `Panicked thread: 0x…, backtrace: 0x…, tid: 102`, or the Intel process-name lines.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct PanickedThread {
    /// Thread pointer, raw (may carry PAC/tag bits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Hex>,
    /// `backtrace: 0x…`: kernel address where the backtrace was taken from, raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backtrace_address: Option<Hex>,
    /// `tid: N`: thread id, the same id a full panic's stackshot uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tid: Option<u64>,
    /// Intel: `BSD process name corresponding to current thread: X` /
    /// `Process name corresponding to current thread (0x…): X` (truncated to 16 chars by xnu).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_name: Option<String>,
    /// Index (from 0) of the `Panicked thread` line in `panic_text`, when there is one; JSON
    /// gives its line number (from 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "kpanic_common::line::number_opt")]
    #[schemars(range(min = 1))]
    pub line: Option<usize>,
}

/// The backtrace of the panicked thread, innermost frame first.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Backtrace {
    /// Intel `Backtrace (CPU n)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// Intel 11+: `Backtrace (CPU 8), panicked thread: 0x…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<Hex>,
    /// Intel: `Backtracing specified thread` preceded the backtrace (not the panicking CPU's).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub specified_thread: bool,
    /// The frames, innermost first, in log order.
    pub frames: Vec<Frame>,
}

/// One frame. arm64 prints `lr: 0x…  fp: 0x…`; Intel prints `0xframe : 0xreturn [symbol]`.
/// Either way `address` is a return address (symbolicate `address - 1` for file:line).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Frame {
    /// arm64 `lr`, Intel return address. Raw, PAC bits included when present.
    pub address: RuntimeAddr,
    /// arm64 `fp`, Intel frame pointer.
    pub frame_pointer: Hex,
    /// keepsyms=1 symbolication printed by the kernel itself (Intel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<KeepsymsSymbol>,
    /// Index (from 0) in `panic_text`; JSON gives its line
    /// number (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
    pub line: usize,
}

/// `mach_kernel : _panic + 0x63`, `com.apple.iokit.IONVMeFamily : __ZN…cold.1`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KeepsymsSymbol {
    /// Image the kernel named: `mach_kernel` or a kext bundle id.
    pub image: String,
    /// Symbol name as printed (mangled C++ names stay mangled).
    pub symbol: String,
    /// `+ 0x…` offset from the symbol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<Hex>,
}
