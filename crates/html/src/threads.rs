//! The threads section of a full panic: the flame graph of every thread's kernel stack, its
//! legend (threads by state) and what was left out of the drawing.

use kpanic::diagnose::Diagnosis;
use kpanic::symbolicate::Symbolication;
use kpanic_report::PanicReport;

use crate::flame::{self, MAX_DEPTH};
use crate::markup::{count, esc, things, w};
use crate::states::StateKind;

/// The section, or nothing when the panic has no stackshot.
pub(crate) fn section(
    out: &mut String,
    id: &str,
    report: &PanicReport,
    sym: &Symbolication,
    d: &Diagnosis,
) {
    let Some(flame) = flame::build(report, sym) else {
        return;
    };
    w!(out, "<h2 id=\"{id}-threads\">Where every thread was</h2>\n");
    if let Some(t) = &d.threads {
        w!(
            out,
            "<p>{} threads in {} processes: {} waiting ({} uninterruptible), {} runnable, {} idle.</p>\n",
            count(t.threads as u64),
            count(t.processes as u64),
            count(t.waiting as u64),
            count(t.uninterruptible as u64),
            count(t.runnable as u64),
            count(t.idle as u64)
        );
    }
    out.push_str(
        "<p class=\"muted\">Kernel stacks of the stackshot merged by frame, the outermost frame on \
         top; a box is as wide as the threads under it and coloured by the state most of them \
         are in. Hover (or click) a box for its counts.",
    );
    if !flame.symbolicated {
        out.push_str(" Without symbols, frames are named <code>image+offset</code>.");
    }
    out.push_str("</p>\n<div class=\"legend\">");
    for k in StateKind::ALL {
        let n = flame.by_state[k.index()];
        if n > 0 {
            w!(
                out,
                "<span><span class=\"sw {}\"></span>{} {}</span>",
                k.class(),
                esc(k.label()),
                count(n)
            );
        }
    }
    out.push_str("</div>\n");
    w!(out, "<div class=\"flame-wrap\" id=\"{id}-flame\">\n");
    let omitted = flame::svg::render(out, &flame, id);
    out.push_str("</div>\n");
    w!(
        out,
        "<p class=\"flame-detail\" id=\"{id}-detail\" aria-live=\"polite\"></p>\n"
    );
    let mut notes: Vec<String> = Vec::new();
    if flame.without_stack > 0 {
        notes.push(format!(
            "{} no kernel stack in the stackshot and {} not drawn",
            things(flame.without_stack, "thread has", "threads have"),
            if flame.without_stack == 1 {
                "is"
            } else {
                "are"
            }
        ));
    }
    if flame.cut > 0 {
        notes.push(format!(
            "{} deeper than {MAX_DEPTH} frames cut there",
            things(flame.cut, "stack", "stacks"),
        ));
    }
    if omitted.narrow > 0 {
        notes.push(format!(
            "{} too narrow to see left out",
            things(omitted.narrow, "box", "boxes")
        ));
    }
    if omitted.over_cap > 0 {
        notes.push(format!(
            "{} past the first {} left out",
            things(omitted.over_cap, "box", "boxes"),
            flame::MAX_BOXES
        ));
    }
    if !notes.is_empty() {
        w!(out, "<p class=\"muted\">{}.</p>\n", esc(&notes.join("; ")));
    }
}
