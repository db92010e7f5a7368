//! Stalls and resets: watchdogs that fired because the system stopped making progress
//! (watchdogd, the userspace watchdog, a CPU that stopped answering, the T2), power-state
//! changes, sleep/wake transitions and shutdowns that never finished, and resets forced with
//! the buttons. In all of them the backtrace is the messenger, not the cause.

use super::text::{demangle_short, first_number_after, number_after, value_after};
use super::ClassInfo;
use crate::diagnose::PanicClass;
use crate::diagnose::{shorten, Ctx, Evidence, Finding};

pub(super) const WATCHDOGD_TIMEOUT: ClassInfo = ClassInfo {
    id: PanicClass::WatchdogdTimeout,
    name: "watchdogd timeout",
    explanation: "The hardware watchdog is fed by the watchdogd daemon. watchdogd did not check in for the \
        whole timeout, so the kernel panicked on purpose. The backtrace is the watchdog timer interrupt \
        (or whatever happened to run on that CPU): it is not the cause. The cause is a stall: user space \
        could not run watchdogd, usually because many threads were blocked in the VM, in a filesystem, \
        on a lock held by a stuck thread, or behind a hung driver.",
    next_steps: &[
        "Ignore the panicked backtrace; look at what the rest of the system was doing.",
        "Look at the busiest threads of the cpu_usage table and at processes that were starting, exiting or doing heavy I/O.",
        "Check disk health and free space, network filesystems, and third-party filesystem or security (Endpoint Security) software.",
    ],
};

pub(super) const USERSPACE_WATCHDOG_TIMEOUT: ClassInfo = ClassInfo {
    id: PanicClass::UserspaceWatchdogTimeout,
    name: "userspace watchdog timeout",
    explanation: "watchdogd monitors a few critical daemons (WindowServer, logd, configd, opendirectoryd, remoted…). \
        One of them stopped checking in for the whole timeout (watchdogd first tries to recover it by \
        crashing it: the 'induced crashes'), so the kernel panicked on purpose. The backtrace is watchdogd's \
        and says nothing about the cause: look at the hung daemon.",
    next_steps: &[
        "Find out why the named daemon hung: its own crash/hang reports (DiagnosticReports/<daemon>-*.ips, induced crashes) around the panic time.",
        "WindowServer hangs usually come from the GPU/display path (GPU drivers, external displays, docks, screen-capture software).",
        "Look at the unified log just before the panic: `log show --last boot --predicate 'process == \"watchdogd\"'` on the next boot is too late; use `log show --start …` for the panic time.",
    ],
};

pub(super) const HARDWARE_WATCHDOG_TIMEOUT: ClassInfo = ClassInfo {
    id: PanicClass::HardwareWatchdogTimeout,
    name: "hardware watchdog (CPU not responding)",
    explanation: "A CPU stopped responding to the watchdog / cross-call: it spun with interrupts masked (a stuck \
        spinlock or a driver looping in interrupt context) or the core hung in hardware.",
    next_steps: &[
        "Look at the named CPU's PC in the CORE lines (symbolicate with --kdk): that is where it was stuck.",
        "Repeated on the same CPU or cluster with different software: suspect hardware; test with Apple Diagnostics.",
    ],
};

pub(super) const T2_SLEEP_WAKE_WATCHDOG: ClassInfo = ClassInfo {
    id: PanicClass::T2SleepWakeWatchdog,
    name: "T2 watchdog during sleep/wake",
    explanation: "This panic was written by the T2 (bridgeOS), not by macOS: the Intel side did not complete a \
        sleep or wake transition in time and the T2's SoC watchdog reset the system. The macOS side of the \
        story (which driver blocked the transition) is not in this file.",
    next_steps: &[
        "Find the macOS-side log of the same time: `pmset -g log` (Sleep/Wake failures, 'Sleep Wake failure in EFI'), and any macOS panic or sleep-wake failure report.",
        "Disconnect USB/Thunderbolt peripherals and docks, reset SMC/NVRAM, update macOS (it updates bridgeOS).",
        "Repeated sleep/wake resets on a T2 Mac with nothing attached: suspect logic-board hardware.",
    ],
};

