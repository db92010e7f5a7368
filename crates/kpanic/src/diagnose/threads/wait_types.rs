//! The kernel's wait types: xnu's `block_hint_t` (`osfmk/kern/block_hint.h`), the `wait_type`
//! a stackshot records for a blocked thread, decoded from the `waitInfo` text.
//!
//! The text comes from the formatter that wrote the report. xnu's own
//! (`tools/lldbmacros/kcdata.py`, `formatWaitInfo`) has a wording for each type; Apple's
//! on-device formatter prints `unknown type N (owner O, context C)` for the types it does not
//! know (in the iOS 26 full panics of the corpus: 17, 18, 19 and 30), so both are read here.

use super::categories::WaitCategory;

string_enum! {
    /// A wait type of the stackshot (`block_hint_t`), by its xnu name.
    pub enum WaitType {
        /// 0x01 `kThreadWaitKernelMutex`: a `lck_mtx`.
        KernelMutex = "kernel_mutex",
        /// 0x02 `kThreadWaitPortReceive`: mach_msg receive on a port.
        PortReceive = "port_receive",
        /// 0x03 `kThreadWaitPortSetReceive`: mach_msg receive on a port set.
        PortSetReceive = "port_set_receive",
        /// 0x04 `kThreadWaitPortSend`: mach_msg send to a full port.
        PortSend = "port_send",
        /// 0x05 `kThreadWaitPortSendInTransit`: send to a port in transit.
        PortSendInTransit = "port_send_in_transit",
        /// 0x06 `kThreadWaitSemaphore`.
        Semaphore = "semaphore",
        /// 0x07 `kThreadWaitKernelRWLockRead`.
        KernelRwLockRead = "kernel_rwlock_read",
        /// 0x08 `kThreadWaitKernelRWLockWrite`.
        KernelRwLockWrite = "kernel_rwlock_write",
        /// 0x09 `kThreadWaitKernelRWLockUpgrade`.
        KernelRwLockUpgrade = "kernel_rwlock_upgrade",
        /// 0x0a `kThreadWaitUserLock`: an os_unfair_lock or spin lock (ulock).
        UserLock = "user_lock",
        /// 0x0b `kThreadWaitPThreadMutex`.
        PthreadMutex = "pthread_mutex",
        /// 0x0c `kThreadWaitPThreadRWLockRead`.
        PthreadRwLockRead = "pthread_rwlock_read",
        /// 0x0d `kThreadWaitPThreadRWLockWrite`.
        PthreadRwLockWrite = "pthread_rwlock_write",
        /// 0x0e `kThreadWaitPThreadCondVar`.
        PthreadCondVar = "pthread_condvar",
        /// 0x0f `kThreadWaitParkedWorkQueue`: an idle workqueue thread.
        ParkedWorkQueue = "parked_workqueue",
        /// 0x10 `kThreadWaitWorkloopSyncWait`.
        WorkloopSyncWait = "workloop_sync_wait",
        /// 0x11 `kThreadWaitOnProcess`: waitpid.
        OnProcess = "on_process",
        /// 0x12 `kThreadWaitSleepWithInheritor`: a turnstile sleep that pushes on an owner.
        SleepWithInheritor = "sleep_with_inheritor",
        /// 0x13 `kThreadWaitEventlink`.
        Eventlink = "eventlink",
        /// 0x14 `kThreadWaitCompressor`: a busy VM compressor segment.
        Compressor = "compressor",
        /// 0x15 `kThreadWaitParkedBoundWorkQueue`.
        ParkedBoundWorkQueue = "parked_bound_workqueue",
        /// 0x16 `kThreadWaitPageBusy`: a page another thread is paging in or out.
        PageBusy = "page_busy",
        /// 0x17 `kThreadWaitPagerInit` (xnu-11417), `kThreadWaitPLReqInProgress` (xnu-12377):
        /// a VM object's pager being set up, or a page-list request on it.
        PagerInitOrPageListRequest = "pager_init_or_page_list_request",
        /// 0x18 `kThreadWaitPagerReady`.
        PagerReady = "pager_ready",
        /// 0x19 `kThreadWaitPagingActivity`.
        PagingActivity = "paging_activity",
        /// 0x1a `kThreadWaitMappingInProgress`.
        MappingInProgress = "mapping_in_progress",
        /// 0x1b `kThreadWaitMemoryBlocked`: a VM object blocked.
        MemoryBlocked = "memory_blocked",
        /// 0x1c `kThreadWaitPagingInProgress`.
        PagingInProgress = "paging_in_progress",
        /// 0x1d `kThreadWaitPageInThrottle`: page-in throttled on a VM object.
        PageInThrottle = "page_in_throttle",
        /// 0x1e `kThreadWaitExclaveCore`.
        ExclaveCore = "exclave_core",
        /// 0x1f `kThreadWaitExclaveKit`.
        ExclaveKit = "exclave_kit",
        /// 0x20 `kThreadWaitVMEntryExclEvent` and 0x21 `kThreadWaitVMEntrySharedEvent`
        /// (xnu-12377): a vm_map_entry held by another thread (kcdata.py prints both alike).
        VmMapEntry = "vm_map_entry",
        /// 0x22 `kThreadWaitVMEntryKUnwireEvent` (`…DeleteEvent` in kcdata.py): a
        /// vm_map_entry being unwired or deleted.
        VmMapEntryUnwire = "vm_map_entry_unwire",
    }
}

