//! The JSON output: private wire types made from the typed results at the edge, as ripgrep's
//! printer does. Field names and values are the documented contract (docs/json.md,
//! docs/diagnose.md): addresses and offsets are `0x` hex strings (JSON numbers lose precision
//! above 2^53), closed sets are snake_case strings, reasons are sentences.

use kpanic_common::{Hex, SymbolAddr, Uuid};
use kpanic_report::PanicReport;
use kpanic_symbols::atos::JsonSymbol;
use schemars::generate::SchemaSettings;
use schemars::transform::{transform_subschemas, RecursiveTransform};
use schemars::JsonSchema;
use schemars::{json_schema, Schema, SchemaGenerator};
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;

use crate::diagnose::Diagnosis;
use crate::frame::Frame;
use crate::symbolicate::{
    CoreFrames, ImageMatch, ImageStatus, KeepsymsCheck, NamedFrame, PanicPathResult, Symbolication,
    ThreadFrames,
};

/// The version of the JSON documents' shape. Raised when a field changes meaning or goes away;
/// new fields do not raise it.
pub const SCHEMA_VERSION: u32 = 2;

// Documents are structs, not `json!` values: a report's unknown `.ips` keys are kept as raw
// JSON text, and a generic value tree of them would cost many times the input. Each derives
// `JsonSchema` too: [`schemas`] makes the published schemas (docs/schema/) from the same types.

/// `kpanic symbolicate --json` for one panic.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SymbolicateDocument")]
pub struct SymbolicateDocument<'a> {
    /// The version of the documents' shape.
    #[schemars(schema_with = "schema_version_schema")]
    schema_version: u32,
    /// The kpanic that wrote the document.
    kpanic_version: &'static str,
    /// The panic file as given on the command line (`-` for stdin).
    file: &'a str,
    /// What `kpanic parse --json` prints (without its version fields).
    report: &'a PanicReport,
    symbolication: JsonSymbolication<'a>,
}

/// `kpanic symbolicate --json` for one panic.
pub fn symbolicate_document<'a>(
    file: &'a str,
    report: &'a PanicReport,
    sym: &'a Symbolication,
) -> SymbolicateDocument<'a> {
    SymbolicateDocument {
        schema_version: SCHEMA_VERSION,
        kpanic_version: KPANIC_VERSION,
        file,
        report,
        symbolication: sym.into(),
    }
}

/// `kpanic diagnose --json` for one panic.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "DiagnoseDocument")]
pub struct DiagnoseDocument<'a> {
    /// The version of the documents' shape.
    #[schemars(schema_with = "schema_version_schema")]
    schema_version: u32,
    /// The kpanic that wrote the document.
    kpanic_version: &'static str,
    /// The panic file as given on the command line (`-` for stdin).
    file: &'a str,
    diagnosis: &'a Diagnosis,
}

/// `kpanic diagnose --json` for one panic.
pub fn diagnose_document<'a>(file: &'a str, diagnosis: &'a Diagnosis) -> DiagnoseDocument<'a> {
    DiagnoseDocument {
        schema_version: SCHEMA_VERSION,
        kpanic_version: KPANIC_VERSION,
        file,
        diagnosis,
    }
}

/// `kpanic parse --json` for one panic: the report itself, with the version fields.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ParseDocument")]
pub struct ParseDocument<'a> {
    /// The version of the documents' shape.
    #[schemars(schema_with = "schema_version_schema")]
    schema_version: u32,
    /// The kpanic that wrote the document.
    kpanic_version: &'static str,
    /// The panic file as given on the command line (`<stdin>` for stdin): what tells the
    /// documents of several files apart, in an array or in JSON Lines.
    file: &'a str,
    #[serde(flatten)]
    report: &'a PanicReport,
}

/// `kpanic parse --json` for one panic: the report itself, with the version fields and the
/// file it came from.
pub fn parse_document<'a>(file: &'a str, report: &'a PanicReport) -> ParseDocument<'a> {
    ParseDocument {
        schema_version: SCHEMA_VERSION,
        kpanic_version: KPANIC_VERSION,
        file,
        report,
    }
}

