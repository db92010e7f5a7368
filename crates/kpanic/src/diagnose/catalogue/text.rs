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
        if rest.len() < start + len {
            break;
        }
        parts.push(&rest[start..start + len]);
        rest = &rest[start + len..];
    }
    if parts.is_empty() {
        sym.to_string()
    } else {
        parts.join("::")
    }
}
