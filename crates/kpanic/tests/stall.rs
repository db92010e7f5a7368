//! The watchdog scenario kpanic is built for, explained from the stackshot alone: a watchdogd
//! timeout whose stackshot has hundreds of threads blocked in the VM with a third-party
//! filesystem kext on their stacks and memory exhausted. The inputs are real full panics of
//! the corpus changed into that scenario by testdata/scenarios/generate.rs (README.md there
//! says what changes); the real full panics themselves must not look like stalls.

#[path = "../../../testdata/scenarios/generate.rs"]
mod generate;

use std::path::PathBuf;

use generate::Variant;
use kpanic::diagnose::memory::{MemoryFlag, Platform};
use kpanic::diagnose::threads::{NameSource, StallReport, WaitType};
use kpanic::diagnose::{diagnose, Diagnosis, Finding, PanicClass};
use kpanic::output::diagnosis::render_text;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus(name: &str) -> String {
    std::fs::read_to_string(root().join("testdata/corpus").join(name)).expect("corpus file")
}

fn diagnose_text(text: &str) -> Diagnosis {
    let report = kpanic_report::parse(text.as_bytes()).expect("parses");
    let d = diagnose(&report, None);
    assert!(render_text(&d).starts_with("Diagnosis: "));
    d
}

fn scenario(v: Variant) -> Diagnosis {
    let path = root().join("testdata/scenarios").join(v.file_name());
    diagnose_text(&std::fs::read_to_string(path).expect("scenario file"))
}

fn finding<'a>(d: &'a Diagnosis, id: &str) -> Option<&'a Finding> {
    d.findings.iter().find(|f| f.class.as_str() == id)
}

fn stall(d: &Diagnosis) -> &StallReport {
    d.threads
        .as_ref()
        .and_then(|t| t.stall.as_ref())
        .expect("a stall report")
}

fn evidence(f: &Finding) -> Vec<&str> {
    f.evidence.iter().map(|e| e.text.as_str()).collect()
}

/// The base's own blocked threads that count in the stall: the 17 TH_WAIT|TH_UNINT threads of
/// its proof-of-concept process "Test" (pid 956) that have a kernel stack and no continuation
/// (16 of them on one event, waitInfo "unknown type 18"), counted with python3 over
/// processByPid of ios-ips-full-sepkeystore-01.ips.
const BASE_TEST_THREADS: usize = 17;

/// The scenario's blocked user threads: readers, allocators, faulters (watchdogd's among them).
/// The kext's workers are kernel threads asleep on their own queue, as an idle pool is: not in
/// the stall.
const SCENARIO_THREADS: usize = generate::READERS + generate::ALLOCATORS + generate::FAULTERS;
/// Stall threads with the kext on their stacks: the readers and the allocators.
const KEXT_THREADS: usize = generate::READERS + generate::ALLOCATORS;

#[test]
fn committed_scenarios_are_generated() {
    let base = corpus(generate::BASE);
    let update = std::env::var_os("KPANIC_UPDATE_SCENARIOS").is_some_and(|v| v == "1");
    for v in Variant::ALL {
        let path = root().join("testdata/scenarios").join(v.file_name());
        let made = generate::generate(&base, v);
        if update {
            std::fs::write(&path, &made).expect("scenario written");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == made,
            "{} is not what generate.rs makes; rerun with KPANIC_UPDATE_SCENARIOS=1",
            v.file_name()
        );
    }
}

