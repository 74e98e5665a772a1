//! `db.timezone`: the zone in which `timestamp without time zone` and `time` values are read
//! and timestamp query parameters are written, as Java's `ZoneId.of(id)` with the
//! `ZoneId.SHORT_IDS` fallback Confluent's `TimeZoneValidator` accepts.
//!
//! Fixed offsets (`UTC`, `GMT+2`, `+05:30`, `EST`, …) are computed directly; region ids
//! (`Europe/Paris`) are read from the system time-zone database (`/usr/share/zoneinfo`, TZif
//! files), using the offsets of its transition table.

use std::path::Path;
use std::sync::Arc;

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

const ZONEINFO: &str = "/usr/share/zoneinfo";

/// A time zone: a fixed offset or a region's transition table.
#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    /// A fixed offset east of UTC, in seconds.
    Fixed(i32),
    /// A region id with its offsets.
    Region(Arc<Transitions>),
}

/// The transition table of a region (from a TZif file).
#[derive(Debug, Clone, PartialEq)]
pub struct Transitions {
    /// The id (`Europe/Paris`).
    pub id: String,
    /// Transition instants (epoch seconds), ascending.
    times: Vec<i64>,
    /// The offset (seconds east of UTC) in force from each transition on.
    offsets: Vec<i32>,
    /// The offset before the first transition.
    initial: i32,
}

impl Zone {
    /// UTC.
    pub const UTC: Zone = Zone::Fixed(0);

    /// Parses a zone id as `ZoneId.of(id)` then `ZoneId.of(id, SHORT_IDS)`; `None` when it is
    /// not a zone.
    pub fn parse(id: &str) -> Option<Zone> {
        let id = id.trim();
        if let Some(z) = parse_fixed(id) {
            return Some(z);
        }
        if let Some(r) = load_region(id) {
            return Some(r);
        }
        let (_, mapped) = SHORT_IDS.iter().find(|(k, _)| *k == id)?;
        parse_fixed(mapped).or_else(|| load_region(mapped))
    }

    /// The offset (seconds east of UTC) in force at an instant.
    pub fn offset_at(&self, epoch_secs: i64) -> i32 {
        match self {
            Zone::Fixed(o) => *o,
            Zone::Region(t) => {
                let idx = t.times.partition_point(|&x| x <= epoch_secs);
                if idx == 0 {
                    t.initial
                } else {
                    t.offsets[idx - 1]
                }
            }
        }
    }

    /// The instant (epoch seconds) of a wall-clock time (seconds since 1970-01-01T00:00 local),
    /// choosing the earlier offset in an overlap and shifting forward in a gap, as
    /// `ZonedDateTime.of(local, zone)` does.
    pub fn local_to_utc(&self, local_secs: i64) -> i64 {
        match self {
            Zone::Fixed(o) => local_secs - i64::from(*o),
            Zone::Region(_) => {
                let before = i64::from(self.offset_at(local_secs - 86_400));
                let after = i64::from(self.offset_at(local_secs + 86_400));
                for o in [before, after] {
                    if i64::from(self.offset_at(local_secs - o)) == o {
                        return local_secs - o;
                    }
                }
                local_secs - before
            }
        }
    }
}

fn parse_fixed(id: &str) -> Option<Zone> {
    if matches!(id, "Z" | "UTC" | "GMT" | "UT" | "Etc/UTC" | "Etc/GMT") {
        return Some(Zone::UTC);
    }
    let rest = ["UTC", "GMT", "UT"]
        .iter()
        .find_map(|p| id.strip_prefix(p).filter(|r| r.starts_with(['+', '-'])))
        .unwrap_or(id);
    parse_offset(rest).map(Zone::Fixed)
}

/// `+h`, `+hh`, `+hh:mm`, `+hhmm`, `+hh:mm:ss`, `+hhmmss` (Java's `ZoneOffset.of`).
fn parse_offset(s: &str) -> Option<i32> {
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
        1 if digits.as_bytes()[0].is_ascii_digit() => (digits.parse().ok()?, 0, 0),
        2 => (num(digits)?, 0, 0),
        4 => (num(&digits[..2])?, num(&digits[2..])?, 0),
        5 if &digits[2..3] == ":" => (num(&digits[..2])?, num(&digits[3..])?, 0),
        6 => (num(&digits[..2])?, num(&digits[2..4])?, num(&digits[4..])?),
        8 if &digits[2..3] == ":" && &digits[5..6] == ":" => {
            (num(&digits[..2])?, num(&digits[3..5])?, num(&digits[6..])?)
        }
        _ => return None,
    };
    if h > 18 || m > 59 || sec > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + sec))
}

