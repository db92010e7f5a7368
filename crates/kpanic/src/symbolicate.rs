//! Symbolicate a whole panic: every address of the log, through the right image and segment.
//!
//! Three steps, kept apart: [`crate::place`] says where each address lives (image + anchor +
//! offset, from the log alone); images are then matched to symbol files once each
//! ([`SymbolLibrary`], UUID-checked); last, the distinct (image, address) pairs are looked up,
//! in parallel, and every frame is assembled, resolved or with the reason it is not.

use std::collections::{BTreeMap, HashMap};

use kpanic_report::{PanicReport, RuntimeAddr, StackFrame};
use kpanic_symbols::atos::JsonSymbol;
use kpanic_symbols::{Lookup, Segment, SymbolAddr, Uuid};
use rayon::prelude::*;
use serde::Serialize;

use crate::frame::{Frame, FrameKind};
use crate::library::{SymbolLibrary, Symbols, Unavailable};
use crate::place::{Anchor, ImageKey, Placement, Placer};

/// One address to symbolicate.
#[derive(Clone, Debug)]
enum Source {
    Runtime(RuntimeAddr),
    Stack(StackFrame),
}

#[derive(Clone, Debug)]
struct Request {
    source: Source,
    kind: FrameKind,
}

/// A symbolicated register (`pc`, `lr`, `RIP`) or the panic `caller`.
#[derive(Clone, Debug, Serialize)]
pub struct NamedFrame {
    pub name: String,
    #[serde(flatten)]
    pub frame: Frame,
}

/// `CORE n: PC=…, LR=…`.
#[derive(Clone, Debug, Serialize)]
pub struct CoreFrames {
    pub core: u32,
    pub pc: Frame,
    pub lr: Frame,
    /// Line index in the panic text.
    pub line: usize,
}

/// A full panic's thread with symbolicated kernel frames.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadFrames {
    pub pid: i64,
    pub process: String,
    pub tid: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub panicked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation: Option<Frame>,
    pub kernel_frames: Vec<Frame>,
}

/// An image the panic referred to, and what was found for it.
#[derive(Clone, Debug, Serialize)]
pub struct ImageMatch {
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// The symbol file used (null when none).
    pub path: Option<String>,
    /// `ok`, `no_symbols`, `uuid_mismatch`, `error`.
    pub status: String,
    /// Where DWARF came from (`dsym`, `binary`, none = symbol table only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How many frames fell in this image.
    pub frames: usize,
}

/// Does the panicked thread run through the panic path? When it does, the kernel symbols and
/// the mapping agree with what the log says happened: the symbolication can be trusted.
#[derive(Clone, Debug, Serialize)]
pub struct PanicPathCheck {
    /// `passed`, `failed` (resolved frames, none on the panic path: suspect the mapping or the
    /// symbols), or `not_checked` (no resolved kernel frame).
    pub result: String,
    /// The panic-path functions found, innermost first.
    pub matched: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub frames: usize,
    pub resolved: usize,
    pub panic_path: PanicPathCheck,
}

/// A panic with every address symbolicated.
#[derive(Clone, Debug, Serialize)]
pub struct Symbolication {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<Frame>,
    /// arm64 exception `pc`/`lr` and register-dump `pc`/`lr`; Intel trap address and `RIP`.
    pub registers: Vec<NamedFrame>,
    pub cores: Vec<CoreFrames>,
    /// The panicked thread's backtrace, in log order.
    pub backtrace: Vec<Frame>,
    /// Full panics: every thread with kernel frames (the panicked one first).
    pub threads: Vec<ThreadFrames>,
    pub images: Vec<ImageMatch>,
    pub summary: Summary,
    pub warnings: Vec<String>,
}

/// Functions whose presence in the panicked thread shows it ran through the panic path.
const PANIC_PATH: &[&str] = &[
    "panic_trap_to_debugger",
    "panic_with_options",
    "panic_with_options_and_initiator",
    "panic",
    "panic_with_thread_context",
    "handle_debugger_trap",
    "DebuggerTrapWithState",
    "Debugger",
    "Assert",
    "kernel_trap",
    "trap_from_kernel",
    "panic_trap",
];

