//! Lock facts of a lock panic, as the message states them and as xnu means them: the lock,
//! its owner thread, the CPU the owner ran on, the rw-lock mode asserted or held. xnu's
//! wordings are easy to misread: the thread in "Mutex %p is unexpectedly owned by thread %p"
//! is the panicking thread itself; arm's old "lck_mtx_assert(): mutex (%p) owned" reports a
//! failed *owned* assertion (the thread does not own it) while Intel's "mutex (%p) owned"
//! reports that it does; "mode=%u" of `lck_rw_assert` is the mode asserted, not the mode held;
//! an owner "on cpu -1" (or "active on CPU 0xffffffff") was not running anywhere.

/// What a lock panic says about the lock and its owner.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockFacts {
    /// The kind of lock, as the message names it (`spinlock`, `mutex`, `rw lock`).
    pub kind: &'static str,
    /// The lock's address.
    pub lock: Option<u64>,
    /// The owner thread the message names.
    pub owner: Option<u64>,
    /// The panicking thread, when the message names it.
    pub current: Option<u64>,
    /// What happened to the lock, in a few words.
    pub headline: String,
    /// What the message says, in words, one fact a line.
    pub facts: Vec<String>,
}

/// A hexadecimal number right after `key` (case-insensitive), `0x` or OCR's `Ox` first. A
/// pointer OCR split with spaces (`0xf ff ffe29ea6c9030`) is joined when the digits make a full
/// 64-bit value.
pub(super) fn hex_after(msg: &str, key: &str) -> Option<u64> {
    let lower = msg.to_ascii_lowercase();
    let at = lower.find(&key.to_ascii_lowercase())? + key.len();
    let rest = lower[at..].trim_start();
    let rest = rest
        .strip_prefix("0x")
        .or_else(|| rest.strip_prefix("ox"))?;
    let tight: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    let mut spaced = String::new();
    for c in rest.chars() {
        if c.is_ascii_hexdigit() {
            spaced.push(c);
        } else if c != ' ' || spaced.len() >= 16 {
            break;
        }
    }
    let digits = if spaced.len() == 16 && tight.len() < 16 {
        spaced
    } else {
        tight
    };
    u64::from_str_radix(&digits, 16).ok()
}

/// A CPU number right after `key`: decimal (`-1` when the owner was on no CPU) or, in old
/// Intel wordings, hexadecimal (`0x3`, `0xffffffff` for none).
fn cpu_after(msg: &str, key: &str) -> Option<i64> {
    let lower = msg.to_ascii_lowercase();
    let at = lower.find(key)? + key.len();
    let rest = lower[at..].trim_start();
    if let Some(h) = rest.strip_prefix("0x") {
        let digits: String = h.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let v = u64::from_str_radix(&digits, 16).ok()?;
        return Some(if v == 0xffff_ffff { -1 } else { v as i64 });
    }
    let digits: String = rest
        .chars()
        .enumerate()
        .take_while(|(i, c)| c.is_ascii_digit() || *i == 0 && *c == '-')
        .map(|(_, c)| c)
        .collect();
    let v: i64 = digits.parse().ok()?;
    Some(if v == 0xffff_ffff { -1 } else { v })
}

/// rw-lock modes: `LCK_RW_TYPE_*` for the mode a lock is held in, `LCK_RW_ASSERT_*` for the
/// mode `lck_rw_assert` checked (osfmk/kern/lock_rw.h).
fn rw_mode(m: i64, asserted: bool) -> &'static str {
    match (m, asserted) {
        (1, _) => "shared",
        (2, _) => "exclusive",
        (3, true) => "held (shared or exclusive)",
        (4, true) => "not held",
        _ => "unknown",
    }
}

/// The lock facts of a panic message, when it is one of xnu's lock panics.
pub fn lock_facts(msg: &str) -> Option<LockFacts> {
    let m = msg.to_ascii_lowercase();
    if m.contains("spinlock") && (m.contains("timeout") || m.contains("timed out")) {
        return Some(spinlock(msg, &m));
    }
    if m.contains("mutex") {
        return mutex(msg, &m);
    }
    if m.contains("rw lock") || m.contains("lck_rw_") {
        return rw_lock(msg, &m);
    }
    None
}

fn thread(a: u64) -> String {
    format!("thread {a:#x}")
}

