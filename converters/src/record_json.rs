//! The record JSON of `sluice transform` and `sluice convert` (see the project's
//! `record-json.md`): one Connect record as one JSON object, schemas in JsonConverter's schema
//! form, schema'd values as JsonConverter payloads (BASE64 decimals, no default replacement) and
//! schemaless values as plain JSON, with one-member `{"$kind": …}` tags for the kinds JSON cannot
//! tell apart.
//!
//! * [`parse_record`] / [`read_record`]: JSON → [`ConnectRecord`] (`offset` present → a sink
//!   record, otherwise a source record without source partition/offset); a JSON `null` is a
//!   dropped record (`None`). [`parse_record`] reads plain records straight from their bytes
//!   (`fast.rs`), moving strings out of a parsed tree otherwise (`reader.rs`); both give what
//!   [`read_record`] gives for the tree.
//! * [`write_record`] / [`write_record_to`] / [`record_to_json`]: the reverse (`None` →
//!   `null`); the first two write bytes directly (`writer.rs`), the last builds the tree.
//! * [`parse_schema_and_value`] / [`write_schema_and_value`]: `{"schema":…,"value":…}`.
//!
//! A null topic stays null (Java's records may have a null topic).

use base64::Engine as _;
use sluice_api::values::java_fmt;
use sluice_api::values::java_num::parse_java_decimal;
use sluice_api::{
    ConnectError, ConnectRecord, Header, Headers, Origin, Schema, SchemaAndValue, SchemaRef,
    Struct, TimestampType, Type, Value,
};

use crate::json::codec::JsonCodec;
use crate::json::node::{JsonNode, JsonNumber, JsonObject};
use crate::json::parse::{parse, JsonParseError};
use crate::json::write;

mod fast;
mod reader;
mod writer;
pub use writer::write_record_to;

/// Why a record JSON cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RecordJsonError {
    /// Not JSON.
    #[error("invalid JSON: {0}")]
    Json(#[from] JsonParseError),
    /// JSON, but not a record (`at` names the member).
    #[error("{at}: {message}")]
    Invalid {
        /// Where: `record`, `value`, `headers[1].value`, …
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A value does not fit its schema.
    #[error("{at}: {source}")]
    Data {
        /// Where.
        at: String,
        /// The conversion error.
        source: ConnectError,
    },
}

fn invalid(at: &str, message: impl Into<String>) -> RecordJsonError {
    RecordJsonError::Invalid {
        at: at.to_string(),
        message: message.into(),
    }
}

fn data(at: &str) -> impl FnOnce(ConnectError) -> RecordJsonError + '_ {
    move |source| RecordJsonError::Data {
        at: at.to_string(),
        source,
    }
}

/// Reads one record (or `null`, a dropped record) from JSON bytes.
pub fn parse_record(
    codec: &mut JsonCodec,
    bytes: &[u8],
) -> Result<Option<ConnectRecord>, RecordJsonError> {
    if let Some(record) = fast::parse_record_fast(codec, bytes) {
        return Ok(Some(record));
    }
    let node = parse(bytes)?.ok_or_else(|| invalid("record", "no JSON value"))?;
    reader::read_record_owned(codec, node)
}

/// Reads one record from its JSON object; `None` for JSON `null`.
pub fn read_record(
    codec: &mut JsonCodec,
    node: &JsonNode,
) -> Result<Option<ConnectRecord>, RecordJsonError> {
    let obj = match node {
        JsonNode::Null => return Ok(None),
        JsonNode::Object(m) => m,
        other => return Err(not_a_record(other)),
    };
    let topic = match obj.get("topic") {
        None | Some(JsonNode::Null) => None,
        Some(JsonNode::String(s)) => Some(s.clone()),
        Some(_) => return Err(invalid("topic", "expected a string or null")),
    };
    let Position {
        kafka_partition,
        timestamp,
        origin,
    } = read_position(obj)?;
    let key_schema = read_schema(codec, obj.get("key_schema"), "key_schema")?;
    let key = read_value(codec, key_schema.as_ref(), obj.get("key"), "key")?;
    let value_schema = read_schema(codec, obj.get("value_schema"), "value_schema")?;
    let value = read_value(codec, value_schema.as_ref(), obj.get("value"), "value")?;
    let mut headers = Headers::new();
    match obj.get("headers") {
        None | Some(JsonNode::Null) => {}
        Some(JsonNode::Array(items)) => {
            for (i, h) in items.iter().enumerate() {
                let at = format!("headers[{i}]");
                let key = h
                    .get("key")
                    .and_then(JsonNode::as_str)
                    .ok_or_else(|| invalid(&at, "a header needs a string \"key\""))?;
                let schema = read_schema(codec, h.get("schema"), &format!("{at}.schema"))?;
                let value = read_value(
                    codec,
                    schema.as_ref(),
                    h.get("value"),
                    &format!("{at}.value"),
                )?;
                headers.push(Header {
                    key: key.to_string(),
                    schema,
                    value,
                });
            }
        }
        Some(_) => return Err(invalid("headers", "expected an array")),
    }
    Ok(Some(ConnectRecord {
        topic,
        kafka_partition,
        key_schema,
        key,
        value_schema,
        value,
        timestamp,
        headers,
        origin,
    }))
}

