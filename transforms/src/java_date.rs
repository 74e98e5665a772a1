//! `java.text.SimpleDateFormat` in UTC: pattern compilation with Java's errors, formatting and
//! lenient parsing, for TimestampConverter, TimestampRouter and Cast.
//!
//! Supported letters: `G y Y M L w W D d F E u a H k K h m s S z Z X`, quoted literals (`'…'`,
//! `''`). The calendar is proleptic Gregorian (Java switches to Julian before 1582-10-15) and
//! week fields follow the US locale (weeks start on Sunday; week 1 contains January 1st).

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, Timelike, Utc};

const PATTERN_LETTERS: &str = "GyMdkHmsSEDFwWahKzZYuXL";
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(String),
    Field { letter: char, count: usize },
}

/// A compiled `SimpleDateFormat` pattern, evaluated in UTC.
#[derive(Debug, Clone)]
pub struct JavaDateFormat {
    pattern: String,
    tokens: Vec<Token>,
}

impl JavaDateFormat {
    /// `new SimpleDateFormat(pattern)`; the error is Java's `IllegalArgumentException` message.
    pub fn new(pattern: &str) -> Result<JavaDateFormat, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens: Vec<Token> = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("Unterminated quote".to_string()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            literal.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&q) => {
                            literal.push(q);
                            i += 1;
                        }
                    }
                }
            } else if c.is_ascii_alphabetic() {
                if !PATTERN_LETTERS.contains(c) {
                    return Err(format!("Illegal pattern character '{c}'"));
                }
                let mut count = 1;
                while chars.get(i + count) == Some(&c) {
                    count += 1;
                }
                if !literal.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut literal)));
                }
                tokens.push(Token::Field { letter: c, count });
                i += count;
            } else {
                literal.push(c);
                i += 1;
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        Ok(JavaDateFormat {
            pattern: pattern.to_string(),
            tokens,
        })
    }

    /// The pattern (`toPattern()`).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// `format(new Date(millis))` in UTC; `None` when the instant is outside the supported
    /// range (about ±262,000 years).
    pub fn format(&self, millis: i64) -> Option<String> {
        let dt = DateTime::<Utc>::from_timestamp_millis(millis)?.naive_utc();
        let mut out = String::with_capacity(self.pattern.len() + 8);
        for token in &self.tokens {
            match token {
                Token::Literal(s) => out.push_str(s),
                Token::Field { letter, count } => format_field(&mut out, &dt, *letter, *count),
            }
        }
        Some(out)
    }

    /// `parse(text)` (lenient, UTC unless the text names a zone); `None` when the text does not
    /// match. Text after the pattern is ignored, as Java ignores it.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let text: Vec<char> = text.chars().collect();
        let mut fields = ParsedFields::default();
        let mut pos = 0;
        for (index, token) in self.tokens.iter().enumerate() {
            match token {
                Token::Literal(s) => {
                    for c in s.chars() {
                        if text.get(pos) != Some(&c) {
                            return None;
                        }
                        pos += 1;
                    }
                }
                Token::Field { letter, count } => {
                    let abutting = matches!(
                        self.tokens.get(index + 1),
                        Some(Token::Field { letter: next, count: next_count })
                            if is_numeric(*next, *next_count)
                    );
                    pos = parse_field(&text, pos, *letter, *count, abutting, &mut fields)?;
                }
            }
        }
        fields.resolve()
    }
}

