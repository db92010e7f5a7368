//! Markdown for a bug tracker: a summary, the bucket table, then a section per bucket with
//! its signature in a code span and its details as a list.

use std::io::Write;

use super::{plural, seen, suspects, text::summary_line, top, RenderError};
use crate::Triage;

/// Table cells hold no `|` or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Code spans: a backtick inside would end the span; a longer fence does not.
fn code(s: &str) -> String {
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

pub(super) fn write(w: &mut dyn Write, t: &Triage) -> Result<(), RenderError> {
    writeln!(w, "## Kernel panic triage\n")?;
    writeln!(w, "{}.\n", summary_line(t))?;
    if !t.buckets.is_empty() {
        writeln!(
            w,
            "| # | count | class | seen | OS builds | top suspect | headline |"
        )?;
        writeln!(w, "|--:|--:|---|---|---|---|---|")?;
        for (i, b) in t.buckets.iter().enumerate() {
            let suspect = b.suspects.first().map(|s| s.name.as_str()).unwrap_or("—");
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} |",
                i + 1,
                b.count,
                code(b.class.as_str()),
                cell(&seen(b)),
                cell(&top(&b.os_builds, 3)),
                cell(suspect),
                cell(&b.headline)
            )?;
        }
    }
    for (i, b) in t.buckets.iter().enumerate() {
        writeln!(w, "\n### {}. {}\n", i + 1, cell(&b.headline))?;
        writeln!(w, "- signature: {}", code(&cell(&b.signature.text)))?;
        writeln!(w, "- panics: {}", plural(b.count, "panic", "panics"))?;
        writeln!(w, "- seen: {}", seen(b))?;
        writeln!(w, "- OS builds: {}", top(&b.os_builds, 8))?;
        writeln!(w, "- models: {}", top(&b.models, 8))?;
        if !b.suspects.is_empty() {
            writeln!(w, "- suspects: {}", suspects(b, 8))?;
        }
        for e in &b.examples {
            writeln!(w, "- example: {}", code(e))?;
        }
    }
    if !t.warnings.is_empty() {
        writeln!(w, "\n### Warnings\n")?;
        for x in &t.warnings {
            writeln!(w, "- {}", cell(x))?;
        }
    }
    Ok(())
}
