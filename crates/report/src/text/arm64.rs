//! Lines only arm64 panics print: x0..far dumps, `lr:/fp:` frames, per-CORE state, TPIDR.

use super::common::first_number;
use crate::model::{ArmException, CoreState, CoresInfo, Frame, PvhLocks, RetiredInstr, TpidrEntry};
use crate::RuntimeAddr;
use kpanic_common::{parse_0x, Hex};

pub(crate) fn is_register_name(n: &str) -> bool {
    // armv7 (32-bit) dumps r0..r12 and fsr instead of x0..x28 and esr.
    matches!(
        n,
        "fp" | "lr" | "sp" | "pc" | "cpsr" | "esr" | "far" | "fsr"
    ) || n
        .strip_prefix('r')
        .is_some_and(|d| !d.is_empty() && d.len() <= 2 && d.bytes().all(|b| b.is_ascii_digit()))
        || n.strip_prefix('x')
            .is_some_and(|d| !d.is_empty() && d.len() <= 2 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// `\t\t  lr: 0x…  fp: 0x…` (any leading blanks, or none when a blog stripped them).
pub(crate) fn frame_line(line: &str, index: usize) -> Option<Frame> {
    let mut w = line.split_whitespace();
    if w.next()? != "lr:" {
        return None;
    }
    let lr = parse_0x(w.next()?)?;
    if w.next()? != "fp:" {
        return None;
    }
    let fp = parse_0x(w.next()?)?;
    if w.next().is_some() {
        return None;
    }
    Some(Frame {
        address: RuntimeAddr(lr),
        frame_pointer: Hex(fp),
        symbol: None,
        line: index,
    })
}

/// `… at pc 0x…, lr 0x… (saved state: 0x…)`, `(expected tagged address: 0x…)`.
pub(crate) fn exception_from_message(msg: &str) -> Option<ArmException> {
    let after = |key: &str| -> Option<u64> {
        let at = msg.find(key)? + key.len();
        let token = msg.get(at..)?.split_whitespace().next()?;
        parse_0x(token.trim_end_matches([',', ')']))
    };
    let e = ArmException {
        pc: after(" at pc ").map(RuntimeAddr),
        lr: after(", lr ").map(RuntimeAddr),
        saved_state: after("(saved state: ").map(Hex),
        expected_tagged_address: after("(expected tagged address: ").map(Hex),
    };
    if e.pc.is_none() && e.lr.is_none() && e.saved_state.is_none() {
        None
    } else {
        Some(e)
    }
}

/// Every `CORE n …` line. Returns false when the line is not one.
pub(crate) fn core_line(line: &str, index: usize, cores: &mut CoresInfo) -> bool {
    let Some(rest) = line.trim_start().strip_prefix("CORE ") else {
        return false;
    };
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let Ok(core) = rest[..digits_end].parse::<u32>() else {
        return false;
    };
    let mut rest = rest[digits_end..].trim_start();
    if let Some(r) = rest.strip_prefix(':') {
        let mut pc = None;
        let mut lr = None;
        let mut fp = None;
        for part in r.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("PC=") {
                pc = parse_0x(v);
            } else if let Some(v) = part.strip_prefix("LR=") {
                lr = parse_0x(v);
            } else if let Some(v) = part.strip_prefix("FP=") {
                fp = parse_0x(v);
            }
        }
        return match (pc, lr, fp) {
            (Some(pc), Some(lr), Some(fp)) => {
                cores.states.push(CoreState {
                    core,
                    pc: RuntimeAddr(pc),
                    lr: RuntimeAddr(lr),
                    fp: Hex(fp),
                    line: index,
                });
                true
            }
            _ => false,
        };
    }
    if rest.starts_with("is the one that panicked") {
        cores.panicked_core = Some(core);
        return true;
    }
    let mut cluster = None;
    if let Some(r) = rest.strip_prefix('[') {
        if let Some((c, r)) = r.split_once(']') {
            cluster = Some(c.to_string());
            rest = r.trim_start();
        }
    }
    if let Some(r) = rest.strip_prefix("recently retired instr at") {
        if let Some(a) = parse_0x(r) {
            cores.retired_instr.push(RetiredInstr {
                core,
                cluster,
                address: RuntimeAddr(a),
                line: index,
            });
            return true;
        }
        return false;
    }
    if let Some(r) = rest.strip_prefix("PVH locks held:") {
        cores.pvh_locks.push(PvhLocks {
            core,
            held: r.trim().to_string(),
        });
        return true;
    }
    false
}

/// `TPIDRx_ELy = {1: 0x…  0: 0x…  0ro: 0x… }`.
pub(crate) fn tpidr_line(line: &str) -> Option<Vec<TpidrEntry>> {
    let rest = line.trim_start().strip_prefix("TPIDRx_ELy")?;
    let rest = rest.trim_start().strip_prefix('=')?.trim();
    let inner = rest.strip_prefix('{')?.trim_end().strip_suffix('}')?;
    let mut w = inner.split_whitespace();
    let mut out = Vec::new();
    while let Some(k) = w.next() {
        let el = k.strip_suffix(':')?;
        out.push(TpidrEntry {
            el: el.to_string(),
            value: Hex(parse_0x(w.next()?)?),
        });
    }
    Some(out)
}

/// `panic(cpu 0 caller 0x…): message` → (cpu, caller, message).
pub(crate) fn headline(line: &str) -> Option<(Option<u32>, Option<u64>, &str)> {
    let t = line.trim_start();
    let inner = t.strip_prefix("panic(")?;
    let (args, msg) = match inner.split_once("):") {
        Some((a, m)) => (a, m),
        None => (inner.split_once(')').map_or(inner, |(a, _)| a), ""),
    };
    let mut cpu = None;
    let mut caller = None;
    let mut w = args.split_whitespace();
    while let Some(k) = w.next() {
        match k {
            "cpu" => cpu = w.next().and_then(first_number),
            "caller" => caller = w.next().and_then(parse_0x),
            _ => {}
        }
    }
    Some((cpu, caller, msg.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm64_lines() {
        assert!(frame_line("\t\t  lr: 0xfffffe00138fe920  fp: 0xfffffe3019457920", 0).is_some());
        assert!(frame_line("lr: 0x1 fp: 0x2 extra", 0).is_none());
        let e = exception_from_message(
            "Kernel data abort. at pc 0xfffffe00140bfee0, lr 0x2392fe0014048f9c (saved state: 0xfffffe3aeda0f740)",
        )
        .unwrap();
        assert_eq!(e.lr, Some(RuntimeAddr(0x2392fe0014048f9c)));
        assert_eq!(e.saved_state, Some(Hex(0xfffffe3aeda0f740)));
        let mut c = CoresInfo::default();
        assert!(core_line(
            "CORE 6 [PACC1] recently retired instr at 0x0000000000000000",
            1,
            &mut c
        ));
        assert_eq!(c.retired_instr[0].cluster.as_deref(), Some("PACC1"));
        assert!(core_line(
            "CORE 11: PC=0xfffffe001d424388, LR=0xfffffe001d424384, FP=0xfffffe3827513e40",
            2,
            &mut c
        ));
        assert!(core_line(
            "CORE 2 is the one that panicked. Check the full backtrace for details.",
            3,
            &mut c
        ));
        assert_eq!(c.panicked_core, Some(2));
        assert!(!core_line("CORE x", 0, &mut c));
        let t = tpidr_line(
            "TPIDRx_ELy = {1: 0xfffffe201d660040  0: 0x0000000000000004  0ro: 0x000000020ce825e0 }",
        )
        .unwrap();
        assert_eq!(t.len(), 3);
        let (cpu, caller, msg) = headline("panic(cpu 1 caller 0xfffffff0194c76dc):").unwrap();
        assert_eq!((cpu, caller, msg), (Some(1), Some(0xfffffff0194c76dc), ""));
    }
}
