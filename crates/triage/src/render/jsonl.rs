//! JSON Lines: one compact object per line, each with a `type`. First a `panic` line per panic
//! as it is counted (in file order), then a `bucket` line per bucket (most panics first), then
//! one `summary` line. A consumer that wants only buckets filters on `type`; one that reads a
//! stream sees panics before the run ends.

use std::io::Write;

use serde::Serialize;

use super::RenderError;
use crate::{PanicRecord, Triage};

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema_version: u32,
    #[serde(flatten)]
    value: &'a T,
}

fn line<T: Serialize>(w: &mut dyn Write, kind: &'static str, value: &T) -> Result<(), RenderError> {
    let v = serde_json::to_value(Line {
        kind,
        schema_version: 1,
        value,
    })?;
    serde_json::to_writer(&mut *w, &v)?;
    writeln!(w)?;
    Ok(())
}

pub(super) fn panic(w: &mut dyn Write, r: &PanicRecord) -> Result<(), RenderError> {
    line(w, "panic", r)?;
    w.flush()?;
    Ok(())
}

pub(super) fn finish(w: &mut dyn Write, t: &Triage) -> Result<(), RenderError> {
    for b in &t.buckets {
        line(w, "bucket", b)?;
    }
    #[derive(Serialize)]
    struct Tail<'a> {
        kpanic_version: &'static str,
        #[serde(flatten)]
        summary: &'a crate::Summary,
        warnings: &'a [String],
    }
    line(
        w,
        "summary",
        &Tail {
            kpanic_version: env!("CARGO_PKG_VERSION"),
            summary: &t.summary,
            warnings: &t.warnings,
        },
    )
}
