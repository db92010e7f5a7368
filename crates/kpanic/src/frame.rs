//! The symbolicated frame: what every frame of every output carries (DESIGN.md §3).

use kpanic_symbols::atos::JsonSymbol;
use serde::Serialize;

/// How an address is looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameKind {
    /// The instruction after a call (`lr`, a backtrace frame, `caller`): file:line and inlines
    /// are those of `address − 1`.
    ReturnAddress,
    /// The instruction itself (`pc`, `CORE n: PC`, a continuation).
    Pc,
}

impl From<FrameKind> for kpanic_symbols::AddrKind {
    fn from(k: FrameKind) -> Self {
        match k {
            FrameKind::ReturnAddress => kpanic_symbols::AddrKind::ReturnAddress,
            FrameKind::Pc => kpanic_symbols::AddrKind::Exact,
        }
    }
}

/// One symbolicated address. Every frame that comes in goes out: one without symbols keeps its
/// address and says why in `unresolved_reason`.
#[derive(Clone, Debug, Serialize)]
pub struct Frame {
    /// The address as the log prints it (PAC bits included); for a full panic's
    /// `[imageIndex, offset]` frame, the runtime address it stands for when the slide is known.
    pub address: String,
    pub kind: FrameKind,
    /// Full panics: the `[imageIndex, offset]` pair as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<[u64; 2]>,
    /// Bundle id, kernel file name or image name; null when no image covers the address.
    pub image: Option<String>,
    /// Offset from the start of `image_segment` of the image (hex).
    pub image_offset: Option<String>,
    /// The segment the offset counts from: `__TEXT_EXEC` (arm64 kernel and kexts, full-panic
    /// T images), `__TEXT` (Intel, K images), `kernelcache` (U images: a kernelcache vmaddr).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_segment: Option<String>,
    /// The address looked up in the symbol file's own space (before the −1 of a return
    /// address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol_address: Option<String>,
    /// Innermost first; the last entry is the function that owns the address.
    pub symbols: Vec<JsonSymbol>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved_reason: Option<String>,
    /// Why a resolved frame may still be off (e.g. mapped by slide alone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
}

impl Frame {
    pub fn is_resolved(&self) -> bool {
        !self.symbols.is_empty()
    }

    /// The owning function (outermost symbol), if resolved.
    pub fn function(&self) -> Option<&str> {
        self.symbols.last()?.function.as_deref()
    }

    /// `func + 0x1c (file.c:12)` style one-liner for the owning function, with the innermost
    /// location; the inlined frames are rendered by [`Frame::inlined`].
    pub fn describe(&self) -> String {
        let Some(outer) = self.symbols.last() else {
            let why = self.unresolved_reason.as_deref().unwrap_or("unresolved");
            return match (&self.image, &self.image_offset, &self.image_segment) {
                (Some(img), Some(off), Some(seg)) => format!("?? in {img} at {seg} + {off}: {why}"),
                _ => format!("??: {why}"),
            };
        };
        let mut s = outer.function.clone().unwrap_or_else(|| "??".into());
        if let Some(off) = &outer.offset {
            s.push_str(&format!(" + {off}"));
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
        let n = self.symbols.len();
        self.symbols
            .iter()
            .take(n.saturating_sub(1))
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
