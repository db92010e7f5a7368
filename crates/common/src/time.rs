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

/// Days since 1970-01-01 of the UTC date `y-m-d` (1970 to 9999), the inverse of what
/// [`utc_date`] prints; `None` for a date that does not exist (`2023-02-29`).
pub fn days_from_civil(y: u64, m: u64, d: u64) -> Option<u64> {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let month_days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1970..=9999).contains(&y) || d < 1 || d > month_days {
        return None;
    }
    // Howard Hinnant's `days_from_civil`.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
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

    #[test]
    fn days_from_civil_inverts_utc_date() {
        // `date -u -d 2024-02-29 +%s` / 86400 = 19782 (GNU coreutils).
        assert_eq!(days_from_civil(2024, 2, 29), Some(19_782));
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        for days in [0, 59, 365, 11_016, 19_782, 2_932_896] {
            let date = utc_date(days * 86_400).unwrap();
            let (y, m, d) = (&date[0..4], &date[5..7], &date[8..10]);
            let back = days_from_civil(y.parse().unwrap(), m.parse().unwrap(), d.parse().unwrap());
            assert_eq!(back, Some(days), "{date}");
        }
        for (y, m, d) in [
            (2023, 2, 29),
            (1900, 2, 29),
            (2024, 4, 31),
            (2024, 13, 1),
            (2024, 0, 1),
            (1969, 12, 31),
            (10_000, 1, 1),
        ] {
            assert_eq!(days_from_civil(y, m, d), None, "{y}-{m}-{d}");
        }
    }
}
