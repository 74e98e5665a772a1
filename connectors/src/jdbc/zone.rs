//! `db.timezone`: a Java `ZoneId` (as Confluent's `TimeZoneValidator` accepts it: `ZoneId.of`
//! with the `ZoneId.SHORT_IDS` aliases), used by both JDBC connectors to turn the wall-clock
//! values of `timestamp without time zone`, `time` and `date` columns into instants and back.
//! Region rules come from the IANA database compiled into Sluice (chrono-tz).

use std::fmt;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// Java's `ZoneId.SHORT_IDS`: three-letter ids and what they stand for.
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

/// A `db.timezone` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbZone {
    id: String,
    rules: Rules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    Fixed(FixedOffset),
    Region(Tz),
}

impl fmt::Display for DbZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl Default for DbZone {
    fn default() -> Self {
        DbZone::utc()
    }
}

impl DbZone {
    /// `UTC`, the default of `db.timezone`.
    pub fn utc() -> DbZone {
        DbZone {
            id: "UTC".to_string(),
            rules: Rules::Fixed(FixedOffset::east_opt(0).expect("zero offset")),
        }
    }

    /// Parses a zone id as Java's `ZoneId.of(id, SHORT_IDS)`: `Z`, `+02:00`, `-5`, `UTC`,
    /// `GMT+2`, `UT-03:30`, region ids (`Europe/Paris`), and the short ids (`PST`, `EST`).
    /// The error is the reason, for a message naming the key.
    pub fn parse(id: &str) -> Result<DbZone, String> {
        let trimmed = id.trim();
        let resolved = SHORT_IDS
            .iter()
            .find(|(short, _)| *short == trimmed)
            .map_or(trimmed, |(_, full)| *full);
        let rules = parse_rules(resolved)
            .ok_or_else(|| format!("Invalid time zone identifier {trimmed}"))?;
        Ok(DbZone {
            id: trimmed.to_string(),
            rules,
        })
    }

    /// A fixed offset, in seconds east of UTC (`+01:00` for 3600).
    pub fn fixed(seconds_east: i32) -> DbZone {
        let offset = FixedOffset::east_opt(seconds_east)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
        DbZone {
            id: offset.to_string(),
            rules: Rules::Fixed(offset),
        }
    }

    /// The offset (seconds east of UTC) in force at an instant given in epoch seconds.
    pub fn offset_at(&self, epoch_secs: i64) -> i32 {
        match DateTime::from_timestamp(epoch_secs, 0) {
            Some(instant) => self.offset_seconds_at(instant),
            None => match self.rules {
                Rules::Fixed(o) => o.local_minus_utc(),
                Rules::Region(_) => 0,
            },
        }
    }

    /// [`Self::to_utc`] on seconds: the epoch seconds of a wall-clock time given as seconds
    /// since 1970-01-01T00:00 local.
    pub fn local_to_utc(&self, local_secs: i64) -> i64 {
        match DateTime::from_timestamp(local_secs, 0) {
            Some(naive) => self.to_utc(naive.naive_utc()).timestamp(),
            None => local_secs - i64::from(self.offset_at(local_secs)),
        }
    }

    /// The offset in seconds east of UTC when it does not depend on the instant.
    pub fn fixed_offset(&self) -> Option<i32> {
        match self.rules {
            Rules::Fixed(o) => Some(o.local_minus_utc()),
            Rules::Region(_) => None,
        }
    }

    /// The IANA region name (`America/Los_Angeles` for `PST`), for a region zone.
    pub fn region(&self) -> Option<&'static str> {
        match self.rules {
            Rules::Fixed(_) => None,
            Rules::Region(tz) => Some(tz.name()),
        }
    }

    /// The id as written.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The instant of a wall-clock time in this zone. In a gap (spring forward) the time is
    /// moved forward by the gap's length and in an overlap the earlier offset is used, as
    /// Java's `ZonedDateTime.of` does.
    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.rules {
            Rules::Fixed(o) => resolve(o.from_local_datetime(&local), local, |l| {
                o.from_local_datetime(&l)
            }),
            Rules::Region(tz) => resolve(tz.from_local_datetime(&local), local, |l| {
                tz.from_local_datetime(&l)
            }),
        }
    }

    /// The wall-clock time of an instant in this zone.
    pub fn to_local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        match self.rules {
            Rules::Fixed(o) => instant.with_timezone(&o).naive_local(),
            Rules::Region(tz) => instant.with_timezone(&tz).naive_local(),
        }
    }

    /// The zone's offset from UTC at an instant, in seconds east.
    pub fn offset_seconds_at(&self, instant: DateTime<Utc>) -> i32 {
        match self.rules {
            Rules::Fixed(o) => o.local_minus_utc(),
            Rules::Region(tz) => tz
                .offset_from_utc_datetime(&instant.naive_utc())
                .fix()
                .local_minus_utc(),
        }
    }
}

