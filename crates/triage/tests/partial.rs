//! A triage split into partials (as a cluster runs it) and merged in candidate order equals
//! the local run on all candidates: the same document, the same panics told to the observer
//! in the same order, whatever the number of runs the candidates are split into.

use std::path::{Path, PathBuf};

use kpanic_triage::partial::merge;
use kpanic_triage::{
    discover, render, run_candidates, Candidate, Observer, Options, PanicRecord, Partial,
    PartialError, Triage,
};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus")
}

fn json(t: &Triage) -> String {
    serde_json::to_string_pretty(&serde_json::to_value(render::document(t)).unwrap()).unwrap()
}

/// Every panic told to the observer, in order, as JSON Lines print it.
#[derive(Default)]
struct Told(Vec<String>);
impl Observer for Told {
    fn panic(&mut self, r: &PanicRecord) {
        self.0.push(serde_json::to_string(r).unwrap());
    }
}

/// The corpus, then copies of some of its logs (duplicates of panics in earlier runs), a
/// second copy folder (duplicates of each other), a zip archive of logs, and files that are
/// not panics, one of them worth a warning (binary).
fn candidates(dir: &Path) -> Vec<Candidate> {
    let logs: Vec<PathBuf> = discover(&[corpus()])
        .candidates
        .iter()
        .map(|c| c.path().to_path_buf())
        .filter(|p| p.extension().is_some_and(|e| e != "md" && e != "tsv"))
        .collect();
    for (i, copies) in ["copies-a", "copies-b"].iter().enumerate() {
        let to = dir.join(copies);
        std::fs::create_dir_all(&to).unwrap();
        for p in logs.iter().skip(i).step_by(5) {
            std::fs::copy(p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
    let mut z = zip::ZipWriter::new(std::fs::File::create(dir.join("fleet.zip")).unwrap());
    for p in logs.iter().skip(2).step_by(9) {
        z.start_file(
            p.file_name().unwrap().to_string_lossy(),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::Write::write_all(&mut z, &std::fs::read(p).unwrap()).unwrap();
    }
    z.finish().unwrap();
    std::fs::write(dir.join("notes.txt"), "nothing to see here\n").unwrap();
    std::fs::write(dir.join("image.bin"), [0u8, 1, 2, 0, 0, 0, 7, 0].repeat(64)).unwrap();
    discover(&[corpus(), dir.to_path_buf()]).candidates
}

/// Partials of `k` contiguous runs, each sent as bytes, merged in order.
fn split(candidates: &[Candidate], k: usize, opts: &Options) -> (Triage, Told) {
    let size = candidates.len().div_ceil(k);
    let partials: Vec<Partial> = candidates
        .chunks(size)
        .map(|run| Partial::from_bytes(&Partial::run(run, None).to_bytes()).unwrap())
        .collect();
    assert_eq!(partials.len(), k);
    let mut told = Told::default();
    let t = merge(partials, opts, &mut told).unwrap();
    (t, told)
}

#[test]
fn merged_partials_equal_the_local_run() {
    let dir = tempfile::tempdir().unwrap();
    let all = candidates(dir.path());
    // A kext that some panics implicate, and a day that leaves some panics out.
    let first = run_candidates(&all, &Options::default(), None, &mut Told::default());
    let kext = first
        .buckets
        .iter()
        .flat_map(|b| &b.suspects)
        .find(|s| s.kind == "kext")
        .map(|s| s.name.clone())
        .expect("a kext suspect in the corpus");
    let by_kext = Options {
        since: None,
        kext: Some(kext),
    };
    let since = Options {
        since: kpanic_triage::when::parse_date("2021-01-01").map(|d| d * 86_400),
        kext: None,
    };
    for opts in [Options::default(), by_kext, since] {
        let mut told = Told::default();
        let local = run_candidates(&all, &opts, None, &mut told);
        // The run is one that can tell a wrong merge: copies across runs, archives, warnings.
        let skipped = |why: &str| local.summary.skipped.get(why).copied().unwrap_or(0);
        assert!(local.summary.panics >= 1, "{:?}", local.summary);
        if opts.kext.is_some() {
            assert!(skipped("kext_not_implicated") >= 1);
        } else if opts.since.is_some() {
            assert!(skipped("before_since") >= 1);
        } else {
            assert!(skipped("duplicate") >= 20, "{:?}", local.summary);
            assert!(skipped("not_a_panic") >= 3);
            assert!(!local.warnings.is_empty());
            assert!(local.buckets.len() > 30);
        }
        for k in [1, 2, 3, 7] {
            let (merged, merged_told) = split(&all, k, &opts);
            assert_eq!(json(&merged), json(&local), "k = {k}");
            assert_eq!(merged_told.0, told.0, "k = {k}");
        }
    }
}

#[test]
fn partials_append_in_any_grouping() {
    let dir = tempfile::tempdir().unwrap();
    let all = candidates(dir.path());
    let (a, rest) = all.split_at(all.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    let run = |cs: &[Candidate]| Partial::run(cs, None);
    // (a + b) + c and a + (b + c): the same triage.
    let mut ab = run(a);
    ab.append(run(b));
    let mut bc = run(b);
    bc.append(run(c));
    let left = merge([ab, run(c)], &Options::default(), &mut Told::default()).unwrap();
    let right = merge([run(a), bc], &Options::default(), &mut Told::default()).unwrap();
    assert_eq!(json(&left), json(&right));
}

#[test]
fn bad_partials_are_refused_before_anything_is_folded() {
    assert!(matches!(
        Partial::from_bytes(b"not json"),
        Err(PartialError::Malformed(_))
    ));
    let other = br#"{"format": 1, "kpanic_version": "0.0.1", "outcomes": []}"#;
    let e = Partial::from_bytes(other).unwrap_err();
    assert!(matches!(e, PartialError::Version { .. }));
    assert!(e.to_string().contains("kpanic 0.0.1"), "{e}");
    let ours = env!("CARGO_PKG_VERSION");
    let unknown = format!(
        r#"{{"format": 1, "kpanic_version": "{ours}", "outcomes": [{{"Skipped": {{"name": "", "reason": "bored", "bug_type": null, "detail": ""}}}}]}}"#
    );
    let e = Partial::from_bytes(unknown.as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a triage partial has an unknown skip reason `bored`"
    );
}
