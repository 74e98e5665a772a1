//! `org.apache.kafka.connect.transforms.Cast$Key` / `$Value`: casts top-level fields, or the
//! whole key or value, to another primitive type with Java's conversion rules.

use base64::Engine as _;
use sluice_api::logical::{self, Logical};
use sluice_api::values::java_fmt::{decimal_to_string, double_to_string, float_to_string};
use sluice_api::values::java_num::{
    double_value, float_value, int_value, long_value, parse_double, parse_float,
};
use sluice_api::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, ConnectError, ConnectRecord, ConnectResult,
    Importance, Props, Schema, SchemaBuilder, SchemaRef, Struct, Transformation, Type, Validator,
    Value,
};

use crate::java_date::JavaDateFormat;
use crate::replace_field::java_split;
use crate::util::{
    copy_schema_basics, field_value, map_get, map_put, parse_config, put_field,
    replace_null_with_default_key, require_map, require_struct, SchemaCache, Side,
    REPLACE_NULL_WITH_DEFAULT,
};

const SPEC: &str = "spec";
const PURPOSE: &str = "cast types";
const INPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";
const OUTPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";

/// What to cast.
#[derive(Debug, Clone, PartialEq)]
enum CastSpec {
    /// The whole key or value.
    Whole(Type),
    /// Top-level fields (the last mapping of a name wins, as in Java's `HashMap`).
    Fields(Vec<(String, Type)>),
}

fn output_type(name: &str) -> Result<Type, String> {
    let t = Type::from_name(name)
        .filter(|_| !name.is_empty())
        .ok_or_else(|| format!("Invalid type found in casting spec: {name}"))?;
    match t {
        Type::Bytes | Type::Array | Type::Map | Type::Struct => Err(format!(
            "Cast transformation does not support casting to {t}; supported types are {OUTPUT_TYPES}"
        )),
        t => Ok(t),
    }
}

fn parse_spec(mappings: &[String]) -> Result<CastSpec, String> {
    if mappings.is_empty() {
        return Err("Must specify at least one field to cast.".to_string());
    }
    let mut whole = None;
    let mut fields: Vec<(String, Type)> = Vec::new();
    for mapping in mappings {
        match java_split(mapping, ':').as_slice() {
            [t] => whole = Some(output_type(t.trim())?),
            [field, t] => {
                let t = output_type(t.trim())?;
                let field = field.trim().to_string();
                fields.retain(|(f, _)| *f != field);
                fields.push((field, t));
            }
            [] => whole = Some(output_type("")?),
            _ => return Err(format!("Invalid rename mapping: {mapping}")),
        }
    }
    match whole {
        Some(_) if mappings.len() > 1 => Err("Cast transformations that specify a type to cast \
                                              the entire value to may only specify a single cast \
                                              in their spec"
            .to_string()),
        Some(t) => Ok(CastSpec::Whole(t)),
        None => Ok(CastSpec::Fields(fields)),
    }
}

fn class_of(value: &Value) -> String {
    format!("class {}", value.java_class())
}

/// `Values.dateFormatFor(date).format(date)` (in UTC).
fn format_date(millis: i64) -> String {
    let pattern = if millis < logical::MILLIS_PER_DAY {
        "HH:mm:ss.SSS'Z'"
    } else if millis % logical::MILLIS_PER_DAY == 0 {
        "yyyy-MM-dd"
    } else {
        "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
    };
    JavaDateFormat::new(pattern)
        .ok()
        .and_then(|f| f.format(millis))
        .unwrap_or_else(|| millis.to_string())
}

/// `Object.toString()` of a value.
pub(crate) fn java_to_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => float_to_string(*v),
        Value::Float64(v) => double_to_string(*v),
        Value::Boolean(v) => v.to_string(),
        Value::String(s) => s.clone(),
        Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
        Value::Decimal(d) => decimal_to_string(d),
        Value::BigInt(i) => i.to_string(),
        Value::Date(ms) => format_date(*ms),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(java_to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}={}", java_to_string(k), java_to_string(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Struct(s) => s.to_string(),
    }
}

