//! The JSON form of Connect schemas (`JsonConverter.asJsonSchema` / `asConnectSchema`).
//!
//! Written members, in this order: `type` (`float`/`double` for FLOAT32/FLOAT64), then
//! `fields` (struct), `items` (array) or `keys` and `values` (map), then `optional` (always), and
//! `name`, `version`, `doc`, `parameters`, `default` when set. A struct field is its schema's
//! object with `"field": <name>` appended last.
//!
//! Reading is as lenient as Java's: `optional` counts only as the boolean `true`, `version` only
//! when integral, `name`/`doc` only when strings; unknown members are ignored.

use std::sync::Arc;

use sluice_api::{ConnectError, ConnectResult, SchemaBuilder, SchemaRef, Type, Value};

use super::codec::JsonCodec;
use super::node::{JsonNode, JsonNumber};

/// The JSON name of a schema type.
pub fn type_name(t: Type) -> &'static str {
    match t {
        Type::Float32 => "float",
        Type::Float64 => "double",
        other => other.name(),
    }
}

fn type_from_name(name: &str) -> Option<Type> {
    Some(match name {
        "boolean" => Type::Boolean,
        "int8" => Type::Int8,
        "int16" => Type::Int16,
        "int32" => Type::Int32,
        "int64" => Type::Int64,
        "float" => Type::Float32,
        "double" => Type::Float64,
        "bytes" => Type::Bytes,
        "string" => Type::String,
        "array" => Type::Array,
        "map" => Type::Map,
        "struct" => Type::Struct,
        _ => return None,
    })
}

impl JsonCodec {
    /// `asJsonSchema(schema)`: the schema's JSON object (cached).
    pub fn as_json_schema(&mut self, schema: &SchemaRef) -> ConnectResult<Arc<JsonNode>> {
        if let Some(cached) = self.cached_json_schema(schema) {
            return Ok(cached);
        }
        let mut obj = crate::json::node::JsonObject::default();
        obj.insert(
            "type".to_string(),
            JsonNode::String(type_name(schema.schema_type).to_string()),
        );
        match schema.schema_type {
            Type::Array => {
                let items = self.optional_json_schema(schema.value_schema.as_ref())?;
                obj.insert("items".to_string(), items);
            }
            Type::Map => {
                let keys = self.optional_json_schema(schema.key_schema.as_ref())?;
                let values = self.optional_json_schema(schema.value_schema.as_ref())?;
                obj.insert("keys".to_string(), keys);
                obj.insert("values".to_string(), values);
            }
            Type::Struct => {
                let mut fields = Vec::with_capacity(schema.fields.len());
                for field in &schema.fields {
                    let mut node = (*self.as_json_schema(&field.schema)?).clone();
                    if let JsonNode::Object(m) = &mut node {
                        m.insert("field".to_string(), JsonNode::String(field.name.clone()));
                    }
                    fields.push(node);
                }
                obj.insert("fields".to_string(), JsonNode::Array(fields));
            }
            _ => {}
        }
        obj.insert("optional".to_string(), JsonNode::Bool(schema.optional));
        if let Some(name) = &schema.name {
            obj.insert("name".to_string(), JsonNode::String(name.clone()));
        }
        if let Some(version) = schema.version {
            obj.insert(
                "version".to_string(),
                JsonNode::Number(JsonNumber::Int(i64::from(version))),
            );
        }
        if let Some(doc) = &schema.doc {
            obj.insert("doc".to_string(), JsonNode::String(doc.clone()));
        }
        if let Some(params) = &schema.parameters {
            let params = params
                .iter()
                .map(|(k, v)| (k.clone(), JsonNode::String(v.clone())))
                .collect();
            obj.insert("parameters".to_string(), JsonNode::Object(params));
        }
        if let Some(default) = &schema.default {
            let node = match default {
                // Record JSON: a struct default is built against the schema without its
                // default (see `as_connect_schema`), so it is written by its own schema.
                Value::Struct(s) if self.unvalidated => {
                    let own = s.schema().clone();
                    self.convert_to_json(Some(&own), default)?
                }
                _ => self.convert_to_json(Some(schema), default)?,
            };
            obj.insert("default".to_string(), node.unwrap_or(JsonNode::Null));
        }
        let node = Arc::new(JsonNode::Object(obj));
        self.cache_json_schema(schema, node.clone());
        Ok(node)
    }

