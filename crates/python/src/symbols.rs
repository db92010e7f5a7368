//! The symbol arguments (`kdk=`, `symbols=`, `kernelcache=`, `symbol_store=`), as the CLI's
//! repeatable flags: each takes a path (or URL) or a list of them.
//!
//! Unlike the CLI, the package reads no config file and no `KPANIC_SYMBOL_STORES`: a library
//! call uses what its caller passes. Indexes and downloads go to the CLI's cache folder
//! ([`kpanic::cache::cache_dir`]), so that each uses what the other built.

use std::path::PathBuf;

use kpanic::{SymbolLibrary, SymbolOptions};
use kpanic_store::{StoreOptions, StoreSpec};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::Failure;

/// Where symbols come from.
#[derive(Clone, Debug, Default)]
pub struct SymbolArgs {
    kdks: Vec<PathBuf>,
    symbols: Vec<PathBuf>,
    kernelcache: Option<PathBuf>,
    stores: Vec<String>,
}

impl SymbolArgs {
    /// The Python arguments; `None` is "not given".
    pub fn extract(
        kdk: Option<&Bound<'_, PyAny>>,
        symbols: Option<&Bound<'_, PyAny>>,
        kernelcache: Option<PathBuf>,
        symbol_store: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Ok(SymbolArgs {
            kdks: one_or_many(kdk)?,
            symbols: one_or_many(symbols)?,
            kernelcache,
            stores: one_or_many(symbol_store)?,
        })
    }

    fn given(&self) -> bool {
        !self.kdks.is_empty()
            || !self.symbols.is_empty()
            || self.kernelcache.is_some()
            || !self.stores.is_empty()
    }

    /// The library of these sources (`kpanic symbolicate`); an unusable source is an error,
    /// where the CLI says it and exits 2.
    pub fn library(&self) -> Result<SymbolLibrary, Failure> {
        let mut stores = Vec::new();
        for url in &self.stores {
            stores.push(StoreSpec::parse(url).map_err(|e| Failure::Sources(vec![e.to_string()]))?);
        }
        let cache = kpanic::cache::cache_dir();
        let mut store_options = StoreOptions::new(
            cache
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join("kpanic"))
                .join("stores"),
        );
        store_options.spotlight = cfg!(target_os = "macos");
        let lib = SymbolLibrary::new(&SymbolOptions {
            kdks: self.kdks.clone(),
            symbols: self.symbols.clone(),
            kernelcache: self.kernelcache.clone(),
            system_kdks: cfg!(target_os = "macos"),
            index: kpanic_symbols::IndexOptions {
                mode: kpanic_symbols::IndexMode::UseExisting,
                cache_dir: cache,
                progress: None,
            },
            stores,
            store_options,
        });
        if !lib.problems().is_empty() {
            return Err(Failure::Sources(
                lib.problems().iter().map(ToString::to_string).collect(),
            ));
        }
        Ok(lib)
    }

    /// For the calls that work without symbols (`diagnose`, `signature`, triage): a library
    /// when the caller named a source (or macOS has system KDKs), as the CLI decides.
    pub fn optional_library(&self) -> Result<Option<SymbolLibrary>, Failure> {
        let given = self.given();
        if !given && !cfg!(target_os = "macos") {
            return Ok(None);
        }
        let lib = self.library()?;
        Ok((given || !lib.is_empty()).then_some(lib))
    }
}

/// A path (or URL) or a list of them.
pub fn one_or_many<'py, T>(obj: Option<&Bound<'py, PyAny>>) -> PyResult<Vec<T>>
where
    T: pyo3::conversion::FromPyObjectOwned<'py>,
{
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    // A str is a sequence too: one path, not a list of letters.
    let os_path_like = obj.py().import("os")?.getattr("PathLike")?;
    if obj.is_instance_of::<PyString>() || obj.is_instance(&os_path_like)? {
        return Ok(vec![obj.extract().map_err(Into::into)?]);
    }
    obj.try_iter()?
        .map(|item| item?.extract().map_err(Into::into))
        .collect()
}
