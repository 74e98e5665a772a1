//! Connect value → JSON payload (`JsonConverter.convertToJson`).

use base64::Engine as _;
use sluice_api::logical::{self, Logical};
use sluice_api::values::java_fmt;
use sluice_api::{ConnectError, ConnectResult, Schema, Type, Value};

use super::codec::JsonCodec;
use super::config::DecimalFormat;
use super::node::{JsonNode, JsonNumber};
use crate::class_of;

impl JsonCodec {
    /// `convertToJson(schema, value)`: the JSON payload of a value; `None` is Java's `null`
    /// (a null value without a schema).
    ///
    /// A null value becomes the schema's default when `replace.null.with.default` is on and
    /// there is one, JSON `null` when the schema is optional, and is an error otherwise. Struct
    /// fields are written from their raw values (`getWithoutDefault`), so a null field goes
    /// through the same rule with its own schema.
    pub fn convert_to_json(
        &self,
        schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<Option<JsonNode>> {
        if value.is_null() {
            let Some(schema) = schema else {
                return Ok(None);
            };
            if let (Some(default), true) = (&schema.default, self.config.replace_null_with_default)
            {
                return self.convert_to_json(Some(schema), default);
            }
            if schema.optional || self.unvalidated {
                return Ok(Some(JsonNode::Null));
            }
            return Err(ConnectError::data(
                "Conversion error: null value for field that is required and has no default value",
            ));
        }
        if let Some((schema, logical)) = schema.and_then(|s| Logical::of(s).map(|l| (s, l))) {
            return self.logical_to_json(logical, schema, value).map(Some);
        }
        let schema_type = match schema {
            Some(s) => s.schema_type,
            None => value.inferred_type().ok_or_else(|| {
                ConnectError::data(format!(
                    "Java class {} does not have corresponding schema type.",
                    class_of(value)
                ))
            })?,
        };
        let invalid = || {
            let type_str = schema.map_or_else(
                || "unknown schema".to_string(),
                |s| s.schema_type.to_string(),
            );
            ConnectError::data(format!("Invalid type for {type_str}: {}", class_of(value)))
        };
        let node = match (schema_type, value) {
            (Type::Int8, Value::Int8(v)) => int(i64::from(*v)),
            (Type::Int16, Value::Int16(v)) => int(i64::from(*v)),
            (Type::Int32, Value::Int32(v)) => int(i64::from(*v)),
            (Type::Int64, Value::Int64(v)) => int(*v),
            (Type::Float32, Value::Float32(v)) => JsonNode::Number(JsonNumber::Float(*v)),
            (Type::Float64, Value::Float64(v)) => JsonNode::Number(JsonNumber::Double(*v)),
            (Type::Boolean, Value::Boolean(v)) => JsonNode::Bool(*v),
            (Type::String, Value::String(s)) => JsonNode::String(s.clone()),
            (Type::Bytes, Value::Bytes(b)) => JsonNode::String(base64(b)),
            (Type::Bytes, other) => {
                return Err(ConnectError::data(format!(
                    "Invalid type for bytes type: {}",
                    class_of(other)
                )))
            }
            (Type::Array, Value::Array(items)) => {
                let element = schema.and_then(|s| s.value_schema.as_deref());
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.convert_to_json(element, item)?.unwrap_or_default());
                }
                JsonNode::Array(out)
            }
            (Type::Map, Value::Map(entries)) => self.map_to_json(schema, entries)?,
            (Type::Struct, Value::Struct(s)) => {
                let Some(schema) = schema else {
                    return Err(ConnectError::data("Mismatching schema."));
                };
                if !std::ptr::eq(s.schema().as_ref(), schema) && s.schema().as_ref() != schema {
                    return Err(ConnectError::data("Mismatching schema."));
                }
                let mut obj = crate::json::node::object_with_capacity(schema.fields.len());
                for field in &schema.fields {
                    let raw = s.get_index(field.index);
                    let node = self.convert_to_json(Some(&field.schema), raw)?;
                    obj.insert(field.name.clone(), node.unwrap_or_default());
                }
                JsonNode::Object(obj)
            }
            _ => return Err(invalid()),
        };
        Ok(Some(node))
    }

    fn map_to_json(
        &self,
        schema: Option<&Schema>,
        entries: &[(Value, Value)],
    ) -> ConnectResult<JsonNode> {
        let key_schema = schema.and_then(|s| s.key_schema.as_deref());
        let value_schema = schema.and_then(|s| s.value_schema.as_deref());
        let object_mode = match schema {
            None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
            Some(_) => key_schema.is_some_and(|k| k.schema_type == Type::String),
        };
        if object_mode {
            let mut obj = crate::json::node::object_with_capacity(entries.len());
            for (k, v) in entries {
                let key = self.convert_to_json(key_schema, k)?;
                let value = self.convert_to_json(value_schema, v)?;
                obj.insert(as_text(key.as_ref()), value.unwrap_or_default());
            }
            Ok(JsonNode::Object(obj))
        } else {
            let mut list = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let key = self.convert_to_json(key_schema, k)?.unwrap_or_default();
                let value = self.convert_to_json(value_schema, v)?.unwrap_or_default();
                list.push(JsonNode::Array(vec![key, value]));
            }
            Ok(JsonNode::Array(list))
        }
    }

    fn logical_to_json(
        &self,
        logical: Logical,
        schema: &Schema,
        value: &Value,
    ) -> ConnectResult<JsonNode> {
        let wrong = |name: &str, expected: &str| {
            ConnectError::data(format!(
                "Invalid type for {name}, expected {expected} but was {}",
                class_of(value)
            ))
        };
        Ok(match (logical, value) {
            (Logical::Decimal, Value::Decimal(d)) => match self.config.decimal_format {
                DecimalFormat::Numeric => {
                    JsonNode::Number(JsonNumber::Decimal(java_fmt::decimal_to_string(d)))
                }
                DecimalFormat::Base64 => {
                    JsonNode::String(base64(&logical::decimal_to_bytes(schema, d)?))
                }
            },
            (Logical::Decimal, _) => return Err(wrong("Decimal", "BigDecimal")),
            (Logical::Date, Value::Date(ms)) => int(i64::from(logical::date_to_days(*ms)?)),
            (Logical::Date, _) => return Err(wrong("Date", "Date")),
            (Logical::Time, Value::Date(ms)) => int(i64::from(logical::time_to_millis(*ms)?)),
            (Logical::Time, _) => return Err(wrong("Time", "Date")),
            (Logical::Timestamp, Value::Date(ms)) => int(*ms),
            (Logical::Timestamp, _) => return Err(wrong("Timestamp", "Date")),
        })
    }
}

fn int(v: i64) -> JsonNode {
    JsonNode::Number(JsonNumber::Int(v))
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Jackson's `JsonNode.asText()` for a map key.
fn as_text(node: Option<&JsonNode>) -> String {
    match node {
        None | Some(JsonNode::Null) => "null".to_string(),
        Some(JsonNode::String(s)) => s.clone(),
        Some(JsonNode::Bool(b)) => b.to_string(),
        Some(n @ JsonNode::Number(_)) => {
            String::from_utf8_lossy(&super::write::to_bytes(n)).into_owned()
        }
        Some(JsonNode::Array(_) | JsonNode::Object(_)) => String::new(),
    }
}
