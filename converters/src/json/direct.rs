//! Schemaless JSON read straight from its bytes into a [`Value`], without a [`JsonNode`] tree:
//! strings and member names are moved into the value, objects become maps as they are read.
//!
//! Its two users differ in how numbers and some objects read, so they pass [`DirectRules`]:
//! the JsonConverter's schemaless values ([`ConverterRules`]) and the record JSON's
//! (`record_json::fast`). Anything the rules or the reader do not handle gives up (`None`):
//! the caller then reads the same bytes through the tree, which gives the same value or the
//! error with its exact message. Objects of more than [`MAX_DIRECT_MEMBERS`] members (repeated
//! names are looked for by a linear scan) and nesting deeper than [`MAX_DIRECT_DEPTH`] give up
//! too.
//!
//! [`JsonNode`]: super::JsonNode

use sluice_api::Value;

use super::parse::{parse_long, Reader};

/// Objects with more members than this are read through the tree.
pub(crate) const MAX_DIRECT_MEMBERS: usize = 32;

/// Nesting deeper than this is read through the tree (which enforces the depth limit).
pub(crate) const MAX_DIRECT_DEPTH: usize = 64;

/// What differs between the users of the direct reader.
pub(crate) trait DirectRules {
    /// The value of a number literal (`integral`: no fraction, no exponent); `None` gives up.
    fn number(&mut self, literal: &[u8], integral: bool) -> Option<Value>;

    /// An object whose first member is named `first`, when it is not read as a map: `Some`
    /// with the value read (the reader was put back at the object's `{`, at `start`), or with
    /// `None` to give up; `None` reads the object as a map.
    fn object_named(
        &mut self,
        r: &mut Reader<'_>,
        start: usize,
        first: &str,
        depth: usize,
    ) -> Option<Option<Value>>;
}

/// The JsonConverter's schemaless reading (`convertToConnect` without a schema): an integral
/// number in a `long`'s range is an `INT64`, a plain decimal (no exponent) the nearest `FLOAT64`
/// (`BigDecimal.doubleValue()`: a zero has no sign); other numbers give up.
pub(crate) struct ConverterRules;

impl DirectRules for ConverterRules {
    fn number(&mut self, literal: &[u8], integral: bool) -> Option<Value> {
        if integral {
            return parse_long(literal).map(Value::Int64);
        }
        if literal.iter().any(|b| matches!(b, b'e' | b'E')) {
            return None;
        }
        let v: f64 = std::str::from_utf8(literal).ok()?.parse().ok()?;
        Some(Value::Float64(if v == 0.0 { 0.0 } else { v }))
    }

    fn object_named(
        &mut self,
        _r: &mut Reader<'_>,
        _start: usize,
        _first: &str,
        _depth: usize,
    ) -> Option<Option<Value>> {
        None
    }
}

/// The whole of `bytes` as one schemaless value under `rules`: `None` when anything but
/// whitespace follows it, or the value gives up (see the module doc).
pub(crate) fn read_all(bytes: &[u8], rules: &mut impl DirectRules) -> Option<Value> {
    let mut r = Reader::new(bytes);
    r.skip_ws().ok()?;
    let value = read(&mut r, 0, rules)?;
    r.skip_ws().ok()?;
    r.peek().is_none().then_some(value)
}

/// One value at the reader's position.
pub(crate) fn read(
    r: &mut Reader<'_>,
    depth: usize,
    rules: &mut impl DirectRules,
) -> Option<Value> {
    if depth > MAX_DIRECT_DEPTH {
        return None;
    }
    match r.peek()? {
        b'{' => object(r, depth, rules),
        b'[' => {
            r.pos += 1;
            let mut items = Vec::new();
            r.skip_ws().ok()?;
            if r.peek()? == b']' {
                r.pos += 1;
                return Some(Value::Array(items));
            }
            loop {
                r.skip_ws().ok()?;
                items.push(read(r, depth + 1, rules)?);
                if after_item(r, b']')? {
                    return Some(Value::Array(items));
                }
            }
        }
        b'"' => r.string().ok().map(Value::String),
        b'-' | b'0'..=b'9' => {
            let (start, integral) = r.scan_number().ok()?;
            rules.number(r.since(start), integral)
        }
        b't' => r
            .literal("true", super::JsonNode::Null)
            .ok()
            .map(|_| Value::Boolean(true)),
        b'f' => r
            .literal("false", super::JsonNode::Null)
            .ok()
            .map(|_| Value::Boolean(false)),
        b'n' => r
            .literal("null", super::JsonNode::Null)
            .ok()
            .map(|_| Value::Null),
        _ => None,
    }
}