pub(super) const T2_MACOS_WATCHDOG: ClassInfo = ClassInfo {
    id: PanicClass::T2MacosWatchdog,
    name: "T2 detected a hung macOS",
    explanation: "The T2 (bridgeOS) watchdog found the Intel side (macOS) unresponsive and reset it. The cause is a \
        macOS hang, whose details are not in this bridgeOS panic.",
    next_steps: &[
        "Look for a macOS panic, spin or hang report from the same time.",
        "Check third-party kexts and peripherals; update macOS.",
    ],
};

pub(super) const SLEEP_WAKE_TIMEOUT: ClassInfo = ClassInfo {
    id: PanicClass::SleepWakeTimeout,
    name: "sleep/wake transition timeout",
    explanation: "A driver did not finish its power-state change in time while the system went to sleep or woke \
        up, and the power-management watchdog panicked. The log names the suspected bundle: the driver whose \
        setPowerState/power callback was still running. It is often the victim of a device that stopped \
        responding (USB, Thunderbolt, PCIe, GPU).",
    next_steps: &[
        "Start from the suspected bundle and the backtraced thread (it is the thread stuck in the power callback, not the panicking CPU).",
        "Disconnect the peripherals on that bus (USB hubs, docks, card readers) and retry sleep.",
        "`pmset -g log | grep -i failure` shows earlier sleep/wake failures and their codes.",
    ],
};

pub(super) const POWER_STATE_CHANGE_TIMEOUT: ClassInfo = ClassInfo {
    id: PanicClass::PowerStateChangeTimeout,
    name: "driver power-state change timeout (setPowerState)",
    explanation: "IOKit power management asked a driver to change its power state (setPowerState) and the \
        driver neither finished nor acknowledged within its timeout, so IOServicePM panicked (on macOS it \
        does so for Apple's own drivers). The driver named in the message is the one that hung; it often \
        waits on its hardware (a GPU, a USB or Thunderbolt device) that stopped responding. State 0 is off: \
        a change to 0 happens when the display or the machine goes to sleep.",
    next_steps: &[
        "The driver named in the message is the one to update or report; note what was happening (sleep, display off, unplugging a device).",
        "For graphics drivers (AppleIntelFramebuffer, AMD, NVIDIA): update macOS, and as a workaround avoid the power-down that hangs (display sleep, automatic graphics switching).",
        "`pmset -g log` around the panic time shows the power transition in progress.",
    ],
};

pub(super) const SHUTDOWN_TIMEOUT: ClassInfo = ClassInfo {
    id: PanicClass::ShutdownTimeout,
    name: "shutdown / restart timeout",
    explanation: "The system was shutting down or restarting and a driver or a power-management client did not \
        finish its part in time, so the kernel panicked instead of hanging. The message names the phase that \
        did not finish; the halt log after it names the handler that was still running.",
    next_steps: &[
        "Read the phase and the handler in the message: drivers that stop hardware at shutdown (storage, network, USB, DriverKit extensions) are the suspects.",
        "Disconnect external devices and retry the shutdown; update or remove third-party drivers that act at shutdown.",
    ],
};

pub(super) const FORCED_RESET: ClassInfo = ClassInfo {
    id: PanicClass::ForcedReset,
    name: "forced reset (buttons held)",
    explanation: "Not a crash: someone held the reset button combination (btn_rst) and the kernel wrote a panic \
        log with a stackshot before resetting. The backtrace is the button driver. If the device was hung, \
        the stackshot shows what it was waiting for.",
    next_steps: &[
        "Ask why the reset was forced: if the device was frozen, diagnose the hang from the stackshot (threads below).",
        "A device in 'Restore' release type was in the restore/update ramdisk: the reset interrupted an update or restore.",
    ],
};

