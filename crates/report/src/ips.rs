//! `.ips` / `.panic` JSON: a one-line header, then a body whose panic text is a JSON string.
//! Bodies that do not parse (cut by an author, mangled by a PDF) fall back to a lenient scan for
//! the panic string, with a warning.

use crate::full::{parse_spindump, read_body, Body};
use crate::lenient_json::{
    decode_string_body, find_scalar_value, find_string_body, find_string_value,
};
use crate::model::{Format, IpsBody, IpsHeader, IpsInfo, MemoryStatus, PanicReport, RawJson};
use crate::text::{parse_panic_text, stackshot_status};
use crate::{ParseError, ParseOptions};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

const PANIC_KEYS: [&str; 3] = ["panicString", "macOSPanicString", "string"];

/// Which key's panic text to parse first. A macOS `.panic` from a T2 Mac can carry the macOS
/// kernel's own panic in `macOSPanicString` beside a `panicString`: the macOS one is what a Mac's
/// KDK symbolicates, so it goes first when it is a real panic (bridgeOS files hold "not yet set").
fn panic_key_order(macos_panic_string: Option<&str>) -> [&'static str; 3] {
    let real = macos_panic_string
        .is_some_and(|s| s.contains("panic(") || s.contains("*** Panic Report ***"));
    if real {
        ["macOSPanicString", "panicString", "string"]
    } else {
        PANIC_KEYS
    }
}
const PANIC_BUG_TYPES: [&str; 2] = ["210", "151"];

pub(crate) fn parse_ips(input: &str, opts: &ParseOptions) -> Result<PanicReport, ParseError> {
    let input = input.trim_start();
    let mut warnings = Vec::new();
    let (header, body_text) = split_header(input, &mut warnings);
    parse_body(header, body_text, warnings, opts)
}

/// Does pasted text hold the key/value lines of an `.ips` body (without its header line or
/// braces) with the panic string among them? `"panicString" : "panic(cpu …\n…"`.
pub(crate) fn looks_like_headless_body(text: &str) -> bool {
    let has_panic_key = PANIC_KEYS
        .iter()
        .any(|k| find_string_value(text, k).is_some());
    has_panic_key || panic_value_under_any_key(text).is_some()
}

/// An `.ips` body pasted without its header line or its braces, or cut in the middle: the
/// values are read leniently.
pub(crate) fn parse_headless_body(
    text: &str,
    opts: &ParseOptions,
) -> Result<PanicReport, ParseError> {
    let warnings = vec![
        "the text is the inside of an `.ips` body (no header line, no braces): values were read leniently"
            .to_string(),
    ];
    parse_body(IpsHeader::default(), text, warnings, opts)
}

/// A string value that starts with `panic(`, whatever its key (OCR can damage a key:
/// `"pbanicString"`): (key, value, complete).
fn panic_value_under_any_key(text: &str) -> Option<(String, String, bool)> {
    let mut from = 0;
    while let Some(pos) = text.get(from..)?.find("\"panic(") {
        let at = from + pos;
        from = at + 1;
        let before = text[..at].trim_end();
        let Some(before) = before.strip_suffix(':') else {
            continue;
        };
        let before = before.trim_end();
        let Some(key_end) = before.strip_suffix('"') else {
            continue;
        };
        let Some(open) = key_end.rfind('"') else {
            continue;
        };
        let key = &key_end[open + 1..];
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let (v, complete) = decode_pasted_string(&text[at + 1..]);
        return Some((key.to_string(), v, complete));
    }
    None
}

