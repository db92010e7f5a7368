//! Lines only Intel panics print: CR0..SS dumps, the `Fault CR2` line, `Kernel trap at`, and
//! `0xframe : 0xreturn [image : symbol + off]` frames.

use super::common::first_number;
use crate::model::{Frame, IntelFault, IntelTrap, KeepsymsSymbol};
use crate::RuntimeAddr;
use kpanic_common::{parse_0x, Hex};

pub(crate) fn is_register_name(n: &str) -> bool {
    matches!(
        n,
        "RAX"
            | "RBX"
            | "RCX"
            | "RDX"
            | "RSP"
            | "RBP"
            | "RSI"
            | "RDI"
            | "RFL"
            | "RIP"
            | "CS"
            | "SS"
            | "FS"
            | "GS"
            | "CR0"
            | "CR2"
            | "CR3"
            | "CR4"
            // 32-bit Intel (≤ 10.6 on i386 kernels).
            | "EAX"
            | "EBX"
            | "ECX"
            | "EDX"
            | "ESP"
            | "EBP"
            | "ESI"
            | "EDI"
            | "EFL"
            | "EIP"
            | "DS"
            | "ES"
    ) || n
        .strip_prefix('R')
        .and_then(|d| d.parse::<u32>().ok())
        .is_some_and(|d| (8..=15).contains(&d))
}

/// `Fault CR2: 0x…, Error code: 0x…, Fault CPU: 0x1 VMM, PL: 0, VF: 0`.
pub(crate) fn fault_line(line: &str, index: usize) -> Option<IntelFault> {
    let t = line.trim();
    if !t.starts_with("Fault CR2:") {
        return None;
    }
    let mut f = IntelFault {
        line: index,
        ..Default::default()
    };
    for part in t.split(',') {
        let Some((k, v)) = part.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "Fault CR2" => f.cr2 = parse_0x(v).map(Hex),
            "Error code" => f.error_code = parse_0x(v).map(Hex),
            "Fault CPU" => {
                let mut w = v.split_whitespace();
                f.fault_cpu = w
                    .next()
                    .and_then(|c| parse_0x(c).or_else(|| c.parse::<u64>().ok()))
                    .and_then(|c| u32::try_from(c).ok());
                f.vmm = w.any(|x| x == "VMM");
            }
            "PL" => f.privilege_level = first_number(v),
            "VF" => f.vf = first_number(v),
            _ => {}
        }
    }
    Some(f)
}

/// `Kernel trap at 0xffffff8009628b94, type 14=page fault, registers:`.
pub(crate) fn trap_from_message(msg: &str) -> Option<IntelTrap> {
    let rest = msg.trim_start().strip_prefix("Kernel trap at ")?;
    let mut parts = rest.split(',');
    let address = parse_0x(parts.next()?)?;
    let (mut trap_type, mut trap_name) = (None, None);
    if let Some(t) = parts.next().and_then(|p| p.trim().strip_prefix("type ")) {
        match t.split_once('=') {
            Some((n, name)) => {
                trap_type = n.trim().parse().ok();
                trap_name = Some(name.trim().to_string());
            }
            None => trap_type = first_number(t),
        }
    }
    Some(IntelTrap {
        address: RuntimeAddr(address),
        trap_type,
        trap_name,
    })
}

/// `Backtrace (CPU 0), Frame : Return Address` or
/// `Backtrace (CPU 8), panicked thread: 0x…, Frame : Return Address` → (cpu, thread).
pub(crate) fn backtrace_header(line: &str) -> Option<(Option<u32>, Option<u64>)> {
    let rest = line.trim_start().strip_prefix("Backtrace")?.trim_start();
    // ≤ 10.5: "Backtrace, Format - Frame : Return Address (4 potential args on stack)".
    if rest.starts_with(", Format - Frame") {
        return Some((None, None));
    }
    let rest = rest.strip_prefix("(CPU")?;
    let (cpu, rest) = rest.split_once(')')?;
    let thread = rest
        .split_once("panicked thread:")
        .and_then(|(_, t)| parse_0x(t.split(',').next()?));
    Some((first_number(cpu), thread))
}

/// `0xframe : 0xreturn` optionally followed by `image : symbol + 0xoff` (keepsyms=1).
pub(crate) fn frame_line(line: &str, index: usize) -> Option<Frame> {
    let t = line.trim();
    let (frame, rest) = t.split_once(':')?;
    let frame = parse_0x(frame)?;
    let rest = rest.trim_start();
    let (ret, sym) = match rest.split_once(char::is_whitespace) {
        Some((r, s)) => (r, s.trim()),
        None => (rest, ""),
    };
    let ret = parse_0x(ret)?;
    // 32-bit Intel (≤ 10.6) prints the first 4 stack words after the return address,
    // `(0x3cb134 0x1401bb0c 0x131de5 0x0)`, and the last frame may end with
    // "Backtrace terminated-invalid frame pointer 0x0".
    let mut sym = sym;
    if let Some(args) = sym.strip_prefix('(') {
        sym = args.split_once(')')?.1.trim();
    }
    if sym.starts_with("Backtrace terminated") {
        sym = "";
    }
    let symbol = if sym.is_empty() {
        None
    } else {
        let (image, s) = sym.split_once(" : ")?;
        let (symbol, offset) = match s.rsplit_once(" + ") {
            Some((name, off)) if parse_0x(off).is_some() => (name, parse_0x(off).map(Hex)),
            _ => (s, None),
        };
        Some(KeepsymsSymbol {
            image: image.trim().to_string(),
            symbol: symbol.trim().to_string(),
            offset,
        })
    };
    Some(Frame {
        address: RuntimeAddr(ret),
        frame_pointer: Hex(frame),
        symbol,
        line: index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intel_lines() {
        let f = fault_line("Fault CR2: 0x0000000112150890, Error code: 0x0000000000000000, Fault CPU: 0x1 VMM, PL: 0, VF: 0", 4).unwrap();
        assert!(f.vmm);
        assert_eq!(f.fault_cpu, Some(1));
        assert_eq!(f.privilege_level, Some(0));
        let t = trap_from_message(
            "Kernel trap at 0xffffff7f89d2e3d1, type 13=general protection, registers:",
        )
        .unwrap();
        assert_eq!(t.trap_type, Some(13));
        assert_eq!(t.trap_name.as_deref(), Some("general protection"));
        assert_eq!(
            backtrace_header(
                "Backtrace (CPU 8), panicked thread: 0xffffff8be242f598, Frame : Return Address"
            ),
            Some((Some(8), Some(0xffffff8be242f598)))
        );
        let fr = frame_line(
            "0xffffff80727fb7e0 : 0xffffff80173ac283 mach_kernel : _panic + 0x63",
            9,
        )
        .unwrap();
        let s = fr.symbol.unwrap();
        assert_eq!(
            (s.image.as_str(), s.symbol.as_str(), s.offset),
            ("mach_kernel", "_panic", Some(Hex(0x63)))
        );
        let fr = frame_line("0xffffff8e0693bcc0 : 0xffffff7f83e0f362 com.apple.iokit.IONVMeFamily : __ZN16IONVMeController18RequestAsyncEventsEj", 0).unwrap();
        assert_eq!(fr.symbol.unwrap().offset, None);
        assert!(frame_line("0xffffff91ff2f3610 : 0xffffff800e46e166 ", 0)
            .unwrap()
            .symbol
            .is_none());
        assert!(frame_line("0x00000021fe902b64 | [RX] | Interrupt", 0).is_none());
    }
}
