//! Kext lines: "Kernel Extensions in backtrace", `last started/loaded/unloaded kext`, the loaded
//! list, and macOS 10.15's abbreviated bundle ids.

use crate::model::{KextEvent, KextEventKind, KextRef, LoadedKext};
use crate::{RuntimeAddr, Uuid};
use kpanic_common::{parse_0x, Hex};

/// Expand the abbreviations of 10.15 panic kext lists (xnu `libkern/kext_panic_report.h`,
/// applied by `OSKext`'s panic-list compaction): a leading `>` = `com.apple.driver.`,
/// `|` = `com.apple.iokit.`, `$` = `com.apple.security.`, `@` = `com.apple.`; anywhere,
/// `!U` AppleUSB, `!A` Apple, `!F` Family, `!S` Storage, `!C` Controller, `!B` Bluetooth,
/// `!I` Intel. Returns `None` when `id` has no abbreviation.
///
/// xnu substitutes one prefix only, so `>` followed by another prefix mark (`>@`, `>|`, `>$`)
/// is a Markdown quote in front of an abbreviated id: the `>` is dropped.
pub fn expand_kext_abbreviations(id: &str) -> Option<String> {
    let id = strip_markdown_quote(id);
    let (prefix, rest) = match id.chars().next()? {
        '>' => ("com.apple.driver.", &id[1..]),
        '|' => ("com.apple.iokit.", &id[1..]),
        '$' => ("com.apple.security.", &id[1..]),
        '@' => ("com.apple.", &id[1..]),
        _ => ("", id),
    };
    if prefix.is_empty() && !rest.contains('!') {
        return None;
    }
    let mut out = String::with_capacity(prefix.len() + rest.len() * 2);
    out.push_str(prefix);
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '!' {
            out.push(c);
            continue;
        }
        let word = match chars.peek() {
            Some('A') => "Apple",
            Some('B') => "Bluetooth",
            Some('C') => "Controller",
            Some('F') => "Family",
            Some('I') => "Intel",
            Some('S') => "Storage",
            Some('U') => "AppleUSB",
            _ => {
                out.push(c);
                continue;
            }
        };
        chars.next();
        out.push_str(word);
    }
    Some(out)
}

/// `>@x`, `>|x`, `>$x`, `>>x` → `@x`, `|x`, `$x`, `>x`: a Markdown quote glued to an id.
fn strip_markdown_quote(id: &str) -> &str {
    match id.strip_prefix('>') {
        Some(rest) if rest.starts_with(['>', '@', '|', '$']) => rest,
        _ => id,
    }
}

pub(crate) use kpanic_common::bundle::is_third_party;

/// `com.apple.driver.X(1.0d1)[UUID]@0xstart->0xend`, optionally after `dependency: `.
/// Returns the ref and whether it was a dependency line.
pub(crate) fn parse_backtrace_kext(line: &str, index: usize) -> Option<(KextRef, bool)> {
    let t = line.trim();
    let (dep, t) = match t.strip_prefix("dependency:") {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t),
    };
    let open = t.find('(')?;
    let bundle_id = t[..open].trim();
    if bundle_id.is_empty() || bundle_id.contains(char::is_whitespace) {
        return None;
    }
    let after = &t[open + 1..];
    let close = after.find(')')?;
    let version = after[..close].to_string();
    let mut rest = &after[close + 1..];
    let mut uuid = None;
    let mut bracket = false;
    if let Some(r) = rest.strip_prefix('[') {
        let end = r.find(']')?;
        // An unreadable UUID (cut, OCR damage) leaves the kext without one: it is then
        // matched by bundle id alone, never to another build's symbols by a wrong UUID.
        uuid = r[..end].trim().parse::<Uuid>().ok();
        bracket = true;
        rest = &r[end + 1..];
    }
    let (start, end) = match rest.strip_prefix('@') {
        Some(range) => match range.split_once("->") {
            Some((s, e)) => (parse_0x(s), parse_0x(e)),
            None => (parse_0x(range), None),
        },
        None => (None, None),
    };
    if !bracket && start.is_none() {
        return None;
    }
    Some((
        KextRef {
            bundle_id: bundle_id.to_string(),
            version: Some(version),
            uuid,
            start: start.map(RuntimeAddr),
            end: end.map(RuntimeAddr),
            third_party: is_third_party(bundle_id),
            line: index,
        },
        dep,
    ))
}

