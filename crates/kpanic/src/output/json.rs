//! The JSON output: private wire types made from the typed results at the edge, as ripgrep's
//! printer does. Field names and values are the documented contract (docs/json.md,
//! docs/diagnose.md): addresses and offsets are `0x` hex strings (JSON numbers lose precision
//! above 2^53), closed sets are snake_case strings, reasons are sentences.

use kpanic_report::PanicReport;
use kpanic_symbols::atos::JsonSymbol;
use serde::Serialize;
use serde_json::Value;

use crate::diagnose::Diagnosis;
use crate::frame::Frame;
use crate::symbolicate::{
    CoreFrames, ImageMatch, ImageStatus, KeepsymsCheck, NamedFrame, PanicPathResult, Symbolication,
    ThreadFrames,
};

/// The version of the JSON documents' shape. Raised when a field changes meaning or goes away;
/// new fields do not raise it.
pub const SCHEMA_VERSION: u32 = 1;

// Documents are structs, not `json!` values: a report's unknown `.ips` keys are kept as raw
// JSON text, and a generic value tree of them would cost many times the input.

/// `kpanic symbolicate --json` for one panic.
pub fn symbolicate_document<'a>(
    file: &'a str,
    report: &'a PanicReport,
    sym: &'a Symbolication,
) -> impl Serialize + 'a {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        kpanic_version: &'static str,
        file: &'a str,
        report: &'a PanicReport,
        symbolication: JsonSymbolication<'a>,
    }
    Doc {
        schema_version: SCHEMA_VERSION,
        kpanic_version: KPANIC_VERSION,
        file,
        report,
        symbolication: sym.into(),
    }
}

/// `kpanic diagnose --json` for one panic.
pub fn diagnose_document<'a>(file: &'a str, diagnosis: &'a Diagnosis) -> impl Serialize + 'a {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        kpanic_version: &'static str,
        file: &'a str,
        diagnosis: &'a Diagnosis,
    }
    Doc {
        schema_version: SCHEMA_VERSION,
        kpanic_version: KPANIC_VERSION,
        file,
        diagnosis,
    }
}

/// `kpanic parse --json` for one panic: the report itself, with the version fields.
pub fn parse_document(report: &PanicReport) -> impl Serialize + '_ {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        kpanic_version: &'static str,
        #[serde(flatten)]
        report: &'a PanicReport,
    }
    Doc {
        schema_version: SCHEMA_VERSION,
        kpanic_version: KPANIC_VERSION,
        report,
    }
}

const KPANIC_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One frame as DESIGN.md §3 documents it.
#[derive(Serialize)]
struct JsonFrame<'a> {
    address: String,
    kind: kpanic_common::AddrKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    frame: Option<[u64; 2]>,
    image: Option<&'a str>,
    image_offset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_segment: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    symbol_address: Option<String>,
    symbols: Vec<JsonSymbol>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unresolved_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caveat: Option<String>,
}

impl<'a> From<&'a Frame> for JsonFrame<'a> {
    fn from(f: &'a Frame) -> Self {
        JsonFrame {
            address: super::address(f),
            kind: f.kind,
            frame: f.frame,
            image: f.image.as_deref(),
            image_offset: f
                .placement
                .filter(|p| p.anchor.has_image_offset())
                .map(|p| format!("{:#x}", p.offset)),
            image_segment: f.placement.map(|p| p.anchor.name()),
            symbol_address: f.symbol_address.map(|a| a.to_string()),
            symbols: f.symbol_frames().iter().map(JsonSymbol::from).collect(),
            unresolved_reason: f.unresolved().map(|u| u.to_string()),
            caveat: f.caveat.as_ref().map(|c| c.to_string()),
        }
    }
}

#[derive(Serialize)]
struct JsonNamedFrame<'a> {
    name: &'a str,
    #[serde(flatten)]
    frame: JsonFrame<'a>,
}

impl<'a> From<&'a NamedFrame> for JsonNamedFrame<'a> {
    fn from(r: &'a NamedFrame) -> Self {
        JsonNamedFrame {
            name: r.name.as_str(),
            frame: (&r.frame).into(),
        }
    }
}

#[derive(Serialize)]
struct JsonCore<'a> {
    core: u32,
    pc: JsonFrame<'a>,
    lr: JsonFrame<'a>,
    line: usize,
}

impl<'a> From<&'a CoreFrames> for JsonCore<'a> {
    fn from(c: &'a CoreFrames) -> Self {
        JsonCore {
            core: c.core,
            pc: (&c.pc).into(),
            lr: (&c.lr).into(),
            line: c.line,
        }
    }
}