pub(super) fn watchdog(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let r = ctx.report;
    let secs = first_number_after(msg, "watchdogd in");
    let shutdown = msg.contains("shutdown in progress");
    f.title = format!(
        "watchdogd got no check-in for {}: the system stalled{} — the backtrace is not the cause",
        secs.map(|s| format!("{s} s"))
            .unwrap_or_else(|| "the whole timeout".into()),
        if shutdown { " during shutdown" } else { "" }
    );
    if shutdown {
        f.explanation.push_str(
            " The message says a shutdown was in progress: something kept the shutdown from finishing (a \
             process that would not exit, a filesystem that could not unmount — often a network volume or \
             a disk image — or a driver blocking in its stop/terminate path).",
        );
        f.next_steps.push(
            "For a shutdown hang: check network/external volumes and disk images mounted at shutdown, and processes that ignore SIGTERM.".into(),
        );
    }
    if let Some(cu) = &r.cpu_usage {
        let mut rows: Vec<_> = cu.rows.iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.cpu_usage));
        let total = cu.total.unwrap_or(0).max(1);
        // A row's share of the logged total; a row above the total (or a value whose ×100
        // overflows) is impossible and is said so rather than printed as a percentage.
        let mut impossible = Vec::new();
        let top: Vec<String> = rows
            .iter()
            .take(3)
            .filter(|row| row.cpu_usage.checked_mul(100).is_none_or(|x| x >= total))
            .filter_map(|row| {
                let Some(logged_total) = cu.total else {
                    return Some(format!(
                        "{} thread {} pri {}: cpu_usage {}",
                        row.task, row.thread, row.priority, row.cpu_usage
                    ));
                };
                if row.cpu_usage > logged_total {
                    impossible.push(format!(
                        "{} thread {}: cpu_usage {} is more than the logged total {logged_total} \
                         (over 100 %): the log's value is impossible",
                        row.task, row.thread, row.cpu_usage
                    ));
                    return None;
                }
                Some(format!(
                    "{} thread {} pri {}: {:.0}% of cpu_usage",
                    row.task,
                    row.thread,
                    row.priority,
                    row.cpu_usage as f64 * 100.0 / total as f64
                ))
            })
            .collect();
        if !top.is_empty() {
            f.evidence.push(Evidence::fact(format!(
                "busiest threads at the panic: {}",
                top.join("; ")
            )));
        }
        for e in impossible {
            f.evidence.push(Evidence::fact(e));
        }
        let user_tasks: Vec<&str> = rows
            .iter()
            .filter(|row| row.task != "kernel_task")
            .map(|row| row.task.as_str())
            .collect();
        if !user_tasks.is_empty() {
            f.evidence.push(Evidence::fact(format!(
                "user processes in the cpu_usage table: {}",
                user_tasks.join(", ")
            )));
        }
    }
    if let Some(e) = core_summary(ctx) {
        f.evidence.push(e);
    }
    let wd_kexts: Vec<&str> = r
        .kexts_in_backtrace
        .iter()
        .map(|k| k.kext.bundle_id.as_str())
        .filter(|b| {
            b.to_ascii_lowercase().contains("watchdog") || b.contains("InterruptController")
        })
        .collect();
    if !wd_kexts.is_empty() {
        f.evidence.push(Evidence::fact(format!(
            "the backtrace runs through the watchdog interrupt path ({}): expected for this panic, not a suspect",
            wd_kexts.join(", ")
        )));
    }
}