const KPANIC_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One frame as docs/json.md documents it.
#[derive(Serialize, JsonSchema)]
struct JsonFrame<'a> {
    /// The address as the log prints it, PAC bits included (a full panic's frame: the runtime
    /// address it stands for, `?` when the log has no slide).
    #[schemars(with = "AddressOrUnknown")]
    address: String,
    /// `return_address` (looked up at `address - 1`) or `pc` (exact).
    kind: kpanic_common::AddrKind,
    /// Full panics: `[imageIndex, offset]` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    frame: Option<[u64; 2]>,
    /// Bundle id (kexts), the symbol file's name (kernel) or the image's name; null when no
    /// image covers the address.
    image: Option<&'a str>,
    /// Offset from the start of `image_segment` of the image.
    #[schemars(with = "Option<Hex>")]
    image_offset: Option<String>,
    /// What `image_offset` counts from.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<ImageSegment>")]
    image_segment: Option<&'static str>,
    /// The address looked up, in the symbol file's own vmaddr space.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<SymbolAddr>")]
    symbol_address: Option<String>,
    /// Innermost first; the last is the function that owns the address; empty when unresolved.
    symbols: Vec<JsonSymbol>,
    /// Why `symbols` is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    unresolved_reason: Option<String>,
    /// Why a resolved frame may still be off.
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

#[derive(Serialize, JsonSchema)]
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

#[derive(Serialize, JsonSchema)]
struct JsonCore<'a> {
    core: u32,
    pc: JsonFrame<'a>,
    lr: JsonFrame<'a>,
    /// The `CORE n:` line's number in the panic text (from 1).
    #[serde(serialize_with = "kpanic_common::line::number")]
    #[schemars(range(min = 1))]
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

#[derive(Serialize, JsonSchema)]
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

#[derive(Serialize, JsonSchema)]
struct JsonImage<'a> {
    image: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Uuid>")]
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

#[derive(Serialize, JsonSchema)]
struct JsonPanicPath<'a> {
    result: PanicPathResult,
    matched: &'a [String],
}

#[derive(Serialize, JsonSchema)]
struct JsonDisagreement<'a> {
    #[schemars(with = "AddressOrUnknown")]
    address: String,
    log: &'a str,
    kpanic: &'a str,
}

#[derive(Serialize, JsonSchema)]
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

#[derive(Serialize, JsonSchema)]
struct JsonSummary<'a> {
    frames: usize,
    resolved: usize,
    panic_path: JsonPanicPath<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keepsyms: Option<JsonKeepsyms<'a>>,
}

#[derive(Serialize, JsonSchema)]
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

// The JSON Schemas of the documents (docs/schema/). The wire types above derive them; what
// they hold as plain strings gets its shape here.

/// A runtime address (`0x` and 16 hex digits), or `?` when the log lacks what makes it.
struct AddressOrUnknown;

impl JsonSchema for AddressOrUnknown {
    fn schema_name() -> Cow<'static, str> {
        "AddressOrUnknown".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(0x[0-9a-f]{16}|\\?)$",
            "description": "A runtime address (0x and 16 hex digits), or \"?\" when the log has no slide to compute it.",
        })
    }
}

/// `schema_version`: this schema's, and no other.
fn schema_version_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "integer",
        "const": SCHEMA_VERSION,
        "description": "The version of the documents' shape: raised when a field changes meaning or goes away.",
    })
}

/// `image_segment`: a segment name, `symbol_file` or `kernelcache`.
struct ImageSegment;

impl JsonSchema for ImageSegment {
    fn schema_name() -> Cow<'static, str> {
        "ImageSegment".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(__[A-Z_]+|symbol_file|kernelcache)$",
            "description": "What image_offset counts from: a segment of the image (__TEXT_EXEC, __TEXT), or symbol_file / kernelcache when the address is one of theirs.",
        })
    }
}

