//! What the config and status codecs share: reading a record value the way Java's internal
//! converter does (`JsonConverter`, `schemas.enable=false`, Jackson underneath), writing one
//! byte for byte as it does, and Java's `String.split("-")` / `Integer.parseInt` key rules.
//!
//! Java writes both topics' values schemaless: a Struct becomes a compact JSON object with
//! its fields in schema order, a null optional field an explicit `null`. The Jackson-exact
//! reader and writer of the converters crate ([`parse`], [`to_bytes`]) do the byte work.

use sluice_converters::json::parse::{parse, JsonParseError};
use sluice_converters::json::write::to_bytes;
use sluice_converters::json::{JsonNode, JsonNumber};

/// Reads a value as Java's converter does: `Ok(None)` for what Java sees as a null value (no
/// bytes, empty or all-white-space bytes, the literal `null`). Only the first JSON value is
/// read; trailing content is ignored, as Jackson does.
pub(crate) fn read_value(bytes: Option<&[u8]>) -> Result<Option<JsonNode>, JsonParseError> {
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    Ok(parse(bytes)?.filter(|node| !node.is_null()))
}

/// Writes an object whose members are in the given order (a Struct in schema order).
pub(crate) fn write_object<'a>(members: impl IntoIterator<Item = (&'a str, JsonNode)>) -> Vec<u8> {
    to_bytes(&object(members))
}

/// An object node with the members in the given order.
pub(crate) fn object<'a>(members: impl IntoIterator<Item = (&'a str, JsonNode)>) -> JsonNode {
    JsonNode::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// A string node.
pub(crate) fn string(s: &str) -> JsonNode {
    JsonNode::String(s.to_string())
}

/// A string node, or `null`.
pub(crate) fn opt_string(s: Option<&str>) -> JsonNode {
    s.map_or(JsonNode::Null, string)
}

/// An integer node (Java's `int` and `long` fields are both written as plain integers).
pub(crate) fn int(v: i64) -> JsonNode {
    JsonNode::Number(JsonNumber::Int(v))
}

/// The `long` Java's schemaless converter reads from an integral number (`longValue()`: the
/// low 64 bits of a bigger one); `None` for anything else (a decimal is a `Double`, which
/// Java's readers reject where they expect an integer).
pub(crate) fn long_value(node: Option<&JsonNode>) -> Option<i64> {
    match node? {
        JsonNode::Number(JsonNumber::Int(v)) => Some(*v),
        JsonNode::Number(JsonNumber::BigInt(v)) => {
            let (sign, digits) = v.to_u64_digits();
            let low = digits.first().copied().unwrap_or(0) as i64;
            Some(if sign == num_bigint::Sign::Minus {
                low.wrapping_neg()
            } else {
                low
            })
        }
        _ => None,
    }
}

/// `long_value` narrowed like Java's `(int)` cast / `Long.intValue()` (low 32 bits).
pub(crate) fn int_value(node: Option<&JsonNode>) -> Option<i32> {
    long_value(node).map(|v| v as i32)
}

/// What a node is, for messages (the Java class the schemaless converter would produce).
pub(crate) fn kind(node: Option<&JsonNode>) -> &'static str {
    match node {
        None | Some(JsonNode::Null) => "null",
        Some(JsonNode::Bool(_)) => "java.lang.Boolean",
        Some(JsonNode::Number(n)) => match n {
            JsonNumber::Int(_) | JsonNumber::BigInt(_) => "java.lang.Long",
            _ => "java.lang.Double",
        },
        Some(JsonNode::String(_)) => "java.lang.String",
        Some(JsonNode::Array(_)) => "java.util.ArrayList",
        Some(JsonNode::Object(_)) => "java.util.HashMap",
    }
}

