//! Signatures on real corpus logs and on variants of them (another slide, time, machine and
//! boot: `variant/mod.rs`): the same bug signs the same, a different cause differently. Each
//! case names the corpus file it rests on; docs/triage.md says why each pair is one bug or two.

mod variant;

use std::path::{Path, PathBuf};

use kpanic_triage::{examine, PanicRecord};
use variant::{vary, Variation};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus")
}

fn record_of(name: &str, bytes: &[u8]) -> PanicRecord {
    let report = kpanic_report::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    examine(name.to_string(), &report, None)
}

fn record(file: &str) -> PanicRecord {
    let bytes = std::fs::read(corpus().join(file)).unwrap();
    record_of(file, &bytes)
}

fn corpus_logs() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md") && !n.ends_with(".tsv"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_corpus_log_signs_the_same_on_another_boot_of_another_machine() {
    let mut checked = 0;
    for file in corpus_logs() {
        let text = std::fs::read_to_string(corpus().join(&file)).unwrap();
        let original = record_of(&file, text.as_bytes());
        for n in 1..=3 {
            let v = Variation::nth(n);
            let varied = vary(&text, v);
            let other = record_of(&format!("{file} variant {n}"), varied.as_bytes());
            assert_eq!(
                other.signature.text, original.signature.text,
                "{file}: variant {n} ({v:?}) signs differently"
            );
            assert_eq!(other.class, original.class, "{file}: variant {n}");
        }
        // The variants really are other panics: when the log has an address, the text moved.
        if text.contains("0xffff") {
            assert_ne!(
                vary(&text, Variation::nth(1)),
                text,
                "{file}: nothing moved"
            );
        }
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} corpus logs");
}

#[test]
fn variants_are_new_incidents_and_a_copy_is_the_same() {
    // A log with a boot session, mach time and backtrace: the fingerprint is strong.
    let file = "arm64-text-dataabort-01.txt";
    let text = std::fs::read_to_string(corpus().join(file)).unwrap();
    let a = record_of(file, text.as_bytes());
    let copy = record_of("copy", text.as_bytes());
    let other = record_of("variant", vary(&text, Variation::nth(7)).as_bytes());
    assert_eq!(a.incident_key, copy.incident_key);
    assert_ne!(a.incident_key, other.incident_key);
    // The boot and tick moved: the variant says another time and keeps the build.
    assert_eq!(other.os_build.as_deref(), Some("22A400"));
}

#[test]
fn the_text_of_a_full_panic_is_the_same_incident() {
    // The EXTRACT is the .ips of the macOS 26 watchdog whose text panic is the exclaves log:
    // same boot session (DF8DEB35-…), same mach_absolute_time, same backtrace.
    let json = record("arm64-panicfull-EXTRACT-macos26-01.json");
    let text = record("arm64-text-watchdog-macos26-exclaves-01.txt");
    assert_eq!(json.incident_key, text.incident_key);
    assert_eq!(json.signature, text.signature);
}

#[test]
fn the_same_nvme_failure_on_two_builds_is_one_bucket() {
    // One iMac19,1 (the same Mac-AA95B1DDAB278B95 board), 10.15.7 (19H15) then 11.2 (20D91):
    // "Fatal error occurred. CSTS=0x1" from IONVMeController.cpp at line 5320, then 5472.
    let a = record("x86-text-nvme-abbrevkexts-01.txt");
    let b = record("x86-text-nvme-bigsur-01.txt");
    assert_eq!(a.class.as_str(), "nvme_fatal");
    assert_eq!(a.signature.text, b.signature.text);
    assert_ne!(a.os_build, b.os_build);
}

/// Pairs of corpus logs of one class that an expert separates (EXPERT.md and the logs).
#[test]
fn different_causes_sign_differently() {
    let pairs = [
        // Two GP faults in VMs: one in postpipeevent, one under lck_mtx_lock from os_reason_free.
        (
            "x86-text-gpf-keepsyms-vmm-PARTIAL-01.txt",
            "x86-text-gpf-keepsyms-vmm-PARTIAL-02.txt",
        ),
        // Data aborts: node on macOS 13.0 in the kernel, EndpointSecurity on 13.5.
        (
            "arm64-text-dataabort-01.txt",
            "arm64-text-endpointsecurity-01.txt",
        ),
        // MTE tag faults in AppleSEPKeyStore and in AppleSPU (EXPERT.md).
        (
            "ios-ips-full-mte-keystore-01.ips",
            "ios-ips-full-mte-tagfault-02.ips",
        ),
        // Use-after-free in kalloc.4096 (Hackintosh firmware) and default.kalloc.80 (IOMFB).
        (
            "x86-text-zone-freed-modified-kalloc4096-FRAGMENT-01.txt",
            "ios-text-zone-uaf-corellium-PARTIAL-02.txt",
        ),
        // NVMe: a fatal controller error and a command timeout.
        (
            "x86-text-nvme-abbrevkexts-01.txt",
            "x86-panic-nvme-timeout-amdhackintosh-01.panic",
        ),
        // DCP: an AXI read error and a DisplayPort power-controller assertion.
        (
            "arm64-text-dcp-axirderr-FRAGMENT-01.txt",
            "arm64-text-dcp-coprocessor-01.txt",
        ),
        // Kext traps in VoodooI2C and in EMUUSBAudio.
        (
            "x86-text-3rdpartykext-voodooi2c-FRAGMENT-01.txt",
            "x86-text-gpf-kext-emuusbaudio-PARTIAL-01.txt",
        ),
        // Watchdogd during shutdown on macOS 11.3 and on a running macOS 26 (exclaves).
        (
            "arm64-text-watchdog-01.txt",
            "arm64-text-watchdog-macos26-exclaves-01.txt",
        ),
    ];
    for (a, b) in pairs {
        let (ra, rb) = (record(a), record(b));
        assert_eq!(
            ra.class, rb.class,
            "{a} / {b}: the pair should share a class"
        );
        assert_ne!(
            ra.signature.text, rb.signature.text,
            "{a} / {b}: two causes, one signature"
        );
    }
}

