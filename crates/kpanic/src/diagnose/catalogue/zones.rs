//! The zone allocator: use-after-free, corrupt elements, zone_require failures, frees of memory
//! the allocator did not hand out, and the zone map running out.

use super::text::{kern_return_described, number_after, value_after};
use super::ClassInfo;
use crate::diagnose::fault;
use crate::diagnose::PanicClass;
use crate::diagnose::{shorten, Ctx, Evidence, Finding};

pub(super) const ZONE_USE_AFTER_FREE: ClassInfo = ClassInfo {
    id: PanicClass::ZoneUseAfterFree,
    name: "zone use-after-free",
    explanation: "The zone allocator found a freed element that was written after it was freed (or freed twice). \
        The panicking thread is only the one that reallocated it: the bug is in whoever kept using the object \
        of that zone after releasing it.",
    next_steps: &[
        "The zone name tells the object type (e.g. iokit.IOCommandGate): find who frees and who still uses it.",
        "Look at the panicked process: a test/exploit program racing close/release against use is the classic pattern.",
        "On a development kernel, `-zc` / zone logging (zlog=<zone>) records the last frees of that zone.",
    ],
};

pub(super) const ZONE_CORRUPTION: ClassInfo = ClassInfo {
    id: PanicClass::ZoneCorruption,
    name: "zone element corruption",
    explanation: "The zone allocator's own checks found its bookkeeping broken: a free list or page metadata \
        overwritten, an element in a zone it does not belong to, a buffer overflowing its element, counters \
        that wrapped. Heap corruption by whoever wrote past or through a stale pointer; the panicking thread \
        is usually only the next user of that zone.",
    next_steps: &[
        "The message names the zone and address: find the code that allocates that type and writes through it.",
        "Repeated zone corruption in different zones with no common driver points to bad RAM or firmware memory-map problems.",
    ],
};

pub(super) const ZONE_REQUIRE: ClassInfo = ClassInfo {
    id: PanicClass::ZoneRequire,
    name: "zone_require failure (pointer of the wrong type)",
    explanation: "Before trusting some objects (tasks, threads, ports, credentials, proc_ro and other \
        read-only-zone objects) the kernel checks that the pointer lies in the zone of that type \
        (`zone_require`, `zone_require_ro`, `kalloc_data_require`). The pointer failed: it points outside \
        the zone, into another zone, or not at an element boundary. The pointer was corrupted or forged \
        (type confusion, heap corruption, an exploit); the code that checked it is the victim.",
    next_steps: &[
        "The expected zone names the object type; find where the corrupt pointer to it was loaded from.",
        "An exploit or test program in the panicked process, or a patched kernel, is the usual cause; on a stock system report it to Apple.",
        "In a virtual machine or Hackintosh, unsupported CPU models and memory patches can corrupt kernel memory: retry on a supported configuration.",
    ],
};

pub(super) const INVALID_KFREE: ClassInfo = ClassInfo {
    id: PanicClass::InvalidKfree,
    name: "invalid free (kfree/zfree of memory the allocator did not hand out)",
    explanation: "Code asked the kernel allocator to free memory it did not allocate there: an address that \
        is not the start of an allocation, a size that does not match the allocation, memory of another \
        heap or zone. The caller of kfree/IOFree/zfree is the bug (usually a driver that frees a pointer \
        into the middle of a buffer, frees with the wrong size, or frees twice).",
    next_steps: &[
        "The frame that called kfree/IOFree/zfree in the backtrace is the buggy code: a third-party kext there is the prime suspect.",
        "Update or remove that kext; if it is Apple's, look at what it was freeing (symbolicate the backtrace).",
    ],
};

