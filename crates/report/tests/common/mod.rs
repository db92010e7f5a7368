#![allow(dead_code)]
use kpanic_report::{parse_file, PanicReport};
use serde_json::Value;
use std::path::PathBuf;

pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus")
}

pub fn corpus_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "tsv")))
        .collect();
    v.sort();
    v
}

pub fn load(name: &str) -> PanicReport {
    parse_file(&corpus_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn lrs(r: &PanicReport) -> Vec<u64> {
    r.backtrace
        .as_ref()
        .map(|b| b.frames.iter().map(|f| f.address.get()).collect())
        .unwrap_or_default()
}

/// The report as JSON minus the echo of the input and long repetitive lists (their lengths are
/// asserted separately), so that a snapshot can be read against the log.
pub fn snapshot_value(r: &PanicReport) -> Value {
    let mut v = serde_json::to_value(r).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("panic_text");
    o.remove("spindump");
    if let Some(Value::Object(lk)) = o.get_mut("loaded_kexts") {
        if let Some(Value::Array(k)) = lk.get_mut("kexts") {
            let n = k.len();
            if n > 4 {
                k.drain(2..n - 2);
            }
            lk.insert("count".into(), n.into());
        }
    }
    for key in ["panic_details", "trailer", "preamble"] {
        if let Some(Value::Array(a)) = o.get_mut(key) {
            let n = a.len();
            if n > 6 {
                a.truncate(6);
                a.push(format!("... {n} lines").into());
            }
        }
    }
    v
}

/// The names of the `Zone info` ranges, in log order.
pub fn zone_names(r: &PanicReport) -> Vec<&str> {
    r.zone_info
        .as_ref()
        .expect("zone info")
        .ranges
        .iter()
        .map(|z| z.name.as_str())
        .collect()
}
