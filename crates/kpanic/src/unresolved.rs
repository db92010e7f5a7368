//! Why a frame has no symbols, why an image has none, and why a resolved frame may still be off:
//! closed sets, so that callers branch on variants and renderers alone choose the words.
//!
//! The messages are the ones `unresolved_reason`, the image summary and `caveat` print
//! (docs/json.md); they are part of the output contract.

use std::path::PathBuf;
use std::sync::Arc;

use kpanic_common::{Arch, RuntimeAddr, Uuid};

/// Why a frame has no symbols.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Unresolved {
    /// The address is 0.
    #[error("null address")]
    NullAddress,
    /// A user-space address; kpanic symbolicates kernel images.
    #[error("user-space address (kpanic symbolicates kernel images)")]
    UserSpace,
    /// arm64: below the kernel's text exec base and in no kext of the backtrace.
    #[error("below Kernel text exec base {base} and in no kext of the backtrace")]
    BelowTextExecBase {
        /// The log's `Kernel text exec base`.
        base: RuntimeAddr,
    },
    /// arm64: neither `Kernel slide` nor `Kernel text exec base` in the log.
    #[error("the log has no Kernel slide or text exec base line")]
    NoSlideOrTextExecBase,
    /// Intel: no `Kernel slide` in the log.
    #[error("the log has no Kernel slide line")]
    NoKernelSlide,
    /// A `[imageIndex, offset]` frame in a panic without `binaryImages`.
    #[error("no binaryImages in this panic")]
    NoBinaryImages,
    /// A `[imageIndex, offset]` frame whose index is past the table.
    #[error("image index {index} is past the {count} binaryImages")]
    ImageIndexPastEnd {
        /// The frame's image index.
        index: u64,
        /// How many `binaryImages` the panic has.
        count: usize,
    },
    /// `[A, 0]`: the end of a stack.
    #[error("end of stack ([A, 0])")]
    EndOfStack,
    /// An `A` (absolute) frame outside every image.
    #[error("absolute address outside every image")]
    AbsoluteOutsideImages,
    /// A user-space image of a full panic (`P`, `S`, `C`).
    #[error("user-space image {letter} ({})", uuid.map_or_else(|| "no UUID".to_string(), |u| u.to_string()))]
    UserImage {
        /// The image letter.
        letter: String,
        /// The image's UUID.
        uuid: Option<Uuid>,
    },
    /// A JIT region (`J`).
    #[error("JIT region")]
    Jit,
    /// An image letter kpanic does not know.
    #[error("image letter {0:?} is not known")]
    UnknownImageLetter(String),
    /// The image has no usable symbols. The frame says so briefly; why is said once, with the
    /// image (`images[].reason`, the image summary).
    #[error("no symbols{}", .0.frame_note())]
    NoSymbols(Unavailable),
    /// The symbol file lacks the segment the placement counts from.
    #[error("{image} has no {segment} segment")]
    NoSegment {
        /// The image's name.
        image: String,
        /// The segment.
        segment: &'static str,
    },
    /// A code address that lands in a segment without code: a wrong mapping, not a frame.
    #[error("{addr:#x} lands in {segment} of {image}, which holds no code")]
    DataSegment {
        /// The symbol-file address.
        addr: u64,
        /// The segment it lands in.
        segment: String,
        /// The image's name.
        image: String,
    },
    /// No fileset entry of the kernelcache maps the address.
    #[error("no entry of the kernelcache maps {vm:#x}")]
    NoKernelcacheEntry {
        /// The kernelcache vmaddr.
        vm: u64,
    },
    /// The fileset entry has no segment that maps the address.
    #[error("no segment of {entry} maps {vm:#x}")]
    NoKernelcacheSegment {
        /// The fileset entry id.
        entry: String,
        /// The kernelcache vmaddr.
        vm: u64,
    },
    /// The image's symbol file has fewer segments of that name than the kernelcache entry.
    #[error("{image} has no segment {segment} #{nth}")]
    NoNthSegment {
        /// The image's name.
        image: String,
        /// The segment name.
        segment: String,
        /// Which of the segments of that name.
        nth: usize,
    },
    /// The symbol file's own answer (a DWARF error, an address outside its text).
    #[error("{0}")]
    Lookup(String),
    /// The symbol file has nothing at the address.
    #[error("no symbol covers the address")]
    NoSymbol,
}