fn on_panic_path(function: &str) -> bool {
    let f = function.trim_start_matches('_');
    PANIC_PATH.contains(&f) || f.starts_with("sleh_") || f.starts_with("panic_")
}

/// Symbolicates every address of `report` with the symbols of `lib`.
pub fn symbolicate(report: &PanicReport, lib: &SymbolLibrary) -> Symbolication {
    Symbolicator::new(report, lib).run()
}

struct ImageState {
    name: String,
    uuid: Option<Uuid>,
    symbols: Result<Symbols, Unavailable>,
    frames: usize,
}

struct Symbolicator<'a> {
    report: &'a PanicReport,
    lib: &'a SymbolLibrary,
    placer: Placer<'a>,
    images: BTreeMap<ImageKey, ImageState>,
    warnings: Vec<String>,
    /// Text addresses go through the kernelcache when one was given and matches.
    use_kernelcache: bool,
}

/// The symbol-file address to look up, and in which file.
enum Target {
    File(ImageKey, SymbolAddr, Option<String>),
    /// Symbol table of the kernelcache itself (no other symbols for the entry).
    KernelcacheSymtab(SymbolAddr, String),
}

impl<'a> Symbolicator<'a> {
    fn new(report: &'a PanicReport, lib: &'a SymbolLibrary) -> Self {
        let mut warnings: Vec<String> = lib.warnings().to_vec();
        let placer = Placer::new(report);
        let mut use_kernelcache = false;
        if let Some(kc) = lib.kernelcache() {
            let want = report
                .system
                .kernelcache_uuid
                .as_deref()
                .and_then(|u| u.parse::<Uuid>().ok());
            match (want, kc.uuid()) {
                (Some(w), Some(h)) if w != h => warnings.push(format!(
                    "the kernelcache {} has UUID {h}, the panic's is {w}: not used",
                    kc.path().display()
                )),
                _ if report.kernelcache_slide().is_none() => warnings.push(
                    "the panic has no KernelCache slide: the kernelcache cannot be used".into(),
                ),
                _ => use_kernelcache = true,
            }
        }
        Symbolicator {
            report,
            lib,
            placer,
            images: BTreeMap::new(),
            warnings,
            use_kernelcache,
        }
    }

