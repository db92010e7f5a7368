//! The text output of `kpanic diagnose`: ranked findings, then suspects, memory and threads.

use std::fmt::Write as _;
use std::io;

use crate::diagnose::memory::{MemoryState, PageKind, PageSizeSource};
use crate::diagnose::suspects::Suspect;
use crate::diagnose::threads::{ThreadReport, WaitCategory};
use crate::diagnose::{human_bytes, Diagnosis, Finding, LogFormat};

/// The width of the text when the output is not a terminal (pipes, files, tests).
pub const DEFAULT_WIDTH: usize = 96;

/// The narrowest width the text is wrapped to: below it, every line would break.
const MIN_WIDTH: usize = 60;

/// Where the text goes: the diagnosis, and the width it is wrapped to.
struct Out<'a> {
    o: String,
    d: &'a Diagnosis,
    width: usize,
}

/// A section of the text output.
type Section = fn(&mut Out);

/// The sections of the text output, in order.
static SECTIONS: &[Section] = &[
    header,
    answer,
    other_findings,
    suspects,
    memory,
    threads,
    notes,
];

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

/// Writes a diagnosis for a terminal `width` columns wide.
pub fn write_text(w: &mut impl io::Write, d: &Diagnosis, width: usize) -> io::Result<()> {
    w.write_all(render_text_width(d, width).as_bytes())
}

/// The text of a diagnosis at [`DEFAULT_WIDTH`].
pub fn render_text(d: &Diagnosis) -> String {
    render_text_width(d, DEFAULT_WIDTH)
}

/// The text of a diagnosis, prose wrapped to `width` columns (at least 60). Log lines and
/// tables are not wrapped where a break would change what they say.
///
/// The first screen answers "what happened, what do I do": the headline once, the facts of
/// the panic, what the class means, its evidence and next steps, and which symbols to get
/// when they would change the answer. The other findings, suspects, memory and threads
/// follow.
pub fn render_text_width(d: &Diagnosis, width: usize) -> String {
    let mut out = Out {
        o: String::new(),
        d,
        width: width.max(MIN_WIDTH),
    };
    for section in SECTIONS {
        section(&mut out);
    }
    out.o
}

/// The headline and the facts of the panic.
fn header(out: &mut Out) {
    let (o, d) = (&mut out.o, out.d);
    for (i, l) in wrap(&d.headline, out.width - 11).into_iter().enumerate() {
        let lead = if i == 0 { "Diagnosis: " } else { "           " };
        let _ = writeln!(o, "{lead}{l}");
    }
    let p = &d.panic;
    let conf = d.findings.first().map(|f| f.confidence);
    let mut facts: Vec<String> = vec![match conf {
        Some(c) => format!("class {} ({c} confidence)", d.class),
        None => format!("class {}", d.class),
    }];
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
    for l in wrap(&facts.join(" · "), out.width - 2) {
        let _ = writeln!(o, "  {l}");
    }
    if let Some(c) = &p.caller_symbol {
        let _ = writeln!(o, "  caller: {c}");
    }
    o.push('\n');
}

/// The first finding without its title (the headline): what it means, the evidence, what to
/// do, and the symbols to get when they would change the answer.
fn answer(out: &mut Out) {
    let Some(f) = out.d.findings.first() else {
        return;
    };
    let width = out.width;
    let o = &mut out.o;
    for l in wrap(&f.explanation, width - 2) {
        let _ = writeln!(o, "  {l}");
    }
    let within = within(out.d);
    evidence(o, "  ", f, width, within);
    if !f.next_steps.is_empty() {
        let _ = writeln!(o, "  What to do:");
        for (n, s) in f.next_steps.iter().enumerate() {
            for (i, l) in wrap(s, width - 7).into_iter().enumerate() {
                if i == 0 {
                    let _ = writeln!(o, "    {}. {l}", n + 1);
                } else {
                    let _ = writeln!(o, "       {l}");
                }
            }
        }
    }
    if let Some(need) = &out.d.symbols_needed {
        let text = format!("Symbols would name the functions here: {}.", need.advice);
        for l in wrap(&text, width - 2) {
            let _ = writeln!(o, "  {l}");
        }
    }
    o.push('\n');
}

/// The other findings, ranked.
fn other_findings(out: &mut Out) {
    let (d, width) = (out.d, out.width);
    if d.findings.len() < 2 {
        return;
    }
    let _ = writeln!(out.o, "Also found");
    for (i, f) in d.findings.iter().enumerate().skip(1) {
        finding(&mut out.o, i + 1, f, width, within(d));
    }
}

/// The suspects, most suspicious first.
fn suspects(out: &mut Out) {
    let (o, d) = (&mut out.o, out.d);
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
        let mut where_ = suspect_counts(s);
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

/// Where a suspect shows, counted: backtrace frames, threads, its kext event's time. Shared by
/// every output that lists suspects, so they say it in the same words.
pub fn suspect_counts(s: &Suspect) -> Vec<String> {
    let mut v = Vec::new();
    if s.backtrace_frames > 0 {
        v.push(format!("{} backtrace frames", s.backtrace_frames));
    }
    if s.threads > 0 {
        v.push(format!("{} threads", s.threads));
    }
    if let Some(a) = s.event_seconds_before_panic {
        v.push(format!("event {a:.0} s before the panic"));
    }
    v
}

/// The compressor's limits and swap, as every output words them.
pub fn compressor_line(m: &MemoryState) -> String {
    format!(
        "compressor {}% of pages limit, {}% of segments limit; {} swapfiles, swap space {}",
        m.compressor_pages_limit_percent.unwrap_or(0),
        m.compressor_segments_limit_percent.unwrap_or(0),
        m.swapfiles.unwrap_or(0),
        m.swap_space.as_deref().unwrap_or("?")
    )
}

/// The memory state.
fn memory(out: &mut Out) {
    let (o, d) = (&mut out.o, out.d);
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
        let _ = writeln!(o, "  {}", compressor_line(m));
    }
    if !m.flags.is_empty() {
        let flags: Vec<&str> = m.flags.iter().map(|f| f.as_str()).collect();
        let _ = writeln!(o, "  flags: {}", flags.join(", "));
    }
    o.push('\n');
}

