//! The reports in a real headless browser (Debian's chromium), offline: they load without
//! errors, their scripts run, the bucket table and the flame graph are there in the DOM and
//! on screen, and markup from a hostile log does not run.
//!
//! Without chromium the test says why and passes, unless `CI` is set: CI installs it
//! (`.ci/run`). With `KPANIC_SCREENSHOTS=DIR` the screenshots are kept in DIR (how the ones in
//! `docs/` were made).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{corpus, hostile_text_panic, page};
use kpanic_html::{panic_page, triage_report, BucketView, StateKind, TriageReport};

const AOP: &str = "ios-ips-full-aop-01.ips";

/// The browser to run: `KPANIC_CHROMIUM`, else the first of Debian's and Google's names on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KPANIC_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Chromium, or `None` (with the reason printed) when it is missing outside CI.
fn browser_or_skip() -> Option<Browser> {
    match chromium() {
        Some(exe) => Some(Browser { exe }),
        None if std::env::var_os("CI").is_some() => {
            panic!(
                "chromium is not installed; CI must install it (.ci/run: apt-get install chromium)"
            )
        }
        None => {
            eprintln!("skipped: chromium is not installed (apt-get install chromium); under CI this fails");
            None
        }
    }
}

struct Browser {
    exe: PathBuf,
}

impl Browser {
    /// Runs headless chromium on `url` with `args` (networking off, a fresh profile) and
    /// returns its stdout.
    fn run(&self, url: &str, args: &[String]) -> String {
        let profile = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(&self.exe);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            // No name resolves: a page that tried to fetch anything would fail to.
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("chromium starts");
        // Read stdout on a thread: a DOM dump can be larger than a pipe's buffer.
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut s).map(|_| s)
        });
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                panic!("chromium did not finish within 120 s on {url}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = reader.join().unwrap().unwrap();
        assert!(status.success(), "chromium failed on {url}: {status}");
        out
    }

    /// The DOM after the page's scripts ran.
    fn dom(&self, file: &Path) -> String {
        self.run(&url(file, ""), &["--dump-dom".into()])
    }

    /// A screenshot of `file` opened at `fragment`, decoded. Headless chromium paints a
    /// scrolled page only in part, so the window is made tall enough for the whole page: a
    /// fragment then selects (CSS `:target`) without scrolling.
    fn screenshot(&self, file: &Path, fragment: &str, width: u32, height: u32) -> Image {
        let png = match fragment.trim_start_matches('#') {
            "" => file.with_extension("png"),
            f => file.with_extension(format!("{f}.png")),
        };
        let _ = std::fs::remove_file(&png);
        self.run(
            &url(file, fragment),
            &[
                format!("--screenshot={}", png.display()),
                format!("--window-size={width},{height}"),
            ],
        );
        let img = Image::read(&png);
        if let Some(dir) = std::env::var_os("KPANIC_SCREENSHOTS") {
            let name = png.file_name().unwrap();
            std::fs::copy(&png, Path::new(&dir).join(name)).unwrap();
        }
        img
    }
}

fn url(file: &Path, fragment: &str) -> String {
    format!("file://{}{fragment}", file.display())
}

/// A decoded screenshot, as RGB.
struct Image {
    width: usize,
    height: usize,
    rgb: Vec<[u8; 3]>,
}

impl Image {
    fn read(path: &Path) -> Image {
        let file = std::io::BufReader::new(std::fs::File::open(path).expect("a screenshot"));
        let mut reader = png::Decoder::new(file).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("unexpected screenshot colour type {other:?}"),
        };
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let (width, height) = (info.width as usize, info.height as usize);
        let mut rgb = Vec::with_capacity(width * height);
        for y in 0..height {
            let row = &buf[y * info.line_size..][..width * channels];
            rgb.extend(row.chunks(channels).map(|p| [p[0], p[1], p[2]]));
        }
        Image { width, height, rgb }
    }

    /// Pixels of rows `rows` for which `pred` holds.
    fn count(&self, rows: std::ops::Range<usize>, pred: impl Fn([u8; 3]) -> bool) -> usize {
        rows.filter(|&y| y < self.height)
            .flat_map(|y| &self.rgb[y * self.width..(y + 1) * self.width])
            .filter(|p| pred(**p))
            .count()
    }
}

/// Exactly one of the flame graph's state colours (the boxes are filled flat).
fn is_state_colour(p: [u8; 3]) -> bool {
    StateKind::ALL.iter().any(|k| k.rgb() == p)
}

