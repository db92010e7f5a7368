//! Reading values out of panic messages and symbol names.

/// The number after `key` (`watchdogd in 305 seconds` → 305).
pub(super) fn first_number_after(s: &str, key: &str) -> Option<u64> {
    let i = s.find(key)? + key.len();
    let digits: String = s[i..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The value after `key` up to the next space/comma/paren (`CSTS=0x1` → `0x1`).
pub(super) fn value_after<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let i = s.find(key)? + key.len();
    let rest = &s[i..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ',' || c == ')' || c == '"' || c == '\\')
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|v| !v.is_empty())
}

/// `__ZN22AppleUSBHostController20lowerOnePowerStateToEm` → `AppleUSBHostController::lowerOnePowerStateTo`.
pub fn demangle_short(sym: &str) -> String {
    let s = sym.trim_start_matches('_');
    let Some(rest) = s.strip_prefix("ZN").or_else(|| s.strip_prefix("ZNK")) else {
        return sym.trim_start_matches('_').to_string();
    };
    let mut parts = Vec::new();
    let mut rest = rest;
    loop {
        let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if n.is_empty() {
            break;
        }
        let Ok(len) = n.parse::<usize>() else { break };
        let start = n.len();
        // The length comes from the log: it may run past the end or into a multi-byte char.
        let Some(end) = start.checked_add(len) else {
            break;
        };
        let (Some(part), Some(tail)) = (rest.get(start..end), rest.get(end..)) else {
            break;
        };
        parts.push(part);
        rest = tail;
    }
    if parts.is_empty() {
        sym.to_string()
    } else {
        parts.join("::")
    }
}

#[cfg(test)]
mod tests {
    use super::demangle_short;

    #[test]
    fn demangle_short_hostile_lengths() {
        assert_eq!(
            demangle_short("__ZN22AppleUSBHostController20lowerOnePowerStateToEm"),
            "AppleUSBHostController::lowerOnePowerStateTo"
        );
        // A length of usize::MAX, a length past the end, a length ending inside `é`.
        for sym in [
            "__ZN18446744073709551615abcdefghijklmnopqrst",
            "__ZN99abc",
            "__ZN1\u{e9}x",
        ] {
            assert_eq!(demangle_short(sym), sym);
        }
        assert_eq!(demangle_short("__ZN2\u{e9}3foo"), "\u{e9}::foo");
    }
}
