//! Full panics (stackshot JSON): counts verified with an independent JSON reader, a few frames,
//! and the address invariant `binaryImages[idx].base + off + KernelCache slide == lr`.

mod common;
use common::{load, lrs, snapshot_value};
use kpanic_report::{Format, ImageKind, PanicReport, RuntimeAddr};

/// The panicked thread's stackshot kernel frames, minus the first (taken at the stackshot call
/// site, a few instructions from the text's frame) and the `[A, 0]` terminator, must appear in
/// the text backtrace in order, each equal to `base + off + slide`.
fn assert_frames_match_text(r: &PanicReport, expected_kernel_frames: usize) {
    let (_, t) = r
        .panicked_spindump_thread()
        .expect("panicked thread in the stackshot");
    let sd = r.spindump.as_ref().unwrap();
    assert_eq!(t.kernel_frames.len(), expected_kernel_frames);
    let runtime: Vec<u64> = t
        .kernel_frames
        .iter()
        .filter(|f| sd.image(f).is_some_and(|i| i.kind.is_kernel()))
        .map(|f| r.runtime_of(f).unwrap().get())
        .collect();
    assert!(runtime.len() >= 5);
    let text = lrs(r);
    let tail = &runtime[1..];
    let start = text
        .iter()
        .position(|&a| a == tail[0])
        .expect("second stackshot frame in the text backtrace");
    assert_eq!(&text[start..start + tail.len()], tail);
}

#[test]
fn forcereset_full_ios16() {
    let r = load("ios-ips-forcereset-full-01.ips");
    assert_eq!(r.format, Format::FullIps);
    let ips = r.ips.as_ref().unwrap();
    assert_eq!(ips.header.bug_type.as_deref(), Some("151"));
    assert_eq!(ips.header.roots_installed, Some(0));
    assert_eq!(ips.panic_string_key.as_deref(), Some("string"));
    assert_eq!(ips.body.soc_id.as_deref(), Some("0x00008020"));
    assert_eq!(ips.body.panic_flags.as_deref(), Some("0x882"));
    assert_eq!(ips.body.notes.len(), 2);
    assert_eq!(
        ips.body.memory_status.as_ref().unwrap().page_size,
        Some(16384)
    );
    assert_eq!(r.panic.as_ref().unwrap().reason, "btn_rst");
    assert_eq!(r.system.os_release_type.as_deref(), Some("Restore"));
    assert_eq!(r.kernelcache_slide(), Some(0x252d8000));
    let sd = r.spindump.as_ref().unwrap();
    assert_eq!(
        (
            sd.processes.len(),
            sd.thread_count(),
            sd.binary_images.len()
        ),
        (6, 275, 41)
    );
    let count = |k: ImageKind| sd.binary_images.iter().filter(|i| i.kind == k).count();
    assert_eq!(
        (
            count(ImageKind::KernelTextExec),
            count(ImageKind::Process),
            count(ImageKind::Absolute)
        ),
        (22, 18, 1)
    );
    assert_eq!(
        sd.binary_images[1].uuid.map(|u| u.to_string()).as_deref(),
        Some("E162E369-A92E-3EB7-872F-862218FB860F")
    );
    assert_eq!(sd.binary_images[1].base.get(), 0xfffffff007ca4000);
    let kt = sd.process(0).unwrap();
    assert_eq!((kt.name.as_str(), kt.threads.len()), ("kernel_task", 263));
    let all: Vec<_> = sd.processes.iter().flat_map(|p| &p.threads).collect();
    assert_eq!(all.iter().filter(|t| t.continuation.is_some()).count(), 241);
    assert_eq!(all.iter().filter(|t| t.wait_event.is_some()).count(), 267);
    assert_eq!(all.iter().filter(|t| t.name.is_some()).count(), 235);
    assert_eq!(
        all.iter().filter(|t| !t.kernel_frames.is_empty()).count(),
        36
    );
    assert_eq!(all.iter().filter(|t| !t.user_frames.is_empty()).count(), 12);
    assert_eq!(
        all.iter()
            .filter(|t| t.dispatch_queue_label.is_some())
            .count(),
        4
    );
    assert!(all.iter().any(|t| t
        .wait_info
        .as_deref()
        .is_some_and(|w| w.contains("unknown type 17"))));
    // FORMAT.md: tid 798's first frames [[1,304016],[1,7745800],[15,106372],…].
    let (_, t) = r.panicked_spindump_thread().unwrap();
    assert_eq!(t.id, 798);
    assert_eq!(
        r.runtime_of(&t.kernel_frames[0]),
        Some(RuntimeAddr(0xfffffff02cfc6390))
    );
    assert_eq!(
        r.runtime_of(&t.kernel_frames[2]),
        Some(RuntimeAddr(0xfffffff02e156784))
    );
    assert_eq!(
        r.runtime_of(&t.kernel_frames[2]),
        r.panic.as_ref().unwrap().caller
    );
    assert_frames_match_text(&r, 7);
    assert_eq!(r.loaded_kexts.as_ref().unwrap().kexts.len(), 169);
    assert_eq!(r.stackshot.as_ref().unwrap().bytes_traced, Some(36368));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    insta::assert_json_snapshot!("ios-ips-forcereset-full-01", snapshot_value(&r));
}

