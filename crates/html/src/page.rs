//! One panic as a page: [`PanicPage`] holds its rendered body, [`panic_page`] makes it a
//! document of its own, and the triage report puts many in one file.

use kpanic::diagnose::Diagnosis;
use kpanic::symbolicate::Symbolication;
use kpanic_report::PanicReport;

use crate::document::document;
use crate::markup::{slug, w};
use crate::{backtrace, diagnosis, memory, threads};

/// One panic, rendered: the headline and facts, the diagnosis, the symbolicated backtrace,
/// and for full panics the picture of every thread and the memory chart.
///
/// Made once from the report and dropped with it: the page keeps only its HTML, so a
/// caller can render many panics without keeping their reports.
#[derive(Clone, Debug)]
pub struct PanicPage {
    id: String,
    file: String,
    class: String,
    headline: String,
    body: String,
}

impl PanicPage {
    /// Renders `report` (read from `file`) with its diagnosis `d`. `sym` is the symbolication
    /// the diagnosis was made with; without it, the page places every frame in its image
    /// (`image+offset`) from the log alone. `id` names the page in a report's URL fragments
    /// (`#id`); characters other than ASCII letters, digits, `-` and `_` become `-`.
    pub fn new(
        id: &str,
        file: &str,
        report: &PanicReport,
        sym: Option<&Symbolication>,
        d: &Diagnosis,
    ) -> PanicPage {
        let sym = crate::backtrace::or_placed(report, sym);
        let sym = &*sym;
        let id = slug(id);
        let mut body = String::new();
        diagnosis::header(&mut body, d, file);
        diagnosis::answer(&mut body, d);
        threads::section(&mut body, &id, report, sym, d);
        if let Some(m) = &d.memory {
            w!(&mut body, "<h2 id=\"{id}-memory\">Memory</h2>\n");
            memory::section(&mut body, m);
        }
        backtrace::section(&mut body, sym);
        diagnosis::other_findings(&mut body, d);
        diagnosis::suspects(&mut body, d);
        diagnosis::notes(&mut body, d);
        PanicPage {
            id,
            file: file.to_string(),
            class: d.class.as_str().to_string(),
            headline: d.headline.clone(),
            body,
        }
    }

    /// The page's id, as used in URL fragments (`#id`) and element ids.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The file the panic was read from, as given.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The panic class (`docs/diagnose.md`).
    pub fn class(&self) -> &str {
        &self.class
    }

    /// The diagnosis headline.
    pub fn headline(&self) -> &str {
        &self.headline
    }

    /// The page's HTML, without the document around it (for a report of many panics).
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// `page` as a complete, self-contained HTML document: no network, inline CSS, SVG and a small
/// script the page reads without.
pub fn panic_page(page: &PanicPage) -> String {
    let mut body = String::with_capacity(page.body.len() + 64);
    w!(&mut body, "<main id=\"{}\">\n", page.id);
    body.push_str(&page.body);
    body.push_str("</main>\n");
    document(&format!("{} — {}", page.headline, page.file), &body)
}
