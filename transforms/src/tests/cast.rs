use sluice_api::{logical, schemas, SchemaBuilder, Struct, Type, Value};

use super::*;
use crate::cast::Cast;
use crate::Side;

fn cast_whole(spec: &str, schema: Option<sluice_api::SchemaRef>, value: Value) -> ConnectRecord {
    let mut t = configured(Cast::new(Side::Value), &[("spec", spec)]);
    apply(&mut t, sink(schema, value))
}

#[test]
fn whole_value_casts_follow_java_narrowing() {
    assert_eq!(
        cast_whole("int8", None, Value::Int32(300)).value,
        Value::Int8(44)
    );
    assert_eq!(
        cast_whole("int32", None, Value::Float64(-1.9)).value,
        Value::Int32(-1)
    );
    assert_eq!(
        cast_whole("int64", None, Value::Boolean(true)).value,
        Value::Int64(1)
    );
    assert_eq!(
        cast_whole("boolean", None, Value::Float64(0.5)).value,
        Value::Boolean(false)
    );
    assert_eq!(
        cast_whole("boolean", None, Value::from("TRUE")).value,
        Value::Boolean(true)
    );
    assert_eq!(
        cast_whole("boolean", None, Value::from("yes")).value,
        Value::Boolean(false)
    );
    assert_eq!(
        cast_whole("float64", None, Value::from("1.5")).value,
        Value::Float64(1.5)
    );
    assert_eq!(
        cast_whole("string", None, Value::Float64(1e7)).value,
        Value::from("1.0E7")
    );
    assert_eq!(
        cast_whole("string", None, Value::Float32(12.34)).value,
        Value::from("12.34")
    );
    assert_eq!(
        cast_whole("string", None, Value::Bytes(b"hi".to_vec())).value,
        Value::from("aGk=")
    );
    assert_eq!(
        cast_whole("STRING", None, Value::Int16(7)).value,
        Value::from("7")
    );
}

#[test]
fn string_parse_failures_and_unsupported_inputs() {
    let mut t = configured(Cast::new(Side::Value), &[("spec", "int8")]);
    let e = apply_err(&mut t, sink(None, Value::from("300")));
    assert_eq!(
        e.to_string(),
        "Value (300) was out of range for requested data type"
    );
    let e = apply_err(&mut t, sink(None, Value::Bytes(vec![1])));
    assert_eq!(
        e.to_string(),
        "Unexpected type in Cast transformation: class [B"
    );
    let e = apply_err(&mut t, sink(None, Value::Date(0)));
    assert_eq!(
        e.to_string(),
        "Cast transformation was passed a value of type class java.util.Date which is not supported by Connect's data API"
    );
    let e = apply_err(&mut t, sink(None, Value::Array(vec![])));
    assert_eq!(
        e.to_string(),
        "Cast transformation does not support casting from ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"
    );
}

#[test]
fn whole_value_with_schema_copies_basics_and_casts_the_default() {
    let schema = SchemaBuilder::int64()
        .name("n")
        .version(3)
        .optional()
        .default_value(Value::Int64(300))
        .unwrap()
        .build_ref();
    let out = cast_whole("int8", Some(schema), Value::Int64(5));
    let s = out.value_schema.unwrap();
    assert_eq!(
        (
            s.schema_type,
            s.name.as_deref(),
            s.version,
            s.optional,
            s.default.clone()
        ),
        (Type::Int8, Some("n"), Some(3), true, Some(Value::Int8(44)))
    );
    assert_eq!(out.value, Value::Int8(5));
    // a logical value is encoded first
    let out = cast_whole(
        "int64",
        Some(logical::timestamp().build_ref()),
        Value::Date(1234),
    );
    assert_eq!(out.value, Value::Int64(1234));
    let out = cast_whole(
        "int32",
        Some(logical::date().build_ref()),
        Value::Date(86_400_000 * 2),
    );
    assert_eq!(out.value, Value::Int32(2));
    let out = cast_whole(
        "string",
        Some(logical::date().build_ref()),
        Value::Date(86_400_000),
    );
    assert_eq!(out.value, Value::from("1970-01-02"));
    let decimal = logical::decimal(2).build_ref();
    let out = cast_whole(
        "int32",
        Some(decimal.clone()),
        Value::Decimal("12.99".parse().unwrap()),
    );
    assert_eq!(out.value, Value::Int32(12));
    let out = cast_whole(
        "string",
        Some(decimal),
        Value::Decimal("12.90".parse().unwrap()),
    );
    assert_eq!(out.value, Value::from("12.90"));
}

