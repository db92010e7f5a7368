//! The symbolicated frame: what every frame of every output carries (DESIGN.md §3), typed. The
//! JSON form (hex strings, `unresolved_reason`) is made by [`crate::output`].

use kpanic_common::{AddrKind, RuntimeAddr, SymbolAddr};
use kpanic_symbols::SymFrame;

use crate::place::Anchor;
use crate::unresolved::{Caveat, Unresolved};

/// Where a frame's address was placed: an offset from an anchor of its image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FramePlacement {
    /// What the offset counts from.
    pub anchor: Anchor,
    /// The offset (for [`Anchor::SymbolFile`] and [`Anchor::Kernelcache`], the address in that
    /// space itself).
    pub offset: u64,
}

/// One symbolicated address. Every frame that comes in goes out: one without symbols keeps its
/// address and says why.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The address as the log prints it (PAC bits included); for a full panic's
    /// `[imageIndex, offset]` frame, the runtime address it stands for when the slide is known.
    pub address: Option<RuntimeAddr>,
    /// Pc or return address: how the address is looked up.
    pub kind: AddrKind,
    /// Full panics: the `[imageIndex, offset]` pair as written.
    pub frame: Option<[u64; 2]>,
    /// Bundle id, kernel file name or image name; `None` when no image covers the address.
    pub image: Option<String>,
    /// The bundle id of the kext the address is in, when placement or the symbols say so.
    pub kext: Option<String>,
    /// Where the address sits in its image, when it was placed.
    pub placement: Option<FramePlacement>,
    /// The address looked up in the symbol file's own space (before the −1 of a return
    /// address).
    pub symbol_address: Option<SymbolAddr>,
    /// Innermost first; the last entry is the function that owns the address.
    pub symbols: Result<Vec<SymFrame>, Unresolved>,
    /// Why a resolved frame may still be off (e.g. mapped by slide alone).
    pub caveat: Option<Caveat>,
}

impl Frame {
    /// A frame with nothing known beyond its address yet.
    pub fn new(address: Option<RuntimeAddr>, kind: AddrKind, why: Unresolved) -> Frame {
        Frame {
            address,
            kind,
            frame: None,
            image: None,
            kext: None,
            placement: None,
            symbol_address: None,
            symbols: Err(why),
            caveat: None,
        }
    }

    /// True when at least one symbol answered.
    pub fn is_resolved(&self) -> bool {
        self.symbols.as_ref().is_ok_and(|s| !s.is_empty())
    }

    /// The symbols, innermost first (empty when unresolved).
    pub fn symbol_frames(&self) -> &[SymFrame] {
        self.symbols.as_deref().unwrap_or_default()
    }

    /// Why the frame has no symbols.
    pub fn unresolved(&self) -> Option<&Unresolved> {
        self.symbols.as_ref().err()
    }

    /// The owning function (outermost symbol), if resolved.
    pub fn function(&self) -> Option<&str> {
        self.symbol_frames().last()?.function.as_deref()
    }

    /// `func + 0x1c (in image) (file.c:12)` for the owning function with the innermost location,
    /// or `?? in image at segment + offset: why`; the inlined frames are given by
    /// [`Frame::inlined`].
    pub fn describe(&self) -> String {
        let Some(outer) = self.symbol_frames().last() else {
            let why = self
                .unresolved()
                .map_or_else(|| "unresolved".to_string(), |u| u.to_string());
            return match (&self.image, self.placement) {
                (Some(img), Some(p)) if p.anchor.has_image_offset() => {
                    format!(
                        "?? in {img} at {} + {:#x}: {why}",
                        p.anchor.name(),
                        p.offset
                    )
                }
                _ => format!("??: {why}"),
            };
        };
        let mut s = outer.function.clone().unwrap_or_else(|| "??".into());
        if let Some(off) = outer.symbol_offset {
            s.push_str(&format!(" + {off:#x}"));
        }
        if let Some(img) = &self.image {
            s.push_str(&format!(" (in {img})"));
        }
        if let (Some(file), Some(line)) = (&outer.file, outer.line) {
            s.push_str(&format!(" ({}:{line})", base_name(file)));
        }
        s
    }

    /// The inlined frames, innermost first, as `inlined fx_inner (fx.h:9)`.
    pub fn inlined(&self) -> Vec<String> {
        let symbols = self.symbol_frames();
        symbols
            .iter()
            .take(symbols.len().saturating_sub(1))
            .map(|s| {
                let mut out = format!("inlined {}", s.function.as_deref().unwrap_or("??"));
                if let (Some(file), Some(line)) = (&s.file, s.line) {
                    out.push_str(&format!(" ({}:{line})", base_name(file)));
                }
                out
            })
            .collect()
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
