//! The symbol stores of a run: `--symbol-store`, then `KPANIC_SYMBOL_STORES`, then the config
//! file (`$XDG_CONFIG_HOME/kpanic/config.toml` or `~/.config/kpanic/config.toml`), which also
//! holds the stores' auth headers and the cache limit (docs/symbol-stores.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use kpanic_store::{Header, StoreOptions, StoreSpec};

/// The config file's keys kpanic reads (others are refused: a misspelt key would be silently
/// ignored otherwise).
#[derive(serde::Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct Config {
    /// Store URLs, asked after those of the command line and the environment.
    #[serde(default)]
    symbol_stores: Vec<String>,
    /// Store URL (or a prefix of it) → `Name: value` header; a value `env:NAME` reads the
    /// header from the environment variable NAME, so no token need be in the file.
    #[serde(default)]
    store_auth: BTreeMap<String, String>,
    /// The largest size of the downloaded-symbols cache, in MiB.
    #[serde(default)]
    store_cache_mb: Option<u64>,
}

/// The config file's path, when a config folder can be named.
pub fn config_path() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".config"));
    xdg.or(home).map(|c| c.join("kpanic/config.toml"))
}

fn read_config(path: &Path) -> anyhow::Result<Config> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot be read", path.display())),
    };
    toml::from_str(&text).with_context(|| format!("{}: not a kpanic config file", path.display()))
}

/// The stores of this run, with their headers, and how to ask them.
pub fn stores(flags: &[String]) -> anyhow::Result<(Vec<StoreSpec>, StoreOptions)> {
    let config = match config_path() {
        Some(p) => read_config(&p)?,
        None => Config::default(),
    };
    let from_env = std::env::var("KPANIC_SYMBOL_STORES").unwrap_or_default();
    let env_urls = from_env
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    let mut urls: Vec<String> = Vec::new();
    for u in flags
        .iter()
        .cloned()
        .chain(env_urls)
        .chain(config.symbol_stores)
    {
        if !urls.contains(&u) {
            urls.push(u);
        }
    }
    let mut specs = Vec::new();
    for url in urls {
        let mut spec = StoreSpec::parse(&url)?;
        if let Some(header) = auth_for(&url, &config.store_auth)? {
            spec.headers.push(header);
        }
        specs.push(spec);
    }
    let cache = kpanic::cache::cache_dir()
        .unwrap_or_else(|| std::env::temp_dir().join("kpanic"))
        .join("stores");
    let mut opts = StoreOptions::new(cache);
    if let Some(mb) = config.store_cache_mb {
        opts.cache_limit = mb.saturating_mul(1 << 20);
    }
    opts.spotlight = cfg!(target_os = "macos");
    Ok((specs, opts))
}

/// The header for `url`: the `[store_auth]` entry with the longest key that `url` starts with.
fn auth_for(url: &str, auth: &BTreeMap<String, String>) -> anyhow::Result<Option<Header>> {
    let trimmed = url.trim_end_matches('/');
    let Some((key, value)) = auth
        .iter()
        .filter(|(k, _)| trimmed.starts_with(k.trim_end_matches('/')))
        .max_by_key(|(k, _)| k.len())
    else {
        return Ok(None);
    };
    let line = match value.strip_prefix("env:") {
        Some(var) => std::env::var(var).with_context(|| {
            format!("[store_auth] for {key} reads the environment variable {var}, which is not set")
        })?,
        None => value.clone(),
    };
    // The value is a secret: the error names the store, never the value.
    Header::parse(&line)
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("[store_auth] for {key}: not a header line (`Name: value`)"))
}