/// A record's place: `partition`, `timestamp`, and its origin (a sink record when it has an
/// `offset`, stamped `CreateTime` when it has a timestamp).
struct Position {
    kafka_partition: Option<i32>,
    timestamp: Option<i64>,
    origin: Origin,
}

fn read_position(obj: &JsonObject) -> Result<Position, RecordJsonError> {
    let kafka_partition = match opt_long(obj.get("partition"), "partition")? {
        Some(p) => Some(i32::try_from(p).map_err(|_| invalid("partition", "out of range"))?),
        None => None,
    };
    let timestamp = opt_long(obj.get("timestamp"), "timestamp")?;
    let origin = match obj.get("offset") {
        None => Origin::Source {
            partition: None,
            offset: None,
        },
        Some(o) => Origin::Sink {
            kafka_offset: opt_long(Some(o), "offset")?
                .ok_or_else(|| invalid("offset", "expected an integer"))?,
            timestamp_type: if timestamp.is_some() {
                TimestampType::CreateTime
            } else {
                TimestampType::NoTimestampType
            },
        },
    };
    Ok(Position {
        kafka_partition,
        timestamp,
        origin,
    })
}

/// The error for a record that is neither an object nor `null`.
fn not_a_record(node: &JsonNode) -> RecordJsonError {
    invalid(
        "record",
        format!("expected an object, found {}", node.node_type()),
    )
}

fn opt_long(node: Option<&JsonNode>, at: &str) -> Result<Option<i64>, RecordJsonError> {
    match node {
        None | Some(JsonNode::Null) => Ok(None),
        Some(JsonNode::Number(JsonNumber::Int(v))) => Ok(Some(*v)),
        Some(_) => Err(invalid(at, "expected an integer or null")),
    }
}

fn read_schema(
    codec: &mut JsonCodec,
    node: Option<&JsonNode>,
    at: &str,
) -> Result<Option<SchemaRef>, RecordJsonError> {
    match node {
        None => Ok(None),
        Some(n) => codec.as_connect_schema(n).map_err(data(at)),
    }
}

fn read_value(
    codec: &mut JsonCodec,
    schema: Option<&SchemaRef>,
    node: Option<&JsonNode>,
    at: &str,
) -> Result<Value, RecordJsonError> {
    match schema {
        Some(s) => read_typed(codec, s, node, at),
        None => match node {
            None => Ok(Value::Null),
            Some(n) => read_schemaless(codec, n, at),
        },
    }
}

/// The tag of a one-member tagged object (`{"$int32": 5}`), if `node` is one.
fn tag_of(node: &JsonNode) -> Option<&str> {
    match node {
        JsonNode::Object(m) if m.len() == 1 => m
            .keys()
            .next()
            .map(String::as_str)
            .filter(|k| TAGS.contains(k)),
        _ => None,
    }
}