#[test]
fn the_named_kext_scenario_is_explained_from_the_stackshot() {
    let d = scenario(Variant::Named);
    assert_eq!(d.class, PanicClass::WatchdogdTimeout, "{}", d.headline);
    assert!(d.headline.contains("120 s"), "{}", d.headline);

    // Right after the class: the chain, with the counts and the kext by its bundle id.
    let chain = &d.findings[1];
    assert_eq!(chain.class.as_str(), "stall_chain", "{:?}", classes(&d));
    let total = SCENARIO_THREADS + BASE_TEST_THREADS;
    assert!(
        chain
            .title
            .starts_with(&format!("{total} threads blocked in the VM for up to ")),
        "{}",
        chain.title
    );
    assert!(
        chain.title.contains("(watchdog timeout 120 s)"),
        "{}",
        chain.title
    );
    assert!(
        chain.title.contains(&format!(
            "→ common frames in {} ({KEXT_THREADS} of them) →",
            generate::KEXT_BUNDLE_ID
        )),
        "{}",
        chain.title
    );
    assert!(
        chain
            .title
            .ends_with("→ free memory exhausted (61 pages free, under the 128-page reserve)"),
        "{}",
        chain.title
    );
    assert_eq!(chain.confidence.as_str(), "high");

    // Third-party kext first suspect: the only third-party kext, on the stacks and in the
    // panicked backtrace.
    let first = &d.suspects[0];
    assert_eq!(first.bundle_id, generate::KEXT_BUNDLE_ID);
    assert!(first.third_party && first.in_panicked_backtrace);
    assert_eq!(first.category.as_str(), "filesystem");
    // Every thread whose stack runs through the kext: the stall's, the workers and the
    // panicked one.
    assert_eq!(first.threads, KEXT_THREADS + generate::WORKERS + 1);

    // Memory: exhausted, and who held it.
    let low = finding(&d, "low_free_memory").expect("low_free_memory");
    assert!(low.title.contains("61 pages"), "{}", low.title);
    assert!(
        evidence(low)
            .iter()
            .any(|e| e.starts_with("largest resident processes: photoanalysisd (832) 1.7 GiB")),
        "{:?}",
        evidence(low)
    );
    let m = d.memory.as_ref().unwrap();
    assert_eq!(m.platform, Some(Platform::Embedded));
    assert_eq!(m.free_target_pages, Some(2000));
    assert!(m.has(MemoryFlag::CompressorNearLimit) && m.has(MemoryFlag::MemoryPressure));

    // The panicked process (kernel_task, whose thread the watchdog interrupted) is not blamed:
    // no finding is about it, and it is no suspect.
    assert_eq!(d.panic.process.as_deref(), Some("kernel_task"));
    assert!(finding(&d, "test_program").is_none(), "{:?}", classes(&d));
    assert!(d.suspects.iter().all(|s| s.bundle_id != "kernel_task"));
}

#[test]
fn the_stall_report_counts_what_the_scenario_blocked() {
    let d = scenario(Variant::Named);
    let s = stall(&d);
    assert_eq!(s.threads, SCENARIO_THREADS + BASE_TEST_THREADS);
    assert!(s.significant);
    // Readers wait on busy pages (type 22): the VM. Allocators and faulters wait in
    // vm_page_wait, which records no wait type; the Test threads are type 18.
    assert_eq!(s.in_vm, generate::READERS);
    let types: Vec<(WaitType, usize)> = s
        .wait_types
        .iter()
        .map(|w| (w.wait_type, w.threads))
        .collect();
    assert_eq!(
        types,
        vec![
            (WaitType::PageBusy, generate::READERS),
            (WaitType::SleepWithInheritor, 16)
        ]
    );
    assert_eq!(
        s.without_wait_type,
        generate::ALLOCATORS + generate::FAULTERS + 1
    );
    // The workers are blocked too, only not counted in the stall; so are kernel_task's 23
    // blocked daemons of the base (40 blocked threads, 17 of them Test's).
    assert_eq!(
        s.uninterruptible_with_stack,
        SCENARIO_THREADS + generate::WORKERS + 40
    );
    // Shared events: the busiest page, the free-page count (allocators + faulters), the other
    // pages, the Test threads' turnstile.
    let events: Vec<usize> = s.shared_events.iter().map(|e| e.threads).collect();
    assert_eq!(
        events,
        vec![
            generate::READERS_PER_PAGE[0],
            generate::ALLOCATORS + generate::FAULTERS,
            generate::READERS_PER_PAGE[1],
            generate::READERS_PER_PAGE[2],
            16
        ]
    );
    assert_eq!(s.shared_events[0].wait_type, Some(WaitType::PageBusy));
    assert_eq!(s.shared_events[1].label, "kernel+0x9b3a10");
    assert!(s.shared_events[1]
        .processes
        .iter()
        .any(|p| p == "watchdogd (62): 1"));
    // lastRunTime: the scenario's threads last ran 38–131 s before, some past the 120 s
    // timeout; the Test threads (5 ms) did not.
    assert_eq!(s.timeout_seconds, Some(generate::TIMEOUT_SECONDS));
    let longest = s.longest_wait_seconds.unwrap();
    assert!((120.0..131.0).contains(&longest), "{longest}");
    let past = s.waited_past_timeout.unwrap();
    assert!(past > 0 && past < SCENARIO_THREADS, "{past}");
    // The kext: on the readers' and allocators' stacks; the readers' two frames in it are the
    // commonest.
    let k = &s.kexts[0];
    assert_eq!(k.bundle_id.as_deref(), Some(generate::KEXT_BUNDLE_ID));
    assert_eq!(k.third_party, Some(true));
    assert_eq!(k.threads, KEXT_THREADS);
    let common: Vec<(&str, usize)> = k
        .common_frames
        .iter()
        .map(|c| (c.label.as_str(), c.threads))
        .collect();
    assert_eq!(
        common,
        vec![
            ("+0x1b3c", generate::READERS),
            ("+0x24e8", generate::READERS),
            ("+0xe94", generate::ALLOCATORS)
        ]
    );
}

