//! Java's textual forms of numbers: `Double.toString`, `Float.toString` and
//! `BigDecimal.toString`.
//!
//! Jackson writes `float`/`double` JSON numbers with `Float.toString`/`Double.toString`, and
//! `Values.convertToString` and `Object.toString` print numbers the same way, so every place that
//! must match Java's bytes formats numbers through this module.
//!
//! The digits follow the JDK 19+ specification of `Double.toString` (Raffaello Giulietti's
//! shortest-decimal algorithm): the shortest decimal that rounds to the value, where a one-digit
//! result may be replaced by a closer two-digit one (`Double.MIN_VALUE` is `4.9E-324`, not
//! `5.0E-324`). Older JDKs occasionally printed a longer, non-shortest digit string; Sluice does
//! not reproduce those anomalies.

use bigdecimal::BigDecimal;

/// `Double.toString(v)`: `1.0`, `12.34`, `1.0E10`, `1.0E-5`, `NaN`, `-Infinity`.
///
/// # Java compatibility
/// JDK 19+ digits (see the module docs). Kafka runs on Java 17, whose `Double.toString` differs
/// on a vanishing minority of inputs: `2 * Double.MIN_VALUE` is `1.0E-323` there and `9.9E-324`
/// here and on JDK 19+ (JDK-8291240), and `1.0E23` printed as `9.999999999999999E22` before
/// JDK 19 (JDK-4511638).
pub fn double_to_string(v: f64) -> String {
    if let Some(special) =
        special_value(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative())
    {
        return special.to_string();
    }
    let abs = v.abs();
    let (digits, exp) = shortest_digits(&format!("{abs:e}"), || {
        let two = format!("{abs:.1e}");
        (two.parse::<f64>().ok() == Some(abs)).then_some(two)
    });
    layout(
        v.is_sign_negative(),
        &digits,
        exp,
        (1e-3..1e7).contains(&abs),
    )
}

/// `Float.toString(v)`: `12.34` for `12.34f`, `1.0E10`, `NaN`.
///
/// # Java compatibility
/// JDK 19+ digits, as [`double_to_string`]; on Java 17 a few subnormals print differently.
pub fn float_to_string(v: f32) -> String {
    if let Some(special) =
        special_value(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative())
    {
        return special.to_string();
    }
    let abs = v.abs();
    let (digits, exp) = shortest_digits(&format!("{abs:e}"), || {
        let two = format!("{abs:.1e}");
        (two.parse::<f32>().ok() == Some(abs)).then_some(two)
    });
    layout(
        v.is_sign_negative(),
        &digits,
        exp,
        (1e-3..1e7).contains(&abs),
    )
}

/// The text of the values that have no digits: `NaN`, the infinities and the signed zeros.
fn special_value(nan: bool, infinite: bool, zero: bool, negative: bool) -> Option<&'static str> {
    Some(match (nan, infinite, zero, negative) {
        (true, ..) => "NaN",
        (_, true, _, false) => "Infinity",
        (_, true, _, true) => "-Infinity",
        (_, _, true, false) => "0.0",
        (_, _, true, true) => "-0.0",
        _ => return None,
    })
}

/// Splits Rust's `{:e}` output (`d.ddde±x`) into its significant digits and decimal exponent,
/// applying Java's "one digit may become a closer two" rule through `two_digit`.
fn shortest_digits(sci: &str, two_digit: impl Fn() -> Option<String>) -> (String, i32) {
    let (digits, exp) = split_sci(sci);
    if digits.len() == 1 {
        if let Some(two) = two_digit() {
            let (d2, e2) = split_sci(&two);
            let d2 = d2.trim_end_matches('0').to_string();
            if !d2.is_empty() {
                return (d2, e2);
            }
        }
    }
    (digits, exp)
}

fn split_sci(sci: &str) -> (String, i32) {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_string(), exp.parse().unwrap_or(0))
}

/// Lays the digits `d1 d2 … dn` (value `d1.d2…dn × 10^exp`) out as Java does: plain notation
/// with at least one fractional digit inside `[1e-3, 1e7)`, computerized scientific notation
/// (`d.dddE±n`) outside it.
fn layout(negative: bool, digits: &str, exp: i32, plain: bool) -> String {
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if plain {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(digits);
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
        out.push_str(&exp.to_string());
    }
    out
}

