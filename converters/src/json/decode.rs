//! JSON payload → Connect value (`JsonConverter.convertToConnect`), with Jackson's lenient
//! accessors: numbers narrow like Java casts (300 as int8 is 44), a non-number reads as 0, a
//! non-boolean as false, a non-string as null and non-base64 bytes as null.

use base64::Engine as _;
use bigdecimal::BigDecimal;
use sluice_api::logical::{self, Logical};
use sluice_api::values::java_fmt;
use sluice_api::values::java_num::{
    bigint_low_i64, decimal_low_i64, decimal_to_f32, decimal_to_f64, parse_java_decimal,
};
use sluice_api::{ConnectError, ConnectResult, SchemaRef, Struct, Type, Value};

use super::codec::JsonCodec;
use super::node::{JsonNode, JsonNumber};

/// `JsonNode.longValue()`.
pub(crate) fn long_value(node: &JsonNode) -> i64 {
    match node {
        JsonNode::Number(JsonNumber::Int(v)) => *v,
        JsonNode::Number(JsonNumber::BigInt(v)) => bigint_low_i64(v),
        JsonNode::Number(JsonNumber::Decimal(t)) => {
            parse_java_decimal(t).map_or(0, |d| decimal_low_i64(&d))
        }
        JsonNode::Number(JsonNumber::Float(f)) => *f as i64,
        JsonNode::Number(JsonNumber::Double(d)) => *d as i64,
        _ => 0,
    }
}

/// `JsonNode.intValue()`.
pub(crate) fn int_value(node: &JsonNode) -> i32 {
    match node {
        JsonNode::Number(JsonNumber::Float(f)) => *f as i32,
        JsonNode::Number(JsonNumber::Double(d)) => *d as i32,
        other => long_value(other) as i32,
    }
}

/// `JsonNode.doubleValue()`.
pub(crate) fn double_value(node: &JsonNode) -> f64 {
    match node {
        JsonNode::Number(JsonNumber::Int(v)) => *v as f64,
        JsonNode::Number(JsonNumber::BigInt(v)) => v.to_string().parse().unwrap_or(0.0),
        JsonNode::Number(JsonNumber::Decimal(t)) => plain_decimal_to_f64(t)
            .unwrap_or_else(|| parse_java_decimal(t).map_or(0.0, |d| decimal_to_f64(&d))),
        JsonNode::Number(JsonNumber::Float(f)) => f64::from(*f),
        JsonNode::Number(JsonNumber::Double(d)) => *d,
        _ => 0.0,
    }
}

/// `BigDecimal.doubleValue()` of a literal without an exponent (`-12.345`), read straight
/// as a `double`: both are the nearest double to the same exact decimal, except that a
/// `BigDecimal` zero has no sign. `None` for any other literal (the general path reads it).
fn plain_decimal_to_f64(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    Some(if v == 0.0 { 0.0 } else { v })
}

/// `convertToConnect` without a schema, taking the tree apart: strings and member names are
/// moved into the value instead of copied. The same value as
/// [`JsonCodec::convert_to_connect`] with no schema.
pub(crate) fn schemaless_to_connect(node: JsonNode) -> Value {
    match node {
        JsonNode::Null => Value::Null,
        JsonNode::Bool(b) => Value::Boolean(b),
        n @ JsonNode::Number(_) => {
            if n.is_integral() {
                Value::Int64(long_value(&n))
            } else {
                Value::Float64(double_value(&n))
            }
        }
        JsonNode::String(s) => Value::String(s),
        JsonNode::Array(items) => {
            Value::Array(items.into_iter().map(schemaless_to_connect).collect())
        }
        JsonNode::Object(members) => Value::Map(
            members
                .into_iter()
                .map(|(k, v)| (Value::String(k), schemaless_to_connect(v)))
                .collect(),
        ),
    }
}

/// `JsonNode.floatValue()`.
pub(crate) fn float_value(node: &JsonNode) -> f32 {
    match node {
        JsonNode::Number(JsonNumber::Int(v)) => *v as f32,
        JsonNode::Number(JsonNumber::BigInt(v)) => v.to_string().parse().unwrap_or(0.0),
        JsonNode::Number(JsonNumber::Decimal(t)) => {
            parse_java_decimal(t).map_or(0.0, |d| decimal_to_f32(&d))
        }
        JsonNode::Number(JsonNumber::Float(f)) => *f,
        JsonNode::Number(JsonNumber::Double(d)) => *d as f32,
        _ => 0.0,
    }
}

/// `JsonNode.decimalValue()` of a number node.
fn decimal_value(n: &JsonNumber) -> BigDecimal {
    match n {
        JsonNumber::Int(v) => BigDecimal::from(*v),
        JsonNumber::BigInt(v) => BigDecimal::new(v.clone(), 0),
        JsonNumber::Decimal(t) => parse_java_decimal(t).unwrap_or_default(),
        JsonNumber::Float(f) => {
            parse_java_decimal(&java_fmt::double_to_string(f64::from(*f))).unwrap_or_default()
        }
        JsonNumber::Double(d) => {
            parse_java_decimal(&java_fmt::double_to_string(*d)).unwrap_or_default()
        }
    }
}