fn out_of_range(value: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Value ({}) was out of range for requested data type",
        java_to_string(value)
    ))
}

fn unexpected(value: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Unexpected type in Cast transformation: {}",
        class_of(value)
    ))
}

/// Converts a logical value to its physical form (`encodeLogicalType`).
fn encode_logical(schema: &Schema, value: &Value) -> ConnectResult<Value> {
    Ok(match (Logical::of(schema), value) {
        (Some(Logical::Date), Value::Date(ms)) => Value::Int32(logical::date_to_days(*ms)?),
        (Some(Logical::Time), Value::Date(ms)) => Value::Int32(logical::time_to_millis(*ms)?),
        (Some(Logical::Timestamp), Value::Date(ms)) => Value::Int64(*ms),
        _ => value.clone(),
    })
}

/// `castValueToType(schema, value, targetType)`.
fn cast_value(schema: Option<&Schema>, value: &Value, target: Type) -> ConnectResult<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let inferred = match schema {
        Some(s) => s.schema_type,
        None => value.inferred_type().ok_or_else(|| {
            ConnectError::data(format!(
                "Cast transformation was passed a value of type {} which is not supported by \
                 Connect's data API",
                class_of(value)
            ))
        })?,
    };
    if matches!(inferred, Type::Array | Type::Map | Type::Struct) {
        return Err(ConnectError::data(format!(
            "Cast transformation does not support casting from {inferred}; supported types are {INPUT_TYPES}"
        )));
    }
    let encoded;
    let value = match schema {
        Some(s) if s.name.is_some() && target != Type::String => {
            encoded = encode_logical(s, value)?;
            &encoded
        }
        _ => value,
    };
    let boolean = |b: bool| i8::from(b);
    Ok(match target {
        Type::Int8 => Value::Int8(match value {
            Value::Boolean(b) => boolean(*b),
            Value::String(s) => s.parse().map_err(|_| out_of_range(value))?,
            v => int_value(v).ok_or_else(|| unexpected(v))? as i8,
        }),
        Type::Int16 => Value::Int16(match value {
            Value::Boolean(b) => i16::from(boolean(*b)),
            Value::String(s) => s.parse().map_err(|_| out_of_range(value))?,
            v => int_value(v).ok_or_else(|| unexpected(v))? as i16,
        }),
        Type::Int32 => Value::Int32(match value {
            Value::Boolean(b) => i32::from(boolean(*b)),
            Value::String(s) => s.parse().map_err(|_| out_of_range(value))?,
            v => int_value(v).ok_or_else(|| unexpected(v))?,
        }),
        Type::Int64 => Value::Int64(match value {
            Value::Boolean(b) => i64::from(boolean(*b)),
            Value::String(s) => s.parse().map_err(|_| out_of_range(value))?,
            v => long_value(v).ok_or_else(|| unexpected(v))?,
        }),
        Type::Float32 => Value::Float32(match value {
            Value::Boolean(b) => f32::from(boolean(*b)),
            Value::String(s) => parse_float(s).ok_or_else(|| out_of_range(value))?,
            v => float_value(v).ok_or_else(|| unexpected(v))?,
        }),
        Type::Float64 => Value::Float64(match value {
            Value::Boolean(b) => f64::from(boolean(*b)),
            Value::String(s) => parse_double(s).ok_or_else(|| out_of_range(value))?,
            v => double_value(v).ok_or_else(|| unexpected(v))?,
        }),
        Type::Boolean => Value::Boolean(match value {
            Value::Boolean(b) => *b,
            Value::String(s) => s.eq_ignore_ascii_case("true"),
            v => long_value(v).ok_or_else(|| unexpected(v))? != 0,
        }),
        Type::String => Value::String(java_to_string(value)),
        other => {
            return Err(ConnectError::data(format!(
                "{other} is not supported in the Cast transformation."
            )))
        }
    })
}

/// `Cast`: see the module documentation.
#[derive(Debug)]
pub struct Cast {
    side: Side,
    spec: CastSpec,
    replace_null_with_default: bool,
    cache: SchemaCache<SchemaRef>,
}

