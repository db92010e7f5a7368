//! The text output of `kpanic diagnose`: ranked findings, then suspects, memory and threads.

use std::fmt::Write as _;
use std::io;

use crate::diagnose::memory::{PageKind, PageSizeSource};
use crate::diagnose::threads::{ThreadReport, WaitCategory};
use crate::diagnose::{human_bytes, Diagnosis, Finding};

const WIDTH: usize = 96;

/// A section of the text output.
type Section = fn(&mut String, &Diagnosis);

/// The sections of the text output, in order.
static SECTIONS: &[Section] = &[header, findings, suspects, memory, threads, notes];

/// A part of the threads section.
type ThreadPart = fn(&mut String, &ThreadReport);

/// The parts of the threads section, in order.
static THREAD_PARTS: &[ThreadPart] = &[
    thread_counts,
    wait_sites,
    wait_kinds,
    lock_owners,
    running,
    busiest_processes,
    endpoint_security_clients,
];

/// Writes a diagnosis for a terminal.
pub fn write_text(w: &mut impl io::Write, d: &Diagnosis) -> io::Result<()> {
    w.write_all(render_text(d).as_bytes())
}

/// [`write_text`] into a string.
pub fn render_text(d: &Diagnosis) -> String {
    let mut o = String::new();
    for section in SECTIONS {
        section(&mut o, d);
    }
    o
}

/// The headline and the facts of the panic.
fn header(o: &mut String, d: &Diagnosis) {
    let _ = writeln!(o, "Diagnosis: {}", d.headline);
    let p = &d.panic;
    let mut facts: Vec<String> = vec![format!("class {}", d.class)];
    if let Some(os) = &p.os {
        facts.push(os.clone());
    }
    if let Some(m) = &p.model {
        facts.push(m.clone());
    }
    if let Some(k) = &p.kernel {
        facts.push(k.clone());
    }
    if let Some(proc_) = &p.process {
        facts.push(match p.pid {
            Some(pid) => format!("{proc_} (pid {pid})"),
            None => proc_.clone(),
        });
    }
    if let Some(c) = p.cpu {
        facts.push(format!("CPU {c}"));
    }
    let _ = writeln!(o, "  {}", facts.join(" · "));
    if let Some(c) = &p.caller_symbol {
        let _ = writeln!(o, "  caller: {c}");
    }
    if !d.symbolicated {
        let _ = writeln!(
            o,
            "  (no symbols: pass --kdk/--symbols to name functions and group threads by function)"
        );
    }
    o.push('\n');
}

/// The findings, ranked.
fn findings(o: &mut String, d: &Diagnosis) {
    for (i, f) in d.findings.iter().enumerate() {
        finding(o, i + 1, f);
    }
}

