//! Key fields of every arm64/iOS text and JSON (non-full) log, checked against values read from
//! the logs, plus a JSON snapshot of each report (panic text and long lists trimmed).

mod common;
use common::{load, lrs, snapshot_value, zone_names};
use kpanic_report::{Arch, Format, KextEventKind, PanicReport, RuntimeAddr};

fn snap(name: &str, r: &PanicReport) {
    insta::assert_json_snapshot!(name, snapshot_value(r));
}

#[test]
fn arm64_watchdog_macos11() {
    let r = load("arm64-text-watchdog-01.txt");
    assert_eq!((r.format, r.arch), (Format::Text, Some(Arch::Arm64)));
    let p = r.panic.as_ref().unwrap();
    assert_eq!(p.cpu, Some(0));
    assert_eq!(p.caller, Some(RuntimeAddr(0xfffffe0016745e30)));
    assert!(p
        .reason
        .starts_with("watchdog timeout: no checkins from watchdogd in 305 seconds"));
    assert_eq!(r.debugger_message.as_deref(), Some("panic"));
    assert_eq!(r.system.os_build.as_deref(), Some("20E241"));
    assert_eq!(
        r.system.kernel_uuid.map(|u| u.to_string()).as_deref(),
        Some("1DC99FEF-0771-3229-974C-9B18710700AE")
    );
    assert_eq!(
        r.system.kernelcache_uuid.map(|u| u.to_string()).as_deref(),
        Some("0B829878-C98B-F0B6-E3AF-7BF571B60BF2")
    );
    assert_eq!(r.system.paniclog_version, Some(13));
    assert_eq!(
        r.system.kernel_variant.as_ref().unwrap().kdk_kernel_name(),
        "kernel.release.t8101"
    );
    assert_eq!(r.kernelcache_slide(), Some(0xbca4000));
    assert_eq!(
        r.slides.kernel_text_exec_base,
        Some(RuntimeAddr(0xfffffe00138b0000))
    );
    assert_eq!(
        r.slides.kernel_text_exec_slide, None,
        "macOS 11.3 has no exec slide line"
    );
    let l = lrs(&r);
    assert_eq!(
        (l.len(), l[0], l[17]),
        (18, 0xfffffe00138fe920, 0xfffffe00138c0c38)
    );
    let deps: Vec<usize> = r
        .kexts_in_backtrace
        .iter()
        .map(|k| k.dependencies.len())
        .collect();
    assert_eq!(deps, [1, 0, 3]);
    assert_eq!(
        r.kexts_in_backtrace[1].kext.bundle_id,
        "com.apple.driver.watchdog"
    );
    assert_eq!(r.loaded_kexts.as_ref().unwrap().kexts.len(), 222);
    let cpu = r.cpu_usage.as_ref().unwrap();
    assert_eq!((cpu.total, cpu.rows.len()), (Some(13790411), 5));
    assert_eq!(r.cores.retired_instr.len(), 8);
    let st = r.stackshot.as_ref().unwrap();
    assert_eq!(
        (st.status.as_str(), st.bytes_traced, st.bytes_uncompressed),
        ("succeeded", Some(42744), Some(149952))
    );
    let t = r.panicked_task.as_ref().unwrap();
    assert_eq!(
        (t.pid, t.name.as_deref(), t.pages, t.threads),
        (Some(0), Some("kernel_task"), Some(35305), Some(458))
    );
    assert_eq!(r.panicked_thread.as_ref().unwrap().tid, Some(102));
    let ev = &r.kext_events[0];
    assert_eq!(
        (ev.kind, ev.at, ev.bundle_id.as_str()),
        (
            KextEventKind::Started,
            Some(1049340046),
            "com.apple.filesystems.autofs"
        )
    );
    assert!(
        r.warnings.is_empty() && r.unparsed.is_empty(),
        "{:?} {:?}",
        r.warnings,
        r.unparsed
    );
    snap("arm64-text-watchdog-01", &r);
}

