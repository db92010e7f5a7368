//! One JSON document: `{schema_version, kpanic_version, summary, buckets, warnings}`, keys
//! sorted as in every kpanic JSON output (docs/json.md).

use std::io::Write;

use serde::Serialize;

use super::RenderError;
use crate::Triage;

/// The `kpanic triage --format json` document.
#[derive(Debug, Serialize)]
pub struct TriageDocument<'t> {
    /// The version of this document's layout (docs/json.md).
    pub schema_version: u32,
    /// The kpanic that wrote it.
    pub kpanic_version: &'static str,
    /// The triage: `summary`, `buckets`, `warnings`.
    #[serde(flatten)]
    pub triage: &'t Triage,
}

/// The document of `t`.
pub fn document(t: &Triage) -> TriageDocument<'_> {
    TriageDocument {
        schema_version: 1,
        kpanic_version: env!("CARGO_PKG_VERSION"),
        triage: t,
    }
}

/// Through a `Value`, whose maps are sorted: the keys come out in order.
pub(super) fn write(w: &mut dyn Write, t: &Triage) -> Result<(), RenderError> {
    let v = serde_json::to_value(document(t))?;
    serde_json::to_writer_pretty(&mut *w, &v)?;
    writeln!(w)?;
    Ok(())
}
