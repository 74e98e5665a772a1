use sluice_api::{schemas, SchemaBuilder, Struct, Value};

use super::*;
use crate::replace_field::ReplaceField;
use crate::Side;

fn input() -> Value {
    map(vec![
        ("dont", Value::from("whatever")),
        ("abc", Value::Int32(42)),
        ("foo", Value::Boolean(true)),
        ("etc", Value::from("etc")),
    ])
}

#[test]
fn schemaless_exclude_include_rename() {
    let mut t = configured(
        ReplaceField::new(Side::Value),
        &[("exclude", "dont"), ("renames", "abc:xyz,foo:bar")],
    );
    let out = apply(&mut t, sink(None, input()));
    assert_eq!(
        out.value,
        map(vec![
            ("xyz", Value::Int32(42)),
            ("bar", Value::Boolean(true)),
            ("etc", Value::from("etc")),
        ])
    );
    let mut t = configured(
        ReplaceField::new(Side::Value),
        &[("include", "abc,foo,dont"), ("exclude", "dont")],
    );
    let out = apply(&mut t, sink(None, input()));
    assert_eq!(
        out.value,
        map(vec![
            ("abc", Value::Int32(42)),
            ("foo", Value::Boolean(true))
        ])
    );
}

#[test]
fn deprecated_blacklist_and_whitelist_apply_when_new_keys_absent() {
    let mut t = configured(ReplaceField::new(Side::Value), &[("blacklist", "dont,etc")]);
    let out = apply(&mut t, sink(None, input()));
    assert_eq!(
        out.value,
        map(vec![
            ("abc", Value::Int32(42)),
            ("foo", Value::Boolean(true))
        ])
    );
    let mut t = configured(ReplaceField::new(Side::Value), &[("whitelist", "abc")]);
    let out = apply(&mut t, sink(None, input()));
    assert_eq!(out.value, map(vec![("abc", Value::Int32(42))]));
    let mut t = configured(
        ReplaceField::new(Side::Value),
        &[("whitelist", "abc"), ("include", "foo")],
    );
    let out = apply(&mut t, sink(None, input()));
    assert_eq!(out.value, map(vec![("foo", Value::Boolean(true))]));
}

#[test]
fn schema_keeps_order_and_field_schemas_and_drops_optional() {
    let schema = SchemaBuilder::struct_()
        .name("n")
        .optional()
        .field("dont", schemas::string())
        .unwrap()
        .field("abc", schemas::int32())
        .unwrap()
        .field("foo", schemas::boolean())
        .unwrap()
        .build_ref();
    let mut value = Struct::new(schema.clone());
    value.put("dont", Value::from("x")).unwrap();
    value.put("abc", Value::Int32(42)).unwrap();
    value.put("foo", Value::Boolean(true)).unwrap();
    let mut t = configured(
        ReplaceField::new(Side::Value),
        &[("exclude", "dont"), ("renames", "abc:xyz,foo:bar")],
    );
    let out = apply(&mut t, sink(Some(schema), Value::Struct(value)));
    let s = out.value_schema.unwrap();
    assert_eq!(s.name.as_deref(), Some("n"));
    assert!(!s.optional);
    let names: Vec<_> = s.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["xyz", "bar"]);
    let v = out.value.as_struct().unwrap();
    assert_eq!(v.get("xyz").unwrap(), &Value::Int32(42));
    assert_eq!(v.get("bar").unwrap(), &Value::Boolean(true));
}

#[test]
fn tombstones_pass_and_bad_renames_fail() {
    let mut t = configured(ReplaceField::new(Side::Value), &[("exclude", "a")]);
    let record = sink(Some(schemas::optional_string()), Value::Null);
    assert_eq!(apply(&mut t, record.clone()), record);
    let msg = config_err(ReplaceField::new(Side::Value), &[("renames", "a:b:c")]);
    assert!(
        msg.contains("renames") && msg.ends_with("Invalid rename mapping: a:b:c"),
        "{msg}"
    );
    let msg = config_err(ReplaceField::new(Side::Value), &[("renames", "a")]);
    assert!(msg.ends_with("Invalid rename mapping: a"), "{msg}");
}
