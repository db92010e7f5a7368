//! Terminal colour for the text outputs. Colour only adds styles to whole lines of the plain
//! text (what a pipe gets): the words and the wrapping never change, and stripping the escape
//! codes gives the plain text back (the tests check it).

/// ANSI styles.
pub(crate) const BOLD: &str = "\x1b[1m";
pub(crate) const DIM: &str = "\x1b[2m";
pub(crate) const GREEN: &str = "\x1b[32m";
pub(crate) const YELLOW: &str = "\x1b[33m";
pub(crate) const RESET: &str = "\x1b[0m";

/// `text` with each non-empty line wrapped in the style `style_of` gives it.
fn paint(text: &str, mut style_of: impl FnMut(&str) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        match style_of(body) {
            Some(s) if !body.is_empty() => {
                out.push_str(s);
                out.push_str(body);
                out.push_str(RESET);
                out.push_str(&line[body.len()..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// `kpanic symbolicate`'s text with colours: the panic line and kpanic's summary headings bold,
/// answers green, frames kpanic could not name yellow (with the reason), warnings yellow.
pub fn colorize_symbolicated(text: &str) -> String {
    // An answer's inlined callers follow it on lines indented under its first word.
    let mut answer: Option<&'static str> = None;
    let mut in_summary = false;
    paint(text, |body| {
        let trimmed = body.trim_start();
        if body == "== kpanic ==" {
            in_summary = true;
            answer = None;
            return Some(BOLD);
        }
        if let Some(rest) = trimmed.strip_prefix("-> ") {
            let unnamed = rest.contains("?? ") || rest.ends_with(": no symbols");
            answer = Some(if unnamed { YELLOW } else { GREEN });
            return answer;
        }
        if answer.is_some() && body.starts_with("       ") && !trimmed.starts_with("lr:") {
            return answer;
        }
        answer = None;
        if body.starts_with("warning: ") {
            return Some(YELLOW);
        }
        if in_summary {
            return (!body.starts_with(' ') && body.ends_with(':')).then_some(BOLD);
        }
        body.starts_with("panic(").then_some(BOLD)
    })
}

/// `kpanic parse`'s summary with colours: each field's label bold, warnings yellow.
pub fn colorize_parse(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        if line.starts_with("warning: ") || line.starts_with("note: ") {
            let body = line.trim_end_matches('\n');
            out.push_str(YELLOW);
            out.push_str(body);
            out.push_str(RESET);
            out.push_str(&line[body.len()..]);
            continue;
        }
        // `Label:   value`: a label is a capitalised phrase ending in a colon, at the start.
        let label = line.split_once(':').map(|(l, _)| l).filter(|l| {
            l.starts_with(|c: char| c.is_ascii_uppercase())
                && l.len() <= 24
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
        });
        match label {
            Some(l) => {
                out.push_str(BOLD);
                out.push_str(l);
                out.push(':');
                out.push_str(RESET);
                out.push_str(&line[l.len() + 1..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(s: &str) -> String {
        [BOLD, DIM, GREEN, YELLOW, RESET]
            .iter()
            .fold(s.to_string(), |s, c| s.replace(c, ""))
    }

    #[test]
    fn symbolicated_text_keeps_its_words() {
        // The shapes of `kpanic symbolicate examples/fxdriver-panic.txt --kdk …`'s text.
        let plain = "panic(cpu 4 caller 0xfffffe001e6a8dc0): fxdriver: state out of range @kext.c:7\n    -> caller: fxdriver_check (in com.example.driver.FxDriver) (kext.c:7) [inlined]\n               fxdriver_handle_interrupt (in com.example.driver.FxDriver) (kext.c:11)\nDebugger message: panic\n\t\t  lr: 0xfffffe001cd8c448  fp: 0xfffffe8a3f5e7900\n    -> PC: ?? in kernel.release.t6020 at __TEXT_EXEC + 0x9d9c4: no symbols\n\n== kpanic ==\nImages:\n  kernel.release.t8112 [4C4C…] UUID ok: k (19 frames)\nFrames: 22 of 24 resolved\nwarning: f: something\n";
        let c = colorize_symbolicated(plain);
        assert_eq!(strip(&c), plain);
        assert!(c.starts_with(&format!("{BOLD}panic(cpu 4")));
        assert!(c.contains(&format!("{GREEN}    -> caller: fxdriver_check")));
        assert!(c.contains(&format!("{GREEN}               fxdriver_handle_interrupt")));
        assert!(c.contains("\nDebugger message: panic\n"));
        assert!(c.contains("\n\t\t  lr: 0xfffffe001cd8c448"));
        assert!(c.contains(&format!("{YELLOW}    -> PC: ?? in kernel")));
        assert!(c.contains(&format!("{BOLD}== kpanic =={RESET}\n{BOLD}Images:{RESET}")));
        assert!(c.contains(&format!("{YELLOW}warning: f: something")));
    }

    #[test]
    fn parse_labels_are_bold() {
        let plain = "Format:     text, arm64\nKernel UUID:      FE69\n    0  0xfffffe001d2c0ae0\n  com.apple.driver.AppleT6020 (1.0) @0x1->0x2\nwarning: cut\n";
        let c = colorize_parse(plain);
        assert_eq!(strip(&c), plain);
        assert!(c.starts_with(&format!("{BOLD}Format:{RESET}     text")));
        assert!(c.contains(&format!("{BOLD}Kernel UUID:{RESET}")));
        assert!(c.contains("\n    0  0xfffffe001d2c0ae0\n"));
        assert!(c.contains(&format!("{YELLOW}warning: cut{RESET}")));
    }
}
