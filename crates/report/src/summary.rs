//! The human-readable default output of `kpanic parse`.

use crate::model::{Format, PanicReport};
use kpanic_common::ranges::FirstCover;
use kpanic_common::time;
use std::fmt::{self, Write};

/// A few screens at most: what panicked, where, on which build, and what the log holds.
pub fn render(r: &PanicReport) -> String {
    let mut o = String::new();
    let _ = write_summary(&mut o, r);
    o
}

/// A part of the summary.
type Section = fn(&mut String, &PanicReport) -> fmt::Result;

/// The parts of the summary, in order.
static SECTIONS: &[Section] = &[
    format,
    panic,
    intel_fault,
    watchdog,
    task_and_thread,
    system,
    slides,
    times,
    backtrace,
    kexts,
    stackshot,
    unparsed_and_warnings,
];

fn write_summary(o: &mut String, r: &PanicReport) -> fmt::Result {
    for section in SECTIONS {
        section(o, r)?;
    }
    Ok(())
}

/// The container and architecture.
fn format(o: &mut String, r: &PanicReport) -> fmt::Result {
    let format = match r.format {
        Format::Text => "text",
        Format::Ips => ".ips/.panic JSON",
        Format::FullIps => "full panic (.ips JSON with stackshot)",
    };
    let arch = r.arch.map(|a| format!(", {a}")).unwrap_or_default();
    write!(o, "Format:     {format}{arch}")?;
    if let Some(ips) = &r.ips {
        if let Some(bt) = &ips.header.bug_type {
            write!(o, ", bug_type {bt}")?;
        }
    }
    writeln!(o)?;
    Ok(())
}

/// The panic message, its source location, and where it was raised.
fn panic(o: &mut String, r: &PanicReport) -> fmt::Result {
    if let Some(p) = &r.panic {
        let mut first = true;
        for l in p.reason.lines() {
            writeln!(
                o,
                "{}{}",
                if first {
                    "Panic:      "
                } else {
                    "            "
                },
                l
            )?;
            first = false;
        }
        if let Some(loc) = &p.location {
            match loc.line {
                Some(n) => writeln!(o, "Source:     {}:{}", loc.file, n)?,
                None => writeln!(o, "Source:     {}", loc.file)?,
            }
        }
        let mut at = Vec::new();
        if let Some(c) = p.cpu {
            at.push(format!("cpu {c}"));
        }
        if let Some(c) = p.caller {
            at.push(format!("caller {c}"));
        }
        if let Some(e) = &p.exception {
            if let Some(pc) = e.pc {
                at.push(format!("pc {pc}"));
            }
            if let Some(lr) = e.lr {
                at.push(format!("lr {lr}"));
            }
        }
        if let Some(t) = &p.trap {
            at.push(format!(
                "trap at {} type {}",
                t.address,
                t.trap_name.as_deref().unwrap_or("?")
            ));
        }
        if !at.is_empty() {
            writeln!(o, "At:         {}", at.join(", "))?;
        }
    }
    Ok(())
}

/// Intel: the fault registers.
fn intel_fault(o: &mut String, r: &PanicReport) -> fmt::Result {
    if let Some(f) = &r.intel_fault {
        let mut parts = Vec::new();
        if let Some(c) = f.cr2 {
            parts.push(format!("CR2 {c}"));
        }
        if let Some(e) = f.error_code {
            parts.push(format!("error code {e}"));
        }
        if let Some(c) = f.fault_cpu {
            parts.push(format!("cpu {c}"));
        }
        if f.vmm {
            parts.push("under a hypervisor (VMM)".into());
        }
        writeln!(o, "Fault:      {}", parts.join(", "))?;
    }
    Ok(())
}

/// The services a watchdog panic lists.
fn watchdog(o: &mut String, r: &PanicReport) -> fmt::Result {
    if !r.watchdog_services.is_empty() {
        writeln!(
            o,
            "Watchdog:   {} services reported",
            r.watchdog_services.len()
        )?;
        for s in &r.watchdog_services {
            let last = s
                .last_checkin_seconds_ago
                .map_or(String::new(), |n| format!(", last check-in {n} s ago"));
            writeln!(o, "            {}{last}", s.name)?;
        }
    }
    Ok(())
}

