//! `org.apache.kafka.connect.data.Values`: the string form of Connect values.
//!
//! * [`convert_to_string`] is `Values.convertToString`: what `SimpleHeaderConverter` writes.
//! * [`parse_string`] is `Values.parseString`: the typed value a string stands for (what
//!   `SimpleHeaderConverter` reads and `InsertHeader` inserts).
//! * [`java_to_string`] is Java's `Object.toString()` of a value (what `StringConverter` writes).
//! * [`java_fmt`] formats numbers exactly as Java does.
//!
//! # Java compatibility
//! Java formats and parses the temporal types with `SimpleDateFormat` in the JVM's default time
//! zone; Sluice always uses UTC (what Connect's container images run with) and the proleptic
//! Gregorian calendar (Java switches to the Julian calendar before 1582-10-15).

pub mod java_fmt;
pub mod java_num;
mod parse;
mod temporal;

use base64::Engine as _;

use crate::value::Value;

pub use parse::parse_string;

/// `Values.convertToString(schema, value)`: `None` for null, otherwise the value's string form.
///
/// Strings are written as they are at the top level and quoted (with `\` and `"` escaped) inside
/// arrays, maps and structs; bytes as standard base64; arrays as `[a,b]`; maps and structs as
/// `{"k":v}` (struct fields read with their defaults); dates by their value: `HH:mm:ss.SSS'Z'`
/// before one day after the epoch, `yyyy-MM-dd` at a midnight, `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`
/// otherwise. The schema is not consulted, as in Java.
pub fn convert_to_string(value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let mut out = String::new();
    append(&mut out, value, false);
    Some(out)
}

fn append(out: &mut String, value: &Value, embedded: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::String(s) => {
            if embedded {
                out.push('"');
                for c in s.chars() {
                    if c == '\\' || c == '"' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
        Value::Bytes(b) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(b);
            if embedded {
                out.push('"');
                out.push_str(&encoded);
                out.push('"');
            } else {
                out.push_str(&encoded);
            }
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, item, true);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, k, true);
                out.push(':');
                append(out, v, true);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, field) in s.schema().fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, &Value::String(field.name.clone()), true);
                out.push(':');
                let v = s.get(&field.name).unwrap_or(&Value::Null);
                append(out, v, true);
            }
            out.push('}');
        }
        Value::Date(ms) => out.push_str(&temporal::format_date_value(*ms)),
        other => out.push_str(&scalar_to_string(other)),
    }
}

/// Java's `toString()` of a number or boolean; empty for other kinds.
fn scalar_to_string(value: &Value) -> String {
    match value {
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => java_fmt::float_to_string(*v),
        Value::Float64(v) => java_fmt::double_to_string(*v),
        Value::Boolean(v) => v.to_string(),
        Value::Decimal(d) => java_fmt::decimal_to_string(d),
        Value::BigInt(i) => i.to_string(),
        _ => String::new(),
    }
}

/// Java's `String.valueOf(value)`: what `StringConverter` writes.
///
/// Numbers, booleans and strings print as in Java; lists as `[a, b]`; maps as `{k=v, k2=v2}`;
/// structs as `Struct{a=1,b=x}` (non-null fields only); dates as `java.util.Date.toString()` in
/// UTC (`Thu Jan 01 00:00:00 UTC 1970`). Java prints a `byte[]` as its identity hash
/// (`[B@1b6d3586`), which no one can rely on; Sluice prints its standard base64 instead.
pub fn java_to_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::String(s) => s.clone(),
        Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(java_to_string).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}={}", java_to_string(k), java_to_string(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Struct(s) => {
            let parts: Vec<String> = s
                .schema()
                .fields
                .iter()
                .zip(s.values())
                .filter(|(_, v)| !v.is_null())
                .map(|(f, v)| format!("{}={}", f.name, java_to_string(v)))
                .collect();
            format!("Struct{{{}}}", parts.join(","))
        }
        Value::Date(ms) => temporal::java_date_to_string(*ms),
        other => scalar_to_string(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{schemas, SchemaBuilder};
    use crate::value::Struct;

    #[test]
    fn convert_to_string_matches_java() {
        assert_eq!(convert_to_string(&Value::Null), None);
        assert_eq!(convert_to_string(&Value::from("a\"b")).unwrap(), "a\"b");
        let list = Value::Array(vec![
            Value::from("a\"b\\"),
            Value::Int32(1),
            Value::Null,
            Value::Float32(1.5),
        ]);
        assert_eq!(
            convert_to_string(&list).unwrap(),
            r#"["a\"b\\",1,null,1.5]"#
        );
        let map = Value::string_map([("k", Value::Bytes(vec![0, 0x9c]))]);
        assert_eq!(convert_to_string(&map).unwrap(), r#"{"k":"AJw="}"#);
        assert_eq!(convert_to_string(&Value::Date(0)).unwrap(), "00:00:00.000Z");
        assert_eq!(
            convert_to_string(&Value::Date(86_400_000 * 2)).unwrap(),
            "1970-01-03"
        );
        assert_eq!(
            convert_to_string(&Value::Date(1_700_000_000_123)).unwrap(),
            "2023-11-14T22:13:20.123Z"
        );
    }

    #[test]
    fn struct_fields_use_defaults() {
        let schema = SchemaBuilder::struct_()
            .field("a", schemas::int32())
            .unwrap()
            .field(
                "b",
                SchemaBuilder::string()
                    .optional()
                    .default_value(Value::from("d"))
                    .unwrap()
                    .build_ref(),
            )
            .unwrap()
            .build_ref();
        let mut s = Struct::new(schema);
        s.put("a", Value::Int32(7)).unwrap();
        let v = Value::Struct(s);
        assert_eq!(convert_to_string(&v).unwrap(), r#"{"a":7,"b":"d"}"#);
        assert_eq!(java_to_string(&v), "Struct{a=7}");
    }

    #[test]
    fn java_to_string_matches_object_to_string() {
        assert_eq!(java_to_string(&Value::Float64(1e10)), "1.0E10");
        assert_eq!(
            java_to_string(&Value::Array(vec![Value::Int8(1), Value::from("x")])),
            "[1, x]"
        );
        assert_eq!(
            java_to_string(&Value::string_map([("a", Value::Boolean(true))])),
            "{a=true}"
        );
        assert_eq!(
            java_to_string(&Value::Date(0)),
            "Thu Jan 01 00:00:00 UTC 1970"
        );
    }
}
