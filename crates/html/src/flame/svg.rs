//! The flame graph as inline SVG: boxes placed here, tooltips as SVG `<title>` (no script
//! needed), labels cut to fit their box.

use std::collections::VecDeque;

use super::{Flame, Node, MAX_BOXES, MIN_BOX_PX};
use crate::markup::{count, esc, w};
use crate::states::StateKind;

/// The width of the drawing, in SVG pixels (it scales to the page).
pub(crate) const WIDTH: f64 = 1200.0;
const ROW: f64 = 18.0;
/// Average width of a label character at 11 px, to cut labels to their box.
const CHAR_PX: f64 = 6.4;

/// What was left out of the drawing.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Omitted {
    /// Boxes too narrow to draw (with everything under them).
    pub narrow: u64,
    /// Boxes past [`MAX_BOXES`].
    pub over_cap: u64,
}

/// The `<svg>` of `flame`; `id` makes its element ids unique in the document.
pub(crate) fn render(out: &mut String, flame: &Flame, id: &str) -> Omitted {
    let total = flame.root.count.max(1) as f64;
    let scale = WIDTH / total;
    // Breadth first, so that a cap on the number of boxes cuts the deepest, not a whole side.
    let mut queue: VecDeque<(&Node, f64, usize)> = VecDeque::new();
    queue.push_back((&flame.root, 0.0, 0));
    let mut boxes = String::new();
    let mut drawn = 0usize;
    let mut depth = 0usize;
    let mut omitted = Omitted::default();
    while let Some((node, x, level)) = queue.pop_front() {
        if drawn >= MAX_BOXES {
            omitted.over_cap += 1;
            continue;
        }
        drawn += 1;
        depth = depth.max(level + 1);
        draw(
            &mut boxes,
            node,
            x,
            level,
            node.count as f64 * scale,
            flame.root.count,
        );
        let mut cx = x;
        for c in &node.children {
            let width = c.count as f64 * scale;
            if width < MIN_BOX_PX {
                omitted.narrow += 1;
            } else {
                queue.push_back((c, cx, level + 1));
            }
            cx += width;
        }
    }
    let height = depth as f64 * ROW + 2.0;
    w!(
        out,
        "<svg class=\"flame\" id=\"{id}-svg\" data-detail=\"{id}-detail\" role=\"img\" \
         aria-label=\"Kernel stacks of every thread, merged\" xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\">\n"
    );
    out.push_str(&boxes);
    out.push_str("</svg>\n");
    omitted
}

fn draw(out: &mut String, n: &Node, x: f64, level: usize, width: f64, total: u64) {
    let y = level as f64 * ROW;
    let class = if level == 0 {
        "s-root"
    } else {
        n.dominant().class()
    };
    let mut states: Vec<String> = StateKind::ALL
        .iter()
        .filter(|k| n.by_state[k.index()] > 0)
        .map(|k| format!("{} {}", count(n.by_state[k.index()]), k.label()))
        .collect();
    if states.is_empty() {
        states.push("no threads".into());
    }
    let pct = n.count as f64 * 100.0 / total.max(1) as f64;
    w!(
        out,
        "<g class=\"node\"><title>{}\n{} thread{} ({pct:.1}%): {}</title>\
         <rect class=\"fl {class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
        esc(&n.detail),
        count(n.count),
        if n.count == 1 { "" } else { "s" },
        states.join(", "),
        (width - 0.5).max(0.5),
        ROW - 1.0,
    );
    let fit = ((width - 6.0) / CHAR_PX).floor();
    if fit >= 3.0 {
        let fit = fit as usize;
        let chars = n.short.chars().count();
        let text: String = if chars <= fit {
            n.short.clone()
        } else {
            n.short.chars().take(fit - 1).chain(['…']).collect()
        };
        w!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 3.0,
            y + ROW - 5.0,
            esc(&text)
        );
    }
    out.push_str("</g>\n");
}