impl WaitType {
    /// The type of a `block_hint_t` value (0 is `kThreadWaitNone`: no type).
    pub fn from_code(code: u32) -> Option<WaitType> {
        use WaitType::*;
        Some(match code {
            0x01 => KernelMutex,
            0x02 => PortReceive,
            0x03 => PortSetReceive,
            0x04 => PortSend,
            0x05 => PortSendInTransit,
            0x06 => Semaphore,
            0x07 => KernelRwLockRead,
            0x08 => KernelRwLockWrite,
            0x09 => KernelRwLockUpgrade,
            0x0a => UserLock,
            0x0b => PthreadMutex,
            0x0c => PthreadRwLockRead,
            0x0d => PthreadRwLockWrite,
            0x0e => PthreadCondVar,
            0x0f => ParkedWorkQueue,
            0x10 => WorkloopSyncWait,
            0x11 => OnProcess,
            0x12 => SleepWithInheritor,
            0x13 => Eventlink,
            0x14 => Compressor,
            0x15 => ParkedBoundWorkQueue,
            0x16 => PageBusy,
            0x17 => PagerInitOrPageListRequest,
            0x18 => PagerReady,
            0x19 => PagingActivity,
            0x1a => MappingInProgress,
            0x1b => MemoryBlocked,
            0x1c => PagingInProgress,
            0x1d => PageInThrottle,
            0x1e => ExclaveCore,
            0x1f => ExclaveKit,
            0x20 | 0x21 => VmMapEntry,
            0x22 => VmMapEntryUnwire,
            _ => return None,
        })
    }

    /// The type a `waitInfo` text (without its `thread T: ` prefix) names, when it names one.
    pub fn from_wait_info(text: &str) -> Option<WaitType> {
        let t = text.trim_start().to_ascii_lowercase();
        if let Some(rest) = t.strip_prefix("unknown type ") {
            let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            return n.parse().ok().and_then(WaitType::from_code);
        }
        // kcdata.py's wordings, more specific first where one starts another.
        if t.starts_with("mach_msg send on ") {
            return Some(if t.contains(" in transit to ") {
                WaitType::PortSendInTransit
            } else {
                WaitType::PortSend
            });
        }
        if t.starts_with("krwlock ") || t.starts_with("pthread rwlock ") {
            let kernel = t.starts_with("krwlock ");
            return Some(match (kernel, rw_mode(&t)?) {
                (true, RwMode::Read) => WaitType::KernelRwLockRead,
                (true, RwMode::Write) => WaitType::KernelRwLockWrite,
                (true, RwMode::Upgrade) => WaitType::KernelRwLockUpgrade,
                (false, RwMode::Read) => WaitType::PthreadRwLockRead,
                (false, RwMode::Write | RwMode::Upgrade) => WaitType::PthreadRwLockWrite,
            });
        }
        PREFIXES
            .iter()
            .find(|(p, _)| t.starts_with(p))
            .map(|(_, w)| *w)
    }

