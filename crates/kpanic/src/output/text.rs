//! Text output of `kpanic symbolicate`: the panic as the user knows it, each frame line
//! followed by its symbolication, then a short summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;

use kpanic_report::PanicReport;

use super::address;
use crate::frame::Frame;
use crate::library::Unavailable;
use crate::symbolicate::{ImageStatus, PanicPathResult, Symbolication, ThreadFrames};

/// Rendering choices.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    /// Every spindump thread, not only the panicked one.
    pub all_threads: bool,
    /// The essentials only: the panic line, the panicked thread's symbolicated backtrace and
    /// the summary; not the rest of the log (the loaded kext list, memory and zone tables).
    pub brief: bool,
}

const MARK: &str = "    -> ";

/// Writes `report` with `sym`'s answers under each frame line.
pub fn write_text(
    w: &mut impl io::Write,
    report: &PanicReport,
    sym: &Symbolication,
    opts: RenderOptions,
) -> io::Result<()> {
    w.write_all(render_text(report, sym, opts).as_bytes())
}

/// [`write_text`] into a string.
pub fn render_text(report: &PanicReport, sym: &Symbolication, opts: RenderOptions) -> String {
    let lines: Vec<&str> = report.panic_text.lines().collect();
    let mut notes: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut add = |line: usize, label: Option<&str>, f: &Frame| {
        notes.entry(line).or_default().extend(frame_lines(label, f));
    };

    if let Some(p) = &report.panic {
        if let Some(c) = &sym.caller {
            add(p.line, Some("caller"), c);
        }
        // Register answers go under the register dump (the line with `pc:`/`RIP:`), else
        // under the panic line.
        let reg_line = register_line(&lines, p.line).unwrap_or(p.line);
        for r in &sym.registers {
            let line = if r.name.is_on_panic_line() {
                p.line
            } else {
                reg_line
            };
            add(line, Some(r.name.as_str()), &r.frame);
        }
    }
    for c in &sym.cores {
        add(c.line, Some("PC"), &c.pc);
        add(c.line, Some("LR"), &c.lr);
    }
    if let Some(bt) = &report.backtrace {
        for (f, s) in bt.frames.iter().zip(&sym.backtrace) {
            add(f.line, None, s);
        }
    }

    let kept = opts.brief.then(|| brief_lines(report, sym, &lines, &notes));
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if kept.as_ref().is_some_and(|k| !k.contains(&i)) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if let Some(n) = notes.get(&i) {
            for l in n {
                out.push_str(l);
                out.push('\n');
            }
        }
    }

    // Brief: the stackshot's panicked thread only when the log has no backtrace of its own.
    let has_backtrace = report
        .backtrace
        .as_ref()
        .is_some_and(|b| !b.frames.is_empty());
    let shown: Vec<&ThreadFrames> = sym
        .threads
        .iter()
        .filter(|t| opts.all_threads || t.panicked)
        .filter(|_| !(opts.brief && has_backtrace))
        .collect();
    if !shown.is_empty() {
        let _ = writeln!(
            out,
            "\n== Stackshot kernel frames ({} of {} threads{}) ==",
            shown.len(),
            sym.threads.len(),
            if opts.all_threads || opts.brief {
                ""
            } else {
                "; --all-threads for every thread"
            }
        );
        for t in shown {
            let _ = writeln!(
                out,
                "Thread {}{} of pid {} ({}){}",
                t.tid,
                t.name
                    .as_deref()
                    .map(|n| format!(" \"{n}\""))
                    .unwrap_or_default(),
                t.pid,
                t.process,
                if t.panicked { " [panicked]" } else { "" }
            );
            if let Some(c) = &t.continuation {
                let _ = writeln!(out, "  continuation {}", frame_ref(c));
                for l in frame_lines(None, c) {
                    let _ = writeln!(out, "{l}");
                }
            }
            // `[A, 0]` only marks where the walk stopped; Apple's tools do not print it.
            let frames = t.kernel_frames.iter().enumerate().filter(|(_, f)| {
                !matches!(
                    f.unresolved(),
                    Some(crate::unresolved::Unresolved::EndOfStack)
                )
            });
            for (i, f) in frames {
                let _ = writeln!(out, "  {i:>3} {}", frame_ref(f));
                for l in frame_lines(None, f) {
                    let _ = writeln!(out, "{l}");
                }
            }
        }
    }

    if opts.all_threads && report.spindump.is_none() {
        // Said, so that the option is not thought ignored.
        out.push_str(
            "\n--all-threads: this panic has no stackshot (no other thread was recorded); the \
             backtrace above is all there is\n",
        );
    }

    out.push_str(&render_summary(report, sym));
    out
}

