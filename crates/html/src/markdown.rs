//! One panic as Markdown, for a bug tracker: the headline, the facts, the answer, the other
//! findings, the suspects and the backtrace in a fenced block.
//!
//! Text from the log is escaped (CommonMark backslash escapes; code spans and fences longer
//! than any backtick run inside them), so a panic string cannot turn into markup or a link.

use kpanic::diagnose::Diagnosis;
use kpanic::symbolicate::Symbolication;
use kpanic_report::PanicReport;

use crate::backtrace::panicked_frames;
use crate::diagnosis::facts;
use crate::labels::{address, frame_label, inlined};
use crate::markup::w;

/// The Markdown of one diagnosed panic read from `file`; `sym` as for
/// [`crate::PanicPage::new`].
pub fn panic_markdown(
    file: &str,
    report: &PanicReport,
    sym: Option<&Symbolication>,
    d: &Diagnosis,
) -> String {
    let sym = crate::backtrace::or_placed(report, sym);
    let sym = &*sym;
    let mut o = String::new();
    w!(&mut o, "## {}\n\n", text(&d.headline));
    let mut f = facts(d);
    f.insert(0, ("file", file.to_string()));
    let line: Vec<String> = f
        .iter()
        .map(|(k, v)| format!("**{k}** {}", text(v)))
        .collect();
    w!(&mut o, "{}\n\n", line.join(" · "));
    if let Some(m) = &d.panic.message {
        w!(&mut o, "{}\n", fenced("text", m));
    }
    if let Some(first) = d.findings.first() {
        w!(&mut o, "{}\n\n", text(&first.explanation));
        if !first.evidence.is_empty() {
            o.push_str("**Evidence**\n\n");
            for e in &first.evidence {
                match e.line {
                    Some(l) => w!(&mut o, "- line {}: {}\n", l + 1, code(&e.text)),
                    None => w!(&mut o, "- {}\n", text(&e.text)),
                }
            }
            o.push('\n');
        }
        if !first.next_steps.is_empty() {
            o.push_str("**What to do**\n\n");
            for (i, s) in first.next_steps.iter().enumerate() {
                w!(&mut o, "{}. {}\n", i + 1, text(s));
            }
            o.push('\n');
        }
    }
    if d.findings.len() > 1 {
        o.push_str("### Other findings\n\n");
        for f in d.findings.iter().skip(1) {
            w!(
                &mut o,
                "- **{}** ({}, {} confidence): {}\n",
                text(&f.title),
                code(f.class.as_str()),
                f.confidence,
                text(&f.explanation)
            );
        }
        o.push('\n');
    }
    if !d.suspects.is_empty() {
        o.push_str("### Suspects\n\n| bundle | version | what | role |\n|---|---|---|---|\n");
        for s in &d.suspects {
            w!(
                &mut o,
                "| {} | {} | {} | {} |\n",
                code(&s.bundle_id),
                text(s.version.as_deref().unwrap_or("")),
                text(&format!("{}, {}", s.origin_label(), s.category)),
                s.role
            );
        }
        o.push('\n');
    }
    backtrace(&mut o, sym);
    for n in &d.log_warnings {
        w!(&mut o, "> note: {}\n", text(n));
    }
    o
}

fn backtrace(o: &mut String, sym: &Symbolication) {
    let frames = panicked_frames(sym);
    if frames.is_empty() && sym.caller.is_none() {
        return;
    }
    let mut lines: Vec<String> = Vec::new();
    if let Some(c) = &sym.caller {
        lines.push(format!("caller  {}  {}", address(c), c.describe()));
    }
    for (i, f) in frames.iter().enumerate() {
        let what = if f.is_resolved() {
            f.describe()
        } else {
            let why = f.unresolved().map(|u| u.to_string()).unwrap_or_default();
            format!("{} ({why})", frame_label(f))
        };
        lines.push(format!("{i:>6}  {}  {what}", address(f)));
        for (func, loc) in inlined(f) {
            let loc = loc.map(|l| format!(" ({l})")).unwrap_or_default();
            lines.push(format!("{:>6}  {:>18}  [inlined] {func}{loc}", "", ""));
        }
    }
    o.push_str("### Backtrace\n\n");
    o.push_str(&fenced("text", &lines.join("\n")));
    w!(
        o,
        "\n{} of {} frames resolved.\n\n",
        sym.summary.resolved,
        sym.summary.frames
    );
}

/// `s` as Markdown text: characters that could start markup anywhere in a line (emphasis,
/// code, links, HTML, entities, table cells, strikethrough) are backslash-escaped, and so is
/// what would start a block at the beginning of a line (`#`, `-`, `+`, `>`, `1.`); line breaks
/// become spaces, so one item stays one line. `_` inside a word is left alone, as CommonMark
/// never reads it as emphasis there.
pub(crate) fn text(s: &str) -> String {
    let chars: Vec<char> = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut out = String::with_capacity(s.len() + 8);
    // A leading block marker: `#`, `-`, `+`, `>`, or the `.`/`)` after leading digits.
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    // (A marker starts a block only when a space or the end of the line follows it.)
    let then_space = |i: usize| chars.get(i).is_none_or(|c| *c == ' ');
    let block_at = match chars.first() {
        Some('#' | '-' | '+') if then_space(1) || chars[0] == '#' => Some(0),
        _ if digits > 0
            && matches!(chars.get(digits), Some('.' | ')'))
            && then_space(digits + 1) =>
        {
            Some(digits)
        }
        _ => None,
    };
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '&' | '|' | '~' => true,
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            _ => block_at == Some(i),
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as an inline code span: delimited by more backticks than any run inside it.
pub(crate) fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let ticks = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

/// `s` in a fenced code block whose fence is longer than any backtick run inside it.
pub(crate) fn fenced(info: &str, s: &str) -> String {
    let fence = "`".repeat(longest_run(s, '`').max(2) + 1);
    format!("{fence}{info}\n{}\n{fence}\n", s.trim_end_matches('\n'))
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        if ch == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(
            text("<b>[x](http://e) *y* `z`\n# h _e_ a_b"),
            "\\<b\\>\\[x\\](http://e) \\*y\\* \\`z\\` # h \\_e\\_ a_b"
        );
        assert_eq!(text("# title"), "\\# title");
        assert_eq!(text("12. not a list"), "12\\. not a list");
        assert_eq!(text("- not an item"), "\\- not an item");
        assert_eq!(text("1.0"), "1.0");
        assert_eq!(text("-x"), "-x");
    }

    #[test]
    fn code_spans_and_fences_outrun_the_backticks_inside() {
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(fenced("text", "```\nboom"), "````text\n```\nboom\n````\n");
    }
}
