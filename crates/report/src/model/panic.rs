//! The `panic(cpu N caller 0x…): message` line and what the kernel put right after it.

use crate::RuntimeAddr;
use kpanic_common::Hex;
use schemars::JsonSchema;
use serde::Serialize;

/// The first line of the panic string, taken apart.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PanicHeadline {
    /// The `cpu N` of `panic(cpu N caller …)`: the CPU that called panic().
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// Slid address of the code that called panic() (a kernel or kext address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<RuntimeAddr>,
    /// The message as printed (quotes and `@file:line` included; Intel continuation lines joined
    /// with `\n`).
    pub message: String,
    /// The message without its surrounding quotes and source location.
    pub reason: String,
    /// The `@file:line` suffix (`@vm_map.c:7922`, `"…"@/BuildRoot/…/sched_prim.c:2231`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    /// arm64 `Kernel data abort` / `tag check fault`: `at pc …, lr … (saved state: …)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<ArmException>,
    /// Intel `Kernel trap at 0x…, type 14=page fault, registers:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trap: Option<IntelTrap>,
    /// Index (from 0) of the `panic(` line in `panic_text`; JSON gives its line
    /// number (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
    pub line: usize,
}

/// A source location from a panic message's `@file:line` suffix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SourceLocation {
    /// File as printed: a bare name (`vm_map.c`) or a build path (`/BuildRoot/…/sched_prim.c`).
    pub file: String,
    /// Line number, when the suffix has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// arm64 kernel exception details printed after the panic message (`Kernel data abort`, MTE).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ArmException {
    /// Slid PC of the faulting instruction (`at pc 0x…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pc: Option<RuntimeAddr>,
    /// May carry PAC bits (e.g. `0x2392fe0014048f9c`): kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr: Option<RuntimeAddr>,
    /// Kernel address of the saved register state (`saved state: 0x…`), as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_state: Option<Hex>,
    /// MTE tag check faults: `expected tagged address: 0x…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_tagged_address: Option<Hex>,
}

/// Intel `Kernel trap at 0x…, type N=name, registers:` line.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IntelTrap {
    /// Where the trap happened (slid).
    pub address: RuntimeAddr,
    /// 14 = page fault, 13 = general protection, 8 = double fault…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trap_type: Option<u32>,
    /// The name after the type number (`page fault`, `general protection`), as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trap_name: Option<String>,
}

/// `Fault CR2: 0x…, Error code: 0x…, Fault CPU: 0x1 VMM, PL: 0, VF: 0`.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct IntelFault {
    /// `Fault CR2`: the faulting address of a page fault (CR2 register).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cr2: Option<Hex>,
    /// `Error code`: the x86 page-fault error code (present/write/user/… bits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<Hex>,
    /// `Fault CPU`: the CPU that took the fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault_cpu: Option<u32>,
    /// "VMM" after the CPU: the Mac ran under a hypervisor.
    pub vmm: bool,
    /// `PL`: privilege level of the faulting code (0 = kernel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privilege_level: Option<u32>,
    /// `VF`: the `VF` field of the line, as a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vf: Option<u32>,
    /// Index (from 0) of the `Fault CR2:` line in `panic_text`; JSON gives its line
    /// number (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
    pub line: usize,
}

/// One register of a dump, named as printed (`x0`, `fp`, `cpsr`, `RAX`, `CR2`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Register {
    /// Register name as printed (`x0`, `lr`, `RIP`, `CR2`).
    pub name: String,
    /// Register value.
    pub value: Hex,
}
