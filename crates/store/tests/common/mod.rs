//! Store folders in each layout, made in a temp dir from the project's Mach-O fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use kpanic_store::{keys, Kind, Layout, StoreOptions};
use kpanic_symbols::{MachOFile, Uuid};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures/arm64e")
}

/// The fixture dSYM bundle `name.dSYM`, its DWARF file, and its UUID as the Mach-O reader
/// reads it.
pub fn dsym(name: &str) -> (PathBuf, PathBuf, Uuid) {
    let bundle = fixtures().join(format!("{name}.dSYM"));
    let dwarf = bundle.join("Contents/Resources/DWARF").join(name);
    (bundle, dwarf.clone(), uuid_of(&dwarf))
}

pub fn uuid_of(path: &Path) -> Uuid {
    let file = MachOFile::open(path).unwrap();
    let slice = file.slice(0).unwrap();
    slice.uuid().expect("fixture has LC_UUID")
}

/// `file` copied to `root/key`.
pub fn put(root: &Path, key: &str, file: &Path) -> PathBuf {
    let dest = root.join(key);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(file, &dest).unwrap();
    dest
}

/// A folder in `layout` holding the DWARF files of `names`.
pub fn layout_folder(root: &Path, layout: Layout, names: &[&str]) {
    for name in names {
        let (_, dwarf, uuid) = dsym(name);
        put(root, &layout.key(uuid, Kind::Debug).unwrap(), &dwarf);
    }
}

/// The unified key of a UUID's debug file.
pub fn unified(uuid: Uuid) -> String {
    keys(uuid).remove(0)
}

/// Options for tests: a private cache, short timeouts, no Spotlight.
pub fn options(cache: &Path) -> StoreOptions {
    StoreOptions {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(1),
        download_timeout: Duration::from_secs(5),
        spotlight: false,
        ..StoreOptions::new(cache.to_path_buf())
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
