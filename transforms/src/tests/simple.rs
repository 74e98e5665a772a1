//! HoistField, ValueToKey, Filter and SetSchemaMetadata's neighbours with little configuration.

use sluice_api::{schemas, SchemaBuilder, Struct, Value};

use super::*;
use crate::filter::Filter;
use crate::hoist_field::HoistField;
use crate::value_to_key::ValueToKey;
use crate::Side;

#[test]
fn hoist_schemaless_wraps_in_a_map() {
    let mut t = configured(HoistField::new(Side::Key), &[("field", "magic")]);
    let mut record = sink(None, Value::Null);
    record.key = Value::Int32(42);
    let out = apply(&mut t, record);
    assert_eq!(out.key, map(vec![("magic", Value::Int32(42))]));
    assert_eq!(out.key_schema, None);
}

#[test]
fn hoist_with_schema_wraps_in_an_unnamed_required_struct() {
    let mut t = configured(HoistField::new(Side::Value), &[("field", "magic")]);
    let out = apply(&mut t, sink(Some(schemas::int32()), Value::Int32(42)));
    let schema = out.value_schema.unwrap();
    assert_eq!(schema.name, None);
    assert!(!schema.optional);
    assert_eq!(schema.fields[0].name, "magic");
    assert_eq!(schema.fields[0].schema, schemas::int32());
    assert_eq!(
        out.value.as_struct().unwrap().get("magic").unwrap(),
        &Value::Int32(42)
    );
}

#[test]
fn hoist_nulls_follow_java() {
    let mut t = configured(HoistField::new(Side::Value), &[("field", "f")]);
    let out = apply(&mut t, sink(None, Value::Null));
    assert_eq!(out.value, map(vec![("f", Value::Null)]));
    let out = apply(&mut t, sink(Some(schemas::optional_int32()), Value::Null));
    assert_eq!(
        out.value.as_struct().unwrap().get("f").unwrap(),
        &Value::Null
    );
    let e = apply_err(&mut t, sink(Some(schemas::int32()), Value::Null));
    assert_eq!(
        e.to_string(),
        "Invalid value: null used for required field: \"f\", schema type: INT32"
    );
    assert_eq!(
        config_err(HoistField::new(Side::Value), &[]),
        "Missing required configuration \"field\" which has no default value."
    );
}

#[test]
fn value_to_key_schemaless() {
    let mut t = configured(ValueToKey::new(), &[("fields", "a,b,missing")]);
    let value = map(vec![
        ("a", Value::Int32(1)),
        ("b", Value::Int32(2)),
        ("c", Value::Int32(3)),
    ]);
    let out = apply(&mut t, sink(None, value.clone()));
    assert_eq!(
        out.key,
        map(vec![
            ("a", Value::Int32(1)),
            ("b", Value::Int32(2)),
            ("missing", Value::Null)
        ])
    );
    assert_eq!(out.key_schema, None);
    assert_eq!(out.value, value);
}

#[test]
fn value_to_key_with_schema_uses_config_order() {
    let schema = SchemaBuilder::struct_()
        .field("a", schemas::int32())
        .unwrap()
        .field("b", schemas::int32())
        .unwrap()
        .field("c", schemas::int32())
        .unwrap()
        .build_ref();
    let mut value = Struct::new(schema.clone());
    value.put("a", Value::Int32(1)).unwrap();
    value.put("b", Value::Int32(2)).unwrap();
    value.put("c", Value::Int32(3)).unwrap();
    let mut t = configured(ValueToKey::new(), &[("fields", "b,a")]);
    let out = apply(
        &mut t,
        sink(Some(schema.clone()), Value::Struct(value.clone())),
    );
    let key_schema = out.key_schema.clone().unwrap();
    let names: Vec<_> = key_schema.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["b", "a"]);
    assert_eq!(
        out.key.as_struct().unwrap().get("b").unwrap(),
        &Value::Int32(2)
    );
    assert_eq!(out.value, Value::Struct(value.clone()));

    let mut t = configured(ValueToKey::new(), &[("fields", "nope")]);
    let e = apply_err(&mut t, sink(Some(schema), Value::Struct(value)));
    assert_eq!(e.to_string(), "Field does not exist: nope");
}

#[test]
fn value_to_key_rejects_tombstones_and_empty_fields() {
    let mut t = configured(ValueToKey::new(), &[("fields", "a")]);
    let e = apply_err(&mut t, sink(None, Value::Null));
    assert_eq!(
        e.to_string(),
        "Only Map objects supported in absence of schema for [copying fields from value to key], found: null"
    );
    assert_eq!(
        config_err(ValueToKey::new(), &[("fields", "")]),
        "Invalid value  for configuration fields: Empty list"
    );
}

#[test]
fn filter_drops_every_record() {
    let mut f = configured(Filter::new(), &[]);
    assert_eq!(f.apply(sink(None, Value::Int32(1))).unwrap(), None);
}