#[test]
fn the_kext_known_by_uuid_only_is_named_by_uuid_and_range() {
    let d = scenario(Variant::UuidOnly);
    assert_eq!(d.class, PanicClass::WatchdogdTimeout);
    let text = render_text(&d);
    assert!(
        !text.contains(generate::KEXT_BUNDLE_ID),
        "the bundle id is nowhere"
    );
    let chain = &d.findings[1];
    assert_eq!(chain.class.as_str(), "stall_chain");
    // binaryImages index 233 (the base has 233 images), its UUID, runtime and unslid bases
    // (0xfffffff00a7b8a60 + KernelCache slide 0xd3a4000).
    let label = "image #233 [5C0F3E1A-7D42-3B9E-A6C1-2F8E9B4D0A17] at 0xfffffff017b5ca60 \
                 (unslid 0xfffffff00a7b8a60)";
    assert!(
        chain
            .title
            .contains(&format!("→ common frames in {label} (")),
        "{}",
        chain.title
    );
    assert!(
        evidence(chain)
            .iter()
            .any(|e| e.starts_with(label) && e.contains("(not named in this log)")),
        "{:?}",
        evidence(chain)
    );
    assert!(chain.next_steps[0].starts_with(&format!("Identify {label}")));
    let img = d
        .threads
        .as_ref()
        .unwrap()
        .kext_images
        .iter()
        .find(|k| k.index == 233)
        .expect("the kext image");
    assert_eq!(img.bundle_id, None);
    assert_eq!(img.third_party, None);
    assert_eq!(img.highest_offset.get(), 0x3490);
    // The panicked thread is CPU 4's idle thread here: nothing blames it either.
    assert_eq!(d.panic.process.as_deref(), Some("kernel_task"));
    assert_eq!(d.panic.tid, Some(455));
}

/// A kext image nothing names must still be a suspect (by UUID and range), first here as it is
/// on most blocked stacks. suspects.rs lists only images with a bundle id today.
#[test]
fn the_kext_known_by_uuid_only_is_the_first_suspect() {
    let d = scenario(Variant::UuidOnly);
    let first = d.suspects.first().expect("a suspect");
    assert!(first
        .bundle_id
        .contains("5C0F3E1A-7D42-3B9E-A6C1-2F8E9B4D0A17"));
}

