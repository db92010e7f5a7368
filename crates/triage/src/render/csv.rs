//! CSV, one row per panic, with the fields fleet tools (osquery's `kernel_panics`, a SIEM)
//! expect. Written with the `csv` crate: fields with commas, quotes or newlines are quoted.

use std::io::Write;

use super::RenderError;
use crate::PanicRecord;

/// The columns, in order.
pub const COLUMNS: &[&str] = &[
    "time",
    "uptime_seconds",
    "os_build",
    "model",
    "class",
    "signature",
    "suspects",
    "last_loaded_kext",
    "file",
    "incident_id",
    "headline",
];

pub(super) fn writer<W: Write>(out: W) -> csv::Writer<W> {
    let mut w = csv::WriterBuilder::new().from_writer(out);
    // The header goes out with the first row, or at the end if there is none (see `row`).
    let _ = w.write_record(COLUMNS);
    w
}

pub(super) fn row<W: Write>(w: &mut csv::Writer<W>, r: &PanicRecord) -> Result<(), RenderError> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let suspects: Vec<&str> = r.suspects.iter().map(|s| s.name.as_str()).collect();
    w.write_record([
        opt(&r.time_utc),
        r.uptime_seconds.map(|u| u.to_string()).unwrap_or_default(),
        opt(&r.os_build),
        opt(&r.model),
        r.class.as_str().to_string(),
        r.signature.text.clone(),
        suspects.join(";"),
        opt(&r.last_loaded_kext),
        r.file.clone(),
        opt(&r.incident_id),
        r.headline.clone(),
    ])?;
    w.flush()?;
    Ok(())
}
