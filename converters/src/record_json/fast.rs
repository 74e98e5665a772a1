//! The fast path of [`super::parse_record`]: a record read straight from its bytes, without a
//! JSON tree for the record object or for its schemaless key and value.
//!
//! The record's members go into slots by name (a repeated member replaces the earlier one, as
//! in the tree). A schemaless key or value (its schema member already read as `null`) becomes a
//! [`Value`] as it is read: strings and member names are moved, not copied, and no object map
//! is built. Everything else (schemas, schema'd values, headers, tagged kinds) is read as a tree
//! node and converted as the tree path converts it.
//!
//! Anything unusual gives up (`None`) and the caller reads the line through the tree path, which
//! gives the same record or the error with its exact message: invalid JSON, a member of the
//! wrong type, a schema member after its value that is not `null`, an object of more than
//! `MAX_DIRECT_MEMBERS` members (repeated names are looked for by a linear scan), a number
//! that is not a `long` or a double.

use sluice_api::{ConnectRecord, Origin, SchemaRef, TimestampType, Value};

use super::reader::{read_headers_owned, read_value_owned};
use super::{opt_long, read_schema, TAGS};
use crate::json::codec::JsonCodec;
use crate::json::direct::{self, member_name, DirectRules};
use crate::json::node::JsonNode;
use crate::json::parse::{parse_long, Reader};

/// A key or value as read: a tree node, or a schemaless value read directly.
enum Slot {
    Node(JsonNode),
    Direct(Value),
}

/// The record of `bytes`, or `None` when the tree path must read it.
pub(super) fn parse_record_fast(codec: &mut JsonCodec, bytes: &[u8]) -> Option<ConnectRecord> {
    let mut r = Reader::new(bytes);
    r.skip_ws().ok()?;
    if r.peek()? != b'{' {
        return None;
    }
    r.pos += 1;
    let mut topic: Option<JsonNode> = None;
    let mut partition: Option<JsonNode> = None;
    let mut offset: Option<JsonNode> = None;
    let mut timestamp: Option<JsonNode> = None;
    let mut key_schema: Option<JsonNode> = None;
    let mut value_schema: Option<JsonNode> = None;
    let mut key: Option<Slot> = None;
    let mut value: Option<Slot> = None;
    let mut headers: Option<JsonNode> = None;
    r.skip_ws().ok()?;
    if r.peek()? != b'}' {
        loop {
            r.skip_ws().ok()?;
            let name = member_name(&mut r)?;
            match name.as_str() {
                "key" => key = Some(side(codec, &mut r, key_schema.as_ref())?),
                "value" => value = Some(side(codec, &mut r, value_schema.as_ref())?),
                other => {
                    let node = r.value(1).ok()?;
                    match other {
                        "topic" => topic = Some(node),
                        "partition" => partition = Some(node),
                        "offset" => offset = Some(node),
                        "timestamp" => timestamp = Some(node),
                        "key_schema" => key_schema = Some(node),
                        "value_schema" => value_schema = Some(node),
                        "headers" => headers = Some(node),
                        _ => {}
                    }
                }
            }
            if direct::after_item(&mut r, b'}')? {
                break;
            }
        }
    }
    let topic = match topic {
        None | Some(JsonNode::Null) => None,
        Some(JsonNode::String(s)) => Some(s),
        Some(_) => return None,
    };
    let kafka_partition = match opt_long(partition.as_ref(), "").ok()? {
        Some(p) => Some(i32::try_from(p).ok()?),
        None => None,
    };
    let timestamp = opt_long(timestamp.as_ref(), "").ok()?;
    let origin = match offset {
        None => Origin::Source {
            partition: None,
            offset: None,
        },
        Some(o) => Origin::Sink {
            kafka_offset: opt_long(Some(&o), "").ok()??,
            timestamp_type: if timestamp.is_some() {
                TimestampType::CreateTime
            } else {
                TimestampType::NoTimestampType
            },
        },
    };
    let key_schema = read_schema(codec, key_schema.as_ref(), "").ok()?;
    let key = side_value(codec, key_schema.as_ref(), key)?;
    let value_schema = read_schema(codec, value_schema.as_ref(), "").ok()?;
    let value = side_value(codec, value_schema.as_ref(), value)?;
    let headers = read_headers_owned(codec, headers).ok()?;
    Some(ConnectRecord {
        topic,
        kafka_partition,
        key_schema,
        key,
        value_schema,
        value,
        timestamp,
        headers,
        origin,
    })
}

/// A key or value member: read directly when its schema member was `null`.
fn side(codec: &mut JsonCodec, r: &mut Reader<'_>, schema: Option<&JsonNode>) -> Option<Slot> {
    if matches!(schema, Some(JsonNode::Null)) {
        direct::read(r, 1, &mut RecordRules(codec)).map(Slot::Direct)
    } else {
        r.value(1).ok().map(Slot::Node)
    }
}

/// The key or value under its final schema.
fn side_value(
    codec: &mut JsonCodec,
    schema: Option<&SchemaRef>,
    slot: Option<Slot>,
) -> Option<Value> {
    match slot {
        // Read as schemaless, but a later schema member replaced the `null`.
        Some(Slot::Direct(_)) if schema.is_some() => None,
        Some(Slot::Direct(v)) => Some(v),
        Some(Slot::Node(n)) => read_value_owned(codec, schema, Some(n), "").ok(),
        None => read_value_owned(codec, schema, None, "").ok(),
    }
}

/// The record JSON's schemaless reading (see `read_schemaless`): numbers are `INT64` in a
/// `long`'s range or the nearest `FLOAT64`; an object whose only member is named like a tag
/// (`{"$int8": 1}`) is a tagged kind, read through its tree node.
struct RecordRules<'c>(&'c mut JsonCodec);

impl DirectRules for RecordRules<'_> {
    fn number(&mut self, literal: &[u8], integral: bool) -> Option<Value> {
        if integral {
            // Beyond a long: an error the tree path reports.
            parse_long(literal).map(Value::Int64)
        } else {
            std::str::from_utf8(literal)
                .ok()?
                .parse()
                .ok()
                .map(Value::Float64)
        }
    }

    fn object_named(
        &mut self,
        r: &mut Reader<'_>,
        start: usize,
        first: &str,
        depth: usize,
    ) -> Option<Option<Value>> {
        if !TAGS.contains(&first) {
            return None;
        }
        // Only a one-member object is a tag; the tree decides.
        r.pos = start;
        let read = r
            .value(depth)
            .ok()
            .and_then(|node| read_value_owned(self.0, None, Some(node), "").ok());
        Some(read)
    }
}