/// Makes the derived schemas as strict as the output: every object schema that lists its
/// properties is closed (a key the type does not write is a mistake; maps and flattened maps,
/// the unknown `.ips` keys, already say what else they hold), and a property that may be
/// absent is never `null` (absent fields are skipped, not written as `null`).
fn close_objects(schema: &mut Schema) {
    if let Some(obj) = schema.as_object_mut() {
        if obj.contains_key("properties") && !obj.contains_key("additionalProperties") {
            obj.insert("additionalProperties".into(), Value::Bool(false));
        }
        let required: Vec<Value> = match obj.get("required") {
            Some(Value::Array(r)) => r.clone(),
            _ => Vec::new(),
        };
        if let Some(Value::Object(props)) = obj.get_mut("properties") {
            for (name, prop) in props.iter_mut() {
                if !required.iter().any(|r| r.as_str() == Some(name.as_str())) {
                    strip_null(prop);
                }
            }
        }
    }
    transform_subschemas(&mut RecursiveTransform(close_objects), schema);
}

/// `{"type": ["T", "null"]}` → `{"type": "T"}`; `{"anyOf": [S, {"type": "null"}]}` → S.
fn strip_null(prop: &mut Value) {
    let Some(obj) = prop.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let t = types.remove(0);
            obj.insert("type".into(), t);
        }
    }
    let null = json!({ "type": "null" });
    if let Some(Value::Array(any)) = obj.get("anyOf") {
        if any.len() == 2 && any[1] == null {
            if let Value::Object(inner) = any[0].clone() {
                obj.remove("anyOf");
                for (k, v) in inner {
                    obj.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// The JSON Schema of one command's `--json` output: one document, or an array of them (several
/// files).
fn command_schema<T: JsonSchema>(command: &str, what: &str) -> Value {
    let generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .with_transform(RecursiveTransform(close_objects))
        .into_generator();
    let mut root = generator.into_root_schema_for::<T>().to_value();
    let root = root
        .as_object_mut()
        .expect("a document's schema is an object");
    let meta = root.remove("$schema").unwrap_or(Value::Null);
    let mut defs = match root.remove("$defs") {
        Some(Value::Object(defs)) => defs,
        _ => serde_json::Map::new(),
    };
    root.remove("title");
    let name = T::schema_name().into_owned();
    let doc_ref = format!("#/$defs/{name}");
    defs.insert(name, Value::Object(std::mem::take(root)));
    json!({
        "$schema": meta,
        "$id": format!(
            "{}/schema/v{SCHEMA_VERSION}/{command}.schema.json",
            env!("CARGO_PKG_REPOSITORY")
        ),
        "title": format!("kpanic {command} --json, schema_version {SCHEMA_VERSION}"),
        "description": format!(
            "{what} One panic file gives one document; several give an array of them. \
             Generated from kpanic's types (docs/json.md)."
        ),
        "anyOf": [
            { "$ref": doc_ref },
            { "type": "array", "items": { "$ref": doc_ref } },
        ],
        "$defs": defs,
    })
}

/// The JSON Schemas (draft 2020-12) of the `--json` output of `symbolicate`, `diagnose` and
/// `parse`, by command name, as published in `docs/schema/COMMAND.schema.json`.
pub fn schemas() -> Vec<(&'static str, Value)> {
    vec![
        (
            "symbolicate",
            command_schema::<SymbolicateDocument>(
                "symbolicate",
                "The output of `kpanic symbolicate --json`: the parsed report and every address of the panic symbolicated.",
            ),
        ),
        (
            "diagnose",
            command_schema::<DiagnoseDocument>(
                "diagnose",
                "The output of `kpanic diagnose --json`: what most likely happened, the findings it rests on, suspects, memory and threads.",
            ),
        ),
        (
            "parse",
            command_schema::<ParseDocument>(
                "parse",
                "The output of `kpanic parse --json`: everything found in the panic file.",
            ),
        ),
    ]
}
