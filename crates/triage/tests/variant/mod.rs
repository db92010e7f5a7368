//! Variants of a real panic: the same bug on another boot of another machine. Used by the
//! signature tests and by the fleet generator of the benchmark (`examples/gen_fleet.rs`).
//!
//! What changes, and how, on the file's text (a text panic, or the panic string inside
//! `.ips` JSON, where the same text sits with `\n` escapes):
//! - the slide: every canonical kernel address (`0xffff…`, 16 digits) moves by `delta`, and
//!   the `… slide:` lines grow by the same `delta`, so runtime − slide is unchanged, as on a
//!   real second boot. PAC-signed values (top bits not all ones) keep their value: a real
//!   second boot signs them anew, and nothing may depend on their bits.
//! - the time: the `Epoch Time` table's Boot/Sleep/Wake/Calendar seconds and the `.ips`
//!   `timestamp`/`date` move by `days`.
//! - the machine and boot: the boot session UUID, incident id, crash reporter key and
//!   anonymous UUID become new UUIDs; `pid N` and `mach_absolute_time` new numbers.
//!
//! Binary UUIDs (kernel, kexts, `binaryImages`) and the unslid `binaryImages` bases stay: the
//! same build of the same code.

#![allow(dead_code)]

/// How to vary one panic.
#[derive(Clone, Copy, Debug)]
pub struct Variation {
    /// Added to every kernel address and slide (a multiple of 2 MiB, as KASLR slides are).
    pub delta: u64,
    /// Days added to every date.
    pub days: i64,
    /// Seeds the new UUIDs, pids and times.
    pub seed: u64,
}

impl Variation {
    /// The `n`th variation: different slide, time and machine for every `n`.
    pub fn nth(n: u64) -> Variation {
        let mut r = Rng(n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03);
        Variation {
            delta: (1 + r.next() % 64) * 0x20_0000,
            days: (r.next() % 400) as i64 - 200,
            seed: r.next(),
        }
    }
}

/// xorshift64*: enough for made-up ids, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0.max(1);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }
}

/// `text` (a whole panic file) as it would read after `v`.
pub fn vary(text: &str, v: Variation) -> String {
    let mut rng = Rng(v.seed);
    let mut out = shift_addresses(text, v.delta);
    out = shift_epoch(&out, v.days);
    out = shift_ips_dates(&out, v.days);
    // Text lines, then JSON keys (compact in the header line, spaced in the body).
    let mut ids: Vec<String> = Vec::new();
    for key in ["Boot session UUID:", "Anonymous UUID:"] {
        ids.extend(values_after(&out, key));
    }
    for key in ["incident_id", "incident", "crashReporterKey"] {
        ids.extend(values_after(&out, &format!("\"{key}\"")));
    }
    ids.sort();
    ids.dedup();
    for id in ids.into_iter().filter(|id| id.len() >= 32) {
        let new = if id.len() == 36 {
            rng.uuid()
        } else {
            (0..id.len())
                .map(|_| format!("{:x}", rng.next() % 16))
                .collect()
        };
        out = out.replace(&id, &new);
        out = out.replace(&id.to_ascii_lowercase(), &new.to_ascii_lowercase());
    }
    // pid 0 is kernel_task and pid 1 launchd, whatever the boot.
    out = replace_numbers_after(&out, "pid ", |old| match old {
        "0" | "1" => old.to_string(),
        _ => (rng.next() % 90_000 + 100).to_string(),
    });
    let mat = rng.next() >> 8;
    out = replace_numbers_after(&out, "mach_absolute_time: ", |_| format!("{mat:#x}"));
    out
}

fn hex_at(s: &str, i: usize) -> Option<(u64, usize)> {
    let b = s.as_bytes();
    if !(b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'x') | Some(b'X'))) {
        return None;
    }
    let digits = b[i + 2..]
        .iter()
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    if digits == 0 || digits > 16 {
        return None;
    }
    let v = u64::from_str_radix(&s[i + 2..i + 2 + digits], 16).ok()?;
    Some((v, 2 + digits))
}