/// `last started kext at 1049340046: com.apple.filesystems.autofs\t3.0 (addr 0x…, size 16384)`
/// (also `last loaded kext`, `last unloaded kext`).
pub(crate) fn parse_kext_event(line: &str, index: usize) -> Option<KextEvent> {
    let t = line.trim();
    let rest = t.strip_prefix("last")?.trim_start();
    let (kind, rest) = if let Some(r) = rest.strip_prefix("started") {
        (KextEventKind::Started, r)
    } else if let Some(r) = rest.strip_prefix("loaded") {
        (KextEventKind::Loaded, r)
    } else if let Some(r) = rest.strip_prefix("unloaded") {
        (KextEventKind::Unloaded, r)
    } else {
        return None;
    };
    let rest = rest.trim_start().strip_prefix("kext")?.trim_start();
    let rest = rest.strip_prefix("at")?.trim_start();
    let (at, rest) = rest.split_once(':')?;
    let (idver, addr) = match rest.split_once("(addr") {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let mut words = idver.split_whitespace();
    let raw_id = words.next()?;
    let version = Some(words.collect::<Vec<_>>().join(" ")).filter(|v| !v.is_empty());
    let bundle_id = expand_kext_abbreviations(raw_id).unwrap_or_else(|| raw_id.to_string());
    let (mut address, mut size) = (None, None);
    if let Some(addr) = addr {
        let addr = addr.trim().trim_end_matches(')');
        for part in addr.split(',') {
            let part = part.trim();
            if let Some(s) = part.strip_prefix("size") {
                size = s.trim().parse().ok().map(Hex);
            } else if let Some(a) = parse_0x(part) {
                address = Some(RuntimeAddr(a));
            }
        }
    }
    Some(KextEvent {
        kind,
        at: at.trim().parse().ok(),
        bundle_id,
        version,
        address,
        size,
        line: index,
    })
}

/// One line of the `loaded kexts:` list: `<id><TAB or spaces><version>`. The version may have
/// several words (`14.0.1 45154`; old Intel lists append ` - last loaded <mach time>`, which is
/// dropped). Lines that carry a Markdown quote (`> com.apple…`, `>@kec.pthread`) are accepted
/// too.
pub(crate) fn parse_loaded_kext(line: &str, index: usize) -> Option<LoadedKext> {
    let mut t = line.trim();
    // A Markdown quote is "> " followed by the id; the 10.15 abbreviation ">" has no space.
    while let Some(r) = t.strip_prefix("> ") {
        t = r.trim_start();
    }
    let (id, rest) = t.split_once(char::is_whitespace)?;
    let id = strip_markdown_quote(id);
    let mut rest = rest.trim();
    if let Some((before, after)) = rest.split_once(" - last loaded") {
        if after.trim().bytes().all(|b| b.is_ascii_digit()) {
            rest = before.trim_end();
        }
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    let looks_like_id = (id.contains('.') || id.starts_with(['>', '|', '$', '@']))
        && !id.ends_with(':')
        && !id.starts_with("0x")
        && !id.contains(['(', ')', ',', '[', '*']);
    // Versions are CFBundleVersion strings: digits, dots, letters; at most a few words.
    let version_word = |w: &str| {
        w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
    };
    let looks_like_version = words
        .first()
        .and_then(|w| w.chars().next())
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && words.len() <= 3
        && words.iter().all(|w| version_word(w));
    if !looks_like_id || !looks_like_version {
        return None;
    }
    let expanded = expand_kext_abbreviations(id);
    let bundle_id = expanded.clone().unwrap_or_else(|| id.to_string());
    Some(LoadedKext {
        third_party: is_third_party(&bundle_id),
        abbreviated: expanded.map(|_| id.to_string()),
        bundle_id,
        version: words.join(" "),
        line: index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations() {
        let e = |s| expand_kext_abbreviations(s).unwrap();
        assert_eq!(e(">!AHIDKeyboard"), "com.apple.driver.AppleHIDKeyboard");
        assert_eq!(e("|IOUserEthernet"), "com.apple.iokit.IOUserEthernet");
        assert_eq!(e("$!AImage4"), "com.apple.security.AppleImage4");
        assert_eq!(e("@filesystems.autofs"), "com.apple.filesystems.autofs");
        assert_eq!(e("|IO!B!F"), "com.apple.iokit.IOBluetoothFamily");
        assert_eq!(
            e(">usb.!UHostCompositeDevice"),
            "com.apple.driver.usb.AppleUSBHostCompositeDevice"
        );
        assert_eq!(
            e("as.acidanthera.mieze.!IMausi"),
            "as.acidanthera.mieze.IntelMausi"
        );
        assert_eq!(e("|IOAHCIBlock!S"), "com.apple.iokit.IOAHCIBlockStorage");
        assert_eq!(e(">!ASMBus!C"), "com.apple.driver.AppleSMBusController");
        assert_eq!(e("x!Zy!"), "x!Zy!");
        assert_eq!(expand_kext_abbreviations("com.apple.kec.pthread"), None);
        assert_eq!(expand_kext_abbreviations(""), None);
    }

    #[test]
    fn backtrace_kext_lines() {
        let (k, dep) = parse_backtrace_kext(
            "         com.apple.driver.watchdog(1.0)[BEE7A0FC-B21D-32F4-8632-C669EA683887]@0xfffffe0016744000->0xfffffe0016747fff",
            3,
        )
        .unwrap();
        assert!(!dep);
        assert_eq!(k.bundle_id, "com.apple.driver.watchdog");
        assert_eq!(k.start, Some(RuntimeAddr(0xfffffe0016744000)));
        assert_eq!(k.end, Some(RuntimeAddr(0xfffffe0016747fff)));
        let (k, dep) = parse_backtrace_kext(
            "dependency: com.apple.iokit.IOPCIFamily(2.9)[2CE7BCB3-0766-3A94-A8D4-29BF3EBAEFBC]@0xffffff7f97c95000",
            0,
        )
        .unwrap();
        assert!(dep);
        assert_eq!(k.end, None);
        assert!(parse_backtrace_kext("Kernel Extensions in backtrace:", 0).is_none());
        assert!(parse_backtrace_kext("com.x(1.0", 0).is_none());
    }

    #[test]
    fn events_and_list() {
        let e = parse_kext_event(
            "last unloaded kext at 190207154675: >!ASMCRTC\t1.0 (addr 0xffffff7f8b743000, size 28672)",
            1,
        )
        .unwrap();
        assert_eq!(e.kind, KextEventKind::Unloaded);
        assert_eq!(e.bundle_id, "com.apple.driver.AppleSMCRTC");
        assert_eq!(e.size, Some(Hex(28672)));
        assert_eq!(e.address, Some(RuntimeAddr(0xffffff7f8b743000)));
        let k = parse_loaded_kext("> com.nvidia.CUDA 1.1.0", 0).unwrap();
        assert!(k.third_party);
        let k = parse_loaded_kext(">!AHDA\t283.15", 0).unwrap();
        assert_eq!(k.bundle_id, "com.apple.driver.AppleHDA");
        assert!(parse_loaded_kext("** Stackshot Succeeded ** Bytes", 0).is_none());
        assert!(parse_loaded_kext("100..", 0).is_none());
    }
}
