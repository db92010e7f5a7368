//! Key fields of every Intel text log, checked against values read from the logs, plus a JSON
//! snapshot of each report.

mod common;
use common::{load, lrs, snapshot_value, zone_names};
use kpanic_report::{Arch, KextEventKind, PanicReport, RuntimeAddr};

fn snap(name: &str, r: &PanicReport) {
    insta::assert_json_snapshot!(name, snapshot_value(r));
}

#[test]
fn intel_nvidia_web_third_party() {
    let r = load("x86-text-3rdpartykext-nvidiaweb-01.txt");
    assert_eq!(r.arch, Some(Arch::X86_64));
    assert_eq!(
        r.system.anonymous_uuid.map(|u| u.to_string()).as_deref(),
        Some("32BCAB7F-2AEA-A951-3785-013ECFB913EA")
    );
    assert_eq!(
        r.system.report_date.as_deref(),
        Some("Mon Aug 20 10:27:21 2018")
    );
    let p = r.panic.as_ref().unwrap();
    assert!(p
        .reason
        .starts_with("thread_invoke: preemption_level 1, possible cause"));
    assert_eq!(p.location.as_ref().unwrap().line, Some(2231));
    let bt = r.backtrace.as_ref().unwrap();
    assert_eq!((bt.cpu, bt.frames.len()), (Some(0), 25));
    assert_eq!(bt.frames[0].address, RuntimeAddr(0xffffff800e46e166));
    assert_eq!(bt.frames[0].frame_pointer.get(), 0xffffff91ff2f3610);
    assert!(r.kexts_in_backtrace.iter().all(|k| k.kext.third_party));
    let deps: Vec<usize> = r
        .kexts_in_backtrace
        .iter()
        .map(|k| k.dependencies.len())
        .collect();
    assert_eq!(deps, [4, 2]);
    assert_eq!(
        r.kexts_in_backtrace[0].dependencies[0].end, None,
        "≤10.15 deps print only @start"
    );
    assert_eq!(r.system.os_build.as_deref(), Some("17E199"));
    assert_eq!(
        r.system.kernel_uuid.map(|u| u.to_string()).as_deref(),
        Some("1B55340B-0B14-3026-8A47-1E139DB63DA3")
    );
    assert_eq!(
        r.system.kernel_variant.as_ref().unwrap().kdk_kernel_name(),
        "kernel"
    );
    assert!(
        r.unparsed.is_empty() && r.warnings.is_empty(),
        "{:?}",
        r.warnings
    );
    snap("x86-text-3rdpartykext-nvidiaweb-01", &r);
}

#[test]
fn intel_voodoo_fragment_without_panic_line() {
    let r = load("x86-text-3rdpartykext-voodooi2c-FRAGMENT-01.txt");
    assert!(r.panic.is_none());
    assert!(r.warnings.iter().any(|w| w.contains("no `panic(` line")));
    let bt = r.backtrace.as_ref().unwrap();
    assert_eq!((bt.cpu, bt.frames.len()), (Some(7), 18));
    let s = bt.frames[8].symbol.as_ref().unwrap();
    assert_eq!(s.image, "com.alexandred.VoodooI2C");
    assert_eq!(s.offset.map(|o| o.get()), Some(0x6c));
    assert_eq!(bt.frames[8].address, RuntimeAddr(0xffffff7f8353155c));
    let k = &r.kexts_in_backtrace[0];
    assert_eq!(
        (k.kext.bundle_id.as_str(), k.dependencies.len()),
        ("com.alexandred.VoodooI2C", 5)
    );
    assert_eq!(k.kext.start, Some(RuntimeAddr(0xffffff7f83528000)));
    snap("x86-text-3rdpartykext-voodooi2c-FRAGMENT-01", &r);
}

#[test]
fn intel_gp_faults() {
    let r = load("x86-text-gpf-keepsyms-vmm-PARTIAL-01.txt");
    let trap = r.panic.as_ref().unwrap().trap.as_ref().unwrap();
    assert_eq!(
        (trap.address, trap.trap_type),
        (RuntimeAddr(0xffffff802bb2f157), Some(13))
    );
    let f = r.intel_fault.as_ref().unwrap();
    assert_eq!(
        (f.fault_cpu, f.vmm, f.privilege_level, f.vf),
        (Some(1), true, Some(0), Some(0))
    );
    assert_eq!(r.registers.len(), 24);
    assert_eq!(r.register("RIP"), Some(0xffffff802bb2f157));
    assert_eq!(r.register("CR2"), Some(0x112150890));
    let bt = r.backtrace.as_ref().unwrap();
    assert_eq!(bt.frames.len(), 18);
    assert_eq!(
        bt.frames[3].symbol.as_ref().unwrap().symbol,
        "trap_from_kernel"
    );
    assert_eq!(
        r.panicked_thread.as_ref().unwrap().process_name.as_deref(),
        Some("syz-fuzzer")
    );
    assert_eq!(
        r.system.boot_args.as_deref(),
        Some("debug=0x146 kcsuffix=development keepsyms=1")
    );
    snap("x86-text-gpf-keepsyms-vmm-PARTIAL-01", &r);

    let r = load("x86-text-gpf-keepsyms-vmm-PARTIAL-02.txt");
    assert_eq!(r.register("RAX"), Some(0xc0ffee9e0fce50c0));
    assert_eq!(r.intel_fault.as_ref().unwrap().privilege_level, Some(1));
    assert_eq!(lrs(&r).len(), 15);
    snap("x86-text-gpf-keepsyms-vmm-PARTIAL-02", &r);

    let r = load("x86-text-gpf-kext-emuusbaudio-PARTIAL-01.txt");
    let f = r.intel_fault.as_ref().unwrap();
    assert_eq!((f.fault_cpu, f.vmm, f.vf), (Some(6), false, None));
    assert_eq!(
        r.system.report_date.as_deref(),
        Some("Fri Jul  1 23:06:47 2016")
    );
    assert_eq!(lrs(&r).len(), 11);
    let k = &r.kexts_in_backtrace[0];
    assert!(k.kext.third_party);
    assert_eq!(k.dependencies.len(), 2);
    snap("x86-text-gpf-kext-emuusbaudio-PARTIAL-01", &r);
}

