//! The triage report: one self-contained file with a fleet's buckets in a sortable table and
//! a page per example panic, shown one at a time by its `#anchor` (CSS `:target`, no script).
//!
//! The input is plain data ([`BucketView`], [`PanicPage`]) so that any grouping engine can
//! be mapped onto it.

use std::collections::{HashMap, HashSet};
use std::io;

use crate::document::{document_head, document_tail};
use crate::markup::{count, esc, facts_line, slug, things, w};
use crate::page::PanicPage;
use crate::trend::sparkline;

/// One bucket of panics that share a signature, as the report shows it.
#[derive(Clone, Debug, Default)]
pub struct BucketView {
    /// The grouping signature (shown as is).
    pub signature: String,
    /// The panic class shared by the bucket.
    pub class: String,
    /// The headline diagnosis of the bucket.
    pub headline: String,
    /// How many panics fell in it.
    pub count: u64,
    /// When the first was seen (ISO 8601 text, so that it sorts), when known.
    pub first_seen: Option<String>,
    /// When the last was seen, when known.
    pub last_seen: Option<String>,
    /// OS builds and how many of the bucket's panics ran each, most first.
    pub os_builds: Vec<(String, u64)>,
    /// Hardware models and how many panics each, most first.
    pub models: Vec<(String, u64)>,
    /// Kexts, dexts or processes to suspect, most suspicious first.
    pub suspects: Vec<String>,
    /// Panics per day: `(YYYY-MM-DD, count)`; missing days count as zero.
    pub trend: Vec<(String, u64)>,
    /// Ids of example panics ([`PanicPage::id`]); those with a page in the report are linked.
    pub examples: Vec<String>,
}

/// What a triage report shows.
#[derive(Clone, Copy, Debug)]
pub struct TriageReport<'a> {
    /// The report's title.
    pub title: &'a str,
    /// Facts of the run shown under the title (`("panics", "1234")`, `("skipped", "5")`, …).
    pub facts: &'a [(String, String)],
    /// The buckets, in the order to show them (the table can be re-sorted in the browser).
    pub buckets: &'a [BucketView],
    /// Rendered example panics.
    pub pages: &'a [PanicPage],
    /// At most this many pages go into the file; the report says how many were left out.
    pub max_pages: usize,
}

/// What went into a written report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    /// Panic pages in the file.
    pub pages: usize,
    /// Pages given but left out by [`TriageReport::max_pages`].
    pub pages_left_out: usize,
}

/// The report as one HTML document, and what went into it.
pub fn triage_report(r: &TriageReport) -> (String, Written) {
    let pages = chosen_pages(r);
    let written = Written {
        pages: pages.len(),
        pages_left_out: r.pages.len() - pages.len(),
    };
    let mut out = String::new();
    document_head(&mut out, r.title);
    w!(
        &mut out,
        "<nav class=\"top\"><a href=\"#\">{}</a></nav>\n<main>\n<section id=\"overview\">\n<h1>{}</h1>\n",
        esc(r.title),
        esc(r.title)
    );
    let facts: Vec<(&str, String)> = r
        .facts
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    facts_line(&mut out, &facts);
    let linked: HashSet<&str> = pages.iter().map(|p| p.id()).collect();
    if !r.buckets.is_empty() {
        bucket_table(&mut out, r.buckets, &linked);
    }
    contents(&mut out, &pages, written.pages_left_out);
    out.push_str("</section>\n");
    for p in &pages {
        w!(
            &mut out,
            "<section class=\"page\" id=\"{}\">\n<p><a href=\"#\">← back to the list</a></p>\n",
            p.id()
        );
        out.push_str(p.body());
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n");
    document_tail(&mut out);
    (out, written)
}

/// Writes the report to `w`; see [`triage_report`].
pub fn write_triage_report(w: &mut impl io::Write, r: &TriageReport) -> io::Result<Written> {
    let (html, written) = triage_report(r);
    w.write_all(html.as_bytes())?;
    Ok(written)
}

/// The pages that go in: each bucket's first example in bucket order, then their second
/// examples, and so on, then pages no bucket names; at most `max_pages`, each once.
fn chosen_pages<'a>(r: &TriageReport<'a>) -> Vec<&'a PanicPage> {
    let mut chosen: Vec<&PanicPage> = Vec::new();
    let mut taken: HashSet<&str> = HashSet::new();
    let index: HashMap<&str, &PanicPage> = r.pages.iter().map(|p| (p.id(), p)).collect();
    let by_id = |id: &str| index.get(slug(id).as_str()).copied();
    let rounds = r
        .buckets
        .iter()
        .map(|b| b.examples.len())
        .max()
        .unwrap_or(0);
    for round in 0..rounds {
        for b in r.buckets {
            if chosen.len() >= r.max_pages {
                return chosen;
            }
            if let Some(p) = b.examples.get(round).and_then(|id| by_id(id)) {
                if taken.insert(p.id()) {
                    chosen.push(p);
                }
            }
        }
    }
    for p in r.pages {
        if chosen.len() >= r.max_pages {
            break;
        }
        if taken.insert(p.id()) {
            chosen.push(p);
        }
    }
    chosen
}

