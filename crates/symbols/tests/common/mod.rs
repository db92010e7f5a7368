//! Fixture access shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}

/// One llvm-symbolizer frame from truth/*.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthFrame {
    pub function: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// `(address, frames innermost first)` for every line of truth/NAME.json.
pub fn truth(name: &str) -> Vec<(u64, Vec<TruthFrame>)> {
    let text =
        std::fs::read_to_string(fixtures().join("truth").join(format!("{name}.json"))).unwrap();
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let addr = hex(v["Address"].as_str().unwrap());
            let frames = v["Symbol"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| TruthFrame {
                    function: s["FunctionName"].as_str().unwrap().to_string(),
                    file: s["FileName"].as_str().unwrap().to_string(),
                    line: s["Line"].as_u64().unwrap() as u32,
                    column: s["Column"].as_u64().unwrap() as u32,
                })
                .collect();
            (addr, frames)
        })
        .collect()
}

pub fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap()
}

/// Addresses of truth/NAME.EXT (callsites / retaddrs).
pub fn addrs(name: &str, ext: &str) -> Vec<u64> {
    let text =
        std::fs::read_to_string(fixtures().join("truth").join(format!("{name}.{ext}"))).unwrap();
    text.split_whitespace().map(hex).collect()
}

/// `(address, demangled name)` of truth/NAME.nm (`llvm-nm -n --defined-only -C`), sorted.
pub fn nm(name: &str) -> Vec<(u64, String)> {
    let text =
        std::fs::read_to_string(fixtures().join("truth").join(format!("{name}.nm"))).unwrap();
    text.lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ' ');
            let a = u64::from_str_radix(it.next()?, 16).ok()?;
            let _kind = it.next()?;
            let n = it.next()?;
            // llvm-nm -C leaves C names with their Mach-O underscore.
            Some((a, n.strip_prefix('_').unwrap_or(n).to_string()))
        })
        .collect()
}