fn pad(out: &mut String, value: i64, width: usize) {
    if value < 0 {
        out.push('-');
    }
    let digits = value.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// The Sunday that starts the (US) week of `date`; `date` itself at the edge of the range.
fn week_start(date: NaiveDate) -> NaiveDate {
    date.checked_sub_signed(Duration::days(i64::from(
        date.weekday().num_days_from_sunday(),
    )))
    .unwrap_or(date)
}

/// Week-year and week number in the US convention (Sunday first, minimal days 1).
fn us_week(date: NaiveDate) -> (i32, u32) {
    let start = week_start(date);
    let end = start.checked_add_signed(Duration::days(6)).unwrap_or(date);
    if end.year() > date.year() {
        return (date.year() + 1, 1);
    }
    let Some(jan1) = NaiveDate::from_ymd_opt(date.year(), 1, 1) else {
        return (date.year(), 1);
    };
    let week = (start - week_start(jan1)).num_days() / 7 + 1;
    (date.year(), week as u32)
}

fn format_field(out: &mut String, dt: &NaiveDateTime, letter: char, count: usize) {
    let date = dt.date();
    let era_year = |y: i32| i64::from(if y <= 0 { 1 - y } else { y });
    match letter {
        'G' => out.push_str(if date.year() > 0 { "AD" } else { "BC" }),
        'y' | 'Y' => {
            let year = if letter == 'y' {
                era_year(date.year())
            } else {
                era_year(us_week(date).0)
            };
            if count == 2 {
                pad(out, year % 100, 2);
            } else {
                pad(out, year, count);
            }
        }
        'M' | 'L' => {
            let month = date.month0() as usize;
            match count {
                1 | 2 => pad(out, month as i64 + 1, count),
                3 => out.push_str(&MONTHS[month][..3]),
                _ => out.push_str(MONTHS[month]),
            }
        }
        'd' => pad(out, i64::from(date.day()), count),
        'D' => pad(out, i64::from(date.ordinal()), count),
        'F' => pad(out, i64::from((date.day() - 1) / 7 + 1), count),
        'w' => pad(out, i64::from(us_week(date).1), count),
        'W' => {
            let first = date.with_day(1).unwrap_or(date);
            let weeks = (week_start(date) - week_start(first)).num_days() / 7 + 1;
            pad(out, weeks, count)
        }
        'E' => {
            let day = WEEKDAYS[date.weekday().num_days_from_sunday() as usize];
            out.push_str(if count >= 4 { day } else { &day[..3] });
        }
        'u' => pad(out, i64::from(date.weekday().number_from_monday()), count),
        'a' => out.push_str(if dt.hour() < 12 { "AM" } else { "PM" }),
        'H' => pad(out, i64::from(dt.hour()), count),
        'k' => pad(
            out,
            i64::from(if dt.hour() == 0 { 24 } else { dt.hour() }),
            count,
        ),
        'K' => pad(out, i64::from(dt.hour() % 12), count),
        'h' => {
            let h = dt.hour() % 12;
            pad(out, i64::from(if h == 0 { 12 } else { h }), count)
        }
        'm' => pad(out, i64::from(dt.minute()), count),
        's' => pad(out, i64::from(dt.second()), count),
        'S' => pad(
            out,
            i64::from(dt.and_utc().timestamp_subsec_millis()),
            count,
        ),
        'z' => out.push_str(if count >= 4 {
            "Coordinated Universal Time"
        } else {
            "UTC"
        }),
        'Z' => out.push_str("+0000"),
        'X' => out.push('Z'),
        _ => {}
    }
}

fn is_numeric(letter: char, count: usize) -> bool {
    match letter {
        'M' | 'L' => count <= 2,
        'G' | 'E' | 'a' | 'z' | 'Z' | 'X' => false,
        _ => true,
    }
}

#[derive(Debug, Default)]
struct ParsedFields {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    hour_of_day: Option<i64>,
    hour: Option<i64>,
    pm: Option<bool>,
    minute: Option<i64>,
    second: Option<i64>,
    millis: Option<i64>,
    offset_minutes: Option<i64>,
    bc: bool,
}

impl ParsedFields {
    fn resolve(&self) -> Option<i64> {
        let mut year = self.year.unwrap_or(1970);
        if self.bc {
            year = 1 - year;
        }
        let jan1 = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, 1, 1)?;
        let date = if self.month.is_none() && self.day.is_none() && self.day_of_year.is_some() {
            jan1.checked_add_signed(Duration::try_days(self.day_of_year.unwrap_or(1) - 1)?)?
        } else {
            let months = self.month.unwrap_or(1) - 1;
            let shifted = if months >= 0 {
                jan1.checked_add_months(Months::new(u32::try_from(months).ok()?))?
            } else {
                jan1.checked_sub_months(Months::new(u32::try_from(-months).ok()?))?
            };
            shifted.checked_add_signed(Duration::try_days(self.day.unwrap_or(1) - 1)?)?
        };
        let hours = match (self.hour_of_day, self.hour, self.pm) {
            (Some(h), _, _) => h,
            (None, Some(h), pm) => h + if pm == Some(true) { 12 } else { 0 },
            (None, None, Some(true)) => 12,
            _ => 0,
        };
        let seconds = hours
            .checked_mul(3600)?
            .checked_add(self.minute.unwrap_or(0).checked_mul(60)?)?
            .checked_add(self.second.unwrap_or(0))?
            .checked_sub(self.offset_minutes.unwrap_or(0).checked_mul(60)?)?;
        let base = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis();
        base.checked_add(seconds.checked_mul(1000)?)?
            .checked_add(self.millis.unwrap_or(0))
    }
}

fn skip_blanks(text: &[char], mut pos: usize) -> usize {
    while matches!(text.get(pos), Some(' ') | Some('\t')) {
        pos += 1;
    }
    pos
}

