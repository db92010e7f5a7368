//! The diagnosis as HTML: the headline and facts, the answer (explanation, evidence, next
//! steps), the other findings, the suspects and the parser's notes.

use kpanic::diagnose::{Diagnosis, Evidence, Finding};

use crate::markup::{esc, facts_line, w};

/// The facts of the panic every reader wants first, as `(label, value)`.
pub(crate) fn facts(d: &Diagnosis) -> Vec<(&'static str, String)> {
    let p = &d.panic;
    let mut f: Vec<(&str, String)> = Vec::new();
    let conf = d
        .findings
        .first()
        .map(|f| format!(" ({} confidence)", f.confidence))
        .unwrap_or_default();
    f.push(("class", format!("{}{conf}", d.class)));
    if let Some(os) = &p.os {
        f.push(("OS", os.clone()));
    }
    if let Some(m) = &p.model {
        f.push(("model", m.clone()));
    }
    if let Some(k) = &p.kernel {
        f.push(("kernel", k.clone()));
    }
    if let Some(proc_) = &p.process {
        f.push((
            "process",
            match p.pid {
                Some(pid) => format!("{proc_} (pid {pid})"),
                None => proc_.clone(),
            },
        ));
    }
    if let Some(c) = p.cpu {
        f.push(("CPU", c.to_string()));
    }
    if let Some(c) = &p.caller_symbol {
        f.push(("caller", c.clone()));
    } else if let Some(c) = &p.caller {
        f.push(("caller", c.clone()));
    }
    f
}

/// The headline, the facts line and the panic message.
pub(crate) fn header(out: &mut String, d: &Diagnosis, file: &str) {
    w!(out, "<h1>{}</h1>\n", esc(&d.headline));
    let mut facts = facts(d);
    facts.insert(0, ("file", file.to_string()));
    facts_line(out, &facts);
    if let Some(m) = &d.panic.message {
        w!(out, "<pre class=\"message\">{}</pre>\n", esc(m));
    }
}

/// The first finding (the answer) and the symbols that would change it.
pub(crate) fn answer(out: &mut String, d: &Diagnosis) {
    out.push_str("<h2>Diagnosis</h2>\n");
    let Some(f) = d.findings.first() else {
        return;
    };
    w!(out, "<p>{}</p>\n", esc(&f.explanation));
    evidence(out, &f.evidence);
    if !f.next_steps.is_empty() {
        out.push_str("<h3>What to do</h3>\n<ol>\n");
        for s in &f.next_steps {
            w!(out, "<li>{}</li>\n", esc(s));
        }
        out.push_str("</ol>\n");
    }
    if let Some(need) = &d.symbols_needed {
        w!(
            out,
            "<p class=\"note\">Symbols would name the functions here: {}.</p>\n",
            esc(&need.advice)
        );
    }
}

/// The other findings, ranked, each folded under its title.
pub(crate) fn other_findings(out: &mut String, d: &Diagnosis) {
    if d.findings.len() < 2 {
        return;
    }
    out.push_str("<h2>Other findings</h2>\n");
    for (i, f) in d.findings.iter().enumerate().skip(1) {
        finding(out, i + 1, f);
    }
}

fn finding(out: &mut String, n: usize, f: &Finding) {
    w!(
        out,
        "<details class=\"finding\"{}><summary>{n}. {} <span class=\"badge\">{}</span> \
         <span class=\"badge conf-{}\">{} confidence</span></summary>\n<p>{}</p>\n",
        if n <= 3 { " open" } else { "" },
        esc(&f.title),
        esc(f.class.as_str()),
        f.confidence,
        f.confidence,
        esc(&f.explanation)
    );
    evidence(out, &f.evidence);
    if !f.next_steps.is_empty() {
        out.push_str("<p><b>Next:</b></p><ul>\n");
        for s in &f.next_steps {
            w!(out, "<li>{}</li>\n", esc(s));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</details>\n");
}

fn evidence(out: &mut String, ev: &[Evidence]) {
    if ev.is_empty() {
        return;
    }
    out.push_str("<ul class=\"evidence\">\n");
    for e in ev {
        match e.line {
            Some(l) => w!(
                out,
                "<li><span class=\"muted\">line {}:</span> <code>{}</code></li>\n",
                l + 1,
                esc(&e.text)
            ),
            None => w!(out, "<li>{}</li>\n", esc(&e.text)),
        }
    }
    out.push_str("</ul>\n");
}

/// The suspects, most suspicious first.
pub(crate) fn suspects(out: &mut String, d: &Diagnosis) {
    if d.suspects.is_empty() {
        return;
    }
    out.push_str(
        "<h2>Suspects</h2>\n<table class=\"suspects\"><thead><tr><th>bundle</th><th>version</th>\
         <th>what</th><th>role</th><th>where it shows</th></tr></thead><tbody>\n",
    );
    for s in &d.suspects {
        let mut where_ = kpanic::output::diagnosis::suspect_counts(s);
        where_.extend(s.seen_in.iter().map(|w| w.as_str().replace('_', " ")));
        let what = match &s.known_as {
            Some(k) => format!("{}, {} — {k}", s.origin_label(), s.category),
            None => format!("{}, {}", s.origin_label(), s.category),
        };
        w!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&s.bundle_id),
            esc(s.version.as_deref().unwrap_or("")),
            esc(&what),
            esc(s.role.as_str()),
            esc(&where_.join("; "))
        );
    }
    out.push_str("</tbody></table>\n");
}

/// What the parser found cut or malformed.
pub(crate) fn notes(out: &mut String, d: &Diagnosis) {
    for n in &d.log_warnings {
        w!(out, "<p class=\"note\">note: {}</p>\n", esc(n));
    }
}
