//! Store URLs as users write them: a folder, `file:///path`, `http(s)://host/path`,
//! `s3://bucket/prefix`.

use std::fmt;
use std::path::PathBuf;

use crate::error::StoreError;

/// Where a store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// A local folder.
    Folder(PathBuf),
    /// An HTTP(S) server's base URL.
    Http(String),
    /// A bucket of S3-compatible object storage, and the key prefix inside it.
    S3 {
        /// The bucket.
        bucket: String,
        /// The prefix (no leading or trailing `/`; empty for the bucket's root).
        prefix: String,
    },
}

/// An HTTP header sent to a store (its value is never printed: it may be a token).
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    /// The header's name (`Authorization`).
    pub name: String,
    /// Its value.
    pub value: String,
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: <hidden>", self.name)
    }
}

impl Header {
    /// `Name: value`, as curl's `-H` takes it; `None` without a colon or a name.
    pub fn parse(line: &str) -> Option<Header> {
        let (name, value) = line.split_once(':')?;
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return None;
        }
        Some(Header {
            name: name.to_string(),
            value: value.trim().to_string(),
        })
    }
}

/// A store as given: its URL, where that is, and the headers to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSpec {
    /// The URL as given (what warnings and the negative cache name it by).
    pub url: String,
    /// Where it is.
    pub location: StoreUrl,
    /// Headers for HTTP stores (auth).
    pub headers: Vec<Header>,
}

impl StoreSpec {
    /// Reads a store URL; anything without a scheme is a folder path.
    pub fn parse(url: &str) -> Result<StoreSpec, StoreError> {
        let bad = |why: &str| StoreError::BadUrl {
            url: url.to_string(),
            why: why.to_string(),
        };
        let location = if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(bad("a file:// URL takes an absolute path, file:///path"));
            }
            StoreUrl::Folder(PathBuf::from(path))
        } else if url.starts_with("http://") || url.starts_with("https://") {
            let rest = url.split_once("://").map_or("", |(_, r)| r);
            if rest.is_empty() || rest.starts_with('/') {
                return Err(bad("no host"));
            }
            StoreUrl::Http(url.trim_end_matches('/').to_string())
        } else if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("no bucket"));
            }
            StoreUrl::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
            }
        } else if let Some((scheme, _)) = url.split_once("://") {
            return Err(bad(&format!("unknown scheme {scheme}://")));
        } else if url.is_empty() {
            return Err(bad("empty"));
        } else {
            StoreUrl::Folder(PathBuf::from(url))
        };
        Ok(StoreSpec {
            url: url.to_string(),
            location,
            headers: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let f = StoreSpec::parse("file:///srv/symbols").unwrap();
        assert_eq!(f.location, StoreUrl::Folder("/srv/symbols".into()));
        let p = StoreSpec::parse("symbols/here").unwrap();
        assert_eq!(p.location, StoreUrl::Folder("symbols/here".into()));
        let h = StoreSpec::parse("https://sym.example.com/store/").unwrap();
        assert_eq!(
            h.location,
            StoreUrl::Http("https://sym.example.com/store".into())
        );
        let s = StoreSpec::parse("s3://bucket/a/b/").unwrap();
        assert_eq!(
            s.location,
            StoreUrl::S3 {
                bucket: "bucket".into(),
                prefix: "a/b".into()
            }
        );
        let root = StoreSpec::parse("s3://bucket").unwrap();
        assert!(matches!(root.location, StoreUrl::S3 { ref prefix, .. } if prefix.is_empty()));
        for bad in ["s3://", "ftp://x/y", "file://relative", "https://", ""] {
            assert!(StoreSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_hide_their_value() {
        let h = Header::parse("Authorization: Bearer secret").unwrap();
        assert_eq!(h.name, "Authorization");
        assert_eq!(h.value, "Bearer secret");
        assert!(!format!("{h:?}").contains("secret"));
        assert!(Header::parse("no colon").is_none());
    }
}