pub(super) const ZONE_MAP_EXHAUSTED: ClassInfo = ClassInfo {
    id: PanicClass::ZoneMapExhausted,
    name: "zone map exhausted (kernel memory leak)",
    explanation: "The kernel ran out of address space for its heap (the zone map). This is almost always a leak: \
        one zone grew without bound. The panicking allocation is a victim; the zone named as the largest is \
        the leak.",
    next_steps: &[
        "The largest zone named in the message is the leak: find which driver or subsystem allocates that type.",
        "`zprint` on a running system (sorted by size) shows the growing zone before the next panic.",
    ],
};

/// The text between `[` and `]` right after `key`: `memory leak in zone [VM map entries]`.
fn bracketed_after<'a>(msg: &'a str, key: &str) -> Option<&'a str> {
    let rest = &msg[msg.find(key)? + key.len()..];
    let rest = rest.trim_start().strip_prefix('[')?;
    Some(&rest[..rest.find(']')?]).filter(|z| !z.is_empty())
}

/// A zone name as printed after `in zone` / `to zone`: `kalloc.4096:` → `kalloc.4096`.
fn zone_word(s: &str) -> String {
    s.trim_matches(|c: char| matches!(c, '[' | ']' | '\'' | '"' | ':' | ',' | '.'))
        .to_string()
}

/// The zone a zone panic names, in the wording of its release.
fn zone_name(msg: &str) -> Option<String> {
    // zalloc.c (macOS 11+): "[kext.kalloc.80]: element modified after free (…)".
    if let Some(z) = msg
        .trim_start()
        .strip_prefix('[')
        .and_then(|r| r.split_once("]:"))
        .map(|(z, _)| z)
    {
        return Some(z.to_string());
    }
    // zone map exhaustion names the leak: "likely due to memory leak in zone [X]" (macOS 11+)
    // or "likely due to memory leak in zone X (N total bytes …)" (before).
    if let Some(z) = bracketed_after(msg, "memory leak in zone") {
        return Some(z.to_string());
    }
    if let Some(i) = msg.find("memory leak in zone ") {
        let rest = &msg[i + "memory leak in zone ".len()..];
        let z = rest.split(" (").next().unwrap_or(rest);
        return Some(zone_word(z)).filter(|z| !z.is_empty());
    }
    for key in [
        "in zone: ",
        "in zone ",
        "for zone ",
        "to zone ",
        "expected in zone ",
        "from zone ",
    ] {
        if let Some(z) = bracketed_after(msg, key) {
            return Some(z.to_string());
        }
        if let Some(v) = value_after(msg, key) {
            let z = zone_word(v);
            if !z.is_empty() && !z.starts_with("0x") {
                return Some(z);
            }
        }
    }
    value_after(msg, "zone: ").map(zone_word)
}

pub(super) fn zone(ctx: &Ctx, f: &mut Finding, id: PanicClass, msg: &str, proc_: Option<&str>) {
    let zone_name = zone_name(msg);
    let detected = proc_
        .map(|p| format!(" (detected in {p})"))
        .unwrap_or_default();
    f.title = match id {
        PanicClass::ZoneUseAfterFree => use_after_free_title(msg, zone_name.as_deref(), &detected),
        PanicClass::ZoneMapExhausted => map_exhausted(f, msg, zone_name.as_deref()),
        PanicClass::ZoneRequire => zone_require(f, msg),
        PanicClass::InvalidKfree => invalid_free(f, msg),
        _ => format!(
            "Zone corruption{}: {}",
            zone_name
                .as_deref()
                .map(|z| format!(" in {z}"))
                .unwrap_or_default(),
            shorten(msg, 90)
        ),
    };
    if let Some(z) = &zone_name {
        f.evidence.push(Evidence::fact(format!("zone: {z}")));
    }
    changed_value(ctx, f, msg);
}

