//! Java's number conversions as the transformations see them: `Double.toString`,
//! `Float.toString`, `BigDecimal.toString`, `Double.parseDouble`, `new BigDecimal(String)` and
//! the `Number.xxxValue()` narrowings.

use bigdecimal::{BigDecimal, ToPrimitive};
use num_bigint::BigInt;
use sluice_api::Value;

/// Lays out shortest round-trip digits the way `Double.toString`/`Float.toString` do: plain
/// notation within [10^-3, 10^7), computerized scientific notation (`1.0E10`) outside.
fn java_float_layout(sci: &str) -> String {
    // `sci` is Rust's `{:e}` output: `-1.2345e-7`, `1e7`, …
    let (negative, body) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci),
    };
    let (mantissa, exponent) = body.split_once('e').unwrap_or((body, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if (-3..7).contains(&exponent) {
        if exponent < 0 {
            out.push_str("0.");
            for _ in 0..(-exponent - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let int_len = exponent as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        out.push_str(&exponent.to_string());
    }
    out
}

/// `Double.toString(d)`.
pub fn double_to_string(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    java_float_layout(&format!("{d:e}"))
}

/// `Float.toString(f)`.
pub fn float_to_string(f: f32) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    java_float_layout(&format!("{f:e}"))
}

/// `BigDecimal.toString()`: plain when the scale is non-negative and the adjusted exponent is at
/// least -6, scientific (`1E-7`, `1.23E+5`) otherwise.
pub fn bigdecimal_to_string(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let negative = unscaled < BigInt::from(0);
    let digits = unscaled.magnitude().to_string();
    let adjusted = -scale + (digits.len() as i64 - 1);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if scale >= 0 && adjusted >= -6 {
        let scale = scale as usize;
        if scale == 0 {
            out.push_str(&digits);
        } else if digits.len() > scale {
            out.push_str(&digits[..digits.len() - scale]);
            out.push('.');
            out.push_str(&digits[digits.len() - scale..]);
        } else {
            out.push_str("0.");
            for _ in digits.len()..scale {
                out.push('0');
            }
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('E');
        if adjusted >= 0 {
            out.push('+');
        }
        out.push_str(&adjusted.to_string());
    }
    out
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

/// `new BigDecimal(s)`; `None` on a `NumberFormatException`.
pub fn parse_bigdecimal(s: &str) -> Option<BigDecimal> {
    if !is_decimal_literal(s) {
        return None;
    }
    s.parse().ok()
}

/// Java's floating-point literal grammar shared by `parseDouble`/`parseFloat`: trims, accepts
/// `NaN`, `Infinity` and a trailing `f`/`F`/`d`/`D`. Returns the text Rust can parse.
fn java_float_text(s: &str) -> Option<String> {
    let t = s.trim_matches(|c: char| c <= ' ');
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

/// `Double.parseDouble(s)`; `None` on a `NumberFormatException`.
pub fn parse_double(s: &str) -> Option<f64> {
    java_float_text(s)?.parse().ok()
}

/// `Float.parseFloat(s)`; `None` on a `NumberFormatException`.
pub fn parse_float(s: &str) -> Option<f32> {
    java_float_text(s)?.parse().ok()
}

/// The low 64 bits of an integer, as Java's `BigInteger.longValue()`.
fn bigint_low_bits(i: &BigInt) -> i64 {
    let bytes = i.to_signed_bytes_le();
    let fill = if i < &BigInt::from(0) { 0xff } else { 0 };
    let mut buf = [fill; 8];
    for (slot, b) in buf.iter_mut().zip(bytes.iter()) {
        *slot = *b;
    }
    i64::from_le_bytes(buf)
}

/// `BigDecimal.longValue()`: the integer part (truncated toward zero), low 64 bits.
pub fn bigdecimal_long_value(d: &BigDecimal) -> i64 {
    let (int, _) = d.with_scale(0).into_bigint_and_exponent();
    bigint_low_bits(&int)
}

/// `Number.longValue()` of a numeric value; `None` for a non-number.
pub fn long_value(v: &Value) -> Option<i64> {
    Some(match v {
        Value::Int8(x) => i64::from(*x),
        Value::Int16(x) => i64::from(*x),
        Value::Int32(x) => i64::from(*x),
        Value::Int64(x) => *x,
        Value::Float32(x) => *x as i64,
        Value::Float64(x) => *x as i64,
        Value::Decimal(d) => bigdecimal_long_value(d),
        Value::BigInt(i) => bigint_low_bits(i),
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

/// `Number.doubleValue()`.
pub fn double_value(v: &Value) -> Option<f64> {
    Some(match v {
        Value::Int8(x) => f64::from(*x),
        Value::Int16(x) => f64::from(*x),
        Value::Int32(x) => f64::from(*x),
        Value::Int64(x) => *x as f64,
        Value::Float32(x) => f64::from(*x),
        Value::Float64(x) => *x,
        Value::Decimal(d) => d.to_f64().unwrap_or(f64::NAN),
        Value::BigInt(i) => i.to_f64().unwrap_or(f64::NAN),
        _ => return None,
    })
}

/// `Number.floatValue()`.
pub fn float_value(v: &Value) -> Option<f32> {
    Some(match v {
        Value::Float32(x) => *x,
        Value::Decimal(d) => d.to_f32().unwrap_or(f32::NAN),
        other => double_value(other)? as f32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_to_string_matches_java() {
        assert_eq!(double_to_string(1.0), "1.0");
        assert_eq!(double_to_string(-1.125), "-1.125");
        assert_eq!(double_to_string(1e7), "1.0E7");
        assert_eq!(double_to_string(12345678.9), "1.23456789E7");
        assert_eq!(double_to_string(0.001), "0.001");
        assert_eq!(double_to_string(0.0001), "1.0E-4");
        assert_eq!(double_to_string(123.456), "123.456");
        assert_eq!(double_to_string(f64::NAN), "NaN");
        assert_eq!(double_to_string(-0.0), "-0.0");
        assert_eq!(float_to_string(12.34), "12.34");
        assert_eq!(float_to_string(1e10), "1.0E10");
    }

    #[test]
    fn bigdecimal_to_string_matches_java() {
        let d = |s: &str| s.parse::<BigDecimal>().unwrap();
        assert_eq!(bigdecimal_to_string(&d("1.5600")), "1.5600");
        assert_eq!(bigdecimal_to_string(&d("-0.05")), "-0.05");
        assert_eq!(bigdecimal_to_string(&d("0.0000001")), "1E-7");
        assert_eq!(
            bigdecimal_to_string(&BigDecimal::new(123.into(), -3)),
            "1.23E+5"
        );
        assert_eq!(bigdecimal_to_string(&d("42")), "42");
    }

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
        assert!(parse_bigdecimal("1e3").is_some());
        assert!(parse_bigdecimal(" 1").is_none());
        assert!(parse_bigdecimal("1.").is_some());
        assert!(parse_bigdecimal("abc").is_none());
    }

    #[test]
    fn narrowing_is_javas() {
        assert_eq!(long_value(&Value::Float64(-1.9)), Some(-1));
        assert_eq!(int_value(&Value::Float64(1e20)), Some(i32::MAX));
        assert_eq!(int_value(&Value::Int64(1 << 32 | 5)), Some(5));
        let big = "18446744073709551621.7".parse::<BigDecimal>().unwrap();
        assert_eq!(long_value(&Value::Decimal(big)), Some(5));
        assert_eq!(long_value(&Value::from("x")), None);
    }
}