/// True when a tagged value sits anywhere in `node` where `schema` does not read the tag's key
/// as a struct field name.
fn has_tag(schema: &Schema, node: &JsonNode) -> bool {
    if let Some(tag) = tag_of(node) {
        if schema.schema_type != Type::Struct || schema.field(tag).is_none() {
            return true;
        }
    }
    match (schema.schema_type, node) {
        (Type::Struct, JsonNode::Object(m)) => schema.fields.iter().any(|f| {
            m.get(&f.name)
                .is_some_and(|child| has_tag(&f.schema, child))
        }),
        (Type::Array, JsonNode::Array(items)) => schema
            .value_schema
            .as_deref()
            .is_some_and(|es| items.iter().any(|i| has_tag(es, i))),
        (Type::Map, JsonNode::Object(m)) => schema
            .value_schema
            .as_deref()
            .is_some_and(|vs| m.values().any(|v| has_tag(vs, v))),
        (Type::Map, JsonNode::Array(pairs)) => pairs.iter().any(|pair| match pair {
            JsonNode::Array(kv) if kv.len() == 2 => {
                schema
                    .key_schema
                    .as_deref()
                    .is_some_and(|ks| has_tag(ks, &kv[0]))
                    || schema
                        .value_schema
                        .as_deref()
                        .is_some_and(|vs| has_tag(vs, &kv[1]))
            }
            _ => false,
        }),
        _ => false,
    }
}

/// A value under a schema. A tagged value keeps its tag's kind even where the schema says
/// otherwise (`{"$string": "x"}` under an int32 schema is the string "x"), so that a wrongly
/// typed value reaches the converter or transform under test and gets its error there. Values
/// without tags are read as JsonConverter reads its payload.
fn read_typed(
    codec: &mut JsonCodec,
    schema: &SchemaRef,
    node: Option<&JsonNode>,
    at: &str,
) -> Result<Value, RecordJsonError> {
    let Some(n) = node.filter(|n| has_tag(schema, n)) else {
        return codec
            .convert_to_connect(Some(schema), node)
            .map_err(data(at));
    };
    if let Some(tag) = tag_of(n) {
        if schema.schema_type != Type::Struct || schema.field(tag).is_none() {
            return read_schemaless(codec, n, at);
        }
    }
    match (schema.schema_type, n) {
        (Type::Struct, JsonNode::Object(m)) => {
            let mut out = Struct::new(schema.clone());
            for field in &schema.fields {
                let v = read_typed(
                    codec,
                    &field.schema,
                    m.get(&field.name),
                    &format!("{at}.{}", field.name),
                )?;
                out.put_unchecked(&field.name, v).map_err(data(at))?;
            }
            Ok(Value::Struct(out))
        }
        (Type::Array, JsonNode::Array(items)) => {
            let element = schema
                .value_schema
                .as_ref()
                .ok_or_else(|| invalid(at, "an array schema needs \"items\""))?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(read_typed(
                    codec,
                    element,
                    Some(item),
                    &format!("{at}[{i}]"),
                )?);
            }
            Ok(Value::Array(out))
        }
        (Type::Map, JsonNode::Object(m)) => {
            let values = schema
                .value_schema
                .as_ref()
                .ok_or_else(|| invalid(at, "a map schema needs \"values\""))?;
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                out.push((
                    Value::String(k.clone()),
                    read_typed(codec, values, Some(v), &format!("{at}.{k}"))?,
                ));
            }
            Ok(Value::Map(out))
        }
        (Type::Map, JsonNode::Array(pairs)) => {
            let (Some(keys), Some(values)) = (&schema.key_schema, &schema.value_schema) else {
                return Err(invalid(at, "a map schema needs \"keys\" and \"values\""));
            };
            let mut out = Vec::with_capacity(pairs.len());
            for (i, pair) in pairs.iter().enumerate() {
                let at = format!("{at}[{i}]");
                let JsonNode::Array(kv) = pair else {
                    return Err(invalid(&at, "expected a [key, value] pair"));
                };
                let [k, v] = kv.as_slice() else {
                    return Err(invalid(&at, "expected a [key, value] pair"));
                };
                out.push((
                    read_typed(codec, keys, Some(k), &at)?,
                    read_typed(codec, values, Some(v), &at)?,
                ));
            }
            Ok(Value::Map(out))
        }
        _ => codec
            .convert_to_connect(Some(schema), node)
            .map_err(data(at)),
    }
}

const TAGS: [&str; 14] = [
    "$int8", "$int16", "$int32", "$int64", "$float32", "$float64", "$boolean", "$string", "$bytes",
    "$date", "$decimal", "$bigint", "$map", "$struct",
];

