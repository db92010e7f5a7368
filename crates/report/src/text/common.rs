//! Line-level helpers shared by the arm64 and Intel readers: label matching that tolerates
//! whitespace variants, and the small sections both architectures print.

use crate::model::{
    CompressorInfo, CpuUsageRow, StackshotStatus, TimeRow, WatchdogService, ZoneRange,
};
use kpanic_common::{parse_0x, parse_num, Hex};

/// If `line` starts with `label` (each space in `label` matching any run of blanks, so pastes
/// that turned tabs into spaces and column-aligned labels match alike), then optional blanks and
/// a colon, return the rest, trimmed.
pub(crate) fn field<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    let mut t = line.trim_start();
    // Cheap reject first: this runs for every label on every line.
    if t.as_bytes().first() != label.as_bytes().first() {
        return None;
    }
    let mut words = label.split(' ').filter(|w| !w.is_empty()).peekable();
    while let Some(word) = words.next() {
        t = t.strip_prefix(word)?;
        if words.peek().is_some() {
            let trimmed = t.trim_start_matches([' ', '\t']);
            if trimmed.len() == t.len() {
                return None;
            }
            t = trimmed;
        }
    }
    let t = t.trim_start_matches([' ', '\t']);
    Some(t.strip_prefix(':')?.trim())
}

/// Like [`field`] but the label must be followed by the end of the line or blanks, no colon.
pub(crate) fn starts_with_words(line: &str, label: &str) -> bool {
    let mut t = line.trim_start();
    for (i, word) in label.split(' ').filter(|w| !w.is_empty()).enumerate() {
        if i > 0 {
            let trimmed = t.trim_start_matches([' ', '\t']);
            if trimmed.len() == t.len() {
                return false;
            }
            t = trimmed;
        }
        match t.strip_prefix(word) {
            Some(r) => t = r,
            None => return false,
        }
    }
    true
}

/// `YES`/`NO`.
pub(crate) fn yes_no(v: &str) -> Option<bool> {
    match v.trim() {
        "YES" | "Yes" | "yes" => Some(true),
        "NO" | "No" | "no" => Some(false),
        _ => None,
    }
}

/// The leading decimal digits of the first word (`149952)` → 149952).
pub(crate) fn first_number<T: std::str::FromStr>(v: &str) -> Option<T> {
    let w = v.split_whitespace().next()?;
    let end = w
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(w.len(), |(i, _)| i);
    w.get(..end)?.parse().ok()
}

/// `Zone map: 0x… - 0x…`, `. VM    : 0x… - 0x…`, `Extra   : 0 - 0`.
pub(crate) fn zone_range(line: &str) -> Option<ZoneRange> {
    let t = line.trim();
    let t = t.strip_prefix('.').unwrap_or(t).trim_start();
    let (name, range) = t.split_once(':')?;
    let (a, b) = range.split_once(" - ")?;
    let name = name.trim();
    if name.is_empty() || name.len() > 24 {
        return None;
    }
    Some(ZoneRange {
        name: name.to_string(),
        start: Hex(parse_num(a)?),
        end: Hex(parse_num(b)?),
    })
}

/// `  Boot    : 0x… 0x…`, `  Uptime  : 0x…`.
pub(crate) fn time_row(line: &str) -> Option<TimeRow> {
    let (name, values) = line.trim().split_once(':')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let values: Option<Vec<Hex>> = values
        .split_whitespace()
        .map(|v| parse_0x(v).map(Hex))
        .collect();
    let values = values?;
    if values.is_empty() {
        return None;
    }
    Some(TimeRow {
        name: name.to_string(),
        values,
    })
}

/// `0xfffffe1666900660 kernel_task 0 6683008`.
pub(crate) fn cpu_usage_row(line: &str) -> Option<CpuUsageRow> {
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() < 4 {
        return None;
    }
    let thread = parse_0x(words.first()?)?;
    let usage = words.last()?.parse().ok()?;
    let priority = words.get(words.len() - 2)?.parse().ok()?;
    let task = words.get(1..words.len() - 2)?.join(" ");
    Some(CpuUsageRow {
        thread: Hex(thread),
        task,
        priority,
        cpu_usage: usage,
    })
}

