//! Hostile `.ips` inputs (see testdata/hostile/README.md): unknown body keys holding millions of
//! tiny objects are kept as their JSON text, not as generic JSON trees (~100× the input), and
//! still come out in the JSON exactly as before.

use kpanic_report::parse;
use serde_json::Value;

const HEADER: &str = "{\"bug_type\":\"210\"}\n";
const PANIC: &str = "\"panicString\":\"panic(cpu 0 caller 0xfffffe0012345678): test\\n\"";

/// The array `gen_ips_amplify.py` writes: `n` copies of `{"":0}`.
fn amplify_array(n: usize) -> String {
    let mut s = String::with_capacity(n * 7 + 2);
    s.push('[');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"\":0}");
    }
    s.push(']');
    s
}

/// Mirrors `gen_ips_amplify.py OUT MB`: a panic whose body holds an unknown key `x` with
/// `MB * 1 MiB / 9` tiny objects.
fn amplify_ips(mb: f64) -> (String, String) {
    let n = (mb * 1024.0 * 1024.0 / 9.0) as usize;
    let array = amplify_array(n);
    (format!("{HEADER}{{{PANIC},\"x\":{array}}}"), array)
}

#[test]
fn amplified_unknown_key_is_kept_as_text_and_known_fields_parse_the_same() {
    let (input, array) = amplify_ips(1.5);
    assert!(input.len() > 1_000_000);
    let r = parse(input.as_bytes()).unwrap();
    let ips = r.ips.as_ref().unwrap();
    assert!(ips.body_complete);
    // The unknown key is accounted for, verbatim.
    let x = ips.body.other.get("x").expect("unknown key kept");
    assert_eq!(x.get(), array);
    // It serializes as the generic value did (here the input is already canonical JSON).
    assert_eq!(serde_json::to_string(x).unwrap(), array);

    // Known fields: the same as for the file without the unknown key.
    let control = parse(format!("{HEADER}{{{PANIC}}}").as_bytes()).unwrap();
    let mut a = serde_json::to_value(&r).unwrap();
    let b = serde_json::to_value(&control).unwrap();
    let body = a["ips"]["body"].as_object_mut().unwrap();
    assert!(body.remove("other").is_some());
    assert_eq!(a, b);
    assert_eq!(
        r.panic.as_ref().unwrap().message,
        "test",
        "panic text parsed"
    );
}

/// Unknown values serialize byte for byte as `serde_json::Value` would: keys sorted, duplicate
/// keys last-wins, numbers and escapes normalized, pretty or compact.
#[test]
fn unknown_values_serialize_like_generic_json() {
    let unknown = r#"{ "z" : [1, 2.50, -0, 1E2, {"b":true, "a":null, "b":"\u00e9\n"}], "a": "x" , "e": {}, "f": [] }"#;
    let input = format!("{HEADER}{{{PANIC},\"u\":{unknown},\"s\":\"plain\",\"n\":7}}");
    let r = parse(input.as_bytes()).unwrap();
    let other = &r.ips.as_ref().unwrap().body.other;
    assert_eq!(other.len(), 3);
    let want: Value = serde_json::from_str(unknown).unwrap();
    let got = &other["u"];
    assert_eq!(got.to_value(), want);
    assert_eq!(
        serde_json::to_string(got).unwrap(),
        serde_json::to_string(&want).unwrap()
    );
    assert_eq!(
        serde_json::to_string_pretty(got).unwrap(),
        serde_json::to_string_pretty(&want).unwrap()
    );
    assert_eq!(serde_json::to_string(&other["s"]).unwrap(), "\"plain\"");
    assert_eq!(serde_json::to_string(&other["n"]).unwrap(), "7");
}

/// A value that `serde_json::Value` refuses (nested past its limit) is left out, as before; the
/// file still parses.
#[test]
fn unknown_value_nested_too_deep_is_left_out() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let input = format!("{HEADER}{{{PANIC},\"deep\":{deep},\"ok\":1}}");
    let r = parse(input.as_bytes()).unwrap();
    let other = &r.ips.as_ref().unwrap().body.other;
    assert!(!other.contains_key("deep"));
    assert!(other.contains_key("ok"));
    serde_json::to_string(&r).unwrap();
}