    fn run(mut self) -> Symbolication {
        let r = self.report;
        let mut requests: Vec<Request> = Vec::new();
        let rt = |a: RuntimeAddr, kind| Request {
            source: Source::Runtime(a),
            kind,
        };

        // The caller is __builtin_return_address(0) of panic(): a return address, and it
        // equals the lr of the backtrace frame that called panic.
        let caller = r.panic.as_ref().and_then(|p| p.caller);
        if let Some(c) = caller {
            requests.push(rt(c, FrameKind::ReturnAddress));
        }
        let mut register_names = Vec::new();
        if let Some(ex) = r.panic.as_ref().and_then(|p| p.exception.as_ref()) {
            for (name, addr, kind) in [
                ("exception pc", ex.pc, FrameKind::Pc),
                ("exception lr", ex.lr, FrameKind::ReturnAddress),
            ] {
                if let Some(a) = addr {
                    register_names.push(name.to_string());
                    requests.push(rt(a, kind));
                }
            }
        }
        if let Some(trap) = r.panic.as_ref().and_then(|p| p.trap.as_ref()) {
            register_names.push("trap address".into());
            requests.push(rt(trap.address, FrameKind::Pc));
        }
        for (name, kind) in [
            ("pc", FrameKind::Pc),
            ("lr", FrameKind::ReturnAddress),
            ("RIP", FrameKind::Pc),
        ] {
            if let Some(v) = r.register(name) {
                register_names.push(name.to_string());
                requests.push(rt(RuntimeAddr(v), kind));
            }
        }
        for c in &r.cores.states {
            requests.push(rt(c.pc, FrameKind::Pc));
            requests.push(rt(c.lr, FrameKind::ReturnAddress));
        }
        let bt_frames = r.backtrace.as_ref().map_or(&[][..], |b| &b.frames[..]);
        for f in bt_frames {
            requests.push(rt(f.address, FrameKind::ReturnAddress));
        }
        let threads = self.spindump_threads();
        for t in &threads {
            if let Some(c) = t.continuation {
                requests.push(Request {
                    source: Source::Stack(c),
                    kind: FrameKind::Pc,
                });
            }
            for f in &t.frames {
                requests.push(Request {
                    source: Source::Stack(*f),
                    kind: FrameKind::ReturnAddress,
                });
            }
        }

        let mut frames = self.resolve_all(&requests).into_iter();
        let mut next = || frames.next().expect("one frame per request");

        let caller = caller.map(|_| next());
        let registers: Vec<NamedFrame> = register_names
            .into_iter()
            .map(|name| NamedFrame {
                name,
                frame: next(),
            })
            .collect();
        let cores: Vec<CoreFrames> = r
            .cores
            .states
            .iter()
            .map(|c| CoreFrames {
                core: c.core,
                pc: next(),
                lr: next(),
                line: c.line,
            })
            .collect();
        let backtrace: Vec<Frame> = bt_frames.iter().map(|_| next()).collect();
        let threads: Vec<ThreadFrames> = threads
            .into_iter()
            .map(|t| ThreadFrames {
                pid: t.pid,
                process: t.process,
                tid: t.tid,
                name: t.name,
                panicked: t.panicked,
                continuation: t.continuation.map(|_| next()),
                kernel_frames: t.frames.iter().map(|_| next()).collect(),
            })
            .collect();

        let panicked_frames: Vec<&Frame> = if !backtrace.is_empty() {
            backtrace.iter().collect()
        } else {
            threads
                .iter()
                .filter(|t| t.panicked)
                .flat_map(|t| &t.kernel_frames)
                .collect()
        };
        let panic_path = check_panic_path(&panicked_frames);
        let total = requests.len();
        let resolved = caller.iter().filter(|f| f.is_resolved()).count()
            + registers_resolved(&registers)
            + cores_resolved(&cores)
            + backtrace.iter().filter(|f| f.is_resolved()).count()
            + threads
                .iter()
                .flat_map(|t| t.continuation.iter().chain(&t.kernel_frames))
                .filter(|f| f.is_resolved())
                .count();
        Symbolication {
            caller,
            registers,
            cores,
            backtrace,
            threads,
            images: self.image_matches(),
            summary: Summary {
                frames: total,
                resolved,
                panic_path,
            },
            warnings: self.warnings,
        }
    }

    fn spindump_threads(&self) -> Vec<PendingThread> {
        let Some(sd) = self.report.spindump.as_ref() else {
            return Vec::new();
        };
        let panicked_tid = self.report.panicked_thread.as_ref().and_then(|t| t.tid);
        let mut out: Vec<PendingThread> = sd
            .processes
            .iter()
            .flat_map(|p| {
                p.threads
                    .iter()
                    .filter(|t| !t.kernel_frames.is_empty() || t.continuation.is_some())
                    .map(move |t| PendingThread {
                        pid: p.pid,
                        process: p.name.clone(),
                        tid: t.id,
                        name: t.name.clone(),
                        panicked: Some(t.id) == panicked_tid,
                        continuation: t.continuation,
                        frames: t.kernel_frames.clone(),
                    })
            })
            .collect();
        // The panicked thread first; the rest keep pid/tid order.
        out.sort_by_key(|t| !t.panicked);
        out
    }

    /// Places, matches and looks up every request; one frame per request, in order.
    fn resolve_all(&mut self, requests: &[Request]) -> Vec<Frame> {
        // 1. place
        let placed: Vec<(Result<Placement, String>, Option<RuntimeAddr>)> = requests
            .iter()
            .map(|req| match &req.source {
                Source::Runtime(a) => (self.place_runtime(*a), Some(*a)),
                Source::Stack(f) => (self.placer.place_stack_frame(f), self.placer.runtime_of(f)),
            })
            .collect();
        // 2. targets (opens each image once)
        let targets: Vec<Result<(Target, Option<String>), String>> = placed
            .iter()
            .map(|(p, _)| match p {
                Ok(p) => self.target(p),
                Err(e) => Err(e.clone()),
            })
            .collect();
        // 3. distinct lookups, in parallel
        let mut keys: Vec<(LookupKey, FrameKind)> = Vec::new();
        for (t, req) in targets.iter().zip(requests) {
            if let Ok((t, _)) = t {
                keys.push((LookupKey::of(t), req.kind));
            }
        }
        keys.sort();
        keys.dedup();
        let answers: HashMap<(LookupKey, FrameKind), Lookup> = keys
            .into_par_iter()
            .map(|(key, kind)| {
                let l = self.lookup(&key, kind);
                ((key, kind), l)
            })
            .collect();
        // 4. assemble
        requests
            .iter()
            .zip(placed)
            .zip(targets)
            .map(|((req, (placement, runtime)), target)| {
                self.assemble(req, placement, runtime, target, &answers)
            })
            .collect()
    }

