//! Pull string values out of JSON that does not parse: `.ips` files cut by their authors, or
//! mangled by PDF extraction (raw newlines in strings, a stray comma in the header).

/// The first string value of `"key"` (as an object key: followed by `:`), decoded.
/// Returns `(value, complete)`; `complete` is false when the input ends before the closing quote.
pub(crate) fn find_string_value(text: &str, key: &str) -> Option<(String, bool)> {
    find_string_body(text, key).map(decode_string_body)
}

/// The raw text after the opening quote of the first string value of `"key"`.
pub(crate) fn find_string_body<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\"");
    let mut from = 0;
    while let Some(pos) = text.get(from..)?.find(&needle) {
        let after = from + pos + needle.len();
        let rest = text.get(after..)?.trim_start();
        if let Some(rest) = rest.strip_prefix(':') {
            let rest = rest.trim_start();
            if let Some(body) = rest.strip_prefix('"') {
                return Some(body);
            }
            return None;
        }
        from = after;
    }
    None
}

/// Decode a JSON string body (after the opening quote) up to the closing quote.
/// Tolerates raw control characters; invalid escapes are kept verbatim.
pub(crate) fn decode_string_body(body: &str) -> (String, bool) {
    let mut out = String::with_capacity(body.len().min(1 << 20));
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return (out, true),
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('/') => out.push('/'),
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    match u32::from_str_radix(&hex, 16) {
                        Ok(hi) if (0xd800..0xdc00).contains(&hi) => {
                            // A surrogate pair: the low half must follow as \uXXXX.
                            let save = chars.clone();
                            let lo = (chars.next() == Some('\\') && chars.next() == Some('u'))
                                .then(|| {
                                    let h: String = chars.by_ref().take(4).collect();
                                    u32::from_str_radix(&h, 16).ok()
                                })
                                .flatten()
                                .filter(|lo| (0xdc00..0xe000).contains(lo));
                            match lo {
                                Some(lo) => {
                                    let cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                                    out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                                }
                                None => {
                                    chars = save;
                                    out.push('\u{fffd}');
                                }
                            }
                        }
                        Ok(cp) => out.push(char::from_u32(cp).unwrap_or('\u{fffd}')),
                        Err(_) => {
                            out.push_str("\\u");
                            out.push_str(&hex);
                        }
                    }
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => {
                    out.push('\\');
                    return (out, false);
                }
            },
            c => out.push(c),
        }
    }
    (out, false)
}

/// A scalar (number or string) value of `"key"`, as text: for header fields like `"bug_type":210`.
pub(crate) fn find_scalar_value(text: &str, key: &str) -> Option<String> {
    if let Some((v, _)) = find_string_value(text, key) {
        return Some(v);
    }
    let needle = format!("\"{key}\"");
    let pos = text.find(&needle)? + needle.len();
    let rest = text
        .get(pos..)?
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    let v = &rest[..end];
    (!v.is_empty()).then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_values() {
        let t = r#"{"a" : "x\ny\t\"q\" \/ \u00e9 \ud83d\ude00", "b":"cut"#;
        assert_eq!(
            find_string_value(t, "a"),
            Some(("x\ny\t\"q\" / é 😀".into(), true))
        );
        assert_eq!(find_string_value(t, "b"), Some(("cut".into(), false)));
        assert_eq!(find_string_value(t, "c"), None);
        assert_eq!(
            find_string_value(r#"{"k":"x\"#, "k"),
            Some(("x\\".into(), false))
        );
        assert_eq!(
            find_string_value(r#"{"k":"\u12"#, "k").map(|v| v.1),
            Some(false)
        );
        assert_eq!(
            find_string_value(r#"{"k":"\ud800x"}"#, "k"),
            Some(("\u{fffd}x".into(), true))
        );
        assert_eq!(
            find_scalar_value(r#"{"bug_type":210,"#, "bug_type").as_deref(),
            Some("210")
        );
        // A key named like a value elsewhere is not confused with the value.
        assert_eq!(
            find_string_value(r#"{"x":"string","string":"v"}"#, "string"),
            Some(("v".into(), true))
        );
    }
}
