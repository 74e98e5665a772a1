use sluice_api::{schemas, SchemaBuilder, Struct, Value};

use super::*;
use crate::set_schema_metadata::SetSchemaMetadata;
use crate::Side;

#[test]
fn sets_name_and_version_and_rebuilds_the_struct() {
    let schema = SchemaBuilder::struct_()
        .name("old")
        .doc("d")
        .field("a", schemas::int32())
        .unwrap()
        .build_ref();
    let mut value = Struct::new(schema.clone());
    value.put("a", Value::Int32(1)).unwrap();
    let mut t = configured(
        SetSchemaMetadata::new(Side::Value),
        &[("schema.name", "foo"), ("schema.version", "42")],
    );
    let out = apply(&mut t, sink(Some(schema), Value::Struct(value)));
    let s = out.value_schema.unwrap();
    assert_eq!(
        (s.name.as_deref(), s.version, s.doc.as_deref()),
        (Some("foo"), Some(42), Some("d"))
    );
    let v = out.value.as_struct().unwrap();
    assert_eq!(v.schema(), &s);
    assert_eq!(v.get("a").unwrap(), &Value::Int32(1));
}

#[test]
fn null_schema_and_value_pass_and_a_null_value_gets_the_new_schema() {
    let mut t = configured(
        SetSchemaMetadata::new(Side::Key),
        &[("schema.version", "2")],
    );
    let record = sink(None, Value::Null);
    assert_eq!(apply(&mut t, record.clone()), record);
    let mut record = sink(None, Value::Null);
    record.key_schema = Some(
        SchemaBuilder::struct_()
            .optional()
            .field("a", schemas::int32())
            .unwrap()
            .build_ref(),
    );
    let out = apply(&mut t, record);
    assert_eq!(out.key_schema.unwrap().version, Some(2));
    assert_eq!(out.key, Value::Null);
}

#[test]
fn errors_match_java() {
    let mut t = configured(SetSchemaMetadata::new(Side::Value), &[("schema.name", "x")]);
    let e = apply_err(&mut t, sink(None, map(vec![])));
    assert_eq!(
        e.to_string(),
        "Schema required for [updating schema metadata]"
    );
    let e = apply_err(&mut t, sink(Some(schemas::int32()), Value::Int32(1)));
    assert_eq!(e.to_string(), "Cannot list fields on non-struct type");
    assert_eq!(
        config_err(SetSchemaMetadata::new(Side::Value), &[]),
        "Neither schema name nor version configured"
    );
    assert_eq!(
        config_err(
            SetSchemaMetadata::new(Side::Value),
            &[("schema.version", "x")]
        ),
        "Invalid value x for configuration schema.version: Not a number of type INT"
    );
}