/// A single-document file is read as the header first: its unknown keys are not built either.
#[test]
fn single_document_with_amplified_key_parses() {
    let array = amplify_array(100_000);
    let input = format!("{{\"bug_type\":\"210\",{PANIC},\"x\":{array}}}");
    let r = parse(input.as_bytes()).unwrap();
    let ips = r.ips.as_ref().unwrap();
    assert_eq!(ips.header.bug_type.as_deref(), Some("210"));
    assert_eq!(
        ips.body.other.get("x").map(|x| x.get()),
        Some(array.as_str())
    );
    assert_eq!(r.panic.as_ref().unwrap().message, "test");
}

/// Unknown keys inside `memoryStatus` (and its `memoryPages` and `memoryPressureDetails`) are
/// kept as text too; the known fields read as before.
#[test]
fn memory_status_unknown_keys_are_kept_as_text() {
    let array = amplify_array(100_000);
    let ms = format!(
        "{{\"pageSize\":16384,\"compressorSize\":null,\"memoryPressure\":true,\"x\":{array},\
         \"memoryPressureDetails\":{{\"pagesWanted\":12,\"z\":{array}}},\
         \"memoryPages\":{{\"free\":5,\"fileBacked\":7,\"y\":[1, 2]}}}}"
    );
    let input = format!("{HEADER}{{{PANIC},\"memoryStatus\":{ms}}}");
    let r = parse(input.as_bytes()).unwrap();
    assert!(!r.warnings.iter().any(|w| w.contains("memoryStatus")));
    let m = r.ips.as_ref().unwrap().body.memory_status.as_ref().unwrap();
    assert_eq!(m.page_size, Some(16384));
    assert_eq!(m.compressor_size, None);
    assert_eq!(m.memory_pressure, Some(true));
    assert_eq!(m.other.get("x").map(|x| x.get()), Some(array.as_str()));
    let d = m.memory_pressure_details.as_ref().unwrap();
    assert_eq!(d.get("pagesWanted").and_then(|v| v.as_u64()), Some(12));
    assert_eq!(d.get("z").map(|x| x.get()), Some(array.as_str()));
    let p = m.memory_pages.as_ref().unwrap();
    assert_eq!((p.free, p.file_backed), (Some(5), Some(7)));
    assert_eq!(
        p.other.get("y").map(|v| v.to_value()),
        Some(serde_json::json!([1, 2]))
    );
    // Flattened in the JSON, as before.
    let j = serde_json::to_value(m).unwrap();
    assert_eq!(j["memoryPages"]["y"], serde_json::json!([1, 2]));
    assert_eq!(j["pageSize"], 16384);
    assert!(j["x"].is_array());

    // A known field of the wrong type makes the memoryStatus unreadable, as it did.
    let bad = format!("{HEADER}{{{PANIC},\"memoryStatus\":{{\"pageSize\":\"big\"}}}}");
    let r = parse(bad.as_bytes()).unwrap();
    assert!(r.ips.as_ref().unwrap().body.memory_status.is_none());
    assert!(r
        .warnings
        .iter()
        .any(|w| w.starts_with("memoryStatus could not be read: pageSize")));
}

