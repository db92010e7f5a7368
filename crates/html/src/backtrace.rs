//! The symbolicated backtrace of the panicked thread: for every frame its function (with the
//! calls inlined into it, innermost first), file:line, image+offset, and why it is unresolved
//! when it is; then which images had symbols and whether the thread runs through the panic
//! path.

use kpanic::symbolicate::{PanicPathResult, Symbolication};
use kpanic::Frame;

use crate::labels::{address, file_line, image_offset, inlined, unresolved_reason};
use crate::markup::{esc, w};

/// The frames the backtrace section shows: the panic's backtrace, or for a full panic without
/// one the panicked thread's kernel frames from the stackshot.
pub(crate) fn panicked_frames(sym: &Symbolication) -> &[Frame] {
    if !sym.backtrace.is_empty() {
        return &sym.backtrace;
    }
    sym.threads
        .iter()
        .find(|t| t.panicked)
        .map_or(&[], |t| &t.kernel_frames[..])
}

/// The backtrace section.
pub(crate) fn section(out: &mut String, sym: &Symbolication) {
    out.push_str("<h2>Backtrace</h2>\n");
    let frames = panicked_frames(sym);
    let mut rows: Vec<(String, &Frame)> = Vec::new();
    if let Some(c) = &sym.caller {
        rows.push(("caller".into(), c));
    }
    for r in &sym.registers {
        rows.push((r.name.as_str().into(), &r.frame));
    }
    rows.extend(frames.iter().enumerate().map(|(i, f)| (i.to_string(), f)));
    if rows.is_empty() {
        out.push_str("<p class=\"muted\">The log has no backtrace.</p>\n");
    } else {
        table(out, &rows);
    }
    summary(out, sym);
}

fn table(out: &mut String, rows: &[(String, &Frame)]) {
    out.push_str(
        "<table class=\"bt\"><thead><tr><th>#</th><th>address</th><th>function</th>\
         <th>file:line</th><th>image+offset</th></tr></thead><tbody>\n",
    );
    for (label, f) in rows {
        let resolved = f.is_resolved();
        let func = match f.function() {
            Some(func) => {
                let off = f
                    .symbol_frames()
                    .last()
                    .and_then(|s| s.symbol_offset)
                    .map(|o| format!(" + {o:#x}"))
                    .unwrap_or_default();
                esc(&format!("{func}{off}"))
            }
            None if resolved => "??".into(),
            None => format!(
                "?? <span class=\"why\">{}</span>",
                esc(&unresolved_reason(f).unwrap_or_else(|| "unresolved".into()))
            ),
        };
        let place = image_offset(f)
            .or_else(|| f.image.clone())
            .unwrap_or_default();
        let stack = match f.frame {
            Some([i, o]) => format!(" <span class=\"muted\">[{i}, {o:#x}]</span>"),
            None => String::new(),
        };
        w!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td class=\"fn\">{func}</td><td>{}</td><td>{}{stack}</td></tr>\n",
            if resolved { "res" } else { "unres" },
            esc(label),
            esc(&address(f)),
            esc(&file_line_outer(f).unwrap_or_default()),
            esc(&place),
        );
        for (func, loc) in inlined(f) {
            w!(
                out,
                "<tr class=\"inline\"><td></td><td></td><td class=\"inl\">inlined {}</td><td>{}</td><td></td></tr>\n",
                esc(&func),
                esc(loc.as_deref().unwrap_or(""))
            );
        }
        if let Some(c) = &f.caveat {
            w!(
                out,
                "<tr class=\"inline\"><td></td><td></td><td class=\"why\" colspan=\"3\">uncertain: {}</td></tr>\n",
                esc(&c.to_string())
            );
        }
    }
    out.push_str("</tbody></table>\n");
}

/// file:line of the function that owns the address (the outermost symbol); the inlined rows
/// carry their own.
fn file_line_outer(f: &Frame) -> Option<String> {
    let s = f.symbol_frames();
    if s.len() <= 1 {
        return file_line(f);
    }
    let outer = s.last()?;
    let file = outer.file.as_deref()?;
    let base = file.rsplit('/').next().unwrap_or(file);
    Some(match outer.line {
        Some(l) => format!("{base}:{l}"),
        None => base.to_string(),
    })
}

fn summary(out: &mut String, sym: &Symbolication) {
    let s = &sym.summary;
    let check = match s.panic_path.result {
        PanicPathResult::Passed => format!(
            "the panicked thread runs through the panic path ({})",
            s.panic_path.matched.join(", ")
        ),
        PanicPathResult::Failed => {
            "resolved frames, none on the panic path: suspect the symbols or the mapping".into()
        }
        PanicPathResult::NotChecked => "panic path not checked (no kernel symbols)".into(),
    };
    w!(
        out,
        "<p class=\"muted\">{} of {} frames resolved; {}.</p>\n",
        s.resolved,
        s.frames,
        esc(&check)
    );
    if !sym.images.is_empty() {
        out.push_str(
            "<details><summary>Images</summary><table><thead><tr><th>image</th><th>UUID</th>\
             <th class=\"num\">frames</th><th>symbols</th></tr></thead><tbody>\n",
        );
        for m in &sym.images {
            let symbols = match &m.symbols {
                Ok(f) => f.path.display().to_string(),
                Err(u) => u.to_string(),
            };
            w!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                esc(&m.image),
                m.uuid.map(|u| u.to_string()).unwrap_or_default(),
                m.frames,
                esc(&symbols)
            );
        }
        out.push_str("</tbody></table></details>\n");
    }
    for warning in &sym.warnings {
        w!(out, "<p class=\"note\">warning: {}</p>\n", esc(warning));
    }
}

/// `sym`, or without one the panic placed from the log alone (every frame in its image at
/// `image+offset`, no names): pages and Markdown show the same frames either way.
pub(crate) fn or_placed<'a>(
    report: &kpanic_report::PanicReport,
    sym: Option<&'a kpanic::symbolicate::Symbolication>,
) -> std::borrow::Cow<'a, kpanic::symbolicate::Symbolication> {
    match sym {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(kpanic::symbolicate(
            report,
            &kpanic::SymbolLibrary::new(&kpanic::SymbolOptions::default()),
        )),
    }
}