#[test]
fn a_watchdog_names_its_service_and_a_stall_its_kext() {
    // The userspace watchdog names WindowServer; the same log naming another service is
    // another bug.
    let file = "x86-text-userspace-watchdog-sequoia-ABRIDGED-01.txt";
    let text = std::fs::read_to_string(corpus().join(file)).unwrap();
    let a = record_of(file, text.as_bytes());
    assert!(
        a.signature.text.contains("WindowServer"),
        "{}",
        a.signature.text
    );
    let b = record_of(
        "other service",
        text.replace("WindowServer", "opendirectoryd").as_bytes(),
    );
    assert_ne!(a.signature.text, b.signature.text);
    // The scenario of a third-party filesystem stalling the VM: the kext is in the signature.
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/scenarios/ios-ips-full-watchdog-vmstall-kext-named.ips");
    let s = record_of("scenario", &std::fs::read(path).unwrap());
    assert!(
        s.signature
            .text
            .ends_with("kext:com.example.filesystems.cloudfs"),
        "{}",
        s.signature.text
    );
}

#[test]
fn kext_frames_hold_across_kernel_builds_and_kernel_offsets_name_their_build() {
    // EMUUSBAudio trapped in its own code: the frame is the kext + offset, no kernel build.
    let r = record("x86-text-gpf-kext-emuusbaudio-PARTIAL-01.txt");
    assert!(!r.signature.build_specific);
    assert!(r.signature.frames[0].starts_with("com.emu.driver.EMUUSBAudio+0x"));
    // A data abort in the kernel without symbols: the offset names its kernel and build.
    let r = record("arm64-text-dataabort-01.txt");
    assert!(r.signature.build_specific);
    assert!(
        r.signature.frames[0].starts_with("kernel.release.t6000/22A400+0x"),
        "{:?}",
        r.signature.frames
    );
}

#[test]
fn the_lean_parse_triage_uses_diagnoses_and_signs_every_full_panic_the_same() {
    // Triage parses without the stackshot's unknown keys and without the fields no diagnosis
    // reads; the diagnosis, the signature and the rest of the record must not notice.
    let lean = kpanic_report::ParseOptions::for_diagnosis();
    let unknown_only = kpanic_report::ParseOptions {
        keep_unknown_stackshot_keys: false,
        keep_every_stackshot_field: true,
    };
    let (mut full_panics, mut with_unknown_keys, mut with_priorities) = (0, 0, 0);
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/scenarios");
    let files = corpus_logs().into_iter().map(|f| corpus().join(f)).chain(
        [
            "ios-ips-full-watchdog-vmstall-kext-named.ips",
            "ios-ips-full-watchdog-vmstall-kext-uuid-only.ips",
        ]
        .map(|f| scenarios.join(f)),
    );
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(a) = kpanic_report::parse(&bytes) else {
            continue;
        };
        if a.spindump.is_none() {
            continue;
        }
        full_panics += 1;
        let name = path.display().to_string();
        let record = |r: &kpanic_report::PanicReport| {
            let rec = examine(name.clone(), r, None);
            let keys = (rec.incident_key, rec.implicated.clone());
            (serde_json::to_value(rec).unwrap(), keys)
        };
        let full_diagnosis = serde_json::to_value(kpanic::diagnose::diagnose(&a, None)).unwrap();
        let full_record = record(&a);
        for opts in [&lean, &unknown_only] {
            let b = kpanic_report::parse_with(&bytes, opts).unwrap();
            let db = serde_json::to_value(kpanic::diagnose::diagnose(&b, None)).unwrap();
            assert_eq!(full_diagnosis, db, "{name} {opts:?}");
            assert_eq!(full_record, record(&b), "{name} {opts:?}");
            assert_eq!(a.warnings, b.warnings, "{name} {opts:?}");
            // And the lean report did drop what it says it drops.
            let sd = b.spindump.as_ref().unwrap();
            let unknown = sd.processes.iter().map(|p| p.other.len()).sum::<usize>()
                + (sd.processes.iter().flat_map(|p| &p.threads))
                    .map(|t| t.other.len())
                    .sum::<usize>();
            assert_eq!(unknown, 0, "{name}");
            let priorities = |r: &kpanic_report::PanicReport| {
                let sd = r.spindump.as_ref().unwrap();
                let threads = sd.processes.iter().flat_map(|p| &p.threads);
                threads.filter(|t| t.sched_priority.is_some()).count()
            };
            if opts.keep_every_stackshot_field {
                assert_eq!(priorities(&b), priorities(&a), "{name}");
            } else {
                assert_eq!(priorities(&b), 0, "{name}");
            }
        }
        let sd = a.spindump.as_ref().unwrap();
        with_unknown_keys += sd.processes.iter().any(|p| !p.other.is_empty()) as usize;
        with_priorities += sd
            .processes
            .iter()
            .flat_map(|p| &p.threads)
            .any(|t| t.sched_priority.is_some()) as usize;
    }
    assert!(full_panics >= 8, "{full_panics} full panics");
    // Both kinds of leaving out were put to the test.
    assert!(
        with_unknown_keys >= 4,
        "{with_unknown_keys} with unknown keys"
    );
    assert!(with_priorities >= 4, "{with_priorities} with priorities");
}
