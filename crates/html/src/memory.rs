//! The memory state as a chart: one bar of every page the VM counts (wired, active, inactive,
//! speculative, throttled, compressor, free: they add up to the total), and under it the
//! file-backed and purgeable pages, which overlap those, on the same scale.

use kpanic::diagnose::human_bytes;
use kpanic::diagnose::memory::PageKind;
use kpanic::diagnose::MemoryState;

use crate::markup::{esc, w};

/// The kinds that add up to the total, in the order the bar draws them.
const PARTS: [PageKind; 7] = [
    PageKind::Wired,
    PageKind::Active,
    PageKind::Inactive,
    PageKind::Speculative,
    PageKind::Throttled,
    PageKind::Compressor,
    PageKind::Free,
];
/// The kinds that overlap the others, drawn as bars of their own.
const OVERLAPPING: [PageKind; 2] = [PageKind::FileBacked, PageKind::Purgeable];

const WIDTH: f64 = 900.0;
const LABEL: f64 = 130.0;
const BAR: f64 = 26.0;

/// The memory section: the chart, a table of the figures, and what the log says beside them.
pub(crate) fn section(out: &mut String, m: &MemoryState) {
    let total = m.bytes.get(&PageKind::Total).copied().unwrap_or_else(|| {
        PARTS
            .iter()
            .filter_map(|k| m.bytes.get(k))
            .fold(0u64, |a, b| a.saturating_add(*b))
    });
    if total > 0 {
        chart(out, m, total);
        table(out, m, total);
    } else {
        out.push_str("<p class=\"muted\">The log gives no page counts.</p>\n");
    }
    let mut lines: Vec<String> = Vec::new();
    lines.push(format!(
        "page size {} ({})",
        human_bytes(m.page_size),
        if m.page_size_source.as_str() == "log" {
            "from the log"
        } else {
            "default for the architecture"
        }
    ));
    if let Some(fp) = m.free_percent {
        lines.push(format!("free {fp:.2}% of memory"));
    }
    if let Some(p) = m.memory_pressure {
        lines.push(format!("memory pressure: {}", if p { "yes" } else { "no" }));
    }
    if let Some(wanted) = m.pages_wanted {
        lines.push(format!("pages wanted: {wanted}"));
    }
    if m.compressor_pages_limit_percent.is_some() || m.swap_space.is_some() {
        lines.push(kpanic::output::diagnosis::compressor_line(m));
    }
    if !m.flags.is_empty() {
        let flags: Vec<&str> = m.flags.iter().map(|f| f.as_str()).collect();
        lines.push(format!("flags: {}", flags.join(", ")));
    }
    if !m.top_resident.is_empty() {
        let top: Vec<String> = m
            .top_resident
            .iter()
            .map(|p| {
                format!(
                    "{} ({}) {}",
                    p.name,
                    p.pid,
                    p.resident_bytes.map(human_bytes).unwrap_or_default()
                )
            })
            .collect();
        lines.push(format!("largest resident processes: {}", top.join(", ")));
    }
    out.push_str("<ul>\n");
    for l in lines {
        w!(out, "<li>{}</li>\n", esc(&l));
    }
    for imp in &m.impossible {
        w!(out, "<li class=\"note\">{}</li>\n", esc(imp));
    }
    out.push_str("</ul>\n");
}

fn chart(out: &mut String, m: &MemoryState, total: u64) {
    let rows = 1 + OVERLAPPING
        .iter()
        .filter(|k| m.bytes.contains_key(k))
        .count();
    let height = rows as f64 * (BAR + 10.0) + 4.0;
    let span = WIDTH - LABEL - 10.0;
    let scale = span / total as f64;
    w!(
        out,
        "<svg class=\"memory\" role=\"img\" aria-label=\"Memory by kind\" \
         xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\">\n"
    );
    w!(
        out,
        "<text class=\"lbl\" x=\"0\" y=\"{:.1}\">total {}</text>\n",
        BAR - 8.0,
        esc(&human_bytes(total))
    );
    let mut x = LABEL;
    for k in PARTS {
        let Some(&b) = m.bytes.get(&k) else { continue };
        let width = b as f64 * scale;
        if width <= 0.0 {
            continue;
        }
        bar(out, k, b, total, x, 0.0, width);
        x += width;
    }
    let mut y = BAR + 10.0;
    for k in OVERLAPPING {
        let Some(&b) = m.bytes.get(&k) else { continue };
        w!(
            out,
            "<text class=\"lbl\" x=\"0\" y=\"{:.1}\">{}</text>\n",
            y + BAR - 8.0,
            esc(&k.as_str().replace('_', "-"))
        );
        bar(out, k, b, total, LABEL, y, (b as f64 * scale).min(span));
        y += BAR + 10.0;
    }
    out.push_str("</svg>\n");
}

fn bar(out: &mut String, k: PageKind, bytes: u64, total: u64, x: f64, y: f64, width: f64) {
    let pct = bytes as f64 * 100.0 / total as f64;
    w!(
        out,
        "<g><title>{}: {} ({pct:.1}%)</title><rect class=\"m-{}\" x=\"{x:.1}\" y=\"{y:.1}\" \
         width=\"{:.1}\" height=\"{BAR}\"/>",
        k.as_str().replace('_', "-"),
        esc(&human_bytes(bytes)),
        k.as_str(),
        width.max(0.5)
    );
    if width > 60.0 {
        w!(
            out,
            "<text class=\"lbl\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 4.0,
            y + BAR - 8.0,
            esc(&format!("{} {pct:.0}%", k.as_str().replace('_', "-")))
        );
    }
    out.push_str("</g>\n");
}

fn table(out: &mut String, m: &MemoryState, total: u64) {
    out.push_str(
        "<table class=\"mem\"><thead><tr><th>kind</th><th class=\"num\">pages</th>\
         <th class=\"num\">bytes</th><th class=\"num\">of total</th></tr></thead><tbody>\n",
    );
    for k in PARTS.iter().chain(&OVERLAPPING).chain([&PageKind::Total]) {
        let Some(&b) = m.bytes.get(k) else { continue };
        w!(
            out,
            "<tr><td><span class=\"sw m-{}\"></span>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}%</td></tr>\n",
            k.as_str(),
            k.as_str().replace('_', "-"),
            m.pages.get(k).copied().unwrap_or(0),
            esc(&human_bytes(b)),
            b as f64 * 100.0 / total as f64
        );
    }
    out.push_str("</tbody></table>\n");
}
