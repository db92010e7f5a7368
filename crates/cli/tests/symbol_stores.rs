//! `--symbol-store`: the bundled example panic with its kernel from a KDK and its kext's dSYM
//! only in a store — a real S3-compatible server (moto), a folder — symbolicates fully, as it
//! does with `--symbols` pointing at the dSYM.

mod common;
#[path = "../../store/tests/common/moto.rs"]
mod moto;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::root;
use kpanic_symbols::{MachOFile, Uuid};

const EXAMPLE: &str = "examples/fxdriver-panic.txt";
const KDK: &str = "examples/KDK_15.4_24E248.kdk";
/// The kext's UUID as the example panic gives it (`com.example.driver.FxDriver(1.0)[…]`).
const KEXT_UUID: &str = "4C4C44EC-5555-3144-A10C-8CDD45F170A3";

/// A run's exit code, stdout and stderr.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs kpanic with a private cache and config folder, and `env` on top.
fn kpanic(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_kpanic"))
        .args(args)
        .current_dir(root())
        .env("KPANIC_CACHE", dir.join("cache"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("KPANIC_SYMBOL_STORES")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The example KDK without its kexts: the kernel's symbols only.
fn kernel_only_kdk(dir: &Path) -> PathBuf {
    let kdk = dir.join("KDK_15.4_24E248.kdk");
    copy_dir(
        &root().join(KDK).join("System/Library/Kernels"),
        &kdk.join("System/Library/Kernels"),
    );
    kdk
}

/// The kext's DWARF file, checked to be the panic's kext.
fn kext_dwarf() -> PathBuf {
    let dwarf = root().join(KDK).join(
        "System/Library/Extensions/FxDriver.kext.dSYM/Contents/Resources/DWARF/fxdriver.kext",
    );
    let file = MachOFile::open(&dwarf).unwrap();
    let uuid = file.slice(0).unwrap().uuid().unwrap();
    assert_eq!(uuid, KEXT_UUID.parse::<Uuid>().unwrap());
    dwarf
}

/// `ab/cdef…/debuginfo` of the kext: the unified layout.
fn unified_key() -> String {
    let hex = KEXT_UUID.replace('-', "").to_ascii_lowercase();
    format!("{}/{}/debuginfo", &hex[..2], &hex[2..])
}

fn copy_dir(from: &Path, to: &Path) {
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

/// The output with the symbol file of the kext's summary line taken out (a cache path with
/// the store, the dSYM's with `--symbols`): everything else must be equal.
fn without_kext_path(text: &str) -> String {
    text.lines()
        .map(|l| match l.find(&format!("[{KEXT_UUID}] UUID ok: ")) {
            Some(i) => format!("{} <kext symbols>", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// With `--symbols` pointing at the dSYM: what a store must give too.
fn reference(dir: &Path, kdk: &Path) -> String {
    let dsym = root()
        .join(KDK)
        .join("System/Library/Extensions/FxDriver.kext.dSYM");
    let r = kpanic(
        dir,
        &[
            "symbolicate",
            EXAMPLE,
            "--kdk",
            kdk.to_str().unwrap(),
            "--symbols",
            dsym.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stdout.contains("no symbols"), "{}", r.stdout);
    r.stdout
}

#[test]
fn kext_dsym_only_in_s3_symbolicates_fully() {
    let Some(server) = moto::start() else { return };
    server.create_bucket("kext-dsyms");
    server.put(
        "kext-dsyms",
        &format!("builds/{}", unified_key()),
        &kext_dwarf(),
    );
    let dir = tempfile::tempdir().unwrap();
    let kdk = kernel_only_kdk(dir.path());
    let kdk = kdk.to_str().unwrap();
    let endpoint = server.endpoint.clone();
    let mut env: Vec<(&str, &str)> = moto::ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL", &endpoint));

    // Without the store, the kext has no symbols.
    let bare = kpanic(dir.path(), &["symbolicate", EXAMPLE, "--kdk", kdk], &env);
    assert!(bare.stdout.contains("no symbols"), "{}", bare.stdout);

    let args = [
        "symbolicate",
        EXAMPLE,
        "--kdk",
        kdk,
        "--symbol-store",
        "s3://kext-dsyms/builds",
    ];
    let store = kpanic(dir.path(), &args, &env);
    assert_eq!(store.code, Some(0), "{}", store.stderr);
    assert!(store.stderr.is_empty(), "{}", store.stderr);
    assert!(
        !store.stdout.contains("no symbols"),
        "every frame resolved: {}",
        store.stdout
    );
    assert!(store
        .stdout
        .contains("fxdriver_handle_interrupt (in com.example.driver.FxDriver) (kext.c:11)"));
    assert_eq!(
        without_kext_path(&store.stdout),
        without_kext_path(&reference(dir.path(), Path::new(kdk)))
    );

    // Again with the server gone: the cached download answers.
    drop(server);
    let cached = kpanic(dir.path(), &args, &env);
    assert_eq!(cached.stdout, store.stdout);
}

#[test]
fn stores_from_the_environment_and_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let kdk = kernel_only_kdk(dir.path());
    let kdk = kdk.to_str().unwrap();
    let store = dir.path().join("store");
    let dest = store.join(unified_key());
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(kext_dwarf(), &dest).unwrap();
    let want = without_kext_path(&reference(dir.path(), Path::new(kdk)));

    let store_url = format!("file://{}", store.display());
    let env = kpanic(
        dir.path(),
        &["symbolicate", EXAMPLE, "--kdk", kdk],
        &[(
            "KPANIC_SYMBOL_STORES",
            &format!("http://127.0.0.1:9/nothing, {store_url}"),
        )],
    );
    assert_eq!(without_kext_path(&env.stdout), want);

    let config = dir.path().join("config/kpanic/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!("symbol_stores = [{:?}]\n", store.display().to_string()),
    )
    .unwrap();
    let from_config = kpanic(dir.path(), &["symbolicate", EXAMPLE, "--kdk", kdk], &[]);
    assert_eq!(without_kext_path(&from_config.stdout), want);

    // A config file kpanic cannot read is an error naming it.
    std::fs::write(&config, "symbol_stores = 3\n").unwrap();
    let bad = kpanic(dir.path(), &["symbolicate", EXAMPLE, "--kdk", kdk], &[]);
    assert_ne!(bad.code, Some(0));
    assert!(bad.stderr.contains("config.toml"), "{}", bad.stderr);
}

#[test]
fn an_unreachable_store_is_one_warning_and_frames_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let kdk = kernel_only_kdk(dir.path());
    let empty = dir.path().join("empty-store");
    std::fs::create_dir_all(&empty).unwrap();
    let r = kpanic(
        dir.path(),
        &[
            "symbolicate",
            EXAMPLE,
            "--kdk",
            kdk.to_str().unwrap(),
            // Port 9 (discard) has nothing listening here: connection refused.
            "--symbol-store",
            "http://127.0.0.1:9/symbols",
            "--symbol-store",
            empty.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        r.code,
        Some(0),
        "a store that cannot be reached is not an error: {}",
        r.stderr
    );
    let warnings: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("kpanic: warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    assert!(
        warnings[0].contains("http://127.0.0.1:9/symbols")
            && warnings[0].contains("cannot be reached"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("no symbols: not in any symbol store"),
        "{}",
        r.stdout
    );
}

#[test]
fn atos_fetches_the_file_of_a_uuid() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let dest = store.join(unified_key());
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(kext_dwarf(), &dest).unwrap();
    let addrs = ["--offset", "0x4060", "0x4080"];
    let direct = kpanic(
        dir.path(),
        &[&["atos", "-o", kext_dwarf().to_str().unwrap()][..], &addrs].concat(),
        &[],
    );
    let store = store.to_str().unwrap();
    let fetched = kpanic(
        dir.path(),
        &[
            &["atos", "--uuid", KEXT_UUID, "--symbol-store", store][..],
            &addrs,
        ]
        .concat(),
        &[],
    );
    assert_eq!(fetched.code, Some(0), "{}", fetched.stderr);
    // The same functions and lines; the image is named by the store's file name.
    let strip = |s: &str| {
        s.replace("(in fxdriver.kext) ", "")
            .replace("(in debuginfo) ", "")
    };
    assert_eq!(strip(&fetched.stdout), strip(&direct.stdout));
    assert!(
        direct.stdout.contains("fxdriver_start"),
        "{}",
        direct.stdout
    );

    let other = KEXT_UUID.replace("A3", "A4");
    let missing = kpanic(
        dir.path(),
        &["atos", "--uuid", &other, "--symbol-store", store, "0x1"],
        &[],
    );
    assert_eq!(missing.code, Some(2));
    assert!(
        missing.stderr.contains("not in any symbol store"),
        "{}",
        missing.stderr
    );
}

#[test]
fn stores_are_asked_only_for_what_local_sources_lack() {
    let dir = tempfile::tempdir().unwrap();
    // Every image of the example is in the KDK: the store (which cannot be reached) is never
    // asked, so there is nothing to warn about.
    let r = kpanic(
        dir.path(),
        &[
            "symbolicate",
            EXAMPLE,
            "--kdk",
            KDK,
            "--symbol-store",
            "http://127.0.0.1:9/symbols",
        ],
        &[],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(!r.stdout.contains("no symbols"), "{}", r.stdout);
}