    /// What a wait of this type is about.
    pub fn category(self) -> WaitCategory {
        use WaitType::*;
        match self {
            KernelMutex | KernelRwLockRead | KernelRwLockWrite | KernelRwLockUpgrade | UserLock
            | PthreadMutex | PthreadRwLockRead | PthreadRwLockWrite | SleepWithInheritor => {
                WaitCategory::Lock
            }
            PortReceive | PortSetReceive | PortSend | PortSendInTransit | Semaphore
            | ParkedWorkQueue | WorkloopSyncWait | Eventlink | ParkedBoundWorkQueue => {
                WaitCategory::Ipc
            }
            Compressor
            | PageBusy
            | PagerInitOrPageListRequest
            | PagerReady
            | PagingActivity
            | MappingInProgress
            | MemoryBlocked
            | PagingInProgress
            | PageInThrottle
            | VmMapEntry
            | VmMapEntryUnwire => WaitCategory::Vm,
            // A condition variable is waited on until there is work: not a lock held by
            // anyone.
            PthreadCondVar | OnProcess | ExclaveCore | ExclaveKit => WaitCategory::Other,
        }
    }

    /// A few words for the text: `busy page`, `kernel mutex`.
    pub fn describe(self) -> &'static str {
        use WaitType::*;
        match self {
            KernelMutex => "kernel mutex",
            PortReceive => "mach_msg receive",
            PortSetReceive => "mach_msg receive on a port set",
            PortSend => "mach_msg send",
            PortSendInTransit => "mach_msg send to a port in transit",
            Semaphore => "semaphore",
            KernelRwLockRead => "kernel rwlock (read)",
            KernelRwLockWrite => "kernel rwlock (write)",
            KernelRwLockUpgrade => "kernel rwlock (upgrade)",
            UserLock => "user-space lock",
            PthreadMutex => "pthread mutex",
            PthreadRwLockRead => "pthread rwlock (read)",
            PthreadRwLockWrite => "pthread rwlock (write)",
            PthreadCondVar => "pthread condvar",
            ParkedWorkQueue => "parked workqueue",
            WorkloopSyncWait => "workloop sync wait",
            OnProcess => "waitpid",
            SleepWithInheritor => "turnstile sleep (pushing an owner)",
            Eventlink => "eventlink",
            Compressor => "busy compressor segment",
            ParkedBoundWorkQueue => "parked bound workqueue",
            PageBusy => "busy page",
            PagerInitOrPageListRequest => "pager init / page-list request",
            PagerReady => "pager not ready",
            PagingActivity => "paging activity on a VM object",
            MappingInProgress => "mapping in progress",
            MemoryBlocked => "blocked VM object",
            PagingInProgress => "paging in progress",
            PageInThrottle => "throttled page-in",
            ExclaveCore => "exclave core",
            ExclaveKit => "exclave kit",
            VmMapEntry => "vm_map_entry held by another thread",
            VmMapEntryUnwire => "vm_map_entry being unwired",
        }
    }
}

/// kcdata.py's `formatWaitInfo` openings (and the on-device `spinlock`), for the types whose
/// text starts the same way whatever follows.
static PREFIXES: &[(&str, WaitType)] = &[
    ("kernel mutex", WaitType::KernelMutex),
    ("mach_msg receive on port set", WaitType::PortSetReceive),
    (
        "mach_msg receive on locked port set",
        WaitType::PortSetReceive,
    ),
    ("mach_msg receive on", WaitType::PortReceive),
    ("semaphore port", WaitType::Semaphore),
    ("unfair lock", WaitType::UserLock),
    ("spin lock", WaitType::UserLock),
    ("spinlock", WaitType::UserLock),
    ("pthread mutex", WaitType::PthreadMutex),
    ("pthread condvar", WaitType::PthreadCondVar),
    ("workloop sync wait", WaitType::WorkloopSyncWait),
    ("waitpid", WaitType::OnProcess),
    ("turnstile,", WaitType::SleepWithInheritor),
    ("eventlink", WaitType::Eventlink),
    ("in compressor segment", WaitType::Compressor),
    ("exclavecore wait", WaitType::ExclaveCore),
    ("exclavekit wait", WaitType::ExclaveKit),
    ("busy page", WaitType::PageBusy),
    ("pager initialization", WaitType::PagerInitOrPageListRequest),
    ("page list request", WaitType::PagerInitOrPageListRequest),
    ("pager ready", WaitType::PagerReady),
    ("paging/activity in progress", WaitType::PagingActivity),
    ("mapping in progress", WaitType::MappingInProgress),
    ("blocked vm object", WaitType::MemoryBlocked),
    ("paging in progress", WaitType::PagingInProgress),
    ("throttled vm object", WaitType::PageInThrottle),
    ("waiting for vm_map_entry", WaitType::VmMapEntry),
];