fn shift_addresses(text: &str, delta: u64) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let b = text.as_bytes();
    while i < b.len() {
        if let Some((v, len)) = hex_at(text, i) {
            let before = &text[..i];
            let is_slide = before
                .rsplit('\n')
                .next()
                .map(|l| l.trim_end().ends_with("slide:"))
                .unwrap_or(false)
                || before.trim_end().ends_with("slide:");
            let digits = len - 2;
            // Kernel addresses, not -1 and other all-ones masks near the top.
            let address = digits == 16 && v >> 48 == 0xffff && v < 0xffff_ffff_f000_0000;
            let new = (address || is_slide).then(|| v.wrapping_add(delta));
            match new {
                Some(n) if digits == 16 => out.push_str(&format!("0x{n:016x}")),
                Some(n) => out.push_str(&format!("0x{n:x}")),
                None => out.push_str(&text[i..i + len]),
            }
            i += len;
            continue;
        }
        let ch = text[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// The `Boot`, `Sleep`, `Wake`, `Calendar` rows of the `Epoch Time` table: `sec` moves.
fn shift_epoch(text: &str, days: i64) -> String {
    let mut out = String::with_capacity(text.len());
    let shift = days * 86_400;
    for (n, piece) in split_keep(text).into_iter().enumerate() {
        let _ = n;
        let t = piece.trim_start();
        // `Boot    0x…` in text logs, `Boot    : 0x…` in newer ones.
        let after = |r: &str| {
            let a = t[r.len()..].trim_start();
            a.strip_prefix(':').map(str::trim_start).unwrap_or(a)
        };
        let row = ["Boot", "Sleep", "Wake", "Calendar"]
            .iter()
            .find(|r| t.starts_with(**r) && after(r).starts_with("0x"));
        match row {
            Some(r) => {
                let indent = &piece[..piece.len() - t.len()];
                let rest = after(r);
                let pad = &t[r.len()..t.len() - rest.len()];
                let (v, len) = hex_at(rest, 0).unwrap();
                let nv = if v == 0 {
                    0
                } else {
                    (v as i64 + shift).max(1) as u64
                };
                out.push_str(&format!("{indent}{r}{pad}{nv:#x}{}", &rest[len..]));
            }
            None => out.push_str(piece),
        }
    }
    out
}

/// Lines with their ends, for text files and the `\n` escapes of a JSON string alike.
fn split_keep(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' {
            out.push(&text[start..=i]);
            start = i + 1;
        } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'n') {
            out.push(&text[start..i + 2]);
            start = i + 2;
            i += 1;
        }
        i += 1;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Where the value after `key` starts: past spaces, a `:` and a `"` (JSON), or past spaces.
fn value_start(text: &str, after_key: usize) -> usize {
    let rest = &text[after_key..];
    let t = rest.trim_start();
    let t = t.strip_prefix(':').map(str::trim_start).unwrap_or(t);
    let t = t.strip_prefix('"').unwrap_or(t);
    after_key + (rest.len() - t.len())
}

/// The hex/UUID values that follow each `key`.
fn values_after(text: &str, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(key) {
        let start = value_start(text, from + at + key.len());
        let id: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
            .collect();
        from = start + id.len().max(1).min(text.len() - start);
        if from >= text.len() {
            break;
        }
        out.push(id);
    }
    out
}

/// The `.ips` `timestamp` and `date`: the day moves.
fn shift_ips_dates(text: &str, days: i64) -> String {
    let mut out = text.to_string();
    for key in ["\"timestamp\"", "\"date\""] {
        let mut from = 0;
        while let Some(at) = out[from..].find(key) {
            let start = value_start(&out, from + at + key.len());
            from = start;
            let Some(date) = out.get(start..start + 10) else {
                break;
            };
            if let Some(d) = kpanic_triage::when::parse_date(date) {
                let nd = (d as i64 + days).max(0) as u64;
                let s = kpanic_common::time::utc_date(nd * 86_400).unwrap();
                out.replace_range(start..start + 10, &s[..10]);
            }
        }
    }
    out
}

fn replace_numbers_after(text: &str, key: &str, mut f: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(key) {
        out.push_str(&rest[..at + key.len()]);
        rest = &rest[at + key.len()..];
        let n: usize = rest
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == 'x')
            .map(char::len_utf8)
            .sum();
        if n > 0 {
            out.push_str(&f(&rest[..n]));
            rest = &rest[n..];
        }
    }
    out.push_str(rest);
    out
}