/// A member name and the `:` after it.
pub(crate) fn member_name(r: &mut Reader<'_>) -> Option<String> {
    if r.peek()? != b'"' {
        return None;
    }
    let name = r.string().ok()?;
    r.skip_ws().ok()?;
    if r.peek()? != b':' {
        return None;
    }
    r.pos += 1;
    r.skip_ws().ok()?;
    Some(name)
}

/// An object: a map whose repeated member replaces the earlier value in its place (as the
/// tree's objects do), unless the rules read it otherwise.
fn object(r: &mut Reader<'_>, depth: usize, rules: &mut impl DirectRules) -> Option<Value> {
    let start = r.pos;
    r.pos += 1;
    let mut entries: Vec<(Value, Value)> = Vec::new();
    r.skip_ws().ok()?;
    if r.peek()? == b'}' {
        r.pos += 1;
        return Some(Value::Map(entries));
    }
    loop {
        r.skip_ws().ok()?;
        let name = member_name(r)?;
        if entries.is_empty() {
            if let Some(read) = rules.object_named(r, start, &name, depth) {
                return read;
            }
        }
        let value = read(r, depth + 1, rules)?;
        if let Some((_, v)) = entries.iter_mut().find(|(k, _)| k.as_str() == Some(&name)) {
            *v = value;
        } else if entries.len() < MAX_DIRECT_MEMBERS {
            entries.push((Value::String(name), value));
        } else {
            return None;
        }
        if after_item(r, b'}')? {
            return Some(Value::Map(entries));
        }
    }
}

/// What follows an item of an array or object: `Some(true)` at the container's `close`,
/// `Some(false)` after a `,` (both consumed), `None` (give up) at anything else.
pub(crate) fn after_item(r: &mut Reader<'_>, close: u8) -> Option<bool> {
    r.skip_ws().ok()?;
    let closed = match r.peek()? {
        b',' => false,
        c if c == close => true,
        _ => return None,
    };
    r.pos += 1;
    Some(closed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::decode::schemaless_to_connect;
    use crate::json::parse::parse;

    /// The tree path's value, as the converter reads it without the direct reader.
    fn tree(bytes: &[u8]) -> Option<Value> {
        parse(bytes)
            .ok()
            .map(|n| n.map_or(Value::Null, schemaless_to_connect))
    }

    /// Compared by their debug text, so that `-0.0` and `0.0` differ.
    fn same(a: &Value, b: &Value) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn the_converter_reads_directly_what_the_tree_reads() {
        for json in [
            r#"{"id":7,"name":"x","lat":48.8566,"lon":-2.3522,"tags":["a","b"],"ok":true,"n":null}"#,
            r#"  {"a" : {"b" : [1, -2, 3.50, {"c": "\u00e9\n"}]}}  "#,
            r#"{"dup":1,"other":2,"dup":3}"#,
            "\u{feff}{\"bom\":1}",
            "[]",
            "{}",
            r#""text""#,
            "42",
            "-0.0",
            "0.000",
            "9223372036854775807",
            "-9223372036854775808",
            "true",
            "null",
            r#"{"$int8":1}"#,
        ] {
            let direct = read_all(json.as_bytes(), &mut ConverterRules)
                .unwrap_or_else(|| panic!("{json} is read directly"));
            let tree = tree(json.as_bytes()).expect("valid JSON");
            assert!(same(&direct, &tree), "{json}: {direct:?} != {tree:?}");
        }
    }

    #[test]
    fn what_the_direct_reader_gives_up_on_is_left_to_the_tree() {
        let many = format!(
            "{{{}}}",
            (0..=MAX_DIRECT_MEMBERS)
                .map(|i| format!("\"m{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let deep = format!("{}1{}", "[".repeat(70), "]".repeat(70));
        for json in [
            // Exponents and numbers beyond a long: read through BigDecimal / BigInteger.
            "1e3",
            "-2.5E-3",
            "9223372036854775808",
            // Trailing content: an error after a root number, ignored after anything else.
            "1 x",
            "1x",
            r#"{"a":1} trailing"#,
            // Invalid JSON: the tree reports it.
            r#"{"a":}"#,
            "[1,]",
            "",
            "   ",
            &many,
            &deep,
        ] {
            assert!(
                read_all(json.as_bytes(), &mut ConverterRules).is_none(),
                "{json} is left to the tree"
            );
        }
    }
}