/// Jackson's base64 reading (`binaryValue()` of a text node): the standard alphabet with
/// padding; white space is skipped.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let compact: String = text.chars().filter(|c| *c > ' ').collect();
    ENGINE.decode(compact).ok()
}

impl JsonCodec {
    /// `convertToConnect(schema, json)`: the Connect value of a payload. `node` is `None` for
    /// a missing struct member, which reads as null.
    ///
    /// A null with a schema becomes the schema's default when `replace.null.with.default` is on
    /// and there is one, null when the schema is optional, and is an error
    /// (`Invalid null value for required <TYPE> field`) otherwise. Without a schema, the type is
    /// inferred: integers are INT64, other numbers FLOAT64, objects maps with string keys.
    pub fn convert_to_connect(
        &self,
        schema: Option<&SchemaRef>,
        node: Option<&JsonNode>,
    ) -> ConnectResult<Value> {
        let node = node.filter(|n| !n.is_null());
        let (schema_type, node) = match (schema, node) {
            (Some(s), None) => {
                if let (Some(d), true) = (&s.default, self.config.replace_null_with_default) {
                    return Ok(d.clone());
                }
                if s.optional || self.unvalidated {
                    return Ok(Value::Null);
                }
                return Err(ConnectError::data(format!(
                    "Invalid null value for required {} field",
                    s.schema_type
                )));
            }
            (None, None) => return Ok(Value::Null),
            (Some(s), Some(n)) => (s.schema_type, n),
            (None, Some(n)) => (
                match n {
                    JsonNode::Bool(_) => Type::Boolean,
                    JsonNode::Number(_) if n.is_integral() => Type::Int64,
                    JsonNode::Number(_) => Type::Float64,
                    JsonNode::Array(_) => Type::Array,
                    JsonNode::Object(_) => Type::Map,
                    // `String`; `Null` was filtered out above.
                    _ => Type::String,
                },
                n,
            ),
        };
        if let Some((s, l)) = schema.and_then(|s| Logical::of(s).map(|l| (s, l))) {
            return logical_to_connect(l, s, node);
        }
        Ok(match schema_type {
            Type::Boolean => Value::Boolean(matches!(node, JsonNode::Bool(true))),
            Type::Int8 => Value::Int8(int_value(node) as i8),
            Type::Int16 => Value::Int16(int_value(node) as i16),
            Type::Int32 => Value::Int32(int_value(node)),
            Type::Int64 => Value::Int64(long_value(node)),
            Type::Float32 => Value::Float32(float_value(node)),
            Type::Float64 => Value::Float64(double_value(node)),
            Type::String => node
                .as_str()
                .map_or(Value::Null, |s| Value::String(s.to_string())),
            Type::Bytes => match node {
                JsonNode::String(s) => Value::Bytes(
                    decode_base64(s).ok_or_else(|| ConnectError::data("Invalid bytes field"))?,
                ),
                _ => Value::Null,
            },
            Type::Array => {
                let element = schema.and_then(|s| s.value_schema.as_ref());
                let items: Vec<&JsonNode> = match node {
                    JsonNode::Array(items) => items.iter().collect(),
                    JsonNode::Object(m) => m.values().collect(),
                    _ => Vec::new(),
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.convert_to_connect(element, Some(item))?);
                }
                Value::Array(out)
            }
            Type::Map => self.map_to_connect(schema, node)?,
            Type::Struct => {
                let JsonNode::Object(members) = node else {
                    return Err(ConnectError::data(format!(
                        "Structs should be encoded as JSON objects, but found {}",
                        node.node_type()
                    )));
                };
                // A STRUCT type implies a schema: schemaless objects are maps.
                let Some(schema) = schema else {
                    return Err(ConnectError::data("Unknown schema type: null"));
                };
                let mut out = Struct::new(schema.clone());
                for field in &schema.fields {
                    let v =
                        self.convert_to_connect(Some(&field.schema), members.get(&field.name))?;
                    if self.unvalidated {
                        out.put_unchecked(&field.name, v)?;
                    } else {
                        out.put(&field.name, v)?;
                    }
                }
                Value::Struct(out)
            }
        })
    }

    fn map_to_connect(&self, schema: Option<&SchemaRef>, node: &JsonNode) -> ConnectResult<Value> {
        let key_schema = schema.and_then(|s| s.key_schema.as_ref());
        let value_schema = schema.and_then(|s| s.value_schema.as_ref());
        let string_keys =
            schema.is_none() || key_schema.is_none_or(|k| k.schema_type == Type::String);
        if string_keys {
            let JsonNode::Object(members) = node else {
                return Err(ConnectError::data(format!(
                    "Maps with string fields should be encoded as JSON objects, but found {}",
                    node.node_type()
                )));
            };
            let mut out = Vec::with_capacity(members.len());
            for (k, v) in members {
                out.push((
                    Value::String(k.clone()),
                    self.convert_to_connect(value_schema, Some(v))?,
                ));
            }
            return Ok(Value::Map(out));
        }
        let JsonNode::Array(entries) = node else {
            return Err(ConnectError::data(format!(
                "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
                node.node_type()
            )));
        };
        let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
        for entry in entries {
            let JsonNode::Array(pair) = entry else {
                return Err(ConnectError::data(format!(
                    "Found invalid map entry instead of array tuple: {}",
                    entry.node_type()
                )));
            };
            if pair.len() != 2 {
                return Err(ConnectError::data(format!(
                    "Found invalid map entry, expected length 2 but found :{}",
                    pair.len()
                )));
            }
            let k = self.convert_to_connect(key_schema, pair.first())?;
            let v = self.convert_to_connect(value_schema, pair.get(1))?;
            match out.iter_mut().find(|(existing, _)| *existing == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k, v)),
            }
        }
        Ok(Value::Map(out))
    }
}