/// Parses a (possibly signed) decimal number; with `limit`, reads at most that many characters.
fn parse_number(text: &[char], pos: usize, limit: Option<usize>) -> Option<(i64, usize)> {
    let end = limit.map_or(text.len(), |l| (pos + l).min(text.len()));
    let mut i = pos;
    let negative = text.get(i) == Some(&'-') && i < end;
    if negative {
        i += 1;
    }
    let start = i;
    let mut value: i64 = 0;
    while i < end {
        let Some(d) = text[i].to_digit(10) else { break };
        value = value.checked_mul(10)?.checked_add(i64::from(d))?;
        i += 1;
    }
    if i == start {
        return None;
    }
    Some((if negative { -value } else { value }, i))
}

/// Case-insensitive match of the longest candidate at `pos`.
fn match_text(text: &[char], pos: usize, candidates: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (index, candidate) in candidates.iter().enumerate() {
        let len = candidate.chars().count();
        if pos + len > text.len() {
            continue;
        }
        let slice: String = text[pos..pos + len].iter().collect();
        if slice.eq_ignore_ascii_case(candidate) && best.is_none_or(|(_, l)| len > l) {
            best = Some((index, len));
        }
    }
    best.map(|(index, len)| (index, pos + len))
}

/// Parses `+hh:mm`, `+hhmm` or `+hh` at `pos`; returns minutes east of UTC.
fn parse_offset(text: &[char], pos: usize) -> Option<(i64, usize)> {
    let sign = match text.get(pos) {
        Some('+') => 1,
        Some('-') => -1,
        _ => return None,
    };
    let (hours, mut next) = parse_number(text, pos + 1, Some(2))?;
    let mut minutes = 0;
    if text.get(next) == Some(&':') {
        let (m, after) = parse_number(text, next + 1, Some(2))?;
        minutes = m;
        next = after;
    } else if let Some((m, after)) = parse_number(text, next, Some(2)) {
        if after - next == 2 {
            minutes = m;
            next = after;
        }
    }
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((sign * (hours * 60 + minutes), next))
}

fn parse_zone(text: &[char], pos: usize, letter: char) -> Option<(i64, usize)> {
    if letter == 'X' && matches!(text.get(pos), Some('Z') | Some('z')) {
        return Some((0, pos + 1));
    }
    if let Some((_, next)) = match_text(text, pos, &["GMT", "UTC"]) {
        return Some(parse_offset(text, next).unwrap_or((0, next)));
    }
    if letter == 'z' {
        if let Some((_, next)) = match_text(text, pos, &["Coordinated Universal Time", "Z"]) {
            return Some((0, next));
        }
    }
    parse_offset(text, pos)
}

