//! The stackshot of a full panic: processes, threads, frames as `[imageIndex, offset]`, and the
//! `binaryImages` table those indices refer to.
//!
//! Field names follow the JSON on input (camelCase) and this crate's snake_case on output.
//! Addresses in frames are unslid: `binaryImages[idx].base + offset`.

use crate::model::RawJson;
use crate::{UnslidAddr, Uuid};
use kpanic_common::Hex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A full panic's stackshot: every process with its threads, and the images their frames use.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Spindump {
    /// Sorted by pid.
    pub processes: Vec<Process>,
    /// In file order: frames refer to images by their index here.
    pub binary_images: Vec<BinaryImage>,
}

impl Spindump {
    /// Number of threads over all processes.
    pub fn thread_count(&self) -> usize {
        self.processes.iter().map(|p| p.threads.len()).sum()
    }

    /// The `binaryImages` entry a frame refers to, when its index is in range.
    pub fn image(&self, frame: &StackFrame) -> Option<&BinaryImage> {
        self.binary_images.get(frame.image as usize)
    }

    /// `base + offset` in the unslid kernelcache / image layout. For `A` images the offset is the
    /// address itself (base 0).
    pub fn unslid(&self, frame: &StackFrame) -> Option<UnslidAddr> {
        let img = self.image(frame)?;
        Some(UnslidAddr(img.base.get().wrapping_add(frame.offset.get())))
    }

    /// The process with this pid.
    pub fn process(&self, pid: i64) -> Option<&Process> {
        self.processes.iter().find(|p| p.pid == pid)
    }
}

/// `[uuid, base, letter]`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(description = "A `binaryImages` entry (`[uuid, base, letter]` in the file).")]
pub struct BinaryImage {
    /// None when the file's value is not a UUID (a warning says so).
    pub uuid: Option<Uuid>,
    /// Unslid load address (decimal in the JSON).
    pub base: UnslidAddr,
    /// What the image is (the entry's letter).
    pub kind: ImageKind,
}

/// The letter of a `binaryImages` entry (xnu `tools/lldbmacros/kcdata.py`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub enum ImageKind {
    /// `T`: kernel/kext `__TEXT_EXEC` (pid 0 `dyld_load_info_text_exec`).
    KernelTextExec,
    /// `U`: the whole kernelcache (non-fileset caches).
    Kernelcache,
    /// `K`: kernel/kext `__TEXT`.
    KernelText,
    /// `A`: absolute; the offset is the address.
    Absolute,
    /// `P`: per-process image.
    Process,
    /// `S`: the shared cache at its slid base.
    SharedCache,
    /// `C`: a dylib of the shared cache layout.
    SharedCacheLibrary,
    /// `J`: a JIT range.
    Jit,
    /// A letter not known here, kept.
    Other(String),
}

impl ImageKind {
    /// The kind for a `binaryImages` letter (`T`, `U`, `K`, …); unknown letters are kept as [`ImageKind::Other`].
    pub fn from_letter(s: &str) -> Self {
        match s {
            "T" => Self::KernelTextExec,
            "U" => Self::Kernelcache,
            "K" => Self::KernelText,
            "A" => Self::Absolute,
            "P" => Self::Process,
            "S" => Self::SharedCache,
            "C" => Self::SharedCacheLibrary,
            "J" => Self::Jit,
            other => Self::Other(other.to_string()),
        }
    }

    /// The letter of this kind, as in the file.
    pub fn letter(&self) -> &str {
        match self {
            Self::KernelTextExec => "T",
            Self::Kernelcache => "U",
            Self::KernelText => "K",
            Self::Absolute => "A",
            Self::Process => "P",
            Self::SharedCache => "S",
            Self::SharedCacheLibrary => "C",
            Self::Jit => "J",
            Self::Other(s) => s,
        }
    }

    /// Kernel-side images, whose frames are unslid kernel addresses.
    pub fn is_kernel(&self) -> bool {
        matches!(
            self,
            Self::KernelTextExec | Self::Kernelcache | Self::KernelText
        )
    }
}

/// `[imageIndex, offset]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(
    description = "A stackshot frame (`[imageIndex, offset]` in the file): its image's index in `binary_images` and the offset from that image's base."
)]
#[serde(from = "(u64, u64)")]
pub struct StackFrame {
    /// Index of the frame's image in [`Spindump::binary_images`].
    pub image: u64,
    /// Offset from that image's base (unslid).
    pub offset: Hex,
}

impl From<(u64, u64)> for StackFrame {
    fn from((image, offset): (u64, u64)) -> Self {
        StackFrame {
            image,
            offset: Hex(offset),
        }
    }
}