struct Expect {
    file: &'static str,
    processes: usize,
    threads: usize,
    images: usize,
    tid: u64,
    frames: usize,
    kernel_frames: usize,
    loaded_kexts: Option<usize>,
}

fn check(e: &Expect) -> PanicReport {
    let r = load(e.file);
    assert_eq!(r.format, Format::FullIps, "{}", e.file);
    let sd = r.spindump.as_ref().unwrap();
    assert_eq!(
        (
            sd.processes.len(),
            sd.thread_count(),
            sd.binary_images.len()
        ),
        (e.processes, e.threads, e.images),
        "{}",
        e.file
    );
    assert_eq!(r.panicked_thread.as_ref().unwrap().tid, Some(e.tid));
    assert_eq!(lrs(&r).len(), e.frames);
    assert_eq!(
        r.loaded_kexts.as_ref().map(|l| l.kexts.len()),
        e.loaded_kexts
    );
    assert_frames_match_text(&r, e.kernel_frames);
    assert!(r.warnings.is_empty(), "{}: {:?}", e.file, r.warnings);
    r
}

#[test]
fn zeroxjf_mte_keystore() {
    let r = check(&Expect {
        file: "ios-ips-full-mte-keystore-01.ips",
        processes: 471,
        threads: 3152,
        images: 318,
        tid: 3876991,
        frames: 23,
        kernel_frames: 19,
        loaded_kexts: Some(238),
    });
    assert_eq!(
        r.ips
            .as_ref()
            .unwrap()
            .header
            .other
            .get("sroute_id")
            .map(|v| v.to_value()),
        Some(serde_json::json!(15))
    );
    assert_eq!(r.kernelcache_slide(), Some(0x47890000));
    let p = r.panic.as_ref().unwrap();
    assert_eq!(
        p.exception
            .as_ref()
            .unwrap()
            .expected_tagged_address
            .map(|h| h.get()),
        Some(0xf6fffe205d518d88)
    );
    assert_eq!(r.register("esr"), Some(0x96000011));
    assert_eq!(r.stackshot.as_ref().unwrap().status, "succeeded");
    assert_eq!(r.panicked_spindump_thread().unwrap().0.name, "UAFTester");
}

#[test]
fn zeroxjf_aop_tagfault_sepkeystore() {
    let r = check(&Expect {
        file: "ios-ips-full-aop-01.ips",
        processes: 516,
        threads: 2377,
        images: 317,
        tid: 1291,
        frames: 12,
        kernel_frames: 8,
        loaded_kexts: Some(233),
    });
    assert_eq!(r.panic_details.len(), 364, "AOP RTKit payload");
    assert_eq!(
        r.ips.as_ref().unwrap().body.panic_initiator.as_deref(),
        Some("AOP")
    );
    check(&Expect {
        file: "ios-ips-full-mte-tagfault-02.ips",
        processes: 603,
        threads: 2843,
        images: 340,
        tid: 32108,
        frames: 28,
        kernel_frames: 24,
        loaded_kexts: Some(233),
    });
    check(&Expect {
        file: "ios-ips-full-sepkeystore-01.ips",
        processes: 340,
        threads: 1735,
        images: 233,
        tid: 51809,
        frames: 21,
        kernel_frames: 17,
        loaded_kexts: Some(205),
    });
}

#[test]
fn zeroxjf_ipad_non_fileset_u_image() {
    let r = check(&Expect {
        file: "ios-ips-full-ipad-dataabort-U-01.ips",
        processes: 465,
        threads: 1831,
        images: 555,
        tid: 2049036,
        frames: 26,
        kernel_frames: 23,
        loaded_kexts: None,
    });
    let sd = r.spindump.as_ref().unwrap();
    let u: Vec<_> = sd
        .binary_images
        .iter()
        .filter(|i| i.kind == ImageKind::Kernelcache)
        .collect();
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].base.get(), 0xffffffdc00000000);
    assert_eq!(r.slides.kernelcache_slide, None);
    assert_eq!(
        r.kernelcache_slide(),
        Some(0xebd4000),
        "falls back to Kernel slide"
    );
}

#[test]
fn macos26_extract() {
    let r = load("arm64-panicfull-EXTRACT-macos26-01.json");
    assert_eq!(
        r.ips.as_ref().unwrap().header.bug_type.as_deref(),
        Some("210")
    );
    let sd = r.spindump.as_ref().unwrap();
    let pids: Vec<i64> = sd.processes.iter().map(|p| p.pid).collect();
    assert_eq!(pids, [1, 57024]);
    assert_eq!(sd.process(57024).unwrap().flags[0], "terminatedSnapshot");
    assert_eq!(lrs(&r).len(), 17);
    assert!(r.loaded_kexts.as_ref().unwrap().skipped);
    // The extract has no `binaryImages` table (the author renamed it): frames point nowhere.
    assert!(r.warnings.iter().any(|w| w.contains("past the table")));
}