/// Java's `key.split("-")`: split on every `-`, then drop trailing empty segments (a
/// string without `-` is one segment, even if empty).
pub(crate) fn java_split_dash(s: &str) -> Vec<&str> {
    if !s.contains('-') {
        return vec![s];
    }
    let mut parts: Vec<&str> = s.split('-').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Parses `<prefix-segments>-<connector>-<n>` as Java's task-key parsers do: split with
/// [`java_split_dash`], require at least `skip + 2` segments, take the last as the task
/// number (`Integer.parseInt`: optional sign, ASCII digits) and join the segments between
/// with `-` as the connector. So connector names containing `-` work.
pub(crate) fn parse_task_key(key: &str, skip: usize) -> Option<(String, i32)> {
    let parts = java_split_dash(key);
    if parts.len() < skip + 2 {
        return None;
    }
    let (last, rest) = parts.split_last()?;
    let task = last.parse::<i32>().ok()?;
    Some((rest.get(skip..)?.join("-"), task))
}

/// What the config and status codec tests share: decodes Java's `key`/`value` bytes with
/// `decode`, checks the record against `expected`, and encodes it back to the same bytes.
#[cfg(test)]
pub(crate) fn assert_round_trip<R, E>(
    key: &str,
    value: Option<&str>,
    expected: R,
    decode: impl Fn(&str, Option<&[u8]>) -> Result<Option<R>, E>,
    encode: impl Fn(&R) -> (String, Option<Vec<u8>>),
) where
    R: PartialEq + std::fmt::Debug,
    E: std::fmt::Display,
{
    let decoded = decode(key, value.map(str::as_bytes))
        .unwrap_or_else(|e| panic!("{key}: {e}"))
        .unwrap_or_else(|| panic!("{key}: no record"));
    assert_eq!(decoded, expected, "{key}");
    let (k, v) = encode(&decoded);
    assert_eq!(k, key);
    assert_eq!(
        v.as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        value.map(str::to_string),
        "{key}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_drops_trailing_empty_segments_like_java() {
        assert_eq!(java_split_dash("task-a-b-0"), vec!["task", "a", "b", "0"]);
        assert_eq!(java_split_dash("task-a--1"), vec!["task", "a", "", "1"]);
        assert_eq!(java_split_dash("task-a-0--"), vec!["task", "a", "0"]);
        assert_eq!(java_split_dash("task"), vec!["task"]);
        assert_eq!(java_split_dash(""), vec![""]);
    }

    #[test]
    fn task_keys() {
        assert_eq!(parse_task_key("task-a-b-3", 1), Some(("a-b".into(), 3)));
        assert_eq!(parse_task_key("task-a--1", 1), Some(("a-".into(), 1)));
        assert_eq!(parse_task_key("task-a-+2", 1), Some(("a".into(), 2)));
        assert_eq!(parse_task_key("task-a-x", 1), None);
        assert_eq!(parse_task_key("task-0", 1), None);
        assert_eq!(
            parse_task_key("status-task-a-b-0", 2),
            Some(("a-b".into(), 0))
        );
        assert_eq!(parse_task_key("status-task-0", 2), None);
    }

    #[test]
    fn values_read_like_jackson() {
        assert_eq!(read_value(None).unwrap(), None);
        assert_eq!(read_value(Some(b"")).unwrap(), None);
        assert_eq!(read_value(Some(b"  ")).unwrap(), None);
        assert_eq!(read_value(Some(b"null")).unwrap(), None);
        let v = read_value(Some(br#"{"tasks":007} trailing"#))
            .unwrap()
            .unwrap();
        assert_eq!(int_value(v.get("tasks")), Some(7));
        assert!(read_value(Some(b"{")).is_err());
        let big = read_value(Some(br#"{"n":18446744073709551617}"#))
            .unwrap()
            .unwrap();
        assert_eq!(long_value(big.get("n")), Some(1));
        let dec = read_value(Some(br#"{"n":1.0}"#)).unwrap().unwrap();
        assert_eq!(long_value(dec.get("n")), None);
    }
}
