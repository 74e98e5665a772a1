use sluice_api::{schemas, SchemaBuilder, Struct, Type, Value};

use super::*;
use crate::flatten::Flatten;
use crate::Side;

#[test]
fn schemaless_nested_maps_are_joined_with_the_delimiter() {
    let mut t = configured(Flatten::new(Side::Value), &[("delimiter", "#")]);
    let value = map(vec![
        (
            "A",
            map(vec![
                ("B", map(vec![("int8", Value::Int8(8))])),
                ("s", Value::from("x")),
            ]),
        ),
        (
            "list",
            Value::Array(vec![map(vec![("x", Value::Int32(1))])]),
        ),
        ("nil", Value::Null),
    ]);
    let out = apply(&mut t, sink(None, value));
    assert_eq!(
        out.value,
        map(vec![
            ("A#B#int8", Value::Int8(8)),
            ("A#s", Value::from("x")),
            (
                "list",
                Value::Array(vec![map(vec![("x", Value::Int32(1))])])
            ),
            ("nil", Value::Null),
        ])
    );
    let e = apply_err(&mut t, sink(None, map(vec![("d", Value::Date(0))])));
    assert!(
        e.to_string()
            .contains("which is not supported by Connect's data API"),
        "{e}"
    );
}

#[test]
fn schema_nested_structs_inherit_optionality_and_defaults() {
    let inner = SchemaBuilder::struct_()
        .optional()
        .field("a", schemas::int32())
        .unwrap()
        .field("arr", SchemaBuilder::array(schemas::string()).build_ref())
        .unwrap()
        .build_ref();
    let mut inner_default = Struct::new(inner.clone());
    inner_default.put("a", Value::Int32(5)).unwrap();
    inner_default.put("arr", Value::Array(vec![])).unwrap();
    let inner_with_default = SchemaBuilder::from_schema(&inner)
        .default_value(Value::Struct(inner_default))
        .unwrap()
        .build_ref();
    let schema = SchemaBuilder::struct_()
        .name("top")
        .optional()
        .field("b", schemas::boolean())
        .unwrap()
        .field("nested", inner_with_default.clone())
        .unwrap()
        .build_ref();
    let mut nested = Struct::new(inner_with_default);
    nested.put("a", Value::Int32(1)).unwrap();
    nested
        .put("arr", Value::Array(vec![Value::from("x")]))
        .unwrap();
    let mut value = Struct::new(schema.clone());
    value.put("b", Value::Boolean(true)).unwrap();
    value.put("nested", Value::Struct(nested)).unwrap();
    let mut t = configured(Flatten::new(Side::Value), &[]);
    let out = apply(&mut t, sink(Some(schema), Value::Struct(value)));
    let s = out.value_schema.unwrap();
    assert_eq!(s.name.as_deref(), Some("top"));
    assert!(!s.optional);
    let a = &s.field("nested.a").unwrap().schema;
    assert!(a.optional, "an optional ancestor makes the field optional");
    assert_eq!(a.default, Some(Value::Int32(5)));
    assert_eq!(
        s.field("nested.arr").unwrap().schema.schema_type,
        Type::Array
    );
    assert!(
        s.field("b").unwrap().schema.optional,
        "the top-level optional flag propagates"
    );
    let v = out.value.as_struct().unwrap();
    assert_eq!(v.get("nested.a").unwrap(), &Value::Int32(1));
    assert_eq!(
        v.get("nested.arr").unwrap(),
        &Value::Array(vec![Value::from("x")])
    );
}

#[test]
fn map_fields_with_schema_are_rejected_and_tombstones_pass() {
    let schema = SchemaBuilder::struct_()
        .field(
            "m",
            SchemaBuilder::map(schemas::string(), schemas::string()).build_ref(),
        )
        .unwrap()
        .build_ref();
    let mut t = configured(Flatten::new(Side::Value), &[]);
    let e = apply_err(
        &mut t,
        sink(
            Some(schema.clone()),
            Value::Struct(Struct::new(schema.clone())),
        ),
    );
    assert_eq!(
        e.to_string(),
        "Flatten transformation does not support MAP for record with schemas (for field m)."
    );
    let record = sink(Some(schema), Value::Null);
    assert_eq!(apply(&mut t, record.clone()), record);
}
