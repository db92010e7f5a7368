//! The zone allocator: use-after-free, corrupt elements, and the zone map running out.

use super::text::value_after;
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
    explanation: "The zone allocator's checks found an element that does not belong where it was used or freed \
        (zone_require, bounds, wrong zone, bad free): heap corruption or a type confusion.",
    next_steps: &[
        "The message names the zone and address: find the code that freed or used the element.",
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

pub(super) fn zone(ctx: &Ctx, f: &mut Finding, id: PanicClass, msg: &str, proc_: Option<&str>) {
    // "[iokit.IOCommandGate]: element modified after free (off:72, val:0x…, sz:80, ptr:0x…)"
    let zone_name = msg
        .find('[')
        .and_then(|i| {
            msg[i + 1..]
                .find(']')
                .map(|j| msg[i + 1..i + 1 + j].to_string())
        })
        .or_else(|| {
            value_after(msg, "in zone ").map(|s| s.trim_matches(['[', ']', '\'']).to_string())
        })
        .or_else(|| value_after(msg, "zone: ").map(str::to_string));
    let size = value_after(msg, "sz:").map(str::to_string);
    let off = value_after(msg, "off:").map(str::to_string);
    let val = value_after(msg, "val:").map(str::to_string);
    f.title = match id {
        PanicClass::ZoneUseAfterFree => format!(
            "Use-after-free in zone {}{}{}",
            zone_name.as_deref().unwrap_or("?"),
            size.as_ref()
                .map(|s| format!(": an element of {s} bytes was written after it was freed"))
                .unwrap_or_default(),
            proc_
                .map(|p| format!(" (detected in {p})"))
                .unwrap_or_default()
        ),
        PanicClass::ZoneMapExhausted => format!(
            "Zone map exhausted{}",
            zone_name
                .as_deref()
                .map(|z| format!(": zone {z} is the likely leak"))
                .unwrap_or_default()
        ),
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
    if let (Some(o), Some(v)) = (&off, &val) {
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
    }
}
