//! Undo what pasting does to a panic log before it is read.
//!
//! Logs reach users through issues, blogs, e-mails, slides and OCR. Each of these changes the text
//! in its own recognisable way: a `> ` or a code indent on every line, a syslog prefix
//! (`2024-… kernel[0]: `), a blank line after every line (PDF/slide extraction), typographic
//! quotes and dashes, `O`/`@` for `0` in hex numbers (OCR), the first letter of `panic(` lost
//! with the selection. Each repair here is applied only when its sign is in the text, and says
//! what it did in a warning of the report.

/// The repaired text and one warning per kind of repair; `None` when nothing was changed.
pub(crate) struct Repaired {
    pub text: String,
    pub warnings: Vec<String>,
}

pub(crate) fn normalise(input: &str) -> Option<Repaired> {
    let mut warnings = Vec::new();
    let mut text = map_typography(input, &mut warnings);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    strip_quotes(&mut lines, &mut warnings);
    strip_syslog(&mut lines, &mut warnings);
    strip_indent(&mut lines, &mut warnings);
    undouble_blank_lines(&mut lines, &mut warnings);
    unescape_markdown(&mut lines, &mut warnings);
    repair_cut_panic_line(&mut lines, &mut warnings);
    let ocr = repair_ocr_hex(&mut lines);
    if ocr > 0 {
        warnings.push(format!(
            "{ocr} hex numbers had OCR damage (`O` or `@` read for `0`): repaired"
        ));
    }
    if warnings.is_empty() {
        return None;
    }
    text = lines.join("\n");
    text.push('\n');
    Some(Repaired { text, warnings })
}

fn non_blank(lines: &[String]) -> impl Iterator<Item = &String> {
    lines.iter().filter(|l| !l.trim().is_empty())
}

/// Curly quotes, dashes, non-breaking and zero-width spaces, ellipses → ASCII.
fn map_typography(input: &str, warnings: &mut Vec<String>) -> String {
    let is_typo = |c: char| {
        matches!(
            c,
            '\u{201c}'..='\u{201f}'
                | '\u{2033}'
                | '\u{2018}'..='\u{201b}'
                | '\u{2032}'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '\u{00a0}'
                | '\u{2007}'
                | '\u{202f}'
                | '\u{200b}'..='\u{200d}'
                | '\u{feff}'
                | '\u{2026}'
        )
    };
    let count = input.chars().filter(|&c| is_typo(c)).count();
    if count == 0 {
        return input.to_string();
    }
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{201c}'..='\u{201f}' | '\u{2033}' => out.push('"'),
            '\u{2018}'..='\u{201b}' | '\u{2032}' => out.push('\''),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => {
                // OCR reads a hyphen as "—-": one dash.
                if chars.peek() == Some(&'-') {
                    chars.next();
                }
                out.push('-');
            }
            '\u{00a0}' | '\u{2007}' | '\u{202f}' => out.push(' '),
            '\u{200b}'..='\u{200d}' | '\u{feff}' => {}
            '\u{2026}' => out.push_str("..."),
            c => out.push(c),
        }
    }
    warnings.push(format!(
        "{count} typographic characters (curly quotes, dashes, special spaces) were mapped to ASCII"
    ));
    out
}

/// Markdown or e-mail quoting: every non-blank line starts with `>` (possibly nested).
fn strip_quotes(lines: &mut [String], warnings: &mut Vec<String>) {
    let mut levels = 0;
    // A bare `>` starts a 10.15 abbreviated kext id (`>!AHDA`): a list of those alone is not
    // quoted. A quote shows itself by a `> ` or an empty `>` line somewhere.
    // One quoted line is enough when it is the panic line itself (a one-line paste).
    let one_panic_line = |lines: &[String]| {
        let mut it = non_blank(lines);
        match (it.next(), it.next()) {
            (Some(l), None) => l
                .trim_start()
                .trim_start_matches(['>', ' '])
                .starts_with("panic("),
            _ => false,
        }
    };
    let quoted = |lines: &[String]| {
        (non_blank(lines).count() >= 2 || one_panic_line(lines))
            && non_blank(lines).all(|l| l.trim_start().starts_with('>'))
            && non_blank(lines).any(|l| {
                let rest = &l.trim_start()[1..];
                rest.is_empty() || rest.starts_with([' ', '>']) || rest.starts_with("panic(")
            })
    };
    while levels < 8 && quoted(lines) {
        for l in lines.iter_mut() {
            if let Some(rest) = l.trim_start().strip_prefix('>') {
                *l = rest.strip_prefix(' ').unwrap_or(rest).to_string();
            }
        }
        levels += 1;
    }
    if levels > 0 {
        warnings.push(format!(
            "every line was quoted with `>` (Markdown or e-mail, {levels} level(s)): the quote marks were removed"
        ));
    }
}

