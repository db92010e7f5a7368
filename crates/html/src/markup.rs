//! Escaping: every string that comes from a panic log (or from anything derived from one) goes
//! into the HTML through [`esc`], in text and in quoted attribute values alike.

use std::fmt::Write as _;

/// `s` safe inside element text and inside a double- or single-quoted attribute value: `&`,
/// `<`, `>`, `"` and `'` become character references. Logs are untrusted: a panic string
/// holding `<script>` must come out as text.
pub(crate) fn esc(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).into_owned()
}

/// Appends `format!(…)` to a `String`; writing to a `String` cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = ::std::fmt::Write::write_fmt($out, format_args!($($arg)*));
    }};
}
pub(crate) use w;

/// An id usable in `id="…"` and in a URL fragment from any string: ASCII letters, digits,
/// `-` and `_` kept, everything else as `-`; never empty.
pub(crate) fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        out.push('x');
    }
    out
}

/// `<dl>`-style `label: value` pairs as a compact facts line, each value escaped.
pub(crate) fn facts_line(out: &mut String, facts: &[(&str, String)]) {
    if facts.is_empty() {
        return;
    }
    out.push_str("<p class=\"facts\">");
    for (i, (label, value)) in facts.iter().enumerate() {
        if i > 0 {
            out.push_str(" <span class=\"sep\">·</span> ");
        }
        let _ = write!(
            out,
            "<span class=\"fact\"><span class=\"k\">{}</span> {}</span>",
            esc(label),
            esc(value)
        );
    }
    out.push_str("</p>\n");
}

/// A number with thin grouping (`12 345`), for counts in tables.
pub(crate) fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// `1 thread`, `2 threads` (`n` grouped as [`count`] does).
pub(crate) fn things(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_become_references() {
        assert_eq!(
            esc(r#"<script>alert("x&'y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#x27;y&quot;)&lt;/script&gt;"
        );
    }

    #[test]
    fn slugs_keep_only_fragment_safe_characters() {
        assert_eq!(slug("panic-full 2024/01.ips"), "panic-full-2024-01-ips");
        assert_eq!(slug("\"><x"), "---x");
        assert_eq!(slug(""), "x");
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(7), "7");
        assert_eq!(count(1234), "1\u{202f}234");
        assert_eq!(count(1234567), "1\u{202f}234\u{202f}567");
    }
}