/// A schemaless value: plain JSON, or a tagged kind.
fn read_schemaless(
    codec: &mut JsonCodec,
    node: &JsonNode,
    at: &str,
) -> Result<Value, RecordJsonError> {
    Ok(match node {
        JsonNode::Null => Value::Null,
        JsonNode::Bool(b) => Value::Boolean(*b),
        JsonNode::String(s) => Value::String(s.clone()),
        JsonNode::Number(n) => match n {
            JsonNumber::Int(v) => Value::Int64(*v),
            JsonNumber::BigInt(_) => Value::Int64(integral(node, at, i64::MIN, i64::MAX)?),
            _ => Value::Float64(float(node, at)?),
        },
        JsonNode::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| read_schemaless(codec, item, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        JsonNode::Object(m) => {
            if m.len() == 1 {
                if let Some((tag, inner)) =
                    m.iter().next().filter(|(k, _)| TAGS.contains(&k.as_str()))
                {
                    return read_tagged(codec, tag, inner, &format!("{at}.{tag}"));
                }
            }
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                out.push((
                    Value::String(k.clone()),
                    read_schemaless(codec, v, &format!("{at}.{k}"))?,
                ));
            }
            Value::Map(out)
        }
    })
}

fn integral(node: &JsonNode, at: &str, min: i64, max: i64) -> Result<i64, RecordJsonError> {
    match node {
        JsonNode::Number(JsonNumber::Int(v)) if (min..=max).contains(v) => Ok(*v),
        _ => Err(invalid(
            at,
            format!("expected an integer in [{min}, {max}]"),
        )),
    }
}

fn float(node: &JsonNode, at: &str) -> Result<f64, RecordJsonError> {
    match node {
        JsonNode::Number(JsonNumber::Int(v)) => Ok(*v as f64),
        JsonNode::Number(JsonNumber::BigInt(v)) => Ok(v.to_string().parse().unwrap_or(0.0)),
        JsonNode::Number(JsonNumber::Decimal(t)) => t
            .parse()
            .map_err(|_| invalid(at, format!("not a number: {t}"))),
        JsonNode::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => Err(invalid(at, format!("not a number: {s}"))),
        },
        _ => Err(invalid(at, "expected a number")),
    }
}

fn read_tagged(
    codec: &mut JsonCodec,
    tag: &str,
    node: &JsonNode,
    at: &str,
) -> Result<Value, RecordJsonError> {
    let text = || {
        node.as_str()
            .ok_or_else(|| invalid(at, "expected a string"))
    };
    Ok(match tag {
        "$int8" => Value::Int8(integral(node, at, i8::MIN.into(), i8::MAX.into())? as i8),
        "$int16" => Value::Int16(integral(node, at, i16::MIN.into(), i16::MAX.into())? as i16),
        "$int32" => Value::Int32(integral(node, at, i32::MIN.into(), i32::MAX.into())? as i32),
        "$int64" => Value::Int64(integral(node, at, i64::MIN, i64::MAX)?),
        "$float32" => match node {
            JsonNode::Number(JsonNumber::Decimal(t)) => {
                Value::Float32(t.parse().map_err(|_| invalid(at, "not a number"))?)
            }
            other => Value::Float32(float(other, at)? as f32),
        },
        "$float64" => Value::Float64(float(node, at)?),
        "$boolean" => match node {
            JsonNode::Bool(b) => Value::Boolean(*b),
            _ => return Err(invalid(at, "expected a boolean")),
        },
        "$string" => Value::String(text()?.to_string()),
        "$bytes" => Value::Bytes(
            base64::engine::general_purpose::STANDARD
                .decode(text()?)
                .map_err(|e| invalid(at, format!("invalid base64: {e}")))?,
        ),
        "$date" => Value::Date(integral(node, at, i64::MIN, i64::MAX)?),
        "$decimal" => Value::Decimal(
            parse_java_decimal(text()?).ok_or_else(|| invalid(at, "not a decimal number"))?,
        ),
        "$bigint" => Value::BigInt(text()?.parse().map_err(|_| invalid(at, "not an integer"))?),
        "$map" => {
            let JsonNode::Array(pairs) = node else {
                return Err(invalid(at, "expected an array of [key, value] pairs"));
            };
            let mut out = Vec::with_capacity(pairs.len());
            for (i, pair) in pairs.iter().enumerate() {
                let at = format!("{at}[{i}]");
                let JsonNode::Array(kv) = pair else {
                    return Err(invalid(&at, "expected a [key, value] pair"));
                };
                let [k, v] = kv.as_slice() else {
                    return Err(invalid(&at, "expected a [key, value] pair"));
                };
                out.push((
                    read_schemaless(codec, k, &at)?,
                    read_schemaless(codec, v, &at)?,
                ));
            }
            Value::Map(out)
        }
        _ => {
            // "$struct"
            let schema = read_schema(codec, node.get("schema"), &format!("{at}.schema"))?
                .filter(|s| s.schema_type == Type::Struct)
                .ok_or_else(|| invalid(at, "a $struct needs a struct \"schema\""))?;
            read_value(
                codec,
                Some(&schema),
                node.get("value"),
                &format!("{at}.value"),
            )?
        }
    })
}