/// The length of a syslog/console prefix ending in `kernel[0]: ` or ` kernel: `, if `l` has one.
fn syslog_prefix_len(l: &str) -> Option<usize> {
    let head = prefix_at_most(l, 120);
    let end = if let Some(at) = head.find("kernel[") {
        let rest = &head[at + "kernel[".len()..];
        let close = rest.find("]:")?;
        if !rest[..close].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        at + "kernel[".len() + close + 2
    } else {
        head.find(" kernel: ")? + " kernel: ".len()
    };
    let before = &l[..end];
    // A prefix starts with a time stamp (digits) and is not itself part of the panic text.
    let has_digit = before.bytes().take(20).any(|b| b.is_ascii_digit());
    (has_digit && !before.contains("panic(")).then_some(end)
}

fn strip_syslog(lines: &mut [String], warnings: &mut Vec<String>) {
    let total = non_blank(lines).count();
    let with = non_blank(lines)
        .filter(|l| syslog_prefix_len(l).is_some())
        .count();
    // One prefixed line is enough when it is the panic line itself (a one-line paste).
    let one_panic_line = total == 1
        && non_blank(lines).any(|l| {
            syslog_prefix_len(l).is_some_and(|n| l[n..].trim_start().starts_with("panic("))
        });
    if (with < 2 && !one_panic_line) || with * 2 < total {
        return;
    }
    for l in lines.iter_mut() {
        if let Some(n) = syslog_prefix_len(l) {
            let rest = &l[n..];
            *l = rest.strip_prefix(' ').unwrap_or(rest).to_string();
        }
    }
    warnings.push(format!(
        "{with} lines carried a syslog/console prefix (`… kernel[0]: `): removed"
    ));
}

/// A code-block indent common to every non-blank line.
fn strip_indent(lines: &mut [String], warnings: &mut Vec<String>) {
    let mut common: Option<&str> = None;
    for l in non_blank(lines) {
        let ws = &l[..l.len() - l.trim_start().len()];
        common = Some(match common {
            None => ws,
            Some(c) => {
                // Compared by character: two different multi-byte spaces may share bytes.
                let n: usize = c
                    .chars()
                    .zip(ws.chars())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a.len_utf8())
                    .sum();
                &c[..n]
            }
        });
    }
    let n = common.map_or(0, str::len);
    if n == 0 {
        return;
    }
    let shown = common.unwrap_or("").replace('\t', "\\t");
    for l in lines.iter_mut() {
        if l.trim().is_empty() {
            l.clear();
        } else {
            l.drain(..n);
        }
    }
    warnings.push(format!(
        "every line was indented by `{shown}` (a code block): the indent was removed"
    ));
}

/// A blank line after every line (PDF and slide extraction, some paste targets).
fn undouble_blank_lines(lines: &mut Vec<String>, warnings: &mut Vec<String>) {
    let blank = |l: &String| l.trim().is_empty();
    let n = lines.iter().filter(|l| !blank(l)).count();
    let adjacent = lines
        .windows(2)
        .filter(|w| !blank(&w[0]) && !blank(&w[1]))
        .count();
    if n < 6 || adjacent * 4 > n {
        return;
    }
    let mut out = Vec::with_capacity(n * 2);
    let mut run = 0;
    for l in lines.drain(..) {
        if blank(&l) {
            run += 1;
            continue;
        }
        // A single blank line was the doubling; a longer run was a real blank line.
        if run >= 2 {
            out.push(String::new());
        }
        run = 0;
        out.push(l);
    }
    *lines = out;
    warnings.push("a blank line followed every line (PDF or slide extraction): removed".into());
}

/// Markdown source pasted as text: `RELEASE\_I386`, `\_\_ZN9IOService`. A panic never
/// prints a backslash before `_`.
fn unescape_markdown(lines: &mut [String], warnings: &mut Vec<String>) {
    let mut n = 0;
    for l in lines.iter_mut() {
        if l.contains("\\_") {
            n += l.matches("\\_").count();
            *l = l.replace("\\_", "_");
        }
    }
    if n > 0 {
        warnings.push(format!("{n} Markdown escapes (`\\_`) were removed"));
    }
}

