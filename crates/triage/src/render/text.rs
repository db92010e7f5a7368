//! The terminal table: a summary line, one row per bucket, then each bucket's details.

use std::io::Write;

use super::{plural, seen, suspects, top, RenderError};
use crate::Triage;

/// The width used when the output is not a terminal.
pub const DEFAULT_WIDTH: usize = 100;

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut o: String = s.chars().take(max.saturating_sub(1)).collect();
        o.push('…');
        o
    }
}

/// A summary of what was read and skipped, in one sentence.
pub(super) fn summary_line(t: &Triage) -> String {
    let s = &t.summary;
    let mut line = format!(
        "{} in {} from {}",
        plural(s.panics, "panic", "panics"),
        plural(s.buckets, "bucket", "buckets"),
        plural(s.files, "file", "files"),
    );
    let skipped: Vec<String> = s
        .skipped
        .iter()
        .map(|(k, v)| format!("{v} {}", k.replace('_', " ")))
        .collect();
    if !skipped.is_empty() {
        line.push_str(&format!("; not counted: {}", skipped.join(", ")));
    }
    if !s.other_bug_types.is_empty() {
        let b: Vec<String> = s
            .other_bug_types
            .iter()
            .map(|(k, v)| format!("{k} ×{v}"))
            .collect();
        line.push_str(&format!(" (.ips bug_type {})", b.join(", ")));
    }
    if let Some(k) = &s.kext {
        line.push_str(&format!("; only panics implicating {k}"));
    }
    if let Some(d) = &s.since {
        line.push_str(&format!("; since {d}"));
    }
    line
}

pub(super) fn write(w: &mut dyn Write, t: &Triage, width: usize) -> Result<(), RenderError> {
    writeln!(w, "{}", summary_line(t))?;
    if !t.buckets.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "{:>3} {:>6}  {:<28} {:<23} top suspect",
            "#", "count", "class", "seen"
        )?;
        for (i, b) in t.buckets.iter().enumerate() {
            let suspect = b
                .suspects
                .first()
                .map(|s| {
                    if s.third_party {
                        format!("{} (third-party)", s.name)
                    } else {
                        s.name.clone()
                    }
                })
                .unwrap_or_else(|| "—".into());
            let row = format!(
                "{:>3} {:>6}  {:<28} {:<23} {}",
                i + 1,
                b.count,
                cut(b.class.as_str(), 28),
                seen(b),
                suspect
            );
            writeln!(w, "{}", cut(&row, width))?;
        }
    }
    for (i, b) in t.buckets.iter().enumerate() {
        writeln!(w)?;
        writeln!(
            w,
            "#{} {} ({})",
            i + 1,
            b.headline,
            plural(b.count, "panic", "panics")
        )?;
        writeln!(w, "  signature: {}", b.signature.text)?;
        if b.signature.build_specific {
            writeln!(
                w,
                "             (kernel offsets: one kernel build only; symbols group across builds)"
            )?;
        }
        writeln!(w, "  seen:      {}", seen(b))?;
        writeln!(w, "  OS builds: {}", top(&b.os_builds, 5))?;
        writeln!(w, "  models:    {}", top(&b.models, 5))?;
        if !b.suspects.is_empty() {
            writeln!(w, "  suspects:  {}", suspects(b, 5))?;
        }
        for e in &b.examples {
            writeln!(w, "  example:   {e}")?;
        }
    }
    if !t.warnings.is_empty() {
        writeln!(w)?;
        for x in &t.warnings {
            writeln!(w, "warning: {x}")?;
        }
    }
    Ok(())
}