/// Writes a record (or `null` for a dropped record) as compact JSON.
pub fn write_record(
    codec: &mut JsonCodec,
    record: Option<&ConnectRecord>,
) -> Result<Vec<u8>, RecordJsonError> {
    let mut out = Vec::with_capacity(256);
    write_record_to(codec, record, &mut out)?;
    Ok(out)
}

/// The JSON object of a record (`null` for `None`).
pub fn record_to_json(
    codec: &mut JsonCodec,
    record: Option<&ConnectRecord>,
) -> Result<JsonNode, RecordJsonError> {
    let Some(r) = record else {
        return Ok(JsonNode::Null);
    };
    let int = |v: i64| JsonNode::Number(JsonNumber::Int(v));
    let mut obj = crate::json::node::JsonObject::default();
    obj.insert(
        "topic".to_string(),
        r.topic.clone().map_or(JsonNode::Null, JsonNode::String),
    );
    obj.insert(
        "partition".to_string(),
        r.kafka_partition
            .map_or(JsonNode::Null, |p| int(i64::from(p))),
    );
    if let Origin::Sink { kafka_offset, .. } = r.origin {
        obj.insert("offset".to_string(), int(kafka_offset));
    }
    obj.insert(
        "timestamp".to_string(),
        r.timestamp.map_or(JsonNode::Null, int),
    );
    obj.insert(
        "key_schema".to_string(),
        schema_json(codec, r.key_schema.as_ref(), "key_schema")?,
    );
    obj.insert(
        "key".to_string(),
        value_json(codec, r.key_schema.as_ref(), &r.key, "key")?,
    );
    obj.insert(
        "value_schema".to_string(),
        schema_json(codec, r.value_schema.as_ref(), "value_schema")?,
    );
    obj.insert(
        "value".to_string(),
        value_json(codec, r.value_schema.as_ref(), &r.value, "value")?,
    );
    let mut headers = Vec::with_capacity(r.headers.len());
    for (i, h) in r.headers.iter().enumerate() {
        let at = format!("headers[{i}]");
        let mut ho = crate::json::node::JsonObject::default();
        ho.insert("key".to_string(), JsonNode::String(h.key.clone()));
        ho.insert("schema".to_string(), schema_json(codec, h.schema(), &at)?);
        ho.insert(
            "value".to_string(),
            value_json(codec, h.schema(), &h.value, &at)?,
        );
        headers.push(JsonNode::Object(ho));
    }
    obj.insert("headers".to_string(), JsonNode::Array(headers));
    Ok(JsonNode::Object(obj))
}

/// True when a schemaless map is written as a JSON object: every key a string, and not a
/// one-entry map whose key is a tag (it would read back as that tag); otherwise it is written
/// in pair form (`{"$map": [[k, v], …]}`).
fn map_as_object(entries: &[(Value, Value)]) -> bool {
    let string_keys = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
    let looks_tagged = entries.len() == 1
        && entries
            .first()
            .and_then(|(k, _)| k.as_str())
            .is_some_and(|k| TAGS.contains(&k));
    string_keys && !looks_tagged
}

fn schema_json(
    codec: &mut JsonCodec,
    schema: Option<&SchemaRef>,
    at: &str,
) -> Result<JsonNode, RecordJsonError> {
    match schema {
        None => Ok(JsonNode::Null),
        Some(s) => Ok((*codec.as_json_schema(s).map_err(data(at))?).clone()),
    }
}

fn value_json(
    codec: &mut JsonCodec,
    schema: Option<&SchemaRef>,
    value: &Value,
    at: &str,
) -> Result<JsonNode, RecordJsonError> {
    match schema {
        Some(s) => codec.to_json(Some(s), value).map_err(data(at)),
        None => write_schemaless(codec, value, at),
    }
}

fn tagged(tag: &str, node: JsonNode) -> JsonNode {
    let mut m = crate::json::node::object_with_capacity(1);
    m.insert(tag.to_string(), node);
    JsonNode::Object(m)
}

