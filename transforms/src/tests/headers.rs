use sluice_api::{schemas, SchemaBuilder, Struct, Type, Value};

use super::*;
use crate::headers::{DropHeaders, HeaderFrom, InsertHeader};
use crate::Side;

#[test]
fn insert_header_parses_the_literal_and_appends() {
    let mut t = configured(
        InsertHeader::new(),
        &[("header", "h"), ("value.literal", "1")],
    );
    let mut record = sink(None, Value::Null);
    record.headers.add("h", None, Value::from("existing"));
    let out = apply(&mut t, record);
    let all: Vec<_> = out.headers.all_with_name("h").collect();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].value, Value::Int8(1));
    assert_eq!(all[1].schema.as_ref().unwrap().schema_type, Type::Int8);
    let mut t = configured(
        InsertHeader::new(),
        &[("header", "h"), ("value.literal", "inserted-value")],
    );
    let out = apply(&mut t, sink(None, Value::Null));
    assert_eq!(
        out.headers.last_with_name("h").unwrap().value,
        Value::from("inserted-value")
    );
    assert_eq!(
        config_err(InsertHeader::new(), &[("header", "h")]),
        "Missing required configuration \"value.literal\" which has no default value."
    );
}

#[test]
fn drop_headers_removes_all_duplicates_and_keeps_order() {
    let mut t = configured(DropHeaders::new(), &[("headers", "a,c")]);
    let mut record = sink(None, Value::Null);
    for k in ["a", "b", "a", "c", "d"] {
        record.headers.add(k, None, Value::from(k));
    }
    let out = apply(&mut t, record);
    let keys: Vec<_> = out.headers.iter().map(|h| h.key.as_str()).collect();
    assert_eq!(keys, ["b", "d"]);
    assert_eq!(
        config_err(DropHeaders::new(), &[("headers", "")]),
        "Invalid value  for configuration headers: Empty list"
    );
}

fn struct_value() -> (sluice_api::SchemaRef, Struct) {
    let schema = SchemaBuilder::struct_()
        .name("s")
        .optional()
        .field("a", schemas::int32())
        .unwrap()
        .field("b", schemas::string())
        .unwrap()
        .build_ref();
    let mut v = Struct::new(schema.clone());
    v.put("a", Value::Int32(1)).unwrap();
    v.put("b", Value::from("x")).unwrap();
    (schema, v)
}

#[test]
fn header_from_move_and_copy_with_schema() {
    let (schema, value) = struct_value();
    let mut t = configured(
        HeaderFrom::new(Side::Value),
        &[("fields", "a"), ("headers", "ha"), ("operation", "move")],
    );
    let out = apply(
        &mut t,
        sink(Some(schema.clone()), Value::Struct(value.clone())),
    );
    let h = out.headers.last_with_name("ha").unwrap();
    assert_eq!(
        (h.value.clone(), h.schema.clone()),
        (Value::Int32(1), Some(schemas::int32()))
    );
    let s = out.value_schema.unwrap();
    assert_eq!(s.fields.len(), 1);
    assert_eq!(s.name.as_deref(), Some("s"));
    assert!(!s.optional);

    let mut t = configured(
        HeaderFrom::new(Side::Value),
        &[
            ("fields", "a,a"),
            ("headers", "h1,h2"),
            ("operation", "copy"),
        ],
    );
    let out = apply(
        &mut t,
        sink(Some(schema.clone()), Value::Struct(value.clone())),
    );
    assert_eq!(out.value, Value::Struct(value));
    assert_eq!(out.value_schema, Some(schema));
    assert_eq!(out.headers.len(), 2);
}

#[test]
fn header_from_schemaless_and_errors() {
    let mut t = configured(
        HeaderFrom::new(Side::Key),
        &[
            ("fields", "a,missing"),
            ("headers", "ha,hm"),
            ("operation", "move"),
        ],
    );
    let mut record = sink(None, Value::Null);
    record.key = map(vec![("a", Value::Int32(1)), ("b", Value::Int32(2))]);
    let out = apply(&mut t, record);
    assert_eq!(out.key, map(vec![("b", Value::Int32(2))]));
    assert_eq!(
        out.headers.last_with_name("ha").unwrap().value,
        Value::Int32(1)
    );
    assert_eq!(out.headers.last_with_name("hm").unwrap().schema, None);

    let e = apply_err(&mut t, sink(None, Value::Null));
    assert_eq!(
        e.to_string(),
        "Only Map objects supported in absence of schema for [header move], found: null"
    );
    assert_eq!(
        config_err(
            HeaderFrom::new(Side::Value),
            &[("fields", "a,b"), ("headers", "h"), ("operation", "copy")]
        ),
        "'fields' config must have the same number of elements as 'headers' config."
    );
    assert_eq!(
        config_err(
            HeaderFrom::new(Side::Value),
            &[("fields", "a"), ("headers", "h"), ("operation", "swap")]
        ),
        "Invalid value swap for configuration operation: String must be one of: move, copy"
    );
}

#[test]
fn header_from_schemaless_move_reads_every_field_from_the_original_value() {
    let mut t = configured(
        HeaderFrom::new(Side::Value),
        &[
            ("fields", "a,a,b"),
            ("headers", "h1,h2,h3"),
            ("operation", "move"),
        ],
    );
    let mut record = sink(None, Value::Null);
    record.value = map(vec![
        ("a", Value::Int32(1)),
        ("b", Value::Int32(2)),
        ("c", Value::Int32(3)),
    ]);
    let out = apply(&mut t, record);
    assert_eq!(out.value, map(vec![("c", Value::Int32(3))]));
    let got: Vec<_> = out
        .headers
        .iter()
        .map(|h| (h.key.as_str(), h.value.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("h1", Value::Int32(1)),
            ("h2", Value::Int32(1)),
            ("h3", Value::Int32(2))
        ]
    );
}