fn bucket_table(out: &mut String, buckets: &[BucketView], linked: &HashSet<&str>) {
    out.push_str(
        "<h2>Buckets</h2>\n<div class=\"table-wrap\"><table class=\"sortable buckets\"><thead><tr>\
         <th class=\"num\" data-sort=\"num\">count</th><th data-sort=\"text\">class</th>\
         <th data-sort=\"text\">headline</th><th data-sort=\"text\">first seen</th>\
         <th data-sort=\"text\">last seen</th><th data-sort=\"num\">OS builds</th>\
         <th data-sort=\"num\">models</th><th data-sort=\"text\">suspects</th>\
         <th>trend</th><th>examples</th></tr></thead><tbody>\n",
    );
    for b in buckets {
        w!(
            out,
            "<tr><td class=\"num\" data-v=\"{}\">{}</td><td>{}</td><td>{}<br><code class=\"muted\">{}</code></td>\
             <td class=\"date\">{}</td><td class=\"date\">{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td><td>{}</td><td>",
            b.count,
            count(b.count),
            esc(&b.class),
            esc(&b.headline),
            esc(&b.signature),
            esc(b.first_seen.as_deref().unwrap_or("")),
            esc(b.last_seen.as_deref().unwrap_or("")),
            b.os_builds.len(),
            tally(&b.os_builds),
            b.models.len(),
            tally(&b.models),
            esc(&b.suspects.join(", ")),
        );
        sparkline(out, &b.trend);
        out.push_str("</td><td>");
        for (i, e) in b.examples.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let id = slug(e);
            if linked.contains(id.as_str()) {
                w!(out, "<a href=\"#{id}\">{}</a>", esc(e));
            } else {
                out.push_str(&esc(e));
            }
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

/// `23.5A5312a ×40, 23.4 ×2`, escaped; at most 4 entries, then how many more.
fn tally(items: &[(String, u64)]) -> String {
    let mut parts: Vec<String> = items
        .iter()
        .take(4)
        .map(|(k, n)| format!("<span class=\"tally\">{} ×{}</span>", esc(k), count(*n)))
        .collect();
    if items.len() > 4 {
        parts.push(format!("+{} more", items.len() - 4));
    }
    parts.join("<br>")
}

fn contents(out: &mut String, pages: &[&PanicPage], left_out: usize) {
    if pages.is_empty() && left_out == 0 {
        return;
    }
    out.push_str(
        "<h2>Panics</h2>\n<table class=\"sortable panics\"><thead><tr><th data-sort=\"text\">file</th>\
         <th data-sort=\"text\">class</th><th data-sort=\"text\">headline</th></tr></thead><tbody>\n",
    );
    for p in pages {
        w!(
            out,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td></tr>\n",
            p.id(),
            esc(p.file()),
            esc(p.class()),
            esc(p.headline())
        );
    }
    out.push_str("</tbody></table>\n");
    if left_out > 0 {
        w!(
            out,
            "<p class=\"note\">{} left out of this file (the report keeps at most {}).</p>\n",
            things(left_out as u64, "more panic page", "more panic pages"),
            count(pages.len() as u64)
        );
    }
}
