//! Images on the stacks: naming an image of the stackshot (the kernel, a kext of the log, or
//! its index and UUID), and the kexts whose code the threads run through.

use std::collections::{BTreeMap, HashMap};

use kpanic_report::{Spindump, StackFrame, Uuid};
use serde::Serialize;

use super::{all_threads, SymThreads};
use crate::diagnose::Ctx;
use crate::images::BinaryImageIdentity;

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
    let mut img_kexts: HashMap<u64, String> = HashMap::new();
    for (p, t) in all_threads(sd) {
        let mut seen: Vec<u64> = t
            .kernel_frames
            .iter()
            .chain(t.continuation.iter())
            .map(|f| f.image)
            .collect();
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
    img_threads
        .into_iter()
        .filter_map(|(idx, n)| {
            let img = sd.binary_images.get(usize::try_from(idx).ok()?)?;
            if !img.kind.is_kernel() {
                return None;
            }
            let bundle = match namer.ctx.images.identify(idx)? {
                BinaryImageIdentity::Kernel | BinaryImageIdentity::Kernelcache => return None,
                BinaryImageIdentity::Kext(k) => Some(k.bundle_id.clone()),
                // The symbols may know the kext (a kernelcache entry, a kext found by UUID).
                BinaryImageIdentity::Unnamed(_) => img_kexts.get(&idx).cloned(),
            };
            Some(KextImage {
                index: idx,
                uuid: img.uuid,
                bundle_id: bundle,
                threads: n,
            })
        })
        .collect()
}
