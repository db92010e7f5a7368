//! The text a caught Rust panic carried: what a per-file `catch_unwind` reports as that file's
//! internal error (the CLI for every command, triage for each panic of a fleet).

use std::any::Any;

/// The message of a panic payload (`panic!("…")` gives a `&str` or a `String`), or
/// `(no message)`.
pub fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

#[cfg(test)]
mod tests {
    use super::panic_text;

    #[test]
    fn reads_both_payload_kinds() {
        let literal = std::panic::catch_unwind(|| panic!("literal")).unwrap_err();
        let formatted = std::panic::catch_unwind(|| panic!("index {}", 7)).unwrap_err();
        let other = std::panic::catch_unwind(|| std::panic::panic_any(42u8)).unwrap_err();
        assert_eq!(panic_text(literal.as_ref()), "literal");
        assert_eq!(panic_text(formatted.as_ref()), "index 7");
        assert_eq!(panic_text(other.as_ref()), "(no message)");
    }
}