/// Decode a string body that may have been wrapped by a paste: when the value has `\n`
/// escapes, its raw line breaks are wraps of long lines (PDF, OCR, a narrow editor) and are
/// joined; otherwise they are the panic's own lines, unescaped by whoever pasted it.
fn decode_pasted_string(body: &str) -> (String, bool) {
    let (v, complete) = decode_string_body(body);
    if !v.contains('\n') {
        return (v, complete);
    }
    let raw_value = &body[..string_end(body).unwrap_or(body.len())];
    if !(raw_value.contains("\\n") && raw_value.contains('\n')) {
        return (v, complete);
    }
    let mut joined = String::with_capacity(raw_value.len());
    for (i, line) in raw_value.split('\n').enumerate() {
        let line = line.trim_end_matches('\r');
        // An author's elision (`...`) on its own line is a line, not a wrap.
        let elision = !line.trim().is_empty() && line.trim().chars().all(|c| c == '.' || c == '…');
        if i > 0 && (elision || line.trim().is_empty()) {
            joined.push('\n');
        } else if i > 0 && !joined.ends_with(['/', '-']) && !joined.ends_with("\\n") {
            joined.push(' ');
        }
        joined.push_str(if i > 0 { line.trim_start() } else { line });
    }
    // `joined` has no closing quote: the decoder reads to its end.
    let (v, _) = decode_string_body(&joined);
    (v, complete)
}

/// The byte index of the closing quote of a JSON string body, if any.
fn string_end(body: &str) -> Option<usize> {
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn parse_body(
    header: IpsHeader,
    body_text: &str,
    mut warnings: Vec<String>,
    opts: &ParseOptions,
) -> Result<PanicReport, ParseError> {
    let mut info = IpsInfo {
        header,
        body_complete: true,
        ..Default::default()
    };
    let mut panic_text: Option<String> = None;
    let mut spindump = None;

    let body_trimmed = body_text.trim();
    let parsed: Option<Body> = if body_trimmed.is_empty() {
        None
    } else if !body_trimmed.ends_with('}') {
        // Cut bodies are the common broken case; skip a doomed multi-MB parse.
        warnings.push(
            "the JSON body is cut (it does not end with `}`); values were extracted leniently"
                .into(),
        );
        None
    } else {
        match read_body(body_trimmed, opts) {
            Ok(body) => Some(body),
            Err(e) => {
                warnings.push(format!(
                    "the JSON body does not parse ({e}); values were extracted leniently"
                ));
                None
            }
        }
    };

    match parsed {
        Some(Body { map, processes }) => {
            let (text, key) = read_body_keys(&map, &mut info.body, &mut warnings);
            panic_text = text;
            info.panic_string_key = key;
            if processes.is_some() {
                spindump = Some(parse_spindump(
                    processes,
                    map.get("binaryImages").copied(),
                    opts,
                    &mut warnings,
                ));
            }
        }
        None => {
            info.body_complete = false;
            lenient_body(body_text, &mut info, &mut panic_text, &mut warnings);
        }
    }
    if body_trimmed.is_empty() {
        warnings.push("the file has a header but no body".into());
    }

    let bug_type = info
        .header
        .bug_type
        .clone()
        .or_else(|| info.body.bug_type.clone());
    if let Some(bt) = &bug_type {
        if !PANIC_BUG_TYPES.contains(&bt.as_str()) {
            if panic_text.is_none() {
                return Err(ParseError::NotAPanicBugType {
                    bug_type: bt.clone(),
                });
            }
            warnings.push(format!("bug_type {bt} is not a panic type (210, 151)"));
        }
    } else if panic_text.is_none() && spindump.is_none() {
        return Err(ParseError::NotAPanic {
            reason: "JSON without a bug_type or a panic string".into(),
        });
    }

    let format = if spindump.is_some() {
        Format::FullIps
    } else {
        Format::Ips
    };
    let mut r = PanicReport::empty(format, panic_text.clone().unwrap_or_default());
    r.warnings = warnings;
    // The body names the kernel and build too; the panic text, when it has them, wins.
    r.system.kernel_version = info.body.kernel.clone();
    r.system.os_build = info
        .body
        .build
        .as_deref()
        .and_then(|b| b.rsplit_once('(')?.1.strip_suffix(')').map(str::to_string));
    if panic_text.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        parse_panic_text(&mut r, true);
    } else {
        r.warnings.push("no panic string in the JSON body".into());
    }
    if r.stackshot.is_none() {
        if let Some(other) = &info.body.other_string {
            // "** Exclaves panic stackshot not found" may precede the real status line.
            let all: Vec<_> = other.lines().filter_map(stackshot_status).collect();
            r.stackshot = all
                .iter()
                .find(|s| s.status != "unknown")
                .or(all.first())
                .cloned();
        }
    }
    r.ips = Some(info);
    r.spindump = spindump;
    Ok(r)
}