/// The threads of a full panic.
fn threads(out: &mut Out) {
    let (o, d) = (&mut out.o, out.d);
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
fn notes(out: &mut Out) {
    let (o, d) = (&mut out.o, out.d);
    if !d.log_warnings.is_empty() {
        for w in &d.log_warnings {
            let _ = writeln!(o, "note: {w}");
        }
    }
}

fn finding(o: &mut String, n: usize, f: &Finding, width: usize, within: &str) {
    let conf = f.confidence;
    for (i, l) in wrap(&f.title, width - 4).into_iter().enumerate() {
        let lead = if i == 0 {
            format!("{n:>2}. ")
        } else {
            "    ".into()
        };
        let _ = writeln!(o, "{lead}{l}");
    }
    let _ = writeln!(o, "    [{} · {conf} confidence]", f.class);
    for l in wrap(&f.explanation, width - 4) {
        let _ = writeln!(o, "    {l}");
    }
    evidence(o, "    ", f, width, within);
    if !f.next_steps.is_empty() {
        let _ = writeln!(o, "    Next:");
        for s in &f.next_steps {
            for (i, l) in wrap(s, width - 8).into_iter().enumerate() {
                let _ = writeln!(o, "      {} {l}", if i == 0 { "-" } else { " " });
            }
        }
    }
    o.push('\n');
}

/// What evidence line numbers count in: an `.ips` file's panic text is its panic string, not
/// the file (the JSON `line` is the same number).
fn within(d: &Diagnosis) -> &'static str {
    match d.panic.format {
        LogFormat::Ips | LogFormat::FullIps => " (line numbers within the panic string)",
        LogFormat::Text => "",
    }
}

/// The evidence of a finding, indented by `indent`.
fn evidence(o: &mut String, indent: &str, f: &Finding, width: usize, within: &str) {
    if f.evidence.is_empty() {
        return;
    }
    let within = if f.evidence.iter().any(|e| e.line.is_some()) {
        within
    } else {
        ""
    };
    let _ = writeln!(o, "{indent}Evidence{within}:");
    let w = width.saturating_sub(indent.len() + 4).max(20);
    for e in &f.evidence {
        let prefix = match e.line {
            Some(l) => format!("line {:>3}: ", l + 1),
            None => String::new(),
        };
        let text = format!("{prefix}{}", e.text);
        for (i, l) in wrap(&text, w).into_iter().enumerate() {
            let _ = writeln!(o, "{indent}  {} {l}", if i == 0 { "•" } else { " " });
        }
    }
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

use super::style::{BOLD, DIM, RESET, YELLOW};

/// `text` (from [`render_text_width`]) with terminal colours: the headline and the section and
/// list headings bold, the class lines dim, the parser's notes yellow. The words and the
/// wrapping are the plain text's, so what a terminal shows is what a pipe gets.
pub fn colorize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut in_headline = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let nl = &line[body.len()..];
        let trimmed = body.trim_start();
        in_headline = body.starts_with("Diagnosis: ")
            || (in_headline && body.starts_with("           ") && !trimmed.is_empty());
        let numbered = trimmed
            .split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            && body.len() - trimmed.len() <= 1;
        let style = if in_headline
            || matches!(body, "Also found" | "Suspects" | "Memory" | "Threads")
            || matches!(trimmed, "Evidence:" | "What to do:" | "Next:")
            || numbered
        {
            Some(BOLD)
        } else if trimmed.starts_with('[') && trimmed.ends_with(" confidence]") {
            Some(DIM)
        } else if body.starts_with("note: ") {
            Some(YELLOW)
        } else {
            None
        };
        match style {
            Some(s) if !body.is_empty() => {
                out.push_str(s);
                out.push_str(body);
                out.push_str(RESET);
                out.push_str(nl);
            }
            _ => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod color_tests {
    use super::*;

    #[test]
    fn colours_change_no_word() {
        let plain = "Diagnosis: a headline that\n           wraps\n  class x (high confidence)\n\n  Evidence:\n    • line 1: panic\n\nAlso found\n 2. A title\n    [x · low confidence]\n    Next:\n      - step\n\nnote: cut\n";
        let c = colorize(plain);
        assert!(c.starts_with(
            "\x1b[1mDiagnosis: a headline that\x1b[0m\n\x1b[1m           wraps\x1b[0m\n"
        ));
        assert!(c.contains("\x1b[1m 2. A title\x1b[0m"));
        assert!(c.contains("\x1b[2m    [x · low confidence]\x1b[0m"));
        assert!(c.contains("\x1b[33mnote: cut\x1b[0m"));
        assert!(c.contains("\n    • line 1: panic\n"), "{c}");
        let stripped = c
            .replace(BOLD, "")
            .replace(DIM, "")
            .replace(YELLOW, "")
            .replace(RESET, "");
        assert_eq!(stripped, plain);
    }
}
