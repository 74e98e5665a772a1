//! Java's number parsing and narrowing: `new BigDecimal(String)`, `Double.parseDouble`,
//! `Float.parseFloat`, and the `Number.xxxValue()` narrowings (`BigInteger.longValue()`,
//! `BigDecimal.longValue()`, …), which wrap or saturate instead of failing.

use bigdecimal::{BigDecimal, ToPrimitive};
use num_bigint::{BigInt, Sign};

use super::parse::java_trim;
use crate::value::Value;

/// `BigInteger.longValue()`: the low 64 bits, in two's complement.
pub fn bigint_low_i64(v: &BigInt) -> i64 {
    let bytes = v.to_signed_bytes_le();
    let fill = if v.sign() == Sign::Minus { 0xff } else { 0 };
    let mut buf = [fill; 8];
    for (dst, src) in buf.iter_mut().zip(bytes.iter()) {
        *dst = *src;
    }
    i64::from_le_bytes(buf)
}

/// `BigDecimal.longValue()`: the integer part (truncated toward zero), then its low 64 bits.
pub fn decimal_low_i64(v: &BigDecimal) -> i64 {
    let (unscaled, scale) = v.as_bigint_and_exponent();
    if scale <= 0 {
        // 10^k is a multiple of 2^64 once k >= 64: the low 64 bits are then all zero.
        if scale < -63 {
            return 0;
        }
        let factor = num_traits_pow10(u32::try_from(-scale).unwrap_or(0));
        return bigint_low_i64(&(unscaled * factor));
    }
    let digits = unscaled.magnitude().to_string();
    let scale = usize::try_from(scale).unwrap_or(usize::MAX);
    if scale >= digits.len() {
        return 0;
    }
    let int_part: BigInt = digits[..digits.len() - scale].parse().unwrap_or_default();
    let int_part = if unscaled.sign() == Sign::Minus {
        -int_part
    } else {
        int_part
    };
    bigint_low_i64(&int_part)
}

fn num_traits_pow10(exp: u32) -> BigInt {
    BigInt::from(10u8).pow(exp)
}

