//! Kernel data structures that xnu validates on use and found corrupt: wait queues, Mach IPC
//! messages and ports, linked lists, and reference counts.

use super::text::{after_function, leading_function, pointer_after, source_at, value_after};
use super::ClassInfo;
use crate::diagnose::fault;
use crate::diagnose::{shorten, Ctx, Evidence, Finding, PanicClass};

pub(super) const WAITQ_CORRUPTION: ClassInfo = ClassInfo {
    id: PanicClass::WaitqCorruption,
    name: "wait queue corruption",
    explanation: "xnu found a wait queue (waitq: what threads sleep on inside ports, semaphores, select sets, \
        kqueues) whose type or links are invalid. The object that embeds it was freed or overwritten: kernel \
        memory corruption, often an overflow from a neighbouring allocation or a use-after-free of a port.",
    next_steps: &[
        "Find the object that holds the waitq (symbolicate the backtrace: port, semaphore, kqueue…) and who freed or overwrote it.",
        "A test or exploit program in the panicked process points to an IPC or driver memory-corruption bug.",
    ],
};

pub(super) const IPC_CORRUPTION: ClassInfo = ClassInfo {
    id: PanicClass::IpcCorruption,
    name: "Mach IPC corruption (message, port or right)",
    explanation: "A Mach IPC check failed: a kernel message (ipc_kmsg) whose signature, descriptors or size \
        no longer match, a port used after it was destroyed, a right count that overflowed or was released \
        too often. The message or port was overwritten in kernel memory, or a reference was dropped twice.",
    next_steps: &[
        "Look at the panicked process and the message id/port in the panic: a process sending crafted messages (a PoC, a fuzzer) is the usual trigger.",
        "On a stock system, report it to Apple with the panic: IPC corruption is a kernel or driver memory-safety bug.",
    ],
};

pub(super) const QUEUE_CORRUPTION: ClassInfo = ClassInfo {
    id: PanicClass::QueueCorruption,
    name: "linked-list corruption (queue / TAILQ / LIST)",
    explanation: "A doubly linked list failed its link check before an insert or remove: an element's \
        next->prev or prev->next does not point back to it. The list element (or its neighbour) was freed \
        while still linked, or overwritten. The list's owner named in the message (a mount's vnode list, a \
        run queue, a driver's queue) is the victim; whoever corrupted the memory is the bug.",
    next_steps: &[
        "Find which structure holds the list (the file in the message: vfs_subr.c = vnodes of a mount, …) and who frees or writes its elements.",
        "Third-party drivers that touch the same objects (filesystems, network drivers doing DMA) are the first suspects.",
    ],
};

pub(super) const REFCOUNT_ERROR: ClassInfo = ClassInfo {
    id: PanicClass::RefcountError,
    name: "reference count overflow / underflow",
    explanation: "A reference count went wrong: released more often than retained (underflow, a release of the \
        last reference while still in use), retained after it reached zero (resurrection), or overflowed. \
        Some code drops a reference it does not own, or leaks references in a loop; the object is then \
        freed while still in use.",
    next_steps: &[
        "Symbolicate the backtrace: the retain/release caller names the object type whose references are unbalanced.",
        "An overflow means a reference leak in a loop: look for the process or driver doing the same operation repeatedly.",
    ],
};

pub(super) fn structure(ctx: &Ctx, f: &mut Finding, id: PanicClass, msg: &str) {
    let m = msg.trim().trim_matches('"');
    let at = source_at(ctx.report);
    let located = at.as_deref().map(|a| format!(" ({a})")).unwrap_or_default();
    f.title = match id {
        PanicClass::WaitqCorruption => {
            let wq = pointer_after(m, "waitq: ")
                .or_else(|| pointer_after(m, "waitq-set: "))
                .or_else(|| pointer_after(m, "wqset @"))
                .or_else(|| pointer_after(m, "waiting on "));
            if let Some(a) = wq
                .as_deref()
                .and_then(|a| u64::from_str_radix(&a[2..], 16).ok())
            {
                let k = fault::classify_pointer(a, ctx.report);
                f.evidence
                    .push(Evidence::fact(format!("waitq {a:#x}: {}", k.describe(a))));
            }
            format!(
                "Corrupt wait queue: {}{located}",
                shorten(m.split(" @").next().unwrap_or(m), 90)
            )
        }
        PanicClass::IpcCorruption => {
            if let Some(id) = value_after(m, "id=") {
                f.evidence
                    .push(Evidence::fact(format!("Mach message id {id}")));
            }
            format!(
                "Mach IPC corruption{}: {}",
                leading_function(m)
                    .map(|f| format!(" in {f}"))
                    .unwrap_or_default(),
                shorten(&after_function(m), 100)
            )
        }
        PanicClass::QueueCorruption => queue(f, m, at.as_deref()),
        _ => format!("Reference count error: {}{located}", shorten(m, 100)),
    };
}

/// `Bad tailq elm 0x… next->prev != elm @732`, `Invalid queue element linkage for 0x…: next
/// 0x… next->prev 0x… prev 0x… prev->next 0x…`, `panic: corrupt list around element 0x…`.
fn queue(f: &mut Finding, m: &str, at: Option<&str>) -> String {
    let lc = m.to_ascii_lowercase();
    let kind = if lc.contains("tailq") {
        "TAILQ"
    } else if lc.contains("circleq") {
        "CIRCLEQ"
    } else if lc.contains("list head") || lc.contains("link elm") {
        "LIST"
    } else {
        "queue"
    };
    let elm = pointer_after(m, "elm ")
        .or_else(|| pointer_after(m, "head "))
        .or_else(|| pointer_after(m, "linkage for "))
        .or_else(|| pointer_after(m, "element "));
    let link = [
        "next->prev != elm",
        "prev->next != elm",
        "first->prev != head",
    ]
    .into_iter()
    .find(|l| lc.contains(l));
    if let Some(l) = link {
        f.evidence.push(Evidence::fact(format!(
            "{l}: the neighbour does not point back, so the element or its neighbour was freed while linked or overwritten"
        )));
    }
    if let Some(a) = at {
        f.evidence
            .push(Evidence::fact(format!("the list is checked in {a}")));
        if a.starts_with("vfs_subr.c") {
            f.evidence.push(Evidence::fact(
                "vfs_subr.c walks the vnode lists of mounts (sync, vnode_iterate): a vnode or mount structure was corrupted",
            ));
        }
    }
    format!(
        "Corrupt {kind} linkage{}{}{}",
        elm.map(|e| format!(" at element {e}")).unwrap_or_default(),
        link.map(|l| format!(": {l}")).unwrap_or_default(),
        at.map(|a| format!(" ({a})")).unwrap_or_default()
    )
}
