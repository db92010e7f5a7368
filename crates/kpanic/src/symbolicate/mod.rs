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
pub use panic_path::{PanicPathCheck, PanicPathResult};

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use kpanic_common::{AddrKind, RuntimeAddr, SymbolAddr, Uuid};
use kpanic_report::{PanicReport, StackFrame};
use kpanic_symbols::Lookup;

use crate::frame::{Frame, FramePlacement};
use crate::library::{SymbolLibrary, Symbols, Unavailable};
use crate::place::{Anchor, ImageKey, Placement, Placer};
use crate::unresolved::{Caveat, Unresolved};

/// One address to symbolicate, by identity: the same address of the same kind is one frame,
/// wherever the log repeats it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Source {
    Runtime(RuntimeAddr),
    Stack(StackFrame),
}

type Request = (Source, AddrKind);

/// Which register or panic address a [`NamedFrame`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Register {
    /// arm64 `Exception … at pc`.
    ExceptionPc,
    /// arm64 `… lr` of the exception line.
    ExceptionLr,
    /// Intel `Kernel trap at …`.
    TrapAddress,
    /// arm64 register dump `pc:`.
    Pc,
    /// arm64 register dump `lr:`.
    Lr,
    /// Intel register dump `RIP:`.
    Rip,
}

impl Register {
    /// The name the outputs give it.
    pub fn as_str(self) -> &'static str {
        match self {
            Register::ExceptionPc => "exception pc",
            Register::ExceptionLr => "exception lr",
            Register::TrapAddress => "trap address",
            Register::Pc => "pc",
            Register::Lr => "lr",
            Register::Rip => "RIP",
        }
    }

    /// True for the addresses of the panic line itself (exception, trap) rather than of the
    /// register dump.
    pub fn is_on_panic_line(self) -> bool {
        matches!(
            self,
            Register::ExceptionPc | Register::ExceptionLr | Register::TrapAddress
        )
    }
}

/// A symbolicated register (`pc`, `lr`, `RIP`) or exception/trap address.
#[derive(Clone, Debug)]
pub struct NamedFrame {
    /// Which one.
    pub name: Register,
    /// The frame.
    pub frame: Frame,
}

/// `CORE n: PC=…, LR=…`.
#[derive(Clone, Debug)]
pub struct CoreFrames {
    /// The core number.
    pub core: u32,
    /// Its pc.
    pub pc: Frame,
    /// Its lr.
    pub lr: Frame,
    /// Line index in the panic text.
    pub line: usize,
}

/// A full panic's thread with symbolicated kernel frames.
#[derive(Clone, Debug)]
pub struct ThreadFrames {
    /// The process id.
    pub pid: i64,
    /// The process name.
    pub process: String,
    /// The thread id.
    pub tid: u64,
    /// The thread's name.
    pub name: Option<String>,
    /// True for the thread that panicked.
    pub panicked: bool,
    /// Where the thread resumes when it wakes.
    pub continuation: Option<Frame>,
    /// Its kernel frames, innermost first.
    pub kernel_frames: Vec<Frame>,
}

/// How an image's symbol file matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    /// A symbol file with the image's UUID was found.
    Ok,
    /// None was found (or it could not be read).
    NoSymbols,
    /// Files for the image were found, none with its UUID.
    UuidMismatch,
}

impl ImageStatus {
    /// The JSON name: `ok`, `no_symbols`, `uuid_mismatch`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::Ok => "ok",
            ImageStatus::NoSymbols => "no_symbols",
            ImageStatus::UuidMismatch => "uuid_mismatch",
        }
    }
}

/// The symbol file an image matched.
#[derive(Clone, Debug)]
pub struct SymbolFile {
    /// The binary or dSYM used.
    pub path: PathBuf,
    /// Where DWARF came from (a dSYM, the binary), when any.
    pub debug_info: Option<PathBuf>,
    /// What is missing from it.
    pub note: Option<DsymNote>,
}

