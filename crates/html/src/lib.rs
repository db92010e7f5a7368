//! HTML and Markdown reports of diagnosed kernel panics.
//!
//! - [`PanicPage`] / [`panic_page`]: one panic as a self-contained HTML page: the diagnosis,
//!   the symbolicated backtrace, and for full panics a flame graph of where every thread was
//!   (kernel stacks merged by frame, coloured by thread state) and the memory state as a chart.
//! - [`triage_report`]: a fleet's buckets ([`BucketView`]) in a sortable table, with a page per
//!   example panic, in one file.
//! - [`panic_markdown`]: one panic as Markdown for a bug tracker.
//!
//! Every report is one file that needs no network: CSS, SVG and a small script are inline (no
//! third-party code), a Content-Security-Policy forbids every fetch, and the pages read
//! without the script. Logs are untrusted: everything from them is escaped. Sizes are bounded
//! whatever the input: a stackshot of thousands of threads gives a flame graph of at most
//! [`flame::MAX_BOXES`] boxes.
#![warn(missing_docs)]

mod backtrace;
mod diagnosis;
mod document;
pub mod flame;
mod labels;
mod markdown;
mod markup;
mod memory;
mod page;
mod states;
mod threads;
mod trend;
mod triage;

pub use markdown::panic_markdown;
pub use page::{panic_page, PanicPage};
pub use states::StateKind;
pub use triage::{triage_report, write_triage_report, BucketView, TriageReport, Written};
