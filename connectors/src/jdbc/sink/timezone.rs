//! `db.timezone` values (Java `ZoneId`s) and the calendar arithmetic of
//! `date.calendar.system=LEGACY`.
//!
//! Sluice carries no time-zone database: region zones (`Europe/Berlin`) are handed to
//! PostgreSQL as the session `TimeZone`, and temporal values are sent as instants
//! (`timestamptz`) that PostgreSQL's assignment casts turn into the wall-clock date, time or
//! timestamp of that zone, which is what Confluent's driver writes for `timestamp`, `date` and
//! `time` columns.

use chrono::{Datelike, NaiveDate};

/// A `db.timezone` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zone {
    /// `UTC`, `Z`, `GMT`, `UT` (and zero offsets).
    Utc,
    /// A fixed offset east of UTC in seconds (`+02:00`, `UTC-5`, `EST`).
    Fixed(i32),
    /// A region id (`Europe/Berlin`), resolved by PostgreSQL.
    Region(String),
}

/// Java's `ZoneId.SHORT_IDS`.
const SHORT_IDS: &[(&str, &str)] = &[
    ("ACT", "Australia/Darwin"),
    ("AET", "Australia/Sydney"),
    ("AGT", "America/Argentina/Buenos_Aires"),
    ("ART", "Africa/Cairo"),
    ("AST", "America/Anchorage"),
    ("BET", "America/Sao_Paulo"),
    ("BST", "Asia/Dhaka"),
    ("CAT", "Africa/Harare"),
    ("CNT", "America/St_Johns"),
    ("CST", "America/Chicago"),
    ("CTT", "Asia/Shanghai"),
    ("EAT", "Africa/Addis_Ababa"),
    ("ECT", "Europe/Paris"),
    ("IET", "America/Indiana/Indianapolis"),
    ("IST", "Asia/Kolkata"),
    ("JST", "Asia/Tokyo"),
    ("MIT", "Pacific/Apia"),
    ("NET", "Asia/Yerevan"),
    ("NST", "Pacific/Auckland"),
    ("PLT", "Asia/Karachi"),
    ("PNT", "America/Phoenix"),
    ("PRT", "America/Puerto_Rico"),
    ("PST", "America/Los_Angeles"),
    ("SST", "Pacific/Guadalcanal"),
    ("VST", "Asia/Ho_Chi_Minh"),
    ("EST", "-05:00"),
    ("MST", "-07:00"),
    ("HST", "-10:00"),
];

impl Zone {
    /// Parses a Java zone id (with Java's short ids as fallback); `None` when it cannot be one.
    /// Region ids are checked for their syntax only here (PostgreSQL checks they exist).
    pub fn parse(raw: &str) -> Option<Zone> {
        let s = raw.trim();
        if s.is_empty() {
            return None;
        }
        if let Some((_, target)) = SHORT_IDS.iter().find(|(k, _)| *k == s) {
            return Zone::parse(target);
        }
        if matches!(
            s,
            "Z" | "UTC" | "GMT" | "UT" | "Etc/UTC" | "Etc/GMT" | "UCT"
        ) {
            return Some(Zone::Utc);
        }
        if s.starts_with('+') || s.starts_with('-') {
            return parse_offset(s).map(Zone::from_offset);
        }
        for prefix in ["UTC", "GMT", "UT"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                if rest.starts_with('+') || rest.starts_with('-') {
                    return parse_offset(rest).map(Zone::from_offset);
                }
            }
        }
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok =
            s.len() >= 2 && chars.all(|c| c.is_ascii_alphanumeric() || "~/._+-".contains(c));
        (first_ok && rest_ok).then(|| Zone::Region(s.to_string()))
    }

    fn from_offset(secs: i32) -> Zone {
        if secs == 0 {
            Zone::Utc
        } else {
            Zone::Fixed(secs)
        }
    }

    /// True for UTC.
    pub fn is_utc(&self) -> bool {
        matches!(self, Zone::Utc)
    }

    /// The statement that makes this zone the session's `TimeZone`.
    pub fn set_time_zone_sql(&self) -> String {
        match self {
            Zone::Utc => "SET TIME ZONE 'UTC'".to_string(),
            Zone::Fixed(secs) => {
                let sign = if *secs < 0 { '-' } else { '+' };
                let a = secs.unsigned_abs();
                format!(
                    "SET TIME ZONE INTERVAL '{sign}{:02}:{:02}' HOUR TO MINUTE",
                    a / 3600,
                    (a % 3600) / 60
                )
            }
            Zone::Region(name) => format!("SET TIME ZONE '{}'", name.replace('\'', "''")),
        }
    }

    /// The offset when it does not depend on the instant.
    pub fn fixed_offset(&self) -> Option<i32> {
        match self {
            Zone::Utc => Some(0),
            Zone::Fixed(s) => Some(*s),
            Zone::Region(_) => None,
        }
    }
}

