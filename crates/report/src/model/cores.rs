//! Per-CPU lines of arm64 panics.

use crate::RuntimeAddr;
use kpanic_common::Hex;
use schemars::JsonSchema;
use serde::Serialize;

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
    pub fn is_empty(&self) -> bool {
        self.panicked_core.is_none()
            && self.states.is_empty()
            && self.retired_instr.is_empty()
            && self.pvh_locks.is_empty()
            && self.tpidr.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CoreState {
    pub core: u32,
    pub pc: RuntimeAddr,
    pub lr: RuntimeAddr,
    pub fp: Hex,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RetiredInstr {
    pub core: u32,
    /// macOS 26 cluster tag: `EACC0`, `PACC1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub address: RuntimeAddr,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PvhLocks {
    pub core: u32,
    pub held: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TpidrEntry {
    /// `1` (EL1), `0` (EL0), `0ro` (EL0 read-only).
    pub el: String,
    pub value: Hex,
}
