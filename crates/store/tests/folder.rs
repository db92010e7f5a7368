//! Local folder stores in every layout, built from the fixtures' dSYMs.

mod common;

use common::*;
use kpanic_store::{has_uuid, Kind, Layout, StoreSpec, SymbolStores};

fn stores(root: &std::path::Path, cache: &std::path::Path) -> SymbolStores {
    let spec = StoreSpec::parse(&format!("file://{}", root.display())).unwrap();
    SymbolStores::new(&[spec], &options(cache))
}

#[test]
fn unified_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    layout_folder(&root, Layout::Unified, &["fxdriver.kext", "libfx.dylib"]);
    let s = stores(&root, &dir.path().join("cache"));
    for name in ["fxdriver.kext", "libfx.dylib"] {
        let (_, _, uuid) = dsym(name);
        let found = s.find(uuid).expect(name);
        assert!(found.starts_with(&root), "served in place: {found:?}");
        assert!(has_uuid(&found, uuid));
    }
    let (_, _, absent) = dsym("fxexec");
    assert_eq!(s.find(absent), None);
    assert!(s.take_warnings().is_empty());
}

#[test]
fn native_layout_with_bundles_links_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    // A dSYM bundle copied under the key, a symlink to one (what dsymForUUID folders hold),
    // and the bare DWARF file.
    let (bundle, _, kext) = dsym("fxdriver.kext");
    copy_dir(
        &bundle,
        &root.join(Layout::Native.key(kext, Kind::Debug).unwrap()),
    );
    let (bundle, _, lib) = dsym("libfx.dylib");
    let link = root.join(Layout::Native.key(lib, Kind::Debug).unwrap());
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&bundle, &link).unwrap();
    let (_, dwarf, exec) = dsym("fxexec");
    put(
        &root,
        &Layout::Native.key(exec, Kind::Debug).unwrap(),
        &dwarf,
    );
    let s = stores(&root, &dir.path().join("cache"));
    for uuid in [kext, lib, exec] {
        let found = s.find(uuid).unwrap();
        assert!(found.is_file() && has_uuid(&found, uuid), "{found:?}");
    }
    // The key is upper-case and grouped by four, as LLDB's file-mapped folders are.
    assert!(Layout::Native
        .key(kext, Kind::Debug)
        .unwrap()
        .contains(&format!(
            "{:02X}{:02X}/{:02X}{:02X}",
            kext.0[0], kext.0[1], kext.0[2], kext.0[3]
        )));
}

#[test]
fn plain_folder_of_dsyms() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dsyms/nested");
    for name in ["fxdriver.kext", "kernel.fixture"] {
        let (bundle, _, _) = dsym(name);
        copy_dir(&bundle, &root.join(format!("{name}.dSYM")));
    }
    let s = stores(&dir.path().join("dsyms"), &dir.path().join("cache"));
    for name in ["fxdriver.kext", "kernel.fixture"] {
        let (_, _, uuid) = dsym(name);
        let found = s.find(uuid).unwrap();
        assert!(
            found.ends_with(format!("Contents/Resources/DWARF/{name}")),
            "{found:?}"
        );
        assert!(has_uuid(&found, uuid));
    }
}

#[test]
fn a_file_of_another_build_is_not_an_answer() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let (_, _, kext) = dsym("fxdriver.kext");
    let (_, other, _) = dsym("libfx.dylib");
    // libfx's DWARF where the kext's should be (and nothing else in the folder to scan).
    put(&root, &unified(kext), &other);
    let s = stores(&root, &dir.path().join("cache"));
    assert_eq!(s.find(kext), None);
}

#[test]
fn a_missing_folder_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let s = stores(&dir.path().join("absent"), &dir.path().join("cache"));
    let (_, _, kext) = dsym("fxdriver.kext");
    assert_eq!(s.find(kext), None);
    let w = s.take_warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("absent") && w[0].contains("no such folder"),
        "{w:?}"
    );
}
