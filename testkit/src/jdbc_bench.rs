//! Shared pieces of the JDBC benchmark's helpers (`bench/jdbc/run`): the broker address, the
//! benchmark's record, Connect field types and their JsonConverter (`schemas.enable=true`)
//! envelope, and PostgreSQL DDL for them.
//!
//! The binaries `jdbc-bench` (topic filler and watchers), `pg-loader` (the sink's baseline) and
//! `pg-source-baseline` (the source's baseline) use it; nothing else does.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Boxed error of the benchmark helpers.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// The broker: `SLUICE_BOOTSTRAP_SERVERS`, else `127.0.0.1:9092`.
pub fn bootstrap() -> String {
    std::env::var("SLUICE_BOOTSTRAP_SERVERS")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "127.0.0.1:9092".to_string())
}

/// A Connect schema type the benchmark's rows use (JsonConverter's `type`, plus the
/// `Timestamp` logical type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// `int16` / SMALLINT.
    Int16,
    /// `int32` / INT.
    Int32,
    /// `int64` / BIGINT.
    Int64,
    /// `float` / REAL.
    Float32,
    /// `double` / DOUBLE PRECISION.
    Float64,
    /// `boolean` / BOOLEAN.
    Boolean,
    /// `string` / TEXT.
    String,
    /// `int64` named `org.apache.kafka.connect.data.Timestamp` / TIMESTAMP (milliseconds since
    /// the epoch, UTC).
    Timestamp,
}

/// The Connect name of the `Timestamp` logical type.
pub const TIMESTAMP_NAME: &str = "org.apache.kafka.connect.data.Timestamp";

impl FieldType {
    /// Reads a JsonConverter field schema (`{"type":…,"name":…}`).
    pub fn from_schema(field: &Value) -> Result<FieldType, BenchError> {
        let ty = field["type"].as_str().unwrap_or_default();
        let name = field["name"].as_str();
        Ok(match (ty, name) {
            ("int64", Some(TIMESTAMP_NAME)) => FieldType::Timestamp,
            ("int16", None) => FieldType::Int16,
            ("int32", None) => FieldType::Int32,
            ("int64", None) => FieldType::Int64,
            ("float", None) => FieldType::Float32,
            ("double", None) => FieldType::Float64,
            ("boolean", None) => FieldType::Boolean,
            ("string", None) => FieldType::String,
            _ => {
                return Err(format!("field schema not supported by the benchmark: {field}").into())
            }
        })
    }

    /// The PostgreSQL type of a column for this field, as Confluent's PostgreSQL dialect
    /// auto-creates it.
    pub fn sql_type(self) -> &'static str {
        match self {
            FieldType::Int16 => "SMALLINT",
            FieldType::Int32 => "INT",
            FieldType::Int64 => "BIGINT",
            FieldType::Float32 => "REAL",
            FieldType::Float64 => "DOUBLE PRECISION",
            FieldType::Boolean => "BOOLEAN",
            FieldType::String => "TEXT",
            FieldType::Timestamp => "TIMESTAMP",
        }
    }

    /// The field's schema as JsonConverter writes it.
    pub fn schema_json(self, field: &str, optional: bool) -> String {
        let ty = match self {
            FieldType::Int16 => "int16",
            FieldType::Int32 => "int32",
            FieldType::Int64 | FieldType::Timestamp => "int64",
            FieldType::Float32 => "float",
            FieldType::Float64 => "double",
            FieldType::Boolean => "boolean",
            FieldType::String => "string",
        };
        let logical = if self == FieldType::Timestamp {
            format!(",\"name\":\"{TIMESTAMP_NAME}\",\"version\":1")
        } else {
            String::new()
        };
        format!(
            "{{\"type\":\"{ty}\",\"optional\":{optional}{logical},\"field\":{}}}",
            Value::String(field.to_string())
        )
    }
}

/// A struct schema as JsonConverter writes it, from `(field, type, optional)` triples.
pub fn struct_schema_json(fields: &[(String, FieldType, bool)], name: Option<&str>) -> String {
    let mut out = String::from("{\"type\":\"struct\",\"fields\":[");
    for (i, (field, ty, optional)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&ty.schema_json(field, *optional));
    }
    out.push_str("],\"optional\":false");
    if let Some(name) = name {
        let _ = write!(out, ",\"name\":{}", Value::String(name.to_string()));
    }
    out.push('}');
    out
}

