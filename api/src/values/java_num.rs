//! Java's narrowing numeric conversions (`BigInteger.longValue()`, `BigDecimal.longValue()`,
//! `new BigDecimal(String)`), which wrap instead of failing.

use bigdecimal::BigDecimal;
use num_bigint::{BigInt, Sign};

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
}