fn write_schemaless(
    codec: &mut JsonCodec,
    value: &Value,
    at: &str,
) -> Result<JsonNode, RecordJsonError> {
    let int = |v: i64| JsonNode::Number(JsonNumber::Int(v));
    let float = |v: f64| {
        if v.is_finite() {
            JsonNode::Number(JsonNumber::Double(v))
        } else {
            JsonNode::String(java_fmt::double_to_string(v))
        }
    };
    Ok(match value {
        Value::Null => JsonNode::Null,
        Value::Boolean(b) => JsonNode::Bool(*b),
        Value::String(s) => JsonNode::String(s.clone()),
        Value::Int64(v) => int(*v),
        Value::Float64(v) if v.is_finite() => float(*v),
        Value::Float64(v) => tagged("$float64", float(*v)),
        Value::Int8(v) => tagged("$int8", int(i64::from(*v))),
        Value::Int16(v) => tagged("$int16", int(i64::from(*v))),
        Value::Int32(v) => tagged("$int32", int(i64::from(*v))),
        Value::Float32(v) => tagged(
            "$float32",
            if v.is_finite() {
                JsonNode::Number(JsonNumber::Float(*v))
            } else {
                JsonNode::String(java_fmt::float_to_string(*v))
            },
        ),
        Value::Bytes(b) => tagged(
            "$bytes",
            JsonNode::String(base64::engine::general_purpose::STANDARD.encode(b)),
        ),
        Value::Date(ms) => tagged("$date", int(*ms)),
        Value::Decimal(d) => tagged("$decimal", JsonNode::String(java_fmt::decimal_to_string(d))),
        Value::BigInt(b) => tagged("$bigint", JsonNode::String(b.to_string())),
        Value::Array(items) => JsonNode::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| write_schemaless(codec, v, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            if map_as_object(entries) {
                let mut m = crate::json::node::object_with_capacity(entries.len());
                for (k, v) in entries {
                    let k = k.as_str().unwrap_or_default();
                    m.insert(
                        k.to_string(),
                        write_schemaless(codec, v, &format!("{at}.{k}"))?,
                    );
                }
                JsonNode::Object(m)
            } else {
                let mut pairs = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    pairs.push(JsonNode::Array(vec![
                        write_schemaless(codec, k, at)?,
                        write_schemaless(codec, v, at)?,
                    ]));
                }
                tagged("$map", JsonNode::Array(pairs))
            }
        }
        Value::Struct(s) => tagged("$struct", struct_json(codec, s, at)?),
    })
}

fn struct_json(codec: &mut JsonCodec, s: &Struct, at: &str) -> Result<JsonNode, RecordJsonError> {
    let mut m = crate::json::node::object_with_capacity(2);
    m.insert(
        "schema".to_string(),
        schema_json(codec, Some(s.schema()), at)?,
    );
    m.insert(
        "value".to_string(),
        value_json(codec, Some(s.schema()), &Value::Struct(s.clone()), at)?,
    );
    Ok(JsonNode::Object(m))
}

/// Reads `{"schema": <schema or null>, "value": <value>}` (`sluice convert --from-connect`).
pub fn parse_schema_and_value(
    codec: &mut JsonCodec,
    bytes: &[u8],
) -> Result<SchemaAndValue, RecordJsonError> {
    let node = parse(bytes)?.ok_or_else(|| invalid("input", "no JSON value"))?;
    if !matches!(node, JsonNode::Object(_)) {
        return Err(invalid("input", "expected {\"schema\": …, \"value\": …}"));
    }
    let schema = read_schema(codec, node.get("schema"), "schema")?;
    let value = read_value(codec, schema.as_ref(), node.get("value"), "value")?;
    Ok(SchemaAndValue::new(schema, value))
}

/// Writes `{"schema": <schema or null>, "value": <value>}` (`sluice convert --to-connect`).
pub fn write_schema_and_value(
    codec: &mut JsonCodec,
    sv: &SchemaAndValue,
) -> Result<Vec<u8>, RecordJsonError> {
    let mut m = crate::json::node::object_with_capacity(2);
    m.insert(
        "schema".to_string(),
        schema_json(codec, sv.schema.as_ref(), "schema")?,
    );
    m.insert(
        "value".to_string(),
        value_json(codec, sv.schema.as_ref(), &sv.value, "value")?,
    );
    Ok(write::to_bytes(&JsonNode::Object(m)))
}

#[cfg(test)]
mod tests;
