//! Times people can read: the UNIX seconds of a panic log's `Epoch Time` table as UTC dates,
//! and spans of seconds as durations. No time zone database: logs give UTC seconds, and UTC is
//! what is printed.

/// `secs` since 1970-01-01 UTC as `2023-09-21 10:17:37 UTC`; `None` past the year 9999.
pub fn utc_date(secs: u64) -> Option<String> {
    const MAX: u64 = 253_402_300_799; // 9999-12-31 23:59:59
    if secs > MAX {
        return None;
    }
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

/// Howard Hinnant's `civil_from_days`, for days since 1970-01-01 (non-negative).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `secs` as `3 d 4 h`, `2 h 5 min`, `4 min 3 s`, `12 s`: the two largest units.
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min {s} s")
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc_date(0).unwrap(), "1970-01-01 00:00:00 UTC");
        // `date -u -d @1695290145` (GNU coreutils).
        assert_eq!(utc_date(1_695_290_145).unwrap(), "2023-09-21 09:55:45 UTC");
        assert_eq!(utc_date(951_782_400).unwrap(), "2000-02-29 00:00:00 UTC");
        assert_eq!(
            utc_date(253_402_300_799).unwrap(),
            "9999-12-31 23:59:59 UTC"
        );
        assert_eq!(utc_date(u64::MAX), None);
    }

    #[test]
    fn durations() {
        assert_eq!(duration(12), "12 s");
        assert_eq!(duration(243), "4 min 3 s");
        assert_eq!(duration(7500), "2 h 5 min");
        assert_eq!(duration(3 * 86_400 + 4 * 3600 + 59), "3 d 4 h");
    }
}
