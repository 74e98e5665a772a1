//! Elasticsearch mappings built from Connect schemas (`schema.ignore=false`), as Confluent's
//! `Mapping` builds them.

use serde_json::{json, Map, Value as Json};
use sluice_api::logical::Logical;
use sluice_api::{ConnectError, Schema, Type, Value};

use super::document::{preprocessed, DocumentOptions};

/// The mapping body for `PUT /{index}/_mapping` from a record's value schema. A struct schema
/// gives `{"properties":{…}}`.
pub fn build_mapping(schema: Option<&Schema>) -> Result<Json, ConnectError> {
    let schema =
        schema.ok_or_else(|| ConnectError::data("Cannot infer mapping without schema."))?;
    field_mapping(schema)
}

fn typed(ty: &str) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("type".into(), Json::String(ty.into()));
    m
}

fn field_mapping(schema: &Schema) -> Result<Json, ConnectError> {
    if let Some(logical) = Logical::of(schema) {
        let mut m = match logical {
            Logical::Decimal => typed("double"),
            Logical::Date | Logical::Time | Logical::Timestamp => typed("date"),
        };
        add_null_value(&mut m, schema)?;
        return Ok(Json::Object(m));
    }
    let mut m = match schema.schema_type {
        Type::Boolean => typed("boolean"),
        Type::Int8 => typed("byte"),
        Type::Int16 => typed("short"),
        Type::Int32 => typed("integer"),
        Type::Int64 => typed("long"),
        Type::Float32 => typed("float"),
        Type::Float64 => typed("double"),
        Type::String => {
            let mut m = typed("text");
            m.insert(
                "fields".into(),
                json!({"keyword": {"type": "keyword", "ignore_above": 256}}),
            );
            return Ok(Json::Object(m));
        }
        Type::Bytes => return Ok(Json::Object(typed("binary"))),
        Type::Array => {
            return match &schema.value_schema {
                Some(element) => field_mapping(element),
                None => Err(ConnectError::data(
                    "Array schema without an element schema.",
                )),
            }
        }
        Type::Map => {
            let (Some(k), Some(v)) = (&schema.key_schema, &schema.value_schema) else {
                return Err(ConnectError::data(
                    "Map schema without key or value schema.",
                ));
            };
            return Ok(
                json!({"properties": {"key": field_mapping(k)?, "value": field_mapping(v)?}}),
            );
        }
        Type::Struct => {
            let mut props = Map::new();
            for f in &schema.fields {
                props.insert(f.name.clone(), field_mapping(&f.schema)?);
            }
            return Ok(json!({ "properties": props }));
        }
    };
    add_null_value(&mut m, schema)?;
    Ok(Json::Object(m))
}

/// `"null_value": <default>` for numeric, boolean and date types with a default.
fn add_null_value(m: &mut Map<String, Json>, schema: &Schema) -> Result<(), ConnectError> {
    let Some(default) = &schema.default else {
        return Ok(());
    };
    let v = match (Logical::of(schema), default) {
        (Some(Logical::Date | Logical::Time | Logical::Timestamp), Value::Date(ms)) => {
            Json::from(*ms)
        }
        _ => preprocessed(
            schema,
            default,
            DocumentOptions {
                schema_aware: true,
                compact_map_entries: true,
            },
        )?,
    };
    m.insert("null_value".into(), v);
    Ok(())
}

/// True when a `GET /{index}/_mapping` answer carries no mapping yet.
pub fn is_empty_mapping(answer: &Json, index: &str) -> bool {
    let mappings = answer
        .get(index)
        .or_else(|| answer.as_object().and_then(|o| o.values().next()))
        .and_then(|i| i.get("mappings"));
    match mappings {
        None | Some(Json::Null) => true,
        Some(m) => {
            m.as_object().is_none_or(|o| o.is_empty())
                || m.get("properties")
                    .and_then(Json::as_object)
                    .is_some_and(|p| p.is_empty())
                    && m.as_object().is_some_and(|o| o.len() == 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::logical;
    use sluice_api::{schemas, SchemaBuilder};
    use std::str::FromStr;

    #[test]
    fn primitive_and_logical_types() {
        let cases = [
            (schemas::boolean(), json!({"type":"boolean"})),
            (schemas::int8(), json!({"type":"byte"})),
            (schemas::int16(), json!({"type":"short"})),
            (schemas::int32(), json!({"type":"integer"})),
            (schemas::int64(), json!({"type":"long"})),
            (schemas::float32(), json!({"type":"float"})),
            (schemas::float64(), json!({"type":"double"})),
            (schemas::bytes(), json!({"type":"binary"})),
            (
                schemas::string(),
                json!({"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}}),
            ),
            (logical::decimal(2).build_ref(), json!({"type":"double"})),
            (logical::date().build_ref(), json!({"type":"date"})),
            (logical::time().build_ref(), json!({"type":"date"})),
            (logical::timestamp().build_ref(), json!({"type":"date"})),
        ];
        for (schema, expected) in cases {
            assert_eq!(
                build_mapping(Some(&schema)).unwrap(),
                expected,
                "{schema:?}"
            );
        }
    }

    #[test]
    fn struct_array_map_and_null_values() {
        let schema = SchemaBuilder::struct_()
            .field("tags", SchemaBuilder::array(schemas::string()).build_ref())
            .unwrap()
            .field(
                "m",
                SchemaBuilder::map(schemas::string(), schemas::int64()).build_ref(),
            )
            .unwrap()
            .field(
                "n",
                SchemaBuilder::int32()
                    .default_value(Value::Int32(7))
                    .unwrap()
                    .build_ref(),
            )
            .unwrap()
            .field(
                "price",
                logical::decimal(2)
                    .default_value(Value::Decimal(
                        sluice_api::BigDecimal::from_str("1.50").unwrap(),
                    ))
                    .unwrap()
                    .build_ref(),
            )
            .unwrap()
            .field(
                "at",
                logical::timestamp()
                    .default_value(Value::Date(1000))
                    .unwrap()
                    .build_ref(),
            )
            .unwrap()
            .build();
        let m = build_mapping(Some(&schema)).unwrap();
        assert_eq!(m["properties"]["tags"]["type"], "text");
        assert_eq!(
            m["properties"]["m"],
            json!({"properties":{"key":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},"value":{"type":"long"}}})
        );
        assert_eq!(
            m["properties"]["n"],
            json!({"type":"integer","null_value":7})
        );
        assert_eq!(
            m["properties"]["price"],
            json!({"type":"double","null_value":1.5})
        );
        assert_eq!(
            m["properties"]["at"],
            json!({"type":"date","null_value":1000})
        );
    }

    #[test]
    fn no_schema_is_an_error() {
        assert_eq!(
            build_mapping(None).unwrap_err().to_string(),
            "Cannot infer mapping without schema."
        );
    }

    #[test]
    fn empty_mapping_detection() {
        assert!(is_empty_mapping(&json!({"i":{"mappings":{}}}), "i"));
        assert!(!is_empty_mapping(
            &json!({"i":{"mappings":{"properties":{"a":{"type":"long"}}}}}),
            "i"
        ));
    }
}
