//! Reading values out of panic messages and symbol names.

use kpanic_report::PanicReport;

/// The number after `key` (`watchdogd in 305 seconds` → 305).
pub(super) fn first_number_after(s: &str, key: &str) -> Option<u64> {
    let i = s.find(key)? + key.len();
    let digits: String = s[i..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The value after `key` up to the next space/comma/paren (`CSTS=0x1` → `0x1`).
pub(super) fn value_after<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let i = s.find(key)? + key.len();
    let rest = &s[i..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ',' || c == ')' || c == '"' || c == '\\')
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|v| !v.is_empty())
}

/// The number after `key`, read through OCR damage (`O`/`o` for `0`): `failed with 3` → 3,
/// `timed out after 45938 ms` → 45938. Decimal, or hex with `0x`.
pub(super) fn number_after(s: &str, key: &str) -> Option<u64> {
    let i = s.find(key)? + key.len();
    parse_number(s[i..].trim_start())
}

/// The number at the start of `s` (decimal, or hex after `0x`), read through OCR damage.
pub(super) fn parse_number(s: &str) -> Option<u64> {
    let fixed: String = s
        .chars()
        .map(|c| if c == 'O' || c == 'o' { '0' } else { c })
        .collect();
    if let Some(hex) = fixed
        .strip_prefix("0x")
        .or_else(|| fixed.strip_prefix("0X"))
    {
        let digits: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
        return u64::from_str_radix(&digits, 16).ok();
    }
    let digits: String = fixed.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// `kern_return_t` names, by value (osfmk/mach/kern_return.h): the one table every finding
/// names a return code from.
static KERN_RETURN: &[&str] = &[
    "KERN_SUCCESS",
    "KERN_INVALID_ADDRESS",
    "KERN_PROTECTION_FAILURE",
    "KERN_NO_SPACE",
    "KERN_INVALID_ARGUMENT",
    "KERN_FAILURE",
    "KERN_RESOURCE_SHORTAGE",
    "KERN_NOT_RECEIVER",
    "KERN_NO_ACCESS",
    "KERN_MEMORY_FAILURE",
    "KERN_MEMORY_ERROR",
    "KERN_ALREADY_IN_SET",
    "KERN_NOT_IN_SET",
    "KERN_NAME_EXISTS",
    "KERN_ABORTED",
    "KERN_INVALID_NAME",
    "KERN_INVALID_TASK",
    "KERN_INVALID_RIGHT",
    "KERN_INVALID_VALUE",
    "KERN_UREFS_OVERFLOW",
    "KERN_INVALID_CAPABILITY",
    "KERN_RIGHT_EXISTS",
    "KERN_INVALID_HOST",
    "KERN_MEMORY_PRESENT",
    "KERN_MEMORY_DATA_MOVED",
    "KERN_MEMORY_RESTART_COPY",
    "KERN_INVALID_PROCESSOR_SET",
    "KERN_POLICY_LIMIT",
    "KERN_INVALID_POLICY",
    "KERN_INVALID_OBJECT",
    "KERN_ALREADY_WAITING",
    "KERN_DEFAULT_SET",
    "KERN_EXCEPTION_PROTECTED",
    "KERN_INVALID_LEDGER",
    "KERN_INVALID_MEMORY_CONTROL",
    "KERN_INVALID_SECURITY",
    "KERN_NOT_DEPRESSED",
    "KERN_TERMINATED",
    "KERN_LOCK_SET_DESTROYED",
    "KERN_LOCK_UNSTABLE",
    "KERN_LOCK_OWNED",
    "KERN_LOCK_OWNED_SELF",
    "KERN_SEMAPHORE_DESTROYED",
    "KERN_RPC_SERVER_TERMINATED",
    "KERN_RPC_TERMINATE_ORPHAN",
    "KERN_RPC_CONTINUE_ORPHAN",
    "KERN_NOT_SUPPORTED",
    "KERN_NODE_DOWN",
    "KERN_NOT_WAITING",
    "KERN_OPERATION_TIMED_OUT",
    "KERN_CODESIGN_ERROR",
    "KERN_POLICY_STATIC",
    "KERN_INSUFFICIENT_BUFFER_SIZE",
    "KERN_DENIED",
    "KERN_MISSING_KC",
    "KERN_INVALID_KC",
    "KERN_NOT_FOUND",
];

/// What the return codes the VM hands back when an allocation or mapping fails mean there.
fn kern_return_meaning(code: u64) -> Option<&'static str> {
    Some(match code {
        1 => "the address is not mapped or out of range",
        2 => "the mapping forbids the access",
        3 => "no room left in the address space (map) for the request",
        4 => "an argument was invalid",
        5 => "a generic failure",
        6 => "the kernel ran out of a resource (memory, pages)",
        9 => "the memory object could not provide the data",
        10 => "a hardware/pager error on the memory",
        _ => return None,
    })
}

