//! S3-compatible object storage: a real moto server started by the test, read through
//! object_store with the standard AWS environment variables.

mod common;
#[path = "common/moto.rs"]
mod moto;

use common::*;
use kpanic_store::{has_uuid, Kind, Layout, StoreSpec, SymbolStores};

#[test]
fn objects_by_uuid_from_a_bucket() {
    let Some(server) = moto::start() else { return };
    // The only test of this binary that touches the environment.
    std::env::set_var("AWS_ENDPOINT_URL", &server.endpoint);
    for (k, v) in moto::ENV {
        std::env::set_var(k, v);
    }
    server.create_bucket("dsyms");
    let (_, kext_dwarf, kext) = dsym("fxdriver.kext");
    let (_, lib_dwarf, lib) = dsym("libfx.dylib");
    let (_, _, absent) = dsym("fxexec");
    // One file in each layout, below a prefix.
    server.put("dsyms", &format!("team/a/{}", unified(kext)), &kext_dwarf);
    let native = Layout::Native.key(lib, Kind::Debug).unwrap();
    server.put("dsyms", &format!("team/a/{native}"), &lib_dwarf);

    let dir = tempfile::tempdir().unwrap();
    let opts = options(&dir.path().join("cache"));
    let s = SymbolStores::new(&[StoreSpec::parse("s3://dsyms/team/a/").unwrap()], &opts);
    for uuid in [kext, lib] {
        let found = s.find(uuid).unwrap();
        assert!(found.starts_with(&opts.cache_dir), "{found:?}");
        assert!(has_uuid(&found, uuid));
    }
    assert_eq!(s.find(absent), None);
    assert!(s.take_warnings().is_empty(), "{:?}", s.take_warnings());

    // A bucket that does not exist is a warning, said once.
    let s = SymbolStores::new(&[StoreSpec::parse("s3://no-such-bucket").unwrap()], &opts);
    assert_eq!(s.find(absent), None);
    assert_eq!(
        s.find(kext),
        Some(opts.cache_dir.join(kpanic_store_hex(kext)))
    );
    let w = s.take_warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("s3://no-such-bucket"), "{w:?}");
}

/// The cache's file name of a UUID: 32 lower-case hex digits.
fn kpanic_store_hex(u: kpanic_symbols::Uuid) -> String {
    u.0.iter().map(|b| format!("{b:02x}")).collect()
}