/// CORE lines: how many cores sat at the same PC (typically the idle loop).
fn core_summary(ctx: &Ctx) -> Option<Evidence> {
    let states = &ctx.report.cores.states;
    if states.is_empty() {
        return None;
    }
    let mut by_pc: Vec<(u64, Vec<u32>)> = Vec::new();
    for c in states {
        match by_pc.iter_mut().find(|(pc, _)| *pc == c.pc.get()) {
            Some((_, v)) => v.push(c.core),
            None => by_pc.push((c.pc.get(), vec![c.core])),
        }
    }
    by_pc.sort_by_key(|b| std::cmp::Reverse(b.1.len()));
    let (pc, cores) = &by_pc[0];
    if cores.len() < 2 {
        return None;
    }
    let name = ctx
        .sym
        .and_then(|s| {
            s.cores
                .iter()
                .find(|c| c.pc.address.is_some_and(|a| a.get() == *pc))
        })
        .and_then(|c| c.pc.function().map(str::to_string));
    Some(Evidence::fact(format!(
        "{} of {} other cores sat at the same PC {:#x}{} (cores {}): they were idle or spinning, not doing the work that stalled",
        cores.len(),
        states.len(),
        pc,
        name.map(|n| format!(" ({n})")).unwrap_or_default(),
        cores.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
    )))
}

