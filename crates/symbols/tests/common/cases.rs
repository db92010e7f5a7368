// Every fixture with llvm-symbolizer truth: (truth name, fixture dir, binary, arch).
// `include!`d by tests/truth.rs and src/index/tests.rs, which check the same files live and
// through the index; `Arch` must be in scope.
const CASES: &[(&str, &str, &str, Option<Arch>)] = &[
    ("arm64e-kernel.fixture", "arm64e", "kernel.fixture", None),
    ("arm64e-fxdriver.kext", "arm64e", "fxdriver.kext", None),
    ("arm64e-libfx.dylib", "arm64e", "libfx.dylib", None),
    ("arm64e-fxexec", "arm64e", "fxexec", None),
    ("arm64-fxexec", "arm64", "fxexec", None),
    ("arm64-libfx.dylib", "arm64", "libfx.dylib", None),
    ("x86_64-kernel.fixture", "x86_64", "kernel.fixture", None),
    ("x86_64-fxdriver.kext", "x86_64", "fxdriver.kext", None),
    ("x86_64-libfx.dylib", "x86_64", "libfx.dylib", None),
    ("x86_64-fxexec", "x86_64", "fxexec", None),
    ("dwarf5-kernel.fixture", "dwarf5", "kernel.fixture", None),
    // __TEXT_EXEC at __TEXT + 0x2B4000, like KDK 15.4's kernel.release.t8112.
    (
        "kdk-t8112-kernel.release.t8112",
        "kdk-t8112",
        "kernel.release.t8112",
        None,
    ),
    // Universal files: the thin arch's truth applies to the fat slice.
    ("x86_64-fxexec", "universal", "fxexec", Some(Arch::X86_64)),
    ("arm64-fxexec", "universal", "fxexec", Some(Arch::Arm64)),
    ("arm64e-fxexec", "universal", "fxexec", Some(Arch::Arm64e)),
    (
        "x86_64-fxdriver.kext",
        "universal",
        "fxdriver.kext",
        Some(Arch::X86_64),
    ),
    (
        "arm64e-fxdriver.kext",
        "universal",
        "fxdriver.kext",
        Some(Arch::Arm64e),
    ),
];
