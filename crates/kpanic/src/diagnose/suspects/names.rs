//! Reading names: a process name that says it is a deliberate trigger (a test, proof of concept,
//! fuzzer, exploit), a process that is a DriverKit extension, and bundle ids in a panic message.

/// What a deliberate trigger is, by the words of its name (lower case, trailing digits
/// dropped): `TestPOC` → test, poc; `UAFTester` → uaf, tester; `syz-fuzzer` → syz, fuzzer.
static TRIGGER_WORDS: &[(&str, &str)] = &[
    ("test", "a test or proof-of-concept program"),
    ("tester", "a test or proof-of-concept program"),
    ("tests", "a test or proof-of-concept program"),
    ("testing", "a test or proof-of-concept program"),
    ("poc", "a test or proof-of-concept program"),
    ("uaf", "a test or proof-of-concept program"),
    ("panic", "a test or proof-of-concept program"),
    ("exploit", "an exploit"),
    ("fuzz", "a fuzzer"),
    ("fuzzer", "a fuzzer"),
    ("fuzzing", "a fuzzer"),
    ("syz", "a fuzzer"),
    ("syzkaller", "a fuzzer"),
    ("frida", "an instrumentation tool (Frida)"),
];

/// Names of public kernel exploits and jailbreak tools, lower case: the whole name must match.
static EXPLOIT_TOOLS: &[&str] = &[
    "cl0ver",
    "rootsh",
    "unc0ver",
    "checkra1n",
    "palera1n",
    "taurine",
    "odyssey",
    "chimera",
    "electra",
    "dopamine",
    "fugu14",
    "fugu15",
    "yalu",
    "yalu102",
    "pangu",
    "pangu9",
    "xina",
];

/// Apps whose names hold a trigger word but are not triggers.
static NOT_TRIGGERS: &[&str] = &["testflight"];

/// `p_comm`, the process name Intel logs and older arm64 logs print, is cut at 16 characters:
/// a last word of a name this long may be the start of a trigger word.
const MAXCOMLEN: usize = 16;

/// The words of a process name: split at anything but letters and digits, and at case changes
/// (`UAFTester` → `UAF`, `Tester`; `TestPOC` → `Test`, `POC`).
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = part.chars().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let (prev, cur) = (chars[i - 1], chars[i]);
            let next_lower = chars.get(i + 1).is_some_and(|c| c.is_ascii_lowercase());
            // aB → a|B; ABc → A|Bc (the last capital of a run starts the next word).
            let boundary = prev.is_ascii_lowercase() && cur.is_ascii_uppercase()
                || prev.is_ascii_uppercase() && cur.is_ascii_uppercase() && next_lower;
            if boundary {
                out.push(chars[start..i].iter().collect());
                start = i;
            }
        }
        if start < chars.len() {
            out.push(chars[start..].iter().collect());
        }
    }
    out
}

/// What the process is when its name says it was written to trigger kernel bugs (a test,
/// proof of concept, fuzzer, exploit or instrumentation tool), by whole words, never by
/// substrings: `TestPOC`, `UAFTester`, `syz-fuzzer`, `frida-panic`, `appleclcd_exploi` (cut at
/// 16 characters) and `cl0ver` are; `latest`, `contest`, `attestd`, `testmanagerd` and
/// `kextunload` are not.
pub fn deliberate_trigger(name: &str) -> Option<&'static str> {
    let lower = name.trim().to_ascii_lowercase();
    if lower.is_empty() || NOT_TRIGGERS.contains(&lower.as_str()) {
        return None;
    }
    if EXPLOIT_TOOLS.contains(&lower.as_str()) {
        return Some("an exploit or jailbreak tool");
    }
    let words = words(name);
    let cut = name.chars().count() == MAXCOMLEN;
    for (i, w) in words.iter().enumerate() {
        let w = w.to_ascii_lowercase();
        let w = w.trim_end_matches(|c: char| c.is_ascii_digit());
        if let Some((_, what)) = TRIGGER_WORDS.iter().find(|(t, _)| *t == w) {
            return Some(what);
        }
        let last = i + 1 == words.len();
        if cut && last && w.len() >= 4 {
            if let Some((_, what)) = TRIGGER_WORDS.iter().find(|(t, _)| t.starts_with(w)) {
                return Some(what);
            }
        }
    }
    None
}