/// `Compressor Info: 0% of compressed pages limit (OK) and 1% of segments limit (OK) with 1
/// swapfiles and OK swap space`.
pub(crate) fn compressor_info(v: &str) -> CompressorInfo {
    let mut info = CompressorInfo {
        raw: v.to_string(),
        compressed_pages_percent: None,
        compressed_pages_status: None,
        segments_percent: None,
        segments_status: None,
        swapfiles: None,
        swap_space_status: None,
    };
    let words: Vec<&str> = v.split_whitespace().collect();
    let mut percents = Vec::new();
    let mut statuses = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if let Some(p) = w.strip_suffix('%') {
            percents.push(p.parse().ok());
        } else if w.starts_with('(') && w.ends_with(')') && w.len() > 2 {
            statuses.push(w.get(1..w.len() - 1).map(str::to_string));
        } else if *w == "swapfiles" && i > 0 {
            info.swapfiles = words.get(i - 1).and_then(|n| n.parse().ok());
        } else if *w == "swap" && words.get(i + 1) == Some(&"space") && i > 0 {
            info.swap_space_status = words.get(i - 1).map(|s| s.to_string());
        }
    }
    info.compressed_pages_percent = percents.first().copied().flatten();
    info.segments_percent = percents.get(1).copied().flatten();
    info.compressed_pages_status = statuses.first().cloned().flatten();
    info.segments_status = statuses.get(1).cloned().flatten();
    info
}

/// `** Stackshot Succeeded ** Bytes Traced N (Uncompressed M) **` and friends.
pub(crate) fn stackshot_status(line: &str) -> Option<StackshotStatus> {
    let t = line.trim();
    let lower = t.to_ascii_lowercase();
    if !(t.starts_with("**") || t.starts_with("!!")) || !lower.contains("stackshot") {
        return None;
    }
    let status = if lower.contains("no stackshot") {
        "not_taken"
    } else if lower.contains("succeeded") {
        "succeeded"
    } else if lower.contains("incomplete") {
        "incomplete"
    } else if lower.contains("fail") {
        "failed"
    } else {
        "unknown"
    };
    let number_after = |key: &str| -> Option<u64> {
        let at = t.find(key)? + key.len();
        first_number(t.get(at..)?.trim_start_matches(' '))
    };
    Some(StackshotStatus {
        status: status.to_string(),
        bytes_traced: number_after("Bytes Traced "),
        bytes_uncompressed: number_after("(Uncompressed "),
        raw: t.to_string(),
    })
}

/// `service: WindowServer (2 induced crashes), total successful checkins in 38490 seconds: 3826,
/// last successful checkin: 120 seconds ago`.
pub(crate) fn watchdog_service(v: &str) -> Option<WatchdogService> {
    let mut parts = v.split(", ");
    let head = parts.next()?.trim();
    if head.is_empty() {
        return None;
    }
    let (name, induced_crashes) = match head.split_once(" (") {
        Some((n, rest)) => (n.trim(), first_number(rest)),
        None => (head, None),
    };
    let mut svc = WatchdogService {
        name: name.to_string(),
        induced_crashes,
        window_seconds: None,
        successful_checkins: None,
        last_checkin_seconds_ago: None,
        raw: v.to_string(),
    };
    for part in parts {
        if let Some(r) = part.trim().strip_prefix("total successful checkins in ") {
            svc.window_seconds = first_number(r);
            svc.successful_checkins = r.split_once(':').and_then(|(_, n)| first_number(n));
        } else if let Some(r) = part.trim().strip_prefix("last successful checkin:") {
            svc.last_checkin_seconds_ago = first_number(r);
        }
    }
    Some(svc)
}

/// The Intel report's date line: `Mon Oct 29 13:57:35 2018`.
pub(crate) fn is_date_line(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    words.len() == 5
        && words.first().is_some_and(|d| DAYS.contains(d))
        && words.get(3).is_some_and(|t| t.contains(':'))
        && words
            .get(4)
            .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
}

/// A register-dump line: `NAME: 0x… NAME: 0x…` (arm64 separates by blanks, Intel by commas).
/// Every token must pair up and every name must satisfy `is_name`, so free text such as
/// `Time: 0x…` inside a coprocessor payload is not taken for a register.
pub(crate) fn register_line(
    line: &str,
    is_name: fn(&str) -> bool,
) -> Option<Vec<crate::model::Register>> {
    let cleaned = line.replace(',', " ");
    strict_registers(&cleaned, is_name).or_else(|| abridged_registers(&cleaned, is_name))
}

/// Every word a `name: 0x…` pair, as xnu prints them.
fn strict_registers(
    cleaned: &str,
    is_name: fn(&str) -> bool,
) -> Option<Vec<crate::model::Register>> {
    let mut words = cleaned.split_whitespace();
    let mut out = Vec::new();
    while let Some(name) = words.next() {
        let name = name.strip_suffix(':')?;
        if !is_name(name) {
            return None;
        }
        let value = parse_0x(words.next()?)?;
        out.push(crate::model::Register {
            name: name.to_string(),
            value: Hex(value),
        });
    }
    (!out.is_empty()).then_some(out)
}