fn use_after_free_title(msg: &str, zone: Option<&str>, detected: &str) -> String {
    let size = value_after(msg, "sz:")
        .map(str::to_string)
        .or_else(|| element_size(msg).map(|n| n.to_string()));
    let what = if msg.to_ascii_lowercase().contains("double free") {
        ": an element was freed twice".to_string()
    } else {
        size.map(|s| format!(": an element of {s} bytes was written after it was freed"))
            .unwrap_or_else(|| ": a freed element was written".to_string())
    };
    match zone {
        Some(z) => format!("Use-after-free in zone {z}{what}{detected}"),
        None => format!(
            "Use-after-free caught by the zone allocator: {}{detected}",
            shorten(msg.trim(), 90)
        ),
    }
}

/// `at offset 8 of 4096 in element …` (xnu 2782–7195): the element size.
fn element_size(msg: &str) -> Option<u64> {
    let i = msg.find("at offset ")?;
    number_after(&msg[i..], " of ")
}

/// `zalloc[3]: zone map exhausted while allocating from zone [X], likely due to memory leak
/// in zone [Y] (13G, 180906506 elements allocated)`.
fn map_exhausted(f: &mut Finding, msg: &str, leak: Option<&str>) -> String {
    let allocating = bracketed_after(msg, "allocating from zone")
        .map(str::to_string)
        .or_else(|| value_after(msg, "allocating from zone ").map(zone_word));
    let size = leak.and_then(|_| {
        let i = msg.find("memory leak in zone")?;
        let rest = &msg[i..];
        let open = rest.find('(')?;
        Some(rest[open + 1..rest[open..].find(')')? + open].to_string())
    });
    if let Some(a) = allocating.as_deref().filter(|a| Some(*a) != leak) {
        f.evidence.push(Evidence::fact(format!(
            "the allocation that failed was from zone {a}: a victim, not the leak"
        )));
    }
    if let Some(s) = &size {
        f.evidence
            .push(Evidence::fact(format!("the largest zone holds {s}")));
    }
    if let Some(kr) = number_after(msg, "zalloc[") {
        f.evidence.push(Evidence::fact(format!(
            "zalloc[{kr}]: the zone map returned {}",
            kern_return_described(kr)
        )));
    }
    format!(
        "Zone map exhausted{}",
        leak.map(|z| {
            format!(
                ": zone {z} is the likely leak{}",
                size.as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default()
    )
}

/// `zone_require failed: address in unexpected zone id 5 (kalloc.16) (addr: 0x…, expected:
/// ipc ports)`, `zone_require_ro failed: element improperly aligned (addr: 0x…)`.
fn zone_require(f: &mut Finding, msg: &str) -> String {
    let Some((head, rest)) = msg.split_once("failed:") else {
        // "Address not in expected zone for zone_require check (addr: …, zone: …)" (10.15).
        return format!("zone_require check failed: {}", shorten(msg.trim(), 100));
    };
    let check = head.split_whitespace().next().unwrap_or("zone_require");
    let reason = rest.split(" (addr").next().unwrap_or(rest).trim();
    let addr = value_after(msg, "addr: ").or_else(|| value_after(msg, "address "));
    let expected = msg
        .split("expected: ")
        .nth(1)
        .map(|e| e.trim_end_matches([')', ' ']).to_string());
    if let Some(e) = &expected {
        f.evidence
            .push(Evidence::fact(format!("the object should be in zone {e}")));
    }
    if msg.contains("improperly aligned") {
        f.evidence.push(Evidence::fact(
            "the address is inside the read-only zone map but not at the start of an element: a pointer that was shifted or overwritten",
        ));
    }
    if msg.contains("not in a ro zone") || msg.contains("not in a zone") {
        f.evidence.push(Evidence::fact(
            "the address is not in the zone map at all: a forged or overwritten pointer",
        ));
    }
    format!(
        "{check} failed: {}{}",
        shorten(reason, 80),
        addr.map(|a| format!(" (addr {a})")).unwrap_or_default()
    )
}

/// `kfree: addr 0x…, size 2 (offs:0) not found in any zone`, `kfree: addr … found in heap
/// kalloc.* instead of kext.kalloc.*`, `addr … being freed to zone X, isn't from zone map`.
fn invalid_free(f: &mut Finding, msg: &str) -> String {
    let addr = value_after(msg, "addr ")
        .or_else(|| value_after(msg, "addr: "))
        .map(|a| a.trim_end_matches(',').to_string());
    let size = number_after(msg, "size ");
    if let Some(a) = addr
        .as_deref()
        .and_then(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).ok())
    {
        if a % 8 != 0 {
            f.evidence.push(Evidence::fact(format!(
                "address {a:#x} is not 8-byte aligned: no kalloc/zone allocation starts there, the pointer was into the middle of a buffer or corrupted"
            )));
        }
    }
    let why = if msg.contains("not found in any zone") {
        "not found in any zone: the allocator never handed out this address"
    } else if msg.contains("instead of") || msg.contains("kalloc type zone") {
        "freed to the wrong heap: allocated with one kalloc heap or type and freed with another"
    } else if msg.contains("nonsensical size") || msg.contains("not in specified bounds") {
        "freed with an impossible size"
    } else if msg.contains("found in zone") || msg.contains("found in regular zone") {
        "freed with a size that does not match its allocation"
    } else if msg.contains("not in the kernel") || msg.contains("doesn't belong to the kernel") {
        "the address is not kernel memory at all"
    } else if msg.contains("isn't from zone map") || msg.contains("not from foreign range") {
        "the address is not in the zone map"
    } else if msg.contains("isn't aligned") {
        "the address is not at the start of an element"
    } else {
        "the allocator did not hand out this memory"
    };
    format!(
        "Invalid free{}{}: {why}",
        addr.as_deref()
            .map(|a| format!(" of {a}"))
            .unwrap_or_default(),
        size.map(|s| format!(" ({s} bytes)")).unwrap_or_default()
    )
}

/// What changed in the freed element: `off:72, val:0x…` (macOS 11+) or `expected 0x… but
/// found 0x…` (the free-list cookie of older releases).
fn changed_value(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let off = value_after(msg, "off:");
    let val = value_after(msg, "val:");
    if let (Some(o), Some(v)) = (off, val) {
        let note = v
            .strip_prefix("0x")
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .map(|n| {
                if n >= 0xffff_ffff_ffff_0000 {
                    // A small negative number: a counter decremented in freed memory.
                    format!(
                        " (= -{:#x}: a counter or flags word changed in freed memory, e.g. a release/decrement through a stale pointer)",
                        n.wrapping_neg()
                    )
                } else {
                    let k = fault::classify_pointer(n, ctx.report);
                    format!(" ({})", k.describe(n))
                }
            })
            .unwrap_or_default();
        f.evidence.push(Evidence::fact(format!(
            "the freed element was changed at offset {o}: value {v}{note}"
        )));
        return;
    }
    let hex = |key: &str| {
        value_after(msg, key).and_then(|v| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok())
    };
    if let (Some(e), Some(found)) = (hex("expected "), hex("found ")) {
        let diff = e ^ found;
        let bytes: Vec<String> = (0..8)
            .filter(|b| (diff >> (b * 8)) & 0xff != 0)
            .map(|b| b.to_string())
            .collect();
        let zeroed = found & diff == 0;
        f.evidence.push(Evidence::fact(format!(
            "the free-list word of the freed element was {e:#018x}, found {found:#018x}: bytes {} changed{}{}",
            bytes.join(","),
            if zeroed { ", set to zero" } else { "" },
            match (bytes.len(), zeroed) {
                (4, true) if diff == 0xffff_ffff || diff & 0xffff_ffff == diff => {
                    " (a 32-bit store of 0 into freed memory)".to_string()
                }
                _ => String::new(),
            }
        )));
        if let Some(at) = value_after(msg, "at offset ") {
            f.evidence.push(Evidence::fact(format!(
                "at offset {at} of the element{}",
                element_size(msg)
                    .map(|n| format!(" ({n} bytes)"))
                    .unwrap_or_default()
            )));
        }
    }
}
