//! `String.valueOf(value)` for Connect values: what Java's `FileStreamSinkTask` prints.
//!
//! | Value | Java class | Printed as |
//! | --- | --- | --- |
//! | null | | `null` |
//! | INT8..INT64, BigInteger | `Byte`…`Long`, `BigInteger` | decimal digits |
//! | FLOAT32/FLOAT64 | `Float`/`Double` | `Float.toString`/`Double.toString` (`1.0`, `1.0E7`, `1.0E-4`, `NaN`, `Infinity`) |
//! | BOOLEAN, STRING | `Boolean`, `String` | as is |
//! | Decimal | `BigDecimal` | `BigDecimal.toString` (`1.50`, `1E+3`, `1.5E-7`) |
//! | Date/Time/Timestamp | `java.util.Date` | `Date.toString` in UTC (`Thu Jan 01 00:00:00 UTC 1970`) |
//! | ARRAY | `ArrayList` | `[a, b]` |
//! | MAP | `HashMap` | `{k=v, k2=v2}` in `HashMap` iteration order |
//! | STRUCT | `Struct` | `Struct{f=v,g=w}`, null fields left out |
//! | BYTES | `byte[]` | `[B@<hex>` |
//!
//! Two forms cannot be reproduced exactly: Java prints a `byte[]` with its identity hash code
//! (here a hash of the contents stands in), and `Date.toString` uses the JVM's default time
//! zone (here always UTC). Maps whose keys have no stable Java hash code (structs, bytes,
//! decimals) print in insertion order.

use std::fmt::{self, Write};

use sluice_api::{BigDecimal, Value};

/// `String.valueOf(value)` as Java prints it.
pub fn java_to_string(value: &Value) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_java(&mut out, value);
    out
}

/// Appends `String.valueOf(value)` to `out`.
pub fn write_java(out: &mut impl Write, value: &Value) -> fmt::Result {
    match value {
        Value::Null => out.write_str("null"),
        Value::Int8(v) => write!(out, "{v}"),
        Value::Int16(v) => write!(out, "{v}"),
        Value::Int32(v) => write!(out, "{v}"),
        Value::Int64(v) => write!(out, "{v}"),
        Value::BigInt(v) => write!(out, "{v}"),
        Value::Float32(v) => out.write_str(&java_float(&format!("{v:e}"))),
        Value::Float64(v) => out.write_str(&java_float(&format!("{v:e}"))),
        Value::Boolean(v) => write!(out, "{v}"),
        Value::String(s) => out.write_str(s),
        Value::Decimal(d) => out.write_str(&java_big_decimal(d)),
        Value::Date(ms) => out.write_str(&java_date(*ms)),
        Value::Bytes(b) => write!(out, "[B@{:x}", java_bytes_hash(b)),
        Value::Array(items) => {
            out.write_char('[')?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_java(out, item)?;
            }
            out.write_char(']')
        }
        Value::Map(entries) => {
            out.write_char('{')?;
            for (i, (k, v)) in hash_map_order(entries).into_iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_java(out, k)?;
                out.write_char('=')?;
                write_java(out, v)?;
            }
            out.write_char('}')
        }
        Value::Struct(s) => {
            out.write_str("Struct{")?;
            let mut first = true;
            for (field, v) in s.schema().fields.iter().zip(s.values()) {
                if v.is_null() {
                    continue;
                }
                if !first {
                    out.write_char(',')?;
                }
                first = false;
                out.write_str(&field.name)?;
                out.write_char('=')?;
                write_java(out, v)?;
            }
            out.write_char('}')
        }
    }
}

