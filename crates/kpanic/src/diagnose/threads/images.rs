//! Images on the stacks: naming an image of the stackshot (the kernel, a kext of the log, or
//! its index and UUID), and the kexts whose code the threads run through.
//!
//! Without symbols a full panic names a kext only when its UUID is one of "Kernel Extensions
//! in backtrace" (the loaded-kext list has no UUIDs or addresses to match an image by). An
//! image nothing names is still reported, by its UUID and where it was loaded: an Apple kext
//! and a third-party one look the same there, and dropping it would hide the one that matters.

use std::collections::{BTreeMap, HashMap};

use kpanic_common::{Hex, RuntimeAddr, UnslidAddr};
use kpanic_report::{Spindump, StackFrame, Uuid};
use serde::Serialize;

use super::{all_threads, SymThreads};
use crate::diagnose::suspects::is_third_party;
use crate::diagnose::Ctx;
use crate::images::BinaryImageIdentity;

string_enum! {
    /// What named a kext image of the stackshot.
    pub enum NameSource {
        /// The log: its UUID is one of "Kernel Extensions in backtrace".
        Log = "log",
        /// The symbols given (`--symbols`, a KDK, the kernelcache) matched its UUID.
        Symbols = "symbols",
    }
}

/// A kernel-side image other than the kernel (T/K images), with the threads that use it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct KextImage {
    /// Index in `binaryImages`.
    pub index: u64,
    /// The image's UUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Uuid>,
    /// Bundle id, when the UUID matches a kext of the log (or the symbols named it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    /// What gave the bundle id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named_by: Option<NameSource>,
    /// Not an Apple kext (by its bundle id); absent when nothing names the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub third_party: Option<bool>,
    /// Its `binaryImages` base: unslid, like every stackshot address.
    pub load_address: UnslidAddr,
    /// The same plus the KernelCache slide: where the log's runtime addresses put it (a kext's
    /// `@start` in "Kernel Extensions in backtrace").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_address: Option<RuntimeAddr>,
    /// The highest offset of a frame or continuation in it: its code reaches at least this far
    /// (the stackshot gives no image sizes).
    pub highest_offset: Hex,
    /// How the text names it: the bundle id, else `image #N [UUID] at 0x…`.
    pub label: String,
    /// Threads with a frame or continuation in it.
    pub threads: usize,
}

/// Labels images of the stackshot for the text: `kernel`, a bundle id, `kernelcache`, or
/// `image #N (uuid…)`. Which image is which comes from the panic's image table.
pub(super) struct Namer<'a> {
    ctx: &'a Ctx<'a>,
}

impl<'a> Namer<'a> {
    pub(super) fn new(ctx: &'a Ctx<'a>) -> Self {
        Namer { ctx }
    }

    /// `kernel`, a bundle id, `kernelcache` or `image #N (uuid…)`.
    pub(super) fn image(&self, idx: u64) -> String {
        match self.ctx.images.identify(idx) {
            Some(BinaryImageIdentity::Kernel) => "kernel".into(),
            Some(BinaryImageIdentity::Kext(k)) => k.bundle_id.clone(),
            Some(BinaryImageIdentity::Kernelcache) => "kernelcache".into(),
            Some(BinaryImageIdentity::Unnamed(img)) => match img.uuid {
                Some(u) => format!(
                    "image #{idx} ({})",
                    u.to_string()
                        .to_ascii_lowercase()
                        .get(..8)
                        .unwrap_or_default()
                ),
                None => format!("image #{idx}"),
            },
            None => format!("image #{idx}"),
        }
    }

    pub(super) fn frame(&self, f: &StackFrame) -> String {
        format!("{}+{:#x}", self.image(f.image), f.offset.get())
    }
}

/// Kernel-side images other than the kernel, with the number of threads whose stacks (or
/// continuations) use them.
pub(super) fn kext_images(
    sd: &Spindump,
    sym_threads: &SymThreads,
    namer: &Namer,
) -> Vec<KextImage> {
    let mut img_threads: BTreeMap<u64, usize> = BTreeMap::new();
    let mut img_highest: HashMap<u64, u64> = HashMap::new();
    let mut img_kexts: HashMap<u64, String> = HashMap::new();
    for (p, t) in all_threads(sd) {
        let mut seen: Vec<u64> = Vec::new();
        for f in t.kernel_frames.iter().chain(t.continuation.iter()) {
            seen.push(f.image);
            let h = img_highest.entry(f.image).or_default();
            *h = (*h).max(f.offset.get());
        }
        seen.sort_unstable();
        seen.dedup();
        for i in seen {
            *img_threads.entry(i).or_default() += 1;
        }
        if let Some(st) = sym_threads.get(&(p.pid, t.id)) {
            for f in st.kernel_frames.iter().chain(st.continuation.iter()) {
                if let (Some([i, _]), Some(kext)) = (f.frame, &f.kext) {
                    img_kexts.entry(i).or_insert_with(|| kext.clone());
                }
            }
        }
    }
    let slide = namer.ctx.report.kernelcache_slide();
    img_threads
        .into_iter()
        .filter_map(|(idx, n)| {
            let img = sd.binary_images.get(usize::try_from(idx).ok()?)?;
            if !img.kind.is_kernel() {
                return None;
            }
            let (bundle, named_by) = match namer.ctx.images.identify(idx)? {
                BinaryImageIdentity::Kernel | BinaryImageIdentity::Kernelcache => return None,
                BinaryImageIdentity::Kext(k) => (Some(k.bundle_id.clone()), Some(NameSource::Log)),
                // The symbols may know the kext (a kernelcache entry, a kext found by UUID).
                BinaryImageIdentity::Unnamed(_) => match img_kexts.get(&idx) {
                    Some(k) => (Some(k.clone()), Some(NameSource::Symbols)),
                    None => (None, None),
                },
            };
            let runtime_address = slide.map(|s| RuntimeAddr(img.base.get().wrapping_add(s)));
            let label = match &bundle {
                Some(b) => b.clone(),
                None => unnamed_label(idx, img.uuid, img.base, runtime_address),
            };
            Some(KextImage {
                index: idx,
                uuid: img.uuid,
                third_party: bundle.as_deref().map(is_third_party),
                bundle_id: bundle,
                named_by,
                load_address: img.base,
                runtime_address,
                highest_offset: Hex(img_highest.get(&idx).copied().unwrap_or(0)),
                label,
                threads: n,
            })
        })
        .collect()
}

/// `image #20 [UUID] at 0x… (unslid 0x…)`: all a stackshot says of an image nothing names.
fn unnamed_label(
    idx: u64,
    uuid: Option<Uuid>,
    base: UnslidAddr,
    runtime: Option<RuntimeAddr>,
) -> String {
    let uuid = uuid
        .filter(|u| !u.is_nil())
        .map(|u| format!(" [{u}]"))
        .unwrap_or_default();
    match runtime {
        Some(r) => format!("image #{idx}{uuid} at {r} (unslid {base})"),
        None => format!("image #{idx}{uuid} at {base} (unslid)"),
    }
}