/// The panicked task and thread.
fn task_and_thread(o: &mut String, r: &PanicReport) -> fmt::Result {
    if let Some(t) = &r.panicked_task {
        let name = t.name.as_deref().unwrap_or("?");
        match t.pid {
            Some(pid) => writeln!(o, "Task:       pid {pid} {name}")?,
            None => writeln!(o, "Task:       {name}")?,
        }
    }
    if let Some(th) = &r.panicked_thread {
        let mut parts = Vec::new();
        if let Some(tid) = th.tid {
            parts.push(format!("tid {tid}"));
        }
        if let Some(n) = &th.process_name {
            parts.push(format!("process {n}"));
        }
        if !parts.is_empty() {
            writeln!(o, "Thread:     {}", parts.join(", "))?;
        }
    }
    Ok(())
}

/// The OS, the machine, the kernel.
fn system(o: &mut String, r: &PanicReport) -> fmt::Result {
    let s = &r.system;
    let ips_os = r.ips.as_ref().and_then(|i| i.header.os_version.clone());
    match (&ips_os, &s.os_build) {
        (Some(v), _) => writeln!(o, "OS:         {v}")?,
        (None, Some(b)) => writeln!(o, "OS build:   {b}")?,
        _ => {}
    }
    if let Some(p) = r.ips.as_ref().and_then(|i| i.body.product.as_deref()) {
        writeln!(o, "Product:    {p}")?;
    } else if let Some(m) = &s.system_model {
        writeln!(o, "Model:      {m}")?;
    }
    if let Some(k) = &s.kernel_version {
        writeln!(o, "Kernel:     {k}")?;
    }
    if let Some(v) = &s.kernel_variant {
        writeln!(o, "KDK kernel: {}", v.kdk_kernel_name())?;
    }
    if let Some(u) = &s.kernel_uuid {
        writeln!(o, "Kernel UUID:      {u}")?;
    }
    if let Some(u) = &s.kernelcache_uuid {
        writeln!(o, "Kernelcache UUID: {u}")?;
    }
    if let Some(v) = s.paniclog_version {
        writeln!(o, "Paniclog version: {v}")?;
    }
    Ok(())
}

/// Where the kernel ran.
fn slides(o: &mut String, r: &PanicReport) -> fmt::Result {
    let sl = &r.slides;
    let mut slides = Vec::new();
    if let Some(v) = sl.kernelcache_slide {
        slides.push(format!("KernelCache slide {v}"));
    }
    if let Some(v) = sl.kernel_slide {
        slides.push(format!("Kernel slide {v}"));
    }
    if let Some(v) = sl.kernel_text_exec_base {
        slides.push(format!("Kernel text exec base {v}"));
    } else if let Some(v) = sl.kernel_text_base {
        slides.push(format!("Kernel text base {v}"));
    }
    if !slides.is_empty() {
        writeln!(o, "Slides:     {}", slides.join(", "))?;
    }
    Ok(())
}

/// The `Epoch Time` table (UNIX seconds, in hex) and the uptime as dates and durations: when
/// the panic happened, when the machine booted, slept and woke.
fn times(o: &mut String, r: &PanicReport) -> fmt::Result {
    let sec = |name: &str| r.epoch_time.as_ref()?.seconds(name);
    let mut parts = Vec::new();
    let calendar = sec("Calendar");
    let boot = sec("Boot");
    if let Some(d) = calendar.and_then(time::utc_date) {
        parts.push(format!("panic {d}"));
    }
    if let Some(d) = boot.and_then(time::utc_date) {
        parts.push(format!("booted {d}"));
    }
    let up = match (calendar, boot) {
        (Some(c), Some(b)) if c >= b => Some(c - b),
        _ => r.system.uptime_ns.map(|ns| ns / 1_000_000_000),
    };
    if let Some(u) = up {
        parts.push(format!("up {}", time::duration(u)));
    }
    for (name, label) in [("Sleep", "last sleep"), ("Wake", "last wake")] {
        if let Some(d) = sec(name).and_then(time::utc_date) {
            parts.push(format!("{label} {d}"));
        }
    }
    if !parts.is_empty() {
        writeln!(o, "Times:      {}", parts.join(", "))?;
    }
    Ok(())
}