fn is_background(p: [u8; 3]) -> bool {
    p == [255, 255, 255]
}

/// Asserts the page loaded without errors and its script ran to the end.
fn assert_clean(dom: &str) {
    let head = &dom[..dom.find("<head").unwrap_or(dom.len())];
    assert!(!head.contains("data-errors"), "errors in the page: {head}");
    assert!(
        head.contains("data-ready=\"1\""),
        "the script did not finish: {head}"
    );
    // The hostile log's script and handler would set this attribute on the root element.
    assert!(
        !head.contains("data-pwned"),
        "markup from the log ran: {head}"
    );
}

#[test]
fn a_full_panic_page_renders_its_flame_graph_offline() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aop-page.html");
    std::fs::write(&file, panic_page(&page("aop", AOP, &corpus(AOP)))).unwrap();

    let dom = browser.dom(&file);
    assert_clean(&dom);
    assert!(
        dom.contains("data-interactive=\"ready\""),
        "flame graph script"
    );
    let boxes = dom.matches("<g class=\"node\">").count();
    assert!(boxes > 50, "{boxes} flame-graph boxes in the DOM");

    // The flame graph is painted: its colours fill a band of the page as tall as its drawing.
    let shot = browser.screenshot(&file, "", 1280, 5000);
    let rows: Vec<usize> = (0..shot.height)
        .filter(|&y| shot.count(y..y + 1, is_state_colour) > 400)
        .collect();
    let flame = shot.count(0..shot.height, is_state_colour);
    assert!(flame > 10_000, "{flame} flame-graph pixels");
    assert!(rows.len() >= 17, "{} rows mostly flame graph", rows.len());
}

#[test]
fn a_triage_report_renders_its_table_and_pages_offline() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let names = [
        AOP,
        "arm64-text-watchdog-01.txt",
        "x86-text-pagefault-catalina-01.txt",
    ];
    let mut pages: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| page(&format!("p{i}"), n, &corpus(n)))
        .collect();
    pages.push(page("hostile", "hostile.txt", &hostile_text_panic()));
    let buckets: Vec<BucketView> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| BucketView {
            signature: format!("{} | sig{i}", p.class()),
            class: p.class().into(),
            headline: p.headline().into(),
            count: [40, 7, 3, 1][i],
            first_seen: Some(format!("2026-01-0{}", i + 1)),
            last_seen: Some("2026-01-20".into()),
            os_builds: vec![("23D127".into(), 30), ("23C71".into(), 10)],
            models: vec![("iPhone18,2".into(), 40)],
            suspects: vec!["com.example.driver".into()],
            trend: vec![
                ("2026-01-01".into(), 5),
                ("2026-01-02".into(), 12),
                ("2026-01-06".into(), 3),
                ("2026-01-20".into(), 20),
            ],
            examples: vec![p.id().into()],
        })
        .collect();
    let (html, _) = triage_report(&TriageReport {
        title: "Fleet triage",
        facts: &[
            ("panics".into(), "51".into()),
            ("skipped".into(), "2".into()),
        ],
        buckets: &buckets,
        pages: &pages,
        max_pages: 10,
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("triage-report.html");
    std::fs::write(&file, html).unwrap();

    let dom = browser.dom(&file);
    assert_clean(&dom);
    assert!(dom.contains("<table class=\"sortable buckets\" data-sortable=\"ready\">"));
    // Eight sortable columns in the bucket table, three in the list of panics.
    assert_eq!(
        dom.matches("<button type=\"button\" class=\"sort\">")
            .count(),
        8 + 3
    );
    assert_eq!(dom.matches("<svg class=\"spark\"").count(), 4);

    // The bucket table is what shows first.
    let shot = browser.screenshot(&file, "", 1280, 800);
    let ink = shot.count(0..800, |p| !is_background(p));
    assert!(ink > 20_000, "{ink} non-background pixels in the overview");
    assert_eq!(
        shot.count(0..800, is_state_colour),
        0,
        "no flame graph on the overview"
    );

    // A page by its anchor: the full panic's flame graph, the table hidden.
    let shot = browser.screenshot(&file, "#p0", 1280, 6000);
    let flame = shot.count(0..shot.height, is_state_colour);
    assert!(
        flame > 10_000,
        "{flame} flame-graph pixels on the panic's page"
    );
}
