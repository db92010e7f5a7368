//! The stable identifiers of findings: the panic classes of the catalogue, and the findings of
//! the other analyses. Each has one snake_case string, the `class` of the JSON; code branches on
//! the variants and their predicates, never on the spelling.

use serde::Serialize;

use super::memory::MemoryFlag;
use super::FindingKind;

string_enum! {
    /// The class of a panic: what the panic string and the log say happened (the catalogue
    /// has one entry per class).
    pub enum PanicClass {
        /// `watchdogd` timeout.
        WatchdogdTimeout = "watchdogd_timeout",
        /// Userspace watchdog timeout.
        UserspaceWatchdogTimeout = "userspace_watchdog_timeout",
        /// Hardware watchdog (CPU not responding).
        HardwareWatchdogTimeout = "hardware_watchdog_timeout",
        /// T2 watchdog during sleep/wake.
        T2SleepWakeWatchdog = "t2_sleep_wake_watchdog",
        /// T2 detected a hung macOS.
        T2MacosWatchdog = "t2_macos_watchdog",
        /// Sleep/wake transition timeout.
        SleepWakeTimeout = "sleep_wake_timeout",
        /// A driver's `setPowerState` did not finish in time (IOServicePM).
        PowerStateChangeTimeout = "power_state_change_timeout",
        /// Shutdown or restart did not finish in time.
        ShutdownTimeout = "shutdown_timeout",
        /// Forced reset (buttons held).
        ForcedReset = "forced_reset",
        /// MTE tag check fault.
        MteTagCheckFault = "mte_tag_check_fault",
        /// Pointer authentication failure.
        PacFailure = "pac_failure",
        /// Unaligned kernel data abort.
        UnalignedAbort = "unaligned_abort",
        /// Kernel instruction fetch abort.
        KernelInstructionAbort = "kernel_instruction_abort",
        /// Kernel data abort.
        KernelDataAbort = "kernel_data_abort",
        /// Undefined kernel instruction.
        UndefinedInstruction = "undefined_instruction",
        /// Kernel trap inside a kext (Intel).
        IntelKextTrap = "intel_kext_trap",
        /// Kernel page fault (Intel).
        IntelPageFault = "intel_page_fault",
        /// General protection fault (Intel).
        IntelGeneralProtection = "intel_general_protection",
        /// Double fault (Intel).
        IntelDoubleFault = "intel_double_fault",
        /// Kernel trap (Intel).
        IntelKernelTrap = "intel_kernel_trap",
        /// Zone use-after-free.
        ZoneUseAfterFree = "zone_use_after_free",
        /// Zone element corruption.
        ZoneCorruption = "zone_corruption",
        /// A pointer failed the check that it belongs to its type's zone (`zone_require`).
        ZoneRequire = "zone_require",
        /// Memory freed that the allocator did not hand out (or with the wrong size or heap).
        InvalidKfree = "invalid_kfree",
        /// Zone map exhausted (kernel memory leak).
        ZoneMapExhausted = "zone_map_exhausted",
        /// Blocking while holding a spinlock.
        BlockingWithSpinlock = "blocking_with_spinlock",
        /// Spinlock timeout.
        SpinlockTimeout = "spinlock_timeout",
        /// Interrupts or preemption disabled too long.
        InterruptsDisabledTooLong = "interrupts_disabled_too_long",
        /// A mutex used after it was destroyed.
        DestroyedMutex = "destroyed_mutex",
        /// A wait queue found corrupt.
        WaitqCorruption = "waitq_corruption",
        /// A Mach message, port or IPC right found corrupt.
        IpcCorruption = "ipc_corruption",
        /// A linked list (queue, TAILQ, LIST) with broken links.
        QueueCorruption = "queue_corruption",
        /// A reference count that overflowed, underflowed or was released too often.
        RefcountError = "refcount_error",
        /// Display coprocessor (DCP) panic.
        DcpPanic = "dcp_panic",
        /// Always-on processor (AOP) panic.
        AopPanic = "aop_panic",
        /// Storage controller (ANS) panic.
        AnsPanic = "ans_panic",
        /// SMC / power-controller panic.
        SmcPanic = "smc_panic",
        /// Secure Enclave panic.
        SepPanic = "sep_panic",
        /// Coprocessor firmware panic.
        CoprocessorPanic = "coprocessor_panic",
        /// PCIe link down.
        PcieLinkDown = "pcie_link_down",
        /// Platform hardware error (memory fabric / SoC).
        PlatformHardwareError = "platform_hardware_error",
        /// GPU panic.
        GpuPanic = "gpu_panic",
        /// NVMe controller fatal error.
        NvmeFatal = "nvme_fatal",
        /// Code signing / AMFI panic.
        CodesigningPanic = "codesigning_panic",
        /// VM map failure.
        VmMapFailure = "vm_map_failure",
        /// A kernel memory allocation that may not fail failed (`kmem_alloc`).
        KmemAllocFailure = "kmem_alloc_failure",
        /// A `vm_page` sanity check failed.
        VmPageStatePanic = "vm_page_state_panic",
        /// Out of memory with nothing left to kill (jetsam).
        OutOfMemory = "out_of_memory",
        /// `pmap` / page-table panic.
        PmapPanic = "pmap_panic",
        /// Lock misuse.
        LockMisuse = "lock_misuse",
        /// Kernel stack overflow.
        KernelStackOverflow = "kernel_stack_overflow",
        /// VM compressor / swap exhausted.
        CompressorExhausted = "compressor_exhausted",
        /// Compressed memory that does not match its checksum or bookkeeping.
        CompressorCorruption = "compressor_corruption",
        /// A filesystem or the VFS layer found inconsistent state.
        FilesystemPanic = "filesystem_panic",
        /// The clock went backwards (non-monotonic `mach_absolute_time`).
        NonMonotonicTime = "non_monotonic_time",
        /// launchd (pid 1) or a process the system cannot run without exited.
        InitProcessExited = "init_process_exited",
        /// Kernel assertion.
        KernelAssertion = "kernel_assertion",
        /// Unrecognised panic.
        Unknown = "unknown",
    }
}

