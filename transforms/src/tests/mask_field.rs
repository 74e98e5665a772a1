use sluice_api::{logical, schemas, BigDecimal, SchemaBuilder, Struct, Value};

use super::*;
use crate::mask_field::MaskField;
use crate::Side;

fn all_types() -> Value {
    map(vec![
        ("int", Value::Int32(42)),
        ("long", Value::Int64(42)),
        ("byte", Value::Int8(42)),
        ("short", Value::Int16(42)),
        ("float", Value::Float32(42.0)),
        ("double", Value::Float64(42.0)),
        ("string", Value::from("hmm")),
        ("date", Value::Date(123)),
        ("bool", Value::Boolean(true)),
        ("decimal", Value::Decimal("42.5".parse().unwrap())),
        ("list", Value::Array(vec![Value::Int32(1)])),
        ("map", map(vec![("k", Value::Int32(1))])),
        ("withDefault", Value::Null),
    ])
}

#[test]
fn schemaless_masks_by_java_class() {
    let fields = "int,long,byte,short,float,double,string,date,bool,decimal,list,map,missing";
    let mut t = configured(MaskField::new(Side::Value), &[("fields", fields)]);
    let out = apply(&mut t, sink(None, all_types()));
    assert_eq!(
        out.value,
        map(vec![
            ("int", Value::Int32(0)),
            ("long", Value::Int64(0)),
            ("byte", Value::Int8(0)),
            ("short", Value::Int16(0)),
            ("float", Value::Float32(0.0)),
            ("double", Value::Float64(0.0)),
            ("string", Value::from("")),
            ("date", Value::Date(0)),
            ("bool", Value::Boolean(false)),
            ("decimal", Value::Decimal(BigDecimal::from(0))),
            ("list", Value::Array(vec![])),
            ("map", map(vec![])),
            ("withDefault", Value::Null),
            ("missing", Value::Null),
        ])
    );
}

#[test]
fn custom_replacement_is_converted_to_the_value_class() {
    let mut t = configured(
        MaskField::new(Side::Value),
        &[
            ("fields", "int,long,double,string,decimal"),
            ("replacement", "123"),
        ],
    );
    let out = apply(&mut t, sink(None, all_types()));
    assert_eq!(out.value.map_get("int"), Some(&Value::Int32(123)));
    assert_eq!(out.value.map_get("long"), Some(&Value::Int64(123)));
    assert_eq!(out.value.map_get("double"), Some(&Value::Float64(123.0)));
    assert_eq!(out.value.map_get("string"), Some(&Value::from("123")));
    assert_eq!(
        out.value.map_get("decimal"),
        Some(&Value::Decimal("123".parse().unwrap()))
    );

    let mut t = configured(
        MaskField::new(Side::Value),
        &[("fields", "bool"), ("replacement", "x")],
    );
    let e = apply_err(&mut t, sink(None, all_types()));
    assert_eq!(
        e.to_string(),
        "Cannot mask value of type class java.lang.Boolean with custom replacement."
    );
    let mut t = configured(
        MaskField::new(Side::Value),
        &[("fields", "int"), ("replacement", "abc")],
    );
    let e = apply_err(&mut t, sink(None, all_types()));
    assert_eq!(
        e.to_string(),
        "Unable to convert abc (class java.lang.String) to a number"
    );
}

#[test]
fn bytes_cannot_be_masked() {
    let mut t = configured(MaskField::new(Side::Value), &[("fields", "b")]);
    let e = apply_err(&mut t, sink(None, map(vec![("b", Value::Bytes(vec![1]))])));
    assert_eq!(e.to_string(), "Cannot mask value of type: class [B");
}

#[test]
fn schema_keeps_the_schema_and_applies_defaults() {
    let schema = SchemaBuilder::struct_()
        .field("int", schemas::int32())
        .unwrap()
        .field("string", schemas::string())
        .unwrap()
        .field("ts", logical::timestamp().build_ref())
        .unwrap()
        .field(
            "withDefault",
            SchemaBuilder::string()
                .optional()
                .default_value(Value::from("default"))
                .unwrap()
                .build_ref(),
        )
        .unwrap()
        .build_ref();
    let mut value = Struct::new(schema.clone());
    value.put("int", Value::Int32(42)).unwrap();
    value.put("string", Value::from("secret")).unwrap();
    value.put("ts", Value::Date(5)).unwrap();
    let mut t = configured(MaskField::new(Side::Value), &[("fields", "int,string,ts")]);
    let out = apply(
        &mut t,
        sink(Some(schema.clone()), Value::Struct(value.clone())),
    );
    assert!(std::sync::Arc::ptr_eq(
        out.value_schema.as_ref().unwrap(),
        &schema
    ));
    let v = out.value.as_struct().unwrap();
    assert_eq!(v.get("int").unwrap(), &Value::Int32(0));
    assert_eq!(v.get("string").unwrap(), &Value::from(""));
    assert_eq!(v.get("ts").unwrap(), &Value::Date(0));
    assert_eq!(
        v.get_without_default("withDefault").unwrap(),
        &Value::from("default")
    );

    let mut keep_null = configured(
        MaskField::new(Side::Value),
        &[("fields", "int"), ("replace.null.with.default", "false")],
    );
    let out = apply(&mut keep_null, sink(Some(schema), Value::Struct(value)));
    assert_eq!(
        out.value
            .as_struct()
            .unwrap()
            .get_without_default("withDefault")
            .unwrap(),
        &Value::Null
    );
}

#[test]
fn tombstones_and_config_errors() {
    let mut t = configured(MaskField::new(Side::Value), &[("fields", "a")]);
    let e = apply_err(&mut t, sink(Some(schemas::optional_string()), Value::Null));
    assert_eq!(
        e.to_string(),
        "Only Struct objects supported for [mask fields], found: null"
    );
    assert_eq!(
        config_err(
            MaskField::new(Side::Value),
            &[("fields", "a"), ("replacement", "")]
        ),
        "Invalid value  for configuration replacement: String must be non-empty"
    );
    assert_eq!(
        config_err(MaskField::new(Side::Value), &[]),
        "Missing required configuration \"fields\" which has no default value."
    );
}
