//! The ISO-8601 forms `Values` uses for dates, times and timestamps (UTC, proleptic Gregorian),
//! with `SimpleDateFormat`'s lenient parsing (out-of-range fields roll over: `2024-02-30` is
//! March 1st).

use crate::logical::MILLIS_PER_DAY;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
    weekday: usize,
}

fn parts(ms: i64) -> Parts {
    let days = ms.div_euclid(MILLIS_PER_DAY);
    let rem = ms.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: rem / 3_600_000,
        minute: rem / 60_000 % 60,
        second: rem / 1000 % 60,
        milli: rem % 1000,
        // 1970-01-01 was a Thursday (index 4 with Sunday = 0).
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

/// `yyyy`: the year of era, at least four digits.
fn year_of_era(year: i64) -> String {
    let y = if year <= 0 { 1 - year } else { year };
    format!("{y:04}")
}

/// `yyyy-MM-dd`.
pub(crate) fn format_date(ms: i64) -> String {
    let p = parts(ms);
    format!("{}-{:02}-{:02}", year_of_era(p.year), p.month, p.day)
}

/// `HH:mm:ss.SSS'Z'`.
pub(crate) fn format_time(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:02}:{:02}:{:02}.{:03}Z",
        p.hour, p.minute, p.second, p.milli
    )
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`.
pub(crate) fn format_timestamp(ms: i64) -> String {
    format!("{}T{}", format_date(ms), format_time(ms))
}

/// `Values.dateFormatFor(date).format(date)`.
pub(crate) fn format_date_value(ms: i64) -> String {
    if ms < MILLIS_PER_DAY {
        format_time(ms)
    } else if ms % MILLIS_PER_DAY == 0 {
        format_date(ms)
    } else {
        format_timestamp(ms)
    }
}

/// `java.util.Date.toString()` in UTC: `Thu Jan 01 00:00:00 UTC 1970`.
pub(crate) fn java_date_to_string(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p = parts(ms);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[p.weekday],
        MONTHS[(p.month - 1) as usize],
        p.day,
        p.hour,
        p.minute,
        p.second,
        p.year
    )
}

/// Which of the three forms to parse.
#[derive(Clone, Copy)]
pub(crate) enum Pattern {
    /// `yyyy-MM-dd`.
    Date,
    /// `HH:mm:ss.SSS'Z'`.
    Time,
    /// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`.
    Timestamp,
}

/// `new SimpleDateFormat(pattern).parse(text, pos)`: epoch millis when the pattern matches a
/// prefix of `text` (trailing characters are ignored, as Java ignores them), `None` otherwise.
pub(crate) fn parse(pattern: Pattern, text: &str) -> Option<i64> {
    // `n` is a numeric field, any other character a literal.
    let spec = match pattern {
        Pattern::Date => "n-n-n",
        Pattern::Time => "n:n:n.nZ",
        Pattern::Timestamp => "n-n-nTn:n:n.nZ",
    };
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut fields = Vec::with_capacity(7);
    for s in spec.bytes() {
        if s == b'n' {
            let start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            if start == pos {
                return None;
            }
            fields.push(text[start..pos].parse::<i64>().ok()?);
        } else {
            if bytes.get(pos) != Some(&s) {
                return None;
            }
            pos += 1;
        }
    }
    let (date, time) = match pattern {
        Pattern::Date => (Some(&fields[0..3]), None),
        Pattern::Time => (None, Some(&fields[0..4])),
        Pattern::Timestamp => (Some(&fields[0..3]), Some(&fields[3..7])),
    };
    let mut millis: i64 = 0;
    if let Some(d) = date {
        let (year, month, day) = (d[0], d[1], d[2]);
        if year > 1_000_000 || month > 1_000_000 || day > 100_000_000 {
            return None;
        }
        let year = year + (month - 1).div_euclid(12);
        let month = (month - 1).rem_euclid(12) + 1;
        let days = days_from_civil(year, month, 1) + day - 1;
        millis = days.checked_mul(MILLIS_PER_DAY)?;
    }
    if let Some(t) = time {
        let of_day = t[0]
            .checked_mul(3_600_000)?
            .checked_add(t[1].checked_mul(60_000)?)?
            .checked_add(t[2].checked_mul(1000)?)?
            .checked_add(t[3])?;
        millis = millis.checked_add(of_day)?;
    }
    Some(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 59, 365, 11_016, 19_675, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn parses_leniently_like_simple_date_format() {
        assert_eq!(parse(Pattern::Date, "1970-01-02"), Some(MILLIS_PER_DAY));
        assert_eq!(
            parse(Pattern::Date, "2024-02-30"),
            parse(Pattern::Date, "2024-03-01")
        );
        assert_eq!(parse(Pattern::Time, "00:00:01.500Z"), Some(1500));
        assert_eq!(parse(Pattern::Time, "00:00:01.500"), None);
        assert_eq!(
            parse(Pattern::Timestamp, "2023-11-14T22:13:20.123Z"),
            Some(1_700_000_000_123)
        );
        assert_eq!(parse(Pattern::Date, "x970-01-02"), None);
    }

    #[test]
    fn formats() {
        assert_eq!(format_date(-MILLIS_PER_DAY), "1969-12-31");
        assert_eq!(format_time(-1), "23:59:59.999Z");
        assert_eq!(
            java_date_to_string(1_700_000_000_123),
            "Tue Nov 14 22:13:20 UTC 2023"
        );
    }
}
