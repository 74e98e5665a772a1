//! Record value → JSON document, as Confluent's `DataConverter` produces it: Kafka's
//! `JsonConverter` with `schemas.enable=false`, after an optional schema-driven
//! pre-processing step.
//!
//! * Schema-aware (`schema.ignore=false`): Decimal → JSON number (double), Date → integer days,
//!   Time → integer milliseconds of the day, Timestamp → epoch milliseconds, string-keyed maps →
//!   objects when `compact.map.entries=true`, every other map → array of
//!   `{"key":…,"value":…}` objects, structs → objects in schema order, null fields → their
//!   default, JSON null when optional, else a data error; bytes → base64.
//! * Schema ignored (`schema.ignore=true`) with a schema: plain `JsonConverter` — Decimal →
//!   base64 of the unscaled bytes, string-keyed maps → objects, other maps → arrays of
//!   `[key, value]` pairs.
//! * Schemaless values: maps with string keys → objects, other maps → `[key, value]` pairs,
//!   lists → arrays, scalars → scalars.

use base64::Engine as _;
use serde_json::{Map, Number, Value as Json};
use sluice_api::logical::{self, Logical};
use sluice_api::{ConnectError, Schema, Type, Value};

/// How values become JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentOptions {
    /// Use the schema-aware pre-processing (`schema.ignore=false`).
    pub schema_aware: bool,
    /// `compact.map.entries`.
    pub compact_map_entries: bool,
}

/// A data error while converting a value.
fn data(msg: impl Into<String>) -> ConnectError {
    ConnectError::data(msg)
}

/// Converts a record value (never null here) to its JSON document.
pub fn to_json(
    schema: Option<&Schema>,
    value: &Value,
    opts: DocumentOptions,
) -> Result<Json, ConnectError> {
    match schema {
        None => Ok(schemaless(value)),
        Some(s) if opts.schema_aware => preprocessed(s, value, opts),
        Some(s) => plain(s, value),
    }
}

fn base64(bytes: &[u8]) -> Json {
    Json::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A double as Jackson writes it: non-finite values become strings.
fn f64_json(v: f64) -> Json {
    match Number::from_f64(v) {
        Some(n) => Json::Number(n),
        None if v.is_nan() => Json::String("NaN".into()),
        None if v > 0.0 => Json::String("Infinity".into()),
        None => Json::String("-Infinity".into()),
    }
}

/// A float printed with its own shortest representation (`1.1`, not `1.100000023841858`), as
/// Java prints a `float`.
fn f32_json(v: f32) -> Json {
    if !v.is_finite() {
        return f64_json(f64::from(v));
    }
    let shortest: f64 = v.to_string().parse().unwrap_or(f64::from(v));
    f64_json(shortest)
}

fn decimal_to_f64(d: &sluice_api::BigDecimal) -> f64 {
    d.to_string().parse::<f64>().unwrap_or(f64::NAN)
}

fn decimal_number(d: &sluice_api::BigDecimal) -> Json {
    // JsonConverter writes a schemaless BigDecimal as a JSON number with its digits.
    match serde_json::from_str::<Number>(&d.to_string()) {
        Ok(n) => Json::Number(n),
        Err(_) => f64_json(decimal_to_f64(d)),
    }
}

/// Scalars shared by every path.
fn scalar(value: &Value) -> Option<Json> {
    Some(match value {
        Value::Null => Json::Null,
        Value::Int8(v) => Json::from(*v),
        Value::Int16(v) => Json::from(*v),
        Value::Int32(v) => Json::from(*v),
        Value::Int64(v) => Json::from(*v),
        Value::Float32(v) => f32_json(*v),
        Value::Float64(v) => f64_json(*v),
        Value::Boolean(v) => Json::Bool(*v),
        Value::String(s) => Json::String(s.clone()),
        Value::Bytes(b) => base64(b),
        Value::BigInt(i) => serde_json::from_str::<Number>(&i.to_string())
            .map(Json::Number)
            .unwrap_or_else(|_| Json::String(i.to_string())),
        Value::Date(ms) => Json::from(*ms),
        Value::Decimal(d) => decimal_number(d),
        Value::Array(_) | Value::Map(_) | Value::Struct(_) => return None,
    })
}

/// The schemaless `JsonConverter` path.
pub fn schemaless(value: &Value) -> Json {
    if let Some(j) = scalar(value) {
        return j;
    }
    match value {
        Value::Array(items) => Json::Array(items.iter().map(schemaless).collect()),
        Value::Map(entries) => map_entries_plain(entries.iter().map(|(k, v)| (k, v)), None, None),
        Value::Struct(s) => {
            let mut obj = Map::with_capacity(s.values().len());
            for (field, v) in s.schema().fields.iter().zip(s.values()) {
                obj.insert(
                    field.name.clone(),
                    plain_or_schemaless(Some(&field.schema), v),
                );
            }
            Json::Object(obj)
        }
        _ => Json::Null,
    }
}

fn plain_or_schemaless(schema: Option<&Schema>, value: &Value) -> Json {
    match schema {
        Some(s) => plain(s, value).unwrap_or_else(|_| schemaless(value)),
        None => schemaless(value),
    }
}

/// Maps the way `JsonConverter` writes them: an object when every key is a string (or the key
/// schema is STRING), otherwise an array of `[key, value]` pairs.
fn map_entries_plain<'a>(
    entries: impl Iterator<Item = (&'a Value, &'a Value)> + Clone,
    key_schema: Option<&Schema>,
    value_schema: Option<&Schema>,
) -> Json {
    let string_keys = match key_schema {
        Some(k) => k.schema_type == Type::String,
        None => entries.clone().all(|(k, _)| matches!(k, Value::String(_))),
    };
    if string_keys {
        let mut obj = Map::new();
        for (k, v) in entries {
            let key = match k {
                Value::String(s) => s.clone(),
                other => schemaless(other).to_string(),
            };
            obj.insert(key, plain_or_schemaless(value_schema, v));
        }
        Json::Object(obj)
    } else {
        Json::Array(
            entries
                .map(|(k, v)| {
                    Json::Array(vec![
                        plain_or_schemaless(key_schema, k),
                        plain_or_schemaless(value_schema, v),
                    ])
                })
                .collect(),
        )
    }
}