/// `KERN_NO_SPACE (3)`, or `return code 77` for a value outside the table.
pub(super) fn kern_return_name(code: u64) -> String {
    match usize::try_from(code).ok().and_then(|c| KERN_RETURN.get(c)) {
        Some(name) => format!("{name} ({code})"),
        None => format!("return code {code}"),
    }
}

/// `KERN_NO_SPACE (3): no room left in the address space (map) for the request`.
pub(super) fn kern_return_described(code: u64) -> String {
    match kern_return_meaning(code) {
        Some(m) => format!("{}: {m}", kern_return_name(code)),
        None => kern_return_name(code),
    }
}

/// The lines of a panic message the detection rules read: what the kernel wrote, without the
/// debugger's own chatter and without memory dumps a panic string can carry (a page dumped as
/// base64 or hex holds every short word by chance).
pub(super) fn rule_lines(reason: &str) -> Vec<&str> {
    reason
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !is_chatter(l) && !is_dump(l))
        .collect()
}

/// What the debugger prints around any panic: never evidence of a class.
pub(super) fn is_chatter(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    let l = l.trim_matches(|c: char| c == '"' || c.is_whitespace() || c == '.');
    const CHATTER: &[&str] = &[
        "debugger called: <panic>",
        "debugger called: <>",
        "debugger message:",
        "attempting system restart",
        "attempting to commit panic log",
        "halt not supported",
        "cpu halted",
        "panic log",
        "backtrace (cpu",
        "kernel extensions in backtrace",
    ];
    l.is_empty() || CHATTER.iter().any(|c| l.starts_with(c))
}

/// A line of a memory dump: an address followed by one long run of base64 or hex.
fn is_dump(line: &str) -> bool {
    line.split_whitespace().any(|w| {
        w.len() >= 48
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=')
    })
}