/// `+h`, `+hh`, `+hh:mm`, `+hhmm`, `+hh:mm:ss` → seconds (at most ±18 hours, as Java).
fn parse_offset(s: &str) -> Option<i32> {
    let (sign, digits) = match s.split_at(1) {
        ("+", d) => (1, d),
        ("-", d) => (-1, d),
        _ => return None,
    };
    let parts: Vec<&str> = if digits.contains(':') {
        digits.split(':').collect()
    } else if digits.len() <= 2 {
        vec![digits]
    } else if digits.len() == 4 {
        vec![&digits[..2], &digits[2..]]
    } else if digits.len() == 6 {
        vec![&digits[..2], &digits[2..4], &digits[4..]]
    } else {
        return None;
    };
    let mut total = 0i32;
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 2 || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let v: i32 = p.parse().ok()?;
        let (limit, unit) = match i {
            0 => (18, 3600),
            1 => (59, 60),
            2 => (59, 1),
            _ => return None,
        };
        if v > limit {
            return None;
        }
        total += v * unit;
    }
    if total > 18 * 3600 {
        return None;
    }
    Some(sign * total)
}

/// The first day of the Gregorian calendar in Java's hybrid calendar (1582-10-15), in days
/// since the epoch.
pub const GREGORIAN_CUTOVER_DAY: i64 = -141_427;

/// `date.calendar.system=LEGACY`: Java's legacy classes print a day before the cutover with its
/// Julian calendar fields, which PostgreSQL then reads as a (proleptic) Gregorian date. Returns
/// the day PostgreSQL ends up storing for epoch day `day`.
pub fn legacy_day(day: i64) -> i64 {
    if day >= GREGORIAN_CUTOVER_DAY {
        return day;
    }
    // Julian calendar fields from the Julian day number.
    let jdn = day + 2_440_588;
    let c = jdn + 32_082;
    let d = (4 * c + 3).div_euclid(1461);
    let e = c - (1461 * d).div_euclid(4);
    let m = (5 * e + 2).div_euclid(153);
    let dom = e - (153 * m + 2).div_euclid(5) + 1;
    let month = m + 3 - 12 * m.div_euclid(10);
    let year = d - 4800 + m.div_euclid(10);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).map(|d| d.num_days_from_ce());
    let date = NaiveDate::from_ymd_opt(year as i32, month as u32, dom as u32)
        // A Julian leap day the Gregorian calendar does not have: the driver's string is
        // rejected by PostgreSQL; the day after is the closest it can store.
        .or_else(|| NaiveDate::from_ymd_opt(year as i32, 3, 1));
    match (date, epoch) {
        (Some(date), Some(epoch)) => i64::from(date.num_days_from_ce() - epoch),
        _ => day,
    }
}

/// Applies [`legacy_day`] to an instant in epoch microseconds (the time of day is kept).
pub fn legacy_micros(micros: i64) -> i64 {
    const DAY: i64 = 86_400_000_000;
    let day = micros.div_euclid(DAY);
    if day >= GREGORIAN_CUTOVER_DAY {
        return micros;
    }
    micros + (legacy_day(day) - day) * DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_zone_ids_parse() {
        assert_eq!(Zone::parse("UTC"), Some(Zone::Utc));
        assert_eq!(Zone::parse("Z"), Some(Zone::Utc));
        assert_eq!(Zone::parse("+02:00"), Some(Zone::Fixed(7200)));
        assert_eq!(Zone::parse("UTC-05:30"), Some(Zone::Fixed(-19800)));
        assert_eq!(Zone::parse("GMT+1"), Some(Zone::Fixed(3600)));
        assert_eq!(Zone::parse("EST"), Some(Zone::Fixed(-18000)));
        assert_eq!(
            Zone::parse("PST"),
            Some(Zone::Region("America/Los_Angeles".into()))
        );
        assert_eq!(
            Zone::parse("Europe/Berlin"),
            Some(Zone::Region("Europe/Berlin".into()))
        );
        assert_eq!(Zone::parse("+19:00"), None);
        assert_eq!(Zone::parse("Mars/Olympus Mons"), None);
        assert_eq!(Zone::parse(""), None);
    }

    #[test]
    fn session_time_zone_statements() {
        assert_eq!(Zone::Utc.set_time_zone_sql(), "SET TIME ZONE 'UTC'");
        assert_eq!(
            Zone::Fixed(-19800).set_time_zone_sql(),
            "SET TIME ZONE INTERVAL '-05:30' HOUR TO MINUTE"
        );
        assert_eq!(
            Zone::Region("Europe/Berlin".into()).set_time_zone_sql(),
            "SET TIME ZONE 'Europe/Berlin'"
        );
    }

    #[test]
    fn legacy_calendar_shifts_days_before_the_cutover() {
        // 1582-10-15 is the same day in both systems; the day before it is Julian 1582-10-04,
        // which PostgreSQL reads as Gregorian 1582-10-04 (ten days earlier).
        assert_eq!(legacy_day(GREGORIAN_CUTOVER_DAY), GREGORIAN_CUTOVER_DAY);
        assert_eq!(
            legacy_day(GREGORIAN_CUTOVER_DAY - 1),
            GREGORIAN_CUTOVER_DAY - 11
        );
        assert_eq!(legacy_day(0), 0);
    }
}
