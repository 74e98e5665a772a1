//! `org.apache.kafka.connect.transforms.TimestampConverter$Key` / `$Value`: converts timestamps
//! between strings, Unix epoch numbers and the Connect `Date`, `Time` and `Timestamp` types,
//! for the whole key or value or one top-level field. Strings use `SimpleDateFormat` patterns in
//! UTC.

use sluice_api::logical::{self, MILLIS_PER_DAY};
use sluice_api::{
    schemas, ConfigDef, ConfigError, ConfigKey, ConfigType, ConnectError, ConnectRecord,
    ConnectResult, Importance, Props, Schema, SchemaBuilder, SchemaRef, Struct, Transformation,
    Type, Validator, Value,
};

use crate::java_date::JavaDateFormat;
use crate::util::{
    config_error, copy_schema_basics, field_value, map_get, map_put, parse_config, put_field,
    replace_null_with_default_key, require_map, require_struct, SchemaCache, Side,
    REPLACE_NULL_WITH_DEFAULT,
};

const FIELD: &str = "field";
const TARGET_TYPE: &str = "target.type";
const FORMAT: &str = "format";
const UNIX_PRECISION: &str = "unix.precision";
const PURPOSE: &str = "converting timestamp formats";

/// A timestamp representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "string" => Kind::String,
            "unix" => Kind::Unix,
            "Date" => Kind::Date,
            "Time" => Kind::Time,
            "Timestamp" => Kind::Timestamp,
            _ => return None,
        })
    }

    /// `typeSchema(isOptional)`.
    fn schema(self, optional: bool) -> SchemaRef {
        match self {
            Kind::String => schemas::primitive(Type::String, optional),
            Kind::Unix => schemas::primitive(Type::Int64, optional),
            Kind::Date => Some(logical::date().with_optional(optional).build_ref()),
            Kind::Time => Some(logical::time().with_optional(optional).build_ref()),
            Kind::Timestamp => Some(logical::timestamp().with_optional(optional).build_ref()),
        }
        .unwrap_or_else(|| SchemaBuilder::string().build_ref())
    }

    /// `timestampTypeFromSchema`.
    fn from_schema(schema: &Schema) -> ConnectResult<Kind> {
        match schema.name.as_deref() {
            Some(logical::TIMESTAMP_NAME) => return Ok(Kind::Timestamp),
            Some(logical::DATE_NAME) => return Ok(Kind::Date),
            Some(logical::TIME_NAME) => return Ok(Kind::Time),
            _ => {}
        }
        match schema.schema_type {
            Type::String => Ok(Kind::String),
            Type::Int64 => Ok(Kind::Unix),
            _ => Err(ConnectError::connect(format!(
                "Schema {schema} does not correspond to a known timestamp type format"
            ))),
        }
    }
}

/// `unix.precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

/// `TimestampConverter`: see the module documentation.
#[derive(Debug)]
pub struct TimestampConverter {
    side: Side,
    field: String,
    target: Kind,
    format: Option<JavaDateFormat>,
    precision: Precision,
    replace_null_with_default: bool,
    /// The target schema, required and optional (whole-value mode).
    target_schemas: [SchemaRef; 2],
    cache: SchemaCache<SchemaRef>,
}

fn class_of(value: &Value) -> String {
    format!("class {}", value.java_class())
}

fn saturating_scale(value: i64, factor: i64) -> i64 {
    value.saturating_mul(factor)
}

impl TimestampConverter {
    /// An unconfigured instance for one side of the record.
    pub fn new(side: Side) -> Self {
        TimestampConverter {
            side,
            field: String::new(),
            target: Kind::Timestamp,
            format: None,
            precision: Precision::Millis,
            replace_null_with_default: true,
            target_schemas: [Kind::Timestamp.schema(false), Kind::Timestamp.schema(true)],
            cache: SchemaCache::default(),
        }
    }