    fn place_runtime(&self, a: RuntimeAddr) -> Result<Placement, String> {
        let p = self.placer.place_runtime(a)?;
        if self.use_kernelcache {
            if let Some(unslid) = self.placer.unslid(a) {
                return Ok(Placement {
                    image: p.image,
                    anchor: Anchor::Kernelcache,
                    offset: unslid.get(),
                    caveat: None,
                });
            }
        }
        Ok(p)
    }

    fn image(&mut self, key: &ImageKey) -> &mut ImageState {
        if !self.images.contains_key(key) {
            let state = self.open_image(key);
            self.images.insert(key.clone(), state);
        }
        self.images.get_mut(key).expect("just inserted")
    }

    fn open_image(&self, key: &ImageKey) -> ImageState {
        let mut state = self.open_image_unchecked(key);
        if let Ok(sym) = &state.symbols {
            if let Some(why) = self.arch_mismatch(sym) {
                state.symbols = Err(why);
            }
        }
        state
    }

    /// Symbols of the other architecture than the panic's never answer, whatever their UUID.
    fn arch_mismatch(&self, sym: &Symbols) -> Option<String> {
        use kpanic_symbols::Arch;
        let sym_arm = match sym.arch() {
            Arch::Arm64 | Arch::Arm64e => true,
            Arch::X86_64 | Arch::X86_64h => false,
            Arch::Other { .. } => {
                return Some(format!("{} is not arm64 or x86_64", sym.path().display()))
            }
        };
        let panic_arm = match self.report.arch {
            Some(kpanic_report::Arch::Arm64) => true,
            Some(kpanic_report::Arch::X86_64) => false,
            None => return None,
        };
        (sym_arm != panic_arm).then(|| {
            format!(
                "wrong architecture: {} is {:?}, the panic is {}",
                sym.path().display(),
                sym.arch(),
                if panic_arm { "arm64" } else { "x86_64" }
            )
        })
    }

    fn open_image_unchecked(&self, key: &ImageKey) -> ImageState {
        let r = self.report;
        match key {
            ImageKey::Kernel => {
                let variant = r
                    .system
                    .kernel_variant
                    .as_ref()
                    .map(|v| v.kdk_kernel_name());
                let symbols = self.lib.kernel(
                    self.placer.kernel_uuid(),
                    variant.as_deref(),
                    r.system.os_build.as_deref(),
                );
                let name = symbols
                    .as_ref()
                    .map(|s| s.image_name().to_string())
                    .unwrap_or_else(|_| variant.unwrap_or_else(|| "kernel".into()));
                ImageState {
                    name,
                    uuid: self.placer.kernel_uuid(),
                    symbols,
                    frames: 0,
                }
            }
            ImageKey::Kext { bundle_id, uuid } => ImageState {
                name: bundle_id.clone(),
                uuid: *uuid,
                symbols: self.lib.kext(bundle_id, *uuid),
                frames: 0,
            },
            ImageKey::Image { index, uuid } => {
                // A kext of the backtrace with this UUID gives the image its bundle id.
                let bundle = uuid.and_then(|u| {
                    r.kexts_in_backtrace
                        .iter()
                        .flat_map(|k| std::iter::once(&k.kext).chain(&k.dependencies))
                        .find(|k| k.uuid.as_deref().and_then(|s| s.parse().ok()) == Some(u))
                        .map(|k| k.bundle_id.clone())
                });
                let symbols = match uuid {
                    Some(u) => self
                        .lib
                        .by_uuid(*u)
                        .unwrap_or_else(|| Err(format!("no symbols for image {index} (UUID {u})"))),
                    None => Err(format!("image {index} has no UUID")),
                };
                let name = bundle
                    .or_else(|| symbols.as_ref().ok().map(|s| s.image_name().to_string()))
                    .unwrap_or_else(|| format!("image {index}"));
                ImageState {
                    name,
                    uuid: *uuid,
                    symbols,
                    frames: 0,
                }
            }
        }
    }

