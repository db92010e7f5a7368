//! Reading one candidate: a file into a parsed panic, or a zip archive into the panics of its
//! entries, each bounded in size; everything else into a [`SkipReason`].

use std::io::Read;
use std::path::Path;

use kpanic_report::{PanicReport, ParseError};
use serde::Serialize;

use crate::discover::Candidate;

/// The largest file read as a panic. Full panics with a stackshot of every thread run to a few
/// MB; a file hundreds of MB long is something else.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// The most entries read from one zip archive.
pub const MAX_ZIP_ENTRIES: usize = 100_000;
/// The most bytes inflated from one zip archive, all entries together.
pub const MAX_ZIP_TOTAL_BYTES: u64 = 4 << 30;
/// An entry inflating to more than this many times its compressed size (and past 1 MiB) is a
/// zip bomb: panic text compresses about 5–20 to 1.
pub const MAX_ZIP_RATIO: u64 = 200;

macro_rules! skip_reasons {
    ($( $(#[$m:meta])* $v:ident = $s:literal, )+) => {
        /// Why a file (or archive entry) was not counted as a panic.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum SkipReason { $( $(#[$m])* $v, )+ }

        impl SkipReason {
            /// Every reason, in declaration order.
            pub const ALL: &'static [SkipReason] = &[$(SkipReason::$v,)+];
            /// The stable identifier (the JSON key).
            pub fn as_str(self) -> &'static str {
                match self { $( SkipReason::$v => $s, )+ }
            }
        }
    };
}

skip_reasons! {
    /// Text (or JSON) that holds no kernel panic.
    NotAPanic = "not_a_panic",
    /// An `.ips` report of another kind: its `bug_type` is not a panic (210) or a forced reset
    /// (151): app crashes (309), hangs, jetsam events…
    OtherBugType = "other_bug_type",
    /// No bytes, or only whitespace.
    Empty = "empty",
    /// Binary data, not text: an image, a kernelcache, `.DS_Store`.
    Binary = "binary",
    /// The file could not be read.
    Unreadable = "unreadable",
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge = "too_large",
    /// A zip archive that could not be read, or was refused (a zip bomb, too many entries).
    ArchiveRefused = "archive_refused",
    /// A zip inside a zip: not opened.
    NestedArchive = "nested_archive",
    /// The same incident as a panic already counted (another copy, or the `.ips` of a `.panic`).
    Duplicate = "duplicate",
    /// Before `--since`, or without a date when `--since` was given.
    BeforeSince = "before_since",
    /// `--kext` was given and the panic does not implicate that kext.
    KextNotImplicated = "kext_not_implicated",
}

impl SkipReason {
    /// True for reasons worth naming the file in a warning: the file is damaged or refused,
    /// not simply something else.
    pub fn worth_a_warning(self) -> bool {
        matches!(
            self,
            SkipReason::Unreadable
                | SkipReason::TooLarge
                | SkipReason::ArchiveRefused
                | SkipReason::Binary
        )
    }
}

/// A file or archive entry that is not counted, with why.
#[derive(Debug)]
pub struct Skipped {
    /// The file (`archive.zip!entry` for archive entries).
    pub name: String,
    /// Why it is not counted.
    pub reason: SkipReason,
    /// The `bug_type` of an [`SkipReason::OtherBugType`] report.
    pub bug_type: Option<String>,
    /// The parser's or reader's words, for the warning.
    pub detail: String,
}

/// One thing read: a panic, or a skip.
#[derive(Debug)]
pub enum Loaded {
    /// A parsed panic and the name of its file.
    Panic(String, Box<PanicReport>),
    /// Not a panic.
    Skipped(Skipped),
}

/// Reads `c`: one result for a file, one per entry for an archive (or one skip for it).
pub fn load(c: &Candidate) -> Vec<Loaded> {
    match c {
        Candidate::File(p) => vec![load_file(p, parse_lean)],
        Candidate::Zip(p) => load_zip(p),
    }
}

fn skipped(name: String, reason: SkipReason, detail: impl Into<String>) -> Loaded {
    Loaded::Skipped(Skipped {
        name,
        reason,
        bug_type: None,
        detail: detail.into(),
    })
}

/// Extensions of files that are documents or data, never a panic log: skipped by name, as a
/// fleet folder's notes and spreadsheets are (a table that quotes panic lines would
/// otherwise read as one).
const NOT_PANIC_EXTENSIONS: &[&str] = &[
    "md", "markdown", "tsv", "csv", "html", "htm", "pdf", "png", "jpg", "jpeg", "gif", "heic",
    "plist", "rtf", "doc", "docx", "xls", "xlsx", "dmg", "pkg", "gz", "tar", "xz",
];

fn not_a_panic_by_name(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    ext.is_some_and(|e| NOT_PANIC_EXTENSIONS.contains(&e.as_str()))
}

fn load_file(path: &Path, parse: fn(String, &[u8]) -> Loaded) -> Loaded {
    let name = path.display().to_string();
    if not_a_panic_by_name(&name) {
        return skipped(
            name,
            SkipReason::NotAPanic,
            "a document or data file, by its name",
        );
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return skipped(name, SkipReason::Unreadable, e.to_string()),
    };
    // Sized once from the metadata (a read into a growing buffer copies a multi-MB panic
    // several times); `take` bounds the read even when the size changes under us (a growing
    // log).
    let size = file
        .metadata()
        .map_or(0, |m| m.len())
        .min(MAX_FILE_BYTES + 1);
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    if let Err(e) = file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
        return skipped(name, SkipReason::Unreadable, e.to_string());
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return skipped(
            name,
            SkipReason::TooLarge,
            format!("larger than {} MiB", MAX_FILE_BYTES >> 20),
        );
    }
    parse(name, &bytes)
}