#[test]
fn arm64_data_abort_spaces_paste() {
    let r = load("arm64-text-dataabort-01.txt");
    let p = r.panic.as_ref().unwrap();
    assert_eq!(
        (p.cpu, p.caller),
        (Some(4), Some(RuntimeAddr(0xfffffe001439f634)))
    );
    let e = p.exception.as_ref().unwrap();
    assert_eq!(e.pc, Some(RuntimeAddr(0xfffffe00140bfee0)));
    assert_eq!(e.lr, Some(RuntimeAddr(0x2392fe0014048f9c)));
    assert_eq!(r.registers.len(), 36);
    assert_eq!(r.register("far"), Some(0x18));
    assert_eq!(r.register("esr"), Some(0x96000006));
    assert_eq!(r.register("x28"), Some(0xfffffe0016e01000));
    let l = lrs(&r);
    assert_eq!(
        (l.len(), l[0], l[20]),
        (21, 0xfffffe0013b5280c, 0xfffffe0013afbd7c)
    );
    assert!(r.kexts_in_backtrace.is_empty());
    // The author's paste turned the kext list's tabs into spaces.
    let lk = r.loaded_kexts.as_ref().unwrap();
    assert_eq!(lk.kexts.len(), 248);
    assert_eq!(
        (lk.kexts[0].bundle_id.as_str(), lk.kexts[0].version.as_str()),
        ("com.apple.UVCService", "1")
    );
    assert_eq!(r.zone_info.as_ref().unwrap().ranges.len(), 10);
    assert_eq!(
        (
            r.cores.states.len(),
            r.cores.panicked_core,
            r.cores.pvh_locks.len()
        ),
        (9, Some(4), 10)
    );
    assert_eq!(r.cores.tpidr.len(), 3);
    assert_eq!(
        r.system.boot_session_uuid.map(|u| u.to_string()).as_deref(),
        Some("456DF110-CC05-4BBE-BC9A-4D9863F1AB49")
    );
    assert_eq!(
        r.slides.kernel_text_exec_slide.map(|h| h.get()),
        Some(0xcaf0000)
    );
    assert_eq!(r.compressor_info.as_ref().unwrap().swapfiles, Some(1));
    assert_eq!(r.panicked_thread.as_ref().unwrap().tid, Some(9418477));
    assert!(
        r.warnings.is_empty() && r.unparsed.is_empty(),
        "{:?} {:?}",
        r.warnings,
        r.unparsed
    );
    snap("arm64-text-dataabort-01", &r);
}

#[test]
fn arm64_amcc_preamble_and_quoted_message() {
    let r = load("arm64-text-amcc-01.txt");
    assert_eq!(r.preamble.len(), 34);
    assert!(r.preamble[0].starts_with("Attempting to forcibly halt cpu 0"));
    let p = r.panic.as_ref().unwrap();
    assert_eq!(
        (p.cpu, p.caller),
        (Some(2), Some(RuntimeAddr(0xfffffe001ececdf0)))
    );
    assert!(p
        .reason
        .starts_with("AMCC0 DCS GROUP 0 CHANNEL 0 M3_AIC_IRQ_EN_FLD error"));
    let loc = p.location.as_ref().unwrap();
    assert_eq!(
        (loc.file.as_str(), loc.line),
        ("AppleT6020PlatformErrorHandler.cpp", Some(3468))
    );
    assert_eq!(
        r.system.iboot_stage2_version.as_deref(),
        Some("iBoot-11881.101.1")
    );
    assert_eq!(
        r.zone_info.as_ref().unwrap().ranges.last().unwrap().name,
        "Extra"
    );
    assert_eq!(r.cores.states.len(), 11);
    assert_eq!(r.stackshot.as_ref().unwrap().status, "not_taken");
    assert_eq!(lrs(&r).len(), 12);
    let deps: Vec<usize> = r
        .kexts_in_backtrace
        .iter()
        .map(|k| k.dependencies.len())
        .collect();
    assert_eq!(deps, [3, 1]);
    assert_eq!(
        r.kexts_in_backtrace[0].kext.end,
        Some(RuntimeAddr(0xfffffe001ecf70f3))
    );
    assert_eq!(r.loaded_kexts.as_ref().unwrap().kexts.len(), 244);
    assert!(r.warnings.is_empty() && r.unparsed.is_empty());
    snap("arm64-text-amcc-01", &r);
}

