//! Behaviour tests of the transformations and predicates, checked against the
//! behaviour of Kafka's shipped SMTs and predicates and the cases of Kafka's own transform tests.

mod cast;
mod chain;
mod extract_field;
mod flatten;
mod headers;
mod insert_field;
mod mask_field;
mod predicates;
mod replace_field;
mod routers;
mod set_schema_metadata;
mod simple;
mod timestamp_converter;

use sluice_api::{
    ConnectError, ConnectRecord, Headers, Origin, Props, SchemaRef, TimestampType, Transformation,
    Value,
};

/// A props map.
pub fn props(pairs: &[(&str, &str)]) -> Props {
    sluice_api::config::props_of(pairs)
}

/// A sink record (offset 42, partition 3, timestamp 1483425001864) with the given value.
pub fn sink(value_schema: Option<SchemaRef>, value: Value) -> ConnectRecord {
    ConnectRecord {
        topic: Some("test".to_string()),
        kafka_partition: Some(3),
        key_schema: None,
        key: Value::Null,
        value_schema,
        value,
        timestamp: Some(1_483_425_001_864),
        headers: Headers::new(),
        origin: Origin::Sink {
            kafka_offset: 42,
            timestamp_type: TimestampType::CreateTime,
        },
    }
}

/// A source record with the given value.
pub fn source(value_schema: Option<SchemaRef>, value: Value) -> ConnectRecord {
    ConnectRecord::source(
        sluice_api::OffsetMap::new(),
        sluice_api::OffsetMap::new(),
        "test",
        value_schema,
        value,
    )
}

/// A configured transformation.
pub fn configured<T: Transformation>(mut t: T, pairs: &[(&str, &str)]) -> T {
    if let Err(e) = t.configure(&props(pairs)) {
        panic!("configure failed: {e}");
    }
    t
}

/// The configure error message.
pub fn config_err<T: Transformation>(mut t: T, pairs: &[(&str, &str)]) -> String {
    match t.configure(&props(pairs)) {
        Ok(()) => panic!("configure succeeded"),
        Err(ConnectError::Config(e)) => e.message,
        Err(other) => panic!("not a config error: {other:?}"),
    }
}

/// Applies and expects a record.
pub fn apply(t: &mut dyn Transformation, record: ConnectRecord) -> ConnectRecord {
    match t.apply(record) {
        Ok(Some(r)) => r,
        Ok(None) => panic!("record dropped"),
        Err(e) => panic!("apply failed: {e}"),
    }
}

/// Applies and expects an error.
pub fn apply_err(t: &mut dyn Transformation, record: ConnectRecord) -> ConnectError {
    match t.apply(record) {
        Ok(r) => panic!("apply succeeded: {r:?}"),
        Err(e) => e,
    }
}

/// A string-keyed map value.
pub fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::string_map(pairs)
}
