//! Schemaless values, as Confluent's `AvroData` writes them: every value is a record
//! `io.confluent.connect.avro.Anything` with one optional field per kind (`boolean`, `bytes`,
//! `double`, `float`, `int`, `long`, `string`, `array` of Anything, `map` as an array of
//! `MapEntry {key: Anything, value: Anything}`); the one field set holds the value.

use serde_json::Value as Json;
use sluice_api::{ConnectError, ConnectResult, Value};

use super::codec::Reader;
use super::names::{AVRO_TYPE_ANYTHING, NAMESPACE};

/// The Anything schema as Java's `Schema.toString()` writes it.
pub const ANYTHING_SCHEMA: &str = r#"{"type":"record","name":"Anything","namespace":"io.confluent.connect.avro","fields":[{"name":"boolean","type":["null","boolean"],"default":null},{"name":"bytes","type":["null","bytes"],"default":null},{"name":"double","type":["null","double"],"default":null},{"name":"float","type":["null","float"],"default":null},{"name":"int","type":["null","int"],"default":null},{"name":"long","type":["null","long"],"default":null},{"name":"string","type":["null","string"],"default":null},{"name":"array","type":["null",{"type":"array","items":"Anything"}],"default":null},{"name":"map","type":["null",{"type":"array","items":{"type":"record","name":"MapEntry","fields":[{"name":"key","type":"Anything"},{"name":"value","type":"Anything"}]}}],"default":null}]}"#;

/// True when schema text is the Anything record.
pub fn is_anything(text: &str) -> bool {
    let Ok(json) = serde_json::from_str::<Json>(text) else {
        return false;
    };
    let name = json.get("name").and_then(Json::as_str).unwrap_or_default();
    let ns = json.get("namespace").and_then(Json::as_str);
    name == AVRO_TYPE_ANYTHING || (name == "Anything" && ns == Some(NAMESPACE))
}

fn put_long(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Writes a schemaless value as an Anything record (null: every field null).
pub fn write(value: &Value, out: &mut Vec<u8>) -> ConnectResult<()> {
    let slot = match value {
        Value::Null => None,
        Value::Boolean(_) => Some(0),
        Value::Bytes(_) => Some(1),
        Value::Float64(_) => Some(2),
        Value::Float32(_) => Some(3),
        Value::Int8(_) | Value::Int16(_) | Value::Int32(_) => Some(4),
        Value::Int64(_) => Some(5),
        Value::String(_) => Some(6),
        Value::Array(_) => Some(7),
        Value::Map(_) => Some(8),
        other => {
            return Err(ConnectError::data(format!(
                "Unknown Java type for schemaless data: class {}",
                other.java_class()
            )))
        }
    };
    for i in 0..9 {
        if Some(i) != slot {
            out.push(0); // null branch
            continue;
        }
        out.push(2); // branch 1
        match value {
            Value::Boolean(b) => out.push(u8::from(*b)),
            Value::Bytes(b) => {
                put_long(out, b.len() as i64);
                out.extend_from_slice(b);
            }
            Value::Float64(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::Float32(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::Int8(v) => put_long(out, i64::from(*v)),
            Value::Int16(v) => put_long(out, i64::from(*v)),
            Value::Int32(v) => put_long(out, i64::from(*v)),
            Value::Int64(v) => put_long(out, *v),
            Value::String(s) => {
                put_long(out, s.len() as i64);
                out.extend_from_slice(s.as_bytes());
            }
            Value::Array(items) => {
                if !items.is_empty() {
                    put_long(out, items.len() as i64);
                    for item in items {
                        write(item, out)?;
                    }
                }
                out.push(0);
            }
            Value::Map(entries) => {
                if !entries.is_empty() {
                    put_long(out, entries.len() as i64);
                    for (k, v) in entries {
                        write(k, out)?;
                        write(v, out)?;
                    }
                }
                out.push(0);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reads an Anything record as a schemaless value (the first field set wins, as in Java).
pub fn read(r: &mut Reader<'_>) -> ConnectResult<Value> {
    let mut found = Value::Null;
    for i in 0..9 {
        let branch = r.long()?;
        match branch {
            0 => continue,
            1 => {}
            other => {
                return Err(ConnectError::data(format!(
                    "Failed to deserialize Avro data: union index {other} out of range"
                )))
            }
        }
        let v = match i {
            0 => Value::Boolean(r.take(1)?[0] != 0),
            1 => Value::Bytes(r.bytes()?.to_vec()),
            2 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(r.take(8)?);
                Value::Float64(f64::from_le_bytes(a))
            }
            3 => {
                let mut a = [0u8; 4];
                a.copy_from_slice(r.take(4)?);
                Value::Float32(f32::from_le_bytes(a))
            }
            4 => Value::Int32(r.int()?),
            5 => Value::Int64(r.long()?),
            6 => Value::String(r.string()?),
            7 => {
                let mut items = Vec::new();
                r.blocks(|r| {
                    items.push(read(r)?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            _ => {
                let mut entries = Vec::new();
                r.blocks(|r| {
                    let k = read(r)?;
                    entries.push((k, read(r)?));
                    Ok(())
                })?;
                Value::Map(entries)
            }
        };
        if found.is_null() {
            found = v;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemaless_values_round_trip_and_apache_avro_reads_them() {
        let v = Value::Map(vec![
            (
                Value::from("a"),
                Value::Array(vec![Value::Int32(1), Value::Null, Value::from("x")]),
            ),
            (Value::Int64(7), Value::Boolean(true)),
        ]);
        let mut bytes = Vec::new();
        write(&v, &mut bytes).unwrap();
        assert_eq!(read(&mut Reader::new(&bytes)).unwrap(), v);
        // Int8 goes into the int field and reads back as an Integer, as in Java.
        let mut b = Vec::new();
        write(&Value::Int8(3), &mut b).unwrap();
        assert_eq!(read(&mut Reader::new(&b)).unwrap(), Value::Int32(3));
        let schema = apache_avro::Schema::parse_str(ANYTHING_SCHEMA).unwrap();
        #[allow(deprecated)]
        let theirs = apache_avro::from_avro_datum(&schema, &mut &bytes[..], None).unwrap();
        assert!(matches!(theirs, apache_avro::types::Value::Record(ref f) if f.len() == 9));
        assert!(is_anything(ANYTHING_SCHEMA));
        assert!(write(&Value::Date(0), &mut Vec::new()).is_err());
    }
}
