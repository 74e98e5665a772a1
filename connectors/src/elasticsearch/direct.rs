//! The schemaless document written straight to bytes: the same bytes as serializing
//! [`super::document::schemaless`]'s JSON tree, without building the tree (the sink's hot
//! path for `JsonConverter` records without schemas).
//!
//! Values the tree path handles in ways not worth repeating here — structs, and maps whose
//! string keys repeat (the tree keeps the first position with the last value) — make
//! [`write_schemaless`] give up with [`NotDirect`]; the caller then takes the tree path.

use sluice_api::Value;

use super::document::schemaless;

/// The value needs the tree path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotDirect;

/// Appends the JSON of a schemaless value to `out`, byte for byte what
/// `serde_json::to_writer(out, &schemaless(value))` writes. On [`NotDirect`] `out` holds a
/// partial document: the caller discards it.
pub fn write_schemaless(value: &Value, out: &mut Vec<u8>) -> Result<(), NotDirect> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Boolean(true) => out.extend_from_slice(b"true"),
        Value::Boolean(false) => out.extend_from_slice(b"false"),
        Value::Int8(v) => write_json(out, v),
        Value::Int16(v) => write_json(out, v),
        Value::Int32(v) => write_json(out, v),
        Value::Int64(v) => write_json(out, v),
        // serde_json writes finite doubles with ryu, as the tree's numbers.
        Value::Float64(v) if v.is_finite() => write_json(out, v),
        Value::String(s) => write_json(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_schemaless(item, out)?;
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            if entries.iter().all(|(k, _)| matches!(k, Value::String(_))) {
                if has_repeated_key(entries) {
                    return Err(NotDirect);
                }
                out.push(b'{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    if let Value::String(k) = k {
                        write_json(out, k);
                    }
                    out.push(b':');
                    write_schemaless(v, out)?;
                }
                out.push(b'}');
            } else {
                // `[key, value]` pairs.
                out.push(b'[');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.push(b'[');
                    write_schemaless(k, out)?;
                    out.push(b',');
                    write_schemaless(v, out)?;
                    out.push(b']');
                }
                out.push(b']');
            }
        }
        Value::Struct(_) => return Err(NotDirect),
        // Rare scalars (floats, non-finite doubles, bytes, big numbers, dates): through the
        // tree path's own conversion, one small node each.
        other => write_json(out, &schemaless(other)),
    }
    Ok(())
}

/// Appends `v` as serde_json writes it (strings with its escaping, numbers with ryu/itoa).
pub(super) fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// True when two entries of an all-string-keyed map share a key.
fn has_repeated_key(entries: &[(Value, Value)]) -> bool {
    fn key(e: &(Value, Value)) -> &str {
        match &e.0 {
            Value::String(s) => s.as_str(),
            _ => "",
        }
    }
    if entries.len() <= 16 {
        return entries
            .iter()
            .enumerate()
            .any(|(i, a)| entries[..i].iter().any(|b| key(a) == key(b)));
    }
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    !entries.iter().all(|e| seen.insert(key(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::{BigDecimal, BigInt, SchemaBuilder, Struct};
    use std::str::FromStr;

    fn tree(v: &Value) -> String {
        serde_json::to_string(&schemaless(v)).unwrap()
    }

    fn direct(v: &Value) -> Result<String, NotDirect> {
        let mut out = Vec::new();
        write_schemaless(v, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    #[test]
    fn writes_the_tree_paths_bytes() {
        let cases = vec![
            Value::Null,
            Value::Boolean(true),
            Value::Boolean(false),
            Value::Int8(-8),
            Value::Int16(300),
            Value::Int32(i32::MIN),
            Value::Int64(i64::MAX),
            Value::Float64(52.520123),
            Value::Float64(-0.0),
            Value::Float64(1e21),
            Value::Float64(1.5e-7),
            Value::Float64(f64::NAN),
            Value::Float64(f64::INFINITY),
            Value::Float64(f64::NEG_INFINITY),
            Value::Float32(1.1),
            Value::Float32(f32::NAN),
            s("plain"),
            s("quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} é 😀 \u{2028}"),
            Value::Bytes(vec![0, 1, 2, 255]),
            Value::BigInt(BigInt::from_str("123456789012345678901234567890").unwrap()),
            Value::Decimal(BigDecimal::from_str("1.5600").unwrap()),
            Value::Date(1_700_000_000_000),
            Value::Array(vec![]),
            Value::Array(vec![
                Value::Int32(1),
                s("a"),
                Value::Null,
                Value::Array(vec![]),
            ]),
            Value::Map(vec![]),
            Value::string_map([
                ("courier", s("courier-007")),
                ("latitude", Value::Float64(52.520123)),
                ("longitude", Value::Float64(13.404567)),
            ]),
            Value::Map(vec![
                (Value::Int32(1), s("one")),
                (
                    Value::Int32(2),
                    Value::Map(vec![(s("k\"ey"), Value::Int64(2))]),
                ),
            ]),
            Value::Map(vec![
                (s("a"), Value::Int32(1)),
                (Value::Null, Value::Int32(2)),
            ]),
            Value::Map(
                (0..40)
                    .map(|i| (s(&format!("k{i}")), Value::Int32(i)))
                    .collect(),
            ),
        ];
        for v in &cases {
            assert_eq!(direct(v).as_deref(), Ok(tree(v).as_str()), "{v:?}");
        }
    }

    #[test]
    fn repeated_keys_and_structs_take_the_tree_path() {
        let repeated = Value::Map(vec![
            (s("a"), Value::Int32(1)),
            (s("b"), Value::Int32(2)),
            (s("a"), Value::Int32(3)),
        ]);
        assert_eq!(direct(&repeated), Err(NotDirect));
        assert_eq!(tree(&repeated), r#"{"a":3,"b":2}"#);
        let many: Vec<(Value, Value)> = (0..40)
            .map(|i| (s(&format!("k{}", i % 39)), Value::Int32(i)))
            .collect();
        assert_eq!(direct(&Value::Map(many)), Err(NotDirect));
        let schema = SchemaBuilder::struct_()
            .field("a", SchemaBuilder::int32().build_ref())
            .unwrap()
            .build_ref();
        let mut st = Struct::new(schema);
        st.put("a", Value::Int32(1)).unwrap();
        let nested = Value::Array(vec![Value::Struct(st)]);
        assert_eq!(direct(&nested), Err(NotDirect));
    }
}
