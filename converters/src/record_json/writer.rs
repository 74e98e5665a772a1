//! Record JSON written straight into a byte buffer: the same bytes as serializing
//! [`super::record_to_json`]'s tree with [`crate::json::write`], without building the tree
//! (no member-name strings, no object maps, no copies of the values' strings per record).
//!
//! Schemaless values are written directly. Schemas are written from the codec's cached schema
//! trees, and schema'd values through the codec's payload trees, as the tree path does. A map
//! whose string keys repeat (the tree keeps the last value in the first key's place) is
//! written through the tree path, so that case cannot differ either.

use base64::Engine as _;
use sluice_api::values::java_fmt;
use sluice_api::{ConnectRecord, Origin, SchemaRef, Type, Value};

use super::{data, map_as_object, struct_json, value_json, write_schemaless, RecordJsonError};
use crate::json::codec::JsonCodec;
use crate::json::write;

/// Appends the record JSON of `record` (`null` for `None`) to `out`. On error `out` is left
/// as it was.
pub fn write_record_to(
    codec: &mut JsonCodec,
    record: Option<&ConnectRecord>,
    out: &mut Vec<u8>,
) -> Result<(), RecordJsonError> {
    let start = out.len();
    let Some(r) = record else {
        out.extend_from_slice(b"null");
        return Ok(());
    };
    if write_fields(codec, r, out).is_ok() {
        return Ok(());
    }
    // The direct path does not track where it is: the tree path names the failing member.
    out.truncate(start);
    let node = super::record_to_json(codec, record)?;
    write::write(out, &node);
    Ok(())
}

fn write_fields(
    codec: &mut JsonCodec,
    r: &ConnectRecord,
    out: &mut Vec<u8>,
) -> Result<(), RecordJsonError> {
    out.extend_from_slice(b"{\"topic\":");
    match &r.topic {
        Some(t) => write::write_string(out, t),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"partition\":");
    write_opt_int(out, r.kafka_partition.map(i64::from));
    if let Origin::Sink { kafka_offset, .. } = r.origin {
        out.extend_from_slice(b",\"offset\":");
        write::write_int(out, kafka_offset);
    }
    out.extend_from_slice(b",\"timestamp\":");
    write_opt_int(out, r.timestamp);
    out.extend_from_slice(b",\"key_schema\":");
    write_schema(codec, r.key_schema.as_ref(), out)?;
    out.extend_from_slice(b",\"key\":");
    write_value(codec, r.key_schema.as_ref(), &r.key, out)?;
    out.extend_from_slice(b",\"value_schema\":");
    write_schema(codec, r.value_schema.as_ref(), out)?;
    out.extend_from_slice(b",\"value\":");
    write_value(codec, r.value_schema.as_ref(), &r.value, out)?;
    out.extend_from_slice(b",\"headers\":[");
    for (i, h) in r.headers.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"key\":");
        write::write_string(out, &h.key);
        out.extend_from_slice(b",\"schema\":");
        write_schema(codec, h.schema(), out)?;
        out.extend_from_slice(b",\"value\":");
        write_value(codec, h.schema(), &h.value, out)?;
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

/// The location given to the tree path's helpers: errors of the direct path are not reported
/// (the record is written again through the tree path, which names the failing member).
const NOWHERE: &str = "";

