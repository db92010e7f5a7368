//! Matching the panic's images to symbol files, once each, and reporting what was found.

use super::{DsymNote, ImageMatch, ImageState, SymbolFile, Symbolicator};
use crate::library::{Symbols, Unavailable};
use crate::place::ImageKey;

impl Symbolicator<'_> {
    pub(super) fn image(&mut self, key: &ImageKey) -> &mut ImageState {
        if !self.images.contains_key(key) {
            let state = self.open_image(key);
            self.images.insert(key.clone(), state);
        }
        self.images.get_mut(key).expect("just inserted")
    }

    pub(super) fn open_image(&self, key: &ImageKey) -> ImageState {
        let mut state = self.open_image_unchecked(key);
        if let Ok(sym) = &state.symbols {
            if let Some(why) = self.arch_mismatch(sym) {
                state.symbols = Err(why);
            }
        }
        state
    }

    /// Symbols of the other architecture than the panic's never answer, whatever their UUID.
    pub(super) fn arch_mismatch(&self, sym: &Symbols) -> Option<Unavailable> {
        let have = sym.arch();
        if !have.is_arm64() && !have.is_x86_64() {
            return Some(Unavailable::UnsupportedArch {
                path: sym.path().to_path_buf(),
            });
        }
        let want = self.report.arch?;
        (!have.same_family(want)).then(|| Unavailable::WrongArch {
            path: sym.path().to_path_buf(),
            have,
            want,
        })
    }

    pub(super) fn open_image_unchecked(&self, key: &ImageKey) -> ImageState {
        let r = self.report;
        match key {
            ImageKey::Kernel => {
                let variant = r
                    .system
                    .kernel_variant
                    .as_ref()
                    .map(|v| v.kdk_kernel_name());
                let symbols = self.lib.kernel(
                    self.placer.kernel_uuid(),
                    variant.as_deref(),
                    r.system.os_build.as_deref(),
                );
                let name = symbols
                    .as_ref()
                    .map(|s| s.image_name().to_string())
                    .unwrap_or_else(|_| variant.unwrap_or_else(|| "kernel".into()));
                ImageState {
                    name,
                    uuid: self.placer.kernel_uuid(),
                    symbols,
                    frames: 0,
                }
            }
            ImageKey::Kext { bundle_id, uuid } => ImageState {
                name: bundle_id.clone(),
                uuid: *uuid,
                symbols: self.lib.kext(bundle_id, *uuid),
                frames: 0,
            },
            ImageKey::Image { index, uuid } => {
                // A kext of the backtrace with this UUID gives the image its bundle id.
                let bundle = uuid
                    .and_then(|u| self.placer.table().kext_by_uuid(u))
                    .map(|k| k.bundle_id.clone());
                let symbols = match uuid {
                    Some(u) => self.lib.by_uuid(*u).unwrap_or(Err(Unavailable::NoImage {
                        index: *index,
                        uuid: *u,
                        stores_asked: self.lib.has_stores(),
                    })),
                    None => Err(Unavailable::ImageWithoutUuid { index: *index }),
                };
                let name = bundle
                    .or_else(|| symbols.as_ref().ok().map(|s| s.image_name().to_string()))
                    .unwrap_or_else(|| format!("image {index}"));
                ImageState {
                    name,
                    uuid: *uuid,
                    symbols,
                    frames: 0,
                }
            }
        }
    }

    /// One entry per image. A kext that the backtrace names by bundle id and a full panic's
    /// stackshot by image index is one image (one UUID): its frames are added up, under its
    /// bundle id. An image opened only on the way to another (a `U` kernelcache image whose
    /// frames go to the kernel) counted no frame and is left out; the kernel never is.
    pub(super) fn image_matches(&self) -> Vec<ImageMatch> {
        let mut out: Vec<ImageMatch> = Vec::new();
        for (key, s) in &self.images {
            if s.frames == 0 && *key != ImageKey::Kernel {
                continue;
            }
            let kernel_not_found = *key == ImageKey::Kernel
                && matches!(
                    s.symbols,
                    Err(Unavailable::NoKernel { .. } | Unavailable::KernelUuidMismatch { .. })
                );
            let m = ImageMatch {
                image: s.name.clone(),
                uuid: s.uuid,
                symbols: s.symbols.as_ref().map(symbol_file).map_err(Clone::clone),
                frames: s.frames,
                kdks_without_it: if kernel_not_found {
                    self.lib.kdk_kernels().to_vec()
                } else {
                    Vec::new()
                },
            };
            let same = m
                .uuid
                .and_then(|u| out.iter_mut().find(|o| o.uuid == Some(u)));
            match same {
                Some(o) => merge(o, m),
                None => out.push(m),
            }
        }
        out
    }
}

/// `b` into `a`, both the same image: the frames add up; a name and symbols win over none.
fn merge(a: &mut ImageMatch, b: ImageMatch) {
    a.frames += b.frames;
    let unnamed = |m: &ImageMatch| m.image.starts_with("image ");
    if unnamed(a) && !unnamed(&b) {
        a.image = b.image;
    }
    if a.symbols.is_err() && b.symbols.is_ok() {
        a.symbols = b.symbols;
    }
}

fn symbol_file(sym: &Symbols) -> SymbolFile {
    use kpanic_symbols::DsymStatus;
    SymbolFile {
        path: sym.path().to_path_buf(),
        debug_info: sym.debug_path().map(|p| p.to_path_buf()),
        note: match sym.dsym_status() {
            DsymStatus::UuidMismatch { path, dsym, .. } => Some(DsymNote::Mismatch {
                path: path.clone(),
                dsym: dsym.clone(),
            }),
            DsymStatus::Missing if !sym.has_dwarf() => Some(DsymNote::Missing),
            _ => None,
        },
    }
}
