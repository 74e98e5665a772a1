//! Confluent's `PreparedStatementBinder` and the dialect's `bindField`: a record becomes one
//! row of statement parameters, in the order of the statement's placeholders.
//!
//! [`SqlValue`] adapts to the parameter type PostgreSQL infers from the target column, as
//! JDBC's setters let the server convert: numbers and booleans go in binary when the column
//! has a matching type, everything else in text form, which the server parses into the column
//! type (so a STRING reaches a `uuid`, `inet` or `numeric` column). Temporal values are sent as
//! instants (`timestamptz` parameters) and PostgreSQL, whose session zone is `db.timezone`,
//! turns them into the column's date, time or timestamp in that zone.

use std::error::Error;

use chrono::DateTime;
use sluice_api::logical::{self, DATE_NAME, DECIMAL_NAME, TIMESTAMP_NAME, TIME_NAME};
use sluice_api::{Schema, SinkRecord, Struct, Type, Value};
use tokio_postgres::types::private::BytesMut;
use tokio_postgres::types::{Format, IsNull, Kind, ToSql, Type as PgType};

use super::config::{CalendarSystem, InsertMode, JdbcSinkConfig, PkMode, TimestampPrecision};
use super::fields::FieldsMetadata;
use super::timezone::{legacy_day, legacy_micros};

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days from the Unix epoch to PostgreSQL's.
const PG_EPOCH_DAYS: i32 = 10_957;

/// One statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// INT8 (widened) and INT16.
    I16(i16),
    /// INT32.
    I32(i32),
    /// INT64.
    I64(i64),
    /// FLOAT32.
    F32(f32),
    /// FLOAT64.
    F64(f64),
    /// A string, sent as text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A Decimal in plain text.
    Numeric(String),
    /// An instant in epoch microseconds (parameter declared `timestamptz`).
    Instant(i64),
    /// A date in epoch days (parameter declared `date`).
    Date(i32),
    /// An array, sent in PostgreSQL's text array form.
    Array(Vec<SqlValue>),
}

/// The parameter type a column's values are declared with (`None`: inferred by the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Declared {
    /// Let PostgreSQL infer it from the target.
    Inferred,
    /// `timestamptz`.
    Instant,
    /// `date`.
    Date,
}

impl Declared {
    /// The type sent with the statement (oid 0 for inferred).
    pub fn pg_type(self) -> PgType {
        match self {
            Declared::Inferred => PgType::new("unspecified".into(), 0, Kind::Simple, "".into()),
            Declared::Instant => PgType::TIMESTAMPTZ,
            Declared::Date => PgType::DATE,
        }
    }
}

fn numeric_type(ty: &PgType) -> bool {
    matches!(
        *ty,
        PgType::INT2 | PgType::INT4 | PgType::INT8 | PgType::FLOAT4 | PgType::FLOAT8
    )
}

impl SqlValue {
    fn binary(&self, ty: &PgType) -> bool {
        match self {
            SqlValue::Bool(_) => *ty == PgType::BOOL,
            SqlValue::I16(_) | SqlValue::I32(_) | SqlValue::I64(_) => numeric_type(ty),
            SqlValue::F32(_) | SqlValue::F64(_) => {
                matches!(*ty, PgType::FLOAT4 | PgType::FLOAT8)
            }
            SqlValue::Bytes(_) => *ty == PgType::BYTEA,
            SqlValue::Instant(_) => matches!(*ty, PgType::TIMESTAMPTZ | PgType::TIMESTAMP),
            SqlValue::Date(_) => *ty == PgType::DATE,
            _ => false,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            SqlValue::I16(v) => Some(i64::from(*v)),
            SqlValue::I32(v) => Some(i64::from(*v)),
            SqlValue::I64(v) => Some(*v),
            _ => None,
        }
    }