/// The panicked thread's frames, with the kext each falls in.
fn backtrace(o: &mut String, r: &PanicReport) -> fmt::Result {
    if let Some(bt) = &r.backtrace {
        writeln!(o, "Backtrace:  {} frames", bt.frames.len())?;
        // One lookup per frame, not one pass over the kexts (a long paste has thousands).
        let kexts = FirstCover::new(r.kexts_in_backtrace.iter().filter_map(|k| {
            Some((
                k.kext.start?.get(),
                k.kext.end?.get(),
                k.kext.bundle_id.as_str(),
            ))
        }));
        for (i, f) in bt.frames.iter().enumerate() {
            match &f.symbol {
                Some(sym) => {
                    let off = sym.offset.map_or(String::new(), |x| format!(" + {x}"));
                    writeln!(
                        o,
                        "  {i:>3}  {}  {} : {}{off}",
                        f.address, sym.image, sym.symbol
                    )?
                }
                None => {
                    let kext = kexts
                        .get(f.address.get())
                        .map_or(String::new(), |id| format!("  ({id})"));
                    writeln!(o, "  {i:>3}  {}{kext}", f.address)?
                }
            }
        }
    }
    Ok(())
}

/// Kexts in the backtrace, the last kext events, the loaded list.
fn kexts(o: &mut String, r: &PanicReport) -> fmt::Result {
    if !r.kexts_in_backtrace.is_empty() {
        writeln!(o, "Kexts in backtrace:")?;
        for k in &r.kexts_in_backtrace {
            let k = &k.kext;
            let range = match (k.start, k.end) {
                (Some(s), Some(e)) => format!(" @{s}->{e}"),
                (Some(s), None) => format!(" @{s}"),
                _ => String::new(),
            };
            let third = if k.third_party { "  [third-party]" } else { "" };
            writeln!(
                o,
                "  {} ({}){range}{third}",
                k.bundle_id,
                k.version.as_deref().unwrap_or("?")
            )?;
        }
    }
    for ev in &r.kext_events {
        writeln!(
            o,
            "Last {:?} kext: {} {}",
            ev.kind,
            ev.bundle_id,
            ev.version.as_deref().unwrap_or("")
        )?;
    }
    if let Some(lk) = &r.loaded_kexts {
        if lk.skipped {
            writeln!(o, "Loaded kexts: not listed (see boot kernelcache)")?;
        } else {
            let third: Vec<&str> = lk.third_party().map(|k| k.bundle_id.as_str()).collect();
            write!(o, "Loaded kexts: {}", lk.kexts.len())?;
            if third.is_empty() {
                writeln!(o)?;
            } else {
                writeln!(o, ", {} third-party: {}", third.len(), third.join(", "))?;
            }
        }
    }
    Ok(())
}

/// Stackshot status and, for full panics, its size.
fn stackshot(o: &mut String, r: &PanicReport) -> fmt::Result {
    if let Some(st) = &r.stackshot {
        writeln!(o, "Stackshot:  {}", st.status)?;
    }
    if let Some(sd) = &r.spindump {
        writeln!(
            o,
            "Stackshot data: {} processes, {} threads, {} binary images",
            sd.processes.len(),
            sd.thread_count(),
            sd.binary_images.len()
        )?;
    }
    Ok(())
}

/// What the parser could not read.
fn unparsed_and_warnings(o: &mut String, r: &PanicReport) -> fmt::Result {
    if !r.unparsed.is_empty() {
        writeln!(o, "Unparsed lines: {}", r.unparsed.len())?;
    }
    for w in &r.warnings {
        writeln!(o, "warning: {w}")?;
    }
    Ok(())
}