/// The family of a panic class: the catalogue module that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassFamily {
    /// Stalls and resets: watchdogs, sleep/wake timeouts, forced resets.
    Watchdog,
    /// arm64 aborts, PAC, MTE, undefined instructions.
    Fault,
    /// Intel kernel traps.
    Intel,
    /// The zone allocator.
    Zone,
    /// Spinlocks, preemption, lock misuse, destroyed mutexes.
    Lock,
    /// Kernel data structures found corrupt: wait queues, IPC, linked lists, reference counts.
    DataStructure,
    /// The virtual-memory system: maps, pages, page tables, kmem, compressor, memory exhaustion.
    Vm,
    /// RTKit coprocessor firmware.
    Coprocessor,
    /// PCIe, SoC errors, GPU, NVMe.
    Hardware,
    /// Everything else (code signing, stack overflows, filesystems, the clock, assertions,
    /// unknown).
    Other,
}

impl PanicClass {
    /// The broad family the class belongs to.
    pub fn family(self) -> ClassFamily {
        use PanicClass::*;
        match self {
            WatchdogdTimeout
            | UserspaceWatchdogTimeout
            | HardwareWatchdogTimeout
            | T2SleepWakeWatchdog
            | T2MacosWatchdog
            | SleepWakeTimeout
            | PowerStateChangeTimeout
            | ShutdownTimeout
            | ForcedReset => ClassFamily::Watchdog,
            MteTagCheckFault
            | PacFailure
            | UnalignedAbort
            | KernelInstructionAbort
            | KernelDataAbort
            | UndefinedInstruction => ClassFamily::Fault,
            IntelKextTrap
            | IntelPageFault
            | IntelGeneralProtection
            | IntelDoubleFault
            | IntelKernelTrap => ClassFamily::Intel,
            ZoneUseAfterFree | ZoneCorruption | ZoneRequire | InvalidKfree | ZoneMapExhausted => {
                ClassFamily::Zone
            }
            BlockingWithSpinlock
            | SpinlockTimeout
            | InterruptsDisabledTooLong
            | DestroyedMutex
            | LockMisuse => ClassFamily::Lock,
            WaitqCorruption | IpcCorruption | QueueCorruption | RefcountError => {
                ClassFamily::DataStructure
            }
            VmMapFailure | KmemAllocFailure | VmPageStatePanic | OutOfMemory | PmapPanic
            | CompressorExhausted | CompressorCorruption => ClassFamily::Vm,
            DcpPanic | AopPanic | AnsPanic | SmcPanic | SepPanic | CoprocessorPanic => {
                ClassFamily::Coprocessor
            }
            PcieLinkDown | PlatformHardwareError | GpuPanic | NvmeFatal => ClassFamily::Hardware,
            CodesigningPanic | KernelStackOverflow | FilesystemPanic | NonMonotonicTime
            | InitProcessExited | KernelAssertion | Unknown => ClassFamily::Other,
        }
    }