fn logical_to_connect(
    logical: Logical,
    schema: &sluice_api::Schema,
    node: &JsonNode,
) -> ConnectResult<Value> {
    match logical {
        Logical::Decimal => match node {
            JsonNode::Number(n) => Ok(Value::Decimal(decimal_value(n))),
            JsonNode::String(s) => {
                let bytes = decode_base64(s)
                    .ok_or_else(|| ConnectError::data("Invalid bytes for Decimal field"))?;
                logical::decimal_from_bytes(schema, &bytes)
                    .map(Value::Decimal)
                    .map_err(|e| ConnectError::data(format!("Invalid bytes for Decimal field: {e}")))
            }
            other => Err(ConnectError::data(format!(
                "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
                other.node_type()
            ))),
        },
        Logical::Date => {
            if !node.is_int() {
                return Err(ConnectError::data(format!(
                    "Invalid type for Date, underlying representation should be integer but was {}",
                    node.node_type()
                )));
            }
            Ok(Value::Date(logical::days_to_date(int_value(node))))
        }
        Logical::Time => {
            if !node.is_int() {
                return Err(ConnectError::data(format!(
                    "Invalid type for Time, underlying representation should be integer but was {}",
                    node.node_type()
                )));
            }
            Ok(Value::Date(logical::millis_to_time(int_value(node))?))
        }
        Logical::Timestamp => {
            if !node.is_integral() {
                return Err(ConnectError::data(format!(
                    "Invalid type for Timestamp, underlying representation should be integral but was {}",
                    node.node_type()
                )));
            }
            Ok(Value::Date(long_value(node)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemaless_by_value_matches_the_general_path() {
        let json = br#"{"s":"x\u00e9","i":-3,"big":123456789012345678901234567890,
            "d":52.520123,"e":1.5E+3,"z":-0.0,"b":true,"n":null,"a":[1,"two",[3.5],{"k":false}],
            "o":{"inner":{"deep":[]}},"dup":1,"dup":2}"#;
        let node = super::super::parse::parse(json).unwrap().unwrap();
        let codec = JsonCodec::new(Default::default());
        let general = codec.convert_to_connect(None, Some(&node)).unwrap();
        assert_eq!(schemaless_to_connect(node), general);
        for scalar in ["null", "7", "\"s\"", "[]", "{}", "0.1"] {
            let node = super::super::parse::parse(scalar.as_bytes())
                .unwrap()
                .unwrap();
            let general = codec.convert_to_connect(None, Some(&node)).unwrap();
            assert_eq!(schemaless_to_connect(node), general, "{scalar}");
        }
    }

    #[test]
    fn plain_decimals_read_as_the_big_decimal_path_reads_them() {
        for text in [
            "52.520123",
            "13.404567",
            "-0.000001",
            "0.1",
            "123456789012345678901234567890.123456789",
            "0.30000000000000004441",
            "9007199254740993.0",
            "-2.5",
            "1.0",
        ] {
            let general = parse_java_decimal(text).map_or(0.0, |d| decimal_to_f64(&d));
            let fast = plain_decimal_to_f64(text).expect("a plain literal");
            assert_eq!(fast.to_bits(), general.to_bits(), "{text}");
        }
        // A BigDecimal zero has no sign.
        assert_eq!(plain_decimal_to_f64("-0.0").map(f64::to_bits), Some(0));
        assert_eq!(
            double_value(&JsonNode::Number(JsonNumber::Decimal("-0.00".into()))).to_bits(),
            0
        );
        // Exponents go the general way.
        assert_eq!(plain_decimal_to_f64("1.5E+3"), None);
        assert_eq!(
            double_value(&JsonNode::Number(JsonNumber::Decimal("1.5E+3".into()))),
            1500.0
        );
    }
}
