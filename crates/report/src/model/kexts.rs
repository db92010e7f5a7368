//! Kernel extensions: those in the backtrace, the last started/loaded/unloaded, the loaded list.

use crate::{RuntimeAddr, Uuid};
use kpanic_common::Hex;
use schemars::JsonSchema;
use serde::Serialize;

/// `com.apple.driver.X(1.0d1)[UUID]@0xstart->0xend` with its `dependency:` lines.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KextInBacktrace {
    #[serde(flatten)]
    pub kext: KextRef,
    pub dependencies: Vec<KextRef>,
}

/// One kext reference of the "Kernel Extensions in backtrace" block.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KextRef {
    pub bundle_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Uuid>,
    /// Runtime start: arm64, the kext's `__TEXT_EXEC`; Intel, its `__TEXT` load address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<RuntimeAddr>,
    /// Inclusive end (`->0x…fff`); absent for ≤10.15 Intel dependencies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<RuntimeAddr>,
    pub third_party: bool,
    pub line: usize,
}

impl KextRef {
    /// True when `addr` lies in `[start, end]`.
    pub fn contains(&self, addr: RuntimeAddr) -> bool {
        matches!((self.start, self.end), (Some(s), Some(e)) if s <= addr && addr <= e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KextEventKind {
    Started,
    Loaded,
    Unloaded,
}

/// `last started kext at 1049340046: com.apple.filesystems.autofs\t3.0 (addr 0x…, size 16384)`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KextEvent {
    pub kind: KextEventKind,
    /// mach_absolute_time of the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<u64>,
    pub bundle_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<RuntimeAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Hex>,
    pub line: usize,
}

/// The `loaded kexts:` list (most recently loaded first).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct LoadedKexts {
    /// macOS 26: `loaded kexts: (skipped, see boot kernelcache)`.
    pub skipped: bool,
    pub kexts: Vec<LoadedKext>,
}

impl LoadedKexts {
    pub fn third_party(&self) -> impl Iterator<Item = &LoadedKext> {
        self.kexts.iter().filter(|k| k.third_party)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LoadedKext {
    /// Full bundle id (10.15 abbreviations expanded).
    pub bundle_id: String,
    pub version: String,
    /// The id as printed when it was abbreviated (`>!AHIDKeyboard`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abbreviated: Option<String>,
    /// Not `com.apple.*`.
    pub third_party: bool,
    pub line: usize,
}