/// Why a matched image answers from its symbol table only.
#[derive(Clone, Debug, thiserror::Error)]
pub enum DsymNote {
    /// The dSYM beside it belongs to another build.
    #[error("dSYM {} does not match (UUIDs {}): symbol table only", path.display(),
        dsym.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(", "))]
    Mismatch {
        /// The dSYM.
        path: PathBuf,
        /// Its UUIDs.
        dsym: Vec<Uuid>,
    },
    /// No dSYM and no DWARF in the binary.
    #[error("no dSYM: symbol table only")]
    Missing,
}

/// An image the panic referred to, and what was found for it.
#[derive(Clone, Debug)]
pub struct ImageMatch {
    /// Bundle id, kernel file name or image name.
    pub image: String,
    /// The image's UUID, as the log gives it.
    pub uuid: Option<Uuid>,
    /// The symbol file, or why there is none.
    pub symbols: Result<SymbolFile, Unavailable>,
    /// How many frames fell in this image.
    pub frames: usize,
    /// The kernel, when KDKs were given and none holds it: each KDK's build and kernels, to
    /// say why it does not fit. Empty otherwise.
    pub kdks_without_it: Vec<crate::library::KdkKernels>,
}

impl ImageMatch {
    /// The status the summary and JSON report.
    pub fn status(&self) -> ImageStatus {
        match &self.symbols {
            Ok(_) => ImageStatus::Ok,
            Err(u) if u.is_uuid_mismatch() => ImageStatus::UuidMismatch,
            Err(_) => ImageStatus::NoSymbols,
        }
    }
}

/// Counts and trust checks of one symbolication.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Every frame that came in.
    pub frames: usize,
    /// Those with symbols.
    pub resolved: usize,
    /// Does the panicked thread run through the panic path?
    pub panic_path: PanicPathCheck,
    /// Intel `keepsyms=1` logs: kpanic's functions against the kernel's own symbols.
    pub keepsyms: Option<KeepsymsCheck>,
}