/// Why an image has no usable symbol file.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Unavailable {
    /// No symbol source was given at all.
    #[error("no symbols for the kernel")]
    NoSourcesForKernel,
    /// No KDK or `--symbols` file holds the panic's kernel.
    #[error("no symbols for the kernel{}{}", kernel_detail(name.as_deref(), *uuid), store_note(*stores_asked))]
    NoKernel {
        /// The KDK kernel file name (`kernel.release.t8112`).
        name: Option<String>,
        /// The panic's kernel UUID.
        uuid: Option<Uuid>,
        /// Symbol stores were asked for the UUID too.
        stores_asked: bool,
    },
    /// KDK kernels of the right name, none with the panic's UUID.
    #[error("UUID mismatch: the panic's kernel is {}, but {}",
        uuid.map(|u| u.to_string()).unwrap_or_default(),
        found.iter().map(|(p, have)| format!("{} has UUID {}", p.display(), uuids(have))).collect::<Vec<_>>().join("; "))]
    KernelUuidMismatch {
        /// The panic's kernel UUID.
        uuid: Option<Uuid>,
        /// Each kernel looked at, with its UUIDs.
        found: Vec<(PathBuf, Vec<Uuid>)>,
    },
    /// The KDK's kext of that bundle id has another UUID.
    #[error("UUID mismatch: the panic's {bundle_id} is {}, {} is {}",
        uuid.map(|u| u.to_string()).unwrap_or_default(), path.display(), uuids(have))]
    KextUuidMismatch {
        /// The kext's bundle id.
        bundle_id: String,
        /// The panic's UUID for it.
        uuid: Option<Uuid>,
        /// The KDK binary looked at.
        path: PathBuf,
        /// Its UUIDs.
        have: Vec<Uuid>,
    },
    /// No symbols for a kext.
    #[error("no symbols for {bundle_id}{}{}", uuid.map(|u| format!(" (UUID {u})")).unwrap_or_default(), store_note(*stores_asked))]
    NoKext {
        /// The kext's bundle id.
        bundle_id: String,
        /// Its UUID, when the log gives one.
        uuid: Option<Uuid>,
        /// Symbol stores were asked for the UUID too.
        stores_asked: bool,
    },
    /// No symbols for a full panic's image.
    #[error("no symbols for image {index} (UUID {uuid}){}", store_note(*stores_asked))]
    NoImage {
        /// The `binaryImages` index.
        index: u64,
        /// Its UUID.
        uuid: Uuid,
        /// Symbol stores were asked for the UUID too.
        stores_asked: bool,
    },
    /// A full panic's image without a UUID.
    #[error("image {index} has no UUID")]
    ImageWithoutUuid {
        /// The `binaryImages` index.
        index: u64,
    },
    /// The symbol file could not be opened or read.
    #[error("{0}")]
    Open(Arc<kpanic_symbols::Error>),
    /// The symbol file is neither arm64 nor x86_64.
    #[error("{} is not arm64 or x86_64", path.display())]
    UnsupportedArch {
        /// The symbol file.
        path: PathBuf,
    },
    /// The symbol file is of the other architecture than the panic.
    #[error("wrong architecture: {} is {have:?}, the panic is {want}", path.display())]
    WrongArch {
        /// The symbol file.
        path: PathBuf,
        /// Its architecture.
        have: Arch,
        /// The panic's.
        want: Arch,
    },
}

impl Unavailable {
    /// True when a symbol file was found but belongs to another build.
    pub fn is_uuid_mismatch(&self) -> bool {
        matches!(
            self,
            Unavailable::KernelUuidMismatch { .. } | Unavailable::KextUuidMismatch { .. }
        )
    }
}

impl Unavailable {
    /// What a frame of the image says after "no symbols": the kind of problem, in a few words.
    pub(crate) fn frame_note(&self) -> &'static str {
        match self {
            Unavailable::KernelUuidMismatch { .. } | Unavailable::KextUuidMismatch { .. } => {
                ": UUID mismatch"
            }
            Unavailable::UnsupportedArch { .. } | Unavailable::WrongArch { .. } => {
                ": wrong architecture"
            }
            Unavailable::Open(_) => ": the symbol file could not be read",
            Unavailable::NoKernel {
                stores_asked: true, ..
            }
            | Unavailable::NoKext {
                stores_asked: true, ..
            }
            | Unavailable::NoImage {
                stores_asked: true, ..
            } => ": not in any symbol store",
            _ => "",
        }
    }
}

/// The end of a "no symbols" message when symbol stores were asked as well.
fn store_note(asked: bool) -> &'static str {
    if asked {
        "; not in any symbol store"
    } else {
        ""
    }
}

fn kernel_detail(name: Option<&str>, uuid: Option<Uuid>) -> String {
    match (name, uuid) {
        (Some(name), Some(u)) => format!(" ({name}, UUID {u})"),
        (Some(name), None) => format!(" ({name})"),
        (None, Some(u)) => format!(" (UUID {u})"),
        (None, None) => " (the log names neither variant nor UUID)".to_string(),
    }
}

fn uuids(have: &[Uuid]) -> String {
    if have.is_empty() {
        return "no UUID (not a readable Mach-O)".to_string();
    }
    have.iter()
        .map(|u| u.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a resolved frame may still be off.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Caveat {
    /// arm64 kernel address mapped by `Kernel slide` alone: the boot kernelcache moves segments.
    #[error("mapped by Kernel slide alone (no Kernel text exec base in the log): may be off")]
    SlideOnly,
    /// A U-image address mapped onto the kernel without its kernelcache.
    #[error("a U-image address mapped onto the kernel without its kernelcache: may be off")]
    UImageWithoutKernelcache,
    /// The kernel's segments after the first `__TEXT_EXEC` do not keep their distance to it in
    /// the boot kernelcache.
    #[error(
        "outside the first {anchor} (in {landed}): the boot kernelcache may place it differently; \
         give --kernelcache for an exact mapping"
    )]
    OutsideAnchor {
        /// The segment the placement counts from.
        anchor: &'static str,
        /// The segment the address landed in (`no segment` when none).
        landed: String,
    },
}
