//! How a symbolicated frame is named in a report: its function when symbols answered,
//! `image+offset` when the frame was placed in an image, the stackshot's `[index, offset]` or
//! the bare address otherwise.

use kpanic::Frame;

/// The short name of a frame: `function`, `image+0x1c4`, `[3, 0x1c4]` or the address.
pub(crate) fn frame_label(f: &Frame) -> String {
    if let Some(func) = f.function() {
        return func.to_string();
    }
    image_offset(f).unwrap_or_else(|| match f.frame {
        Some([i, o]) => format!("[{i}, {o:#x}]"),
        None => address(f),
    })
}

/// [`frame_label`] made short for a small box: the kernel as `kernel`, a kext by the last
/// part of its bundle id (`RTBuddy+0x27be4`); functions stay whole.
pub(crate) fn short_label(f: &Frame) -> String {
    if f.function().is_some() {
        return frame_label(f);
    }
    match (&f.image, f.placement) {
        (Some(img), Some(p)) if p.anchor.has_image_offset() => {
            let short = if img.starts_with("kernel") {
                "kernel"
            } else {
                img.rsplit('.').next().unwrap_or(img)
            };
            format!("{short}+{:#x}", p.offset)
        }
        _ => frame_label(f),
    }
}

/// `image+0x1c4` when the frame was placed at an offset of a segment of its image.
pub(crate) fn image_offset(f: &Frame) -> Option<String> {
    let img = f.image.as_ref()?;
    let p = f.placement?;
    p.anchor
        .has_image_offset()
        .then(|| format!("{img}+{:#x}", p.offset))
}

/// The runtime address as printed, or `?` for a stackshot frame whose slide is unknown.
pub(crate) fn address(f: &Frame) -> String {
    f.address.map_or_else(|| "?".to_string(), |a| a.to_string())
}

/// `file.c:12` of the innermost symbol, when it has one.
pub(crate) fn file_line(f: &Frame) -> Option<String> {
    let s = f.symbol_frames().first()?;
    let file = s.file.as_deref()?;
    let base = file.rsplit('/').next().unwrap_or(file);
    Some(match s.line {
        Some(l) => format!("{base}:{l}"),
        None => base.to_string(),
    })
}

/// Why the frame has no symbols, when it has none.
pub(crate) fn unresolved_reason(f: &Frame) -> Option<String> {
    f.unresolved().map(|u| u.to_string())
}

/// The inlined calls of a resolved frame, innermost first: `(function, file:line)`.
pub(crate) fn inlined(f: &Frame) -> Vec<(String, Option<String>)> {
    let symbols = f.symbol_frames();
    symbols
        .iter()
        .take(symbols.len().saturating_sub(1))
        .map(|s| {
            let func = s.function.clone().unwrap_or_else(|| "??".into());
            let loc = s.file.as_deref().map(|file| {
                let base = file.rsplit('/').next().unwrap_or(file);
                match s.line {
                    Some(l) => format!("{base}:{l}"),
                    None => base.to_string(),
                }
            });
            (func, loc)
        })
        .collect()
}