    /// The keys TimestampConverter accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    FIELD,
                    ConfigType::String,
                    Importance::High,
                    "The field containing the timestamp, or empty if the entire value is a \
                     timestamp",
                )
                .default(""),
            )
            .define(
                ConfigKey::new(
                    TARGET_TYPE,
                    ConfigType::String,
                    Importance::High,
                    "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
                )
                .validator(Validator::one_of(&[
                    "string",
                    "unix",
                    "Date",
                    "Time",
                    "Timestamp",
                ])),
            )
            .define(
                ConfigKey::new(
                    FORMAT,
                    ConfigType::String,
                    Importance::Medium,
                    "A SimpleDateFormat-compatible format for the timestamp. Used to generate the \
                     output when type=string or used to parse the input if the input is a string.",
                )
                .default(""),
            )
            .define(
                ConfigKey::new(
                    UNIX_PRECISION,
                    ConfigType::String,
                    Importance::Low,
                    "The desired Unix precision for the timestamp: seconds, milliseconds, \
                     microseconds, or nanoseconds. Used to generate the output when type=unix or \
                     used to parse the input if the input is a Long.Note: This SMT will cause \
                     precision loss during conversions from, and to, values with sub-millisecond \
                     components.",
                )
                .default("milliseconds")
                .validator(Validator::one_of(&[
                    "nanoseconds",
                    "microseconds",
                    "milliseconds",
                    "seconds",
                ])),
            )
            .define(replace_null_with_default_key())
    }

    /// `toRaw`: the instant (epoch millis) of a timestamp in the `source` representation.
    fn to_raw(&self, source: Kind, value: &Value) -> ConnectResult<i64> {
        match (source, value) {
            (Kind::String, Value::String(s)) => {
                let Some(format) = &self.format else {
                    return Err(ConnectError::data(
                        "TimestampConverter requires format option to be specified when using \
                         string timestamps"
                            .to_string(),
                    ));
                };
                format.parse(s).ok_or_else(|| {
                    ConnectError::data(format!(
                        "Could not parse timestamp: value ({s}) does not match pattern ({})",
                        format.pattern()
                    ))
                })
            }
            (Kind::String, other) => Err(ConnectError::data(format!(
                "Expected string timestamp to be a String, but found {}",
                class_of(other)
            ))),
            (Kind::Unix, Value::Int64(v)) => Ok(match self.precision {
                Precision::Seconds => saturating_scale(*v, 1000),
                Precision::Millis => *v,
                Precision::Micros => *v / 1000,
                Precision::Nanos => *v / 1_000_000,
            }),
            (Kind::Unix, other) => Err(ConnectError::data(format!(
                "Expected Unix timestamp to be a Long, but found {}",
                class_of(other)
            ))),
            (_, Value::Date(ms)) => Ok(*ms),
            (kind, other) => Err(ConnectError::data(format!(
                "Expected {} to be a java.util.Date, but found {}",
                match kind {
                    Kind::Date => "Date",
                    Kind::Time => "Time",
                    _ => "Timestamp",
                },
                class_of(other)
            ))),
        }
    }

    /// `toType`: the instant in the target representation.
    fn to_type(&self, millis: i64) -> ConnectResult<Value> {
        Ok(match self.target {
            Kind::String => {
                let format = self.format.as_ref().ok_or_else(|| {
                    ConnectError::data("TimestampConverter has no format".to_string())
                })?;
                Value::String(format.format(millis).ok_or_else(|| {
                    ConnectError::data(format!("Timestamp out of range: {millis}"))
                })?)
            }
            Kind::Unix => Value::Int64(match self.precision {
                Precision::Seconds => millis / 1000,
                Precision::Millis => millis,
                Precision::Micros => saturating_scale(millis, 1000),
                Precision::Nanos => saturating_scale(millis, 1_000_000),
            }),
            Kind::Date => Value::Date(millis - millis.rem_euclid(MILLIS_PER_DAY)),
            Kind::Time => Value::Date(millis.rem_euclid(MILLIS_PER_DAY)),
            Kind::Timestamp => Value::Date(millis),
        })
    }

    /// `convertTimestamp(value, format)`; `source` is inferred from the value when `None`.
    fn convert(&self, value: &Value, source: Option<Kind>) -> ConnectResult<Value> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let source = match source {
            Some(k) => k,
            None => match value {
                Value::Date(_) => Kind::Timestamp,
                Value::Int64(_) => Kind::Unix,
                Value::String(_) => Kind::String,
                other => {
                    return Err(ConnectError::data(format!(
                        "TimestampConverter does not support {} objects as timestamps",
                        class_of(other)
                    )))
                }
            },
        };
        let raw = self.to_raw(source, value)?;
        self.to_type(raw)
    }

    fn convert_struct(&self, value: &Struct, updated: &SchemaRef) -> ConnectResult<Struct> {
        let mut out = Struct::new(updated.clone());
        for field in &value.schema().fields {
            let original = field_value(value, field, self.replace_null_with_default);
            let converted = if field.name == self.field {
                self.convert(&original, Some(Kind::from_schema(&field.schema)?))?
            } else {
                original
            };
            let target = updated.field(&field.name).ok_or_else(|| {
                ConnectError::data(format!("{} is not a valid field name", field.name))
            })?;
            put_field(&mut out, target, converted)?;
        }
        Ok(out)
    }

    fn updated_schema(&self, schema: &SchemaRef) -> ConnectResult<SchemaRef> {
        let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
        for field in &schema.fields {
            let field_schema = if field.name == self.field {
                self.target.schema(field.schema.optional)
            } else {
                field.schema.clone()
            };
            builder = builder.field(field.name.clone(), field_schema)?;
        }
        if schema.optional {
            builder = builder.optional();
        }
        if let Some(Value::Struct(default)) = &schema.default {
            let without_default = builder.clone().build_ref();
            let converted = self.convert_struct(default, &without_default)?;
            builder = builder.default_value(Value::Struct(converted))?;
        }
        Ok(builder.build_ref())
    }
}

