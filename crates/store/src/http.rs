//! An HTTP(S) symbol server serving one of the [`crate::Layout`]s below a base URL.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::time::Duration;

use crate::cache::cache_error;
use crate::error::StoreError;
use crate::{Header, StoreOptions};

/// A symbol server.
pub struct HttpStore {
    base: String,
    agent: ureq::Agent,
    headers: Vec<Header>,
    retries: u32,
    max_download: u64,
}

impl std::fmt::Debug for HttpStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No headers: they may carry a token.
        f.debug_struct("HttpStore")
            .field("base", &self.base)
            .finish()
    }
}

impl HttpStore {
    /// A server at `base` (`http://` or `https://`), asked with `headers` on every request.
    pub fn new(base: &str, headers: Vec<Header>, opts: &StoreOptions) -> HttpStore {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_recv_response(Some(opts.timeout))
            // Between two reads of the body: a stalled transfer ends, a slow large one does not.
            .timeout_recv_body(Some(opts.download_timeout))
            .http_status_as_error(false)
            .user_agent(concat!("kpanic/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        HttpStore {
            base: base.trim_end_matches('/').to_string(),
            agent,
            headers,
            retries: opts.retries,
            max_download: opts.max_download,
        }
    }

    /// Downloads `key` into `out`: `Ok(false)` when the server has no such file (404).
    /// Connection errors and 5xx answers are retried a few times before giving up.
    pub fn get(&self, key: &str, out: &mut File, out_path: &Path) -> Result<bool, StoreError> {
        let url = format!("{}/{key}", self.base);
        let mut attempt = 0;
        loop {
            match self.try_get(&url, out, out_path) {
                Err(Retry::Again(_)) if attempt < self.retries => {
                    attempt += 1;
                    // A short, growing pause: a server restarting or shedding load.
                    std::thread::sleep(Duration::from_millis(200 << attempt));
                    // What the failed attempt wrote is thrown away.
                    out.set_len(0)
                        .and_then(|()| out.rewind())
                        .map_err(|e| cache_error(out_path, e))?;
                }
                Err(Retry::Again(e) | Retry::Final(e)) => return Err(e),
                Ok(found) => return Ok(found),
            }
        }
    }

    fn try_get(&self, url: &str, out: &mut File, out_path: &Path) -> Result<bool, Retry> {
        let mut req = self.agent.get(url);
        for h in &self.headers {
            req = req.header(&h.name, &h.value);
        }
        let mut resp = req.call().map_err(|e| {
            Retry::Again(StoreError::Unreachable {
                url: url.to_string(),
                why: e.to_string(),
            })
        })?;
        let status = resp.status().as_u16();
        match status {
            200 => {}
            404 | 410 => return Ok(false),
            401 | 403 => {
                return Err(Retry::Final(StoreError::Refused {
                    url: url.to_string(),
                    status,
                }))
            }
            500..=599 => {
                return Err(Retry::Again(StoreError::Unreachable {
                    url: url.to_string(),
                    why: format!("HTTP {status}"),
                }))
            }
            _ => {
                return Err(Retry::Final(StoreError::Status {
                    url: url.to_string(),
                    status,
                }))
            }
        }
        let too_large = || {
            Retry::Final(StoreError::TooLarge {
                url: url.to_string(),
                limit: self.max_download,
            })
        };
        if resp
            .body()
            .content_length()
            .is_some_and(|n| n > self.max_download)
        {
            return Err(too_large());
        }
        // One byte past the limit tells a file that fits from one that does not.
        let mut reader = resp
            .body_mut()
            .with_config()
            .limit(self.max_download.saturating_add(1))
            .reader();
        let mut buf = vec![0u8; 1 << 16];
        let mut total: u64 = 0;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    return Err(Retry::Again(StoreError::Unreachable {
                        url: url.to_string(),
                        why: e.to_string(),
                    }))
                }
            };
            total += n as u64;
            if total > self.max_download {
                return Err(too_large());
            }
            out.write_all(&buf[..n])
                .map_err(|e| Retry::Final(cache_error(out_path, e)))?;
        }
        out.flush()
            .map_err(|e| Retry::Final(cache_error(out_path, e)))?;
        Ok(true)
    }
}

/// A failed attempt: worth another try (connection, 5xx) or not.
enum Retry {
    Again(StoreError),
    Final(StoreError),
}