/// The header is the first JSON value; some tools pretty-print it, so read a value, not a line.
/// A header that does not parse is read leniently from the first line.
fn split_header<'a>(input: &'a str, warnings: &mut Vec<String>) -> (IpsHeader, &'a str) {
    // Values stay raw: a single-document file is all header here, and its unknown keys would
    // otherwise become generic JSON trees.
    let mut stream =
        serde_json::Deserializer::from_str(input).into_iter::<BTreeMap<String, &RawValue>>();
    match stream.next() {
        Some(Ok(map)) => {
            let end = stream.byte_offset();
            let rest = input.get(end..).unwrap_or("");
            // A single document holding the panic itself (no header line).
            if PANIC_KEYS.iter().any(|k| map.contains_key(*k)) || map.contains_key("processByPid") {
                // Hand-made extracts carry the header as an object.
                let report_header = map.get("report_header").and_then(|raw| {
                    serde_json::from_str::<BTreeMap<String, &RawValue>>(raw.get()).ok()
                });
                let header = match report_header {
                    Some(h) => header_from_map(h),
                    _ => IpsHeader {
                        bug_type: map.get("bug_type").and_then(|raw| raw_scalar(raw)),
                        ..Default::default()
                    },
                };
                warnings.push("no header line: the file is a single JSON document".into());
                return (header, input);
            }
            (header_from_map(map), rest)
        }
        _ => {
            let first_line = input.lines().next().unwrap_or("");
            let header_text = match first_line.find('}') {
                Some(end) => &first_line[..=end],
                None => first_line,
            };
            warnings.push("the header line is not valid JSON; read leniently".into());
            let header = IpsHeader {
                bug_type: find_scalar_value(header_text, "bug_type"),
                timestamp: find_string_value(header_text, "timestamp").map(|v| v.0),
                os_version: find_string_value(header_text, "os_version").map(|v| v.0),
                incident_id: find_string_value(header_text, "incident_id").map(|v| v.0),
                roots_installed: find_scalar_value(header_text, "roots_installed")
                    .and_then(|v| v.parse().ok()),
                caused_by: find_string_value(header_text, "caused_by").map(|v| v.0),
                macos_system_state: find_string_value(header_text, "macos_system_state")
                    .map(|v| v.0),
                other: BTreeMap::new(),
            };
            let body = input.get(header_text.len()..).unwrap_or("");
            (header, body)
        }
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A string, number or boolean value as text.
fn raw_scalar(raw: &RawValue) -> Option<String> {
    // Containers are not scalars: do not build them.
    if raw.get().starts_with(['{', '[']) {
        return None;
    }
    scalar(&serde_json::from_str(raw.get()).ok()?)
}

fn header_from_map(mut map: BTreeMap<String, &RawValue>) -> IpsHeader {
    let mut take = |k: &str| map.remove(k).and_then(raw_scalar);
    let mut h = IpsHeader {
        bug_type: take("bug_type"),
        timestamp: take("timestamp"),
        os_version: take("os_version"),
        incident_id: take("incident_id"),
        roots_installed: take("roots_installed").and_then(|v| v.parse().ok()),
        caused_by: take("caused_by"),
        macos_system_state: take("macos_system_state"),
        other: BTreeMap::new(),
    };
    h.other = map
        .into_iter()
        .filter_map(|(k, raw)| Some((k, RawJson::new(raw)?)))
        .collect();
    h
}

/// Known body keys into `body`; returns the panic text and the key it came from.
fn read_body_keys(
    map: &BTreeMap<String, &RawValue>,
    body: &mut IpsBody,
    warnings: &mut Vec<String>,
) -> (Option<String>, Option<String>) {
    let string = |k: &str| -> Option<String> { raw_scalar(map.get(k)?) };
    body.build = string("build");
    body.product = string("product");
    body.soc_id = string("socId");
    body.soc_revision = string("socRevision");
    body.kernel = string("kernel");
    body.incident = string("incident");
    body.crash_reporter_key = string("crashReporterKey");
    body.date = string("date");
    body.panic_flags = string("panicFlags");
    body.panic_processing_flags = string("panicProcessingFlags");
    body.bug_type = string("bug_type");
    body.panic_initiator = string("panicInitiator");
    body.other_string = string("otherString");
    if let Some(raw) = map.get("notes") {
        match serde_json::from_str::<Vec<String>>(raw.get()) {
            Ok(n) => body.notes = n,
            Err(e) => warnings.push(format!("notes is not a list of strings: {e}")),
        }
    }
    if let Some(raw) = map.get("memoryStatus") {
        match serde_json::from_str::<MemoryStatus>(raw.get()) {
            Ok(m) => body.memory_status = Some(m),
            Err(e) => warnings.push(format!("memoryStatus could not be read: {e}")),
        }
    }
    let mut chosen = None;
    for key in panic_key_order(string("macOSPanicString").as_deref()) {
        if let Some(v) = string(key) {
            if chosen.is_none() && !v.trim().is_empty() && v != "not yet set" {
                chosen = Some((v, key.to_string()));
            } else if key == "macOSPanicString" {
                body.macos_panic_string = Some(v);
            } else if key == "panicString" {
                warnings.push(
                    "this file holds two panic texts: the macOS kernel's (`macOSPanicString`, \
                     parsed) and `panicString` (kept in ips.body.panic_string)"
                        .into(),
                );
                body.panic_string = Some(v);
            }
        }
    }
    const KNOWN: [&str; 20] = [
        "build",
        "product",
        "socId",
        "socRevision",
        "kernel",
        "incident",
        "crashReporterKey",
        "date",
        "panicFlags",
        "panicProcessingFlags",
        "bug_type",
        "panicInitiator",
        "otherString",
        "notes",
        "memoryStatus",
        "panicString",
        "macOSPanicString",
        "string",
        "processByPid",
        "binaryImages",
    ];
    // Unknown keys stay as their JSON text (a generic tree of a big one costs ~100× its size).
    for (k, raw) in map {
        if !KNOWN.contains(&k.as_str()) {
            if let Some(v) = RawJson::new(raw) {
                body.other.insert(k.clone(), v);
            }
        }
    }
    match chosen {
        Some((v, k)) => (Some(v), Some(k)),
        None => (None, None),
    }
}

fn lenient_body(
    body_text: &str,
    info: &mut IpsInfo,
    panic_text: &mut Option<String>,
    warnings: &mut Vec<String>,
) {
    // PDF extraction breaks lines inside values; metadata values are single-line.
    let s = |k: &str| {
        find_string_value(body_text, k)
            .map(|v| v.0.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    let b = &mut info.body;
    b.build = s("build");
    b.product = s("product");
    b.soc_id = s("socId");
    b.kernel = s("kernel");
    b.incident = s("incident");
    b.crash_reporter_key = s("crashReporterKey");
    b.date = s("date");
    b.panic_flags = s("panicFlags");
    b.bug_type = s("bug_type");
    b.other_string = s("otherString");
    let macos = find_string_value(body_text, "macOSPanicString").map(|v| v.0);
    for key in panic_key_order(macos.as_deref()) {
        if let Some((v, complete)) = find_string_body(body_text, key).map(decode_pasted_string) {
            if v.trim().is_empty() || v == "not yet set" {
                if key == "macOSPanicString" {
                    b.macos_panic_string = Some(v);
                }
                continue;
            }
            if !complete {
                warnings.push(format!(
                    "the `{key}` string is cut (no closing quote): the panic text is partial"
                ));
            }
            info.panic_string_key = Some(key.to_string());
            *panic_text = Some(v);
            break;
        }
    }
    if panic_text.is_none() {
        if let Some((key, v, complete)) = panic_value_under_any_key(body_text) {
            warnings.push(format!(
                "the panic string was found under an unknown key `{key}` (damaged in the paste?)"
            ));
            if !complete {
                warnings.push(format!(
                    "the `{key}` string is cut (no closing quote): the panic text is partial"
                ));
            }
            info.panic_string_key = Some(key);
            *panic_text = Some(v);
        }
    }
    if body_text.contains("\"processByPid\"") {
        warnings
            .push("the stackshot (processByPid) is in a broken JSON body and was skipped".into());
    }
}