/// A panic with every address symbolicated.
#[derive(Clone, Debug)]
pub struct Symbolication {
    /// The panic's `caller`.
    pub caller: Option<Frame>,
    /// arm64 exception `pc`/`lr` and register-dump `pc`/`lr`; Intel trap address and `RIP`.
    pub registers: Vec<NamedFrame>,
    /// `CORE n: PC=…, LR=…` lines.
    pub cores: Vec<CoreFrames>,
    /// The panicked thread's backtrace, in log order.
    pub backtrace: Vec<Frame>,
    /// Full panics: every thread with kernel frames (the panicked one first).
    pub threads: Vec<ThreadFrames>,
    /// Every image a frame fell in.
    pub images: Vec<ImageMatch>,
    /// Counts and trust checks.
    pub summary: Summary,
    /// Problems of this panic's symbolication (e.g. a kernelcache of another build).
    pub warnings: Vec<String>,
    /// Problems with the symbol sources themselves (a `--kdk` folder that is not one, an
    /// unwritable index cache): the same for every panic of a run, so text output says them once.
    pub symbol_source_warnings: Vec<String>,
}

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
        let rt = |a: RuntimeAddr, kind| (Source::Runtime(a), kind);
        let st = |f: StackFrame, kind| (Source::Stack(f), kind);

        // The caller is __builtin_return_address(0) of panic(): a return address, and it
        // equals the lr of the backtrace frame that called panic.
        let caller = r
            .panic
            .as_ref()
            .and_then(|p| p.caller)
            .map(|c| rt(c, AddrKind::ReturnAddress));
        let mut registers: Vec<(Register, Request)> = Vec::new();
        if let Some(ex) = r.panic.as_ref().and_then(|p| p.exception.as_ref()) {
            for (name, addr, kind) in [
                (Register::ExceptionPc, ex.pc, AddrKind::Exact),
                (Register::ExceptionLr, ex.lr, AddrKind::ReturnAddress),
            ] {
                if let Some(a) = addr {
                    registers.push((name, rt(a, kind)));
                }
            }
        }
        if let Some(trap) = r.panic.as_ref().and_then(|p| p.trap.as_ref()) {
            registers.push((Register::TrapAddress, rt(trap.address, AddrKind::Exact)));
        }
        for (name, kind) in [
            (Register::Pc, AddrKind::Exact),
            (Register::Lr, AddrKind::ReturnAddress),
            (Register::Rip, AddrKind::Exact),
        ] {
            if let Some(v) = r.register(name.as_str()) {
                registers.push((name, rt(RuntimeAddr(v), kind)));
            }
        }
        let bt_frames = r.backtrace.as_ref().map_or(&[][..], |b| &b.frames[..]);
        let threads = self.spindump_threads();

        // Every request in output order (duplicates included: each counts as a frame of its
        // image), then one frame per distinct request.
        let mut requests: Vec<Request> = Vec::new();
        requests.extend(caller);
        requests.extend(registers.iter().map(|(_, q)| *q));
        for c in &r.cores.states {
            requests.push(rt(c.pc, AddrKind::Exact));
            requests.push(rt(c.lr, AddrKind::ReturnAddress));
        }
        requests.extend(
            bt_frames
                .iter()
                .map(|f| rt(f.address, AddrKind::ReturnAddress)),
        );
        for t in &threads {
            requests.extend(t.continuation.map(|c| st(c, AddrKind::Exact)));
            requests.extend(t.frames.iter().map(|f| st(*f, AddrKind::ReturnAddress)));
        }
        let frames = self.resolve_all(&requests);
        let get = |q: &Request| frames[q].clone();

        let registers: Vec<NamedFrame> = registers
            .into_iter()
            .map(|(name, q)| NamedFrame {
                name,
                frame: get(&q),
            })
            .collect();
        let cores: Vec<CoreFrames> = r
            .cores
            .states
            .iter()
            .map(|c| CoreFrames {
                core: c.core,
                pc: get(&rt(c.pc, AddrKind::Exact)),
                lr: get(&rt(c.lr, AddrKind::ReturnAddress)),
                line: c.line,
            })
            .collect();
        let backtrace: Vec<Frame> = bt_frames
            .iter()
            .map(|f| get(&rt(f.address, AddrKind::ReturnAddress)))
            .collect();
        let threads: Vec<ThreadFrames> = threads
            .into_iter()
            .map(|t| ThreadFrames {
                continuation: t.continuation.map(|c| get(&st(c, AddrKind::Exact))),
                kernel_frames: t
                    .frames
                    .iter()
                    .map(|f| get(&st(*f, AddrKind::ReturnAddress)))
                    .collect(),
                pid: t.pid,
                process: t.process,
                tid: t.tid,
                name: t.name,
                panicked: t.panicked,
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
        let kernel_has_symbols = self
            .images
            .get(&ImageKey::Kernel)
            .is_some_and(|s| s.symbols.is_ok());
        let panic_path = check_panic_path(&panicked_frames, kernel_has_symbols);
        let log_symbols: Vec<_> = bt_frames.iter().map(|f| f.symbol.as_ref()).collect();
        let keepsyms = keepsyms::check_keepsyms(&backtrace, &log_symbols);
        let mut out = Symbolication {
            caller: caller.map(|q| get(&q)),
            registers,
            cores,
            backtrace,
            threads,
            images: self.image_matches(),
            summary: Summary {
                frames: requests.len(),
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

    /// Places, matches and looks up every request; one frame per distinct request.
    fn resolve_all(&mut self, requests: &[Request]) -> HashMap<Request, Frame> {
        // 1. place and target each request (images are opened once; every occurrence counts
        //    as a frame of its image).
        let mut planned: HashMap<Request, Planned> = HashMap::new();
        for q in requests {
            let (placement, runtime) = match q.0 {
                Source::Runtime(a) => (self.place_runtime(a), Some(a)),
                Source::Stack(f) => (
                    self.placer.place_stack_frame(&f),
                    self.placer.runtime_of(&f),
                ),
            };
            let target = match &placement {
                Ok(p) => self.target(p),
                Err(e) => Err(e.clone()),
            };
            planned.entry(*q).or_insert(Planned {
                placement,
                runtime,
                target,
            });
        }
        // 2. distinct lookups, one batch per symbol file: `lookup_many` sorts them, runs them
        //    in parallel and, without an index, reads the DWARF with bounded memory.
        let mut keys: Vec<(LookupKey, AddrKind)> = planned
            .iter()
            .filter_map(|(q, p)| Some((LookupKey::of(&p.target.as_ref().ok()?.0), q.1)))
            .collect();
        keys.sort();
        keys.dedup();
        let mut answers: HashMap<(LookupKey, AddrKind), Lookup> = HashMap::new();
        // Sorted keys put each file's addresses together.
        for group in keys.chunk_by(|a, b| a.0.file() == b.0.file()) {
            let batch: Vec<(SymbolAddr, AddrKind)> =
                group.iter().map(|(k, kind)| (k.addr(), *kind)).collect();
            let lookups = self.symbols_for(&group[0].0).lookup_many(&batch);
            answers.extend(group.iter().cloned().zip(lookups));
        }
        // 3. assemble
        planned
            .into_iter()
            .map(|(q, p)| {
                let frame = self.assemble(q, p, &answers);
                (q, frame)
            })
            .collect()
    }

    fn place_runtime(&self, a: RuntimeAddr) -> Result<Placement, Unresolved> {
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
        (source, kind): Request,
        planned: Planned,
        answers: &HashMap<(LookupKey, AddrKind), Lookup>,
    ) -> Frame {
        let (address, frame) = match source {
            Source::Runtime(a) => (Some(a), None),
            Source::Stack(f) => (planned.runtime, Some([f.image, f.offset.get()])),
        };
        let mut out = Frame::new(address, kind, Unresolved::NoSymbol);
        out.frame = frame;
        if let Ok(p) = &planned.placement {
            out.placement = Some(FramePlacement {
                anchor: p.anchor,
                offset: p.offset,
            });
            out.image = self.images.get(&p.image).map(|s| s.name.clone());
            out.kext = self.kext_of(&p.image);
        }
        let (target, caveat) = match planned.target {
            Ok(t) => t,
            Err(why) => {
                out.symbols = Err(why);
                return out;
            }
        };
        out.caveat = caveat;
        let key = LookupKey::of(&target);
        match target {
            Target::File(key, addr, name) => {
                out.kext = out.kext.or_else(|| self.kext_of(&key));
                out.symbol_address = Some(addr);
                if name.is_some() {
                    out.image = name;
                }
            }
            Target::KernelcacheSymtab(addr, entry) => {
                if entry != KERNEL_ENTRY {
                    out.kext = out.kext.or_else(|| Some(entry.clone()));
                }
                out.symbol_address = Some(addr);
                out.image = Some(entry);
            }
        }
        let Some(lookup) = answers.get(&(key, kind)) else {
            out.symbols = Err(Unresolved::Lookup("internal: no lookup".into()));
            return out;
        };
        out.symbols = if lookup.frames.is_empty() {
            Err(lookup
                .unresolved_reason
                .clone()
                .map_or(Unresolved::NoSymbol, Unresolved::Lookup))
        } else {
            Ok(lookup.frames.clone())
        };
        out
    }
}

/// The fileset entry id of the kernel in a kernelcache.
const KERNEL_ENTRY: &str = "com.apple.kernel";

impl Symbolicator<'_> {
    /// The bundle id of the kext an image key stands for, if it is one.
    fn kext_of(&self, key: &ImageKey) -> Option<String> {
        match key {
            ImageKey::Kernel => None,
            ImageKey::Kext { bundle_id, .. } => Some(bundle_id.clone()),
            ImageKey::Image { uuid, .. } => uuid
                .and_then(|u| self.placer.table().kext_by_uuid(u))
                .map(|k| k.bundle_id.clone()),
        }
    }
}

/// A request placed and targeted, waiting for its lookup.
struct Planned {
    placement: Result<Placement, Unresolved>,
    runtime: Option<RuntimeAddr>,
    target: Result<(Target, Option<Caveat>), Unresolved>,
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
