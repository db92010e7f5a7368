//! One panic, reduced to what triage keeps of it: the facts fleet tools ask for (time, uptime,
//! OS build, model, class, signature, suspects, last loaded kext, file) and the incident key that
//! finds a second copy of it. The report and diagnosis themselves are dropped once this is
//! made, which is what bounds memory.

use kpanic::diagnose::suspects::SuspectKind;
use kpanic::diagnose::{Diagnosis, PanicClass};
use kpanic_report::{KextEventKind, PanicReport};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::signature::Signature;
use crate::when;

/// A suspect as triage keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SuspectName {
    /// Bundle id of a kext or dext, or a process name.
    pub name: String,
    /// Not Apple's (kexts and dexts only; a process name does not say who wrote it).
    pub third_party: bool,
    /// `kext`, `dext` or `process`.
    pub kind: &'static str,
    /// How the diagnosis ties it to the panic (`faulted`, `called_panic`, `in_backtrace`, …).
    pub role: &'static str,
}

/// What triage keeps of one panic.
#[derive(Clone, Debug, Serialize)]
pub struct PanicRecord {
    /// The file (`archive.zip!entry` inside an archive).
    pub file: String,
    /// When it panicked, UTC seconds since 1970.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<u64>,
    /// The same, as RFC 3339 (`2023-04-18T06:35:06Z`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_utc: Option<String>,
    /// Seconds the machine had been up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_seconds: Option<u64>,
    /// The OS build (`24E248`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_build: Option<String>,
    /// The hardware model (`Mac14,2`, `iPhone18,2`; Intel's board id cut off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The panic class.
    pub class: PanicClass,
    /// The diagnosis's one-line headline.
    pub headline: String,
    /// The signature (its `text` is the bucket key).
    pub signature: Signature,
    /// The suspects the diagnosis implicates, third-party first (a kext merely loaded, or a
    /// bystander of a watchdog, is not one: a fleet table must not send people after them).
    pub suspects: Vec<SuspectName>,
    /// The last kext started (arm64) or loaded (Intel) before the panic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_loaded_kext: Option<String>,
    /// The `.ips` incident id, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    /// True when symbols resolved a frame.
    pub symbolicated: bool,
    /// The identity of the incident: two files with the same key are two copies of one panic.
    #[serde(skip)]
    pub incident_key: [u8; 16],
    /// Every bundle id the diagnosis implicates (for `--kext`), lower-cased.
    #[serde(skip)]
    pub implicated: Vec<String>,
}

impl PanicRecord {
    /// The record of one panic and its diagnosis.
    pub fn new(file: String, r: &PanicReport, d: &Diagnosis, signature: Signature) -> Self {
        let time = when::panic_time(r);
        let mut suspects: Vec<SuspectName> = d
            .suspects
            .iter()
            .filter(|s| s.implicated())
            .map(suspect_name)
            .collect();
        // Stable: within each origin the diagnosis's ranking stays.
        suspects.sort_by_key(|s| !s.third_party);
        let implicated = d
            .suspects
            .iter()
            .filter(|s| s.implicated() && s.kind != SuspectKind::Process)
            .map(|s| s.bundle_id.to_ascii_lowercase())
            .collect();
        let last_loaded_kext = r
            .kext_events
            .iter()
            .rev()
            .find(|e| matches!(e.kind, KextEventKind::Started | KextEventKind::Loaded))
            .map(|e| e.bundle_id.clone());
        let model = d.panic.model.as_deref().map(|m| {
            // Intel: `iMac19,2 (Mac-63001698E7A34814)`: the board id says nothing more.
            m.split(" (").next().unwrap_or(m).trim().to_string()
        });
        let incident_id = r.ips.as_ref().and_then(|i| {
            i.header
                .incident_id
                .clone()
                .or_else(|| i.body.incident.clone())
        });
        PanicRecord {
            file,
            time,
            time_utc: time.map(when::rfc3339),
            uptime_seconds: when::uptime_seconds(r),
            os_build: os_build(r),
            model,
            class: d.class,
            headline: d.headline.clone(),
            incident_key: incident_key(r, incident_id.as_deref(), time),
            signature,
            suspects,
            last_loaded_kext,
            incident_id,
            symbolicated: d.symbolicated,
            implicated,
        }
    }