#[test]
fn arm64_dcp_coprocessor_payload() {
    let r = load("arm64-text-dcp-coprocessor-01.txt");
    let p = r.panic.as_ref().unwrap();
    assert_eq!(p.line, 1, "the file starts with an empty line");
    assert_eq!(p.reason, "DCP PANIC - ASSERT!AppleDCPDPTXPowerController.cpp:561 No device added after powering on the rails. HPD=0 - dcpav(27)");
    assert!(p.location.is_none());
    assert_eq!(r.panic_details.len(), 449);
    assert!(r.panic_details[0].starts_with("ASSERT!AppleDCPDPTXPowerController.cpp:561"));
    assert!(
        r.registers.is_empty(),
        "`Time: 0x…` in the RTKit log is not a register"
    );
    assert_eq!(
        r.system.kernel_variant.as_ref().unwrap().kdk_kernel_name(),
        "kernel.release.t8112"
    );
    assert_eq!(
        r.slides.kernel_text_exec_base,
        Some(RuntimeAddr(0xfffffe00182e4000))
    );
    let l = lrs(&r);
    assert_eq!((l.len(), l[6]), (11, 0xfffffe001b2461d0));
    assert_eq!(
        r.kexts_in_backtrace[1].kext.bundle_id,
        "com.apple.driver.RTBuddy"
    );
    assert_eq!(r.kexts_in_backtrace[1].dependencies.len(), 5);
    assert_eq!(r.loaded_kexts.as_ref().unwrap().kexts.len(), 234);
    assert!(r.warnings.is_empty() && r.unparsed.is_empty());
    snap("arm64-text-dcp-coprocessor-01", &r);
}

#[test]
fn arm64_endpointsecurity_and_usb() {
    let r = load("arm64-text-endpointsecurity-01.txt");
    assert_eq!(
        r.panic.as_ref().unwrap().exception.as_ref().unwrap().lr,
        Some(RuntimeAddr(0xfdc0fe00148e2af8))
    );
    assert_eq!(lrs(&r).len(), 24);
    assert_eq!(
        r.kexts_in_backtrace[0].kext.bundle_id,
        "com.apple.iokit.EndpointSecurity"
    );
    assert_eq!(r.kexts_in_backtrace[0].dependencies.len(), 2);
    assert_eq!(r.loaded_kexts.as_ref().unwrap().kexts.len(), 254);
    assert_eq!(
        r.cores.states[0].pc,
        RuntimeAddr(0x1030088fc),
        "user-space PC kept"
    );
    assert!(r.warnings.is_empty() && r.unparsed.is_empty());
    snap("arm64-text-endpointsecurity-01", &r);

    let r = load("arm64-text-iousbhost-m1-01.txt");
    let zones = zone_names(&r);
    assert_eq!(
        zones,
        ["Foreign", "Native", "Readonly", "Metadata", "Bitmaps"]
    );
    assert_eq!(r.system.paniclog_version, Some(13));
    assert_eq!(
        r.slides.kernel_text_exec_slide.map(|h| h.get()),
        Some(0xa7f8000)
    );
    assert_eq!(lrs(&r).len(), 24);
    assert_eq!(r.kexts_in_backtrace.len(), 2);
    assert_eq!(r.loaded_kexts.as_ref().unwrap().kexts.len(), 239);
    assert!(r.warnings.is_empty() && r.unparsed.is_empty());
    snap("arm64-text-iousbhost-m1-01", &r);
}

#[test]
fn arm64_vmmap_with_coredump_trailer() {
    let r = load("arm64-text-vmmap-coredump-01.txt");
    let p = r.panic.as_ref().unwrap();
    assert_eq!(p.location.as_ref().unwrap().file, "vm_map.c");
    assert_eq!(p.location.as_ref().unwrap().line, Some(7922));
    assert_eq!(r.system.os_build.as_deref(), Some("22A5342f"));
    assert_eq!(lrs(&r).len(), 19);
    assert_eq!(r.loaded_kexts.as_ref().unwrap().kexts.len(), 242);
    assert_eq!(r.trailer[0], "Writing local cores...");
    assert_eq!(
        r.cores.states.iter().find(|c| c.core == 3).unwrap().pc,
        RuntimeAddr(0x18ff61d60)
    );
    assert!(r.warnings.is_empty() && r.unparsed.is_empty());
    snap("arm64-text-vmmap-coredump-01", &r);
}