    /// A watchdog fired: watchdogd, the userspace watchdog, a CPU that stopped answering, or
    /// the T2's watchdogs.
    pub fn is_watchdog(self) -> bool {
        use PanicClass::*;
        matches!(
            self,
            WatchdogdTimeout
                | UserspaceWatchdogTimeout
                | HardwareWatchdogTimeout
                | T2SleepWakeWatchdog
                | T2MacosWatchdog
        )
    }

    /// Written by the T2 (bridgeOS), not by macOS: the log carries only the message.
    pub fn is_t2(self) -> bool {
        matches!(
            self,
            PanicClass::T2SleepWakeWatchdog | PanicClass::T2MacosWatchdog
        )
    }

    /// The kernel panicked because the system stopped making progress, and the stackshot
    /// shows where it stalled: the stall findings outrank the backtrace.
    pub fn is_stall(self) -> bool {
        use PanicClass::*;
        matches!(
            self,
            WatchdogdTimeout | UserspaceWatchdogTimeout | ForcedReset | HardwareWatchdogTimeout
        )
    }

    /// An arm64 abort whose `far` register is the faulting address.
    pub fn has_far(self) -> bool {
        use PanicClass::*;
        matches!(
            self,
            KernelDataAbort | UnalignedAbort | KernelInstructionAbort | PacFailure
        )
    }

    /// The kexts of the panicked backtrace are evidence of the class. Not for watchdogs and
    /// resets (the backtrace is the messenger), MTE (named by its own evidence), nor for
    /// panics raised by firmware, code signing or the pmap layer.
    pub fn lists_backtrace_kexts(self) -> bool {
        use PanicClass::*;
        !matches!(
            self,
            WatchdogdTimeout
                | MteTagCheckFault
                | GpuPanic
                | ForcedReset
                | DcpPanic
                | AopPanic
                | AnsPanic
                | SmcPanic
                | SepPanic
                | CoprocessorPanic
                | CodesigningPanic
                | PmapPanic
        )
    }
}

string_enum! {
    /// Findings about the faulting address and registers of an abort or trap.
    pub enum FaultId {
        /// `far`/`CR2` below 16 KiB: a field of a NULL object.
        NullPointerDereference = "null_pointer_dereference",
        /// The faulting address or registers hold a fill/poison pattern (`0x4141…`, `0xdeadbeef`, the `0xc0ffee…` zone free-list cookie): freed or attacker-controlled memory.
        PoisonedPointer = "poisoned_pointer",
        /// A non-canonical faulting address, or (GP fault) a non-canonical register.
        CorruptPointer = "corrupt_pointer",
        /// The kernel faulted on a user-space address.
        UserAddressInKernel = "user_address_in_kernel",
        /// arm64: the faulting address is a kernel pointer carrying the error code of a failed pointer authentication (a corrupted or forged signed pointer).
        PacFailedPointer = "pac_failed_pointer",
        /// A lock panic: the lock, its owner thread, the owner's CPU and the rw-lock mode as the message states them (and as xnu means them).
        LockState = "lock_state",
        /// An abort whose syndrome only the message gives (`iss=`, `Exception class=`: old iOS kernels, coprocessor firmware), decoded.
        AbortSyndrome = "abort_syndrome",
    }
}

string_enum! {
    /// Findings about kexts to suspect.
    pub enum SuspectId {
        /// A third-party kext ran on the panicked thread.
        ThirdPartyKextInBacktrace = "third_party_kext_in_backtrace",
        /// Full panics: a third-party kext is on other threads' stacks.
        ThirdPartyKextInThreads = "third_party_kext_in_threads",
        /// Known third-party kernel software (hypervisors, filesystems, security, GPU…) is loaded, not in the backtrace.
        KnownKextsLoaded = "known_kexts_loaded",
        /// A kext was started/loaded/unloaded within 120 s of the panic.
        RecentKextEvent = "recent_kext_event",
        /// The panic message names a third-party kext or dext (its bundle id, or the last part of it).
        KextNamedInPanic = "kext_named_in_panic",
        /// A third-party kext is in the panicked backtrace without being implicated: a Hackintosh hook (Lilu, its plugins, VirtualSMC/FakeSMC) there by design, or a bystander on the thread of a watchdog, reset, hardware or coprocessor panic.
        ContextKextInBacktrace = "context_kext_in_backtrace",
        /// Apple's kext where the panic happened: the subsystem whose code went wrong, or the driver that reported a hardware/firmware failure (named, never to remove).
        AppleKextInPanic = "apple_kext_in_panic",
        /// The panicked process (or a DriverKit extension) made the call into the kernel that went wrong: the trigger, not the bug.
        PanickedProcess = "panicked_process",
    }
}