/// Why `kdk` does not hold the kernel `need` describes: its build, and its kernel of that name
/// (with its UUID) or the kernels it has instead.
fn kdk_misfit(kdk: &crate::library::KdkKernels, need: &crate::needed::SymbolsNeeded) -> String {
    let mut why = Vec::new();
    match (&kdk.build, &need.build) {
        (Some(have), Some(want)) if have != want => why.push(format!("build {have}, not {want}")),
        (None, Some(want)) => why.push(format!(
            "no build in its folder name (the panic's is {want})"
        )),
        _ => {}
    }
    let uuids = |u: &[kpanic_common::Uuid]| {
        let v: Vec<String> = u.iter().map(ToString::to_string).collect();
        if v.is_empty() {
            "no UUID".to_string()
        } else {
            v.join(", ")
        }
    };
    match &need.kernel {
        Some(name) => match kdk.kernels.iter().find(|(n, _)| n == name) {
            Some((_, have)) => {
                let want = need
                    .kernel_uuid
                    .map_or_else(|| "unknown".to_string(), |u| u.to_string());
                why.push(format!(
                    "its {name} is {}, the panic's kernel {want}",
                    uuids(have)
                ));
            }
            None => {
                let names: Vec<&str> = kdk.kernels.iter().map(|(n, _)| n.as_str()).collect();
                why.push(format!(
                    "no {name} (it has {})",
                    if names.is_empty() {
                        "no kernel".to_string()
                    } else {
                        names.join(", ")
                    }
                ));
            }
        },
        None => why.push(format!(
            "none of its kernels ({}) has the panic's kernel UUID",
            kdk.kernels
                .iter()
                .map(|(n, u)| format!("{n} {}", uuids(u)))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    why.join("; ")
}

/// "1 frame", "2 frames".
fn frames(n: usize) -> String {
    format!("{n} frame{}", if n == 1 { "" } else { "s" })
}

/// The lines `--brief` keeps: the panic line and the register dump under it, the panicked
/// thread's header and backtrace frames (with the line that introduces them); not the other
/// CPUs' `CORE n` lines, nor the rest of the log.
fn brief_lines(
    report: &PanicReport,
    sym: &Symbolication,
    lines: &[&str],
    notes: &BTreeMap<usize, Vec<String>>,
) -> std::collections::BTreeSet<usize> {
    let mut kept: std::collections::BTreeSet<usize> = notes.keys().copied().collect();
    for c in &sym.cores {
        kept.remove(&c.line);
    }
    kept.extend(report.panic.as_ref().map(|p| p.line));
    kept.extend(report.panicked_thread.as_ref().and_then(|t| t.line));
    if let Some(bt) = &report.backtrace {
        kept.extend(bt.frames.iter().map(|f| f.line));
        // "Backtrace (CPU 0), Frame : Return Address" or "Panicked thread: …, backtrace: …".
        if let Some(first) = bt.frames.first().and_then(|f| f.line.checked_sub(1)) {
            kept.insert(first);
        }
    }
    kept.retain(|&i| i < lines.len());
    kept
}

fn frame_ref(f: &Frame) -> String {
    match f.frame {
        Some([i, o]) => format!("[{i}, {o:#x}] {}", address(f)),
        None => address(f),
    }
}

/// The answer lines for one frame, innermost first as `atos -i` prints them: each inlined
/// frame (`[inlined]`), then the function that owns the address.
fn frame_lines(label: Option<&str>, f: &Frame) -> Vec<String> {
    let label = label.map(|l| format!("{l}: ")).unwrap_or_default();
    let first = format!("{MARK}{label}");
    let pad = " ".repeat(first.len());
    let symbols = f.symbol_frames();
    let inlined = symbols.len().saturating_sub(1);
    let mut v: Vec<String> = symbols[..inlined]
        .iter()
        .map(|s| {
            let mut line = s.function.clone().unwrap_or_else(|| "??".into());
            if let Some(img) = &f.image {
                line.push_str(&format!(" (in {img})"));
            }
            if let (Some(file), Some(n)) = (&s.file, s.line) {
                line.push_str(&format!(
                    " ({}:{n})",
                    file.rsplit('/').next().unwrap_or(file)
                ));
            }
            line + " [inlined]"
        })
        .chain(std::iter::once(f.describe()))
        .enumerate()
        .map(|(i, line)| format!("{}{line}", if i == 0 { &first } else { &pad }))
        .collect();
    if let Some(c) = &f.caveat {
        v.push(format!("{pad}(uncertain: {c})"));
    }
    v
}

/// The register-dump line holding `pc:` (arm64) or `RIP:` (Intel), after the panic line.
fn register_line(lines: &[&str], from: usize) -> Option<usize> {
    lines
        .iter()
        .enumerate()
        .skip(from + 1)
        .take(40)
        .find(|(_, l)| {
            let t = l.trim_start();
            t.starts_with("pc:") || t.contains(" pc: ") || t.contains("RIP:")
        })
        .map(|(i, _)| i)
}

/// The closing summary: images matched, frames resolved, the panic-path check, warnings.
pub fn render_summary(report: &PanicReport, sym: &Symbolication) -> String {
    let mut out = String::from("\n== kpanic ==\nImages:\n");
    if sym.images.is_empty() {
        out.push_str("  (no kernel or kext address in this panic)\n");
    }
    for i in &sym.images {
        let uuid = i
            .uuid
            .map_or_else(|| "no UUID".to_string(), |u| u.to_string());
        match &i.symbols {
            Ok(file) => {
                let _ = writeln!(
                    out,
                    "  {} [{uuid}] UUID ok: {}{} ({})",
                    i.image,
                    file.path.display(),
                    file.note
                        .as_ref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default(),
                    frames(i.frames)
                );
            }
            Err(why) => {
                let what = match why {
                    // The KDKs' kernels are listed below the images, once.
                    _ if i.status() == ImageStatus::UuidMismatch
                        && !i.kdks_without_it.is_empty() =>
                    {
                        "UUID MISMATCH with the KDK's kernel (see below)".to_string()
                    }
                    _ if i.status() == ImageStatus::UuidMismatch => {
                        let why = why.to_string();
                        let why = why.strip_prefix("UUID mismatch: ").unwrap_or(&why);
                        format!("UUID MISMATCH: {why}")
                    }
                    // The line names the image and its UUID already.
                    Unavailable::NoSourcesForKernel
                    | Unavailable::NoKernel { .. }
                    | Unavailable::NoKext { .. }
                    | Unavailable::NoImage { .. }
                    | Unavailable::ImageWithoutUuid { .. } => {
                        format!("no symbols{}", why.frame_note())
                    }
                    _ => format!("no symbols: {why}"),
                };
                let _ = writeln!(out, "  {} [{uuid}] {what} ({})", i.image, frames(i.frames));
            }
        }
    }
    let kernel_missing = sym.images.iter().any(|i| {
        matches!(
            i.symbols,
            Err(Unavailable::NoSourcesForKernel
                | Unavailable::NoKernel { .. }
                | Unavailable::KernelUuidMismatch { .. })
        )
    });
    if kernel_missing {
        // Say exactly which KDK (or IPSW) this panic needs: a KDK of another build is the
        // commonest reason the kernel has no symbols.
        let need = crate::needed::SymbolsNeeded::of(report);
        let _ = writeln!(out, "  The kernel needs {}.", need.advice);
        let given = sym.images.iter().flat_map(|i| &i.kdks_without_it);
        for (n, kdk) in given.enumerate() {
            if n == 0 {
                out.push_str("  Why the Kernel Debug Kits given do not fit:\n");
            }
            let _ = writeln!(
                out,
                "    {}: {}",
                kdk.root.display(),
                kdk_misfit(kdk, &need)
            );
        }
    }
    if sym.images.iter().any(|i| i.symbols.is_err()) {
        out.push_str(
            "  (--symbols PATH for kexts and dSYMs, --kernelcache FILE for exact kernelcache \
             mapping)\n",
        );
    }
    let _ = writeln!(
        out,
        "Frames: {} of {} resolved",
        sym.summary.resolved, sym.summary.frames
    );
    let check = &sym.summary.panic_path;
    let _ = match check.result {
        PanicPathResult::Passed => writeln!(
            out,
            "Panic path check: passed (the panicked thread runs through {})",
            check.matched.join(", ")
        ),
        PanicPathResult::Failed => writeln!(
            out,
            "Panic path check: FAILED: no panic-path function among the panicked thread's \
             resolved frames; suspect the symbols or the mapping"
        ),
        PanicPathResult::NotChecked if !check.kernel_has_symbols => writeln!(
            out,
            "Panic path check: not checked (the kernel has no symbols)"
        ),
        PanicPathResult::NotChecked => writeln!(
            out,
            "Panic path check: not checked (no resolved frame in the panicked thread)"
        ),
    };
    if let Some(k) = &sym.summary.keepsyms {
        if k.disagreed.is_empty() {
            let _ = writeln!(
                out,
                "Keepsyms check: {} of {} resolved frames name the function the kernel printed",
                k.agreed, k.compared
            );
        } else {
            let _ = writeln!(
                out,
                "Keepsyms check: FAILED: {} of {} resolved frames name another function than the \
                 kernel printed; suspect the symbols or the mapping",
                k.disagreed.len(),
                k.compared
            );
            for d in &k.disagreed {
                let addr = d.address.map_or_else(|| "?".to_string(), |a| a.to_string());
                let _ = writeln!(out, "  {addr}: log {} vs kpanic {}", d.log, d.kpanic);
            }
        }
    }
    for w in &sym.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}