/// The fields of the sink benchmark's record ("orders"), in order.
pub fn order_fields() -> Vec<(String, FieldType, bool)> {
    [
        ("id", FieldType::Int64),
        ("customer", FieldType::String),
        ("amount", FieldType::Float64),
        ("quantity", FieldType::Int32),
        ("paid", FieldType::Boolean),
        ("created", FieldType::Timestamp),
    ]
    .into_iter()
    .map(|(f, t)| (f.to_string(), t, false))
    .collect()
}

/// Base of the `created` timestamps (2023-11-14T22:13:20Z).
pub const CREATED_BASE_MS: i64 = 1_700_000_000_000;

/// Record `i` of the sink benchmark's topic: the JsonConverter envelope
/// (`{"schema":…,"payload":…}`) of order `i` (`id` = `i`), about 520 bytes. `schema` is
/// [`struct_schema_json`] of [`order_fields`], rendered once by the caller.
pub fn order_envelope(schema: &str, i: u64) -> String {
    format!(
        "{{\"schema\":{schema},\"payload\":{{\"id\":{i},\"customer\":\"customer-{:05}\",\
         \"amount\":{:.2},\"quantity\":{},\"paid\":{},\"created\":{}}}}}",
        i % 50_000,
        (i % 100_000) as f64 * 0.25 + 1.0,
        i % 100 + 1,
        i.is_multiple_of(2),
        CREATED_BASE_MS + i as i64
    )
}

/// The `CREATE TABLE` Confluent's PostgreSQL dialect issues for `fields` with `pk` as the
/// primary key (`auto.create=true`, `pk.mode=record_value`).
pub fn create_table_sql(table: &str, fields: &[(String, FieldType, bool)], pk: &str) -> String {
    let mut sql = format!("CREATE TABLE {table} (\n");
    for (field, ty, optional) in fields {
        let null = if *optional { "NULL" } else { "NOT NULL" };
        let _ = writeln!(sql, "{} {} {null},", quote(field), ty.sql_type());
    }
    let _ = write!(sql, "PRIMARY KEY({}))", quote(pk));
    sql
}

/// `name` as a quoted SQL identifier.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Milliseconds since the epoch of a TIMESTAMP value (negative before 1970).
pub fn epoch_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// The TIMESTAMP value of milliseconds since the epoch.
pub fn from_epoch_millis(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_envelope_is_a_jsonconverter_envelope() {
        let schema = struct_schema_json(&order_fields(), None);
        let v: Value = serde_json::from_str(&order_envelope(&schema, 7)).expect("json");
        assert_eq!(v["payload"]["id"], 7);
        assert_eq!(v["payload"]["customer"], "customer-00007");
        assert_eq!(v["payload"]["amount"], 2.75);
        assert_eq!(v["payload"]["quantity"], 8);
        assert_eq!(v["payload"]["paid"], false);
        assert_eq!(v["payload"]["created"], CREATED_BASE_MS + 7);
        let fields = v["schema"]["fields"].as_array().expect("fields");
        let types: Vec<FieldType> = fields
            .iter()
            .map(|f| FieldType::from_schema(f).expect("type"))
            .collect();
        let expected: Vec<FieldType> = order_fields().into_iter().map(|f| f.1).collect();
        assert_eq!(types, expected);
        assert_eq!(fields[5]["name"], TIMESTAMP_NAME);
        assert_eq!(fields[5]["version"], 1);
        assert_eq!(fields[0]["optional"], false);
    }

    #[test]
    fn ddl_matches_the_dialect() {
        let sql = create_table_sql("\"t\"", &order_fields()[..2], "id");
        assert_eq!(
            sql,
            "CREATE TABLE \"t\" (\n\"id\" BIGINT NOT NULL,\n\"customer\" TEXT NOT NULL,\nPRIMARY KEY(\"id\"))"
        );
    }

    #[test]
    fn millis_round_trip() {
        for ms in [0, 1, -1, CREATED_BASE_MS, -86_400_001] {
            assert_eq!(epoch_millis(from_epoch_millis(ms)), ms);
        }
    }
}