fn spinlock(msg: &str, m: &str) -> LockFacts {
    let mut f = LockFacts {
        kind: "spinlock",
        lock: hex_after(msg, "spinlock[")
            .or_else(|| hex_after(msg, "lock="))
            .or_else(|| hex_after(msg, "ticks, ")),
        owner: hex_after(msg, "lock owner thread=").or_else(|| hex_after(msg, "current owner:")),
        current: hex_after(msg, "current_thread:"),
        headline: String::new(),
        facts: Vec::new(),
    };
    f.facts
        .push("a CPU spun on the spinlock until the timeout: its holder did not release it".into());
    f.headline = match f.owner {
        Some(o) => format!("not released in time by its owner {}", thread(o)),
        None => "not released in time".into(),
    };
    if let Some(o) = f.owner {
        f.facts
            .push(format!("the lock word names {} as the owner", thread(o)));
        if let Some(now) = hex_after(msg, "current owner:").filter(|c| *c != o) {
            f.facts.push(format!(
                "by the time of the panic the lock word named {} (ownership changed while waiting)",
                thread(now)
            ));
        }
    }
    if f.owner.is_some() && f.owner == f.current {
        f.facts.push(
            "the owner is the panicking thread itself: it tried to take a spinlock it already held"
                .into(),
        );
    }
    let cpu = cpu_after(m, "lock owner active on cpu").or_else(|| cpu_after(m, "(on cpu"));
    match cpu {
        Some(-1) => {
            f.headline.push_str(", which was running on no CPU");
            f.facts.push(
            "the owner was not running on any CPU: a spinlock holder must not block or be preempted, \
             so the lock was never released (leaked on an error path) or its word is corrupt"
                .into(),
            )
        }
        Some(c) => {
            f.headline.push_str(&format!(" (on CPU {c})"));
            f.facts.push(format!(
                "the owner was running on CPU {c}: what that CPU was doing (its CORE line, its backtrace) \
                 is why the lock was held so long"
            ))
        }
        None => {}
    }
    f
}

fn mutex(msg: &str, m: &str) -> Option<LockFacts> {
    let mut f = LockFacts {
        kind: "mutex",
        ..LockFacts::default()
    };
    if m.contains("unexpectedly not owned by thread") || m.contains("unexpectedly owned by thread")
    {
        // __lck_mtx_owned_panic / __lck_mtx_not_owned_panic pass current_thread().
        f.lock = hex_after(msg, "mutex");
        f.current = hex_after(msg, "by thread");
        let who = f
            .current
            .map(thread)
            .unwrap_or_else(|| "the panicking thread".into());
        if m.contains("not owned by thread") {
            f.headline = format!("not held by the panicking {who}, which had to hold it");
            f.facts.push(format!("{who} (the panicking thread) had to hold this mutex and does not: it unlocked or asserted a mutex it never took"));
        } else {
            f.owner = f.current;
            f.headline = format!("already owned by the panicking {who}");
            f.facts.push(format!("{who} (the panicking thread) already owns this mutex: it tried to take it again (a recursive lock) or asserted that it did not hold it"));
        }
    } else if m.contains("unlock attempted from non-owner") {
        f.lock = hex_after(msg, "lock=");
        f.owner = hex_after(msg, "owner=");
        let owner = f
            .owner
            .map(thread)
            .unwrap_or_else(|| "another thread".into());
        f.headline = format!("unlocked by a thread that does not own it (owner {owner})");
        f.facts.push(format!(
            "the panicking thread unlocked a mutex that {owner} owns"
        ));
    } else if m.contains("lck_mtx_assert(): mutex (") {
        // arm's old lck_mtx_assert printed the assertion that failed.
        f.lock = hex_after(msg, "mutex (");
        let owned = m.contains(") not owned");
        f.headline = if owned {
            "owned by the panicking thread, which asserted it was not".into()
        } else {
            "not owned by the panicking thread, which asserted it was".into()
        };
        f.facts.push(if owned {
            "the assertion that the panicking thread does not own this mutex failed: it owns it"
                .into()
        } else {
            "the assertion that the panicking thread owns this mutex failed: it does not".into()
        });
    } else if m.contains("mutex (") && (m.contains(") not owned") || m.contains(") owned")) {
        // Intel's lck_mtx_assert printed the state it found.
        f.lock = hex_after(msg, "mutex (");
        let owned = !m.contains(") not owned");
        f.headline = if owned {
            "owned by the panicking thread where it must not be".into()
        } else {
            "not owned by the panicking thread, which had to own it".into()
        };
        f.facts.push(if owned {
            "the panicking thread owns this mutex where it must not".into()
        } else {
            "the panicking thread had to own this mutex and does not".into()
        });
    } else if m.contains("destroyed mutex") || m.contains("invalid/destroyed mutex") {
        f.lock = hex_after(msg, "mutex (").or_else(|| hex_after(msg, "mutex"));
        f.headline = "destroyed before this use".into();
        f.facts.push(
            "the mutex was destroyed (or its memory freed and reused) before this use: the object that holds it was used after it was torn down".into(),
        );
    } else {
        return None;
    }
    Some(f)
}

