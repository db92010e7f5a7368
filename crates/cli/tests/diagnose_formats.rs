//! `kpanic diagnose --format text|json|markdown|html`: the same diagnosis in each format; one
//! HTML document whatever the number of panics; `--json` unchanged.

mod common;
use common::{corpus, run, stdout_ok, text_ok};

#[test]
fn format_json_is_json() {
    let f = corpus("arm64-text-watchdog-01.txt");
    assert_eq!(
        stdout_ok(&["diagnose", "--format", "json", &f]),
        stdout_ok(&["diagnose", "--json", &f])
    );
}

#[test]
fn format_text_is_the_default() {
    let f = corpus("arm64-text-watchdog-01.txt");
    assert_eq!(
        text_ok(&["diagnose", "--format", "text", &f]),
        text_ok(&["diagnose", &f])
    );
}

#[test]
fn html_of_one_full_panic_is_one_page() {
    let f = corpus("ios-ips-full-aop-01.ips");
    let html = text_ok(&["diagnose", "--format", "html", &f]);
    assert!(html.starts_with("<!DOCTYPE html>\n"));
    assert_eq!(html.matches("</html>").count(), 1);
    assert!(html.contains("<main id=\"panic-1\">"));
    assert!(html.contains("<svg class=\"flame\" id=\"panic-1-svg\""));
    assert!(html.contains("<h2 id=\"panic-1-memory\">Memory</h2>"));
}

#[test]
fn html_of_several_panics_is_one_document_with_a_page_each() {
    let a = corpus("ios-ips-full-aop-01.ips");
    let b = corpus("x86-text-pagefault-catalina-01.txt");
    let out = run(
        &["diagnose", "--format", "html", &a, "/nonexistent.panic", &b],
        None,
    );
    // The unusable file is said on stderr and makes the status 2; the others are in the file.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.panic"));
    let html = String::from_utf8(out.stdout).unwrap();
    assert_eq!(html.matches("<!DOCTYPE html>").count(), 1);
    assert!(!html.contains("==>"), "no text headers in HTML");
    // Pages are numbered by command-line position and listed in that order.
    let first = html
        .find("<section class=\"page\" id=\"panic-1\">")
        .unwrap();
    let third = html
        .find("<section class=\"page\" id=\"panic-3\">")
        .unwrap();
    assert!(first < third);
    assert!(!html.contains("id=\"panic-2\""));
    assert!(html.contains(&format!("<a href=\"#panic-3\">{b}</a>")));
}

#[test]
fn markdown_from_stdin() {
    let f = corpus("x86-text-pagefault-catalina-01.txt");
    let bytes = std::fs::read(&f).unwrap();
    let out = run(&["diagnose", "--format", "markdown", "-"], Some(&bytes));
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("## Page fault in the kernel"), "{md}");
    assert!(md.contains("**file** \\<stdin\\>"), "{md}");
    assert!(md.contains("### Backtrace\n\n```text\n"));
}

#[test]
fn json_and_another_format_conflict() {
    let f = corpus("arm64-text-watchdog-01.txt");
    let out = run(&["diagnose", "--json", "--format", "html", &f], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
