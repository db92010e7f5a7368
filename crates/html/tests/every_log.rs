//! Every log of the corpus and of `testdata/hostile` (inputs that once broke a parser)
//! renders as HTML and Markdown: no panic, only the page's own scripts, balanced elements.

mod common;

use common::{page, repo_file};
use kpanic::diagnose::diagnose;
use kpanic_html::{panic_markdown, panic_page};

fn logs() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for dir in ["testdata/corpus", "testdata/hostile", "testdata/scenarios"] {
        for e in std::fs::read_dir(repo_file(dir)).unwrap() {
            let p = e.unwrap().path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "txt" | "ips" | "panic" | "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_log_renders() {
    let logs = logs();
    assert!(logs.len() >= 70, "{} logs", logs.len());
    let mut rendered = 0;
    for path in &logs {
        let name = path.display().to_string();
        // Files the parser refuses are its business (and are said by the CLI); the others render.
        let Ok(report) = kpanic_report::parse_file(path) else {
            continue;
        };
        let html = panic_page(&page("p", &name, &report));
        assert_eq!(html.matches("<script").count(), 2, "{name}");
        for el in [
            "section", "table", "details", "svg", "ul", "ol", "tr", "g", "p",
        ] {
            let open =
                html.matches(&format!("<{el}>")).count() + html.matches(&format!("<{el} ")).count();
            let close = html.matches(&format!("</{el}>")).count();
            assert_eq!(open, close, "{name}: <{el}> opened {open}, closed {close}");
        }
        let d = diagnose(&report, None);
        let md = panic_markdown(&name, &report, None, &d);
        assert!(md.starts_with("## "), "{name}");
        // Fences open and close.
        assert_eq!(
            md.lines().filter(|l| l.starts_with("```")).count() % 2,
            0,
            "{name}"
        );
        rendered += 1;
    }
    assert!(rendered >= 65, "{rendered} rendered");
}
