//! Compact JSON output, byte for byte as Jackson's `ObjectMapper.writeValueAsBytes` writes a
//! `JsonNode` tree.
//!
//! * No white space.
//! * Strings: `"` and `\` escaped, control characters as `\b \t \n \f \r` or `\u00XX` with
//!   upper-case hex; everything else (including `/`, DEL and non-ASCII) written as UTF-8.
//! * `float`/`double` with `Float.toString`/`Double.toString`; NaN and infinities as the strings
//!   `"NaN"`, `"Infinity"`, `"-Infinity"` (Jackson's default `WRITE_NAN_AS_STRINGS`).
//! * Decimals with `BigDecimal.toString()` (kept as text in [`JsonNumber::Decimal`]).

use sluice_api::values::java_fmt;

use super::node::{JsonNode, JsonNumber};

/// Serializes `node` as compact JSON.
pub fn to_bytes(node: &JsonNode) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write(&mut out, node);
    out
}

/// Appends the compact JSON form of `node` to `out`.
pub fn write(out: &mut Vec<u8>, node: &JsonNode) {
    match node {
        JsonNode::Null => out.extend_from_slice(b"null"),
        JsonNode::Bool(true) => out.extend_from_slice(b"true"),
        JsonNode::Bool(false) => out.extend_from_slice(b"false"),
        JsonNode::Number(n) => write_number(out, n),
        JsonNode::String(s) => write_string(out, s),
        JsonNode::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, item);
            }
            out.push(b']');
        }
        JsonNode::Object(members) => {
            out.push(b'{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, k);
                out.push(b':');
                write(out, v);
            }
            out.push(b'}');
        }
    }
}

fn write_number(out: &mut Vec<u8>, n: &JsonNumber) {
    match n {
        JsonNumber::Int(v) => write_int(out, *v),
        JsonNumber::BigInt(v) => out.extend_from_slice(v.to_string().as_bytes()),
        JsonNumber::Decimal(text) => out.extend_from_slice(text.as_bytes()),
        JsonNumber::Float(f) => write_float(out, *f),
        JsonNumber::Double(d) => write_double(out, *d),
    }
}

/// Writes an integer in decimal, without an intermediate string.
pub fn write_int(out: &mut Vec<u8>, v: i64) {
    // 20 digits hold any u64; |i64::MIN| has 19.
    let mut buf = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

/// Writes a `float` with `Float.toString`; NaN and the infinities as strings.
pub fn write_float(out: &mut Vec<u8>, f: f32) {
    let s = java_fmt::float_to_string(f);
    if f.is_finite() {
        out.extend_from_slice(s.as_bytes());
    } else {
        write_string(out, &s);
    }
}

/// Writes a `double` with `Double.toString`; NaN and the infinities as strings.
pub fn write_double(out: &mut Vec<u8>, d: f64) {
    let s = java_fmt::double_to_string(d);
    if d.is_finite() {
        out.extend_from_slice(s.as_bytes());
    } else {
        write_string(out, &s);
    }
}

/// Writes a quoted, escaped JSON string.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'"');
    let bytes = s.as_bytes();
    // Most strings need no escape: copy them in one piece.
    if !bytes.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            0x08 => Some(b"\\b"),
            b'\t' => Some(b"\\t"),
            b'\n' => Some(b"\\n"),
            0x0c => Some(b"\\f"),
            b'\r' => Some(b"\\r"),
            0..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_written_as_to_string_writes_them() {
        for v in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            1234567890,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut out = Vec::new();
            write_int(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
    }

    #[test]
    fn writes_like_jackson() {
        let mut m = crate::json::node::JsonObject::default();
        m.insert("b".to_string(), JsonNode::Number(JsonNumber::Float(12.34)));
        m.insert("a".to_string(), JsonNode::Number(JsonNumber::Double(1e10)));
        m.insert(
            "s".to_string(),
            JsonNode::String("q\"\\/\u{1}\n\u{7f}é".to_string()),
        );
        m.insert(
            "n".to_string(),
            JsonNode::Number(JsonNumber::Double(f64::NAN)),
        );
        m.insert(
            "d".to_string(),
            JsonNode::Number(JsonNumber::Decimal("1.5600".into())),
        );
        m.insert(
            "l".to_string(),
            JsonNode::Array(vec![JsonNode::Null, JsonNode::Bool(true)]),
        );
        let out = String::from_utf8(to_bytes(&JsonNode::Object(m))).unwrap();
        assert_eq!(
            out,
            "{\"b\":12.34,\"a\":1.0E10,\"s\":\"q\\\"\\\\/\\u0001\\n\u{7f}é\",\"n\":\"NaN\",\"d\":1.5600,\"l\":[null,true]}"
        );
    }
}