/// A register line a paste abridged (`lr 0x… ... esr: 0x…  far: 0x…`): the `name: 0x…` pairs
/// it still has, when one of them is the fault's `esr:` or `far:` (the registers a diagnosis
/// needs, and words no other line of a panic prints).
fn abridged_registers(
    cleaned: &str,
    is_name: fn(&str) -> bool,
) -> Option<Vec<crate::model::Register>> {
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    if !words.iter().any(|w| *w == "esr:" || *w == "far:") {
        return None;
    }
    let out: Vec<crate::model::Register> = words
        .windows(2)
        .filter_map(|w| {
            let name = w[0].strip_suffix(':')?;
            let value = parse_0x(w[1])?;
            is_name(name).then(|| crate::model::Register {
                name: name.to_string(),
                value: Hex(value),
            })
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

/// `Panicked task 0x…: 35305 pages, 458 threads: pid 0: kernel_task` (arm64) or
/// `Panicked task 0x…: 4 threads: pid 127: watchdogd` (Intel 11+).
pub(crate) fn panicked_task(v: &str, line: usize) -> crate::model::PanickedTask {
    let mut task = crate::model::PanickedTask {
        line,
        ..Default::default()
    };
    let (addr, rest) = match v.split_once(':') {
        Some((a, r)) => (a, r),
        None => (v, ""),
    };
    task.address = parse_0x(addr).map(Hex);
    let (counts, proc_part) = match rest.split_once("pid ") {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    for part in counts.split(',') {
        let part = part.trim().trim_end_matches(':');
        if let Some(n) = part.strip_suffix("pages") {
            task.pages = first_number(n);
        } else if let Some(n) = part.strip_suffix("threads") {
            task.threads = first_number(n);
        }
    }
    if let Some(p) = proc_part {
        match p.split_once(':') {
            Some((pid, name)) => {
                task.pid = pid.trim().parse().ok();
                let name = name.trim();
                if !name.is_empty() {
                    task.name = Some(name.to_string());
                }
            }
            None => task.pid = first_number(p),
        }
    }
    task
}

/// `Panicked thread: 0x…, backtrace: 0x…, tid: 102`.
pub(crate) fn panicked_thread(v: &str, thread: &mut crate::model::PanickedThread, line: usize) {
    thread.line = Some(line);
    for (i, part) in v.split(',').enumerate() {
        let part = part.trim();
        if i == 0 {
            thread.address = parse_0x(part).map(Hex);
        } else if let Some(b) = part.strip_prefix("backtrace:") {
            thread.backtrace_address = parse_0x(b).map(Hex);
        } else if let Some(t) = part.strip_prefix("tid:") {
            thread.tid = first_number(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(
            field("KernelCache base:  0x1", "KernelCache base"),
            Some("0x1")
        );
        assert_eq!(
            field("__HIB  text base: 0x2", "__HIB text base"),
            Some("0x2")
        );
        assert_eq!(
            field("Kernel\ttext base : 0x3 ", "Kernel text base"),
            Some("0x3")
        );
        assert_eq!(
            field("Kernel text exec base: 0x3", "Kernel text base"),
            None
        );
        assert_eq!(field("Kernel slide: 0x3", "KernelCache slide"), None);
        assert_eq!(
            field("iBoot Stage 2 version: ", "iBoot Stage 2 version"),
            Some("")
        );
        assert!(starts_with_words(
            "Backtrace (CPU 0), Frame",
            "Backtrace (CPU"
        ));
    }

    #[test]
    fn small_sections() {
        let c = compressor_info("0% of compressed pages limit (OK) and 1% of segments limit (OK) with 1 swapfiles and OK swap space");
        assert_eq!(c.compressed_pages_percent, Some(0));
        assert_eq!(c.segments_percent, Some(1));
        assert_eq!(c.swapfiles, Some(1));
        assert_eq!(c.swap_space_status.as_deref(), Some("OK"));
        let s = stackshot_status(
            "** Stackshot Succeeded ** Bytes Traced 42744 (Uncompressed 149952) **",
        )
        .unwrap();
        assert_eq!(
            (s.bytes_traced, s.bytes_uncompressed),
            (Some(42744), Some(149952))
        );
        let s = stackshot_status("!! debugger synchronization failed, no stackshot !!").unwrap();
        assert_eq!(s.status, "not_taken");
        let w = watchdog_service("WindowServer (2 induced crashes), total successful checkins in 38490 seconds: 3826, last successful checkin: 120 seconds ago").unwrap();
        assert_eq!(w.name, "WindowServer");
        assert_eq!(w.induced_crashes, Some(2));
        assert_eq!(w.successful_checkins, Some(3826));
        assert_eq!(w.last_checkin_seconds_ago, Some(120));
        assert!(is_date_line("Mon Oct 29 13:57:35 2018"));
        assert!(zone_range("  Extra   : 0 - 0").is_some());
        assert!(cpu_usage_row("0xf5fffe186bb4cac0 deleted 20 7801").is_some());
    }
}