fn resolve<T: TimeZone>(
    result: LocalResult<DateTime<T>>,
    local: NaiveDateTime,
    again: impl Fn(NaiveDateTime) -> LocalResult<DateTime<T>>,
) -> DateTime<Utc> {
    match result {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // A gap: the offset in force just before it applies (Java moves the wall-clock
            // time forward by the gap, which lands on the same instant).
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe -= chrono::Duration::minutes(1);
                if let Some(t) = again(probe).latest() {
                    let offset = i64::from(t.offset().fix().local_minus_utc());
                    return Utc.from_utc_datetime(&(local - chrono::Duration::seconds(offset)));
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

fn parse_rules(id: &str) -> Option<Rules> {
    if id == "Z" {
        return Some(Rules::Fixed(FixedOffset::east_opt(0)?));
    }
    if id.starts_with('+') || id.starts_with('-') {
        return parse_offset(id).map(Rules::Fixed);
    }
    for prefix in ["UTC", "GMT", "UT"] {
        if id == prefix {
            return Some(Rules::Fixed(FixedOffset::east_opt(0)?));
        }
        if let Some(rest) = id.strip_prefix(prefix) {
            if rest.starts_with('+') || rest.starts_with('-') {
                return parse_offset(rest).map(Rules::Fixed);
            }
        }
    }
    id.parse::<Tz>().ok().map(Rules::Region)
}

/// `ZoneOffset.of`: `+h`, `+hh`, `+hh:mm`, `+hhmm`, `+hh:mm:ss`, `+hhmmss`, within ±18:00.
fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let num = |t: &str| -> Option<i32> {
        (t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (h, m, sec) = match digits.len() {
        1 if digits.bytes().all(|b| b.is_ascii_digit()) => (digits.parse().ok()?, 0, 0),
        2 => (num(digits)?, 0, 0),
        4 => (num(&digits[..2])?, num(&digits[2..])?, 0),
        5 if &digits[2..3] == ":" => (num(&digits[..2])?, num(&digits[3..])?, 0),
        6 => (num(&digits[..2])?, num(&digits[2..4])?, num(&digits[4..])?),
        8 if &digits[2..3] == ":" && &digits[5..6] == ":" => {
            (num(&digits[..2])?, num(&digits[3..5])?, num(&digits[6..])?)
        }
        _ => return None,
    };
    if h > 18 || m > 59 || sec > 59 || (h == 18 && (m > 0 || sec > 0)) {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60 + sec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_opt(h, mi, 0))
            .expect("valid")
    }

    #[test]
    fn java_zone_ids_parse() {
        for id in [
            "UTC",
            "Z",
            "GMT",
            "UT",
            "+02:00",
            "-5",
            "UTC+2",
            "GMT-05:00",
            "+0530",
            "Europe/Paris",
            "America/New_York",
            "PST",
            "EST",
            "IST",
        ] {
            assert!(DbZone::parse(id).is_ok(), "{id}");
        }
        for id in ["Mars/Base", "+19:00", "UTC+", "utc", ""] {
            assert!(DbZone::parse(id).is_err(), "{id}");
        }
    }

    #[test]
    fn wall_clock_times_become_instants_and_back() {
        let paris = DbZone::parse("Europe/Paris").unwrap();
        let winter = local(2024, 1, 15, 12, 0);
        let summer = local(2024, 7, 15, 12, 0);
        assert_eq!(paris.to_utc(winter).naive_utc(), local(2024, 1, 15, 11, 0));
        assert_eq!(paris.to_utc(summer).naive_utc(), local(2024, 7, 15, 10, 0));
        assert_eq!(paris.to_local(paris.to_utc(summer)), summer);
        let est = DbZone::parse("EST").unwrap();
        assert_eq!(est.to_utc(summer).naive_utc(), local(2024, 7, 15, 17, 0));
        assert_eq!(DbZone::utc().offset_seconds_at(Utc::now()), 0);
        assert_eq!(paris.offset_seconds_at(paris.to_utc(summer)), 7200);
    }

    #[test]
    fn gaps_move_forward_and_overlaps_take_the_earlier_offset() {
        let paris = DbZone::parse("Europe/Paris").unwrap();
        // 2024-03-31 02:30 does not exist in Paris: Java gives 03:30 CEST = 01:30 UTC.
        assert_eq!(
            paris.to_utc(local(2024, 3, 31, 2, 30)).naive_utc(),
            local(2024, 3, 31, 1, 30)
        );
        // 2024-10-27 02:30 happens twice: the earlier (CEST, +02:00) is 00:30 UTC.
        assert_eq!(
            paris.to_utc(local(2024, 10, 27, 2, 30)).naive_utc(),
            local(2024, 10, 27, 0, 30)
        );
    }
}
