//! Symbolicate a whole panic: every address of the log, through the right image and segment.
//!
//! Three steps, kept apart: [`crate::place`] says where each address lives (image + anchor +
//! offset, from the log alone); images are then matched to symbol files once each
//! ([`SymbolLibrary`], UUID-checked); last, the distinct (image, address) pairs are looked up,
//! in parallel, and every frame is assembled, resolved or with the reason it is not.

mod images;
mod keepsyms;
mod panic_path;
mod target;

pub use keepsyms::{KeepsymsCheck, KeepsymsDisagreement};
use panic_path::check_panic_path;
pub use panic_path::PanicPathCheck;

use std::collections::{BTreeMap, HashMap};

use kpanic_report::{PanicReport, RuntimeAddr, StackFrame};
use kpanic_symbols::atos::JsonSymbol;
use kpanic_symbols::{Lookup, SymbolAddr, Uuid};
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

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub frames: usize,
    pub resolved: usize,
    pub panic_path: PanicPathCheck,
    /// Intel `keepsyms=1` logs: kpanic's functions against the kernel's own symbols.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keepsyms: Option<KeepsymsCheck>,
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
    /// Problems of this panic's symbolication (e.g. a kernelcache of another build).
    pub warnings: Vec<String>,
    /// Problems with the symbol sources themselves (a `--kdk` folder that is not one, an
    /// unwritable index cache): the same for every panic of a run, so text output says them once.
    pub symbol_source_warnings: Vec<String>,
}

/// Symbolicates every address of `report` with the symbols of `lib`.
impl Symbolication {
    /// Every symbolicated address, in output order: caller, registers, cores, backtrace, then
    /// each thread's continuation and kernel frames.
    pub fn frames(&self) -> impl Iterator<Item = &Frame> {
        self.caller
            .iter()
            .chain(self.registers.iter().map(|r| &r.frame))
            .chain(self.cores.iter().flat_map(|c| [&c.pc, &c.lr]))
            .chain(&self.backtrace)
            .chain(
                self.threads
                    .iter()
                    .flat_map(|t| t.continuation.iter().chain(&t.kernel_frames)),
            )
    }
}

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
        let mut warnings: Vec<String> = Vec::new();
        let placer = Placer::new(report);
        let mut use_kernelcache = false;
        if let Some(kc) = lib.kernelcache() {
            let want = report.system.kernelcache_uuid;
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
        let log_symbols: Vec<_> = bt_frames.iter().map(|f| f.symbol.as_ref()).collect();
        let keepsyms = keepsyms::check_keepsyms(&backtrace, &log_symbols);
        let total = requests.len();
        let mut out = Symbolication {
            caller,
            registers,
            cores,
            backtrace,
            threads,
            images: self.image_matches(),
            summary: Summary {
                frames: total,
                resolved: 0,
                panic_path,
                keepsyms,
            },
            warnings: self.warnings,
            symbol_source_warnings: self.lib.warnings().to_vec(),
        };
        out.summary.resolved = out.frames().filter(|f| f.is_resolved()).count();
        out
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
        // 3. distinct lookups, one batch per symbol file: `lookup_many` sorts them, runs them
        //    in parallel and, without an index, reads the DWARF with bounded memory.
        let mut keys: Vec<(LookupKey, FrameKind)> = Vec::new();
        for (t, req) in targets.iter().zip(requests) {
            if let Ok((t, _)) = t {
                keys.push((LookupKey::of(t), req.kind));
            }
        }
        keys.sort();
        keys.dedup();
        let mut answers: HashMap<(LookupKey, FrameKind), Lookup> = HashMap::new();
        // Sorted keys put each file's addresses together.
        for group in keys.chunk_by(|a, b| a.0.file() == b.0.file()) {
            let batch: Vec<(SymbolAddr, kpanic_symbols::AddrKind)> = group
                .iter()
                .map(|(k, kind)| (k.addr(), (*kind).into()))
                .collect();
            let lookups = self.symbols_for(&group[0].0).lookup_many(&batch);
            answers.extend(group.iter().cloned().zip(lookups));
        }
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

    /// The symbol file a lookup key refers to.
    fn symbols_for(&self, key: &LookupKey) -> &Symbols {
        match key.file() {
            Some(image) => match self.images.get(image).map(|s| &s.symbols) {
                Some(Ok(sym)) => sym,
                _ => unreachable!("targets exist only for opened images"),
            },
            None => self
                .lib
                .kernelcache()
                .expect("kernelcache targets exist only with a kernelcache"),
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
    /// The image whose symbol file answers; `None` for the kernelcache's symbol table.
    fn file(&self) -> Option<&ImageKey> {
        match self {
            LookupKey::File(image, _) => Some(image),
            LookupKey::Kernelcache(_) => None,
        }
    }

    fn addr(&self) -> SymbolAddr {
        match self {
            LookupKey::File(_, a) | LookupKey::Kernelcache(a) => *a,
        }
    }

    fn of(t: &Target) -> LookupKey {
        match t {
            Target::File(k, a, _) => LookupKey::File(k.clone(), *a),
            Target::KernelcacheSymtab(a, _) => LookupKey::Kernelcache(*a),
        }
    }
}
