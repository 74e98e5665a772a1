use sluice_api::logical::{self, DATE_NAME, TIMESTAMP_NAME, TIME_NAME};
use sluice_api::{schemas, SchemaBuilder, Struct, Type, Value};

use super::*;
use crate::timestamp_converter::TimestampConverter;
use crate::Side;

// 2017-01-03T06:30:01.864Z
const TS: i64 = 1_483_425_001_864;
const DAY: i64 = 1_483_401_600_000;
const TIME: i64 = 23_401_864;
const FORMAT: &str = "yyyy MM dd HH mm ss SSS z";
const STRING: &str = "2017 01 03 06 30 01 864 UTC";

fn conv(pairs: &[(&str, &str)]) -> TimestampConverter {
    configured(TimestampConverter::new(Side::Value), pairs)
}

#[test]
fn whole_value_with_schema() {
    let mut t = conv(&[("target.type", "string"), ("format", FORMAT)]);
    let out = apply(
        &mut t,
        sink(Some(logical::timestamp().build_ref()), Value::Date(TS)),
    );
    assert_eq!(out.value, Value::from(STRING));
    assert_eq!(out.value_schema, Some(schemas::string()));

    let mut t = conv(&[("target.type", "Timestamp"), ("format", FORMAT)]);
    let out = apply(&mut t, sink(Some(schemas::string()), Value::from(STRING)));
    assert_eq!(out.value, Value::Date(TS));
    assert_eq!(
        out.value_schema.unwrap().name.as_deref(),
        Some(TIMESTAMP_NAME)
    );

    let mut t = conv(&[("target.type", "Date")]);
    let out = apply(&mut t, sink(Some(schemas::int64()), Value::Int64(TS)));
    assert_eq!(out.value, Value::Date(DAY));
    assert_eq!(out.value_schema.unwrap().name.as_deref(), Some(DATE_NAME));

    let mut t = conv(&[("target.type", "Time")]);
    let out = apply(
        &mut t,
        sink(Some(logical::timestamp().build_ref()), Value::Date(TS)),
    );
    assert_eq!(out.value, Value::Date(TIME));
    assert_eq!(out.value_schema.unwrap().name.as_deref(), Some(TIME_NAME));
}

#[test]
fn unix_precision_applies_both_ways() {
    let mut t = conv(&[("target.type", "unix"), ("unix.precision", "seconds")]);
    let out = apply(
        &mut t,
        sink(Some(logical::timestamp().build_ref()), Value::Date(TS)),
    );
    assert_eq!(out.value, Value::Int64(TS / 1000));
    let mut t = conv(&[("target.type", "unix"), ("unix.precision", "microseconds")]);
    let out = apply(&mut t, sink(None, Value::Date(TS)));
    assert_eq!(out.value, Value::Int64(TS * 1000));
    let mut t = conv(&[
        ("target.type", "Timestamp"),
        ("unix.precision", "nanoseconds"),
    ]);
    let out = apply(&mut t, sink(None, Value::Int64(TS * 1_000_000 + 999_999)));
    assert_eq!(out.value, Value::Date(TS));
}

#[test]
fn optionality_is_kept_and_nulls_convert_the_schema() {
    let mut t = conv(&[("target.type", "unix")]);
    let optional_ts = logical::timestamp().optional().build_ref();
    let out = apply(&mut t, sink(Some(optional_ts), Value::Null));
    assert_eq!(out.value, Value::Null);
    assert_eq!(out.value_schema, Some(schemas::optional_int64()));
    let out = apply(&mut t, sink(None, Value::Null));
    assert_eq!(out.value, Value::Null);
}

#[test]
fn field_mode_with_schema_and_schemaless() {
    let schema = SchemaBuilder::struct_()
        .optional()
        .field("ts", logical::timestamp().build_ref())
        .unwrap()
        .field("other", schemas::string())
        .unwrap()
        .build_ref();
    let mut value = Struct::new(schema.clone());
    value.put("ts", Value::Date(TS)).unwrap();
    value.put("other", Value::from("x")).unwrap();
    let mut t = conv(&[("target.type", "unix"), ("field", "ts")]);
    let out = apply(&mut t, sink(Some(schema.clone()), Value::Struct(value)));
    let s = out.value_schema.clone().unwrap();
    assert!(s.optional);
    assert_eq!(s.field("ts").unwrap().schema, schemas::int64());
    assert_eq!(s.field("other").unwrap().schema, schemas::string());
    assert_eq!(
        out.value.as_struct().unwrap().get("ts").unwrap(),
        &Value::Int64(TS)
    );
    let out = apply(&mut t, sink(Some(schema), Value::Null));
    assert_eq!(out.value, Value::Null);
    assert_eq!(out.value_schema, Some(s));

    let out = apply(
        &mut t,
        sink(
            None,
            map(vec![("ts", Value::Date(TS)), ("o", Value::Int32(1))]),
        ),
    );
    assert_eq!(
        out.value,
        map(vec![("ts", Value::Int64(TS)), ("o", Value::Int32(1))])
    );
}

#[test]
fn errors_match_java() {
    let mut t = conv(&[("target.type", "Timestamp"), ("format", "yyyy-MM-dd")]);
    let e = apply_err(&mut t, sink(None, Value::from("nope")));
    assert_eq!(
        e.to_string(),
        "Could not parse timestamp: value (nope) does not match pattern (yyyy-MM-dd)"
    );
    let e = apply_err(&mut t, sink(None, Value::Int32(1)));
    assert_eq!(
        e.to_string(),
        "TimestampConverter does not support class java.lang.Integer objects as timestamps"
    );
    let e = apply_err(&mut t, sink(Some(schemas::int32()), Value::Int32(1)));
    assert_eq!(
        e.to_string(),
        "Schema Schema{INT32} does not correspond to a known timestamp type format"
    );
    assert_eq!(
        config_err(
            TimestampConverter::new(Side::Value),
            &[("target.type", "string")]
        ),
        "TimestampConverter requires format option to be specified when using string timestamps"
    );
    assert_eq!(
        config_err(
            TimestampConverter::new(Side::Value),
            &[("target.type", "string"), ("format", "bad-pattern")]
        ),
        "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: bad-pattern"
    );
    assert_eq!(
        config_err(TimestampConverter::new(Side::Value), &[("target.type", "date")]),
        "Invalid value date for configuration target.type: String must be one of: string, unix, Date, Time, Timestamp"
    );
    assert_eq!(Type::Int64, logical::timestamp().build().schema_type);
}
