//! Buckets of the real corpus and of a fleet made from it: every variant lands in its
//! original's bucket, copies count once, and the result does not depend on the number of
//! threads or the order files are read in.

mod variant;

use std::path::{Path, PathBuf};

use kpanic_triage::{discover, render, run_candidates, Options, Quiet, Triage};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus")
}

fn triage_in(threads: usize, paths: &[PathBuf], opts: &Options) -> Triage {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let d = discover(paths);
    pool.install(|| run_candidates(&d.candidates, opts, None, &mut Quiet))
}

fn json(t: &Triage) -> String {
    serde_json::to_string(&serde_json::to_value(render::document(t)).unwrap()).unwrap()
}

/// A folder with every corpus log and two variants of each (another slide, time, machine).
fn fleet() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(corpus()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") || name.ends_with(".tsv") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(dir.path().join(&name), &text).unwrap();
        for n in 1..=2 {
            let v = variant::Variation::nth(n * 1000 + name.len() as u64);
            std::fs::write(
                dir.path().join(format!("v{n}-{name}")),
                variant::vary(&text, v),
            )
            .unwrap();
        }
    }
    dir
}

#[test]
fn variants_join_their_originals_buckets() {
    let alone = triage_in(2, &[corpus()], &Options::default());
    let dir = fleet();
    let with = triage_in(2, &[dir.path().to_path_buf()], &Options::default());
    // The same buckets, each three times as full (less what is indistinguishable: fragments
    // with no time, boot or address are one incident however often they are copied).
    let sigs = |t: &Triage| {
        let mut v: Vec<String> = t.buckets.iter().map(|b| b.signature.text.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(sigs(&alone), sigs(&with));
    assert_eq!(
        with.summary.panics + with.summary.skipped.get("duplicate").copied().unwrap_or(0),
        3 * (alone.summary.panics + alone.summary.skipped.get("duplicate").copied().unwrap_or(0))
    );
    for b in &with.buckets {
        let a = alone
            .buckets
            .iter()
            .find(|x| x.signature == b.signature)
            .unwrap();
        // At most three per original incident; more where two files of one incident (the
        // macOS 26 watchdog's .ips and text) became two boots.
        assert!(b.count >= a.count, "{}", b.signature.text);
    }
    // The dataabort log has a boot session and a mach time: its variants are three incidents.
    let b = with
        .buckets
        .iter()
        .find(|b| {
            b.examples
                .iter()
                .any(|e| e.ends_with("/arm64-text-dataabort-01.txt"))
        })
        .unwrap();
    assert_eq!(b.count, 3, "{}", b.signature.text);
    assert_eq!(b.os_builds[0].value, "22A400");
    assert_eq!(b.os_builds[0].count, 3);
}

#[test]
fn same_result_on_one_thread_and_on_several() {
    let dir = fleet();
    let paths = [dir.path().to_path_buf()];
    let one = json(&triage_in(1, &paths, &Options::default()));
    let four = json(&triage_in(4, &paths, &Options::default()));
    assert_eq!(one, four);
}

#[test]
fn copies_and_non_panics_are_counted_apart() {
    let dir = tempfile::tempdir().unwrap();
    let src = corpus().join("x86-text-pagefault-ventura-01.txt");
    std::fs::copy(&src, dir.path().join("a.panic")).unwrap();
    std::fs::copy(&src, dir.path().join("b-copy.panic")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "nothing to see here\n").unwrap();
    std::fs::write(dir.path().join("empty.panic"), "").unwrap();
    std::fs::write(dir.path().join("binary.ips"), [0u8, 1, 2, 3, 0, 0, 0xff]).unwrap();
    std::fs::write(
        dir.path().join("app.ips"),
        "{\"bug_type\":\"309\",\"timestamp\":\"2024-01-01 00:00:00.00 +0000\"}\n{\"x\":1}\n",
    )
    .unwrap();
    let t = triage_in(2, &[dir.path().to_path_buf()], &Options::default());
    assert_eq!(t.summary.panics, 1);
    assert_eq!(t.summary.files, 6);
    let s = &t.summary.skipped;
    assert_eq!(s.get("duplicate"), Some(&1));
    assert_eq!(s.get("not_a_panic"), Some(&1));
    assert_eq!(s.get("empty"), Some(&1));
    assert_eq!(s.get("binary"), Some(&1));
    assert_eq!(s.get("other_bug_type"), Some(&1));
    assert_eq!(t.summary.other_bug_types.get("309"), Some(&1));
    // The binary file is named; the others are simply something else.
    assert_eq!(t.warnings.len(), 1);
    assert!(t.warnings[0].contains("binary.ips"));
    // Both copies are examples of the one bucket, in path order.
    assert_eq!(t.buckets[0].examples.len(), 2);
    assert!(t.buckets[0].examples[0].ends_with("a.panic"));
}

#[test]
fn zip_archives_are_read_and_bombs_refused() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("panics.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for f in ["x86-text-nvme-bigsur-01.txt", "arm64-text-amcc-01.txt"] {
        z.start_file(format!("Retired/{f}"), opts).unwrap();
        z.write_all(&std::fs::read(corpus().join(f)).unwrap())
            .unwrap();
    }
    z.start_file("inner.zip", opts).unwrap();
    z.write_all(b"PK").unwrap();
    z.finish().unwrap();
    // 8 MiB of zeros: deflates to a few KB, past the 200:1 ratio.
    let bomb = dir.path().join("bomb.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
    z.start_file("big.panic", opts).unwrap();
    z.write_all(&vec![b'0'; 8 << 20]).unwrap();
    z.finish().unwrap();
    let t = triage_in(2, &[dir.path().to_path_buf()], &Options::default());
    assert_eq!(t.summary.panics, 2);
    assert_eq!(t.summary.skipped.get("nested_archive"), Some(&1));
    assert_eq!(t.summary.skipped.get("archive_refused"), Some(&1));
    assert!(t
        .warnings
        .iter()
        .any(|w| w.contains("bomb.zip") && w.contains("zip bomb")));
    let example = t
        .buckets
        .iter()
        .map(|b| &b.examples[0])
        .find(|e| e.ends_with("panics.zip!Retired/x86-text-nvme-bigsur-01.txt"))
        .expect("the zip entry is an example");
    // An HTML page per example reads it again by that name.
    match kpanic_triage::load::reload(example) {
        kpanic_triage::load::Loaded::Panic(_, r) => {
            assert_eq!(r.system.os_build.as_deref(), Some("20D91"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn since_and_kext_filter() {
    // The WCH USB serial driver freed memory it never allocated (EXPERT.md): implicated.
    let wch = corpus().join("x86-text-kfree-notinzone-wchusb-oclp-01.txt");
    // Dated 2018-08-20 (its report date line).
    let nvidia = corpus().join("x86-text-3rdpartykext-nvidiaweb-01.txt");
    let paths = [wch, nvidia];
    let t = triage_in(
        1,
        &paths,
        &Options {
            kext: Some("WCH.USB.USB".into()),
            ..Options::default()
        },
    );
    assert_eq!(t.summary.panics, 1);
    assert_eq!(t.summary.skipped.get("kext_not_implicated"), Some(&1));
    // Loaded but not implicated is not enough: the nvidia log loads no WCH kext anyway, and
    // the WCH log loads Apple's USB kexts without implicating IOUSBHostFamily.
    let t = triage_in(
        1,
        &paths,
        &Options {
            kext: Some("com.apple.iokit.IOUSBHostFamily".into()),
            ..Options::default()
        },
    );
    assert_eq!(t.summary.panics, 0);
    // --since 2018-08-20 keeps the nvidia panic of that day; the WCH log has no date line.
    let t = triage_in(
        1,
        &paths,
        &Options {
            since: kpanic_triage::when::parse_date("2018-08-20").map(|d| d * 86_400),
            ..Options::default()
        },
    );
    assert_eq!(t.summary.panics, 1);
    assert_eq!(t.summary.skipped.get("before_since"), Some(&1));
    let t = triage_in(
        1,
        &paths,
        &Options {
            since: kpanic_triage::when::parse_date("2018-08-21").map(|d| d * 86_400),
            ..Options::default()
        },
    );
    assert_eq!(t.summary.panics, 0);
}