impl Transformation for TimestampConverter {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.field = config.get_string(FIELD).unwrap_or("").to_string();
        let target = config.require_string(TARGET_TYPE)?;
        self.target = Kind::parse(target)
            .ok_or_else(|| ConfigError::invalid(TARGET_TYPE, target, "Unknown target type"))?;
        self.precision = match config.get_string(UNIX_PRECISION).unwrap_or("milliseconds") {
            "seconds" => Precision::Seconds,
            "microseconds" => Precision::Micros,
            "nanoseconds" => Precision::Nanos,
            _ => Precision::Millis,
        };
        self.replace_null_with_default = config.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        self.target_schemas = [self.target.schema(false), self.target.schema(true)];
        let pattern = config.get_string(FORMAT).unwrap_or("");
        if self.target == Kind::String && pattern.trim().is_empty() {
            return Err(config_error(
                "TimestampConverter requires format option to be specified when using string timestamps",
            ));
        }
        self.format = if pattern.trim().is_empty() {
            None
        } else {
            Some(JavaDateFormat::new(pattern).map_err(|_| {
                config_error(format!(
                    "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern}"
                ))
            })?)
        };
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let (schema, value) = self.side.take(&mut record);
        let Some(schema) = schema else {
            let out = if value.is_null() || self.field.is_empty() {
                self.convert(&value, None)?
            } else {
                let mut map = require_map(value, PURPOSE)?;
                let current = map_get(&map, &self.field).cloned().unwrap_or(Value::Null);
                let converted = self.convert(&current, None)?;
                map_put(&mut map, &self.field, converted);
                Value::Map(map)
            };
            return Ok(Some(self.side.set(record, None, out)));
        };
        if self.field.is_empty() {
            let updated = self.target_schemas[usize::from(schema.optional)].clone();
            let source = Kind::from_schema(&schema)?;
            let converted = self.convert(&value, Some(source))?;
            return Ok(Some(self.side.set(record, Some(updated), converted)));
        }
        let value = if value.is_null() {
            None
        } else {
            Some(require_struct(value, PURPOSE)?)
        };
        let updated = match self.cache.get(&schema) {
            Some(s) => s,
            None => {
                let s = self.updated_schema(&schema)?;
                self.cache.put(schema.clone(), s.clone());
                s
            }
        };
        let out = match value {
            None => Value::Null,
            Some(v) => Value::Struct(self.convert_struct(&v, &updated)?),
        };
        Ok(Some(self.side.set(record, Some(updated), out)))
    }
}