/// `Double.toString`/`Float.toString` (JDK 19+, shortest digits) from Rust's shortest
/// scientific form (`1.25e-3`, `NaN`, `inf`), which has the same digits.
fn java_float(sci: &str) -> String {
    match sci {
        "NaN" => return "NaN".to_string(),
        "inf" => return "Infinity".to_string(),
        "-inf" => return "-Infinity".to_string(),
        _ => {}
    }
    let (negative, sci) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if digits.bytes().all(|b| b == b'0') {
        return format!("{sign}0.0");
    }
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let (int_part, frac) = if digits.len() > int_len {
                (digits[..int_len].to_string(), digits[int_len..].to_string())
            } else {
                (format!("{digits:0<int_len$}"), "0".to_string())
            };
            format!("{sign}{int_part}.{frac}")
        } else {
            let zeros = "0".repeat((-exp - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let frac = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{}.{frac}E{exp}", &digits[..1])
    }
}

/// `BigDecimal.toString`: plain notation when the scale is non-negative and the adjusted
/// exponent is at least -6, scientific notation (`1.5E+3`) otherwise.
fn java_big_decimal(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let text = unscaled.to_string();
    let (sign, coeff) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let len = coeff.len() as i64;
    let adjusted = -scale + (len - 1);
    if scale >= 0 && adjusted >= -6 {
        if scale == 0 {
            format!("{sign}{coeff}")
        } else if len > scale {
            let split = (len - scale) as usize;
            format!("{sign}{}.{}", &coeff[..split], &coeff[split..])
        } else {
            let zeros = "0".repeat((scale - len) as usize);
            format!("{sign}0.{zeros}{coeff}")
        }
    } else {
        let mut s = format!("{sign}{}", &coeff[..1]);
        if len > 1 {
            s.push('.');
            s.push_str(&coeff[1..]);
        }
        if adjusted != 0 {
            s.push('E');
            if adjusted > 0 {
                s.push('+');
            }
            s.push_str(&adjusted.to_string());
        }
        s
    }
}

/// `java.util.Date.toString` (`EEE MMM dd HH:mm:ss zzz yyyy`), in UTC.
fn java_date(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%a %b %d %H:%M:%S UTC %Y").to_string(),
        None => ms.to_string(),
    }
}

/// `Arrays.hashCode(byte[])`, standing in for the identity hash Java prints.
fn java_bytes_hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(1i32, |h, &b| {
        h.wrapping_mul(31).wrapping_add(i32::from(b as i8))
    }) as u32
}

/// `hashCode()` of the Java object a value stands for, where it is defined by the value alone.
fn java_hash(value: &Value) -> Option<i32> {
    let long_hash = |v: i64| (v ^ ((v as u64) >> 32) as i64) as i32;
    Some(match value {
        Value::Null => 0,
        Value::Int8(v) => i32::from(*v),
        Value::Int16(v) => i32::from(*v),
        Value::Int32(v) => *v,
        Value::Int64(v) | Value::Date(v) => long_hash(*v),
        Value::Boolean(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        Value::Float32(f) => {
            let bits = if f.is_nan() { 0x7fc0_0000 } else { f.to_bits() };
            bits as i32
        }
        Value::Float64(f) => {
            let bits = if f.is_nan() {
                0x7ff8_0000_0000_0000
            } else {
                f.to_bits()
            };
            long_hash(bits as i64)
        }
        Value::String(s) => s
            .encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c))),
        Value::Array(items) => {
            let mut h = 1i32;
            for item in items {
                h = h.wrapping_mul(31).wrapping_add(java_hash(item)?);
            }
            h
        }
        Value::Map(entries) => {
            let mut h = 0i32;
            for (k, v) in entries {
                h = h.wrapping_add(java_hash(k)? ^ java_hash(v)?);
            }
            h
        }
        Value::Bytes(_) | Value::Struct(_) | Value::Decimal(_) | Value::BigInt(_) => return None,
    })
}