/// Parses `bytes` as a panic; what the parser refuses becomes a skip with its reason. The
/// report has every field of the stackshot kpanic models but not its unknown keys (those are
/// for `parse --json`): what a page about the panic shows.
pub fn parse_bytes(name: String, bytes: &[u8]) -> Loaded {
    let opts = kpanic_report::ParseOptions {
        keep_unknown_stackshot_keys: false,
        keep_every_stackshot_field: true,
    };
    parse_with(name, bytes, &opts)
}

/// [`parse_bytes`] for triage's own reading of every file: the report has only what a
/// diagnosis reads ([`kpanic_report::ParseOptions::for_diagnosis`]; the rest of a full panic's
/// stackshot is most of its parse).
fn parse_lean(name: String, bytes: &[u8]) -> Loaded {
    parse_with(name, bytes, &kpanic_report::ParseOptions::for_diagnosis())
}

fn parse_with(name: String, bytes: &[u8], opts: &kpanic_report::ParseOptions) -> Loaded {
    match kpanic_report::parse_with(bytes, opts) {
        Ok(r) => Loaded::Panic(name, Box::new(r)),
        Err(e) => {
            let detail = e.to_string();
            let (reason, bug_type) = match e {
                ParseError::Empty => (SkipReason::Empty, None),
                ParseError::Binary { .. } => (SkipReason::Binary, None),
                ParseError::NotAPanic { .. } => (SkipReason::NotAPanic, None),
                ParseError::NotAPanicBugType { bug_type } => {
                    (SkipReason::OtherBugType, Some(bug_type))
                }
                ParseError::Io { .. } => (SkipReason::Unreadable, None),
                // `parse` itself names no file; kept for completeness.
                ParseError::InFile { .. } => (SkipReason::NotAPanic, None),
            };
            Loaded::Skipped(Skipped {
                name,
                reason,
                bug_type,
                detail,
            })
        }
    }
}

