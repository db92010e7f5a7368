//! Kernel extensions: those in the backtrace, the last started/loaded/unloaded, the loaded list.

use crate::{RuntimeAddr, Uuid};
use kpanic_common::Hex;
use schemars::JsonSchema;
use serde::Serialize;

/// `com.apple.driver.X(1.0d1)[UUID]@0xstart->0xend` with its `dependency:` lines.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KextInBacktrace {
    /// The kext of the line (its fields are flattened into this object in JSON).
    #[serde(flatten)]
    pub kext: KextRef,
    /// Its `dependency:` lines, in log order.
    pub dependencies: Vec<KextRef>,
}

/// One kext reference of the "Kernel Extensions in backtrace" block.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KextRef {
    /// Bundle id (`com.apple.driver.AppleH11ANEInterface`, `mach_kernel` never appears here).
    pub bundle_id: String,
    /// Version in parentheses (`1.0d1`, `8.0.0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// UUID in brackets: the kext's LC_UUID, used to find its dSYM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Uuid>,
    /// Runtime start: arm64, the kext's `__TEXT_EXEC`; Intel, its `__TEXT` load address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<RuntimeAddr>,
    /// Inclusive end (`->0x…fff`); absent for ≤10.15 Intel dependencies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<RuntimeAddr>,
    /// Not an Apple bundle (not `com.apple.*` and not the kernel).
    pub third_party: bool,
    /// Index (from 0) in `panic_text`; JSON gives its line
    /// number (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
    pub line: usize,
}

impl KextRef {
    /// True when `addr` lies in `[start, end]`.
    pub fn contains(&self, addr: RuntimeAddr) -> bool {
        matches!((self.start, self.end), (Some(s), Some(e)) if s <= addr && addr <= e)
    }
}

/// Which `last … kext` line an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KextEventKind {
    /// `last started kext` (arm64).
    Started,
    /// `last loaded kext` (Intel).
    Loaded,
    /// `last unloaded kext` (Intel).
    Unloaded,
}

/// `last started kext at 1049340046: com.apple.filesystems.autofs\t3.0 (addr 0x…, size 16384)`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KextEvent {
    /// Started, loaded or unloaded.
    pub kind: KextEventKind,
    /// mach_absolute_time of the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<u64>,
    /// Bundle id.
    pub bundle_id: String,
    /// Version (after a tab on arm64, in the line as printed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `addr 0x…`: slid load address of the kext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<RuntimeAddr>,
    /// `size N`: the kext's size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Hex>,
    /// Index (from 0) in `panic_text`; JSON gives its line
    /// number (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
    pub line: usize,
}

/// The `loaded kexts:` list (most recently loaded first).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct LoadedKexts {
    /// macOS 26: `loaded kexts: (skipped, see boot kernelcache)`.
    pub skipped: bool,
    /// The kexts, in log order (most recently loaded first).
    pub kexts: Vec<LoadedKext>,
}

impl LoadedKexts {
    /// The kexts of the list that are not Apple's (not `com.apple.*`).
    pub fn third_party(&self) -> impl Iterator<Item = &LoadedKext> {
        self.kexts.iter().filter(|k| k.third_party)
    }
}

/// One entry of the `loaded kexts:` list: `bundle.id\tversion`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LoadedKext {
    /// Full bundle id (10.15 abbreviations expanded).
    pub bundle_id: String,
    /// Version as printed.
    pub version: String,
    /// The id as printed when it was abbreviated (`>!AHIDKeyboard`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abbreviated: Option<String>,
    /// Not `com.apple.*`.
    pub third_party: bool,
    /// Index (from 0) in `panic_text`; JSON gives its line
    /// number (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
    pub line: usize,
}
