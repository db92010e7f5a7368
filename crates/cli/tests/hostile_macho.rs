//! Hostile Mach-O inputs through the commands that met them (see also
//! crates/symbols/tests/hostile.rs): an answer or a clear error, in linear time, and no
//! overflow in a debug build.

mod common;
use common::{corpus, root, run};
use std::path::PathBuf;

const TEXT: u64 = 0xffff_fe00_0700_4000;

fn le(b: &mut Vec<u8>, words: &[u64], width: usize) {
    for w in words {
        b.extend_from_slice(&w.to_le_bytes()[..width]);
    }
}

/// `gen_macho.py fileset N M`: N fileset entries that all name one image of M segments.
fn fileset(n: usize, m: usize) -> Vec<u8> {
    let mut inner = Vec::new();
    le(
        &mut inner,
        &[
            0xfeed_facf,
            0x0100_000c,
            2,
            2,
            m as u64,
            72 * m as u64,
            0,
            0,
        ],
        4,
    );
    for i in 0..m {
        le(&mut inner, &[0x19, 72], 4);
        inner.extend_from_slice(b"__TEXT\0\0\0\0\0\0\0\0\0\0");
        le(&mut inner, &[TEXT + i as u64 * 0x1000, 0x1000, 0, 0], 8);
        le(&mut inner, &[5, 5, 0, 0], 4);
    }
    let entry = |fileoff: u64, i: usize| {
        let mut id = format!("com.x.e{i}").into_bytes();
        id.push(0);
        id.resize(id.len().next_multiple_of(8), 0);
        let mut b = Vec::new();
        le(&mut b, &[0x8000_0035, 32 + id.len() as u64], 4);
        le(&mut b, &[TEXT, fileoff], 8);
        le(&mut b, &[32, 0], 4);
        b.extend_from_slice(&id);
        b
    };
    let cmds_len: usize = (0..n).map(|i| entry(0, i).len()).sum();
    let inner_off = (32 + cmds_len).next_multiple_of(16);
    let mut out = Vec::new();
    le(
        &mut out,
        &[
            0xfeed_facf,
            0x0100_000c,
            2,
            0xc,
            n as u64,
            cmds_len as u64,
            0,
            0,
        ],
        4,
    );
    for i in 0..n {
        out.extend(entry(inner_off as u64, i));
    }
    out.resize(inner_off, 0);
    out.extend(inner);
    out
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kpanic-cli-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn segment_past_the_top_is_a_clear_error() {
    let file = root().join("testdata/hostile/addr2line-probe-max-overflow.macho");
    let out = run(
        &["atos", "-o", file.to_str().unwrap(), "0xffffffffffffffff"],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("addr2line-probe-max-overflow.macho: malformed Mach-O: segment __TEXT"),
        "{err}"
    );
    assert!(
        err.contains("ends past the top of the address space"),
        "{err}"
    );
}

#[test]
fn fileset_entries_sharing_one_image() {
    let dir = temp_dir().join("symbols");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("fileset-1600x1600.macho");
    std::fs::write(&file, fileset(1600, 1600)).unwrap();
    let file = file.to_str().unwrap();

    let out = run(&["atos", "-o", file, "0xfffffe0007004000"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0xfffffe0007004000\n");

    let panic = corpus("arm64-text-amcc-01.txt");
    for opt in ["--kernelcache", "--symbols"] {
        let arg = if opt == "--symbols" {
            dir.to_str().unwrap()
        } else {
            file
        };
        let out = run(&["symbolicate", &panic, opt, arg], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{opt}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
