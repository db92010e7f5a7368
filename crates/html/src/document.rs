//! The document around every report: one file, no network. The Content-Security-Policy forbids
//! every fetch (`default-src 'none'`), so even a reference that slipped through would not load;
//! CSS and scripts are inline.

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
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"generator\" content=\"kpanic\">\n");
    out.push_str("<title>");
    out.push_str(&esc(title));
    out.push_str("</title>\n<script>");
    out.push_str(HOOK);
    out.push_str("</script>\n<style>\n");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
}

/// The closing script and tags.
pub(crate) fn document_tail(out: &mut String) {
    out.push_str("<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
}