fn load_region(id: &str) -> Option<Zone> {
    let valid = !id.is_empty()
        && !id.starts_with('/')
        && id
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_-+".contains(&b));
    if !valid {
        return None;
    }
    let bytes = std::fs::read(Path::new(ZONEINFO).join(id)).ok()?;
    parse_tzif(id, &bytes).map(|t| Zone::Region(Arc::new(t)))
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Parses a TZif file (version 1 data, or the 64-bit data of version 2+).
fn parse_tzif(id: &str, b: &[u8]) -> Option<Transitions> {
    struct Header {
        isut: usize,
        isstd: usize,
        leap: usize,
        time: usize,
        typ: usize,
        chars: usize,
    }
    let header = |at: usize| -> Option<Header> {
        if b.get(at..at + 4)? != b"TZif" {
            return None;
        }
        let c = |i: usize| be_u32(b, at + 20 + 4 * i).map(|v| v as usize);
        Some(Header {
            isut: c(0)?,
            isstd: c(1)?,
            leap: c(2)?,
            time: c(3)?,
            typ: c(4)?,
            chars: c(5)?,
        })
    };
    let h1 = header(0)?;
    let version = *b.get(4)?;
    let v1_len = h1.time * 5 + h1.typ * 6 + h1.chars + h1.leap * 8 + h1.isstd + h1.isut;
    let (h, at, width) = if version >= b'2' {
        let at = 44 + v1_len;
        (header(at)?, at + 44, 8)
    } else {
        (h1, 44, 4)
    };
    let mut times = Vec::with_capacity(h.time);
    for i in 0..h.time {
        let p = at + i * width;
        let t = if width == 8 {
            i64::from_be_bytes(b.get(p..p + 8)?.try_into().ok()?)
        } else {
            i64::from(be_u32(b, p)? as i32)
        };
        times.push(t);
    }
    let idx_at = at + h.time * width;
    let types_at = idx_at + h.time;
    let ttinfo = |i: usize| -> Option<(i32, bool)> {
        let p = types_at + i * 6;
        Some((be_u32(b, p)? as i32, *b.get(p + 4)? != 0))
    };
    let mut offsets = Vec::with_capacity(h.time);
    for i in 0..h.time {
        offsets.push(ttinfo(*b.get(idx_at + i)? as usize)?.0);
    }
    let initial = (0..h.typ)
        .filter_map(ttinfo)
        .find(|(_, dst)| !dst)
        .or_else(|| ttinfo(0))?
        .0;
    Some(Transitions {
        id: id.to_string(),
        times,
        offsets,
        initial,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_offsets_and_short_ids() {
        assert_eq!(Zone::parse("UTC"), Some(Zone::UTC));
        assert_eq!(Zone::parse("+05:30"), Some(Zone::Fixed(19_800)));
        assert_eq!(Zone::parse("GMT-2"), Some(Zone::Fixed(-7_200)));
        assert_eq!(Zone::parse("EST").map(|z| z.offset_at(0)), Some(-18_000));
        assert_eq!(Zone::parse("Not/AZone"), None);
        assert_eq!(Zone::parse("+25:00"), None);
        assert_eq!(Zone::parse("../etc/passwd"), None);
    }

    #[test]
    fn regions_follow_daylight_saving_when_the_zone_database_is_installed() {
        let Some(paris) = Zone::parse("Europe/Paris") else {
            // The database is part of the OS image; without it region ids are refused, which
            // `fixed_offsets_and_short_ids` covers.
            assert!(!Path::new(ZONEINFO).join("Europe/Paris").exists());
            return;
        };
        // 2024-01-15T12:00Z: CET (+1); 2024-07-15T12:00Z: CEST (+2).
        assert_eq!(paris.offset_at(1_705_320_000), 3_600);
        assert_eq!(paris.offset_at(1_721_044_800), 7_200);
        // Local 2024-07-15T14:00 → 12:00Z.
        assert_eq!(paris.local_to_utc(1_721_052_000), 1_721_044_800);
    }
}