/// The suspects, most suspicious first.
fn suspects(o: &mut String, d: &Diagnosis) {
    if d.suspects.is_empty() {
        return;
    }
    let _ = writeln!(o, "Suspects");
    for s in d.suspects.iter().take(12) {
        let mut line = format!("  {}", s.bundle_id);
        if let Some(v) = &s.version {
            line.push_str(&format!(" {v}"));
        }
        if let Some(k) = &s.known_as {
            line.push_str(&format!(" — {k}"));
        }
        line.push_str(&format!(
            " [{}, {}, {}]",
            s.origin_label(),
            s.category,
            s.role
        ));
        let mut where_: Vec<String> = Vec::new();
        if s.backtrace_frames > 0 {
            where_.push(format!("{} backtrace frames", s.backtrace_frames));
        }
        if s.threads > 0 {
            where_.push(format!("{} threads", s.threads));
        }
        if let Some(a) = s.event_seconds_before_panic {
            where_.push(format!("event {a:.0} s before the panic"));
        }
        where_.push(
            s.seen_in
                .iter()
                .map(|w| w.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        line.push_str(&format!(": {}", where_.join("; ")));
        let _ = writeln!(o, "{line}");
    }
    if d.suspects.len() > 12 {
        let _ = writeln!(o, "  … and {} more (see --json)", d.suspects.len() - 12);
    }
    o.push('\n');
}

/// The memory state.
fn memory(o: &mut String, d: &Diagnosis) {
    let Some(m) = &d.memory else {
        return;
    };
    let _ = writeln!(o, "Memory");
    let _ = writeln!(
        o,
        "  page size {} ({})",
        human_bytes(m.page_size),
        if m.page_size_source == PageSizeSource::Log {
            "from the log"
        } else {
            "default for the architecture"
        }
    );
    if !m.bytes.is_empty() {
        let order = [
            PageKind::Total,
            PageKind::Free,
            PageKind::Active,
            PageKind::Inactive,
            PageKind::Speculative,
            PageKind::Wired,
            PageKind::Compressor,
            PageKind::FileBacked,
            PageKind::Purgeable,
            PageKind::Throttled,
        ];
        let parts: Vec<String> = order
            .iter()
            .filter_map(|k| m.bytes.get(k).map(|b| format!("{k} {}", human_bytes(*b))))
            .collect();
        for chunk in parts.chunks(5) {
            let _ = writeln!(o, "  {}", chunk.join(", "));
        }
    }
    for w in &m.impossible {
        let _ = writeln!(o, "  warning: {w}");
    }
    if let Some(fp) = m.free_percent {
        let _ = write!(o, "  free {fp:.2}% of memory");
        if let Some(w) = m.pages_wanted {
            let _ = write!(o, "; pagesWanted {w}");
        }
        o.push('\n');
    }
    if m.compressor_pages_limit_percent.is_some() || m.swap_space.is_some() {
        let _ = writeln!(
            o,
            "  compressor {}% of pages limit, {}% of segments limit; {} swapfiles, swap space {}",
            m.compressor_pages_limit_percent.unwrap_or(0),
            m.compressor_segments_limit_percent.unwrap_or(0),
            m.swapfiles.unwrap_or(0),
            m.swap_space.as_deref().unwrap_or("?")
        );
    }
    if !m.flags.is_empty() {
        let flags: Vec<&str> = m.flags.iter().map(|f| f.as_str()).collect();
        let _ = writeln!(o, "  flags: {}", flags.join(", "));
    }
    o.push('\n');
}

/// The threads of a full panic.
fn threads(o: &mut String, d: &Diagnosis) {
    let Some(t) = &d.threads else {
        return;
    };
    for part in THREAD_PARTS {
        part(o, t);
    }
    o.push('\n');
}

/// Counts by state and the panicked thread.
fn thread_counts(o: &mut String, t: &ThreadReport) {
    let _ = writeln!(o, "Threads");
    let _ = writeln!(
        o,
        "  {} threads in {} processes: {} waiting ({} uninterruptible), {} runnable, {} idle",
        t.threads, t.processes, t.waiting, t.uninterruptible, t.runnable, t.idle
    );
    let states: Vec<String> = t.by_state.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(o, "  by state: {}", states.join(", "));
    if let Some(p) = &t.panicked {
        let _ = writeln!(o, "  panicked: {} [{}]", p.describe(), p.state.join("|"));
    }
}

/// Where waiting threads wait.
fn wait_sites(o: &mut String, t: &ThreadReport) {
    if !t.wait_sites.is_empty() {
        let _ = writeln!(o, "  where waiting threads wait:");
        for s in t.wait_sites.iter().take(12) {
            let _ = writeln!(
                o,
                "    {:>5}  {}{}  — {}",
                s.threads,
                s.site,
                if s.category != WaitCategory::Other {
                    format!(" [{}]", s.category)
                } else {
                    String::new()
                },
                s.processes
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
}

/// The commonest `waitInfo` kinds.
fn wait_kinds(o: &mut String, t: &ThreadReport) {
    if !t.wait_kinds.is_empty() {
        let _ = writeln!(o, "  waitInfo:");
        for k in t.wait_kinds.iter().take(6) {
            let _ = writeln!(o, "    {:>5}  {}", k.threads, k.kind);
        }
    }
}

/// The threads others wait for.
fn lock_owners(o: &mut String, t: &ThreadReport) {
    if !t.lock_owners.is_empty() {
        let _ = writeln!(o, "  lock owners:");
        for l in t.lock_owners.iter().take(5) {
            let _ = writeln!(
                o,
                "    thread {} of {} [{}] holds a {} — {} waiter(s)",
                l.owner_tid,
                l.owner_process.as_deref().unwrap_or("?"),
                l.owner_state.join("|"),
                l.lock_kind,
                l.waiters
            );
        }
    }
}

/// Runnable threads, busiest first.
fn running(o: &mut String, t: &ThreadReport) {
    if !t.running.is_empty() {
        let _ = writeln!(o, "  runnable (TH_RUN) threads, busiest first:");
        for r in t.running.iter().take(6) {
            let _ = writeln!(
                o,
                "    {} ({}) thread {}{}{}",
                r.process,
                r.pid,
                r.tid,
                r.name
                    .as_ref()
                    .map(|n| format!(" \"{n}\""))
                    .unwrap_or_default(),
                r.cpu_seconds
                    .map(|c| format!(", {c:.2} s CPU"))
                    .unwrap_or_default()
            );
        }
    }
}

/// Processes by CPU time.
fn busiest_processes(o: &mut String, t: &ThreadReport) {
    if !t.busiest_processes.is_empty() {
        let b: Vec<String> = t
            .busiest_processes
            .iter()
            .take(5)
            .map(|p| format!("{} ({}) {:.1} s", p.name, p.pid, p.cpu_seconds))
            .collect();
        let _ = writeln!(o, "  busiest processes: {}", b.join(", "));
    }
}

/// Endpoint Security clients.
fn endpoint_security_clients(o: &mut String, t: &ThreadReport) {
    if !t.endpoint_security_clients.is_empty() {
        let es: Vec<String> = t
            .endpoint_security_clients
            .iter()
            .map(|c| format!("{} ({})", c.name, c.pid))
            .collect();
        let _ = writeln!(o, "  Endpoint Security clients: {}", es.join(", "));
    }
}

/// What the parser found cut or malformed.
fn notes(o: &mut String, d: &Diagnosis) {
    if !d.log_warnings.is_empty() {
        for w in &d.log_warnings {
            let _ = writeln!(o, "note: {w}");
        }
    }
}

fn finding(o: &mut String, n: usize, f: &Finding) {
    let conf = f.confidence;
    let _ = writeln!(o, "{n}. {}", f.title);
    let _ = writeln!(o, "   [{} · {conf} confidence]", f.class);
    for l in wrap(&f.explanation, WIDTH - 3) {
        let _ = writeln!(o, "   {l}");
    }
    if !f.evidence.is_empty() {
        let _ = writeln!(o, "   Evidence:");
        for e in &f.evidence {
            let prefix = match e.line {
                Some(l) => format!("line {:>3}: ", l + 1),
                None => String::new(),
            };
            let text = format!("{prefix}{}", e.text);
            for (i, l) in wrap(&text, WIDTH - 7).into_iter().enumerate() {
                let _ = writeln!(o, "     {} {l}", if i == 0 { "•" } else { " " });
            }
        }
    }
    if !f.next_steps.is_empty() {
        let _ = writeln!(o, "   Next:");
        for s in &f.next_steps {
            for (i, l) in wrap(s, WIDTH - 7).into_iter().enumerate() {
                let _ = writeln!(o, "     {} {l}", if i == 0 { "-" } else { " " });
            }
        }
    }
    o.push('\n');
}

/// Greedy word wrap.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}
