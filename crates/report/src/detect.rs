//! Is it text, JSON, or not a panic file at all?

use crate::ParseError;

pub(crate) enum Container {
    Json,
    Text,
}

/// Bytes to text. Panic logs are ASCII with the odd UTF-8 (blog typography); NULs or a high
/// share of invalid UTF-8 mean the file is something else (a kernelcache, an image…).
pub(crate) fn decode(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, ParseError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    if bytes.contains(&0) {
        let nuls = bytes.iter().filter(|&&b| b == 0).count();
        return Err(ParseError::Binary {
            reason: format!("{nuls} NUL bytes"),
        });
    }
    // Binary files show themselves early; a sample keeps this cheap on multi-MB panics.
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let bad = match &text {
        std::borrow::Cow::Borrowed(_) => 0,
        std::borrow::Cow::Owned(t) => t.matches('\u{fffd}').count(),
    };
    // A few stray bytes happen in pastes; a tenth of the file does not.
    if (bad + controls) * 10 > sample.len().max(1) {
        return Err(ParseError::Binary {
            reason: format!("{bad} invalid UTF-8 sequences and {controls} control bytes"),
        });
    }
    Ok(text)
}

pub(crate) fn container(text: &str) -> Container {
    if text.trim_start().starts_with('{') {
        Container::Json
    } else {
        Container::Text
    }
}