    fn optional_json_schema(&mut self, schema: Option<&SchemaRef>) -> ConnectResult<JsonNode> {
        Ok(match schema {
            Some(s) => (*self.as_json_schema(s)?).clone(),
            None => JsonNode::Null,
        })
    }

    /// `asConnectSchema(json)`: `None` for a JSON `null` (schemaless data), otherwise the schema
    /// (cached), or Java's DataException message when the JSON is not a schema.
    pub fn as_connect_schema(&mut self, node: &JsonNode) -> ConnectResult<Option<SchemaRef>> {
        if node.is_null() {
            return Ok(None);
        }
        if let Some(cached) = self.to_connect.get(node) {
            return Ok(Some(cached));
        }
        let type_name = node
            .get("type")
            .and_then(JsonNode::as_str)
            .ok_or_else(|| ConnectError::data("Schema must contain 'type' field"))?;
        let schema_type = type_from_name(type_name)
            .ok_or_else(|| ConnectError::data(format!("Unknown schema type: {type_name}")))?;
        let mut builder = match schema_type {
            Type::Array => {
                let items = node.get("items").filter(|n| !n.is_null()).ok_or_else(|| {
                    ConnectError::data("Array schema did not specify the element type")
                })?;
                let element = self.required_schema(items, "valueSchema")?;
                SchemaBuilder::array(element)
            }
            Type::Map => {
                let keys = node
                    .get("keys")
                    .ok_or_else(|| ConnectError::data("Map schema did not specify the key type"))?;
                let values = node.get("values").ok_or_else(|| {
                    ConnectError::data("Map schema did not specify the value type")
                })?;
                let keys = self.required_schema(keys, "keySchema")?;
                let values = self.required_schema(values, "valueSchema")?;
                SchemaBuilder::map(keys, values)
            }
            Type::Struct => {
                let Some(JsonNode::Array(fields)) = node.get("fields") else {
                    return Err(ConnectError::data(
                        "Struct schema's \"fields\" argument is not an array.",
                    ));
                };
                let mut b = SchemaBuilder::struct_();
                for field in fields {
                    let name = field
                        .get("field")
                        .and_then(JsonNode::as_str)
                        .ok_or_else(|| {
                            ConnectError::data("Struct schema's field name not specified properly")
                        })?;
                    let field_schema = self.required_schema(field, "field schema")?;
                    b = b.field(name, field_schema)?;
                }
                b
            }
            other => SchemaBuilder::new(other),
        };
        builder = builder.with_optional(matches!(node.get("optional"), Some(JsonNode::Bool(true))));
        if let Some(name) = node.get("name").and_then(JsonNode::as_str) {
            builder = builder.name(name);
        }
        if let Some(version) = node.get("version").filter(|v| v.is_integral()) {
            builder = builder.version(super::decode::int_value(version));
        }
        if let Some(doc) = node.get("doc").and_then(JsonNode::as_str) {
            builder = builder.doc(doc);
        }
        if let Some(JsonNode::Object(params)) = node.get("parameters") {
            for (k, v) in params {
                let v = v.as_str().ok_or_else(|| {
                    ConnectError::data("Schema parameters must have string values.")
                })?;
                builder = builder.parameter(k.clone(), v);
            }
        }
        if let Some(default_node) = node.get("default") {
            let so_far: SchemaRef = Arc::new(builder.clone().build());
            let default = self.convert_to_connect(Some(&so_far), Some(default_node))?;
            if matches!(default, Value::Struct(_)) && !self.unvalidated {
                // Java validates a struct default against the SchemaBuilder itself, which never
                // equals the struct's built schema: JsonConverter cannot read struct defaults.
                // Record JSON can: the default is a Struct of the schema built so far (every
                // attribute but the default), as `new Struct(builder)` makes it in Java.
                return Err(ConnectError::data(
                    "Invalid default value: Struct schemas do not match.",
                ));
            }
            if !default.is_null() {
                builder = builder.default_value(default)?;
            }
        }
        let schema = builder.build_ref();
        self.to_connect.put(node.clone(), schema.clone());
        Ok(Some(schema))
    }

    fn required_schema(&mut self, node: &JsonNode, what: &str) -> ConnectResult<SchemaRef> {
        self.as_connect_schema(node)?
            .ok_or_else(|| ConnectError::data(format!("{what} cannot be null.")))
    }
}