/// Reads one panic again by the name triage gave it (a bucket's example): a file, or
/// `archive.zip!entry`. For renderers that show a page per example (HTML).
pub fn reload(name: &str) -> Loaded {
    let zip_entry = name
        .to_ascii_lowercase()
        .find(".zip!")
        .map(|i| (&name[..i + 4], &name[i + 5..]));
    let Some((archive, entry)) = zip_entry else {
        return load_file(Path::new(name), parse_bytes);
    };
    let file = match std::fs::File::open(archive) {
        Ok(f) => f,
        Err(e) => return skipped(name.to_string(), SkipReason::Unreadable, e.to_string()),
    };
    let read = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| e.to_string())
        .and_then(|mut a| {
            let e = a.by_name(entry).map_err(|e| e.to_string())?;
            let mut bytes = Vec::new();
            e.take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())?;
            Ok(bytes)
        });
    match read {
        Ok(bytes) if bytes.len() as u64 <= MAX_FILE_BYTES => parse_bytes(name.to_string(), &bytes),
        Ok(_) => skipped(
            name.to_string(),
            SkipReason::TooLarge,
            "inflates past the size limit",
        ),
        Err(e) => skipped(name.to_string(), SkipReason::ArchiveRefused, e),
    }
}

fn load_zip(path: &Path) -> Vec<Loaded> {
    let name = path.display().to_string();
    let refuse = |detail: String| vec![skipped(name.clone(), SkipReason::ArchiveRefused, detail)];
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return vec![skipped(name, SkipReason::Unreadable, e.to_string())],
    };
    let mut archive = match zip::ZipArchive::new(std::io::BufReader::new(file)) {
        Ok(a) => a,
        Err(e) => return refuse(format!("not a readable zip archive: {e}")),
    };
    if archive.len() > MAX_ZIP_ENTRIES {
        return refuse(format!(
            "{} entries, more than the {MAX_ZIP_ENTRIES} kpanic reads",
            archive.len()
        ));
    }
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                out.push(skipped(
                    format!("{name}!#{i}"),
                    SkipReason::ArchiveRefused,
                    format!("entry {i} cannot be read: {e}"),
                ));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let entry_name = format!("{name}!{}", entry.name());
        // Finder's resource forks: not panics, not worth counting.
        if entry.name().starts_with("__MACOSX/") {
            continue;
        }
        if entry.name().to_ascii_lowercase().ends_with(".zip") {
            out.push(skipped(
                entry_name,
                SkipReason::NestedArchive,
                "a zip inside a zip is not opened",
            ));
            continue;
        }
        if not_a_panic_by_name(entry.name()) {
            out.push(skipped(
                entry_name,
                SkipReason::NotAPanic,
                "a document or data file, by its name",
            ));
            continue;
        }
        let (declared, compressed) = (entry.size(), entry.compressed_size().max(1));
        if declared > MAX_FILE_BYTES {
            out.push(skipped(
                entry_name,
                SkipReason::TooLarge,
                format!("inflates to {declared} bytes"),
            ));
            continue;
        }
        // The declared size is the archive's word only: the read below is bounded anyway.
        let mut bytes = Vec::new();
        let read = (&mut entry)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes);
        if let Err(e) = read {
            out.push(skipped(
                entry_name,
                SkipReason::ArchiveRefused,
                format!("cannot be inflated: {e}"),
            ));
            continue;
        }
        let n = bytes.len() as u64;
        if n > MAX_FILE_BYTES {
            out.push(skipped(
                entry_name,
                SkipReason::TooLarge,
                "inflates past the size limit",
            ));
            continue;
        }
        if n > (1 << 20) && n / compressed > MAX_ZIP_RATIO {
            return refuse(format!(
                "a zip bomb: entry {} inflates {}:1",
                entry.name(),
                n / compressed
            ));
        }
        total += n;
        if total > MAX_ZIP_TOTAL_BYTES {
            out.push(skipped(
                name.clone(),
                SkipReason::ArchiveRefused,
                format!(
                    "inflates past {} GiB: the rest of the archive is not read",
                    MAX_ZIP_TOTAL_BYTES >> 30
                ),
            ));
            break;
        }
        out.push(parse_lean(entry_name, &bytes));
    }
    out
}
