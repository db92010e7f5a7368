//! The document around every report: one file, no network. CSS and scripts are inline. The
//! Content-Security-Policy forbids every fetch (`default-src 'none'`), and allows only the
//! page's own inline script and style, by their SHA-256: were a log's markup ever to slip
//! through the escaping, its scripts and event handlers would still not run.

use std::sync::OnceLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::markup::esc;

const STYLE: &str = include_str!("../assets/style.css");
/// Runs first: records errors into the DOM (the browser test reads them).
const HOOK: &str = include_str!("../assets/hook.js");
/// Runs last: sortable tables, clickable flame-graph boxes.
const SCRIPT: &str = include_str!("../assets/report.js");

/// A complete HTML document titled `title` around `body` (already HTML).
pub(crate) fn document(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + STYLE.len() + SCRIPT.len() + 1024);
    document_head(&mut out, title);
    out.push_str(body);
    document_tail(&mut out);
    out
}

/// Everything up to and including `<body>`.
pub(crate) fn document_head(out: &mut String, title: &str) {
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"");
    out.push_str(policy());
    out.push_str("\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"generator\" content=\"kpanic\">\n");
    out.push_str("<title>");
    out.push_str(&esc(title));
    out.push_str("</title>\n<script>");
    out.push_str(HOOK);
    out.push_str("</script>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
}

/// The closing script and tags.
pub(crate) fn document_tail(out: &mut String) {
    out.push_str("<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
}

/// The Content-Security-Policy: nothing fetched; the inline style and scripts above, by hash.
fn policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        format!(
            "default-src 'none'; style-src '{}'; script-src '{}' '{}'",
            sha256(STYLE),
            sha256(HOOK),
            sha256(SCRIPT)
        )
    })
}

/// `sha256-<base64>` of an element's text, as CSP wants it.
fn sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_csp_sha256_sources() {
        // printf 'abc' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            sha256("abc"),
            "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }
}
