//! Shared by the symbolication tests: the fixtures, llvm-symbolizer's truth for them, and the
//! rewriting of real corpus panics onto the fixtures' addresses and UUIDs.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kpanic_symbols::{MachOFile, SliceSelector};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixtures() -> PathBuf {
    root().join("testdata/fixtures")
}

pub fn corpus(name: &str) -> String {
    std::fs::read_to_string(root().join("testdata/corpus").join(name)).expect("corpus file")
}

/// One symbol of llvm-symbolizer's answer: function, file, line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TruthSym {
    pub function: String,
    pub file: String,
    pub line: u32,
}

/// llvm-symbolizer's answers for every call site of one fixture, by call-site address.
pub struct Truth {
    pub by_callsite: HashMap<u64, Vec<TruthSym>>,
    pub callsites: Vec<u64>,
    pub retaddrs: Vec<u64>,
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).expect("hex")
}

impl Truth {
    /// `name` as in `truth/<name>.json`, e.g. `arm64e-kernel.fixture`.
    pub fn load(name: &str) -> Truth {
        let dir = fixtures().join("truth");
        let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("truth json");
        let mut by_callsite = HashMap::new();
        for line in json.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("truth line");
            let addr = hex(v["Address"].as_str().expect("Address"));
            let syms = v["Symbol"]
                .as_array()
                .expect("Symbol")
                .iter()
                .map(|s| TruthSym {
                    function: s["FunctionName"].as_str().unwrap_or_default().to_string(),
                    file: s["FileName"].as_str().unwrap_or_default().to_string(),
                    line: s["Line"].as_u64().unwrap_or_default() as u32,
                })
                .collect();
            by_callsite.insert(addr, syms);
        }
        let read = |ext: &str| -> Vec<u64> {
            std::fs::read_to_string(dir.join(format!("{name}.{ext}")))
                .expect("addresses")
                .split_whitespace()
                .map(hex)
                .collect()
        };
        Truth {
            by_callsite,
            callsites: read("callsites"),
            retaddrs: read("retaddrs"),
        }
    }

    /// The call site a return address belongs to: the nearest call site below it, when the
    /// return address directly follows that call (a call at the end of a section is followed
    /// by the next section's first instruction, which is no return address of it).
    pub fn callsite_of(&self, ra: u64, max_call_len: u64) -> Option<u64> {
        self.callsites
            .iter()
            .copied()
            .filter(|&c| c < ra && ra - c <= max_call_len)
            .max()
    }

    /// Return addresses with their call site's truth, for the architecture's call length
    /// (arm64: exactly 4; x86_64: up to 7).
    pub fn return_addresses(&self, arm64: bool) -> Vec<(u64, Vec<TruthSym>)> {
        self.retaddrs
            .iter()
            .filter_map(|&ra| {
                let c = if arm64 {
                    Some(ra - 4).filter(|c| self.callsites.contains(c))
                } else {
                    self.callsite_of(ra, 7)
                }?;
                Some((ra, self.by_callsite.get(&c)?.clone()))
            })
            .collect()
    }
}

/// `__TEXT` and first `__TEXT_EXEC` vmaddrs and the UUID of a fixture binary.
pub struct Layout {
    pub text: u64,
    pub text_exec: Option<u64>,
    pub uuid: String,
}

pub fn layout(path: &Path) -> Layout {
    let slice = MachOFile::open(path)
        .expect("fixture opens")
        .select(&SliceSelector::default())
        .expect("one slice");
    Layout {
        text: slice.text_vmaddr().expect("__TEXT"),
        text_exec: slice.text_exec_vmaddr(),
        uuid: slice.uuid().expect("uuid").to_string(),
    }
}