/// One process of the stackshot (`processByPid` entry).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Process {
    /// Process id (`0` is `kernel_task`).
    #[serde(default)]
    pub pid: i64,
    /// `procname`: process name.
    #[serde(default, rename(deserialize = "procname"))]
    pub name: String,
    /// Sorted by thread id.
    #[serde(
        default,
        rename(deserialize = "threadById"),
        deserialize_with = "crate::full::full_threads"
    )]
    pub threads: Vec<Thread>,
    /// `waitInfo`: what its threads wait on, one text line each (`thread T: …`).
    #[serde(
        default,
        rename(deserialize = "waitInfo"),
        skip_serializing_if = "Vec::is_empty"
    )]
    pub wait_info: Vec<String>,
    /// `turnstileInfo`: priority-inheritance (turnstile) chains, verbatim.
    #[serde(
        default,
        rename(deserialize = "turnstileInfo"),
        skip_serializing_if = "Vec::is_empty"
    )]
    pub turnstile_info: Vec<RawJson>,
    /// `flags`: stackshot task flags by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// `rawFlags`: the task flags as a number, as printed.
    #[serde(
        default,
        rename(deserialize = "rawFlags"),
        skip_serializing_if = "Option::is_none"
    )]
    pub raw_flags: Option<String>,
    /// `residentMemoryBytes`: resident memory, in bytes.
    #[serde(
        default,
        rename(deserialize = "residentMemoryBytes"),
        skip_serializing_if = "Option::is_none"
    )]
    pub resident_memory_bytes: Option<u64>,
    /// `pageIns`: pages read in from disk.
    #[serde(
        default,
        rename(deserialize = "pageIns"),
        skip_serializing_if = "Option::is_none"
    )]
    pub page_ins: Option<u64>,
    /// `pageFaults`: page faults taken.
    #[serde(
        default,
        rename(deserialize = "pageFaults"),
        skip_serializing_if = "Option::is_none"
    )]
    pub page_faults: Option<u64>,
    /// `copyOnWriteFaults`: copy-on-write faults taken.
    #[serde(
        default,
        rename(deserialize = "copyOnWriteFaults"),
        skip_serializing_if = "Option::is_none"
    )]
    pub copy_on_write_faults: Option<u64>,
    /// `timesThrottled`: how often the task was I/O throttled.
    #[serde(
        default,
        rename(deserialize = "timesThrottled"),
        skip_serializing_if = "Option::is_none"
    )]
    pub times_throttled: Option<u64>,
    /// `timesDidThrottle`: how often the task throttled others' I/O.
    #[serde(
        default,
        rename(deserialize = "timesDidThrottle"),
        skip_serializing_if = "Option::is_none"
    )]
    pub times_did_throttle: Option<u64>,
    /// Seconds.
    #[serde(
        default,
        rename(deserialize = "userTimeTask"),
        skip_serializing_if = "Option::is_none"
    )]
    pub user_time: Option<f64>,
    /// Seconds.
    #[serde(
        default,
        rename(deserialize = "systemTimeTask"),
        skip_serializing_if = "Option::is_none"
    )]
    pub system_time: Option<f64>,
    /// `csFlags`: code-signing flags.
    #[serde(
        default,
        rename(deserialize = "csFlags"),
        skip_serializing_if = "Option::is_none"
    )]
    pub cs_flags: Option<u64>,
    /// `csTrustLevel`: code-signing trust level.
    #[serde(
        default,
        rename(deserialize = "csTrustLevel"),
        skip_serializing_if = "Option::is_none"
    )]
    pub cs_trust_level: Option<u64>,
    /// `codeSigningAuxiliaryInfo`: more code-signing state, as a number.
    #[serde(
        default,
        rename(deserialize = "codeSigningAuxiliaryInfo"),
        skip_serializing_if = "Option::is_none"
    )]
    pub code_signing_auxiliary_info: Option<u64>,
    /// `jetsamCoalition`: id of the task's jetsam coalition.
    #[serde(
        default,
        rename(deserialize = "jetsamCoalition"),
        skip_serializing_if = "Option::is_none"
    )]
    pub jetsam_coalition: Option<u64>,
    /// `userID`: uid the process ran as.
    #[serde(
        default,
        rename(deserialize = "userID"),
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<i64>,
    /// `groupID`: gid the process ran as.
    #[serde(
        default,
        rename(deserialize = "groupID"),
        skip_serializing_if = "Option::is_none"
    )]
    pub group_id: Option<i64>,
    /// `suspendCount`: how many times the task is suspended (0 when running).
    #[serde(
        default,
        rename(deserialize = "suspendCount"),
        skip_serializing_if = "Option::is_none"
    )]
    pub suspend_count: Option<u64>,
    /// `donatingPids`: processes donating importance (priority) to this one.
    #[serde(
        default,
        rename(deserialize = "donatingPids"),
        skip_serializing_if = "Vec::is_empty"
    )]
    pub donating_pids: Vec<i64>,
    /// Keys not modelled above, verbatim (`portlabels`, `jitStartAddress`, …). Read apart from
    /// the known keys (`crate::full`): a derived reader would buffer the whole process as a
    /// generic tree first.
    #[serde(flatten, skip_deserializing)]
    pub other: BTreeMap<String, RawJson>,
}