/// A null value replaced by the schema's default: `None` for an optional field without one,
/// the data error `required` for a required field without one.
fn or_default<'a>(
    schema: &'a Schema,
    value: &'a Value,
    required: &str,
) -> Result<Option<&'a Value>, ConnectError> {
    if !value.is_null() {
        return Ok(Some(value));
    }
    match &schema.default {
        Some(d) => Ok(Some(d)),
        None if schema.optional => Ok(None),
        None => Err(data(required)),
    }
}

/// Date (days), Time (milliseconds of the day) and Timestamp (epoch milliseconds) as
/// `JsonConverter` writes them; `None` for any other value.
fn temporal(schema: &Schema, value: &Value) -> Result<Option<Json>, ConnectError> {
    let Value::Date(ms) = value else {
        return Ok(None);
    };
    Ok(match Logical::of(schema) {
        Some(Logical::Date) => Some(Json::from(logical::date_to_days(*ms)?)),
        Some(Logical::Time) => Some(Json::from(logical::time_to_millis(*ms)?)),
        Some(Logical::Timestamp) => Some(Json::from(*ms)),
        _ => None,
    })
}

/// `JsonConverter.convertToJson` with a schema and `schemas.enable=false` (no pre-processing).
pub fn plain(schema: &Schema, value: &Value) -> Result<Json, ConnectError> {
    let Some(value) = or_default(
        schema,
        value,
        "Conversion error: null value for field that is required and has no default value",
    )?
    else {
        return Ok(Json::Null);
    };
    if let (Some(Logical::Decimal), Value::Decimal(d)) = (Logical::of(schema), value) {
        return Ok(base64(&logical::decimal_to_bytes(schema, d)?));
    }
    if let Some(j) = temporal(schema, value)? {
        return Ok(j);
    }
    if let Some(j) = scalar(value) {
        return Ok(j);
    }
    Ok(match value {
        Value::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| match &schema.value_schema {
                    Some(es) => plain(es, v),
                    None => Ok(schemaless(v)),
                })
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => map_entries_plain(
            entries.iter().map(|(k, v)| (k, v)),
            schema.key_schema.as_deref(),
            schema.value_schema.as_deref(),
        ),
        Value::Struct(s) => {
            let mut obj = Map::with_capacity(s.values().len());
            for (field, v) in s.schema().fields.iter().zip(s.values()) {
                obj.insert(field.name.clone(), plain(&field.schema, v)?);
            }
            Json::Object(obj)
        }
        _ => Json::Null,
    })
}

