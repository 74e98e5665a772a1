//! Record JSON read from a parsed tree that the reader owns: strings (the topic, header keys,
//! schemaless strings and map keys) are moved out of the tree instead of copied, and the
//! location of a schemaless member (`value.items[1]`) is only formatted when it is reported.
//! Schemas and schema'd values are read as [`super::read_record`] reads them.

use std::fmt;

use sluice_api::{ConnectRecord, Header, Headers, SchemaRef, Value};

use super::{
    float, integral, invalid, not_a_record, read_position, read_schema, read_tagged, read_typed,
    Position, RecordJsonError, TAGS,
};
use crate::json::codec::JsonCodec;
use crate::json::node::{JsonNode, JsonNumber};

/// Where a schemaless value sits, formatted only for an error message: `value`,
/// `value.items`, `value.items[1]`.
#[derive(Clone, Copy)]
enum At<'a> {
    Root(&'a str),
    Index(&'a At<'a>, usize),
    Member(&'a At<'a>, &'a str),
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Root(s) => f.write_str(s),
            At::Index(parent, i) => write!(f, "{parent}[{i}]"),
            At::Member(parent, k) => write!(f, "{parent}.{k}"),
        }
    }
}

/// Reads one record from its JSON tree, consuming it; `None` for JSON `null`.
pub(super) fn read_record_owned(
    codec: &mut JsonCodec,
    node: JsonNode,
) -> Result<Option<ConnectRecord>, RecordJsonError> {
    let mut obj = match node {
        JsonNode::Null => return Ok(None),
        JsonNode::Object(m) => m,
        other => return Err(not_a_record(&other)),
    };
    let topic = match obj.get_mut("topic") {
        None | Some(JsonNode::Null) => None,
        Some(JsonNode::String(s)) => Some(std::mem::take(s)),
        Some(_) => return Err(invalid("topic", "expected a string or null")),
    };
    let Position {
        kafka_partition,
        timestamp,
        origin,
    } = read_position(&obj)?;
    let key_schema = read_schema(codec, obj.get("key_schema"), "key_schema")?;
    let key = read_value_owned(codec, key_schema.as_ref(), take(&mut obj, "key"), "key")?;
    let value_schema = read_schema(codec, obj.get("value_schema"), "value_schema")?;
    let value = read_value_owned(
        codec,
        value_schema.as_ref(),
        take(&mut obj, "value"),
        "value",
    )?;
    let headers = read_headers_owned(codec, take(&mut obj, "headers"))?;
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

/// The `headers` member (absent or `null`: no headers), consumed.
pub(super) fn read_headers_owned(
    codec: &mut JsonCodec,
    node: Option<JsonNode>,
) -> Result<Headers, RecordJsonError> {
    let mut headers = Headers::new();
    match node {
        None | Some(JsonNode::Null) => {}
        Some(JsonNode::Array(items)) => {
            for (i, mut h) in items.into_iter().enumerate() {
                let at = || format!("headers[{i}]");
                let JsonNode::Object(member) = &mut h else {
                    return Err(invalid(&at(), "a header needs a string \"key\""));
                };
                let key = match member.get_mut("key") {
                    Some(JsonNode::String(k)) => std::mem::take(k),
                    _ => return Err(invalid(&at(), "a header needs a string \"key\"")),
                };
                let schema = match member.get("schema") {
                    None => None,
                    Some(n) => {
                        codec
                            .as_connect_schema(n)
                            .map_err(|source| RecordJsonError::Data {
                                at: format!("{}.schema", at()),
                                source,
                            })?
                    }
                };
                let value_at = format!("{}.value", at());
                let value =
                    read_value_owned(codec, schema.as_ref(), take(member, "value"), &value_at)?;
                headers.push(Header { key, schema, value });
            }
        }
        Some(_) => return Err(invalid("headers", "expected an array")),
    }
    Ok(headers)
}

/// Moves a member's value out of an object, leaving `null` in its place (the object is not
/// read again, so its members need not move).
fn take(obj: &mut crate::json::node::JsonObject, key: &str) -> Option<JsonNode> {
    obj.get_mut(key).map(std::mem::take)
}

pub(super) fn read_value_owned(
    codec: &mut JsonCodec,
    schema: Option<&SchemaRef>,
    node: Option<JsonNode>,
    at: &str,
) -> Result<Value, RecordJsonError> {
    match schema {
        Some(s) => read_typed(codec, s, node.as_ref(), at),
        None => match node {
            None => Ok(Value::Null),
            Some(n) => read_schemaless_owned(codec, n, At::Root(at)),
        },
    }
}

/// A schemaless value (plain JSON or a tagged kind), as [`super::read_schemaless`] reads it.
fn read_schemaless_owned(
    codec: &mut JsonCodec,
    node: JsonNode,
    at: At<'_>,
) -> Result<Value, RecordJsonError> {
    Ok(match node {
        JsonNode::Null => Value::Null,
        JsonNode::Bool(b) => Value::Boolean(b),
        JsonNode::String(s) => Value::String(s),
        JsonNode::Number(JsonNumber::Int(v)) => Value::Int64(v),
        JsonNode::Number(JsonNumber::BigInt(_)) => {
            Value::Int64(integral(&node, &at.to_string(), i64::MIN, i64::MAX)?)
        }
        JsonNode::Number(JsonNumber::Decimal(ref t)) => match t.parse() {
            Ok(v) => Value::Float64(v),
            Err(_) => Value::Float64(float(&node, &at.to_string())?),
        },
        JsonNode::Number(_) => Value::Float64(float(&node, &at.to_string())?),
        JsonNode::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(read_schemaless_owned(codec, item, At::Index(&at, i))?);
            }
            Value::Array(out)
        }
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
                let v = read_schemaless_owned(codec, v, At::Member(&at, &k))?;
                out.push((Value::String(k), v));
            }
            Value::Map(out)
        }
    })
}