    /// Where to look `p` up: which symbol file and which of its addresses.
    fn target(&mut self, p: &Placement) -> Result<(Target, Option<String>), String> {
        if p.anchor == Anchor::Kernelcache {
            return self.kernelcache_target(p);
        }
        let caveat = p.caveat.map(str::to_string);
        let state = self.image(&p.image);
        state.frames += 1;
        let name = state.name.clone();
        let sym = match &state.symbols {
            Ok(s) => s.clone(),
            Err(why) => return Err(why.clone()),
        };
        let addr = match p.anchor {
            Anchor::SymbolFile => p.offset,
            Anchor::Segment(seg) => {
                let slice = sym.slice();
                // Images without __TEXT_EXEC (x86_64, older arm64) keep their code in __TEXT.
                let base = slice
                    .segment(seg)
                    .or_else(|| slice.segment("__TEXT"))
                    .map(|s| s.vmaddr)
                    .ok_or_else(|| format!("{name} has no {seg} segment"))?;
                base.wrapping_add(p.offset)
            }
            Anchor::Kernelcache => unreachable!("handled above"),
        };
        // A code address that lands in a data segment is a wrong mapping (or the wrong image),
        // not a frame: the symbol table would happily name the nearest data symbol.
        if let Some(seg) = sym.slice().segment_containing(addr) {
            if seg.initprot | seg.maxprot != 0 && !seg.is_executable() {
                return Err(format!(
                    "{addr:#x} lands in {} of {name}, which holds no code",
                    seg.name
                ));
            }
        }
        let caveat = caveat.or_else(|| outside_anchor_caveat(p, sym.slice().segments(), addr));
        Ok((
            Target::File(p.image.clone(), SymbolAddr(addr), Some(name)),
            caveat,
        ))
    }

    /// A kernelcache vmaddr: find its fileset entry and segment, then the same segment of the
    /// entry's own symbol file; without one, the kernelcache's symbol table answers.
    fn kernelcache_target(&mut self, p: &Placement) -> Result<(Target, Option<String>), String> {
        let Some(kc) = self
            .lib
            .kernelcache()
            .filter(|_| self.use_kernelcache)
            .cloned()
        else {
            // No kernelcache: a U image can still be mapped through the kernel when the log
            // says where the kernel's text exec segment ran.
            return self.u_image_without_kernelcache(p);
        };
        let vm = p.offset;
        let entry = kc
            .slice()
            .entry_containing(vm)
            .ok_or_else(|| format!("no entry of the kernelcache maps {vm:#x}"))?;
        let (seg, nth) = segment_and_index(entry.segments(), vm)
            .ok_or_else(|| format!("no segment of {} maps {vm:#x}", entry.id))?;
        let entry_uuid = entry.uuid();
        let key = if entry.id == "com.apple.kernel"
            || (entry_uuid.is_some() && entry_uuid == self.placer.kernel_uuid())
        {
            ImageKey::Kernel
        } else {
            ImageKey::Kext {
                bundle_id: entry.id.clone(),
                uuid: entry_uuid,
            }
        };
        let seg_name = seg.name.clone();
        let in_seg = vm - seg.vmaddr;
        let entry_id = entry.id.clone();
        let state = self.image(&key);
        state.frames += 1;
        let name = state.name.clone();
        if let Ok(sym) = &state.symbols {
            let own = sym
                .slice()
                .segments()
                .iter()
                .filter(|s| s.name == seg_name)
                .nth(nth)
                .ok_or_else(|| format!("{name} has no segment {seg_name} #{nth}"))?;
            return Ok((
                Target::File(key, SymbolAddr(own.vmaddr + in_seg), Some(name)),
                None,
            ));
        }
        Ok((Target::KernelcacheSymtab(SymbolAddr(vm), entry_id), None))
    }