/// `new BigDecimal(String)`: an optional sign, digits with an optional `.` (`1.`, `.5` are
/// accepted), and an optional exponent. `None` where Java throws `NumberFormatException`
/// (including a scale outside the `int` range).
pub fn parse_java_decimal(s: &str) -> Option<BigDecimal> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut digits = String::new();
    let mut frac_len: i64 = 0;
    let mut seen_point = false;
    while i < bytes.len() {
        match bytes[i] {
            b'0'..=b'9' => {
                digits.push(bytes[i] as char);
                if seen_point {
                    frac_len += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            b'e' | b'E' => break,
            _ => return None,
        }
        i += 1;
    }
    if digits.is_empty() {
        return None;
    }
    let mut exp: i64 = 0;
    if i < bytes.len() {
        let rest = &s[i + 1..];
        let unsigned = rest.strip_prefix(['+', '-']).unwrap_or(rest);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        exp = rest.parse::<i64>().ok()?;
        if i32::try_from(exp).is_err() {
            return None;
        }
    }
    let scale = frac_len - exp;
    if i32::try_from(scale).is_err() {
        return None;
    }
    let mut unscaled: BigInt = digits.parse().ok()?;
    if negative {
        unscaled = -unscaled;
    }
    Some(BigDecimal::new(unscaled, scale))
}

/// `BigDecimal.doubleValue()`: the nearest `double` (an exact zero is `+0.0`).
pub fn decimal_to_f64(v: &BigDecimal) -> f64 {
    let (unscaled, scale) = v.as_bigint_and_exponent();
    if unscaled.sign() == Sign::NoSign {
        return 0.0;
    }
    format!("{unscaled}e{}", -scale).parse().unwrap_or(0.0)
}

/// `BigDecimal.floatValue()`: the nearest `float` (an exact zero is `+0.0`).
pub fn decimal_to_f32(v: &BigDecimal) -> f32 {
    let (unscaled, scale) = v.as_bigint_and_exponent();
    if unscaled.sign() == Sign::NoSign {
        return 0.0;
    }
    format!("{unscaled}e{}", -scale).parse().unwrap_or(0.0)
}

/// True when `s` is `[+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?`.
fn is_decimal_literal(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int)
        && frac.is_none_or(all_digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Java's floating-point literal grammar shared by `parseDouble`/`parseFloat`: trims, accepts
/// `NaN`, `Infinity` and a trailing `f`/`F`/`d`/`D`. Returns the text Rust can parse.
fn java_float_text(s: &str) -> Option<String> {
    let t = java_trim(s);
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", t.strip_prefix('+').unwrap_or(t)),
    };
    if body == "NaN" {
        return Some("NaN".to_string());
    }
    if body == "Infinity" {
        return Some(format!("{sign}inf"));
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    if body.starts_with(['+', '-']) || !is_decimal_literal(body) {
        return None;
    }
    Some(format!("{sign}{body}"))
}

/// `Double.parseDouble(s)`; `None` on a `NumberFormatException`. Hexadecimal literals
/// (`0x1p3`) are not supported.
pub fn parse_double(s: &str) -> Option<f64> {
    java_float_text(s)?.parse().ok()
}

/// `Float.parseFloat(s)`; `None` on a `NumberFormatException`. Hexadecimal literals are not
/// supported.
pub fn parse_float(s: &str) -> Option<f32> {
    java_float_text(s)?.parse().ok()
}

/// `Number.longValue()` of a numeric value; `None` for a non-number. Floating-point values
/// saturate (`(long) d`, NaN is 0); decimals and big integers keep their low 64 bits.
pub fn long_value(v: &Value) -> Option<i64> {
    Some(match v {
        Value::Int8(x) => i64::from(*x),
        Value::Int16(x) => i64::from(*x),
        Value::Int32(x) => i64::from(*x),
        Value::Int64(x) => *x,
        Value::Float32(x) => *x as i64,
        Value::Float64(x) => *x as i64,
        Value::Decimal(d) => decimal_low_i64(d),
        Value::BigInt(i) => bigint_low_i64(i),
        _ => return None,
    })
}

/// `Number.intValue()`: doubles and floats saturate (`(int) d`), integers truncate.
pub fn int_value(v: &Value) -> Option<i32> {
    Some(match v {
        Value::Float32(x) => *x as i32,
        Value::Float64(x) => *x as i32,
        other => long_value(other)? as i32,
    })
}

/// `Number.doubleValue()`: the nearest `double`; `None` for a non-number.
pub fn double_value(v: &Value) -> Option<f64> {
    Some(match v {
        Value::Int8(x) => f64::from(*x),
        Value::Int16(x) => f64::from(*x),
        Value::Int32(x) => f64::from(*x),
        Value::Int64(x) => *x as f64,
        Value::Float32(x) => f64::from(*x),
        Value::Float64(x) => *x,
        Value::Decimal(d) => decimal_to_f64(d),
        Value::BigInt(i) => i.to_f64().unwrap_or(f64::NAN),
        _ => return None,
    })
}

/// `Number.floatValue()`; `None` for a non-number.
pub fn float_value(v: &Value) -> Option<f32> {
    Some(match v {
        Value::Float32(x) => *x,
        Value::Decimal(d) => decimal_to_f32(d),
        other => double_value(other)? as f32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn wraps_like_java() {
        let big = BigInt::from(u64::MAX) + BigInt::from(5u8);
        assert_eq!(bigint_low_i64(&big), 4);
        assert_eq!(bigint_low_i64(&BigInt::from(-3)), -3);
        let d = BigDecimal::from_str("-12.99").unwrap();
        assert_eq!(decimal_low_i64(&d), -12);
        assert_eq!(decimal_low_i64(&BigDecimal::from_str("0.5").unwrap()), 0);
        assert_eq!(decimal_low_i64(&BigDecimal::from_str("1e100").unwrap()), 0);
        assert_eq!(decimal_low_i64(&BigDecimal::from_str("3e2").unwrap()), 300);
    }

    #[test]
    fn parses_java_decimal_grammar() {
        let d = parse_java_decimal("1.").unwrap();
        assert_eq!(d.as_bigint_and_exponent(), (BigInt::from(1), 0));
        let d = parse_java_decimal("-.50e-1").unwrap();
        assert_eq!(d.as_bigint_and_exponent(), (BigInt::from(-50), 3));
        assert!(parse_java_decimal("1e").is_none());
        assert!(parse_java_decimal("abc").is_none());
        assert!(parse_java_decimal("1e99999999999").is_none());
        assert!(parse_java_decimal("1.2.3").is_none());
        assert_eq!(decimal_to_f64(&parse_java_decimal("-0.0").unwrap()), 0.0);
        assert!(decimal_to_f64(&parse_java_decimal("-0.0").unwrap()).is_sign_positive());
        assert!(decimal_to_f32(&parse_java_decimal("1e39").unwrap()).is_infinite());
    }

    /// Moved from `sluice_transforms::java_num` (there `parse_bigdecimal`).
    #[test]
    fn java_parsing_rules() {
        assert_eq!(parse_double(" 1.5d "), Some(1.5));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_double("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_double("inf"), None);
        assert_eq!(parse_double("nan"), None);
        assert_eq!(parse_double("1e3"), Some(1000.0));
        assert_eq!(parse_double(""), None);
        assert_eq!(parse_float(".5f"), Some(0.5));
        assert!(parse_java_decimal("1e3").is_some());
        assert!(parse_java_decimal(" 1").is_none());
        assert!(parse_java_decimal("1.").is_some());
        assert!(parse_java_decimal("abc").is_none());
    }

    /// Moved from `sluice_transforms::java_num`.
    #[test]
    fn narrowing_is_javas() {
        assert_eq!(long_value(&Value::Float64(-1.9)), Some(-1));
        assert_eq!(int_value(&Value::Float64(1e20)), Some(i32::MAX));
        assert_eq!(int_value(&Value::Int64(1 << 32 | 5)), Some(5));
        let big = "18446744073709551621.7".parse::<BigDecimal>().unwrap();
        assert_eq!(long_value(&Value::Decimal(big)), Some(5));
        assert_eq!(long_value(&Value::from("x")), None);
    }

    /// Inputs on which the old transforms copy (the `bigdecimal` crate's parser and
    /// `ToPrimitive`) disagreed with Java.
    #[test]
    fn former_transforms_disagreements_follow_java() {
        // `new BigDecimal` throws when the exponent or the scale leaves the `int` range.
        assert!(parse_java_decimal("1e2147483648").is_none());
        assert!(parse_java_decimal("1e-2147483648").is_none());
        assert!(parse_java_decimal("1e2147483647").is_some());
        // `Double.parseDouble` has no such limit.
        assert_eq!(parse_double("1e99999999999"), Some(f64::INFINITY));
        // `BigDecimal.doubleValue()`/`floatValue()` round correctly.
        let d = |s: &str| Value::Decimal(parse_java_decimal(s).unwrap());
        assert_eq!(double_value(&d("1e100")), Some(1e100));
        assert_eq!(double_value(&d("1e64")), Some(1e64));
        assert_eq!(double_value(&d("-6.7e73")), Some(-6.7e73));
        assert_eq!(float_value(&d("3.4028235677973366e38")), Some(f32::MAX));
        assert_eq!(float_value(&d("1e39")), Some(f32::INFINITY));
        assert_eq!(float_value(&d("0.1")), Some(0.1f32));
    }
}