#[test]
fn intel_gpu_panic_with_kext_list() {
    let r = load("x86-text-gpupanic-kextlist-01.txt");
    let lk = r.loaded_kexts.as_ref().unwrap();
    assert_eq!(lk.kexts.len(), 103);
    let third: Vec<&str> = lk.third_party().map(|k| k.bundle_id.as_str()).collect();
    assert_eq!(third, ["com.nvidia.CUDA"]);
    assert_eq!(r.kexts_in_backtrace.len(), 5);
    assert_eq!(lrs(&r).len(), 19);
    let kinds: Vec<KextEventKind> = r.kext_events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [KextEventKind::Loaded, KextEventKind::Unloaded]);
    assert_eq!(r.kext_events[1].size.map(|s| s.get()), Some(57344));
    assert_eq!(
        r.system.system_model.as_deref(),
        Some("MacBookPro11,3 (Mac-2BD1B31983FE1663)")
    );
    assert_eq!(r.system.uptime_ns, Some(6796404552470));
    assert_eq!(r.system.os_build.as_deref(), Some("13C64"));
    assert_eq!(r.slides.kernel_slide.map(|h| h.get()), Some(0x19400000));
    assert!(
        r.unparsed.is_empty() && r.warnings.is_empty(),
        "{:?}",
        r.unparsed
    );
    snap("x86-text-gpupanic-kextlist-01", &r);
}

#[test]
fn intel_keepsyms() {
    let r = load("x86-text-keepsyms-iousb-01.txt");
    let bt = r.backtrace.as_ref().unwrap();
    assert_eq!(bt.frames.len(), 19);
    let s = bt.frames[5].symbol.as_ref().unwrap();
    assert_eq!(
        (s.image.as_str(), s.symbol.as_str()),
        ("mach_kernel", "_panic")
    );
    assert_eq!(r.kexts_in_backtrace[0].dependencies.len(), 3);
    snap("x86-text-keepsyms-iousb-01", &r);

    let r = load("x86-text-keepsyms-sleepwake-hackintosh-01.txt");
    let p = r.panic.as_ref().unwrap();
    assert!(p.message.ends_with("\nFailure code:: 0x00000040 00000014"));
    assert!(r.backtrace.as_ref().unwrap().specified_thread);
    assert_eq!(r.kexts_in_backtrace.len(), 3);
    assert_eq!(
        r.slides.hib_text_base,
        Some(RuntimeAddr(0xffffff800b700000))
    );
    assert_eq!(
        r.system.boot_args.as_deref(),
        Some("-v keepsyms=1 agdpmod=pikera alcid=1")
    );
    assert_eq!(
        r.system.panic_diags_file.as_deref(),
        Some("NO (0xe00002bc)")
    );
    assert_eq!(r.system.os_build.as_deref(), Some("19D76"));
    assert!(
        r.unparsed.is_empty() && r.warnings.is_empty(),
        "{:?}",
        r.unparsed
    );
    snap("x86-text-keepsyms-sleepwake-hackintosh-01", &r);
}