#[derive(Serialize)]
struct JsonThread<'a> {
    pid: i64,
    process: &'a str,
    tid: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    panicked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    continuation: Option<JsonFrame<'a>>,
    kernel_frames: Vec<JsonFrame<'a>>,
}

impl<'a> From<&'a ThreadFrames> for JsonThread<'a> {
    fn from(t: &'a ThreadFrames) -> Self {
        JsonThread {
            pid: t.pid,
            process: &t.process,
            tid: t.tid,
            name: t.name.as_deref(),
            panicked: t.panicked,
            continuation: t.continuation.as_ref().map(JsonFrame::from),
            kernel_frames: t.kernel_frames.iter().map(JsonFrame::from).collect(),
        }
    }
}

#[derive(Serialize)]
struct JsonImage<'a> {
    image: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<String>,
    path: Option<String>,
    status: ImageStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    debug_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    frames: usize,
}

impl<'a> From<&'a ImageMatch> for JsonImage<'a> {
    fn from(i: &'a ImageMatch) -> Self {
        let (path, debug_info, reason) = match &i.symbols {
            Ok(f) => (
                Some(f.path.display().to_string()),
                f.debug_info.as_ref().map(|p| p.display().to_string()),
                f.note.as_ref().map(|n| n.to_string()),
            ),
            Err(why) => (None, None, Some(why.to_string())),
        };
        JsonImage {
            image: &i.image,
            uuid: i.uuid.map(|u| u.to_string()),
            path,
            status: i.status(),
            debug_info,
            reason,
            frames: i.frames,
        }
    }
}

#[derive(Serialize)]
struct JsonPanicPath<'a> {
    result: PanicPathResult,
    matched: &'a [String],
}

#[derive(Serialize)]
struct JsonDisagreement<'a> {
    address: String,
    log: &'a str,
    kpanic: &'a str,
}

#[derive(Serialize)]
struct JsonKeepsyms<'a> {
    compared: usize,
    agreed: usize,
    disagreed: Vec<JsonDisagreement<'a>>,
}

impl<'a> From<&'a KeepsymsCheck> for JsonKeepsyms<'a> {
    fn from(k: &'a KeepsymsCheck) -> Self {
        JsonKeepsyms {
            compared: k.compared,
            agreed: k.agreed,
            disagreed: k
                .disagreed
                .iter()
                .map(|d| JsonDisagreement {
                    address: d.address.map_or_else(|| "?".to_string(), |a| a.to_string()),
                    log: &d.log,
                    kpanic: &d.kpanic,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    frames: usize,
    resolved: usize,
    panic_path: JsonPanicPath<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keepsyms: Option<JsonKeepsyms<'a>>,
}

#[derive(Serialize)]
struct JsonSymbolication<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    caller: Option<JsonFrame<'a>>,
    registers: Vec<JsonNamedFrame<'a>>,
    cores: Vec<JsonCore<'a>>,
    backtrace: Vec<JsonFrame<'a>>,
    threads: Vec<JsonThread<'a>>,
    images: Vec<JsonImage<'a>>,
    summary: JsonSummary<'a>,
    warnings: &'a [String],
    symbol_source_warnings: &'a [String],
}

impl<'a> From<&'a Symbolication> for JsonSymbolication<'a> {
    fn from(s: &'a Symbolication) -> Self {
        JsonSymbolication {
            caller: s.caller.as_ref().map(JsonFrame::from),
            registers: s.registers.iter().map(JsonNamedFrame::from).collect(),
            cores: s.cores.iter().map(JsonCore::from).collect(),
            backtrace: s.backtrace.iter().map(JsonFrame::from).collect(),
            threads: s.threads.iter().map(JsonThread::from).collect(),
            images: s.images.iter().map(JsonImage::from).collect(),
            summary: JsonSummary {
                frames: s.summary.frames,
                resolved: s.summary.resolved,
                panic_path: JsonPanicPath {
                    result: s.summary.panic_path.result,
                    matched: &s.summary.panic_path.matched,
                },
                keepsyms: s.summary.keepsyms.as_ref().map(JsonKeepsyms::from),
            },
            warnings: &s.warnings,
            symbol_source_warnings: &s.symbol_source_warnings,
        }
    }
}

/// One frame as JSON (for tools that print single frames, and tests).
pub fn frame_json(f: &Frame) -> Value {
    serde_json::to_value(JsonFrame::from(f)).unwrap_or(Value::Null)
}
