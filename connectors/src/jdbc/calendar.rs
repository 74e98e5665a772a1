//! `date.calendar.system=LEGACY`: Java's legacy date classes use a hybrid calendar, Julian
//! before 1582-10-15 and Gregorian after, while PostgreSQL (and `java.time`) use the proleptic
//! Gregorian calendar. Confluent's connectors default to LEGACY, so a day before the cutover
//! has a different epoch-day number in Connect than in PostgreSQL. The source turns
//! PostgreSQL's days into Java's ([`hybrid_day`]); the sink turns them back ([`legacy_day`]),
//! so Sluice's records agree with those Confluent's connectors write and read.

use chrono::{Datelike, NaiveDate};

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const EPOCH_CE_DAYS: i64 = 719_163;
/// The Julian day number of 1970-01-01.
const EPOCH_JDN: i64 = 2_440_588;
/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

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
    let day = micros.div_euclid(DAY_MICROS);
    if day >= GREGORIAN_CUTOVER_DAY {
        return micros;
    }
    micros + (legacy_day(day) - day) * DAY_MICROS
}

/// The inverse of [`legacy_day`]: the epoch day Java's hybrid calendar gives the date that
/// PostgreSQL stores as proleptic epoch day `day` (the same year, month and day read as a
/// Julian date before the cutover).
pub fn hybrid_day(day: i64) -> i64 {
    if day >= GREGORIAN_CUTOVER_DAY {
        return day;
    }
    let Some(date) = i32::try_from(day + EPOCH_CE_DAYS)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
    else {
        return day;
    };
    let (y, m, d) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    // The Julian day number of a Julian calendar date.
    let a = (14 - m).div_euclid(12);
    let y2 = y + 4800 - a;
    let m2 = m + 12 * a - 3;
    let jdn = d + (153 * m2 + 2).div_euclid(5) + 365 * y2 + y2.div_euclid(4) - 32_083;
    jdn - EPOCH_JDN
}

/// [`hybrid_day`] on an instant in epoch microseconds (the time of day is kept).
pub fn hybrid_micros(micros: i64) -> i64 {
    let day = micros.div_euclid(DAY_MICROS);
    if day >= GREGORIAN_CUTOVER_DAY {
        return micros;
    }
    micros + (hybrid_day(day) - day) * DAY_MICROS
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn hybrid_days_invert_legacy_days() {
        // 0001-01-01 is two days later in the Julian calendar than in the proleptic one.
        assert_eq!(hybrid_day(-719_162), -719_164);
        assert_eq!(legacy_day(-719_164), -719_162);
        for day in [-719_162, -500_000, -200_000, GREGORIAN_CUTOVER_DAY - 20] {
            assert_eq!(legacy_day(hybrid_day(day)), day, "day {day}");
        }
        assert_eq!(hybrid_day(0), 0);
        let micros = -719_162 * DAY_MICROS + 3_600_000_000;
        assert_eq!(hybrid_micros(micros), micros - 2 * DAY_MICROS);
    }
}
