//! The HTML of panic pages and triage reports, read without a browser: what they must hold,
//! checked against the logs themselves; escaping; no network; bounded size.

mod common;

use common::{corpus, hostile_text_panic, huge_stackshot, ips_body, page};
use kpanic_html::{panic_page, triage_report, BucketView, TriageReport, Written};

const AOP: &str = "ios-ips-full-aop-01.ips";

/// The threads of a stackshot (the raw JSON) whose state flags include all of `flags`.
fn threads_with(body: &serde_json::Value, flags: &[&str]) -> usize {
    let mut n = 0;
    for p in body["processByPid"].as_object().unwrap().values() {
        for t in p["threadById"].as_object().unwrap().values() {
            let st: Vec<&str> = t["state"]
                .as_array()
                .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
                .unwrap_or_default();
            if flags.iter().all(|f| st.contains(f)) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn a_full_panic_page_draws_every_thread_by_state() {
    let report = corpus(AOP);
    let html = panic_page(&page("aop", AOP, &report));
    let body = ips_body(AOP);
    let unint = threads_with(&body, &["TH_WAIT", "TH_UNINT"]);
    let idle = threads_with(&body, &["TH_IDLE"]);
    assert_eq!((unint, idle), (639, 6), "the corpus file changed");
    assert!(
        html.contains(&format!(
            "<span class=\"sw s-uninterruptible\"></span>uninterruptible {unint}</span>"
        )),
        "legend"
    );
    assert!(html.contains(&format!(
        "<span class=\"sw s-idle\"></span>idle {idle}</span>"
    )));
    // Every thread has a kernel stack or a continuation but one (the panicked thread's stack
    // is in the panic text): the root box counts 2 376 of the 2 377.
    assert!(html.contains("every thread with a kernel stack\n2\u{202f}376 threads (100.0%)"));
    assert!(html.contains("1 thread has no kernel stack in the stackshot and is not drawn"));
    assert!(html.contains("boxes too narrow to see left out"));
    // Without symbols, boxes are named by image and offset.
    // (the kernel as `kernel`; the tooltip names it in full).
    assert!(html.contains(">kernel+0x5063a4 (continuation)</text>"));
    assert!(html.contains("<title>continuation: ?? in kernel.release.t8150 at __TEXT_EXEC + 0x5063a4: no symbols\n799 threads"));
    assert!(html.contains("<svg class=\"flame\" id=\"aop-svg\""));
}

#[test]
fn the_memory_chart_gives_the_logs_page_counts() {
    let report = corpus(AOP);
    let html = panic_page(&page("aop", AOP, &report));
    let pages = &ips_body(AOP)["memoryStatus"]["memoryPages"];
    for (kind, key) in [
        ("wired", "wired"),
        ("free", "free"),
        ("file-backed", "fileBacked"),
    ] {
        let n = pages[key].as_u64().unwrap();
        let row = format!("</span>{kind}</td><td class=\"num\">{n}</td>");
        assert!(html.contains(&row), "{row}");
    }
    // 110818 wired pages of 16 KiB.
    assert!(html.contains("<title>wired: 1.7 GiB (14.8%)</title>"));
}

#[test]
fn markup_from_the_log_comes_out_as_text() {
    let report = hostile_text_panic();
    let p = page("hostile", "<i>file</i>.txt", &report);
    let html = panic_page(&p);
    // Only the page's own two scripts; no element the log asked for.
    assert_eq!(html.matches("<script").count(), 2, "{html}");
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b onmouseover"));
    assert!(!html.contains("<i>file"));
    assert!(html.contains("&lt;script&gt;document.documentElement.setAttribute(&#x27;data-pwned&#x27;,&#x27;1&#x27;)&lt;/script&gt;"));
    assert!(html.contains("&lt;b onmouseover=alert(1)&gt;task&lt;/b&gt;"));
    // In a triage report too, where the page id and bucket fields come from the caller.
    let bucket = BucketView {
        signature: "<svg onload=alert(1)>".into(),
        class: "\"><script>x</script>".into(),
        headline: p.headline().into(),
        count: 1,
        examples: vec!["hostile".into(), "\"><b>".into()],
        ..BucketView::default()
    };
    let (report_html, _) = triage_report(&TriageReport {
        title: "<title>",
        facts: &[],
        buckets: &[bucket],
        pages: &[p],
        max_pages: 10,
    });
    assert_eq!(report_html.matches("<script").count(), 2);
    assert!(!report_html.contains("<svg onload"));
    assert!(!report_html.contains("\"><b>"));
}

#[test]
fn a_page_asks_for_nothing_from_the_network() {
    let html = panic_page(&page("aop", AOP, &corpus(AOP)));
    assert!(html.contains("content=\"default-src 'none'; style-src 'sha256-"));
    assert!(!html.contains("unsafe-inline"));
    for needle in [
        " src=",
        "href=\"http",
        "url(",
        "@import",
        "<link",
        "<iframe",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    // The only URL is the SVG namespace, which is a name, not a fetch.
    let urls = html.matches("http://").count() + html.matches("https://").count();
    assert_eq!(
        urls,
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
}

#[test]
fn a_huge_stackshot_gives_a_bounded_flame_graph() {
    // 3 000 threads in 600 groups of 5 that share a stack, 60 frames deep, no frame shared
    // between groups: 36 000 distinct boxes, each wide enough to draw.
    let report = huge_stackshot(3_000, 5, 60);
    let html = panic_page(&page("huge", "huge.ips", &report));
    let boxes = html.matches("<g class=\"node\">").count();
    assert_eq!(boxes, kpanic_html::flame::MAX_BOXES);
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    assert!(html.contains("boxes past the first 2500 left out"));
    assert!(html.contains("3\u{202f}000 stacks deeper than 48 frames cut there"));
    // The states are all counted, drawn or not.
    assert!(
        html.contains("uninterruptible 1\u{202f}000</span>"),
        "legend"
    );
}

#[test]
fn a_triage_report_links_the_pages_it_keeps_and_says_how_many_it_left_out() {
    let names = [
        "ios-ips-full-aop-01.ips",
        "arm64-text-watchdog-01.txt",
        "x86-text-pagefault-catalina-01.txt",
    ];
    let pages: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| page(&format!("p{i}"), n, &corpus(n)))
        .collect();
    let buckets = vec![
        BucketView {
            signature: "aop_panic | RTBuddy".into(),
            class: pages[0].class().into(),
            headline: pages[0].headline().into(),
            count: 12,
            first_seen: Some("2026-01-10".into()),
            last_seen: Some("2026-01-17".into()),
            os_builds: vec![("23D127".into(), 12)],
            models: vec![("iPhone18,2".into(), 12)],
            suspects: vec![],
            trend: vec![("2026-01-10".into(), 4), ("2026-01-17".into(), 8)],
            examples: vec!["p0".into()],
        },
        BucketView {
            signature: "watchdog".into(),
            class: pages[1].class().into(),
            headline: pages[1].headline().into(),
            count: 3,
            examples: vec!["p1".into(), "p2".into()],
            ..BucketView::default()
        },
    ];
    let (html, written) = triage_report(&TriageReport {
        title: "Fleet",
        facts: &[("panics".into(), "15".into())],
        buckets: &buckets,
        pages: &pages,
        max_pages: 2,
    });
    assert_eq!(
        written,
        Written {
            pages: 2,
            pages_left_out: 1
        }
    );
    assert!(html.contains("1 more panic page left out of this file (the report keeps at most 2)"));
    // Each bucket's first example is kept; the second of the second bucket is not linked.
    assert!(html.contains("<section class=\"page\" id=\"p0\">"));
    assert!(html.contains("<section class=\"page\" id=\"p1\">"));
    assert!(!html.contains("id=\"p2\""));
    assert!(html.contains("<a href=\"#p1\">p1</a>, p2</td>"));
    assert_eq!(html.matches("<tr><td class=\"num\" data-v=").count(), 2);
    assert!(html.contains("<td class=\"num\" data-v=\"12\">12</td>"));
    // The trend: 4 on the first day, 8 on the last, zero between.
    assert!(html.contains("<title>2026-01-10: 4\n2026-01-17: 8</title>"));
    assert!(html.contains("<polyline points=\"2.0,12.0 18.6,22.0 101.4,22.0 118.0,2.0\"/>"));
}