#[test]
fn intel_nvme_abbreviated_kexts() {
    let r = load("x86-text-nvme-abbrevkexts-01.txt");
    let p = r.panic.as_ref().unwrap();
    assert_eq!(p.message.lines().count(), 2);
    assert_eq!(p.location.as_ref().unwrap().line, Some(5320));
    let lk = r.loaded_kexts.as_ref().unwrap();
    assert_eq!(lk.kexts.len(), 149);
    assert_eq!(lk.third_party().count(), 8);
    assert!(lk
        .kexts
        .iter()
        .any(|k| k.bundle_id == "com.apple.iokit.IOBluetoothFamily"));
    assert!(lk.kexts.iter().all(|k| !k.bundle_id.contains('!')));
    let ev = &r.kext_events[0];
    assert_eq!(
        (ev.bundle_id.as_str(), ev.version.as_deref()),
        ("com.apple.driver.AppleHIDKeyboard", Some("209"))
    );
    assert_eq!(r.system.system_shutdown_begun.as_deref(), Some("YES"));
    assert!(r.backtrace.as_ref().unwrap().frames[8]
        .symbol
        .as_ref()
        .unwrap()
        .offset
        .is_none());
    assert!(
        r.unparsed.is_empty() && r.warnings.is_empty(),
        "{:?}",
        r.unparsed
    );
    snap("x86-text-nvme-abbrevkexts-01", &r);

    let r = load("x86-text-nvme-bigsur-01.txt");
    assert_eq!(r.kernelcache_slide(), Some(0x15a00000));
    assert_eq!(
        r.slides.hib_text_base,
        Some(RuntimeAddr(0xffffff8015b00000))
    );
    let ls = r.last_sleep.as_ref().unwrap();
    assert_eq!(ls.columns, ["absolute", "base_tsc", "base_nano"]);
    let widths: Vec<usize> = ls.rows.iter().map(|r| r.values.len()).collect();
    assert_eq!(widths, [1, 3, 3]);
    assert_eq!(r.system.hibernation_exit_count, Some(0));
    assert_eq!(
        r.kexts_in_backtrace[0].dependencies[0].end,
        Some(RuntimeAddr(0xffffff8017063fff))
    );
    assert!(
        r.unparsed.is_empty() && r.warnings.is_empty(),
        "{:?}",
        r.unparsed
    );
    snap("x86-text-nvme-bigsur-01", &r);
}

#[test]
fn intel_page_faults() {
    let r = load("x86-text-pagefault-catalina-01.txt");
    let trap = r.panic.as_ref().unwrap().trap.as_ref().unwrap();
    assert_eq!(
        (trap.trap_type, trap.trap_name.as_deref()),
        (Some(14), Some("page fault"))
    );
    assert_eq!(
        r.intel_fault.as_ref().unwrap().cr2.map(|h| h.get()),
        Some(0x40)
    );
    let lk = r.loaded_kexts.as_ref().unwrap();
    assert_eq!(lk.kexts.len(), 156);
    assert!(lk.kexts[0].third_party);
    assert_eq!(lk.third_party().count(), 1);
    assert_eq!(r.kext_events[0].bundle_id, "com.apple.filesystems.msdosfs");
    assert_eq!(r.kext_events[1].bundle_id, "com.apple.driver.AppleSMCRTC");
    assert_eq!(
        r.panicked_thread.as_ref().unwrap().process_name.as_deref(),
        Some("Google Chrome He")
    );
    assert_eq!(lrs(&r).len(), 16);
    assert!(
        r.unparsed.is_empty() && r.warnings.is_empty(),
        "{:?}",
        r.unparsed
    );
    snap("x86-text-pagefault-catalina-01", &r);

    let r = load("x86-text-pagefault-ventura-01.txt");
    let t = r.panicked_task.as_ref().unwrap();
    assert_eq!(
        (t.pid, t.name.as_deref(), t.threads, t.pages),
        (Some(88), Some("systemstats"), Some(3), None)
    );
    let bt = r.backtrace.as_ref().unwrap();
    assert_eq!(
        (bt.cpu, bt.thread.map(|h| h.get()), bt.frames.len()),
        (Some(8), Some(0xffffff8be242f598), 20)
    );
    assert_eq!(
        r.panicked_thread.as_ref().unwrap().address.map(|h| h.get()),
        Some(0xffffff8be242f598)
    );
    assert_eq!(r.system.roots_installed, Some(0));
    let zones = zone_names(&r);
    assert_eq!(zones.len(), 11);
    assert_eq!(zones[1], "PGZ");
    assert!(r.compressor_info.is_some());
    assert!(
        r.unparsed.is_empty() && r.warnings.is_empty(),
        "{:?}",
        r.unparsed
    );
    snap("x86-text-pagefault-ventura-01", &r);
}

#[test]
fn intel_userspace_watchdog() {
    let r = load("x86-text-userspace-watchdog-sequoia-ABRIDGED-01.txt");
    assert_eq!(r.watchdog_services.len(), 5);
    let ws = &r.watchdog_services[1];
    assert_eq!(
        (
            ws.name.as_str(),
            ws.induced_crashes,
            ws.last_checkin_seconds_ago
        ),
        ("WindowServer", Some(2), Some(120))
    );
    assert_eq!(r.system.os_build.as_deref(), Some("24H23"));
    assert_eq!(r.system.uptime_ns, Some(38540730069119));
    assert_eq!(r.compressor_info.as_ref().unwrap().swapfiles, Some(7));
    let t = r.panicked_task.as_ref().unwrap();
    assert_eq!((t.pid, t.threads), (Some(127), Some(4)));
    assert_eq!(
        r.panicked_thread.as_ref().unwrap().address.map(|h| h.get()),
        Some(0xffffff9553de90c8)
    );
    assert!(r.unparsed.is_empty());
    snap("x86-text-userspace-watchdog-sequoia-ABRIDGED-01", &r);
}
