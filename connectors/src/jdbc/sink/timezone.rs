//! `db.timezone` values (Java `ZoneId`s) and the calendar arithmetic of
//! `date.calendar.system=LEGACY`.
//!
//! Zone ids are parsed by [`crate::jdbc::zone::DbZone`]; the sink hands the zone to
//! PostgreSQL as the session `TimeZone` (`PST` as `America/Los_Angeles`), and temporal values are sent as instants
//! (`timestamptz`) that PostgreSQL's assignment casts turn into the wall-clock date, time or
//! timestamp of that zone, which is what Confluent's driver writes for `timestamp`, `date` and
//! `time` columns.

use chrono::{Datelike, NaiveDate};

use crate::jdbc::zone::DbZone;

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

impl Zone {
    /// Parses a Java zone id (with Java's short ids as fallback); `None` when it is not one.
    pub fn parse(raw: &str) -> Option<Zone> {
        let zone = DbZone::parse(raw).ok()?;
        match (zone.fixed_offset(), zone.region()) {
            (Some(secs), _) => Some(Zone::from_offset(secs)),
            (None, Some(name)) => Some(Zone::Region(name.to_string())),
            (None, None) => None,
        }
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
