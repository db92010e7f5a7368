//! The virtual-memory system: map operations that must not fail, kernel allocations that may
//! not fail, vm_page sanity checks, the pmap layer, the compressor, and memory running out.

use super::text::{
    after_function, kern_return_described, kern_return_name, leading_function, number_after,
    parse_number, value_after,
};
use super::ClassInfo;
use crate::diagnose::{human_bytes, shorten, Evidence, Finding, PanicClass};

pub(super) const VM_MAP_FAILURE: ClassInfo = ClassInfo {
    id: PanicClass::VmMapFailure,
    name: "VM map failure",
    explanation: "The virtual-memory system found a map operation failing where it must not (vm_map_delete, \
        vm_map_enter…): a corrupted map entry, or a task manipulating its own mappings in a way the kernel \
        did not expect (debuggers, instrumentation like Frida, JIT).",
    next_steps: &[
        "Look at the panicked process and what it does with memory (instrumentation, remapping, code injection).",
        "The return code in the message (named in the evidence) says what failed.",
    ],
};

pub(super) const KMEM_ALLOC_FAILURE: ClassInfo = ClassInfo {
    id: PanicClass::KmemAllocFailure,
    name: "kernel memory allocation failure (kmem_alloc)",
    explanation: "A kernel allocation that is not allowed to fail (kmem_alloc / kernel_memory_allocate with \
        KMA_NOFAIL, kmem_suballoc at boot) failed, so the kernel panicked. KERN_NO_SPACE (3) means the kernel \
        map had no room left: kernel address space was exhausted, usually by something that allocated \
        without bound (a leak, or a reference-count bug that keeps objects alive). KERN_RESOURCE_SHORTAGE \
        (6) means physical memory ran out.",
    next_steps: &[
        "Find what filled kernel memory: a process sending or creating kernel objects in a loop (ports, messages, IOKit objects) or a leaking driver.",
        "`zprint` and `vmmap -v kernel_task`-style tools on a running system show what grows before the next panic.",
    ],
};

pub(super) const VM_PAGE_STATE_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::VmPageStatePanic,
    name: "vm_page state check failed",
    explanation: "A sanity check on a physical page's bookkeeping (vm_page_t: which queue it is on, its \
        object, its wire count) failed. The page structures were corrupted, or a fault resolved into memory \
        the VM does not expect to page (a kernel out-of-bounds access into the compressor's or the kernel \
        object's range).",
    next_steps: &[
        "Symbolicate the backtrace: the fault or driver call that led to the page operation is the cause.",
        "A user-space program driving an IOKit call with out-of-range values (a PoC) points to a driver bounds bug.",
    ],
};

pub(super) const OUT_OF_MEMORY: ClassInfo = ClassInfo {
    id: PanicClass::OutOfMemory,
    name: "out of memory (jetsam had nothing left to kill)",
    explanation: "Memory ran out and memorystatus (jetsam) found no process it could kill to recover, or a \
        debug setting asked for a panic on jetsam. The kernel or a system process is using the memory.",
    next_steps: &[
        "Look at the memory findings and the largest processes; a kernel leak shows as a growing zone or wired memory.",
        "If the message says the panic was requested, a boot-arg or debug setting turned a jetsam kill into a panic: remove it.",
    ],
};

pub(super) const PMAP_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::PmapPanic,
    name: "pmap / page-table panic",
    explanation: "The physical map layer (pmap, PPL/SPTM on Apple silicon) found an inconsistent page table or \
        mapping: memory corruption or a hardware error.",
    next_steps: &[
        "Read the message for the physical page and the mapping; repeated on different pages means hardware.",
    ],
};

pub(super) const COMPRESSOR_EXHAUSTED: ClassInfo = ClassInfo {
    id: PanicClass::CompressorExhausted,
    name: "VM compressor / swap exhausted",
    explanation: "The VM compressor or swap ran out of room: the system was out of memory with no way to page \
        out.",
    next_steps: &[
        "Find the process that used the memory (memory footprint, leaks); free disk space for swap.",
    ],
};

pub(super) const COMPRESSOR_CORRUPTION: ClassInfo = ClassInfo {
    id: PanicClass::CompressorCorruption,
    name: "VM compressor data corruption",
    explanation: "The VM compressor found compressed memory that does not match its checksum, or its \
        segment bookkeeping inconsistent: the compressed data was overwritten in RAM or on its way to or \
        from swap. Stray kernel writes or failing RAM/storage.",
    next_steps: &[
        "Run Apple Diagnostics (memory); repeated compressor corruption on a stock system is usually hardware.",
        "Check the swap volume's disk health; third-party kexts that write physical memory are suspects too.",
    ],
};

