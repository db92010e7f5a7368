//! Full panics (`[imageIndex, offset]` frames) rewritten onto the fixtures, and the invariant
//! the real ones state about themselves.

mod support;

use kpanic::{symbolicate, SymbolLibrary, SymbolOptions};
use kpanic_report::ImageKind;
use support::*;

/// In a real full panic, `binaryImages[idx].base + off + KernelCache slide` equals the `lr:`
/// values the panic text prints for the same (panicked) thread.
#[test]
fn real_full_panics_frames_equal_the_text_backtrace() {
    for name in [
        "ios-ips-forcereset-full-01.ips",
        "ios-ips-full-mte-keystore-01.ips",
        "ios-ips-full-sepkeystore-01.ips",
    ] {
        let bytes = std::fs::read(root().join("testdata/corpus").join(name)).unwrap();
        let report = kpanic_report::parse(&bytes).unwrap();
        let (_, thread) = report
            .panicked_spindump_thread()
            .unwrap_or_else(|| panic!("{name}: panicked thread in the stackshot"));
        let sd = report.spindump.as_ref().unwrap();
        // Kernel images only; the innermost frame is dropped: it is where the thread stood
        // when the stackshot was taken (inside the panic handler), which the text need not
        // show (seen in the MTE keystore file: ...a5e0 in the stackshot, ...a5f8 in the text).
        let from_stackshot: Vec<u64> = thread
            .kernel_frames
            .iter()
            .filter(|f| sd.image(f).is_some_and(|i| i.kind.is_kernel()))
            .skip(1)
            .filter_map(|f| report.runtime_of(f))
            .map(|a| a.get())
            .collect();
        let from_text: Vec<u64> = report
            .backtrace
            .as_ref()
            .unwrap()
            .frames
            .iter()
            .map(|f| f.address.get())
            .collect();
        assert!(!from_text.is_empty(), "{name}");
        // The text goes deeper (the panic trap frames) than the stackshot, which holds the
        // outer part of the same stack: one must be a contiguous run of the other.
        let (short, long) = if from_stackshot.len() <= from_text.len() {
            (&from_stackshot, &from_text)
        } else {
            (&from_text, &from_stackshot)
        };
        assert!(short.len() >= 3, "{name}: {short:x?}");
        assert!(
            long.windows(short.len()).any(|w| w == &short[..]),
            "{name}: stackshot {from_stackshot:x?} vs text {from_text:x?}"
        );
    }
}

/// `ios-ips-forcereset-full-01.ips` with its kernel image (index 1, letter T) and the
/// AppleM68Buttons image (index 15) replaced by the arm64e kernel and kext fixtures, the
/// panicked thread's `kernelFrames` and the text's `lr:` lines rewritten to fixture code.
fn rewritten_full_panic(letter: &str) -> (String, Vec<Vec<TruthSym>>, Vec<u64>) {
    let kernel = layout(&fixtures().join("arm64e/kernel.fixture"));
    let kext = layout(&fixtures().join("arm64e/fxdriver.kext"));
    let k_exec = kernel.text_exec.unwrap();
    let x_exec = kext.text_exec.unwrap();
    let ktruth = Truth::load("arm64e-kernel.fixture");
    let xtruth = Truth::load("arm64e-fxdriver.kext");

    let raw =
        std::fs::read_to_string(root().join("testdata/corpus/ios-ips-forcereset-full-01.ips"))
            .unwrap();
    let (header, body) = raw.split_once('\n').unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(body).unwrap();

    // kernel frames as [1, off]; for a K image the offset counts from __TEXT.
    let kernel_anchor = if letter == "K" { kernel.text } else { k_exec };
    let mut frames = Vec::new();
    let mut truths = Vec::new();
    for (ra, t) in ktruth.return_addresses(true).into_iter().take(6) {
        frames.push(serde_json::json!([1, ra - kernel_anchor]));
        truths.push(t);
    }
    for (ra, t) in xtruth.return_addresses(true) {
        frames.push(serde_json::json!([15, ra - x_exec]));
        truths.push(t);
    }
    frames.push(serde_json::json!([2, 0])); // the terminating [A, 0]

    let images = doc["binaryImages"].as_array_mut().unwrap();
    images[1][0] = serde_json::json!(kernel.uuid.to_lowercase());
    images[1][2] = serde_json::json!(letter);
    images[15][0] = serde_json::json!(kext.uuid.to_lowercase());
    // The real file's T base is the unslid __TEXT_EXEC; a K image's base is the unslid __TEXT.
    let kernel_base = images[1][1].as_u64().unwrap();
    if letter == "K" {
        images[1][1] = serde_json::json!(kernel_base - (k_exec - kernel.text));
    }
    let kext_base = images[15][1].as_u64().unwrap();
    let thread = &mut doc["processByPid"]["0"]["threadById"]["798"];
    thread["kernelFrames"] = serde_json::Value::Array(frames.clone());

    // The text backtrace: base + off + KernelCache slide, as the real file has it.
    let slide = 0x252d8000u64;
    let lrs: Vec<u64> = frames
        .iter()
        .filter(|f| f[0] != 2)
        .map(|f| {
            let (base, anchor) = if f[0] == 1 {
                (kernel_base, kernel_anchor)
            } else {
                (kext_base, x_exec)
            };
            // runtime = unslid __TEXT_EXEC + (address − __TEXT_EXEC) + slide
            let vm = anchor + f[1].as_u64().unwrap();
            let exec = if f[0] == 1 { k_exec } else { x_exec };
            base + (vm - exec) + slide
        })
        .collect();
    let text = doc["string"].as_str().unwrap().to_string();
    let text = replace_line(
        &text,
        "Kernel UUID:",
        &format!("Kernel UUID: {}", kernel.uuid),
    );
    let mut text = replace_frames(
        &text,
        is_lr_line,
        lrs.iter()
            .map(|lr| format!("\t\t  lr: {lr:#018x}  fp: 0xffffffecfb44f820"))
            .collect(),
    );
    // AppleM68Buttons' range becomes the fixture kext's: its unslid base + slide.
    text = text.replace(
        "com.apple.driver.AppleM68Buttons(1.0d1)[6AAC7152-26B3-355D-95F0-EC89EFA4152C]@0xfffffff02e13c800->0xfffffff02e156783",
        &format!(
            "com.apple.driver.AppleM68Buttons(1.0d1)[{}]@{:#018x}->{:#018x}",
            kext.uuid,
            kext_base + slide,
            kext_base + slide + 0x3fff
        ),
    );
    doc["string"] = serde_json::json!(text);
    (
        format!("{header}\n{}", serde_json::to_string_pretty(&doc).unwrap()),
        truths,
        lrs,
    )
}