/// Shaped like a bundle id: at least three dot-separated parts of letters, digits, `-` and `_`,
/// the first starting with a letter (`net.wizzz.RTL8127Dext`, `com.apple.iokit.IOHIDFamily`).
pub fn bundle_shaped(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        && parts[0].starts_with(|c: char| c.is_ascii_alphabetic())
}

/// A DriverKit extension's process: DriverKit runs each dext as a process named by its bundle
/// id, which by convention says so (`net.wizzz.RTL8127Dext`, `com.apple.DriverKit-AppleBCMWLAN`).
/// Other processes can be named like bundle ids too (`com.apple.WebKit.WebContent`): only the
/// word marks a dext.
pub fn is_dext_name(name: &str) -> bool {
    if !bundle_shaped(name) {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    lower.contains("driverkit")
        || lower
            .rsplit('.')
            .next()
            .is_some_and(|last| last.ends_with("dext"))
}

/// Top-level domains that start reverse-DNS bundle ids: a bundle-shaped word of a panic
/// message that starts with one names a kext or dext even when the log does not list it (zone
/// names such as `kext.kalloc.80` do not).
static BUNDLE_ROOTS: &[&str] = &[
    "com", "net", "org", "io", "edu", "gov", "biz", "info", "dev", "app", "co", "me", "tv", "as",
    "at", "au", "be", "br", "ca", "ch", "cn", "cz", "de", "dk", "es", "eu", "fi", "fr", "hu", "il",
    "in", "it", "jp", "kr", "nl", "no", "nz", "pl", "pt", "ru", "se", "sk", "tw", "ua", "uk", "us",
];

/// A bundle-shaped word that starts with a reverse-DNS root.
pub fn looks_like_bundle_id(word: &str) -> bool {
    bundle_shaped(word)
        && word
            .split('.')
            .next()
            .is_some_and(|root| BUNDLE_ROOTS.contains(&root.to_ascii_lowercase().as_str()))
}

/// The identifier-like words of a message: runs of letters, digits, `.`, `-` and `_`, with
/// trailing dots dropped (`…IOUSBHostFamily.` at the end of a sentence). Paths are not words:
/// a source path (`…/com.apple.xbs/Sources/…`) names the build, not a kext.
pub fn message_words(msg: &str) -> impl Iterator<Item = &str> {
    msg.split_whitespace()
        .filter(|token| !token.contains('/'))
        .flat_map(|token| {
            token.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        })
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '-'))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_case_changes_and_punctuation() {
        assert_eq!(words("UAFTester"), ["UAF", "Tester"]);
        assert_eq!(words("TestPOC"), ["Test", "POC"]);
        assert_eq!(words("syz-fuzzer"), ["syz", "fuzzer"]);
        assert_eq!(words("appleclcd_exploi"), ["appleclcd", "exploi"]);
        assert_eq!(words("Google Chrome He"), ["Google", "Chrome", "He"]);
        assert_eq!(words("testmanagerd"), ["testmanagerd"]);
    }

    #[test]
    fn bundle_ids_and_dexts() {
        assert!(is_dext_name("net.wizzz.RTL8127Dext"));
        assert!(is_dext_name("com.apple.DriverKit-AppleBCMWLAN"));
        assert!(!is_dext_name("com.apple.WebKit.WebContent"));
        assert!(!is_dext_name("com.foo.indextool"));
        assert!(looks_like_bundle_id("com.apple.iokit.IOUSBHostFamily"));
        assert!(!looks_like_bundle_id("kext.kalloc.80"));
        assert!(!looks_like_bundle_id("IONVMeController.cpp"));
        let w: Vec<&str> =
            message_words("Suspected bundle: com.apple.iokit.IOUSBHostFamily. Thread 0x12ee.")
                .collect();
        assert!(w.contains(&"com.apple.iokit.IOUSBHostFamily"), "{w:?}");
        let w: Vec<&str> =
            message_words("elm @732\"@/Library/Caches/com.apple.xbs/Sources/x.c:7").collect();
        assert!(!w.contains(&"com.apple.xbs"), "{w:?}");
    }
}