    /// The text form PostgreSQL parses.
    pub fn text(&self) -> String {
        match self {
            SqlValue::Null => String::new(),
            SqlValue::Bool(b) => if *b { "true" } else { "false" }.to_string(),
            SqlValue::I16(v) => v.to_string(),
            SqlValue::I32(v) => v.to_string(),
            SqlValue::I64(v) => v.to_string(),
            SqlValue::F32(v) => float_text(f64::from(*v)),
            SqlValue::F64(v) => float_text(*v),
            SqlValue::Text(s) | SqlValue::Numeric(s) => s.clone(),
            SqlValue::Bytes(b) => {
                let mut s = String::with_capacity(2 + b.len() * 2);
                s.push_str("\\x");
                for x in b {
                    s.push_str(&format!("{x:02x}"));
                }
                s
            }
            SqlValue::Instant(us) => match DateTime::from_timestamp_micros(*us) {
                Some(d) => d.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string(),
                None => us.to_string(),
            },
            SqlValue::Date(days) => match DateTime::from_timestamp(i64::from(*days) * 86_400, 0) {
                Some(d) => d.format("%Y-%m-%d").to_string(),
                None => days.to_string(),
            },
            SqlValue::Array(items) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        SqlValue::Null => "NULL".to_string(),
                        other => format!(
                            "\"{}\"",
                            other.text().replace('\\', "\\\\").replace('"', "\\\"")
                        ),
                    })
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
        }
    }
}

fn float_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{v:?}")
    }
}

impl ToSql for SqlValue {
    fn to_sql(
        &self,
        ty: &PgType,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        if *self == SqlValue::Null {
            return Ok(IsNull::Yes);
        }
        if !self.binary(ty) {
            out.extend_from_slice(self.text().as_bytes());
            return Ok(IsNull::No);
        }
        match (self, ty) {
            (SqlValue::Bool(b), _) => out.extend_from_slice(&[u8::from(*b)]),
            (SqlValue::F32(v), &PgType::FLOAT4) => out.extend_from_slice(&v.to_be_bytes()),
            (SqlValue::F32(v), _) => out.extend_from_slice(&f64::from(*v).to_be_bytes()),
            (SqlValue::F64(v), &PgType::FLOAT4) => {
                out.extend_from_slice(&(*v as f32).to_be_bytes())
            }
            (SqlValue::F64(v), _) => out.extend_from_slice(&v.to_be_bytes()),
            (SqlValue::Bytes(b), _) => out.extend_from_slice(b),
            (SqlValue::Instant(us), _) => {
                out.extend_from_slice(&(us - PG_EPOCH_MICROS).to_be_bytes())
            }
            (SqlValue::Date(d), _) => out.extend_from_slice(&(d - PG_EPOCH_DAYS).to_be_bytes()),
            (v, ty) => {
                let n = v.as_i64().ok_or("not an integer")?;
                match *ty {
                    PgType::INT2 => out.extend_from_slice(
                        &i16::try_from(n)
                            .map_err(|_| "smallint out of range")?
                            .to_be_bytes(),
                    ),
                    PgType::INT4 => out.extend_from_slice(
                        &i32::try_from(n)
                            .map_err(|_| "integer out of range")?
                            .to_be_bytes(),
                    ),
                    PgType::INT8 => out.extend_from_slice(&n.to_be_bytes()),
                    PgType::FLOAT4 => out.extend_from_slice(&(n as f32).to_be_bytes()),
                    _ => out.extend_from_slice(&(n as f64).to_be_bytes()),
                }
            }
        }
        Ok(IsNull::No)
    }

    fn accepts(_ty: &PgType) -> bool {
        true
    }

    fn encode_format(&self, ty: &PgType) -> Format {
        if self.binary(ty) {
            Format::Binary
        } else {
            Format::Text
        }
    }

    tokio_postgres::types::to_sql_checked!();
}

/// What binding needs from the config.
#[derive(Debug, Clone)]
pub struct BindSettings {
    /// `timestamp.fields.list`.
    pub timestamp_fields: std::collections::BTreeSet<String>,
    /// `timestamp.precision.mode`.
    pub precision: TimestampPrecision,
    /// `date.calendar.system`.
    pub calendar: CalendarSystem,
    /// Whether Date values are written in UTC (`date.timezone=UTC` or a UTC `db.timezone`).
    pub date_in_utc: bool,
    /// `replace.null.with.default`.
    pub replace_null_with_default: bool,
}

impl BindSettings {
    /// From the sink config.
    pub fn from_config(c: &JdbcSinkConfig) -> BindSettings {
        BindSettings {
            timestamp_fields: c.timestamp_fields.clone(),
            precision: c.timestamp_precision,
            calendar: c.calendar,
            date_in_utc: c.date_zone.is_utc(),
            replace_null_with_default: c.replace_null_with_default,
        }
    }

    fn legacy(&self) -> bool {
        self.calendar == CalendarSystem::Legacy
    }

