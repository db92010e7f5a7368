//! When a panic happened (UTC seconds) and how long the machine had been up, from whichever
//! line of the log says it.
//!
//! In order of trust: the `.ips` header's `timestamp` (`2023-04-18 14:35:06.00 +0800`, with its
//! UTC offset), the body's `date` (same form), the arm64 `Epoch Time` table's `Calendar` row
//! (UTC seconds), and last the Intel report date line (`Mon Aug 20 10:27:21 2018`), which is the
//! machine's local time with no zone: it is read as UTC and may be off by the machine's offset.

use kpanic_report::PanicReport;

/// Seconds since 1970-01-01 UTC of the panic, when the log says.
pub fn panic_time(r: &PanicReport) -> Option<u64> {
    let ips = r.ips.as_ref();
    ips.and_then(|i| i.header.timestamp.as_deref())
        .and_then(parse_ips_timestamp)
        .or_else(|| {
            ips.and_then(|i| i.body.date.as_deref())
                .and_then(parse_ips_timestamp)
        })
        .or_else(|| epoch_row(r, "Calendar"))
        .or_else(|| r.system.report_date.as_deref().and_then(parse_ctime))
}

/// Seconds the machine had been up at the panic: `System uptime in nanoseconds` (Intel), else
/// Calendar − Boot of the `Epoch Time` table.
pub fn uptime_seconds(r: &PanicReport) -> Option<u64> {
    if let Some(ns) = r.system.uptime_ns {
        return Some(ns / 1_000_000_000);
    }
    let (cal, boot) = (epoch_row(r, "Calendar")?, epoch_row(r, "Boot")?);
    (boot > 0).then(|| cal.checked_sub(boot)).flatten()
}

fn epoch_row(r: &PanicReport, name: &str) -> Option<u64> {
    r.epoch_time.as_ref()?.seconds(name)
}

/// `2023-04-18 14:35:06.00 +0800` (fraction and offset optional) as UTC seconds.
pub fn parse_ips_timestamp(s: &str) -> Option<u64> {
    let mut parts = s.split_whitespace();
    let date = parts.next()?;
    let time = parts.next()?;
    let offset = parts.next();
    let days = parse_date(date)?;
    let mut hms = time.split('.').next()?.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let m: u64 = hms.next()?.parse().ok()?;
    let sec: u64 = hms.next().unwrap_or("0").parse().ok()?;
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let local = days * 86_400 + h * 3600 + m * 60 + sec;
    let offset_secs: i64 = match offset {
        None => 0,
        Some(o) => {
            let (sign, digits) = match o.as_bytes().first()? {
                b'+' => (1, &o[1..]),
                b'-' => (-1, &o[1..]),
                _ => return None,
            };
            let digits = digits.replace(':', "");
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hh: i64 = digits[..2].parse().ok()?;
            let mm: i64 = digits[2..].parse().ok()?;
            sign * (hh * 3600 + mm * 60)
        }
    };
    u64::try_from(local as i64 - offset_secs).ok()
}

/// `YYYY-MM-DD` as days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<u64> {
    let mut it = s.split('-');
    let y: u64 = it.next()?.parse().ok()?;
    let m: u64 = it.next()?.parse().ok()?;
    let d: u64 = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    kpanic_common::time::days_from_civil(y, m, d)
}

/// `Mon Aug 20 10:27:21 2018` (C `ctime`), read as UTC.
fn parse_ctime(s: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let f: Vec<&str> = s.split_whitespace().collect();
    let [_, mon, day, time, year] = f.as_slice() else {
        return None;
    };
    let m = MONTHS.iter().position(|x| x == mon)? as u64 + 1;
    let date = format!("{year}-{m:02}-{:02}", day.parse::<u64>().ok()?);
    parse_ips_timestamp(&format!("{date} {time}"))
}

/// UTC seconds as `YYYY-MM-DD`.
pub fn day_of(secs: u64) -> String {
    kpanic_common::time::utc_date(secs)
        .map(|d| d[..10].to_string())
        .unwrap_or_default()
}

/// UTC seconds as `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, what fleet tools read).
pub fn rfc3339(secs: u64) -> String {
    kpanic_common::time::utc_date(secs)
        .map(|d| format!("{}T{}Z", &d[..10], &d[11..19]))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        // `date -u -d '2023-04-18 14:35:06 +0800' +%s` (GNU coreutils) = 1681799706.
        assert_eq!(
            parse_ips_timestamp("2023-04-18 14:35:06.00 +0800"),
            Some(1_681_799_706)
        );
        // `date -u -d '2022-11-01 23:29:29 -0700' +%s` = 1667370569.
        assert_eq!(
            parse_ips_timestamp("2022-11-01 23:29:29.90 -0700"),
            Some(1_667_370_569)
        );
        assert_eq!(parse_ips_timestamp("2023-02-30 00:00:00"), None);
        assert_eq!(parse_ips_timestamp("garbage"), None);
        // `date -u -d '2018-08-20 10:27:21' +%s` = 1534760841.
        assert_eq!(parse_ctime("Mon Aug 20 10:27:21 2018"), Some(1_534_760_841));
        assert_eq!(parse_date("2000-02-29"), Some(11_016));
        assert_eq!(rfc3339(1_534_760_841), "2018-08-20T10:27:21Z");
        assert_eq!(day_of(1_534_760_841), "2018-08-20");
    }
}