/// What `--json` does: the report written with unknown values verbatim, read back as one
/// `RawJson` and printed, comes out exactly as the report's generic `Value` printed.
#[test]
fn report_printed_through_raw_json_is_the_generic_value() {
    let unknown = r#"{ "z" : [1, 2.50, {"b":true, "a":null}], "a": "\u00e9" }"#;
    let input = format!(
        "{HEADER}{{{PANIC},\"u\":{unknown},\"memoryStatus\":{{\"pageSize\":4096,\"q\":[ 3 ]}}}}"
    );
    let r = parse(input.as_bytes()).unwrap();
    let verbatim = kpanic_report::with_raw_json_verbatim(|| serde_json::to_string(&r)).unwrap();
    assert!(verbatim.contains(unknown), "{verbatim}");
    // Back to normalized output outside the closure.
    assert!(!serde_json::to_string(&r).unwrap().contains(unknown));
    let raw = kpanic_report::RawJson::from_json_text(verbatim).unwrap();
    let value = serde_json::to_value(&r).unwrap();
    assert_eq!(
        serde_json::to_string_pretty(&raw).unwrap(),
        serde_json::to_string_pretty(&value).unwrap()
    );
    assert_eq!(
        serde_json::to_string(&raw).unwrap(),
        serde_json::to_string(&value).unwrap()
    );
    // Nesting past what it can print safely is refused.
    let deep = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
    assert!(kpanic_report::RawJson::from_json_text(deep).is_none());
}

/// A full panic whose stackshot holds unknown keys with millions of tiny objects, in a process
/// and in a thread: they are kept verbatim where they were, without a generic tree, and the
/// known fields read the same.
#[test]
fn stackshot_unknown_keys_are_kept_as_text() {
    let array = amplify_array(150_000);
    let process = |extra: &str, thread_extra: &str| {
        format!(
            "\"processByPid\":{{\"0\":{{\"pid\":0,\"procname\":\"kernel_task\",{extra}\
             \"threadById\":{{\"7\":{{\"id\":7,\"state\":[\"TH_WAIT\"],{thread_extra}\
             \"kernelFrames\":[[1,16]]}}}}}}}},\
             \"binaryImages\":[[\"00000000-0000-0000-0000-000000000000\",0,\"A\"],\
             [\"11111111-1111-1111-1111-111111111111\",4096,\"T\"]]"
        )
    };
    let big = format!(
        "{HEADER}{{{PANIC},{}}}",
        process(
            &format!("\"portlabels\":{array},"),
            &format!("\"futureThreadKey\":{array},")
        )
    );
    let control = format!("{HEADER}{{{PANIC},{}}}", process("", ""));
    let r = parse(big.as_bytes()).unwrap();
    let sd = r.spindump.as_ref().expect("stackshot read");
    assert!(!sd.processes.is_empty(), "{:?}", r.warnings);
    let p = &sd.processes[0];
    assert_eq!(p.name, "kernel_task");
    assert_eq!(p.other.get("portlabels").map(|v| v.get()), Some(&*array));
    let t = &p.threads[0];
    assert_eq!((t.id, t.kernel_frames.len()), (7, 1));
    assert_eq!(
        t.other.get("futureThreadKey").map(|v| v.get()),
        Some(&*array)
    );

    // Known fields: the same as without the unknown keys.
    let c = parse(control.as_bytes()).unwrap();
    let mut a = serde_json::to_value(&r).unwrap();
    let b = serde_json::to_value(&c).unwrap();
    let proc0 = &mut a["spindump"]["processes"][0];
    assert!(proc0
        .as_object_mut()
        .unwrap()
        .remove("portlabels")
        .is_some());
    let thread0 = &mut proc0["threads"][0];
    assert!(thread0
        .as_object_mut()
        .unwrap()
        .remove("futureThreadKey")
        .is_some());
    assert_eq!(a, b);
}

/// One process that cannot be read costs that process, not the whole stackshot.
#[test]
fn one_unreadable_process_is_left_out_with_a_warning() {
    let body = "\"processByPid\":{\"0\":{\"pid\":0,\"procname\":\"kernel_task\",\
        \"threadById\":{\"7\":{\"id\":7,\"userTime\":[1]}}},\
        \"1\":{\"pid\":1,\"procname\":\"launchd\"}},\
        \"binaryImages\":[[\"00000000-0000-0000-0000-000000000000\",0,\"A\"]]";
    let r = parse(format!("{HEADER}{{{PANIC},{body}}}").as_bytes()).unwrap();
    let sd = r.spindump.as_ref().expect("stackshot read");
    let names: Vec<&str> = sd.processes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["launchd"]);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("processByPid \"0\" could not be read")),
        "{:?}",
        r.warnings
    );
}