string_enum! {
    /// Findings about threads: the stackshot of full panics, or the backtrace of text ones.
    pub enum ThreadsId {
        /// A watchdog/forced-reset panic with many threads (≥ 10, or ≥ 5 % of the waiting ones and ≥ 3) blocked in the VM or in filesystems: the stall, not the backtrace, is the cause to chase.
        SystemStall = "system_stall",
        /// The same outside watchdog panics, VM.
        VmStall = "vm_stall",
        /// The same outside watchdog panics, filesystems.
        FilesystemStall = "filesystem_stall",
        /// ≥ 5 threads wait on one kernel mutex/rwlock.
        LockContention = "lock_contention",
        /// The owner of a kernel lock others wait for is itself waiting (a lock chain).
        BlockedLockOwner = "blocked_lock_owner",
        /// Third-party Endpoint Security clients were running (a known cause of stalls).
        EndpointSecurityClients = "endpoint_security_clients",
        /// Text panics: EndpointSecurity.kext is in the panicked backtrace.
        EndpointSecurityInBacktrace = "endpoint_security_in_backtrace",
        /// A text watchdog panic: the thread stacks are in the full report, not here.
        StackshotMissing = "stackshot_missing",
        /// Full panics: counts and the busiest wait sites.
        ThreadSummary = "thread_summary",
        /// A watchdog/forced-reset panic whose stackshot shows ≥ 10 threads blocked
        /// uninterruptibly with their kernel stack: one finding tying them to the kext on their
        /// stacks and to the memory state.
        StallChain = "stall_chain",
    }
}

string_enum! {
    /// Findings about the machine and the log themselves.
    pub enum SystemId {
        /// Hackintosh kexts or boot-args (alcid=, agdpmod=, shikigva=, igfx…, npci=, …).
        Hackintosh = "hackintosh",
        /// A guest: Intel `Fault CPU … VMM`, a VRESEARCH/VMAPPLE kernel, paravirtual kexts.
        VirtualMachine = "virtual_machine",
        /// Jailbreak bootloader (pongoOS), secure boot off, roots installed, code signing relaxed by boot-args.
        ModifiedBoot = "modified_boot",
        /// A non-release kernel or debug boot-args (`kcsuffix=`, `-zc`, `zlog`).
        DevelopmentKernel = "development_kernel",
        /// The panicked process looks like a test/PoC/fuzzer/instrumentation program.
        TestProgram = "test_program",
        /// The parser found the log cut or damaged.
        IncompleteLog = "incomplete_log",
    }
}

/// The stable identifier of a finding (its JSON `class`), which also says its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FindingId {
    /// The panic class (kind `panic_class`).
    Class(PanicClass),
    /// A finding about the faulting address or registers (kind `fault`).
    Fault(FaultId),
    /// A finding about a suspect kext (kind `suspect`).
    Suspect(SuspectId),
    /// Memory findings are named after the flag they report.
    Memory(MemoryFlag),
    /// A finding about the stackshot's threads (kind `threads`).
    Threads(ThreadsId),
    /// A finding about the machine or its setup (kind `system`).
    System(SystemId),
}

impl FindingId {
    /// The stable identifier, as in the JSON `class` field.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingId::Class(c) => c.as_str(),
            FindingId::Fault(i) => i.as_str(),
            FindingId::Suspect(i) => i.as_str(),
            FindingId::Memory(i) => i.as_str(),
            FindingId::Threads(i) => i.as_str(),
            FindingId::System(i) => i.as_str(),
        }
    }

    /// What the finding is about, which follows from the identifier.
    pub fn kind(self) -> FindingKind {
        match self {
            FindingId::Class(_) => FindingKind::PanicClass,
            FindingId::Fault(_) => FindingKind::Fault,
            FindingId::Suspect(_) => FindingKind::Suspect,
            FindingId::Memory(_) => FindingKind::Memory,
            FindingId::Threads(_) => FindingKind::Threads,
            FindingId::System(_) => FindingKind::System,
        }
    }

    /// Every finding identifier: the panic classes first, then the others by kind.
    pub fn all() -> impl Iterator<Item = FindingId> {
        let classes = PanicClass::ALL.iter().map(|c| FindingId::Class(*c));
        let faults = FaultId::ALL.iter().map(|i| FindingId::Fault(*i));
        let suspects = SuspectId::ALL.iter().map(|i| FindingId::Suspect(*i));
        let memory = MemoryFlag::ALL.iter().map(|i| FindingId::Memory(*i));
        let threads = ThreadsId::ALL.iter().map(|i| FindingId::Threads(*i));
        let system = SystemId::ALL.iter().map(|i| FindingId::System(*i));
        classes
            .chain(faults)
            .chain(suspects)
            .chain(memory)
            .chain(threads)
            .chain(system)
    }
}