#[test]
fn field_casts_with_schema() {
    let schema = SchemaBuilder::struct_()
        .optional()
        .field("int8", schemas::int8())
        .unwrap()
        .field(
            "float64",
            SchemaBuilder::float64()
                .optional()
                .default_value(Value::Float64(-1.125))
                .unwrap()
                .build_ref(),
        )
        .unwrap()
        .field("string", schemas::string())
        .unwrap()
        .field("keep", schemas::int32())
        .unwrap()
        .build_ref();
    let mut value = Struct::new(schema.clone());
    value.put("int8", Value::Int8(8)).unwrap();
    value.put("string", Value::from("42")).unwrap();
    value.put("keep", Value::Int32(1)).unwrap();
    let mut t = configured(
        Cast::new(Side::Value),
        &[("spec", "int8:int32,float64:boolean,string:int64")],
    );
    let out = apply(&mut t, sink(Some(schema), Value::Struct(value)));
    let s = out.value_schema.unwrap();
    assert!(s.optional, "Cast re-applies the struct's optional flag");
    let f = |n: &str| s.field(n).unwrap().schema.clone();
    assert_eq!(f("int8").schema_type, Type::Int32);
    assert_eq!(f("float64").schema_type, Type::Boolean);
    assert!(f("float64").optional);
    assert_eq!(f("float64").default, Some(Value::Boolean(true)));
    assert_eq!(f("keep"), schemas::int32());
    let v = out.value.as_struct().unwrap();
    assert_eq!(v.get("int8").unwrap(), &Value::Int32(8));
    assert_eq!(
        v.get_without_default("float64").unwrap(),
        &Value::Boolean(true)
    );
    assert_eq!(v.get("string").unwrap(), &Value::Int64(42));
}

#[test]
fn schemaless_fields_and_missing_fields() {
    let mut t = configured(
        Cast::new(Side::Value),
        &[("spec", "a:string,missing:int32")],
    );
    let out = apply(
        &mut t,
        sink(
            None,
            map(vec![("a", Value::Int64(1)), ("b", Value::Int32(2))]),
        ),
    );
    assert_eq!(
        out.value,
        map(vec![
            ("a", Value::from("1")),
            ("b", Value::Int32(2)),
            ("missing", Value::Null)
        ])
    );
    let record = sink(None, Value::Null);
    assert_eq!(apply(&mut t, record.clone()), record);
}

#[test]
fn struct_default_cannot_be_cast() {
    let inner = SchemaBuilder::struct_()
        .field("a", schemas::int32())
        .unwrap()
        .build_ref();
    let mut d = Struct::new(inner.clone());
    d.put("a", Value::Int32(1)).unwrap();
    let schema = SchemaBuilder::from_schema(&inner)
        .default_value(Value::Struct(d.clone()))
        .unwrap()
        .build_ref();
    let mut t = configured(Cast::new(Side::Value), &[("spec", "a:string")]);
    let mut v = Struct::new(schema.clone());
    v.put_index(0, Value::Int32(2));
    let e = apply_err(&mut t, sink(Some(schema), Value::Struct(v)));
    assert!(
        e.to_string()
            .starts_with("Cast transformation does not support casting from STRUCT"),
        "{e}"
    );
}

#[test]
fn spec_errors() {
    let err = |spec: &str| config_err(Cast::new(Side::Value), &[("spec", spec)]);
    assert!(err("").ends_with("Must specify at least one field to cast."));
    assert!(err("a:foo").ends_with("Invalid type found in casting spec: foo"));
    assert!(err("a:bytes").ends_with(
        "Cast transformation does not support casting to BYTES; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
    ));
    assert!(err("a:b:c").ends_with("Invalid rename mapping: a:b:c"));
    assert!(err("int8,a:int32").ends_with(
        "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec"
    ));
    assert!(err("float").ends_with("Invalid type found in casting spec: float"));
}