fn rw_lock(msg: &str, m: &str) -> Option<LockFacts> {
    let mut f = LockFacts {
        kind: "rw lock",
        ..LockFacts::default()
    };
    if let Some(mode) = cpu_after(m, "mode=") {
        // lck_rw_assert: "rw lock (%p) not held (mode=%u)" / "rw lock (%p) held (mode=4)".
        f.lock = hex_after(msg, "rw lock (");
        f.headline = if m.contains("not held") {
            format!(
                "not held {}, as lck_rw_assert required",
                rw_mode(mode, true)
            )
        } else {
            "held, where lck_rw_assert required it free".into()
        };
        f.facts.push(if m.contains("not held") {
            format!(
                "lck_rw_assert checked that the lock was held {} and it was not (mode={mode} is the mode asserted, not a mode held)",
                rw_mode(mode, true)
            )
        } else {
            "lck_rw_assert checked that the lock was not held and it was".into()
        });
    } else if let Some(mode) = cpu_after(m, "held in mode:") {
        f.lock = hex_after(msg, "(): lock");
        let op = if m.contains("unlock_shared") {
            "shared"
        } else {
            "exclusive"
        };
        f.headline = format!("released as {op} while held {}", rw_mode(mode, false));
        f.facts.push(format!(
            "released as {op} while held {} (mode {mode})",
            rw_mode(mode, false)
        ));
    } else if m.contains("without a reader refcount") {
        f.headline = "released while nobody held it".into();
        f.facts
            .push("an rw lock was released that no thread held, shared or exclusive".into());
    } else {
        return None;
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages from the corpus and from xnu's format strings (file and release in each case).
    #[test]
    fn lock_wordings() {
        // arm64-ips-mutex-perfmon-OCR-FRAGMENT-01.txt (lock_mtx.c __lck_mtx_owned_panic): the
        // thread is the panicking one; OCR split its address.
        let f = lock_facts(
            "Mutex 0xfffffe00167da448 is unexpectedly owned by thread 0xf ff ffe29ea6c9030 E@lock_mtx.c:175",
        )
        .unwrap();
        assert_eq!(f.lock, Some(0xfffffe00167da448));
        assert_eq!(f.current, Some(0xfffffe29ea6c9030));
        assert!(f.facts[0].contains("already owns"));
        // Intel usimple_lock, xnu-2422 (osfmk/i386/locks_i386.c), "active on CPU 0x3".
        let f = lock_facts("Spinlock acquisition timed out: lock=0xffffff80024ca528, lock owner thread=0xffffff8016c3b450, current_thread: 0xffffff80147bab20, lock owner active on CPU 0x3, current owner: 0xffffff8016c3b450").unwrap();
        assert_eq!(f.lock, Some(0xffffff80024ca528));
        assert_eq!(f.owner, Some(0xffffff8016c3b450));
        assert!(f.facts.iter().any(|l| l.contains("running on CPU 3")));
        // osfmk/kern/locks.c (xnu-11417): owner_cpu stays ~0u, printed %d, when the owner
        // runs nowhere.
        let f = lock_facts("Spinlock[0xfffffe1000000040] timeout after 24000000 ticks; current owner: 0xfffffe2000000000 (on cpu -1), start time: 1, now: 2, timeout: 3").unwrap();
        assert!(f.facts.iter().any(|l| l.contains("not running on any CPU")));
        // arm's old lck_mtx_assert (osfmk/arm/locks_arm.c) names the failed assertion.
        let f = lock_facts("lck_mtx_assert(): mutex (0xffffff8000001000) owned").unwrap();
        assert!(f.facts[0].ends_with("it does not"));
        // Intel's (osfmk/i386/locks_i386.c) names the state.
        let f = lock_facts("mutex (0xffffff8000001000) owned").unwrap();
        assert!(f.facts[0].contains("owns this mutex where it must not"));
        // lck_rw_assert (osfmk/kern/lock_rw.c): mode 2 = LCK_RW_ASSERT_EXCLUSIVE asserted.
        let f = lock_facts("rw lock (0xffffff8000002000) not held (mode=2)").unwrap();
        assert!(f.facts[0].contains("held exclusive and it was not"));
        // lck_rw_unlock_shared: mode 2 = LCK_RW_TYPE_EXCLUSIVE held.
        let f =
            lock_facts("lck_rw_unlock_shared(): lock 0xffffff8000002000 held in mode: 2").unwrap();
        assert!(f.facts[0].contains("released as shared while held exclusive"));
        // x86-text-destroyedmutex-yosemite-01.txt.
        let f = lock_facts("trying to interlock destroyed mutex (0xffffff804e3645f0)").unwrap();
        assert_eq!(f.lock, Some(0xffffff804e3645f0));
        assert!(lock_facts("kfree: addr 0x1, size 2 not found in any zone").is_none());
    }
}
