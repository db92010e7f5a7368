//! What can go wrong when asking a store.

use std::path::PathBuf;

/// Why a store could not answer. "Not there" is not an error: lookups return `None` for it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store's URL is not one kpanic understands.
    #[error("{url}: not a symbol store URL ({why}); give a folder, file://, http(s):// or s3://bucket/prefix")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// A local store folder that does not exist or cannot be read.
    #[error("{}: {why}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The system's words.
        why: String,
    },
    /// The server could not be reached, or kept failing (after the retries).
    #[error("{url}: cannot be reached ({why})")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The client's words.
        why: String,
    },
    /// The server refused the request (401, 403): the auth header is missing or wrong.
    #[error(
        "{url}: access refused (HTTP {status}); check the store's auth header in the config file"
    )]
    Refused {
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// Any other HTTP status than 200, 404 and the refusals.
    #[error("{url}: HTTP {status}")]
    Status {
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// A file larger than the download limit.
    #[error("{url}: larger than the download limit of {limit} bytes")]
    TooLarge {
        /// The URL asked.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The S3 client's error (credentials, bucket, endpoint).
    #[error("{url}: {why}")]
    ObjectStore {
        /// The store.
        url: String,
        /// The client's words.
        why: String,
    },
    /// The disk cache could not be written.
    #[error("symbol store cache {}: {why}", path.display())]
    Cache {
        /// The file or folder.
        path: PathBuf,
        /// The system's words.
        why: String,
    },
}
