//! S3-compatible object storage (AWS, MinIO, moto, …) through `object_store`, with the
//! standard AWS environment variables for the endpoint, region and credentials.
//!
//! `object_store` is async; a small current-thread runtime inside this store runs it, so that
//! callers stay blocking.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::{ClientOptions, ObjectStore, RetryConfig};

use crate::cache::cache_error;
use crate::error::StoreError;
use crate::StoreOptions;

/// A bucket (and a prefix inside it).
pub struct S3Store {
    url: String,
    prefix: String,
    client: AmazonS3,
    runtime: tokio::runtime::Runtime,
    max_download: u64,
    /// Whether the bucket exists, asked once: S3 says "not found" alike for a missing key and
    /// a missing bucket, and a misspelt bucket must be a warning, not "no symbols" everywhere.
    bucket_ok: OnceLock<Result<(), String>>,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store").field("url", &self.url).finish()
    }
}

impl S3Store {
    /// The store at `s3://bucket/prefix`, configured from the environment (`AWS_ENDPOINT_URL`,
    /// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, …).
    pub fn new(
        url: &str,
        bucket: &str,
        prefix: &str,
        opts: &StoreOptions,
    ) -> Result<S3Store, StoreError> {
        let fail = |why: String| StoreError::ObjectStore {
            url: url.to_string(),
            why,
        };
        let mut client_options = ClientOptions::new()
            .with_connect_timeout(opts.connect_timeout)
            .with_timeout(opts.download_timeout);
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        // AWS_ENDPOINT_URL is the name the AWS tools read; object_store reads AWS_ENDPOINT.
        let endpoint = std::env::var("AWS_ENDPOINT_URL")
            .or_else(|_| std::env::var("AWS_ENDPOINT"))
            .ok()
            .filter(|e| !e.is_empty());
        if let Some(endpoint) = endpoint {
            // A local MinIO or moto speaks plain HTTP; an https endpoint is unaffected.
            client_options = client_options.with_allow_http(endpoint.starts_with("http://"));
            builder = builder.with_endpoint(endpoint);
        }
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            builder = builder.with_region("us-east-1");
        }
        let retry = RetryConfig {
            max_retries: opts.retries as usize,
            ..Default::default()
        };
        let client = builder
            .with_client_options(client_options)
            .with_retry(retry)
            .build()
            .map_err(|e| fail(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(e.to_string()))?;
        Ok(S3Store {
            url: url.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            client,
            runtime,
            max_download: opts.max_download,
            bucket_ok: OnceLock::new(),
        })
    }

    /// Downloads `key` (below the prefix) into `out`: `Ok(false)` when there is no such object.
    pub fn get(&self, key: &str, out: &mut File, out_path: &Path) -> Result<bool, StoreError> {
        let full = if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        };
        let location = object_store::path::Path::from(full.as_str());
        let object_url = format!("{}/{key}", self.url.trim_end_matches('/'));
        let fail = |why: String| StoreError::ObjectStore {
            url: object_url.clone(),
            why,
        };
        let found = self.runtime.block_on(async {
            let got = match self.client.get(&location).await {
                Ok(got) => got,
                Err(object_store::Error::NotFound { .. }) => return Ok(false),
                Err(e) => return Err(fail(e.to_string())),
            };
            if got.meta.size > self.max_download {
                return Err(StoreError::TooLarge {
                    url: object_url.clone(),
                    limit: self.max_download,
                });
            }
            let mut stream = got.into_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| fail(e.to_string()))?;
                out.write_all(&chunk)
                    .map_err(|e| cache_error(out_path, e))?;
            }
            out.flush().map_err(|e| cache_error(out_path, e))?;
            Ok(true)
        })?;
        if !found {
            self.check_bucket()?;
        }
        Ok(found)
    }

    /// After a "not found": is it the key, or the whole bucket? Asked once per run, by listing
    /// the prefix. Only a "not found" for the list says the bucket is missing: a policy that
    /// allows reading objects but not listing them is common, and then a miss stays a miss.
    fn check_bucket(&self) -> Result<(), StoreError> {
        let verdict = self.bucket_ok.get_or_init(|| {
            let prefix = (!self.prefix.is_empty())
                .then(|| object_store::path::Path::from(self.prefix.as_str()));
            match self
                .runtime
                .block_on(self.client.list_with_delimiter(prefix.as_ref()))
            {
                Err(e @ object_store::Error::NotFound { .. }) => Err(e.to_string()),
                Err(e) if e.to_string().contains("NoSuchBucket") => Err(e.to_string()),
                _ => Ok(()),
            }
        });
        verdict.clone().map_err(|why| StoreError::ObjectStore {
            url: self.url.clone(),
            why,
        })
    }
}