impl std::str::FromStr for FindingId {
    type Err = super::vocab::UnknownId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FindingId::all()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| super::vocab::UnknownId(s.to_string()))
    }
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FindingId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One of the strings of the closed sets it draws from.
impl schemars::JsonSchema for FindingId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FindingId".into()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        "kpanic::diagnose::ids::FindingId".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                g.subschema_for::<PanicClass>(),
                g.subschema_for::<FaultId>(),
                g.subschema_for::<SuspectId>(),
                g.subschema_for::<MemoryFlag>(),
                g.subschema_for::<ThreadsId>(),
                g.subschema_for::<SystemId>(),
            ]
        })
    }
}

impl From<PanicClass> for FindingId {
    fn from(c: PanicClass) -> Self {
        FindingId::Class(c)
    }
}

impl From<FaultId> for FindingId {
    fn from(i: FaultId) -> Self {
        FindingId::Fault(i)
    }
}

impl From<SuspectId> for FindingId {
    fn from(i: SuspectId) -> Self {
        FindingId::Suspect(i)
    }
}

impl From<MemoryFlag> for FindingId {
    fn from(i: MemoryFlag) -> Self {
        FindingId::Memory(i)
    }
}

impl From<ThreadsId> for FindingId {
    fn from(i: ThreadsId) -> Self {
        FindingId::Threads(i)
    }
}

impl From<SystemId> for FindingId {
    fn from(i: SystemId) -> Self {
        FindingId::System(i)
    }
}

impl PartialEq<PanicClass> for FindingId {
    fn eq(&self, c: &PanicClass) -> bool {
        *self == FindingId::Class(*c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_round_trips_through_its_string() {
        let mut seen = std::collections::HashSet::new();
        for id in FindingId::all() {
            assert_eq!(id.as_str().parse::<FindingId>(), Ok(id));
            assert!(seen.insert(id.as_str()), "{id} twice");
            assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
        }
        for c in PanicClass::ALL {
            assert_eq!(c.as_str().parse::<PanicClass>(), Ok(*c));
            assert_eq!(FindingId::from(*c).kind(), FindingKind::PanicClass);
        }
        assert!("no_such_class".parse::<PanicClass>().is_err());
    }

    #[test]
    fn confidence_is_ordered_and_kinds_serialise_as_before() {
        use crate::diagnose::Confidence;
        assert!(Confidence::Low < Confidence::Medium && Confidence::Medium < Confidence::High);
        assert_eq!(
            serde_json::to_string(&FindingKind::PanicClass).unwrap(),
            "\"panic_class\""
        );
        assert_eq!(
            FindingId::from(MemoryFlag::SwapSpaceLow).kind(),
            FindingKind::Memory
        );
    }

    #[test]
    fn predicates_match_the_families() {
        for c in PanicClass::ALL {
            if c.is_watchdog() || c.is_stall() {
                assert_eq!(c.family(), ClassFamily::Watchdog, "{c}");
            }
            if c.is_t2() {
                assert!(c.is_watchdog(), "{c}");
            }
            if c.has_far() {
                assert_eq!(c.family(), ClassFamily::Fault, "{c}");
            }
            if c.family() == ClassFamily::Coprocessor {
                assert!(!c.lists_backtrace_kexts(), "{c}");
            }
        }
        assert!(PanicClass::ForcedReset.is_stall());
        assert!(!PanicClass::ForcedReset.is_watchdog());
        assert!(PanicClass::T2MacosWatchdog.is_watchdog());
        assert!(!PanicClass::T2MacosWatchdog.is_stall());
        assert!(PanicClass::KernelDataAbort.lists_backtrace_kexts());
        assert!(!PanicClass::UndefinedInstruction.has_far());
        assert_eq!(
            PanicClass::WaitqCorruption.family(),
            ClassFamily::DataStructure
        );
        assert_eq!(PanicClass::KmemAllocFailure.family(), ClassFamily::Vm);
        assert_eq!(
            PanicClass::PowerStateChangeTimeout.family(),
            ClassFamily::Watchdog
        );
        assert!(!PanicClass::PowerStateChangeTimeout.is_stall());
        assert!(PanicClass::InvalidKfree.lists_backtrace_kexts());
    }
}
