//! The way a panic is pasted does not change its diagnosis: every text log of the corpus,
//! quoted in Markdown or e-mail, indented as a code block, fenced, with CRLF line ends, with a
//! blank line after every line, or behind a syslog prefix, gets the class it gets as a file.

use std::path::PathBuf;

use kpanic::diagnose::{diagnose, PanicClass};

fn class_of(text: &str) -> Result<PanicClass, String> {
    let report = kpanic_report::parse(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(diagnose(&report, None).class)
}

/// Each line of `t` through `f`, line ends kept.
fn per_line(t: &str, f: impl Fn(&str) -> String) -> String {
    t.split_inclusive('\n').map(f).collect()
}

/// A way of pasting: its name and what it does to the text.
type Paste = (&'static str, fn(&str) -> String);

#[test]
fn pasting_does_not_change_the_class() {
    let transforms: &[Paste] = &[
        ("markdown quote", |t| per_line(t, |l| format!("> {l}"))),
        ("e-mail quote", |t| per_line(t, |l| format!(">> {l}"))),
        ("code indent", |t| per_line(t, |l| format!("    {l}"))),
        ("fence", |t| format!("```\n{t}\n```\n")),
        ("crlf", |t| t.replace('\n', "\r\n")),
        ("blank lines", |t| t.replace('\n', "\n\n")),
        ("syslog", |t| {
            per_line(t, |l| format!("2024-05-01 10:00:00.000 kernel[0]: {l}"))
        }),
    ];
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt") || n.ends_with(".panic"))
        .collect();
    names.sort();
    let mut wrong = Vec::new();
    for name in &names {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let base = class_of(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (what, f) in transforms {
            match class_of(&f(&text)) {
                Ok(c) if c == base => {}
                got => wrong.push(format!("{name}, {what}: {base} -> {got:?}")),
            }
        }
    }
    assert!(names.len() > 40, "{} text logs", names.len());
    assert!(wrong.is_empty(), "{wrong:#?}");
}
