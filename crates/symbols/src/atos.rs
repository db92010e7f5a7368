//! atos-style rendering of a [`Lookup`]: the text lines Apple's `atos` prints, and the JSON
//! frame object of kpanic's documented output.

use crate::lookup::{Lookup, LookupSource, SymFrame};
use serde::Serialize;

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// How atos lines are written: its `-i` and `-fullPath`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AtosStyle {
    /// One line per inlined frame, innermost first (atos `-i`).
    pub inlines: bool,
    /// Source files as DWARF names them, not their base names (atos `-fullPath`).
    pub full_path: bool,
}

fn describe(
    function: Option<&str>,
    image: &str,
    loc: Option<&SymFrame>,
    style: AtosStyle,
) -> String {
    let func = function.unwrap_or("??");
    let file = |f: &str| if style.full_path { f } else { basename(f) }.to_string();
    match loc.and_then(|f| Some((f.file.as_deref()?, f.line))) {
        Some((f, Some(line))) => format!("{func} (in {image}) ({}:{line})", file(f)),
        Some((f, None)) => format!("{func} (in {image}) ({})", file(f)),
        None => format!("{func} (in {image})"),
    }
}

/// The lines atos prints for one address, `input` being the address as the user wrote it:
/// - `func (in image) (file:line)` with debug info; with `style.inlines`, one line per frame,
///   innermost first; without, the owning function with the innermost file:line (as atos does);
/// - `func (in image) + off` (decimal) from the symbol table alone;
/// - the address itself when nothing is known.
pub fn atos_lines(input: &str, image: &str, lookup: &Lookup, style: AtosStyle) -> Vec<String> {
    let Some(outer) = lookup.frames.last() else {
        return vec![input.to_string()];
    };
    if lookup.source == Some(LookupSource::SymbolTable) {
        let off = outer.symbol_offset.unwrap_or(0);
        return vec![format!(
            "{} (in {image}) + {off}",
            outer.function.as_deref().unwrap_or("??")
        )];
    }
    if style.inlines {
        lookup
            .frames
            .iter()
            .map(|f| describe(f.function.as_deref(), image, Some(f), style))
            .collect()
    } else {
        vec![describe(
            outer.function.as_deref(),
            image,
            lookup.frames.first(),
            style,
        )]
    }
}

/// One symbol of a JSON frame (innermost first in `symbols`): the last is the function that
/// owns the address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Symbol")]
pub struct JsonSymbol {
    // Fields in alphabetical order: the JSON keys come out sorted (docs/json.md) when the
    // frames are written directly, without a generic tree.
    /// The column, when DWARF has one (never 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The source file (path as DWARF names it).
    pub file: Option<String>,
    /// The function, demangled; `None` when only the line table answered.
    pub function: Option<String>,
    /// The line; `None` for symbol-table answers.
    pub line: Option<u32>,
    /// Symbol-table answers: the offset from the symbol, as a hex string.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<kpanic_common::Hex>")]
    pub offset: Option<String>,
}

impl From<&SymFrame> for JsonSymbol {
    fn from(f: &SymFrame) -> Self {
        JsonSymbol {
            function: f.function.clone(),
            file: f.file.clone(),
            line: f.line,
            column: f.column,
            offset: f.symbol_offset.map(|o| format!("{o:#x}")),
        }
    }
}

/// A frame of kpanic's JSON output (DESIGN.md §3). Fields in alphabetical order, as the keys
/// are written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonFrame {
    /// The address as given.
    pub address: String,
    /// The image name (binary file name or bundle id); `None` when no image maps the address.
    pub image: Option<String>,
    /// Offset from the image's `__TEXT` load address, as a hex string.
    pub image_offset: Option<String>,
    /// Innermost first; the last one owns the address. Empty when unresolved.
    pub symbols: Vec<JsonSymbol>,
    /// Why `symbols` is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved_reason: Option<String>,
}

/// Build the JSON frame for one lookup.
pub fn json_frame(
    input: &str,
    image: Option<&str>,
    image_offset: Option<u64>,
    lookup: &Lookup,
) -> JsonFrame {
    JsonFrame {
        address: input.to_string(),
        image: image.map(str::to_string),
        image_offset: image_offset.map(|o| format!("{o:#x}")),
        symbols: lookup.frames.iter().map(JsonSymbol::from).collect(),
        unresolved_reason: lookup.unresolved_reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SymbolAddr;

    fn frame(func: &str, file: &str, line: u32) -> SymFrame {
        SymFrame {
            function: Some(func.into()),
            file: Some(file.into()),
            line: Some(line),
            column: None,
            symbol_offset: None,
        }
    }

    #[test]
    fn formats() {
        let l = Lookup {
            addr: SymbolAddr(0x614),
            frames: vec![
                frame("fx_inner", "/fixtures/src/fx.h", 9),
                frame("vm_fault", "/fixtures/src/vm_fault.c", 11),
            ],
            source: Some(LookupSource::Dwarf),
            fileset_entry: None,
            unresolved_reason: None,
        };
        let inlines = AtosStyle {
            inlines: true,
            full_path: false,
        };
        assert_eq!(
            atos_lines("0x614", "libfx.dylib", &l, inlines),
            [
                "fx_inner (in libfx.dylib) (fx.h:9)",
                "vm_fault (in libfx.dylib) (vm_fault.c:11)"
            ]
        );
        assert_eq!(
            atos_lines("0x614", "libfx.dylib", &l, AtosStyle::default()),
            ["vm_fault (in libfx.dylib) (fx.h:9)"]
        );
        let full = AtosStyle {
            inlines: false,
            full_path: true,
        };
        assert_eq!(
            atos_lines("0x614", "libfx.dylib", &l, full),
            ["vm_fault (in libfx.dylib) (/fixtures/src/fx.h:9)"]
        );
        let s = Lookup {
            frames: vec![SymFrame {
                function: Some("panic".into()),
                file: None,
                line: None,
                column: None,
                symbol_offset: Some(12),
            }],
            source: Some(LookupSource::SymbolTable),
            ..l.clone()
        };
        assert_eq!(atos_lines("0x614", "k", &s, inlines), ["panic (in k) + 12"]);
        let u = Lookup {
            frames: vec![],
            source: None,
            unresolved_reason: Some("x".into()),
            ..l
        };
        assert_eq!(atos_lines("0xDEAD", "k", &u, inlines), ["0xDEAD"]);
        let j = serde_json::to_value(json_frame("0xDEAD", Some("k"), Some(0x10), &u)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"address": "0xDEAD", "image": "k", "image_offset": "0x10", "symbols": [], "unresolved_reason": "x"})
        );
    }
}
