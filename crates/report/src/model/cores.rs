//! Per-CPU lines of arm64 panics.

use crate::RuntimeAddr;
use kpanic_common::Hex;
use schemars::JsonSchema;
use serde::Serialize;

/// The per-core lines of an arm64 panic: which core panicked, what the others were doing.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct CoresInfo {
    /// `CORE n is the one that panicked.`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panicked_core: Option<u32>,
    /// `CORE n: PC=…, LR=…, FP=…` of the other cores (user-space PCs happen).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<CoreState>,
    /// `CORE n [cluster] recently retired instr at 0x…`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retired_instr: Vec<RetiredInstr>,
    /// `CORE n PVH locks held: …`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pvh_locks: Vec<PvhLocks>,
    /// `TPIDRx_ELy = {1: 0x…  0: 0x…  0ro: 0x… }`: current thread pointers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tpidr: Vec<TpidrEntry>,
}

impl CoresInfo {
    /// True when the log had none of these lines (the field is then left out of JSON).
    pub fn is_empty(&self) -> bool {
        self.panicked_core.is_none()
            && self.states.is_empty()
            && self.retired_instr.is_empty()
            && self.pvh_locks.is_empty()
            && self.tpidr.is_empty()
    }
}

/// `CORE n: PC=0x…, LR=0x…, FP=0x…`: where another core was when the panic stopped it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CoreState {
    /// Core number.
    pub core: u32,
    /// Program counter (slid; may be a user-space address).
    pub pc: RuntimeAddr,
    /// Link register (slid, raw).
    pub lr: RuntimeAddr,
    /// Frame pointer.
    pub fp: Hex,
    /// Index (from 0) in `panic_text`; JSON gives its line
    /// number (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
    pub line: usize,
}

/// `CORE n recently retired instr at 0x…`: the last instruction the core completed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RetiredInstr {
    /// Core number.
    pub core: u32,
    /// macOS 26 cluster tag: `EACC0`, `PACC1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Slid address of the retired instruction.
    pub address: RuntimeAddr,
    /// Index (from 0) in `panic_text`; JSON gives its line
    /// number (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
    pub line: usize,
}

/// `CORE n PVH locks held: …`: physical-page (PV head) locks the core held.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PvhLocks {
    /// Core number.
    pub core: u32,
    /// The text after `PVH locks held:`, as printed.
    pub held: String,
}

/// One `EL: 0x…` entry of a `TPIDRx_ELy = {…}` line.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TpidrEntry {
    /// `1` (EL1), `0` (EL0), `0ro` (EL0 read-only).
    pub el: String,
    /// The thread-pointer register value (a kernel thread pointer for EL1).
    pub value: Hex,
}