/// `BigDecimal.toString()`: plain notation when the scale is non-negative and the adjusted
/// exponent is at least -6 (`1.5600`, `0.000001`), otherwise scientific notation with an explicit
/// exponent sign (`1E+3`, `1.5E-7`).
pub fn decimal_to_string(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let negative = unscaled.sign() == num_bigint::Sign::Minus;
    let coeff = unscaled.magnitude().to_string();
    let adjusted = -(scale as i128) + (coeff.len() as i128 - 1);
    let mut out = String::with_capacity(coeff.len() + 8);
    if negative {
        out.push('-');
    }
    if scale >= 0 && adjusted >= -6 {
        let scale = scale as usize;
        if scale == 0 {
            out.push_str(&coeff);
        } else if coeff.len() > scale {
            let point = coeff.len() - scale;
            out.push_str(&coeff[..point]);
            out.push('.');
            out.push_str(&coeff[point..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - coeff.len()));
            out.push_str(&coeff);
        }
    } else {
        out.push_str(&coeff[..1]);
        if coeff.len() > 1 {
            out.push('.');
            out.push_str(&coeff[1..]);
        }
        out.push('E');
        if adjusted >= 0 {
            out.push('+');
        }
        out.push_str(&adjusted.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn doubles_print_like_java() {
        let cases = [
            (1.0, "1.0"),
            (12.34, "12.34"),
            (-0.5, "-0.5"),
            (1e10, "1.0E10"),
            (1e7, "1.0E7"),
            (9999999.0, "9999999.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.0e-5, "1.0E-5"),
            (123456789.125, "1.23456789125E8"),
            (f64::MIN_POSITIVE * f64::EPSILON, "4.9E-324"),
            (f64::MAX, "1.7976931348623157E308"),
            (100.0, "100.0"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (v, want) in cases {
            assert_eq!(double_to_string(v), want, "{v:e}");
        }
    }

    #[test]
    fn floats_print_like_java() {
        let cases = [
            (12.34f32, "12.34"),
            (1.1f32, "1.1"),
            (1e10f32, "1.0E10"),
            (f32::from_bits(1), "1.4E-45"),
            (f32::MAX, "3.4028235E38"),
            (0.1f32, "0.1"),
            (16777216.0f32, "1.6777216E7"),
        ];
        for (v, want) in cases {
            assert_eq!(float_to_string(v), want, "{v:e}");
        }
    }

    #[test]
    fn decimals_print_like_java() {
        let cases = [
            ("1.5600", "1.5600"),
            ("0", "0"),
            ("-12.5", "-12.5"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1E-7"),
            ("1E+3", "1E+3"),
            ("-1.23E+5", "-1.23E+5"),
            ("0.00", "0.00"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
        ];
        for (v, want) in cases {
            let d = BigDecimal::from_str(v).unwrap();
            assert_eq!(decimal_to_string(&d), want, "{v}");
        }
    }

    /// Moved from `sluice_transforms::java_num`.
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

    /// Moved from `sluice_transforms::java_num` (there `bigdecimal_to_string`).
    #[test]
    fn bigdecimal_to_string_matches_java() {
        let d = |s: &str| s.parse::<BigDecimal>().unwrap();
        assert_eq!(decimal_to_string(&d("1.5600")), "1.5600");
        assert_eq!(decimal_to_string(&d("-0.05")), "-0.05");
        assert_eq!(decimal_to_string(&d("0.0000001")), "1E-7");
        assert_eq!(
            decimal_to_string(&BigDecimal::new(123.into(), -3)),
            "1.23E+5"
        );
        assert_eq!(decimal_to_string(&d("42")), "42");
    }

    /// Where the old transforms copy printed Rust's shortest digits (`5.0E-324`, `1.0E-45`),
    /// JDK 19+ replaces a one-digit result by the closer two-digit one.
    #[test]
    fn subnormals_use_jdk19_two_digit_rule() {
        assert_eq!(double_to_string(f64::from_bits(1)), "4.9E-324");
        assert_eq!(double_to_string(-f64::from_bits(1)), "-4.9E-324");
        // Java 17 prints 1.0E-323 here (JDK-8291240).
        assert_eq!(double_to_string(f64::from_bits(2)), "9.9E-324");
        assert_eq!(double_to_string(f64::from_bits(0x14)), "9.9E-323");
        assert_eq!(float_to_string(f32::from_bits(1)), "1.4E-45");
        assert_eq!(float_to_string(f32::from_bits(2)), "2.8E-45");
        assert_eq!(float_to_string(f32::from_bits(3)), "4.2E-45");
        assert_eq!(double_to_string(1e23), "1.0E23");
        assert_eq!(double_to_string(f64::INFINITY), "Infinity");
        assert_eq!(float_to_string(-0.0), "-0.0");
        assert_eq!(float_to_string(f32::NEG_INFINITY), "-Infinity");
    }
}
