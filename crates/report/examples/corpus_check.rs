//! Parse every file of a directory and list refusals and suspicious parses: a development aid.
//! `cargo run -p kpanic-report --example corpus_check -- DIR`
fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/corpus".into());
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !n.ends_with(".md") && !n.ends_with(".tsv")
        })
        .collect();
    paths.sort();
    let (mut ok, mut refused) = (0, 0);
    for p in &paths {
        let name = p.file_name().unwrap().to_string_lossy();
        let bytes = std::fs::read(p).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        match kpanic_report::parse(&bytes) {
            Err(e) => {
                refused += 1;
                println!("REFUSED {name}: {e}");
            }
            Ok(r) => {
                ok += 1;
                let mut issues = Vec::new();
                if r.panic.is_none() {
                    issues.push("no panic message".to_string());
                }
                let frames = r.backtrace.as_ref().map_or(0, |b| b.frames.len());
                let text_has_bt = text.contains("lr: 0x")
                    || text.contains("lr:0x")
                    || text.contains("Return Address");
                if frames == 0 && text_has_bt {
                    issues.push("no frames but the file has a backtrace".into());
                }
                let kexts = r.loaded_kexts.as_ref().map_or(0, |k| k.kexts.len());
                let text_kext_lines =
                    text.contains("loaded kexts:") && !text.contains("loaded kexts: (skipped");
                if text_kext_lines && kexts == 0 {
                    issues.push("loaded kexts: list empty".into());
                }
                let unparsed = r.unparsed.len();
                println!(
                    "{} {name}: frames={frames} kexts={kexts} bt_kexts={} unparsed={unparsed} warnings={} msg={:?}{}",
                    if issues.is_empty() { "ok " } else { "BAD" },
                    r.kexts_in_backtrace.len(),
                    r.warnings.len(),
                    r.panic.as_ref().map(|p| p.message.chars().take(60).collect::<String>()),
                    if issues.is_empty() { String::new() } else { format!(" ISSUES: {}", issues.join("; ")) }
                );
            }
        }
    }
    println!("{ok} parsed, {refused} refused of {}", paths.len());
}
