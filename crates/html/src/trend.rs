//! The per-day trend sparkline of a bucket: inline SVG, days without a panic drawn at zero.

use crate::markup::{esc, w};

const WIDTH: f64 = 120.0;
const HEIGHT: f64 = 24.0;

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (the proleptic Gregorian calendar), or `None`
/// when the text is not such a date.
pub(crate) fn day_number(date: &str) -> Option<i64> {
    let mut parts = date.get(..10)?.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146097 + doe - 719468)
}

/// The sparkline of `trend` (`(YYYY-MM-DD, count)`), empty text when there is nothing to draw.
pub(crate) fn sparkline(out: &mut String, trend: &[(String, u64)]) {
    let points: Vec<(i64, u64)> = match trend
        .iter()
        .map(|(d, n)| day_number(d).map(|x| (x, *n)))
        .collect::<Option<Vec<_>>>()
    {
        Some(mut p) => {
            p.sort();
            p
        }
        // Not dates: one point per entry, in order.
        None => trend
            .iter()
            .enumerate()
            .map(|(i, (_, n))| (i as i64, *n))
            .collect(),
    };
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return;
    };
    let span = (last.0 - first.0).max(1) as f64;
    let max = points.iter().map(|p| p.1).max().unwrap_or(1).max(1) as f64;
    let x = |d: i64| 2.0 + (d - first.0) as f64 * (WIDTH - 4.0) / span;
    let y = |n: u64| HEIGHT - 2.0 - n as f64 * (HEIGHT - 4.0) / max;
    // Days with no panic are zero: the line drops to the floor between two distant points.
    let mut line: Vec<(f64, f64)> = Vec::new();
    for (i, &(d, n)) in points.iter().enumerate() {
        if i > 0 {
            let prev = points[i - 1].0;
            if d - prev > 1 {
                line.push((x(prev + 1), y(0)));
                if d - prev > 2 {
                    line.push((x(d - 1), y(0)));
                }
            }
        }
        line.push((x(d), y(n)));
    }
    let title: Vec<String> = trend.iter().map(|(d, n)| format!("{d}: {n}")).collect();
    w!(
        out,
        "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\"><title>{}</title>",
        esc(&title.join("\n"))
    );
    if line.len() == 1 {
        w!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\"/>",
            WIDTH / 2.0,
            line[0].1
        );
    } else {
        let pts: Vec<String> = line.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        w!(out, "<polyline points=\"{}\"/>", pts.join(" "));
    }
    out.push_str("</svg>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_count_from_the_epoch() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11017));
        assert_eq!(day_number("2024-02-29"), Some(19782));
        assert_eq!(day_number("2024-03-01"), Some(19783));
        assert_eq!(day_number("2024-13-01"), None);
        assert_eq!(day_number("yesterday"), None);
    }

    #[test]
    fn gaps_between_days_are_drawn_at_zero() {
        let mut out = String::new();
        sparkline(
            &mut out,
            &[("2024-01-01".into(), 4), ("2024-01-05".into(), 2)],
        );
        // 4 on day 0, zero on days 1 and 3, 2 on day 4.
        assert!(
            out.contains("points=\"2.0,2.0 31.0,22.0 89.0,22.0 118.0,12.0\""),
            "{out}"
        );
    }
}
