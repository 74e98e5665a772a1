use sluice_api::logical::{self, TIMESTAMP_NAME};
use sluice_api::{schemas, SchemaBuilder, Struct, Type, Value};

use super::*;
use crate::insert_field::InsertField;
use crate::Side;

const ALL: &[(&str, &str)] = &[
    ("topic.field", "topic_field!"),
    ("partition.field", "partition_field"),
    ("offset.field", "offset_field!"),
    ("timestamp.field", "timestamp_field?"),
    ("static.field", "instance_id"),
    ("static.value", "my-instance-id"),
];

#[test]
fn schemaless_inserts_java_typed_values() {
    let mut t = configured(InsertField::new(Side::Value), ALL);
    let out = apply(&mut t, sink(None, map(vec![("magic", Value::Int64(42))])));
    assert_eq!(out.value_schema, None);
    assert_eq!(
        out.value,
        map(vec![
            ("magic", Value::Int64(42)),
            ("topic_field", Value::from("test")),
            ("partition_field", Value::Int32(3)),
            ("offset_field", Value::Int64(42)),
            ("timestamp_field", Value::Int64(1_483_425_001_864)),
            ("instance_id", Value::from("my-instance-id")),
        ])
    );
}

#[test]
fn schemaless_skips_null_partition_and_timestamp() {
    let mut t = configured(InsertField::new(Side::Value), ALL);
    let mut record = sink(None, map(vec![]));
    record.kafka_partition = None;
    record.timestamp = None;
    let out = apply(&mut t, record);
    let keys: Vec<_> = out
        .value
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(
        keys,
        vec![
            Value::from("topic_field"),
            Value::from("offset_field"),
            Value::from("instance_id")
        ]
    );
}

#[test]
fn schema_appends_fields_with_suffix_optionality_and_drops_struct_optional() {
    let schema = SchemaBuilder::struct_()
        .name("name")
        .version(1)
        .doc("doc")
        .optional()
        .field("magic", schemas::optional_int64())
        .unwrap()
        .build_ref();
    let mut value = Struct::new(schema.clone());
    value.put("magic", Value::Int64(42)).unwrap();
    let mut t = configured(InsertField::new(Side::Value), ALL);
    let out = apply(&mut t, sink(Some(schema), Value::Struct(value)));
    let s = out.value_schema.clone().unwrap();
    assert_eq!(s.name.as_deref(), Some("name"));
    assert_eq!(s.version, Some(1));
    assert_eq!(s.doc.as_deref(), Some("doc"));
    assert!(!s.optional, "copySchemaBasics does not copy optional");
    let fields: Vec<_> = s
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.schema.schema_type, f.schema.optional))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("magic", Type::Int64, true),
            ("topic_field", Type::String, false),
            ("partition_field", Type::Int32, true),
            ("offset_field", Type::Int64, false),
            ("timestamp_field", Type::Int64, true),
            ("instance_id", Type::String, true),
        ]
    );
    assert_eq!(s.fields[4].schema.name.as_deref(), Some(TIMESTAMP_NAME));
    let v = out.value.as_struct().unwrap();
    assert_eq!(
        v.get("timestamp_field").unwrap(),
        &Value::Date(1_483_425_001_864)
    );
    assert_eq!(v.get("partition_field").unwrap(), &Value::Int32(3));
    assert_eq!(v.get("offset_field").unwrap(), &Value::Int64(42));
    assert!(v.validate().is_ok());
}

#[test]
fn schema_cache_returns_the_same_output_schema() {
    let schema = SchemaBuilder::struct_()
        .field("a", schemas::int32())
        .unwrap()
        .build_ref();
    let mut t = configured(InsertField::new(Side::Value), &[("topic.field", "t")]);
    let mut value = Struct::new(schema.clone());
    value.put("a", Value::Int32(1)).unwrap();
    let a = apply(
        &mut t,
        sink(Some(schema.clone()), Value::Struct(value.clone())),
    );
    let b = apply(&mut t, sink(Some(schema), Value::Struct(value)));
    assert!(std::sync::Arc::ptr_eq(
        a.value_schema.as_ref().unwrap(),
        b.value_schema.as_ref().unwrap()
    ));
}

#[test]
fn replace_null_with_default_controls_copied_values() {
    let field = SchemaBuilder::int32()
        .optional()
        .default_value(Value::Int32(7))
        .unwrap()
        .build_ref();
    let schema = SchemaBuilder::struct_()
        .field("a", field)
        .unwrap()
        .build_ref();
    let value = Struct::new(schema.clone());
    let mut with = configured(InsertField::new(Side::Value), &[("topic.field", "t")]);
    let out = apply(
        &mut with,
        sink(Some(schema.clone()), Value::Struct(value.clone())),
    );
    assert_eq!(
        out.value
            .as_struct()
            .unwrap()
            .get_without_default("a")
            .unwrap(),
        &Value::Int32(7)
    );
    let mut without = configured(
        InsertField::new(Side::Value),
        &[("topic.field", "t"), ("replace.null.with.default", "false")],
    );
    let out = apply(&mut without, sink(Some(schema), Value::Struct(value)));
    assert_eq!(
        out.value
            .as_struct()
            .unwrap()
            .get_without_default("a")
            .unwrap(),
        &Value::Null
    );
}

#[test]
fn tombstones_pass_through_unchanged() {
    let mut t = configured(InsertField::new(Side::Value), ALL);
    let record = sink(Some(schemas::optional_string()), Value::Null);
    assert_eq!(apply(&mut t, record.clone()), record);
    let record = sink(None, Value::Null);
    assert_eq!(apply(&mut t, record.clone()), record);
}

#[test]
fn key_variant_operates_on_the_key() {
    let mut t = configured(InsertField::new(Side::Key), &[("topic.field", "topic")]);
    let mut record = sink(None, Value::from("v"));
    record.key = map(vec![]);
    let out = apply(&mut t, record);
    assert_eq!(out.key, map(vec![("topic", Value::from("test"))]));
    assert_eq!(out.value, Value::from("v"));
}

#[test]
fn errors_match_java() {
    let mut t = configured(InsertField::new(Side::Value), ALL);
    let e = apply_err(&mut t, source(None, map(vec![])));
    assert_eq!(
        e.to_string(),
        "Only SinkRecord supported for [field insertion], found: org.apache.kafka.connect.source.SourceRecord"
    );
    let e = apply_err(&mut t, sink(Some(schemas::int32()), Value::Int32(1)));
    assert_eq!(
        e.to_string(),
        "Only Struct objects supported for [field insertion], found: java.lang.Integer"
    );
    let e = apply_err(&mut t, sink(None, Value::from("x")));
    assert_eq!(
        e.to_string(),
        "Only Map objects supported in absence of schema for [field insertion], found: java.lang.String"
    );
    assert_eq!(
        config_err(InsertField::new(Side::Value), &[]),
        "No field insertion configured"
    );
    assert_eq!(
        config_err(InsertField::new(Side::Value), &[("static.field", "s")]),
        "Invalid value null for configuration static.value: No value specified for static field: s"
    );
    // a logical timestamp schema is what the timestamp field gets
    assert_eq!(logical::timestamp().build().schema_type, Type::Int64);
}

#[test]
fn a_null_topic_is_inserted_as_null() {
    let mut t = configured(InsertField::new(Side::Value), &[("topic.field", "t")]);
    let mut record = sink(None, map(vec![]));
    record.topic = None;
    let out = apply(&mut t, record);
    assert_eq!(out.value, map(vec![("t", Value::Null)]));
}