/// The schema-aware path (`preProcessSchema`/`preProcessValue` then `JsonConverter`).
pub fn preprocessed(
    schema: &Schema,
    value: &Value,
    opts: DocumentOptions,
) -> Result<Json, ConnectError> {
    let Some(value) = or_default(
        schema,
        value,
        "null value for field that is required and has no default value",
    )?
    else {
        return Ok(Json::Null);
    };
    match (Logical::of(schema), value) {
        (Some(Logical::Decimal), Value::Decimal(d)) => return Ok(f64_json(decimal_to_f64(d))),
        (Some(Logical::Decimal), Value::Bytes(b)) => {
            let d = logical::decimal_from_bytes(schema, b)?;
            return Ok(f64_json(decimal_to_f64(&d)));
        }
        _ => {}
    }
    if let Some(j) = temporal(schema, value)? {
        return Ok(j);
    }
    if let Some(j) = scalar(value) {
        return Ok(j);
    }
    Ok(match value {
        Value::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| match &schema.value_schema {
                    Some(es) => preprocessed(es, v, opts),
                    None => Ok(schemaless(v)),
                })
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let key_schema = schema.key_schema.as_deref();
            let value_schema = schema.value_schema.as_deref();
            let convert = |s: Option<&Schema>, v: &Value| match s {
                Some(s) => preprocessed(s, v, opts),
                None => Ok(schemaless(v)),
            };
            let string_keys = key_schema.is_some_and(|k| k.schema_type == Type::String);
            if opts.compact_map_entries && string_keys {
                let mut obj = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = match k {
                        Value::String(s) => s.clone(),
                        other => schemaless(other).to_string(),
                    };
                    obj.insert(key, convert(value_schema, v)?);
                }
                Json::Object(obj)
            } else {
                let mut arr = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let mut obj = Map::with_capacity(2);
                    obj.insert("key".into(), convert(key_schema, k)?);
                    obj.insert("value".into(), convert(value_schema, v)?);
                    arr.push(Json::Object(obj));
                }
                Json::Array(arr)
            }
        }
        Value::Struct(s) => {
            let mut obj = Map::with_capacity(s.values().len());
            for (field, v) in s.schema().fields.iter().zip(s.values()) {
                obj.insert(field.name.clone(), preprocessed(&field.schema, v, opts)?);
            }
            Json::Object(obj)
        }
        _ => Json::Null,
    })
}