#[test]
fn arm64_macos26_exclaves() {
    let r = load("arm64-text-watchdog-macos26-exclaves-01.txt");
    let s = &r.system;
    assert_eq!(s.exclaves_boot_status.as_deref(), Some("BOOTED_EXCLAVEKIT"));
    assert_eq!(s.iboot_version.as_deref(), Some("mBoot-18000.161.10"));
    assert_eq!(s.paniclog_version, Some(15));
    assert_eq!(s.debug_header_entry_count, Some(3));
    assert_eq!(
        s.sptm_uuid.map(|u| u.to_string()).as_deref(),
        Some("EB28BBD0-9218-3B7B-95CF-BC53E21036D4")
    );
    assert_eq!(
        s.txm_load_address.map(|h| h.get()),
        Some(0xfffffe002fa4c000)
    );
    assert_eq!(r.kernelcache_slide(), Some(0x38a48000));
    assert_eq!(
        r.slides.kernel_text_exec_base,
        Some(RuntimeAddr(0xfffffe00441b0000))
    );
    assert_eq!(r.cores.retired_instr[6].cluster.as_deref(), Some("PACC1"));
    assert_eq!(r.cores.tpidr[0].value.get(), 0xf4fffe186a31e560);
    let cpu = r.cpu_usage.as_ref().unwrap();
    assert_eq!(
        (cpu.total, cpu.rows[0].thread.get()),
        (Some(65451529), 0xfdfffe186a050ac0)
    );
    assert_eq!(
        r.panicked_task.as_ref().unwrap().address.unwrap().get(),
        0xf4fffe2402035c88
    );
    assert_eq!(
        r.panicked_thread.as_ref().unwrap().address.unwrap().get(),
        0xf4fffe186a31e560
    );
    assert_eq!(lrs(&r).len(), 17);
    assert!(r.loaded_kexts.as_ref().unwrap().skipped);
    assert!(r.loaded_kexts.as_ref().unwrap().kexts.is_empty());
    assert!(r.stackshot.is_none());
    assert!(r.warnings.is_empty() && r.unparsed.is_empty());
    snap("arm64-text-watchdog-macos26-exclaves-01", &r);
}

#[test]
fn ios_vresearch_paniclog15() {
    let r = load("ios-vresearch-text-amfi-paniclog15-01.txt");
    assert_eq!(r.preamble.len(), 4);
    let p = r.panic.as_ref().unwrap();
    assert_eq!(
        p.reason,
        "AMFI: inconsistency between instance and monitor context: 1 | 0"
    );
    assert_eq!(p.location.as_ref().unwrap().line, Some(239));
    assert_eq!(r.system.iboot_stage2_version.as_deref(), Some(""));
    assert_eq!(r.system.memory_id.as_deref(), Some("0x0"));
    assert_eq!(
        r.system.kernel_variant.as_ref().unwrap().kdk_kernel_name(),
        "kernel.release.vresearch1"
    );
    let l = lrs(&r);
    assert_eq!((l.len(), l[14]), (15, 0x195c313f8));
    assert_eq!(r.loaded_kexts.as_ref().unwrap().kexts.len(), 96);
    assert_eq!(r.stackshot.as_ref().unwrap().bytes_traced, Some(313136));
    assert!(r.warnings.is_empty() && r.unparsed.is_empty());
    snap("ios-vresearch-text-amfi-paniclog15-01", &r);
}