/// The real full panics of the corpus are no stall: no chain finding (the MTE fault above all),
/// and their blocked threads are the baseline or a test program's own.
#[test]
fn real_full_panics_have_no_stall_chain() {
    for name in [
        "ios-ips-full-mte-keystore-01.ips",
        "ios-ips-full-mte-tagfault-02.ips",
        "ios-ips-full-aop-01.ips",
        "ios-ips-full-ipad-dataabort-U-01.ips",
        "ios-ips-full-sepkeystore-01.ips",
        "ios-ips-forcereset-full-01.ips",
        "arm64-panicfull-EXTRACT-macos26-01.json",
    ] {
        let d = diagnose_text(&corpus(name));
        assert!(
            finding(&d, "stall_chain").is_none(),
            "{name}: {:?}",
            classes(&d)
        );
    }
    // The MTE fault: only UAFTester's 4 threads on one kernel mutex are outside the baseline.
    let d = diagnose_text(&corpus("ios-ips-full-mte-keystore-01.ips"));
    let s = stall(&d);
    assert_eq!((s.threads, s.significant), (4, false));
    assert_eq!(s.top_processes, vec!["UAFTester (17598): 4"]);
    // The zone use-after-free: Test's 17 threads, 16 on one turnstile, all ran within 5 ms —
    // contention, not a stall; and the class is no stall class anyway.
    let d = diagnose_text(&corpus("ios-ips-full-sepkeystore-01.ips"));
    let s = stall(&d);
    assert_eq!(s.threads, BASE_TEST_THREADS);
    assert!(!s.significant);
    assert_eq!(s.shared_events[0].threads, 16);
    assert_eq!(
        s.shared_events[0].wait_type,
        Some(WaitType::SleepWithInheritor)
    );
    assert!(s.longest_wait_seconds.unwrap() < 0.01);
    // The forced reset (a stall class): only kernel_task's daemons, each on its own event.
    let d = diagnose_text(&corpus("ios-ips-forcereset-full-01.ips"));
    assert!(d.threads.as_ref().unwrap().stall.is_none());
}

/// iOS keeps the free list near the VM's 2000-page target: 1620 and 1756 free pages (with
/// pagesWanted 380 and 244, free + pagesWanted = 2000) are how it runs, not a finding. The
/// same counts on a Mac (reserve up to 1828 pages, target 4000) are.
#[test]
fn ios_low_free_memory_alone_is_not_a_finding() {
    for (name, free) in [
        ("ios-ips-full-sepkeystore-01.ips", 1620),
        ("ios-ips-full-ipad-dataabort-U-01.ips", 1756),
    ] {
        let text = corpus(name);
        let d = diagnose_text(&text);
        let m = d.memory.as_ref().unwrap();
        assert_eq!(m.platform, Some(Platform::Embedded), "{name}");
        assert_eq!(m.pages_of(kpanic::diagnose::memory::PageKind::Free), free);
        assert_eq!(m.free_target_pages, Some(2000), "{name}");
        assert!(m.flags.is_empty(), "{name}: {:?}", m.flags);
        assert!(
            finding(&d, "low_free_memory").is_none() && finding(&d, "memory_pressure").is_none()
        );

        // The same log said to come from a Mac.
        let d = diagnose_text(&with_product(&text, "Mac14,2"));
        let m = d.memory.as_ref().unwrap();
        assert_eq!(m.platform, Some(Platform::Macos), "{name}");
        assert!(m.has(MemoryFlag::LowFreeMemory), "{name}: {:?}", m.flags);
        assert!(m.has(MemoryFlag::MemoryPressure), "{name}: {:?}", m.flags);
    }
}

/// docs/diagnose.md lists the wait types, the platforms and what names a kext image, and
/// nothing else in their places.
#[test]
fn the_closed_sets_of_the_stall_are_documented() {
    let doc = std::fs::read_to_string(root().join("docs/diagnose.md")).expect("docs/diagnose.md");
    let line = |start: &str| -> String {
        doc.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no {start:?} line"))
            .to_string()
    };
    let ids = |line: &str| -> Vec<String> {
        line.split('`')
            .skip(3)
            .step_by(2)
            .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .map(str::to_string)
            .collect()
    };
    let wait_types: Vec<String> = WaitType::ALL.iter().map(|w| w.to_string()).collect();
    assert_eq!(ids(&line("- `wait_type`: ")), wait_types);
    let platforms = line("| `platform` |");
    for p in Platform::ALL {
        assert!(platforms.contains(&format!("`{p}`")), "{p}");
    }
    let images = line("| `kext_images` |");
    for n in NameSource::ALL {
        assert!(images.contains(&format!("`{n}`")), "{n}");
    }
}

/// `text` with the `.ips` body's product replaced.
fn with_product(text: &str, product: &str) -> String {
    let key = "\"product\" : \"";
    let start = text.find(key).expect("a product") + key.len();
    let end = start + text[start..].find('"').expect("its end");
    format!("{}{product}{}", &text[..start], &text[end..])
}

fn classes(d: &Diagnosis) -> Vec<&str> {
    d.findings.iter().map(|f| f.class.as_str()).collect()
}