fn symbolicate_full(letter: &str) {
    let (ips, truths, lrs) = rewritten_full_panic(letter);
    let report = kpanic_report::parse(ips.as_bytes()).expect("rewritten full panic parses");
    assert_eq!(
        report.spindump.as_ref().unwrap().binary_images[1].kind,
        match letter {
            "K" => ImageKind::KernelText,
            _ => ImageKind::KernelTextExec,
        }
    );
    let lib = SymbolLibrary::new(&SymbolOptions {
        symbols: vec![fixtures().join("arm64e")],
        ..Default::default()
    });
    let sym = symbolicate(&report, &lib);
    let panicked = &sym.threads[0];
    assert!(panicked.panicked);
    assert_eq!(panicked.tid, 798);
    assert_eq!(panicked.kernel_frames.len(), truths.len() + 1);
    for (f, t) in panicked.kernel_frames.iter().zip(&truths) {
        assert_frame(f, t, &format!("full panic ({letter}) frame"));
    }
    // Every frame goes out, the [A, 0] terminator too, with its reason.
    let last = panicked.kernel_frames.last().unwrap();
    assert!(last.symbol_frames().is_empty());
    assert!(last
        .unresolved()
        .map(|u| u.to_string())
        .as_deref()
        .unwrap()
        .contains("end of stack"));
    // The runtime address of each stackshot frame is the text's lr.
    for (f, lr) in panicked.kernel_frames.iter().zip(&lrs) {
        assert_eq!(
            f.address.map(|a| a.to_string()),
            Some(format!("{lr:#018x}"))
        );
    }
    // The image table ties image 15 to the kext the text names, by UUID: its frames say so,
    // and the diagnosis names the image by that bundle id.
    for f in &panicked.kernel_frames {
        let want = match f.frame {
            Some([15, _]) => Some("com.apple.driver.AppleM68Buttons"),
            _ => None,
        };
        assert_eq!(f.kext.as_deref(), want, "{f:?}");
    }
    let d = kpanic::diagnose::diagnose(&report, Some(&sym));
    let images = &d.threads.as_ref().expect("a full panic").kext_images;
    let m68 = images.iter().find(|i| i.index == 15).expect("image 15");
    assert_eq!(
        m68.bundle_id.as_deref(),
        Some("com.apple.driver.AppleM68Buttons")
    );
    assert!(images.iter().all(|i| i.index != 1), "the kernel is no kext");
    // The text backtrace gives the same answers as the stackshot.
    for (f, t) in sym.backtrace.iter().zip(&truths) {
        assert_frame(f, t, "full panic text backtrace");
    }
    // Threads of other images (no symbols given for them) keep their frames and say why.
    let other = sym
        .threads
        .iter()
        .flat_map(|t| &t.kernel_frames)
        .find(|f| f.frame.is_some_and(|[i, _]| i == 8))
        .expect("a frame in image 8");
    assert!(other.symbol_frames().is_empty());
    assert!(
        other
            .unresolved()
            .map(|u| u.to_string())
            .as_deref()
            .unwrap()
            .contains("no symbols"),
        "{other:?}"
    );
}

#[test]
fn full_panic_t_images() {
    symbolicate_full("T");
}

#[test]
fn full_panic_k_images() {
    symbolicate_full("K");
}