    /// True when the diagnosis implicates `bundle_id` (case-insensitive): a suspect with a
    /// role that implicates, not merely loaded.
    pub fn implicates(&self, bundle_id: &str) -> bool {
        let b = bundle_id.to_ascii_lowercase();
        self.implicated.contains(&b)
    }
}

/// The OS build: the `.ips` body's `build`, the header's `os_version`, or the text's `OS
/// version`, as the build number alone (`iPhone OS 14.7.1 (18G82)` → `18G82`).
pub fn os_build(r: &PanicReport) -> Option<String> {
    let raw = r
        .ips
        .as_ref()
        .and_then(|i| i.body.build.clone().or_else(|| i.header.os_version.clone()))
        .or_else(|| r.system.os_build.clone())?;
    let raw = raw.trim();
    let build = match (raw.rfind('('), raw.ends_with(')')) {
        (Some(open), true) => &raw[open + 1..raw.len() - 1],
        _ => raw,
    };
    (!build.is_empty()).then(|| build.to_string())
}

fn suspect_name(s: &kpanic::diagnose::Suspect) -> SuspectName {
    SuspectName {
        name: s.bundle_id.clone(),
        third_party: s.third_party,
        kind: s.kind.as_str(),
        role: s.role.as_str(),
    }
}

/// The identity of an incident: the panic's own fingerprint, with the `.ips` incident id (else
/// the panic time) when the log has no boot session or mach time. The fingerprint is always
/// part of it: a file rewritten from another (a test scenario, a redacted copy) keeps the id
/// but is another panic. The fingerprint
/// reads the parsed facts, not the bytes, so a paste with other whitespace or a text copy of
/// an `.ips` is the same incident: the panic message, the caller, every backtrace address, the
/// panicked thread, `mach_absolute_time`, the uptime and the boot session.
fn incident_key(r: &PanicReport, incident_id: Option<&str>, time: Option<u64>) -> [u8; 16] {
    let mut h = Sha256::new();
    let mut put = |tag: &str, v: &[u8]| {
        h.update(tag.as_bytes());
        h.update((v.len() as u64).to_le_bytes());
        h.update(v);
    };
    // A boot panics once, and `mach_absolute_time` is the tick it did: with either, the
    // fingerprint alone is the incident, and the text copy of an `.ips` (no incident id) is
    // found to be the same. Without them, the id or the time must tell two fragments apart.
    let strong = r.system.boot_session_uuid.is_some() || r.system.mach_absolute_time.is_some();
    if !strong {
        if let Some(id) = incident_id {
            put("id", id.to_ascii_uppercase().as_bytes());
        } else if let Some(t) = time {
            put("time", &t.to_le_bytes());
        }
    }
    if let Some(p) = &r.panic {
        put("msg", p.message.trim().as_bytes());
        if let Some(c) = p.caller {
            put("caller", &c.get().to_le_bytes());
        }
    }
    for f in r.backtrace.iter().flat_map(|b| &b.frames) {
        put("lr", &f.address.get().to_le_bytes());
    }
    if let Some(tid) = r.panicked_thread.as_ref().and_then(|t| t.tid) {
        put("tid", &tid.to_le_bytes());
    }
    if let Some(m) = r.system.mach_absolute_time {
        put("mat", &m.get().to_le_bytes());
    }
    if let Some(u) = r.system.uptime_ns {
        put("up", &u.to_le_bytes());
    }
    if let Some(b) = r.system.boot_session_uuid {
        put("boot", b.to_string().as_bytes());
    }
    if r.panic.is_none() {
        // Nothing parsed to tell two copies apart: the text itself.
        put("text", r.panic_text.trim().as_bytes());
    }
    let digest = h.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}
