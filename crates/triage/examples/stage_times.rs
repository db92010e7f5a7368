//! Where the time of one panic goes: reading, parsing, diagnosing, signing.
//! `cargo run --release -p kpanic-triage --example stage_times -- FILE [REPEAT]`
//! (`PASSES=1` adds the cost of one raw pass over the JSON body and of a generic tree).

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let repeat: u32 = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(20);
    let bytes = std::fs::read(path).expect("the file");
    let t = Instant::now();
    for _ in 0..repeat {
        std::hint::black_box(kpanic_report::parse(&bytes).unwrap());
    }
    let parse = t.elapsed() / repeat;
    let lean_opts = kpanic_report::ParseOptions::for_diagnosis();
    let t = Instant::now();
    for _ in 0..repeat {
        std::hint::black_box(kpanic_report::parse_with(&bytes, &lean_opts).unwrap());
    }
    let lean = t.elapsed() / repeat;
    if std::env::var_os("PASSES").is_some() {
        passes(&bytes, repeat);
    }
    let report = kpanic_report::parse(&bytes).unwrap();
    let t = Instant::now();
    for _ in 0..repeat {
        std::hint::black_box(kpanic::diagnose::diagnose(&report, None));
    }
    let diagnose = t.elapsed() / repeat;
    let d = kpanic::diagnose::diagnose(&report, None);
    let t = Instant::now();
    for _ in 0..repeat {
        std::hint::black_box(kpanic_triage::signature::signature(&report, &d, None));
    }
    let sign = t.elapsed() / repeat;
    println!(
        "{path}: {} bytes; parse {parse:?} (triage's lean parse {lean:?}), diagnose {diagnose:?}, signature {sign:?}",
        bytes.len()
    );
}

fn passes(bytes: &[u8], repeat: u32) {
    use serde_json::value::RawValue;
    use std::collections::BTreeMap;
    let text = std::str::from_utf8(bytes).unwrap();
    let body = &text[text.find('\n').unwrap() + 1..];
    let t = Instant::now();
    for _ in 0..repeat {
        let m: BTreeMap<String, &RawValue> = serde_json::from_str(body).unwrap();
        std::hint::black_box(m);
    }
    println!("one pass (map of raw values): {:?}", t.elapsed() / repeat);
    let t = Instant::now();
    for _ in 0..repeat {
        let m: serde_json::Value = serde_json::from_str(body).unwrap();
        std::hint::black_box(m);
    }
    println!("a generic tree: {:?}", t.elapsed() / repeat);
}