fn parse_field(
    text: &[char],
    pos: usize,
    letter: char,
    count: usize,
    abutting: bool,
    fields: &mut ParsedFields,
) -> Option<usize> {
    let pos = skip_blanks(text, pos);
    if pos >= text.len() {
        return None;
    }
    let number = |fields_limit: bool| -> Option<(i64, usize)> {
        if fields_limit {
            if pos + count > text.len() {
                return None;
            }
            parse_number(text, pos, Some(count))
        } else {
            parse_number(text, pos, None)
        }
    };
    match letter {
        'G' => {
            let (index, next) = match_text(text, pos, &["AD", "BC"])?;
            fields.bc = index == 1;
            Some(next)
        }
        'M' | 'L' if count >= 3 => {
            let mut names: Vec<&str> = MONTHS.to_vec();
            names.extend(MONTHS.iter().map(|m| &m[..3]));
            let (index, next) = match_text(text, pos, &names)?;
            fields.month = Some((index % 12) as i64 + 1);
            Some(next)
        }
        'E' => {
            let mut names: Vec<&str> = WEEKDAYS.to_vec();
            names.extend(WEEKDAYS.iter().map(|d| &d[..3]));
            let (_, next) = match_text(text, pos, &names)?;
            Some(next)
        }
        'a' => {
            let (index, next) = match_text(text, pos, &["AM", "PM"])?;
            fields.pm = Some(index == 1);
            Some(next)
        }
        'z' | 'Z' | 'X' => {
            let (offset, next) = parse_zone(text, pos, letter)?;
            fields.offset_minutes = Some(offset);
            Some(next)
        }
        _ => {
            let (mut value, next) = number(abutting)?;
            match letter {
                'y' | 'Y' => {
                    let digits = next - pos;
                    if count <= 2 && digits == 2 && text[pos].is_ascii_digit() {
                        let start_year = i64::from(Utc::now().year()) - 80;
                        let ambiguous = start_year % 100;
                        value += (start_year / 100) * 100 + if value < ambiguous { 100 } else { 0 };
                    }
                    fields.year = Some(value);
                }
                'M' | 'L' => fields.month = Some(value),
                'd' => fields.day = Some(value),
                'D' => fields.day_of_year = Some(value),
                'H' => fields.hour_of_day = Some(value),
                'k' => fields.hour_of_day = Some(if value == 24 { 0 } else { value }),
                'K' => fields.hour = Some(value),
                'h' => fields.hour = Some(if value == 12 { 0 } else { value }),
                'm' => fields.minute = Some(value),
                's' => fields.second = Some(value),
                'S' => fields.millis = Some(value),
                // F, w, W, u: read but not used to compute the date.
                _ => {}
            }
            Some(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(pattern: &str, millis: i64) -> String {
        JavaDateFormat::new(pattern)
            .unwrap()
            .format(millis)
            .unwrap()
    }

    #[test]
    fn formats_like_simple_date_format_in_utc() {
        // 2017-01-03T06:30:01.864Z
        let t = 1_483_425_001_864;
        assert_eq!(fmt("yyyyMMdd", t), "20170103");
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", t),
            "2017-01-03T06:30:01.864Z"
        );
        assert_eq!(fmt("yy/M/d h:m a", t), "17/1/3 6:30 AM");
        assert_eq!(fmt("EEE, d MMM yyyy", t), "Tue, 3 Jan 2017");
        assert_eq!(fmt("EEEE MMMM", t), "Tuesday January");
        assert_eq!(fmt("D w W F u", t), "3 1 1 1 2");
        assert_eq!(fmt("z Z X", t), "UTC +0000 Z");
        assert_eq!(fmt("'o''clock' k K", 0), "o'clock 24 0");
        assert_eq!(fmt("S SSSS", 5), "5 0005");
        // 2019-12-31 (a Tuesday) is in the week that contains 2020-01-01: US week 1 of 2020
        assert_eq!(fmt("YYYY-ww yyyy", 1_577_750_400_000), "2020-01 2019");
        // 2016-12-31 is a Saturday; 2017-01-01 starts the next week
        assert_eq!(fmt("YYYY-ww", 1_483_142_400_000), "2016-53");
    }

    #[test]
    fn pattern_errors_are_javas() {
        assert_eq!(
            JavaDateFormat::new("yyyy-bb").unwrap_err(),
            "Illegal pattern character 'b'"
        );
        assert_eq!(
            JavaDateFormat::new("yyyy'").unwrap_err(),
            "Unterminated quote"
        );
    }

    #[test]
    fn parses_leniently() {
        let f = JavaDateFormat::new("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").unwrap();
        assert_eq!(f.parse("2017-01-03T06:30:01.864Z"), Some(1_483_425_001_864));
        // trailing text is ignored; lenient overflow rolls over
        let d = JavaDateFormat::new("yyyy-MM-dd").unwrap();
        assert_eq!(d.parse("1970-01-02 trailing"), Some(86_400_000));
        assert_eq!(d.parse("1970-13-01"), d.parse("1971-01-01"));
        assert_eq!(d.parse("1970-01"), None);
        assert_eq!(d.parse("x970-01-01"), None);
        // abutting numeric fields use fixed widths
        let compact = JavaDateFormat::new("yyyyMMddHHmm").unwrap();
        assert_eq!(
            compact.parse("197001020304"),
            Some(86_400_000 + 3 * 3_600_000 + 4 * 60_000)
        );
        // zones
        let z = JavaDateFormat::new("yyyy-MM-dd HH:mm Z").unwrap();
        assert_eq!(z.parse("1970-01-01 02:00 +0200"), Some(0));
        let x = JavaDateFormat::new("HH:mmXXX").unwrap();
        assert_eq!(x.parse("01:00-01:00"), Some(7_200_000));
        let names = JavaDateFormat::new("dd MMM yyyy hh a").unwrap();
        assert_eq!(
            names.parse("02 jan 1970 12 PM"),
            Some(86_400_000 + 12 * 3_600_000)
        );
    }

    #[test]
    fn out_of_range_input_fails_without_panicking() {
        let d = JavaDateFormat::new("yyyy-MM-dd").unwrap();
        assert_eq!(d.parse("9999999999-01-01"), None);
        let doy = JavaDateFormat::new("yyyy D").unwrap();
        assert_eq!(doy.parse("1970 99999999999999"), None);
        assert_eq!(doy.parse("1970 32"), Some(31 * 86_400_000));
        let f = JavaDateFormat::new("YYYY ww W yyyy").unwrap();
        assert!(f
            .format(DateTime::<Utc>::MIN_UTC.timestamp_millis())
            .is_some());
        assert!(f
            .format(DateTime::<Utc>::MAX_UTC.timestamp_millis())
            .is_some());
        assert_eq!(f.format(i64::MAX), None);
    }
}
