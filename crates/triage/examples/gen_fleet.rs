//! Builds a fleet of panics for the triage benchmark: `N` files made from the corpus logs,
//! each another boot of another machine (another slide, time, boot session, pids: see
//! `tests/variant/mod.rs`), so that the signatures must still group them.
//!
//! `cargo run --release -p kpanic-triage --example gen_fleet -- N OUT_DIR [CORPUS_DIR]`

#[path = "../tests/variant/mod.rs"]
mod variant;

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: gen_fleet N OUT_DIR [CORPUS_DIR]");
        std::process::exit(2);
    }
    let n: u64 = args[1].parse().expect("N is a number");
    let out = PathBuf::from(&args[2]);
    let corpus = args
        .get(3)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus"));
    let mut logs: Vec<(String, String)> = std::fs::read_dir(&corpus)
        .expect("the corpus folder")
        .filter_map(|e| {
            let p = e.ok()?.path();
            let name = p.file_name()?.to_string_lossy().into_owned();
            if name.ends_with(".md") || name.ends_with(".tsv") {
                return None;
            }
            Some((name, std::fs::read_to_string(&p).ok()?))
        })
        .collect();
    logs.sort();
    std::fs::create_dir_all(&out).expect("the output folder");
    for i in 0..n {
        let (name, text) = &logs[(i as usize) % logs.len()];
        let v = variant::Variation::nth(i + 1);
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, "txt"));
        let file = out.join(format!("{i:06}-{stem}.{ext}"));
        std::fs::write(&file, variant::vary(text, v)).expect("write a panic");
    }
    eprintln!(
        "{n} panics from {} corpus logs in {}",
        logs.len(),
        out.display()
    );
}