fn write_opt_int(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => write::write_int(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_schema(
    codec: &mut JsonCodec,
    schema: Option<&SchemaRef>,
    out: &mut Vec<u8>,
) -> Result<(), RecordJsonError> {
    match schema {
        None => out.extend_from_slice(b"null"),
        Some(s) => out.extend_from_slice(codec.json_schema_bytes(s).map_err(data(NOWHERE))?),
    }
    Ok(())
}

fn write_value(
    codec: &mut JsonCodec,
    schema: Option<&SchemaRef>,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), RecordJsonError> {
    match schema {
        // Plain strings, integers and booleans (a header's usual value) as the codec writes
        // them, without a tree node; a named schema may be a logical type: the codec decides.
        Some(s) if s.name.is_none() => match (s.schema_type, value) {
            (Type::String, Value::String(v)) => write::write_string(out, v),
            (Type::Int8, Value::Int8(v)) => write::write_int(out, i64::from(*v)),
            (Type::Int16, Value::Int16(v)) => write::write_int(out, i64::from(*v)),
            (Type::Int32, Value::Int32(v)) => write::write_int(out, i64::from(*v)),
            (Type::Int64, Value::Int64(v)) => write::write_int(out, *v),
            (Type::Boolean, Value::Boolean(true)) => out.extend_from_slice(b"true"),
            (Type::Boolean, Value::Boolean(false)) => out.extend_from_slice(b"false"),
            _ => write::write(out, &value_json(codec, schema, value, NOWHERE)?),
        },
        Some(_) => write::write(out, &value_json(codec, schema, value, NOWHERE)?),
        None => write_schemaless_to(codec, value, out)?,
    }
    Ok(())
}

/// `open_tag(out, "$int8")` opens `{"$int8":`; the caller writes the value and `}`.
fn open_tag(out: &mut Vec<u8>, tag: &str) {
    out.push(b'{');
    write::write_string(out, tag);
    out.push(b':');
}

/// True when two of the map's string keys are equal (the tree form keeps one of them).
fn repeated_keys(entries: &[(Value, Value)]) -> bool {
    const SMALL: usize = 16;
    if entries.len() <= SMALL {
        entries.iter().enumerate().any(|(i, (k, _))| {
            let k = k.as_str();
            entries[..i].iter().any(|(e, _)| e.as_str() == k)
        })
    } else {
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        entries
            .iter()
            .filter_map(|(k, _)| k.as_str())
            .any(|k| !seen.insert(k))
    }
}

/// A schemaless value, as [`write_schemaless`] would build and [`write::write`] serialize it.
fn write_schemaless_to(
    codec: &mut JsonCodec,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), RecordJsonError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Boolean(true) => out.extend_from_slice(b"true"),
        Value::Boolean(false) => out.extend_from_slice(b"false"),
        Value::String(s) => write::write_string(out, s),
        Value::Int64(v) => write::write_int(out, *v),
        Value::Float64(v) if v.is_finite() => write::write_double(out, *v),
        Value::Float64(v) => {
            open_tag(out, "$float64");
            write::write_string(out, &java_fmt::double_to_string(*v));
            out.push(b'}');
        }
        Value::Int8(v) => tagged_int(out, "$int8", i64::from(*v)),
        Value::Int16(v) => tagged_int(out, "$int16", i64::from(*v)),
        Value::Int32(v) => tagged_int(out, "$int32", i64::from(*v)),
        Value::Float32(v) => {
            open_tag(out, "$float32");
            write::write_float(out, *v);
            out.push(b'}');
        }
        Value::Bytes(b) => {
            open_tag(out, "$bytes");
            write::write_string(out, &base64::engine::general_purpose::STANDARD.encode(b));
            out.push(b'}');
        }
        Value::Date(ms) => tagged_int(out, "$date", *ms),
        Value::Decimal(d) => {
            open_tag(out, "$decimal");
            write::write_string(out, &java_fmt::decimal_to_string(d));
            out.push(b'}');
        }
        Value::BigInt(b) => {
            open_tag(out, "$bigint");
            write::write_string(out, &b.to_string());
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_schemaless_to(codec, item, out)?;
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            if map_as_object(entries) {
                if repeated_keys(entries) {
                    write::write(out, &write_schemaless(codec, value, NOWHERE)?);
                    return Ok(());
                }
                out.push(b'{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write::write_string(out, k.as_str().unwrap_or_default());
                    out.push(b':');
                    write_schemaless_to(codec, v, out)?;
                }
                out.push(b'}');
            } else {
                open_tag(out, "$map");
                out.push(b'[');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.push(b'[');
                    write_schemaless_to(codec, k, out)?;
                    out.push(b',');
                    write_schemaless_to(codec, v, out)?;
                    out.push(b']');
                }
                out.extend_from_slice(b"]}");
            }
        }
        Value::Struct(s) => {
            open_tag(out, "$struct");
            write::write(out, &struct_json(codec, s, NOWHERE)?);
            out.push(b'}');
        }
    }
    Ok(())
}

fn tagged_int(out: &mut Vec<u8>, tag: &str, v: i64) {
    open_tag(out, tag);
    write::write_int(out, v);
    out.push(b'}');
}
