//! Images on the stacks: naming an image of the stackshot (the kernel, a kext of the log, or
//! its index and UUID), and the kexts whose code the threads run through.

use std::collections::{BTreeMap, HashMap};

use kpanic_report::{ImageKind, Spindump, StackFrame, Uuid};
use serde::Serialize;

use super::{all_threads, SymThreads};
use crate::diagnose::Ctx;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct KextImage {
    /// Index in `binaryImages`.
    pub index: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Uuid>,
    /// Bundle id, when the UUID matches a kext of the log (or the symbols named it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    /// Threads with a frame or continuation in it.
    pub threads: usize,
}

/// Names images by UUID: the kernel, and the kexts (with dependencies) the log lists.
pub(super) struct Namer<'a> {
    ctx: &'a Ctx<'a>,
    kernel_uuid: Option<Uuid>,
    by_uuid: HashMap<Uuid, String>,
}

impl<'a> Namer<'a> {
    pub(super) fn new(ctx: &'a Ctx<'a>) -> Self {
        let r = ctx.report;
        let mut by_uuid = HashMap::new();
        for k in &r.kexts_in_backtrace {
            for k in std::iter::once(&k.kext).chain(&k.dependencies) {
                if let Some(u) = &k.uuid {
                    by_uuid.insert(*u, k.bundle_id.clone());
                }
            }
        }
        Namer {
            ctx,
            kernel_uuid: r.system.kernel_uuid,
            by_uuid,
        }
    }

    /// `kernel`, a bundle id, or `image #N (uuid…)`.
    pub(super) fn image(&self, idx: u64) -> String {
        let Some(sd) = self.ctx.report.spindump.as_ref() else {
            return format!("image #{idx}");
        };
        let Some(img) = sd.binary_images.get(idx as usize) else {
            return format!("image #{idx}");
        };
        if img.uuid.is_some() && img.uuid == self.kernel_uuid {
            return "kernel".into();
        }
        if let Some(b) = img.uuid.and_then(|u| self.by_uuid.get(&u)) {
            return b.clone();
        }
        if img.kind == ImageKind::Kernelcache {
            return "kernelcache".into();
        }
        match img.uuid {
            Some(u) => format!(
                "image #{idx} ({})",
                u.to_string()
                    .to_ascii_lowercase()
                    .get(..8)
                    .unwrap_or_default()
            ),
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
    let mut img_names: HashMap<u64, String> = HashMap::new();
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
                if let (Some([i, _]), Some(img)) = (f.frame, &f.image) {
                    img_names.entry(i).or_insert_with(|| img.clone());
                }
            }
        }
    }
    img_threads
        .into_iter()
        .filter_map(|(idx, n)| {
            let img = sd.binary_images.get(idx as usize)?;
            if !img.kind.is_kernel() {
                return None;
            }
            let name = namer.image(idx);
            if name == "kernel" || name == "kernelcache" {
                return None;
            }
            let bundle = img
                .uuid
                .and_then(|u| namer.by_uuid.get(&u))
                .cloned()
                .or_else(|| {
                    img_names
                        .get(&idx)
                        .filter(|n| n.contains('.') && !n.starts_with("kernel"))
                        .cloned()
                });
            Some(KextImage {
                index: idx,
                uuid: img.uuid,
                bundle_id: bundle,
                threads: n,
            })
        })
        .collect()
}