    fn u_image_without_kernelcache(
        &mut self,
        p: &Placement,
    ) -> Result<(Target, Option<String>), String> {
        // The U image's own kernelcache among the symbols (pre-fileset iOS kernelcaches are
        // plain MH_EXECUTEs): base + offset is one of its vmaddrs.
        if matches!(p.image, ImageKey::Image { uuid: Some(_), .. })
            && self.image(&p.image).symbols.is_ok()
        {
            let placed = Placement {
                anchor: Anchor::SymbolFile,
                ..p.clone()
            };
            return self.target(&placed);
        }
        let slides = &self.report.slides;
        match (
            slides.kernel_text_exec_base,
            self.report.kernelcache_slide(),
        ) {
            (Some(_), Some(slide)) => {
                let runtime = RuntimeAddr(p.offset.wrapping_add(slide));
                let placed = self.placer.place_runtime(runtime)?;
                self.target(&placed)
            }
            _ => {
                // Pre-fileset kernelcaches: base + offset is a vmaddr of that kernelcache, which is
                // also the kernel's own vmaddr for kernel code.
                let placed = Placement {
                    image: ImageKey::Kernel,
                    anchor: Anchor::SymbolFile,
                    offset: p.offset,
                    caveat: Some(
                        "a U-image address mapped onto the kernel without its kernelcache: may be off",
                    ),
                };
                self.target(&placed)
            }
        }
    }

    fn lookup(&self, key: &LookupKey, kind: FrameKind) -> Lookup {
        match key {
            LookupKey::File(image, addr) => match self.images.get(image).map(|s| &s.symbols) {
                Some(Ok(sym)) => sym.lookup(*addr, kind.into()),
                _ => unreachable!("targets exist only for opened images"),
            },
            LookupKey::Kernelcache(addr) => match self.lib.kernelcache() {
                Some(kc) => kc.lookup(*addr, kind.into()),
                None => unreachable!("kernelcache targets exist only with a kernelcache"),
            },
        }
    }

    fn assemble(
        &self,
        req: &Request,
        placement: Result<Placement, String>,
        runtime: Option<RuntimeAddr>,
        target: Result<(Target, Option<String>), String>,
        answers: &HashMap<(LookupKey, FrameKind), Lookup>,
    ) -> Frame {
        let (address, frame) = match &req.source {
            Source::Runtime(a) => (a.to_string(), None),
            Source::Stack(f) => (
                runtime.map_or_else(|| "?".to_string(), |a| a.to_string()),
                Some([f.image, f.offset.get()]),
            ),
        };
        let mut out = Frame {
            address,
            kind: req.kind,
            frame,
            image: None,
            image_offset: None,
            image_segment: None,
            symbol_address: None,
            symbols: Vec::new(),
            unresolved_reason: None,
            caveat: None,
        };
        if let Ok(p) = &placement {
            out.image_offset = Some(format!("{:#x}", p.offset));
            out.image_segment = Some(match p.anchor {
                Anchor::Segment(s) => s.to_string(),
                Anchor::SymbolFile => "symbol_file".to_string(),
                Anchor::Kernelcache => "kernelcache".to_string(),
            });
            if p.anchor == Anchor::Kernelcache || p.anchor == Anchor::SymbolFile {
                out.image_offset = None;
            }
            out.image = self.images.get(&p.image).map(|s| s.name.clone());
        }
        let (target, caveat) = match target {
            Ok(t) => t,
            Err(why) => {
                out.unresolved_reason = Some(why);
                return out;
            }
        };
        out.caveat = caveat;
        let key = LookupKey::of(&target);
        match &target {
            Target::File(_, addr, name) => {
                out.symbol_address = Some(format!("{:#x}", addr.get()));
                if name.is_some() {
                    out.image.clone_from(name);
                }
            }
            Target::KernelcacheSymtab(addr, entry) => {
                out.symbol_address = Some(format!("{:#x}", addr.get()));
                out.image = Some(entry.clone());
            }
        }
        let Some(lookup) = answers.get(&(key, req.kind)) else {
            out.unresolved_reason = Some("internal: no lookup".into());
            return out;
        };
        out.symbols = lookup.frames.iter().map(JsonSymbol::from).collect();
        if out.symbols.is_empty() {
            out.unresolved_reason = lookup
                .unresolved_reason
                .clone()
                .or_else(|| Some("no symbol covers the address".into()));
        }
        out
    }