enum RwMode {
    Read,
    Write,
    Upgrade,
}

fn rw_mode(t: &str) -> Option<RwMode> {
    if t.contains(" for reading") {
        Some(RwMode::Read)
    } else if t.contains(" for writing") {
        Some(RwMode::Write)
    } else if t.contains(" for upgrading") {
        Some(RwMode::Upgrade)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_block_hint_h() {
        // osfmk/kern/block_hint.h (xnu-11417.101.15): 0x01 … 0x1f; 0x20-0x22 from xnu-12377.
        assert_eq!(WaitType::from_code(0x01), Some(WaitType::KernelMutex));
        assert_eq!(WaitType::from_code(0x11), Some(WaitType::OnProcess));
        assert_eq!(
            WaitType::from_code(0x12),
            Some(WaitType::SleepWithInheritor)
        );
        assert_eq!(WaitType::from_code(0x14), Some(WaitType::Compressor));
        assert_eq!(WaitType::from_code(0x16), Some(WaitType::PageBusy));
        assert_eq!(WaitType::from_code(0x1d), Some(WaitType::PageInThrottle));
        assert_eq!(WaitType::from_code(0x1e), Some(WaitType::ExclaveCore));
        assert_eq!(WaitType::from_code(0x21), Some(WaitType::VmMapEntry));
        assert_eq!(WaitType::from_code(0), None);
        assert_eq!(WaitType::from_code(0x23), None);
        // Every type but the shared 0x20/0x21 has one code.
        let decoded: Vec<WaitType> = (0..0x40).filter_map(WaitType::from_code).collect();
        assert_eq!(decoded.len(), WaitType::ALL.len() + 1);
    }

    #[test]
    fn wait_info_texts_of_the_corpus_and_of_kcdata_py() {
        let cases = [
            // The iOS 26 full panics of the corpus (on-device formatter).
            (
                "unknown type 18 (owner 51690, context 0)",
                Some(WaitType::SleepWithInheritor),
            ),
            (
                "unknown type 30 (owner 0, context 0x100000000000015)",
                Some(WaitType::ExclaveCore),
            ),
            (
                "mach_msg receive on port set 0xfffffff0",
                Some(WaitType::PortSetReceive),
            ),
            (
                "mach_msg receive on port 0x1 name 0x2",
                Some(WaitType::PortReceive),
            ),
            (
                "semaphore port 0x1 owned by pid 6",
                Some(WaitType::Semaphore),
            ),
            ("spinlock 0x1", Some(WaitType::UserLock)),
            ("pthread condvar 0x1", Some(WaitType::PthreadCondVar)),
            ("queue processed by thread 12", None),
            // The macOS 26 extract.
            (
                "krwlock 0x5ee9b380d4e609cd for reading owned by thread 798645",
                Some(WaitType::KernelRwLockRead),
            ),
            // kcdata.py formatWaitInfo.
            ("busy page 0x4000", Some(WaitType::PageBusy)),
            (
                "throttled vm object 0xfffffe1",
                Some(WaitType::PageInThrottle),
            ),
            (
                "in compressor segment 0x1, busy for thread 7",
                Some(WaitType::Compressor),
            ),
            (
                "mach_msg send on port 0x1 in transit to port 0x2",
                Some(WaitType::PortSendInTransit),
            ),
            (
                "pthread rwlock 0x1 for writing",
                Some(WaitType::PthreadRwLockWrite),
            ),
            (
                "turnstile, pushing thread 4",
                Some(WaitType::SleepWithInheritor),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(WaitType::from_wait_info(text), want, "{text}");
        }
    }

    #[test]
    fn vm_types_are_the_vm_category() {
        let vm: Vec<&str> = WaitType::ALL
            .iter()
            .filter(|w| w.category() == WaitCategory::Vm)
            .map(|w| w.as_str())
            .collect();
        assert_eq!(
            vm,
            [
                "compressor",
                "page_busy",
                "pager_init_or_page_list_request",
                "pager_ready",
                "paging_activity",
                "mapping_in_progress",
                "memory_blocked",
                "paging_in_progress",
                "page_in_throttle",
                "vm_map_entry",
                "vm_map_entry_unwire"
            ]
        );
    }
}