pub(super) fn vm(f: &mut Finding, id: PanicClass, msg: &str, proc_: Option<&str>) {
    let in_proc = proc_.map(|p| format!(" in {p}")).unwrap_or_default();
    let short = shorten(msg.trim().trim_matches('"'), 100);
    f.title = match id {
        PanicClass::VmMapFailure => format!("VM map failure{in_proc}: {short}"),
        PanicClass::KmemAllocFailure => kmem(f, msg),
        PanicClass::VmPageStatePanic => format!(
            "vm_page state check failed{}: {}",
            leading_function(msg)
                .map(|f| format!(" in {f}"))
                .unwrap_or_default(),
            shorten(&after_function(msg), 100)
        ),
        PanicClass::OutOfMemory => out_of_memory(f, msg),
        PanicClass::PmapPanic => pmap(f, msg),
        PanicClass::CompressorCorruption => format!("VM compressor data corruption: {short}"),
        _ => format!("VM compressor / swap exhausted: {short}"),
    };
    if matches!(id, PanicClass::VmMapFailure | PanicClass::KmemAllocFailure) {
        return_code(f, msg);
    }
    if id == PanicClass::VmPageStatePanic && msg.contains("compressor object") {
        f.evidence.push(Evidence::fact(
            "the page belongs to the compressor object (compressed memory), which is never pageable: the fault or \
             operation reached the compressor's range, typically through an out-of-bounds kernel access",
        ));
    }
}

/// `failed with 3`, `failed unexpected with 2`, `failed unexpectedly with 3`, `failed (3)`.
fn failure_code(msg: &str) -> Option<u64> {
    [
        "failed with",
        "unexpected with",
        "unexpectedly with",
        "failed (",
    ]
    .iter()
    .find_map(|k| number_after(msg, k))
}

fn return_code(f: &mut Finding, msg: &str) {
    if let Some(code) = failure_code(msg) {
        f.evidence.push(Evidence::fact(format!(
            "return code {}",
            kern_return_described(code)
        )));
    }
}

/// `kmem_alloc(0xffffffddafeb1d80, 49152, 0xe10141): failed with 3` (vm_kern.c, xnu-8792+),
/// `kmem_suballoc(map=…, size=…) failed with 3`, `kernel_memory_allocate(size:0x8000, …)`.
fn kmem(f: &mut Finding, msg: &str) -> String {
    let call = leading_function(msg).unwrap_or("kmem_alloc");
    // The size is the second argument of kmem_alloc(map, size, flags), else named.
    let size = msg
        .split_once('(')
        .and_then(|(_, args)| args.split(',').nth(1))
        .and_then(|s| parse_number(s.trim()))
        .or_else(|| number_after(msg, "size="))
        .or_else(|| number_after(msg, "size:"));
    if let Some(n) = size {
        f.evidence.push(Evidence::fact(format!(
            "requested size: {n} bytes ({})",
            human_bytes(n)
        )));
    }
    let code = failure_code(msg);
    format!(
        "{call}{} failed{}{}",
        size.map(|n| format!(" of {n} bytes")).unwrap_or_default(),
        code.map(|c| format!(" with {}", kern_return_name(c)))
            .unwrap_or_default(),
        match code {
            Some(3) => ": kernel address space exhausted",
            Some(6) => ": out of physical memory",
            _ => "",
        }
    )
}

/// `memorystatus_jetsam_thread: no victim! available pages:123`.
fn out_of_memory(f: &mut Finding, msg: &str) -> String {
    let pages = number_after(msg, "available pages:");
    if let Some(p) = pages {
        f.evidence
            .push(Evidence::fact(format!("{p} pages were available")));
    }
    if msg.contains("requested panic") || msg.contains("debug panic") {
        return format!(
            "Panic on jetsam requested by a debug setting: {}",
            shorten(msg.trim(), 90)
        );
    }
    format!(
        "Out of memory: jetsam found no process left to kill{}",
        pages
            .map(|p| format!(" ({p} pages available)"))
            .unwrap_or_default()
    )
}

/// `pmap_mark_page_as_ppl_page_internal: page still has mappings, pa=0x851684000`.
fn pmap(f: &mut Finding, msg: &str) -> String {
    let lc = msg.to_ascii_lowercase();
    let pa = value_after(&lc, "pa=")
        .or_else(|| value_after(&lc, "pa "))
        .or_else(|| value_after(&lc, "phys "))
        .filter(|v| v.starts_with("0x"))
        .map(|v| v.trim_end_matches([',', '.']).to_string());
    if let Some(pa) = &pa {
        f.evidence
            .push(Evidence::fact(format!("physical address {pa}")));
    }
    if lc.contains("ppl") {
        f.evidence.push(Evidence::fact(
            "raised by the PPL (page protection layer), which owns the page tables on Apple silicon: it refused an operation the kernel asked for",
        ));
    } else if lc.contains("sptm") {
        f.evidence.push(Evidence::fact(
            "raised by the SPTM (secure page table monitor), which owns the page tables on newer Apple silicon",
        ));
    }
    format!(
        "pmap / page-table panic{}: {}",
        leading_function(msg)
            .map(|f| format!(" in {f}"))
            .unwrap_or_default(),
        shorten(&after_function(msg), 100)
    )
}