/// The text the rules match: the lines joined, lower case, dashes and runs of spaces made
/// plain (pastes and OCR turn `-` into `—` and split words over several spaces).
pub(super) fn normalize(lines: &[&str]) -> String {
    let mut out = String::new();
    for l in lines {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut space = false;
        for c in l.chars() {
            let c = match c {
                '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
                '\u{2018}' | '\u{2019}' => '\'',
                '\u{201c}' | '\u{201d}' => '"',
                c => c,
            };
            if c.is_whitespace() {
                space = true;
                continue;
            }
            if space && !out.ends_with('\n') && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// A kernel pointer as printed, mended where OCR split it (`0xf ff ffe29ea6c9030` →
/// `0xfffffe29ea6c9030`): hex groups after `0x` are joined while they fit in 16 digits.
pub(super) fn pointer_after(s: &str, key: &str) -> Option<String> {
    let i = s.find(key)? + key.len();
    let rest = s[i..].trim_start();
    let hex = rest
        .strip_prefix("0x")
        .or_else(|| rest.strip_prefix("Ox"))?;
    let mut digits = String::new();
    for w in hex.split(' ') {
        let run: String = w
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == 'O')
            .map(|c| if c == 'O' { '0' } else { c })
            .collect();
        if run.is_empty() || digits.len() + run.len() > 16 {
            break;
        }
        let whole = run.len() == w.len();
        digits.push_str(&run);
        if !whole || digits.len() == 16 {
            break;
        }
    }
    (!digits.is_empty()).then(|| format!("0x{digits}"))
}

/// The function a message starts with: `vm_page_check_pageable_safe: …` →
/// `vm_page_check_pageable_safe`, `kmem_alloc(0x…, …)` → `kmem_alloc`,
/// `IOService::pmDriverCallout bad …` → none (not followed by `(` or `:`).
pub(super) fn leading_function(msg: &str) -> Option<&str> {
    let m = msg.trim_start_matches(['"', ' ']);
    let mut end = 0;
    let b = m.as_bytes();
    while end < b.len() {
        let c = b[end];
        if c.is_ascii_alphanumeric() || c == b'_' {
            end += 1;
        } else if c == b':' && b.get(end + 1) == Some(&b':') {
            end += 2;
        } else {
            break;
        }
    }
    let name = &m[..end];
    let called = m[end..].starts_with(['(', ':']);
    (called && name.len() > 2 && (name.contains('_') || name.contains("::"))).then_some(name)
}

/// A message as a title quotes it: without surrounding quotes, a trailing `\n`, the `" "`
/// joints of C string pieces, and a C++ function's return type and parameter list
/// (`virtual bool IOAccelX::did_change(uint32_t): …` → `IOAccelX::did_change: …`).
pub(super) fn clean_message(msg: &str) -> String {
    let m = msg.trim().trim_matches('"').trim_end_matches("\\n").trim();
    let m = m.replace("\" \"", " ").replace("\"\"", "");
    let mut m = m.as_str();
    for prefix in ["virtual ", "static ", "bool ", "void ", "IOReturn ", "int "] {
        m = m.strip_prefix(prefix).unwrap_or(m);
    }
    let m = match (m.find("::"), m.find("):")) {
        (Some(c), Some(close)) if c < close => {
            let open = m[..close].rfind('(').unwrap_or(close);
            format!("{}{}", &m[..open], &m[close + 1..])
        }
        _ => m.to_string(),
    };
    m.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The message after its leading `function:` or `function(args):`.
pub(super) fn after_function(msg: &str) -> String {
    let m = clean_message(msg);
    let Some(f) = leading_function(&m) else {
        return m;
    };
    let start = m.find(f).unwrap_or(0);
    let mut rest = &m[start + f.len()..];
    if rest.starts_with('(') {
        if let Some(i) = rest.find("):") {
            rest = &rest[i + 1..];
        }
    }
    rest.trim_start_matches([':', ' ']).to_string()
}

/// The source file and line of the panic: the parsed `@file:line` suffix, else one found in
/// the message itself (a multi-line message whose suffix the parser did not take apart, or OCR
/// that turned the `@` into `Q` or `E@`).
pub(super) fn panic_source(r: &PanicReport) -> Option<(String, Option<u32>)> {
    let p = r.panic.as_ref()?;
    if let Some(l) = &p.location {
        return Some((l.file.clone(), l.line));
    }
    p.message
        .split(|c: char| c.is_whitespace() || c == '"')
        .rev()
        .find_map(|w| {
            let loc = match w.rfind('@') {
                Some(i) => &w[i + 1..],
                None => w.strip_prefix('Q')?,
            };
            let (file, line) = loc.trim_end_matches([',', '.', ')']).rsplit_once(':')?;
            let line: u32 = line.parse().ok()?;
            let ext = file.rsplit_once('.')?.1;
            matches!(ext, "c" | "cpp" | "h" | "s" | "m" | "mm" | "hpp")
                .then(|| (file.to_string(), Some(line)))
        })
}

/// `vfs_subr.c:732`: the base name and line of [`panic_source`].
pub(super) fn source_at(r: &PanicReport) -> Option<String> {
    let (file, line) = panic_source(r)?;
    let base = base_name(&file);
    Some(match line {
        Some(n) => format!("{base}:{n}"),
        None => base.to_string(),
    })
}

/// The base name of a source path (`/…/bsd/vfs/vfs_subr.c` → `vfs_subr.c`).
pub(super) fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `__ZN22AppleUSBHostController20lowerOnePowerStateToEm` → `AppleUSBHostController::lowerOnePowerStateTo`.
pub fn demangle_short(sym: &str) -> String {
    let s = sym.trim_start_matches('_');
    // Any Itanium name (`_Z19OSUnserializeBinaryPKcmPP8OSString`, not only nested `_ZN…`):
    // LLVM-compatible demangling, then the name without its parameters.
    if s.starts_with('Z') {
        let mangled = format!("_{s}");
        let full = kpanic_symbols::demangle(&mangled);
        if full != mangled.as_str() {
            let name = without_parameters(&full);
            if !name.is_empty() {
                return name.to_string();
            }
        }
    }
    let Some(rest) = s.strip_prefix("ZN").or_else(|| s.strip_prefix("ZNK")) else {
        return sym.trim_start_matches('_').to_string();
    };
    let mut parts = Vec::new();
    let mut rest = rest;
    loop {
        let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if n.is_empty() {
            break;
        }
        let Ok(len) = n.parse::<usize>() else { break };
        let start = n.len();
        // The length comes from the log: it may run past the end or into a multi-byte char.
        let Some(end) = start.checked_add(len) else {
            break;
        };
        let (Some(part), Some(tail)) = (rest.get(start..end), rest.get(end..)) else {
            break;
        };
        parts.push(part);
        rest = tail;
    }
    if parts.is_empty() {
        sym.to_string()
    } else {
        parts.join("::")
    }
}

/// `ns::f<T>(int, char)` → `ns::f<T>`: cut at the first `(` outside template arguments.
fn without_parameters(full: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in full.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            '(' if depth == 0 => return full[..i].trim_end(),
            _ => {}
        }
    }
    full
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demangle_short_reads_every_itanium_name() {
        assert_eq!(
            demangle_short("__Z19OSUnserializeBinaryPKcmPP8OSString"),
            "OSUnserializeBinary"
        );
        assert_eq!(
            demangle_short("__ZNK8OSString9isEqualToEPK15OSMetaClassBase"),
            "OSString::isEqualTo"
        );
        assert_eq!(
            demangle_short("_panic_trap_to_debugger"),
            "panic_trap_to_debugger"
        );
    }

    #[test]
    fn return_codes_come_from_kern_return_h() {
        // osfmk/mach/kern_return.h: 1, 2, 3, 6 and the last one, 56.
        assert_eq!(kern_return_name(1), "KERN_INVALID_ADDRESS (1)");
        assert_eq!(kern_return_name(2), "KERN_PROTECTION_FAILURE (2)");
        assert_eq!(kern_return_name(3), "KERN_NO_SPACE (3)");
        assert_eq!(kern_return_name(6), "KERN_RESOURCE_SHORTAGE (6)");
        assert_eq!(kern_return_name(56), "KERN_NOT_FOUND (56)");
        assert_eq!(kern_return_name(57), "return code 57");
        assert_eq!(
            kern_return_name(u64::MAX),
            format!("return code {}", u64::MAX)
        );
        assert!(kern_return_described(3).starts_with("KERN_NO_SPACE (3): no room"));
    }

    #[test]
    fn numbers_read_through_ocr() {
        // ios-ips-kmemalloc-OCR-FRAGMENT-01.txt prints `O` for `0`.
        assert_eq!(
            number_after("failed with 3 Qvm_kern.c:178", "failed with"),
            Some(3)
        );
        assert_eq!(parse_number("Ox1f)"), Some(0x1f));
        assert_eq!(parse_number("1O24 bytes"), Some(1024));
        assert_eq!(parse_number("99999999999999999999999"), None);
        assert_eq!(parse_number("none"), None);
    }

    #[test]
    fn chatter_and_dumps_are_left_out() {
        let reason = "Bad tailq elm 0xffffff86c5382100 next->prev != elm @732\n\
                      mp = 0xffffff86ba56da30, phys = 0x8710dba30\n\
                      0xffffff86ba56c000: 0AAAAOoAAAAKAQAAOAhkJACAgAACAsLDGQkDAPDAIDjgIJCQAAABAAgODgxkJA4C\n\
                      Debugger called: <panic>\n\
                      Attempting system restart...";
        assert_eq!(
            rule_lines(reason),
            vec![
                "Bad tailq elm 0xffffff86c5382100 next->prev != elm @732",
                "mp = 0xffffff86ba56da30, phys = 0x8710dba30",
            ]
        );
        assert_eq!(
            normalize(&["Invalid  Waitq:\t0x1", "xnu\u{2014}8796"]),
            "invalid waitq: 0x1\nxnu-8796"
        );
    }

    #[test]
    fn pointers_split_by_ocr_are_mended() {
        // arm64-ips-mutex-perfmon-OCR-FRAGMENT-01.txt.
        let m = "Mutex 0xfffffe00167da448 is unexpectedly owned by thread 0xf ff ffe29ea6c9030 E@lock_mtx.c:175";
        assert_eq!(
            pointer_after(m, "by thread ").as_deref(),
            Some("0xfffffe29ea6c9030")
        );
        assert_eq!(
            pointer_after(m, "Mutex ").as_deref(),
            Some("0xfffffe00167da448")
        );
        assert_eq!(
            pointer_after("lock (0x12) held", "lock (").as_deref(),
            Some("0x12")
        );
        assert_eq!(pointer_after("owner: none", "owner: "), None);
    }

    #[test]
    fn function_names_and_cpp_signatures() {
        assert_eq!(
            leading_function("vm_page_check_pageable_safe: trying to add page"),
            Some("vm_page_check_pageable_safe")
        );
        assert_eq!(
            leading_function("kmem_alloc(0x1, 2, 0x3): failed with 3"),
            Some("kmem_alloc")
        );
        assert_eq!(leading_function("Invalid waitq: 0x1"), None);
        assert_eq!(leading_function("\u{e9}t\u{e9}: x"), None);
        assert_eq!(
            clean_message("\"virtual bool IOAccelLegacyDisplayMachine::display_mode_did_change(uint32_t): AMDRadeonAccelerator driver returns false\""),
            "IOAccelLegacyDisplayMachine::display_mode_did_change: AMDRadeonAccelerator driver returns false"
        );
        assert_eq!(
            after_function("vm_page_wire(0xfffffe1234567890): wire_count overflow"),
            "wire_count overflow"
        );
    }

    #[test]
    fn demangle_short_hostile_lengths() {
        assert_eq!(
            demangle_short("__ZN22AppleUSBHostController20lowerOnePowerStateToEm"),
            "AppleUSBHostController::lowerOnePowerStateTo"
        );
        // A length of usize::MAX, a length past the end, a length ending inside `é`.
        for sym in [
            "__ZN18446744073709551615abcdefghijklmnopqrst",
            "__ZN99abc",
            "__ZN1\u{e9}x",
        ] {
            assert_eq!(demangle_short(sym), sym);
        }
        assert_eq!(demangle_short("__ZN2\u{e9}3foo"), "\u{e9}::foo");
    }
}