/// One thread of a stackshot process (`threadById` entry).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Thread {
    /// Thread id (the `tid` of the panic text's `Panicked thread` line).
    #[serde(default)]
    pub id: u64,
    /// Thread name, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `TH_WAIT`, `TH_UNINT`, `TH_RUN`, `TH_IDLE`…
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub state: Vec<String>,
    /// From the process's `waitInfo` ("thread T: …"), text after the thread id.
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub wait_info: Option<String>,
    /// `kernelFrames`: kernel stack, innermost first.
    #[serde(
        default,
        rename(deserialize = "kernelFrames"),
        skip_serializing_if = "Vec::is_empty"
    )]
    pub kernel_frames: Vec<StackFrame>,
    /// `userFrames`: user-space stack, innermost first.
    #[serde(
        default,
        rename(deserialize = "userFrames"),
        skip_serializing_if = "Vec::is_empty"
    )]
    pub user_frames: Vec<StackFrame>,
    /// Parked threads: the continuation function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation: Option<StackFrame>,
    /// `waitEvent`: the event (kernel address) the thread waits on, as a frame.
    #[serde(
        default,
        rename(deserialize = "waitEvent"),
        skip_serializing_if = "Option::is_none"
    )]
    pub wait_event: Option<StackFrame>,
    /// `schedFlags`: scheduler flags by name.
    #[serde(
        default,
        rename(deserialize = "schedFlags"),
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sched_flags: Vec<String>,
    /// `snapshotFlags`: stackshot thread flags by name.
    #[serde(
        default,
        rename(deserialize = "snapshotFlags"),
        skip_serializing_if = "Vec::is_empty"
    )]
    pub snapshot_flags: Vec<String>,
    /// `basePriority`: the thread's base scheduling priority.
    #[serde(
        default,
        rename(deserialize = "basePriority"),
        skip_serializing_if = "Option::is_none"
    )]
    pub base_priority: Option<i64>,
    /// `schedPriority`: its current scheduling priority.
    #[serde(
        default,
        rename(deserialize = "schedPriority"),
        skip_serializing_if = "Option::is_none"
    )]
    pub sched_priority: Option<i64>,
    /// `qosEffective`: effective QoS class.
    #[serde(
        default,
        rename(deserialize = "qosEffective"),
        skip_serializing_if = "Option::is_none"
    )]
    pub qos_effective: Option<String>,
    /// `qosRequested`: requested QoS class.
    #[serde(
        default,
        rename(deserialize = "qosRequested"),
        skip_serializing_if = "Option::is_none"
    )]
    pub qos_requested: Option<String>,
    /// `qosOverride`: QoS override, when one applies.
    #[serde(
        default,
        rename(deserialize = "qosOverride"),
        skip_serializing_if = "Option::is_none"
    )]
    pub qos_override: Option<String>,
    /// Label of the dispatch queue the thread was serving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch_queue_label: Option<String>,
    /// Seconds.
    #[serde(
        default,
        rename(deserialize = "userTime"),
        skip_serializing_if = "Option::is_none"
    )]
    pub user_time: Option<f64>,
    /// Seconds.
    #[serde(
        default,
        rename(deserialize = "systemTime"),
        skip_serializing_if = "Option::is_none"
    )]
    pub system_time: Option<f64>,
    /// `user_usec`: user CPU time in microseconds, as in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_usec: Option<u64>,
    /// `system_usec`: system CPU time in microseconds, as in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_usec: Option<u64>,
    /// `lastRunTime`: when the thread last ran, as in the file.
    #[serde(
        default,
        rename(deserialize = "lastRunTime"),
        skip_serializing_if = "Option::is_none"
    )]
    pub last_run_time: Option<f64>,
    /// `lastMadeRunnableTime`: when it was last made runnable, as in the file.
    #[serde(
        default,
        rename(deserialize = "lastMadeRunnableTime"),
        skip_serializing_if = "Option::is_none"
    )]
    pub last_made_runnable_time: Option<f64>,
    /// `notice`: a remark of the stackshot writer about this thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// `exclaveScid`: the exclave scheduling context id, as printed.
    #[serde(
        default,
        rename(deserialize = "exclaveScid"),
        skip_serializing_if = "Option::is_none"
    )]
    pub exclave_scid: Option<String>,
    /// Keys not modelled above, verbatim (read like [`Process::other`]).
    #[serde(flatten, skip_deserializing)]
    pub other: BTreeMap<String, RawJson>,
}