/// The entries in the order a `java.util.HashMap` filled with them in this order iterates:
/// by bucket (`(h ^ h >>> 16) & (capacity - 1)`, capacity grown from 16 at load factor
/// 0.75), insertion order within a bucket.
fn hash_map_order(entries: &[(Value, Value)]) -> Vec<&(Value, Value)> {
    let hashes: Option<Vec<i32>> = entries.iter().map(|(k, _)| java_hash(k)).collect();
    let Some(hashes) = hashes else {
        return entries.iter().collect();
    };
    let mut capacity: usize = 16;
    while entries.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let mut order: Vec<(usize, &(Value, Value))> = hashes
        .iter()
        .zip(entries)
        .map(|(&h, e)| {
            let spread = (h ^ ((h as u32) >> 16) as i32) as u32 as usize;
            (spread & (capacity - 1), e)
        })
        .collect();
    // Stable: equal buckets keep insertion order.
    order.sort_by_key(|(bucket, _)| *bucket);
    order.into_iter().map(|(_, e)| e).collect()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sluice_api::{schemas, SchemaBuilder, Struct};

    use super::*;

    fn s(v: Value) -> String {
        java_to_string(&v)
    }

    #[test]
    fn scalars_print_as_java() {
        assert_eq!(s(Value::Null), "null");
        assert_eq!(s(Value::from("line")), "line");
        assert_eq!(s(Value::Int8(-8)), "-8");
        assert_eq!(s(Value::Int32(42)), "42");
        assert_eq!(s(Value::Int64(-9_000_000_000)), "-9000000000");
        assert_eq!(s(Value::Boolean(true)), "true");
    }

    #[test]
    fn doubles_and_floats_print_as_java() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (-0.00012, "-1.2E-4"),
            (0.1, "0.1"),
            (1.0e100, "1.0E100"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (v, want) in cases {
            assert_eq!(s(Value::Float64(*v)), *want, "{v}");
        }
        assert_eq!(s(Value::Float32(0.1)), "0.1");
        assert_eq!(s(Value::Float32(3.4e38)), "3.4E38");
        assert_eq!(s(Value::Float32(1.0)), "1.0");
    }

    #[test]
    fn big_decimals_print_as_java() {
        let cases = [
            ("1.50", "1.50"),
            ("-0.001", "-0.001"),
            ("0.0000001", "1E-7"),
            ("0.00000015", "1.5E-7"),
            ("123", "123"),
            ("0", "0"),
        ];
        for (input, want) in cases {
            let d = BigDecimal::from_str(input).expect("a decimal");
            assert_eq!(s(Value::Decimal(d)), want, "{input}");
        }
        // A negative scale: 1.5E+3 (unscaled 15, scale -2).
        let d = BigDecimal::new(15.into(), -2);
        assert_eq!(s(Value::Decimal(d)), "1.5E+3");
    }

    #[test]
    fn dates_print_in_java_form_in_utc() {
        assert_eq!(s(Value::Date(0)), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(
            s(Value::Date(1_700_000_000_000)),
            "Tue Nov 14 22:13:20 UTC 2023"
        );
    }

    #[test]
    fn lists_structs_and_nulls() {
        let list = Value::Array(vec![Value::Int32(1), Value::Null, Value::from("x")]);
        assert_eq!(s(list), "[1, null, x]");
        let schema = SchemaBuilder::struct_()
            .field("name", schemas::string())
            .and_then(|b| b.field("age", schemas::optional_int32()))
            .and_then(|b| b.field("tags", SchemaBuilder::array(schemas::string()).build_ref()))
            .expect("schema")
            .build_ref();
        let mut st = Struct::new(schema);
        st.put_unchecked("name", Value::from("Ann")).expect("field");
        st.put_unchecked(
            "tags",
            Value::Array(vec![Value::from("a"), Value::from("b")]),
        )
        .expect("field");
        // Null fields are left out, fields are joined by "," without a space.
        assert_eq!(s(Value::Struct(st)), "Struct{name=Ann,tags=[a, b]}");
    }

    #[test]
    fn maps_print_in_java_hash_map_order() {
        // Java: new HashMap<>() with put("b",1), put("a",2), put("c",3) prints {a=2, b=1, c=3};
        // with "banana", "apple", "cherry" it prints {banana=1, apple=2, cherry=3}.
        let m = Value::string_map([
            ("b", Value::Int64(1)),
            ("a", Value::Int64(2)),
            ("c", Value::Int64(3)),
        ]);
        assert_eq!(s(m), "{a=2, b=1, c=3}");
        let m = Value::string_map([
            ("banana", Value::Int64(1)),
            ("apple", Value::Int64(2)),
            ("cherry", Value::Int64(3)),
        ]);
        assert_eq!(s(m), "{banana=1, apple=2, cherry=3}");
        // Integer keys 17 and 1 share bucket 1 of 16: insertion order within the bucket.
        let m = Value::Map(vec![
            (Value::Int32(17), Value::from("x")),
            (Value::Int32(1), Value::from("y")),
            (Value::Int32(0), Value::from("z")),
        ]);
        assert_eq!(s(m), "{0=z, 17=x, 1=y}");
        assert_eq!(s(Value::Map(Vec::new())), "{}");
    }

    #[test]
    fn bytes_print_as_a_java_array_reference() {
        let printed = s(Value::Bytes(vec![1, 2, 3]));
        assert!(printed.starts_with("[B@"), "{printed}");
        assert_eq!(printed, s(Value::Bytes(vec![1, 2, 3])));
    }
}