impl Cast {
    /// An unconfigured instance for one side of the record.
    pub fn new(side: Side) -> Self {
        Cast {
            side,
            spec: CastSpec::Fields(Vec::new()),
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }

    /// The keys Cast accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    SPEC,
                    ConfigType::List,
                    Importance::High,
                    "List of fields and the type to cast them to of the form \
                     field1:type,field2:type to cast fields of Maps or Structs. A single type to \
                     cast the entire value. Valid types are int8, int16, int32, int64, float32, \
                     float64, boolean, and string. Note that binary fields can only be cast to \
                     string.",
                )
                .validator(Validator::custom(|_, value| match value {
                    ConfigValue::List(items) => parse_spec(items).map(|_| ()),
                    _ => Ok(()),
                })),
            )
            .define(replace_null_with_default_key())
    }

    fn target_of(&self, field: &str) -> Option<Type> {
        match &self.spec {
            CastSpec::Whole(_) => None,
            CastSpec::Fields(fields) => fields.iter().find(|(f, _)| f == field).map(|(_, t)| *t),
        }
    }

    fn updated_schema(&self, schema: &Schema) -> ConnectResult<SchemaRef> {
        let mut builder = match &self.spec {
            CastSpec::Whole(t) => copy_schema_basics(schema, SchemaBuilder::new(*t)),
            CastSpec::Fields(_) => {
                let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
                for field in &schema.fields {
                    let field_schema = match self.target_of(&field.name) {
                        Some(t) => {
                            let mut fb = SchemaBuilder::new(t).with_optional(field.schema.optional);
                            if let Some(default) = &field.schema.default {
                                fb =
                                    fb.default_value(cast_value(Some(&field.schema), default, t)?)?;
                            }
                            fb.build_ref()
                        }
                        None => field.schema.clone(),
                    };
                    builder = builder.field(field.name.clone(), field_schema)?;
                }
                builder
            }
        };
        if schema.optional {
            builder = builder.optional();
        }
        if let Some(default) = &schema.default {
            let t = builder.schema_type();
            builder = builder.default_value(cast_value(Some(schema), default, t)?)?;
        }
        Ok(builder.build_ref())
    }
}

impl Transformation for Cast {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.spec = parse_spec(&config.get_list(SPEC)).map_err(sluice_api::ConfigError::general)?;
        self.replace_null_with_default = config.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.side.take(&mut record);
        let Some(schema) = schema else {
            let out = match &self.spec {
                CastSpec::Whole(t) => cast_value(None, &value, *t)?,
                CastSpec::Fields(fields) => {
                    let mut map = require_map(value, PURPOSE)?;
                    for (field, t) in fields {
                        let current = map_get(&map, field).cloned().unwrap_or(Value::Null);
                        let cast = cast_value(None, &current, *t)?;
                        map_put(&mut map, field, cast);
                    }
                    Value::Map(map)
                }
            };
            return Ok(Some(self.side.set(record, None, out)));
        };
        let updated = match self.cache.get(&schema) {
            Some(s) => s,
            None => {
                let s = self.updated_schema(&schema)?;
                self.cache.put(schema.clone(), s.clone());
                s
            }
        };
        if let CastSpec::Whole(t) = self.spec {
            let cast = cast_value(Some(&schema), &value, t)?;
            return Ok(Some(self.side.set(record, Some(updated), cast)));
        }
        let value = require_struct(value, PURPOSE)?;
        let mut out = Struct::new(updated.clone());
        let input = value.schema().clone();
        for field in &input.fields {
            let original = field_value(&value, field, self.replace_null_with_default);
            let cast = match self.target_of(&field.name) {
                Some(t) => cast_value(Some(&field.schema), &original, t)?,
                None => original,
            };
            let target = updated.field(&field.name).ok_or_else(|| {
                ConnectError::data(format!("{} is not a valid field name", field.name))
            })?;
            put_field(&mut out, target, cast)?;
        }
        Ok(Some(self.side.set(
            record,
            Some(updated),
            Value::Struct(out),
        )))
    }
}