    fn image_matches(&self) -> Vec<ImageMatch> {
        self.images
            .values()
            .map(|s| {
                let (path, status, debug_info, reason) = match &s.symbols {
                    Ok(sym) => (
                        Some(sym.path().display().to_string()),
                        "ok".to_string(),
                        sym.debug_path().map(|p| p.display().to_string()),
                        dsym_note(sym),
                    ),
                    Err(why) => (
                        None,
                        if why.starts_with("UUID mismatch") {
                            "uuid_mismatch".to_string()
                        } else {
                            "no_symbols".to_string()
                        },
                        None,
                        Some(why.clone()),
                    ),
                };
                ImageMatch {
                    image: s.name.clone(),
                    uuid: s.uuid.map(|u| u.to_string()),
                    path,
                    status,
                    debug_info,
                    reason,
                    frames: s.frames,
                }
            })
            .collect()
    }
}

struct PendingThread {
    pid: i64,
    process: String,
    tid: u64,
    name: Option<String>,
    panicked: bool,
    continuation: Option<StackFrame>,
    frames: Vec<StackFrame>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum LookupKey {
    File(ImageKey, SymbolAddr),
    Kernelcache(SymbolAddr),
}

impl LookupKey {
    fn of(t: &Target) -> LookupKey {
        match t {
            Target::File(k, a, _) => LookupKey::File(k.clone(), *a),
            Target::KernelcacheSymtab(a, _) => LookupKey::Kernelcache(*a),
        }
    }
}

/// The segment of `segments` that maps `vm`, and its index among segments of the same name.
fn segment_and_index(segments: &[Segment], vm: u64) -> Option<(&Segment, usize)> {
    let seg = segments
        .iter()
        .find(|s| s.name != "__LINKEDIT" && s.vmsize > 0 && s.contains(vm))?;
    let nth = segments
        .iter()
        .filter(|s| s.name == seg.name)
        .position(|s| std::ptr::eq(s, seg))?;
    Some((seg, nth))
}

/// The kernel's segments after the first `__TEXT_EXEC` (`__PPLTEXT`, `__KLD`, `__LASTTEXT`) do
/// not keep their distance to it in the boot kernelcache: say so when an address lands there.
fn outside_anchor_caveat(p: &Placement, segments: &[Segment], addr: u64) -> Option<String> {
    let Anchor::Segment(name) = p.anchor else {
        return None;
    };
    let anchor = segments.iter().find(|s| s.name == name)?;
    if anchor.contains(addr) {
        return None;
    }
    let landed = segments
        .iter()
        .find(|s| s.contains(addr))
        .map_or("no segment", |s| s.name.as_str());
    Some(format!(
        "outside the first {name} (in {landed}): the boot kernelcache may place it differently; \
         give --kernelcache for an exact mapping"
    ))
}

fn dsym_note(sym: &Symbols) -> Option<String> {
    use kpanic_symbols::DsymStatus;
    match sym.dsym_status() {
        DsymStatus::UuidMismatch { path, dsym, .. } => Some(format!(
            "dSYM {} does not match (UUIDs {}): symbol table only",
            path.display(),
            dsym.iter()
                .map(|u| u.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        DsymStatus::Missing if !sym.has_dwarf() => Some("no dSYM: symbol table only".into()),
        _ => None,
    }
}

fn registers_resolved(r: &[NamedFrame]) -> usize {
    r.iter().filter(|f| f.frame.is_resolved()).count()
}

fn cores_resolved(c: &[CoreFrames]) -> usize {
    c.iter()
        .map(|c| c.pc.is_resolved() as usize + c.lr.is_resolved() as usize)
        .sum()
}

fn check_panic_path(frames: &[&Frame]) -> PanicPathCheck {
    let mut matched = Vec::new();
    let mut any_resolved = false;
    for f in frames {
        for s in &f.symbols {
            any_resolved = true;
            if let Some(func) = &s.function {
                if on_panic_path(func) && !matched.contains(func) {
                    matched.push(func.clone());
                }
            }
        }
    }
    let result = if !matched.is_empty() {
        "passed"
    } else if any_resolved {
        "failed"
    } else {
        "not_checked"
    };
    PanicPathCheck {
        result: result.into(),
        matched,
    }
}