/// Renders a top-level JSON value as Jackson's `asText()` does (for `@timestamp` copied from
/// a field): strings as themselves, numbers and booleans as their text, containers as "".
pub fn as_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Null => "null".to_string(),
        Json::Array(_) | Json::Object(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sluice_api::{schemas, SchemaBuilder, Struct};
    use std::str::FromStr;

    const AWARE: DocumentOptions = DocumentOptions {
        schema_aware: true,
        compact_map_entries: true,
    };
    const AWARE_NON_COMPACT: DocumentOptions = DocumentOptions {
        schema_aware: true,
        compact_map_entries: false,
    };
    const PLAIN: DocumentOptions = DocumentOptions {
        schema_aware: false,
        compact_map_entries: true,
    };

    #[test]
    fn schemaless_position_is_an_object_in_order() {
        let v = Value::string_map([
            ("latitude", Value::Float64(52.52)),
            ("longitude", Value::Float64(13.405)),
            ("courier", Value::Int64(7)),
        ]);
        let j = to_json(None, &v, AWARE).unwrap();
        assert_eq!(
            serde_json::to_string(&j).unwrap(),
            r#"{"latitude":52.52,"longitude":13.405,"courier":7}"#
        );
    }

    #[test]
    fn schemaless_non_string_keys_become_pairs() {
        let v = Value::Map(vec![(Value::Int32(1), Value::from("a"))]);
        assert_eq!(schemaless(&v), json!([[1, "a"]]));
    }

    #[test]
    fn decimal_is_a_double_when_schema_aware_and_base64_when_ignored() {
        let s = logical::decimal(2).build();
        let d = Value::Decimal(sluice_api::BigDecimal::from_str("0.02").unwrap());
        assert_eq!(to_json(Some(&s), &d, AWARE).unwrap(), json!(0.02));
        // Unscaled 2 → [0x02] → "Ag=="
        assert_eq!(to_json(Some(&s), &d, PLAIN).unwrap(), json!("Ag=="));
    }

    #[test]
    fn temporal_logical_types() {
        let day = logical::MILLIS_PER_DAY * 3;
        assert_eq!(
            to_json(Some(&logical::date().build()), &Value::Date(day), AWARE).unwrap(),
            json!(3)
        );
        assert_eq!(
            to_json(Some(&logical::time().build()), &Value::Date(1234), AWARE).unwrap(),
            json!(1234)
        );
        assert_eq!(
            to_json(
                Some(&logical::timestamp().build()),
                &Value::Date(1_700_000_000_000),
                AWARE
            )
            .unwrap(),
            json!(1_700_000_000_000_i64)
        );
        // The plain path (schema.ignore) writes them the same way.
        assert_eq!(
            to_json(Some(&logical::date().build()), &Value::Date(day), PLAIN).unwrap(),
            json!(3)
        );
        assert_eq!(
            to_json(Some(&logical::time().build()), &Value::Date(1234), PLAIN).unwrap(),
            json!(1234)
        );
    }

    fn string_int_map() -> (Schema, Value) {
        let s = SchemaBuilder::map(schemas::string(), schemas::int32()).build();
        let v = Value::Map(vec![(Value::from("a"), Value::Int32(1))]);
        (s, v)
    }

    #[test]
    fn maps_compact_or_as_key_value_objects() {
        let (s, v) = string_int_map();
        assert_eq!(to_json(Some(&s), &v, AWARE).unwrap(), json!({"a":1}));
        assert_eq!(
            to_json(Some(&s), &v, AWARE_NON_COMPACT).unwrap(),
            json!([{"key":"a","value":1}])
        );
        let s = SchemaBuilder::map(schemas::int32(), schemas::string()).build();
        let v = Value::Map(vec![(Value::Int32(5), Value::from("x"))]);
        assert_eq!(
            to_json(Some(&s), &v, AWARE).unwrap(),
            json!([{"key":5,"value":"x"}])
        );
        assert_eq!(to_json(Some(&s), &v, PLAIN).unwrap(), json!([[5, "x"]]));
    }

    fn person_schema() -> sluice_api::SchemaRef {
        SchemaBuilder::struct_()
            .field("name", schemas::string())
            .unwrap()
            .field("age", schemas::optional_int32())
            .unwrap()
            .field(
                "score",
                SchemaBuilder::float32()
                    .default_value(Value::Float32(1.5))
                    .unwrap()
                    .build_ref(),
            )
            .unwrap()
            .field("raw", schemas::optional_bytes())
            .unwrap()
            .build_ref()
    }

    #[test]
    fn struct_fields_in_schema_order_with_defaults_and_nulls() {
        let schema = person_schema();
        let mut st = Struct::new(schema.clone());
        st.put("name", Value::from("Ann")).unwrap();
        st.put_unchecked("raw", Value::Bytes(vec![1, 2, 3]))
            .unwrap();
        let j = to_json(Some(&schema), &Value::Struct(st), AWARE).unwrap();
        assert_eq!(
            serde_json::to_string(&j).unwrap(),
            r#"{"name":"Ann","age":null,"score":1.5,"raw":"AQID"}"#
        );
    }

    #[test]
    fn required_null_field_is_a_data_error() {
        let schema = person_schema();
        let st = Struct::new(schema.clone());
        let err = to_json(Some(&schema), &Value::Struct(st), AWARE).unwrap_err();
        assert_eq!(
            err.to_string(),
            "null value for field that is required and has no default value"
        );
        let err = to_json(
            Some(&schema),
            &Value::Struct(Struct::new(schema.clone())),
            PLAIN,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Conversion error: null value for field that is required and has no default value"
        );
        // A null with a default takes the default on both paths.
        let with_default = SchemaBuilder::float32()
            .default_value(Value::Float32(1.5))
            .unwrap()
            .build();
        assert_eq!(
            to_json(Some(&with_default), &Value::Null, PLAIN).unwrap(),
            json!(1.5)
        );
        assert_eq!(
            to_json(Some(&with_default), &Value::Null, AWARE).unwrap(),
            json!(1.5)
        );
    }

    #[test]
    fn floats_print_like_java() {
        assert_eq!(serde_json::to_string(&f32_json(1.1)).unwrap(), "1.1");
        assert_eq!(f64_json(f64::NAN), json!("NaN"));
        assert_eq!(f64_json(f64::NEG_INFINITY), json!("-Infinity"));
    }

    #[test]
    fn as_text_renders_scalars() {
        assert_eq!(as_text(&json!("2024-01-01")), "2024-01-01");
        assert_eq!(as_text(&json!(17)), "17");
    }
}