/// `anic(cpu 8 caller …`: the selection lost the first letters of the panic line.
fn repair_cut_panic_line(lines: &mut [String], warnings: &mut Vec<String>) {
    if lines.iter().any(|l| l.trim_start().starts_with("panic(")) {
        return;
    }
    for l in lines.iter_mut() {
        let t = l.trim_start();
        let Some(paren) = t.find("(cpu ") else {
            continue;
        };
        let cut = &t[..paren];
        if !cut.is_empty() && cut.len() < 5 && "panic".ends_with(cut) {
            let missing = &"panic"[..5 - cut.len()];
            let fixed = format!("{missing}{t}");
            warnings.push(format!(
                "the panic line started with `{cut}(cpu`: the lost `{missing}` was restored"
            ));
            *l = fixed;
            return;
        }
    }
}

/// OCR reads `0` as `O` or `@`: `Oxfffffff0246bc@00` → `0xfffffff0246bc000`, and
/// `panic(cpu @ caller` → `panic(cpu 0 caller`. Only hex numbers (after a `0x`/`Ox`/`@x`
/// prefix) are touched: nothing else in a panic has a reliable shape. Returns the count.
fn repair_ocr_hex(lines: &mut [String]) -> usize {
    let mut count = 0;
    for l in lines.iter_mut() {
        if !(l.contains("Ox") || l.contains("@x") || l.contains("0x") || l.contains("cpu ")) {
            continue;
        }
        let (fixed, n) = repair_ocr_line(l);
        if n > 0 {
            *l = fixed;
            count += n;
        }
    }
    count
}

fn repair_ocr_line(l: &str) -> (String, usize) {
    let b = l.as_bytes();
    let is_hexish = |c: u8| c.is_ascii_hexdigit() || c == b'O' || c == b'@';
    let mut out = String::with_capacity(l.len());
    let mut n = 0;
    let mut i = 0;
    let mut copied = 0;
    while i + 2 < b.len() {
        let starts_token = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if starts_token && matches!(b[i], b'0' | b'O' | b'@') && b[i + 1] == b'x' {
            let mut end = i + 2;
            while end < b.len() && is_hexish(b[end]) {
                end += 1;
            }
            // Trailing damage characters are left alone: a real `@` may follow a number.
            let mut last = end;
            while last > i + 2 && matches!(b[last - 1], b'O' | b'@') {
                last -= 1;
            }
            let digits = &l[i + 2..last];
            let damaged = b[i] != b'0' || digits.contains(['O', '@']);
            let followed_by_word = end < b.len() && b[end].is_ascii_alphanumeric();
            if damaged && !digits.is_empty() && !followed_by_word {
                out.push_str(&l[copied..i]);
                out.push_str("0x");
                out.push_str(&digits.replace(['O', '@'], "0"));
                copied = last;
                n += 1;
            }
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    out.push_str(&l[copied..]);
    // `panic(cpu @ caller …` / `panic(cpu O caller …`
    for bad in ["(cpu @ ", "(cpu O "] {
        if let Some(at) = out.find(bad) {
            out.replace_range(at..at + bad.len(), "(cpu 0 ");
            n += 1;
        }
    }
    (out, n)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn prefix_at_most(s: &str, max: usize) -> &str {
    let mut cut = s.len().min(max);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocr_hex() {
        let (s, n) = repair_ocr_line("KernelCache base: Oxfffffff0246bc@00 x @x6 0x6@ E@lock.c");
        assert_eq!(
            s,
            "KernelCache base: 0xfffffff0246bc000 x 0x6 0x6@ E@lock.c"
        );
        assert_eq!(n, 2);
        let (s, n) = repair_ocr_line("panic(cpu @ caller OxfffffffO25b3bf54): x");
        assert_eq!(s, "panic(cpu 0 caller 0xfffffff025b3bf54): x");
        assert_eq!(n, 2);
        let (s, n) = repair_ocr_line("lr: 0xfffffe0013c5bbe8  fp: 0x0 @0xffffff7f8");
        assert_eq!(
            (s.as_str(), n),
            ("lr: 0xfffffe0013c5bbe8  fp: 0x0 @0xffffff7f8", 0)
        );
    }

    #[test]
    fn untouched_log_is_not_copied() {
        assert!(normalise("panic(cpu 0 caller 0x1): x\nDebugger message: panic\n").is_none());
    }

    #[test]
    fn syslog() {
        assert_eq!(
            syslog_prefix_len("2024-01-02 10:00:00.1 host kernel[0]: panic(cpu"),
            Some("2024-01-02 10:00:00.1 host kernel[0]:".len())
        );
        assert_eq!(syslog_prefix_len("panic(cpu 0): kernel[0]: x"), None);
    }
}