#[test]
fn ios_old_paniclogs() {
    let r = load("ios-text-undefinstr-paniclog10-01.txt");
    assert_eq!(r.system.paniclog_version, Some(10));
    assert_eq!(
        r.system.kernel_uuid.map(|u| u.to_string()).as_deref(),
        // The log's em-dashes (a blog's typography) are read as the hyphens they were.
        Some("BEFBC911-B1BC-3553-B7EA-1ECE60169886")
    );
    assert_eq!(r.slides.kernel_slide.map(|h| h.get()), Some(0x16200000));
    assert_eq!(
        r.slides.kernel_text_base,
        Some(RuntimeAddr(0xfffffff01d204000))
    );
    assert!(r.backtrace.is_none());
    assert!(r.warnings.iter().any(|w| w.contains("no backtrace")));
    assert_eq!(r.epoch_time.as_ref().unwrap().rows.len(), 4);
    snap("ios-text-undefinstr-paniclog10-01", &r);

    let r = load("ios-text-dataabort-paniclog11-PARTIAL-01.txt");
    assert_eq!(
        r.preamble,
        ["Debugger synchronization timed out; waited 10000000 nanoseconds"]
    );
    let p = r.panic.as_ref().unwrap();
    assert_eq!(
        p.reason,
        "Kernel data abort. (saved state: 0xffffffe04f863310)"
    );
    assert_eq!(
        p.exception.as_ref().unwrap().saved_state.unwrap().get(),
        0xffffffe04f863310
    );
    assert_eq!(r.registers.len(), 36);
    let l = lrs(&r);
    assert_eq!((l.len(), l[17]), (18, 0x237133ea4));
    assert_eq!(
        r.panicked_task.as_ref().unwrap().name.as_deref(),
        Some("multi")
    );
    assert!(r.warnings.iter().any(|w| w.contains("Kernel version")));
    snap("ios-text-dataabort-paniclog11-PARTIAL-01", &r);
}

#[test]
fn ips_pdf_fragment() {
    let r = load("ios-ips-dataabort-FRAGMENT-slides-01.txt");
    assert_eq!(r.format, Format::Ips);
    let ips = r.ips.as_ref().unwrap();
    assert!(!ips.body_complete);
    assert_eq!(ips.header.bug_type.as_deref(), Some("210"));
    assert_eq!(
        ips.header.os_version.as_deref(),
        Some("iPhone OS 13.3.1 (17D50)")
    );
    assert_eq!(ips.body.product.as_deref(), Some("iPhone12,3"));
    let p = r.panic.as_ref().unwrap();
    assert_eq!(p.caller, Some(RuntimeAddr(0xfffffff0194c76dc)));
    assert_eq!(
        p.exception.as_ref().unwrap().lr,
        Some(RuntimeAddr(0x72f800701a235570))
    );
    assert_eq!(r.register("far"), Some(0x989b636263620060));
    assert_eq!(r.register("x9"), Some(0x989b636263620038));
    assert_eq!(
        r.system.kernel_variant.as_ref().unwrap().kdk_kernel_name(),
        "kernel.release.t8030"
    );
    assert!(r.warnings.iter().any(|w| w.contains("cut")));
    snap("ios-ips-dataabort-FRAGMENT-slides-01", &r);
}

#[test]
fn ips_bridgeos_and_truncated() {
    let r = load("t2-bridgeos-ips-sleepwake-01.panic");
    assert_eq!(r.format, Format::Ips);
    let ips = r.ips.as_ref().unwrap();
    assert_eq!(ips.header.caused_by.as_deref(), Some("bridgeos"));
    assert_eq!(ips.body.macos_panic_string.as_deref(), Some("not yet set"));
    assert_eq!(ips.body.panic_flags.as_deref(), Some("0x0"));
    assert_eq!(ips.panic_string_key.as_deref(), Some("panicString"));
    assert_eq!(
        r.panic.as_ref().unwrap().reason,
        "Unexpected SoC (system) watchdog reset occurred during sleep/wake transition"
    );
    assert_eq!(
        r.system.kernel_variant.as_ref().unwrap().kdk_kernel_name(),
        "kernel.release.t8010"
    );
    snap("t2-bridgeos-ips-sleepwake-01", &r);

    let r = load("ios-ips-panicfull-TRUNCATED-01.ips");
    assert!(!r.ips.as_ref().unwrap().body_complete);
    assert_eq!(
        r.panic.as_ref().unwrap().caller,
        Some(RuntimeAddr(0xfffffff01a3072d4))
    );
    assert_eq!(r.register("x2"), Some(0x4141414141414141));
    assert_eq!(
        r.system.iboot_version.as_deref(),
        Some("pongoOS-2.5.0-0cb6126f")
    );
    assert_eq!(r.slides.kernel_slide.map(|h| h.get()), Some(0x12208000));
    assert_eq!(
        lrs(&r),
        [0xfffffff019c8a1cc, 0xfffffff019c8a024, 0xfffffff019db36dc]
    );
    assert_eq!(r.panicked_task.as_ref().unwrap().pid, Some(591));
    assert!(r.warnings.iter().any(|w| w.contains("cut")));
    snap("ios-ips-panicfull-TRUNCATED-01", &r);
}
