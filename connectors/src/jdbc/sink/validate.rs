//! Confluent's `RecordValidator`: what a record must carry for the configured `pk.mode` and
//! `delete.enabled`, with Confluent's messages.

use sluice_api::{SchemaRef, SinkRecord, Type, Value};

use super::config::{JdbcSinkConfig, PkMode, FIELDS_WHITELIST, TIMESTAMP_FIELDS_LIST};

/// Checks one record; the error is Confluent's message.
pub fn validate_record(config: &JdbcSinkConfig, record: &SinkRecord) -> Result<(), String> {
    let needs_key = config.pk_mode == PkMode::RecordKey || config.delete_enabled;
    let needs_value =
        matches!(config.pk_mode, PkMode::RecordValue | PkMode::None) || !config.delete_enabled;
    if needs_key {
        requires_key(config, record)?;
    }
    if needs_value {
        requires_value(config, record)?;
    }
    Ok(())
}

fn coordinates(record: &SinkRecord) -> String {
    format!(
        "(topic='{}',partition={},offset={},timestamp={})",
        record.topic_name(),
        record
            .kafka_partition
            .map_or("null".to_string(), |p| p.to_string()),
        record
            .kafka_offset()
            .map_or("null".to_string(), |o| o.to_string()),
        record
            .timestamp
            .map_or("null".to_string(), |t| t.to_string()),
    )
}

/// `StringUtils.valueTypeOrNull`: the simple Java class name.
fn value_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bytes(_) => "byte[]",
        other => {
            let c = other.java_class();
            c.rsplit('.').next().unwrap_or(c)
        }
    }
}

/// `StringUtils.schemaTypeOrNull`.
fn schema_type(s: Option<&SchemaRef>) -> &'static str {
    match s {
        None => "null",
        Some(s) if s.schema_type == Type::Struct => "Struct",
        Some(s) => s.schema_type.name(),
    }
}

fn requires_value(config: &JdbcSinkConfig, record: &SinkRecord) -> Result<(), String> {
    if let Some(vs) = &record.value_schema {
        if !record.value.is_null() && matches!(vs.schema_type, Type::Struct | Type::String) {
            if vs.schema_type == Type::String {
                reject_string_value_configs(config)?;
            }
            return Ok(());
        }
    }
    Err(format!(
        "Sink connector '{}' is configured with 'delete.enabled={}' and 'pk.mode={}' and \
         therefore requires records with a non-null Struct or String value and non-null Struct or \
         String schema, but found record at {} with a {} value and {} value schema.",
        config.connector_name,
        config.delete_enabled,
        config.pk_mode.lower(),
        coordinates(record),
        value_type(&record.value),
        schema_type(record.value_schema.as_ref()),
    ))
}

fn requires_key(config: &JdbcSinkConfig, record: &SinkRecord) -> Result<(), String> {
    if let Some(ks) = &record.key_schema {
        if !record.key.is_null()
            && (ks.schema_type == Type::Struct || ks.schema_type.is_primitive())
        {
            return Ok(());
        }
    }
    Err(format!(
        "Sink connector '{}' is configured with 'delete.enabled={}' and 'pk.mode={}' and \
         therefore requires records with a non-null key and non-null Struct or primitive key \
         schema, but found record at {} with a {} key and {} key schema.",
        config.connector_name,
        config.delete_enabled,
        config.pk_mode.lower(),
        coordinates(record),
        value_type(&record.key),
        schema_type(record.key_schema.as_ref()),
    ))
}

fn reject_string_value_configs(config: &JdbcSinkConfig) -> Result<(), String> {
    let mut conflicting = Vec::new();
    if !config.fields_whitelist.is_empty() {
        conflicting.push(FIELDS_WHITELIST);
    }
    if !config.timestamp_fields.is_empty() {
        conflicting.push(TIMESTAMP_FIELDS_LIST);
    }
    if conflicting.is_empty() {
        return Ok(());
    }
    Err(format!(
        "Sink connector '{}' is configured with field-level options that are not applicable to \
         String values: {}. Remove these options, or have the upstream producer emit Struct \
         values instead.",
        config.connector_name,
        conflicting.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::{schemas, Props, SchemaBuilder, Struct};

    fn config(pairs: &[(&str, &str)]) -> JdbcSinkConfig {
        let mut p: Props = [
            ("name", "my-sink"),
            ("connection.url", "jdbc:postgresql://h/d"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            p.insert(k.to_string(), v.to_string());
        }
        JdbcSinkConfig::parse(&p).unwrap()
    }

    fn record(key: Option<(SchemaRef, Value)>, value: Option<(SchemaRef, Value)>) -> SinkRecord {
        let mut r = sluice_api::connector::sink_record("t", 1, 7);
        r.timestamp = Some(1000);
        if let Some((s, v)) = key {
            r.key_schema = Some(s);
            r.key = v;
        }
        if let Some((s, v)) = value {
            r.value_schema = Some(s);
            r.value = v;
        }
        r
    }

    fn struct_value() -> (SchemaRef, Value) {
        let s = SchemaBuilder::struct_()
            .field("a", schemas::int32())
            .unwrap()
            .build_ref();
        let mut v = Struct::new(s.clone());
        v.put("a", Value::Int32(1)).unwrap();
        (s, Value::Struct(v))
    }

    #[test]
    fn schemaless_values_are_refused_with_confluents_message() {
        let c = config(&[]);
        let mut r = record(None, None);
        r.value = Value::string_map([("a", Value::Int32(1))]);
        assert_eq!(
            validate_record(&c, &r).unwrap_err(),
            "Sink connector 'my-sink' is configured with 'delete.enabled=false' and \
             'pk.mode=none' and therefore requires records with a non-null Struct or String value \
             and non-null Struct or String schema, but found record at \
             (topic='t',partition=1,offset=7,timestamp=1000) with a HashMap value and null value \
             schema."
        );
        assert!(validate_record(&c, &record(None, Some(struct_value()))).is_ok());
        let tombstone = record(None, None);
        assert!(validate_record(&c, &tombstone)
            .unwrap_err()
            .contains("with a null value and null value schema."));
    }

    #[test]
    fn record_key_mode_needs_a_key() {
        let c = config(&[("pk.mode", "record_key"), ("delete.enabled", "true")]);
        let e = validate_record(&c, &record(None, Some(struct_value()))).unwrap_err();
        assert!(
            e.contains(
                "'delete.enabled=true' and 'pk.mode=record_key' and therefore requires records \
                 with a non-null key and non-null Struct or primitive key schema"
            ),
            "{e}"
        );
        // A tombstone with a key is fine when deletes are enabled.
        let tombstone = record(Some((schemas::int64(), Value::Int64(1))), None);
        assert!(validate_record(&c, &tombstone).is_ok());
        // Kafka mode without deletes checks the value only.
        let k = config(&[("pk.mode", "kafka")]);
        assert!(validate_record(&k, &record(None, Some(struct_value()))).is_ok());
    }

    #[test]
    fn string_values_refuse_field_options() {
        let c = config(&[("fields.whitelist", "a")]);
        let r = record(None, Some((schemas::string(), Value::from("x"))));
        assert_eq!(
            validate_record(&c, &r).unwrap_err(),
            "Sink connector 'my-sink' is configured with field-level options that are not \
             applicable to String values: fields.whitelist. Remove these options, or have the \
             upstream producer emit Struct values instead."
        );
        assert!(validate_record(&config(&[]), &r).is_ok());
    }
}