    /// How a field's placeholder is declared.
    pub fn declared(&self, name: &str, schema: &Schema) -> Declared {
        match schema.name.as_deref() {
            Some(DATE_NAME) if self.date_in_utc => Declared::Date,
            Some(DATE_NAME) | Some(TIME_NAME) | Some(TIMESTAMP_NAME) => Declared::Instant,
            _ if matches!(schema.schema_type, Type::Int64 | Type::String)
                && self.timestamp_fields.contains(name) =>
            {
                Declared::Instant
            }
            _ => Declared::Inferred,
        }
    }

    /// `bindField`: one Connect value as a parameter.
    pub fn bind_field(
        &self,
        name: &str,
        schema: &Schema,
        value: &Value,
    ) -> Result<SqlValue, String> {
        if value.is_null() {
            return Ok(SqlValue::Null);
        }
        let mismatch = || {
            format!(
                "Unexpected {} value for field '{name}' of schema {schema}",
                value.java_class()
            )
        };
        match schema.name.as_deref() {
            Some(DECIMAL_NAME) => {
                return match value {
                    Value::Decimal(d) => Ok(SqlValue::Numeric(d.to_string())),
                    Value::Bytes(b) => logical::decimal_from_bytes(schema, b)
                        .map(|d| SqlValue::Numeric(d.to_string()))
                        .map_err(|e| e.to_string()),
                    _ => Err(mismatch()),
                }
            }
            Some(DATE_NAME) => {
                let days = match value {
                    Value::Date(ms) => ms.div_euclid(logical::MILLIS_PER_DAY),
                    Value::Int32(d) => i64::from(*d),
                    _ => return Err(mismatch()),
                };
                let days = if self.legacy() {
                    legacy_day(days)
                } else {
                    days
                };
                return if self.date_in_utc {
                    i32::try_from(days)
                        .map(SqlValue::Date)
                        .map_err(|_| format!("Date out of range: {days}"))
                } else {
                    Ok(SqlValue::Instant(days * 86_400_000_000))
                };
            }
            Some(TIME_NAME) => {
                return match value {
                    Value::Date(ms) => Ok(SqlValue::Instant(ms * 1000)),
                    Value::Int32(ms) => Ok(SqlValue::Instant(i64::from(*ms) * 1000)),
                    _ => Err(mismatch()),
                }
            }
            Some(TIMESTAMP_NAME) => {
                let ms = match value {
                    Value::Date(ms) | Value::Int64(ms) => *ms,
                    _ => return Err(mismatch()),
                };
                return Ok(SqlValue::Instant(self.shift(ms.saturating_mul(1000))));
            }
            _ => {}
        }
        let timestamp_field = self.timestamp_fields.contains(name);
        Ok(match (schema.schema_type, value) {
            (Type::Int8, Value::Int8(v)) => SqlValue::I16(i16::from(*v)),
            (Type::Int16, Value::Int16(v)) => SqlValue::I16(*v),
            (Type::Int32, Value::Int32(v)) => SqlValue::I32(*v),
            (Type::Int64, Value::Int64(v)) if timestamp_field => {
                SqlValue::Instant(self.shift(self.epoch_micros(i128::from(*v))?))
            }
            (Type::Int64, Value::Int64(v)) => SqlValue::I64(*v),
            (Type::Float32, Value::Float32(v)) => SqlValue::F32(*v),
            (Type::Float64, Value::Float64(v)) => SqlValue::F64(*v),
            (Type::Boolean, Value::Boolean(v)) => SqlValue::Bool(*v),
            (Type::String, Value::String(s)) if timestamp_field => {
                let n: i128 = s
                    .trim()
                    .parse()
                    .map_err(|_| format!("For input string: \"{s}\""))?;
                SqlValue::Instant(self.shift(self.epoch_micros(n)?))
            }
            (Type::String, Value::String(s)) => SqlValue::Text(s.clone()),
            (Type::Bytes, Value::Bytes(b)) => SqlValue::Bytes(b.clone()),
            (Type::Array, Value::Array(items)) => {
                let elem = schema
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| "Unsupported source data type: ARRAY".to_string())?;
                if elem.name.is_some()
                    || !matches!(
                        elem.schema_type,
                        Type::Int8
                            | Type::Int16
                            | Type::Int32
                            | Type::Int64
                            | Type::Float32
                            | Type::Float64
                            | Type::Boolean
                            | Type::String
                    )
                {
                    return Err("Unsupported source data type: ARRAY".to_string());
                }
                let plain = BindSettings {
                    timestamp_fields: Default::default(),
                    ..self.clone()
                };
                SqlValue::Array(
                    items
                        .iter()
                        .map(|i| plain.bind_field(name, elem, i))
                        .collect::<Result<_, _>>()?,
                )
            }
            (Type::Map | Type::Struct, _) => {
                return Err(format!(
                    "Unsupported source data type: {}",
                    schema.schema_type
                ))
            }
            _ => return Err(mismatch()),
        })
    }

    fn shift(&self, micros: i64) -> i64 {
        if self.legacy() {
            legacy_micros(micros)
        } else {
            micros
        }
    }

    /// `timestamp.precision.mode`: epoch micros or nanos (rounded to PostgreSQL's micros).
    fn epoch_micros(&self, n: i128) -> Result<i64, String> {
        let micros = match self.precision {
            TimestampPrecision::Microseconds => n,
            TimestampPrecision::Nanoseconds => (n + 500).div_euclid(1000),
        };
        i64::try_from(micros).map_err(|_| format!("Timestamp out of range: {n}"))
    }

    /// `PreparedStatementBinder.bindRecord`: the parameters of one record for the statement
    /// of `mode` (key then non-key columns for INSERT/upsert, non-key then key for UPDATE, key
    /// only for a DELETE).
    pub fn bind_record(
        &self,
        record: &SinkRecord,
        fields: &FieldsMetadata,
        pk_mode: PkMode,
        mode: InsertMode,
        delete: bool,
    ) -> Result<Vec<SqlValue>, String> {
        let mut row = Vec::with_capacity(fields.all_fields.len());
        if delete {
            self.bind_keys(record, fields, pk_mode, &mut row)?;
        } else if mode == InsertMode::Update {
            self.bind_non_keys(record, fields, &mut row)?;
            self.bind_keys(record, fields, pk_mode, &mut row)?;
        } else {
            self.bind_keys(record, fields, pk_mode, &mut row)?;
            self.bind_non_keys(record, fields, &mut row)?;
        }
        Ok(row)
    }

    fn bind_keys(
        &self,
        record: &SinkRecord,
        fields: &FieldsMetadata,
        pk_mode: PkMode,
        row: &mut Vec<SqlValue>,
    ) -> Result<(), String> {
        match pk_mode {
            PkMode::None => {}
            PkMode::Kafka => {
                row.push(SqlValue::Text(record.topic_name().to_string()));
                row.push(record.kafka_partition.map_or(SqlValue::Null, SqlValue::I32));
                row.push(record.kafka_offset().map_or(SqlValue::Null, SqlValue::I64));
            }
            PkMode::RecordKey => {
                let schema = record
                    .key_schema
                    .as_ref()
                    .ok_or("record key schema is missing")?;
                if schema.schema_type.is_primitive() {
                    let name = fields.key_field_names.first().ok_or("no key column")?;
                    row.push(self.bind_field(name, schema, &record.key)?);
                } else {
                    let key = record
                        .key
                        .as_struct()
                        .ok_or("The record key is not a Struct")?;
                    for name in &fields.key_field_names {
                        row.push(self.struct_field(key, name, true)?);
                    }
                }
            }
            PkMode::RecordValue => {
                let value = record
                    .value
                    .as_struct()
                    .ok_or("The record value is not a Struct")?;
                for name in &fields.key_field_names {
                    row.push(self.struct_field(value, name, true)?);
                }
            }
        }
        Ok(())
    }

    fn bind_non_keys(
        &self,
        record: &SinkRecord,
        fields: &FieldsMetadata,
        row: &mut Vec<SqlValue>,
    ) -> Result<(), String> {
        let schema = record
            .value_schema
            .as_ref()
            .ok_or("record value schema is missing")?;
        if schema.schema_type == Type::String {
            for name in &fields.non_key_field_names {
                row.push(self.bind_field(name, schema, &record.value)?);
            }
            return Ok(());
        }
        let value = record
            .value
            .as_struct()
            .ok_or("The record value is not a Struct")?;
        for name in &fields.non_key_field_names {
            row.push(self.struct_field(value, name, self.replace_null_with_default)?);
        }
        Ok(())
    }

    fn struct_field(&self, s: &Struct, name: &str, with_default: bool) -> Result<SqlValue, String> {
        let field = s
            .schema()
            .field(name)
            .ok_or_else(|| format!("{name} is not a valid field name"))?;
        let v = if with_default {
            s.get(name)
        } else {
            s.get_without_default(name)
        }
        .map_err(|e| e.to_string())?;
        self.bind_field(name, &field.schema, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::{schemas, BigDecimal, SchemaBuilder};
    use std::str::FromStr;

    fn settings() -> BindSettings {
        BindSettings {
            timestamp_fields: ["ts".to_string()].into_iter().collect(),
            precision: TimestampPrecision::Microseconds,
            calendar: CalendarSystem::ProlepticGregorian,
            date_in_utc: true,
            replace_null_with_default: true,
        }
    }

    #[test]
    fn primitives_bind_as_confluent_binds_them() {
        let s = settings();
        let b = |schema: &Schema, v: Value| s.bind_field("f", schema, &v).unwrap();
        assert_eq!(b(&schemas::int8(), Value::Int8(-2)), SqlValue::I16(-2));
        assert_eq!(b(&schemas::int32(), Value::Int32(7)), SqlValue::I32(7));
        assert_eq!(b(&schemas::int64(), Value::Int64(7)), SqlValue::I64(7));
        assert_eq!(
            b(&schemas::string(), "x".into()),
            SqlValue::Text("x".into())
        );
        assert_eq!(b(&schemas::optional_string(), Value::Null), SqlValue::Null);
        let dec = logical::decimal(2).build();
        assert_eq!(
            b(&dec, Value::Decimal(BigDecimal::from_str("12.50").unwrap())),
            SqlValue::Numeric("12.50".into())
        );
        let date = logical::date().build();
        assert_eq!(b(&date, Value::Date(86_400_000 * 3)), SqlValue::Date(3));
        let ts = logical::timestamp().build();
        assert_eq!(b(&ts, Value::Date(1500)), SqlValue::Instant(1_500_000));
        assert_eq!(
            s.bind_field("ts", &schemas::int64(), &Value::Int64(42))
                .unwrap(),
            SqlValue::Instant(42)
        );
        assert_eq!(
            s.bind_field("ts", &schemas::string(), &"42".into())
                .unwrap(),
            SqlValue::Instant(42)
        );
        let nanos = BindSettings {
            precision: TimestampPrecision::Nanoseconds,
            ..settings()
        };
        assert_eq!(
            nanos
                .bind_field("ts", &schemas::int64(), &Value::Int64(1_499))
                .unwrap(),
            SqlValue::Instant(1)
        );
        let arr = SchemaBuilder::array(schemas::int8()).build();
        assert_eq!(
            b(&arr, Value::Array(vec![Value::Int8(1), Value::Null])),
            SqlValue::Array(vec![SqlValue::I16(1), SqlValue::Null])
        );
        let map = SchemaBuilder::map(schemas::string(), schemas::string()).build();
        assert_eq!(
            s.bind_field("f", &map, &Value::Map(vec![])).unwrap_err(),
            "Unsupported source data type: MAP"
        );
        assert!(s
            .bind_field("f", &schemas::int32(), &Value::Int64(1))
            .is_err());
    }

    #[test]
    fn declared_types_follow_the_schema() {
        let s = settings();
        assert_eq!(s.declared("d", &logical::date().build()), Declared::Date);
        assert_eq!(s.declared("t", &logical::time().build()), Declared::Instant);
        assert_eq!(s.declared("ts", &schemas::int64()), Declared::Instant);
        assert_eq!(s.declared("x", &schemas::int64()), Declared::Inferred);
        let zoned = BindSettings {
            date_in_utc: false,
            ..settings()
        };
        assert_eq!(
            zoned.declared("d", &logical::date().build()),
            Declared::Instant
        );
        assert_eq!(
            zoned
                .bind_field("d", &logical::date().build(), &Value::Date(86_400_000))
                .unwrap(),
            SqlValue::Instant(86_400_000_000)
        );
    }

    #[test]
    fn text_forms() {
        assert_eq!(SqlValue::Bytes(vec![0, 255]).text(), "\\x00ff");
        assert_eq!(
            SqlValue::Array(vec![
                SqlValue::Text("a\"b".into()),
                SqlValue::Null,
                SqlValue::I32(3)
            ])
            .text(),
            "{\"a\\\"b\",NULL,\"3\"}"
        );
        assert_eq!(SqlValue::Instant(0).text(), "1970-01-01 00:00:00.000000+00");
        assert_eq!(SqlValue::Date(1).text(), "1970-01-02");
        assert_eq!(SqlValue::F64(1.0).text(), "1.0");
    }
}
