use sluice_api::{schemas, ConnectError, SchemaBuilder, Struct, Value};

use super::*;
use crate::extract_field::ExtractField;
use crate::Side;

fn nested() -> (sluice_api::SchemaRef, Struct) {
    let inner = SchemaBuilder::struct_()
        .optional()
        .field("magic", schemas::int32())
        .unwrap()
        .field(
            "dflt",
            SchemaBuilder::int32()
                .optional()
                .default_value(Value::Int32(9))
                .unwrap()
                .build_ref(),
        )
        .unwrap()
        .build_ref();
    let outer = SchemaBuilder::struct_()
        .field("inner", inner.clone())
        .unwrap()
        .field("dotted.name", schemas::string())
        .unwrap()
        .build_ref();
    let mut i = Struct::new(inner);
    i.put("magic", Value::Int32(42)).unwrap();
    let mut o = Struct::new(outer.clone());
    o.put("inner", Value::Struct(i)).unwrap();
    o.put("dotted.name", Value::from("d")).unwrap();
    (outer, o)
}

#[test]
fn v1_extracts_top_level_fields_with_dots_literal() {
    let (schema, value) = nested();
    let mut t = configured(ExtractField::new(Side::Value), &[("field", "dotted.name")]);
    let out = apply(&mut t, sink(Some(schema), Value::Struct(value)));
    assert_eq!(out.value, Value::from("d"));
    assert_eq!(out.value_schema, Some(schemas::string()));

    let mut t = configured(ExtractField::new(Side::Key), &[("field", "magic")]);
    let mut record = sink(None, Value::Null);
    record.key = map(vec![("magic", Value::Int32(42))]);
    assert_eq!(apply(&mut t, record).key, Value::Int32(42));
}

#[test]
fn v2_follows_nested_paths() {
    let (schema, value) = nested();
    let mut t = configured(
        ExtractField::new(Side::Value),
        &[("field", "inner.magic"), ("field.syntax.version", "v2")],
    );
    let out = apply(
        &mut t,
        sink(Some(schema.clone()), Value::Struct(value.clone())),
    );
    assert_eq!(out.value, Value::Int32(42));
    assert_eq!(out.value_schema, Some(schemas::int32()));

    let mut t = configured(
        ExtractField::new(Side::Value),
        &[("field", "inner.dflt"), ("field.syntax.version", "V2")],
    );
    let out = apply(
        &mut t,
        sink(Some(schema.clone()), Value::Struct(value.clone())),
    );
    assert_eq!(out.value, Value::Int32(9));

    let mut t = configured(
        ExtractField::new(Side::Value),
        &[("field", "`dotted.name`"), ("field.syntax.version", "V2")],
    );
    let out = apply(&mut t, sink(Some(schema), Value::Struct(value)));
    assert_eq!(out.value, Value::from("d"));

    let mut t = configured(
        ExtractField::new(Side::Value),
        &[("field", "a.b"), ("field.syntax.version", "V2")],
    );
    let out = apply(
        &mut t,
        sink(None, map(vec![("a", map(vec![("b", Value::Int32(1))]))])),
    );
    assert_eq!(out.value, Value::Int32(1));
    let out = apply(&mut t, sink(None, map(vec![("a", Value::Null)])));
    assert_eq!(out.value, Value::Null);
    let e = apply_err(&mut t, sink(None, map(vec![("a", Value::Int32(1))])));
    assert!(e.to_string().contains("[nested field access]"), "{e}");
}

#[test]
fn unknown_field_is_an_illegal_argument() {
    let (schema, value) = nested();
    let mut t = configured(ExtractField::new(Side::Value), &[("field", "nope")]);
    let e = apply_err(&mut t, sink(Some(schema), Value::Struct(value)));
    assert_eq!(
        e,
        ConnectError::IllegalArgument("Unknown field: nope".to_string())
    );
    let out = apply(&mut t, sink(None, map(vec![])));
    assert_eq!(out.value, Value::Null);
}

#[test]
fn nulls_keep_the_field_schema() {
    let (schema, _) = nested();
    let mut t = configured(ExtractField::new(Side::Value), &[("field", "dotted.name")]);
    let out = apply(&mut t, sink(Some(schema), Value::Null));
    assert_eq!(out.value, Value::Null);
    assert_eq!(out.value_schema, Some(schemas::string()));
    let out = apply(&mut t, sink(None, Value::Null));
    assert_eq!((out.value, out.value_schema), (Value::Null, None));
}

#[test]
fn syntax_version_is_validated() {
    assert_eq!(
        config_err(
            ExtractField::new(Side::Value),
            &[("field", "a"), ("field.syntax.version", "V3")]
        ),
        "Invalid value V3 for configuration field.syntax.version: String must be one of (case insensitive): V1, V2"
    );
    assert!(config_err(
        ExtractField::new(Side::Value),
        &[("field", "`a"), ("field.syntax.version", "V2")]
    )
    .starts_with("Incomplete backtick pair in path: [`a]"));
}