pub(super) fn userspace_watchdog(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let r = ctx.report;
    let svc = msg
        .split("checkins from ")
        .nth(1)
        .map(|s| s.split([' ', '(']).next().unwrap_or(s).to_string());
    let secs = first_number_after(msg, ") in").or_else(|| {
        msg.rsplit(" in ")
            .next()
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
    });
    let induced = first_number_after(msg, "(");
    f.title = format!(
        "Userspace watchdog: {} did not check in for {}{}",
        svc.as_deref().unwrap_or("a monitored daemon"),
        secs.map(|s| format!("{s} s"))
            .unwrap_or_else(|| "the timeout".into()),
        induced
            .filter(|_| msg.contains("induced crash"))
            .map(|n| format!(" ({n} induced crashes did not help)"))
            .unwrap_or_default()
    );
    for s in &r.watchdog_services {
        let stale = s.last_checkin_seconds_ago.unwrap_or(0) >= 30
            || svc.as_deref() == Some(s.name.as_str());
        let tag = if stale { "HUNG" } else { "ok" };
        let raw = s.raw.trim();
        let raw = raw.strip_prefix("service:").unwrap_or(raw).trim();
        f.evidence
            .push(Evidence::fact(format!("[{tag}] service: {raw}")));
    }
    // iPhones: thermalmonitord cannot read a sensor, fails its health check and the watchdog
    // panics, again every few minutes: a part that is missing or broken (often after a repair).
    if let Some((line, text)) = ctx.find_line("missing sensor(s):") {
        let lc = text.to_ascii_lowercase();
        let sensors: Vec<String> = lc
            .split("missing sensor(s):")
            .nth(1)
            .unwrap_or("")
            .split([',', ' '])
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .take(6)
            .map(|w| {
                let orig = text
                    .split_whitespace()
                    .find(|t| t.trim_matches(',').eq_ignore_ascii_case(w))
                    .unwrap_or(w);
                orig.trim_matches(',').to_string()
            })
            .collect();
        if !sensors.is_empty() {
            f.title = format!(
                "{} cannot read sensor {}: a hardware fault (a disconnected or failed part), not software",
                svc.as_deref().unwrap_or("thermalmonitord"),
                sensors.join(", ")
            );
            f.evidence.push(ctx.quote(line, text));
            f.evidence.push(Evidence::fact(format!(
                "missing sensor(s) {}: {}",
                sensors.join(", "),
                sensors
                    .iter()
                    .map(|s| sensor_part(s))
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
            f.next_steps.insert(
                0,
                "The named sensor is on a part the device cannot read (a flex cable, the battery, the \
                 charging port or microphone assembly, often after a repair or a drop): reseat or \
                 replace that part; a software reinstall does not help."
                    .into(),
            );
        }
    }
    if svc.as_deref() == Some("WindowServer") {
        f.explanation.push_str(
            " WindowServer is the display server: its hangs come from the GPU driver, display \
             reconfiguration (external monitors, docks) or a client flooding it.",
        );
    }
}

pub(super) fn hardware_watchdog(f: &mut Finding, msg: &str) {
    f.title = format!("Hardware watchdog: {}", shorten(msg.trim(), 120));
}

pub(super) fn t2_sleep_wake(ctx: &Ctx, f: &mut Finding) {
    f.title = "The T2 reset the Mac: a sleep/wake transition never completed".into();
    if let Some(h) = &ctx.report.ips {
        if let Some(c) = &h.header.caused_by {
            f.evidence.push(Evidence::fact(format!(
                "ips header: caused_by = {c}, macos_system_state = {}",
                h.header.macos_system_state.as_deref().unwrap_or("?")
            )));
        }
        if let Some(p) = &h.body.product {
            f.evidence.push(Evidence::fact(format!(
                "product {p} ({})",
                h.body.build.as_deref().unwrap_or("?")
            )));
        }
    }
}

pub(super) fn t2_macos(f: &mut Finding) {
    f.title = "The T2 found macOS hung and reset it".into();
}

pub(super) fn sleep_wake(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let bundle =
        value_after(msg, "Suspected bundle: ").map(|b| b.trim_end_matches('.').to_string());
    let secs = first_number_after(msg, "timed out after");
    let phase = if msg.to_ascii_lowercase().contains("wake transition") {
        "Wake"
    } else {
        "Sleep"
    };
    if msg.contains("hang detected") {
        f.title = "Sleep/wake hang detected by the power-management watchdog".into();
        return;
    }
    if msg.to_ascii_lowercase().contains("failure in efi") {
        // Intel Macs: the firmware, not macOS, failed the sleep/wake transition; the failure
        // code that follows is the firmware's.
        f.title = "Sleep/wake failure in the firmware (EFI)".into();
        f.evidence.push(Evidence::fact(
            "the firmware (EFI) failed the transition: reset the SMC and NVRAM, disconnect \
             peripherals and docks, update macOS (it carries the firmware)",
        ));
        return;
    }
    f.title = format!(
        "{phase} transition timed out{}{}",
        secs.map(|s| format!(" after {s} s")).unwrap_or_default(),
        bundle
            .as_ref()
            .map(|b| format!(" in {b}'s power-state change"))
            .unwrap_or_default()
    );
    if let Some(b) = &bundle {
        f.evidence
            .push(Evidence::fact(format!("suspected bundle: {b}")));
    }
    if let Some((i, _)) = ctx.find_line("Failure code") {
        f.evidence.push(ctx.quote(i, ""));
    }
    if ctx
        .report
        .backtrace
        .as_ref()
        .is_some_and(|b| b.specified_thread)
    {
        f.evidence.push(Evidence::fact(
            "\"Backtracing specified thread\": the backtrace is the stuck power-management thread, not the panicking CPU",
        ));
    }
    // The deepest named driver frame of the backtrace.
    if let Some(bt) = &ctx.report.backtrace {
        if let Some(fr) = bt
            .frames
            .iter()
            .find(|fr| fr.symbol.as_ref().is_some_and(|s| s.image != "mach_kernel"))
        {
            let s = fr.symbol.as_ref().expect("checked");
            f.evidence.push(Evidence::line(
                format!("stuck in {} : {}", s.image, demangle_short(&s.symbol)),
                fr.line,
            ));
        }
    }
}

pub(super) fn forced_reset(ctx: &Ctx, f: &mut Finding) {
    let r = ctx.report;
    f.title =
        "Forced reset (buttons held): not a crash — look at what the device was stuck on".into();
    if let Some(t) = &r.system.os_release_type {
        if t.eq_ignore_ascii_case("restore") {
            f.evidence.push(
                ctx.find_line("OS release type")
                    .map(|(i, _)| ctx.quote(i, ""))
                    .unwrap_or_else(|| Evidence::fact("OS release type: Restore")),
            );
            f.title = "Forced reset (buttons held) during a restore/update: not a crash".into();
        }
    }
    if let Some(h) = &r.ips {
        if h.header.bug_type.as_deref() == Some("151") {
            f.evidence.push(Evidence::fact(
                "bug_type 151: a forceReset report, not a kernel panic",
            ));
        }
    }
}

/// `AppleIntelFramebuffer::setPowerState(0xffffff835c3b6000 : 0xffffff7f975f5d88, 1 -> 0)
/// timed out after 45938 ms` (IOServicePM.cpp; the `: function` part only since macOS 10.14).
pub(super) fn power_state(f: &mut Finding, msg: &str) {
    let m = msg.trim().trim_matches('"');
    let driver = m
        .split("::setPowerState")
        .next()
        .filter(|d| m.contains("::setPowerState") && !d.is_empty())
        .map(|d| d.rsplit([' ', '"']).next().unwrap_or(d).to_string());
    let states = m.split_once("::setPowerState(").and_then(|(_, args)| {
        let args = args.split(')').next()?;
        let change = args.rsplit(',').next()?.trim();
        let (from, to) = change.split_once("->")?;
        Some((from.trim().to_string(), to.trim().to_string()))
    });
    let ms = number_after(m, "timed out after");
    if let Some(d) = &driver {
        f.evidence.push(Evidence::fact(format!(
            "driver: {d} (its setPowerState did not return or acknowledge)"
        )));
    }
    if let Some((from, to)) = &states {
        f.evidence.push(Evidence::fact(format!(
            "power state {from} -> {to}{}",
            if to == "0" {
                ": powering off (sleep, display off)"
            } else if from == "0" {
                ": powering on (wake)"
            } else {
                ""
            }
        )));
    }
    if let Some(ms) = ms {
        f.evidence.push(Evidence::fact(format!(
            "waited {ms} ms ({:.1} s) for the driver",
            ms as f64 / 1000.0
        )));
    }
    f.title = match &driver {
        Some(d) => format!(
            "{d} did not finish setPowerState{}{}",
            states
                .as_ref()
                .map(|(a, b)| format!(" ({a} -> {b})"))
                .unwrap_or_default(),
            ms.map(|ms| format!(" within {ms} ms")).unwrap_or_default()
        ),
        None => format!("Power-state change timed out: {}", shorten(m, 100)),
    };
}

/// `PowerOff timed out in phase 'Notify Priority Clients'. Total 30000 ms:…`, `Halt/Restart
/// Timed Out`, `Shutdown timed out waiting for DK drivers to stop`.
pub(super) fn shutdown(f: &mut Finding, msg: &str) {
    let m = msg.trim().trim_matches('"');
    let phase = m
        .split_once("in phase '")
        .or_else(|| m.split_once("in phase \\'"))
        .and_then(|(_, p)| p.split('\'').next())
        .map(|p| p.trim_end_matches('\\').to_string());
    let what = m.split(" timed out").next().unwrap_or("Shutdown");
    let ms = number_after(m, "Total ");
    if let Some(log) = m.split_once("ms:").map(|(_, l)| l.trim()) {
        if !log.is_empty() {
            f.evidence
                .push(Evidence::fact(format!("halt log: {}", shorten(log, 200))));
        }
    }
    f.title = match phase {
        Some(p) => format!(
            "{what} timed out in phase '{p}'{}",
            ms.map(|ms| format!(" after {ms} ms")).unwrap_or_default()
        ),
        None => format!("Shutdown/restart timed out: {}", shorten(m, 100)),
    };
}

/// Where an iPhone's thermal sensor sits, for the sensor names thermalmonitord reports most
/// (public repair documentation); a name not listed is given as is.
fn sensor_part(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    let part = if n.starts_with("mic") {
        "a microphone sensor: the charging port / microphone flex"
    } else if n.starts_with("tg0") || n.starts_with("tg1") {
        "a battery sensor: the battery or its connector"
    } else if n.starts_with("prs") {
        "the pressure sensor (barometer)"
    } else if n.starts_with("tp") || n.starts_with("tc") {
        "a processor/board temperature sensor"
    } else {
        return format!("{name}: a sensor on a part the device cannot read");
    };
    format!("{name}: {part}")
}