/// Sign a kernel pointer the way arm64e panics print some `lr`s: PAC bits in the top 16.
pub fn pac_sign(addr: u64) -> u64 {
    (addr & 0x0000_ffff_ffff_ffff) | 0xfdc0_0000_0000_0000
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// A KDK-shaped folder: `kernel_name` from a fixture kernel (with its dSYM, unless
/// `kernel_dsym` is false) and the fxdriver kext as `com.example.driver.FxDriver` (with its
/// dSYM unless `kext_dsym` is false).
pub struct KdkSpec<'a> {
    pub arch_dir: &'a str,
    pub kernel_name: &'a str,
    pub kernel_from: &'a str,
    pub kernel_dsym: bool,
    pub kext_dsym: bool,
}

pub fn make_kdk(dir: &Path, spec: &KdkSpec) -> PathBuf {
    let kdk = dir.join("KDK_15.4_24E248.kdk");
    let kernels = kdk.join("System/Library/Kernels");
    std::fs::create_dir_all(&kernels).unwrap();
    let fx = fixtures();
    let kfrom = fx.join(spec.kernel_from);
    std::fs::copy(&kfrom, kernels.join(spec.kernel_name)).unwrap();
    if spec.kernel_dsym {
        let mut d = kfrom.as_os_str().to_owned();
        d.push(".dSYM");
        copy_dir(
            Path::new(&d),
            &kernels.join(format!("{}.dSYM", spec.kernel_name)),
        );
    }
    let ext = kdk.join("System/Library/Extensions");
    let bundle = ext.join("FxDriver.kext/Contents");
    std::fs::create_dir_all(bundle.join("MacOS")).unwrap();
    std::fs::write(
        bundle.join("Info.plist"),
        info_plist("com.example.driver.FxDriver", "FxDriver"),
    )
    .unwrap();
    let kext = fx.join(spec.arch_dir).join("fxdriver.kext");
    std::fs::copy(&kext, bundle.join("MacOS/FxDriver")).unwrap();
    if spec.kext_dsym {
        copy_dir(
            &fx.join(spec.arch_dir).join("fxdriver.kext.dSYM"),
            &ext.join("FxDriver.kext.dSYM"),
        );
    }
    kdk
}

pub fn info_plist(bundle_id: &str, exec: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleExecutable</key>
	<string>{exec}</string>
	<key>CFBundleIdentifier</key>
	<string>{bundle_id}</string>
	<key>CFBundleVersion</key>
	<string>1.0</string>
</dict>
</plist>
"#
    )
}

/// Asserts that a frame's symbols equal llvm-symbolizer's chain, innermost first.
pub fn assert_frame(frame: &kpanic::Frame, truth: &[TruthSym], what: &str) {
    let got: Vec<TruthSym> = frame
        .symbol_frames()
        .iter()
        .map(|s| TruthSym {
            function: s.function.clone().unwrap_or_default(),
            file: s.file.clone().unwrap_or_default(),
            line: s.line.unwrap_or_default(),
        })
        .collect();
    assert_eq!(
        got,
        truth,
        "{what}: frame {:?} ({:?})",
        frame.address,
        frame.unresolved().map(|u| u.to_string())
    );
}

/// Replaces the first line starting (after whitespace) with `prefix` by `new`.
pub fn replace_line(text: &str, prefix: &str, new: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            if !done && l.trim_start().starts_with(prefix) {
                done = true;
                new.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Replaces the run of lines from the first to the last one matching `is_frame` (a backtrace)
/// by `frames`.
pub fn replace_frames(text: &str, is_frame: impl Fn(&str) -> bool, frames: Vec<String>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines
        .iter()
        .position(|l| is_frame(l))
        .expect("a frame line");
    let last = lines
        .iter()
        .rposition(|l| is_frame(l))
        .expect("a frame line");
    let mut out: Vec<String> = lines[..first].iter().map(|s| s.to_string()).collect();
    out.extend(frames);
    out.extend(lines[last + 1..].iter().map(|s| s.to_string()));
    out.join("\n") + "\n"
}

/// An arm64 `lr:` backtrace line.
pub fn is_lr_line(l: &str) -> bool {
    l.trim_start().starts_with("lr: ")
}
