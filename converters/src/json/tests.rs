//! JsonConverter against the bytes Java's JsonConverter writes and reads.

use std::str::FromStr;

use sluice_api::config::Props;
use sluice_api::{
    logical, schemas, BigDecimal, ConnectError, Converter, Headers, SchemaBuilder, SchemaRef,
    Struct, Value,
};

use super::*;

fn converter(pairs: &[(&str, &str)]) -> JsonConverter {
    let props: Props = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut c = JsonConverter::new();
    Converter::configure(&mut c, &props, false).unwrap();
    c
}

fn write(c: &mut JsonConverter, schema: Option<&SchemaRef>, value: &Value) -> Option<String> {
    c.from_connect_data("t", &mut Headers::new(), schema, value)
        .unwrap()
        .map(|b| String::from_utf8(b).unwrap())
}

fn read(c: &mut JsonConverter, s: &str) -> Result<SchemaAndValue, ConnectError> {
    c.to_connect_data("t", &Headers::new(), Some(s.as_bytes()))
}

fn dec(s: &str) -> BigDecimal {
    BigDecimal::from_str(s).unwrap()
}

fn sample_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("n")
        .version(3)
        .doc("dd")
        .field("a", schemas::int8())
        .unwrap()
        .field(
            "b",
            SchemaBuilder::string()
                .optional()
                .default_value(Value::from("x"))
                .unwrap()
                .build_ref(),
        )
        .unwrap()
        .field("d", logical::decimal(2).build_ref())
        .unwrap()
        .field("f", schemas::float32())
        .unwrap()
        .build_ref()
}

fn sample_struct(schema: &SchemaRef) -> Struct {
    let mut s = Struct::new(schema.clone());
    s.put("a", Value::Int8(1)).unwrap();
    s.put("d", Value::Decimal(dec("1.56"))).unwrap();
    s.put("f", Value::Float32(12.34)).unwrap();
    s
}

#[test]
fn envelope_with_schema_in_java_member_order() {
    let mut c = converter(&[]);
    let schema = sample_schema();
    let v = Value::Struct(sample_struct(&schema));
    assert_eq!(
        write(&mut c, Some(&schema), &v).unwrap(),
        concat!(
            r#"{"schema":{"type":"struct","fields":["#,
            r#"{"type":"int8","optional":false,"field":"a"},"#,
            r#"{"type":"string","optional":true,"default":"x","field":"b"},"#,
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"d"},"#,
            r#"{"type":"float","optional":false,"field":"f"}],"#,
            r#""optional":false,"name":"n","version":3,"doc":"dd"},"#,
            r#""payload":{"a":1,"b":"x","d":"AJw=","f":12.34}}"#
        )
    );
    // Read back: the null field comes back as its default, the rest unchanged.
    let out = write(&mut c, Some(&schema), &v).unwrap();
    let back = read(&mut c, &out).unwrap();
    assert_eq!(back.schema.as_ref(), Some(&schema));
    let s = back.value.as_struct().unwrap();
    assert_eq!(s.get_without_default("b").unwrap(), &Value::from("x"));
    assert_eq!(s.get("d").unwrap(), &Value::Decimal(dec("1.56")));
}

#[test]
fn replace_null_with_default_off_writes_null() {
    let mut c = converter(&[("replace.null.with.default", "false")]);
    let schema = sample_schema();
    let v = Value::Struct(sample_struct(&schema));
    let out = write(&mut c, Some(&schema), &v).unwrap();
    assert!(
        out.ends_with(r#""payload":{"a":1,"b":null,"d":"AJw=","f":12.34}}"#),
        "{out}"
    );
    let back = read(&mut c, &out).unwrap();
    assert_eq!(
        back.value
            .as_struct()
            .unwrap()
            .get_without_default("b")
            .unwrap(),
        &Value::Null
    );
}

#[test]
fn numbers_print_like_jackson() {
    let mut c = converter(&[("schemas.enable", "false")]);
    let cases: Vec<(SchemaRef, Value, &str)> = vec![
        (schemas::float32(), Value::Float32(12.34), "12.34"),
        (schemas::float64(), Value::Float64(1.0), "1.0"),
        (schemas::float64(), Value::Float64(1e10), "1.0E10"),
        (schemas::float64(), Value::Float64(f64::NAN), "\"NaN\""),
        (
            schemas::float32(),
            Value::Float32(f32::INFINITY),
            "\"Infinity\"",
        ),
        (
            schemas::int64(),
            Value::Int64(i64::MIN),
            "-9223372036854775808",
        ),
        (schemas::boolean(), Value::Boolean(true), "true"),
        (schemas::string(), Value::from("é\"\n"), "\"é\\\"\\n\""),
        (schemas::bytes(), Value::Bytes(vec![0, 0x9c]), "\"AJw=\""),
        (
            logical::date().build_ref(),
            Value::Date(3 * logical::MILLIS_PER_DAY),
            "3",
        ),
        (logical::time().build_ref(), Value::Date(1234), "1234"),
        (
            logical::timestamp().build_ref(),
            Value::Date(1_700_000_000_000),
            "1700000000000",
        ),
    ];
    for (schema, value, want) in cases {
        assert_eq!(write(&mut c, Some(&schema), &value).unwrap(), want);
    }
}

#[test]
fn numeric_decimals_keep_their_scale() {
    let mut c = converter(&[("schemas.enable", "false"), ("decimal.format", "NUMERIC")]);
    let schema = logical::decimal(4).build_ref();
    let v = Value::Decimal(dec("1.5600"));
    assert_eq!(write(&mut c, Some(&schema), &v).unwrap(), "1.5600");
    // Reading with a schema: NUMERIC and BASE64 are both accepted, whatever the setting.
    let mut r = converter(&[]);
    let env = |payload: &str| {
        format!(
            r#"{{"schema":{{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{{"scale":"4"}}}},"payload":{payload}}}"#
        )
    };
    let got = read(&mut r, &env("1.5600")).unwrap().value;
    let Value::Decimal(d) = got else {
        panic!("decimal expected")
    };
    assert_eq!(d.as_bigint_and_exponent().1, 4);
    assert_eq!(
        read(&mut r, &env("\"PPA=\"")).unwrap().value,
        Value::Decimal(dec("1.5600"))
    );
    assert!(read(&mut r, &env("true")).is_err());
    // Leading zeros are accepted, as Jackson is configured to.
    assert_eq!(
        read(&mut r, &env("0001.5")).unwrap().value,
        Value::Decimal(dec("1.5"))
    );
}

#[test]
fn nulls_and_tombstones() {
    let mut on = converter(&[]);
    let mut off = converter(&[("schemas.enable", "false")]);
    assert_eq!(write(&mut on, None, &Value::Null), None);
    assert_eq!(write(&mut off, None, &Value::Null), None);
    let opt = schemas::optional_string();
    assert_eq!(write(&mut off, Some(&opt), &Value::Null).unwrap(), "null");
    assert_eq!(
        write(&mut on, Some(&opt), &Value::Null).unwrap(),
        r#"{"schema":{"type":"string","optional":true},"payload":null}"#
    );
    let err = on
        .serialize(Some(&schemas::string()), &Value::Null)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Conversion error: null value for field that is required and has no default value"
    );
    let with_default = SchemaBuilder::int32()
        .default_value(Value::Int32(7))
        .unwrap()
        .build_ref();
    assert_eq!(
        write(&mut off, Some(&with_default), &Value::Null).unwrap(),
        "7"
    );
    // Reading.
    assert_eq!(on.deserialize(None).unwrap(), SchemaAndValue::NULL);
    assert_eq!(off.deserialize(Some(b"")).unwrap(), SchemaAndValue::NULL);
    assert_eq!(
        off.deserialize(Some(b"null")).unwrap(),
        SchemaAndValue::NULL
    );
    let err = on.deserialize(Some(b"")).unwrap_err();
    assert!(err
        .to_string()
        .starts_with("JsonConverter with schemas.enable requires"));
    let err = read(&mut on, r#"{"schema":{"type":"int32"},"payload":null}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid null value for required INT32 field"
    );
    let got = read(
        &mut on,
        r#"{"schema":{"type":"int32","default":5},"payload":null}"#,
    )
    .unwrap();
    assert_eq!(got.value, Value::Int32(5));
}

#[test]
fn envelope_errors() {
    let mut on = converter(&[]);
    for bad in [
        r#"{"a":1}"#,
        r#"{"schema":null}"#,
        r#"{"schema":null,"payload":1,"x":2}"#,
        "[1,2]",
        "5",
    ] {
        let err = read(&mut on, bad).unwrap_err();
        assert!(matches!(err, ConnectError::Data(_)));
        assert!(err.to_string().contains("If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration."), "{bad}");
    }
    let got = read(&mut on, r#"{"schema":null,"payload":{"a":[1,2.5]}}"#).unwrap();
    assert_eq!(got.schema, None);
    assert_eq!(
        got.value,
        Value::string_map([(
            "a",
            Value::Array(vec![Value::Int64(1), Value::Float64(2.5)])
        )])
    );
}

#[test]
fn schema_errors() {
    let mut on = converter(&[]);
    let cases = [
        (r#"{"schema":{"type":"float32"},"payload":1}"#, "Unknown schema type: float32"),
        (r#"{"schema":{},"payload":1}"#, "Schema must contain 'type' field"),
        (r#"{"schema":{"type":5},"payload":1}"#, "Schema must contain 'type' field"),
        (
            r#"{"schema":{"type":"array"},"payload":[]}"#,
            "Array schema did not specify the element type",
        ),
        (
            r#"{"schema":{"type":"map","keys":{"type":"string"}},"payload":{}}"#,
            "Map schema did not specify the value type",
        ),
        (
            r#"{"schema":{"type":"struct","fields":{}},"payload":{}}"#,
            "Struct schema's \"fields\" argument is not an array.",
        ),
        (
            r#"{"schema":{"type":"struct","fields":[{"type":"int8"}]},"payload":{}}"#,
            "Struct schema's field name not specified properly",
        ),
        (
            r#"{"schema":{"type":"string","parameters":{"a":1}},"payload":"x"}"#,
            "Schema parameters must have string values.",
        ),
        (
            r#"{"schema":{"type":"bytes"},"payload":"***"}"#,
            "Invalid bytes field",
        ),
        (
            r#"{"schema":{"type":"struct","fields":[]},"payload":[]}"#,
            "Structs should be encoded as JSON objects, but found ARRAY",
        ),
        (
            r#"{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":{}}"#,
            "Maps with non-string fields should be encoded as JSON array of tuples, but found OBJECT",
        ),
        (
            r#"{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":[[1]]}"#,
            "Found invalid map entry, expected length 2 but found :1",
        ),
        (
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":"x"}"#,
            "Invalid type for Date, underlying representation should be integer but was STRING",
        ),
    ];
    for (input, want) in cases {
        let err = read(&mut on, input).unwrap_err();
        assert_eq!(err.to_string(), want, "{input}");
    }
}

#[test]
fn lenient_reads() {
    let mut on = converter(&[]);
    let v = |c: &mut JsonConverter, s: &str| read(c, s).unwrap().value;
    assert_eq!(
        v(&mut on, r#"{"schema":{"type":"int8"},"payload":300}"#),
        Value::Int8(44)
    );
    assert_eq!(
        v(&mut on, r#"{"schema":{"type":"int32"},"payload":"12"}"#),
        Value::Int32(0)
    );
    assert_eq!(
        v(&mut on, r#"{"schema":{"type":"int32"},"payload":12.9}"#),
        Value::Int32(12)
    );
    assert_eq!(
        v(
            &mut on,
            r#"{"schema":{"type":"int64"},"payload":18446744073709551617}"#
        ),
        Value::Int64(1)
    );
    assert_eq!(
        v(&mut on, r#"{"schema":{"type":"boolean"},"payload":1}"#),
        Value::Boolean(false)
    );
    assert_eq!(
        v(&mut on, r#"{"schema":{"type":"float"},"payload":0.1}"#),
        Value::Float32(0.1)
    );
    // A non-string read as STRING is null (Jackson's textValue()).
    assert_eq!(
        v(
            &mut on,
            r#"{"schema":{"type":"string","optional":true},"payload":5}"#
        ),
        Value::Null
    );
    // "optional" counts only as the boolean true.
    let got = read(
        &mut on,
        r#"{"schema":{"type":"string","optional":"true"},"payload":"a"}"#,
    )
    .unwrap();
    assert!(!got.schema.unwrap().optional);
    // Extra struct members are ignored, missing ones are null.
    let got = read(
        &mut on,
        r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":true,"field":"a"}]},"payload":{"z":1}}"#,
    )
    .unwrap();
    assert_eq!(
        got.value.as_struct().unwrap().get("a").unwrap(),
        &Value::Null
    );
    // Schemaless: integers are INT64, other numbers FLOAT64.
    let mut off = converter(&[("schemas.enable", "false")]);
    assert_eq!(v(&mut off, "7"), Value::Int64(7));
    assert_eq!(v(&mut off, "7.5"), Value::Float64(7.5));
    assert_eq!(v(&mut off, "\"s\""), Value::from("s"));
}

#[test]
fn maps_with_non_string_keys_are_pair_arrays() {
    let mut c = converter(&[]);
    let schema = SchemaBuilder::map(schemas::int32(), schemas::string()).build_ref();
    let v = Value::Map(vec![(Value::Int32(1), Value::from("a"))]);
    let out = write(&mut c, Some(&schema), &v).unwrap();
    assert_eq!(
        out,
        r#"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false},"payload":[[1,"a"]]}"#
    );
    assert_eq!(read(&mut c, &out).unwrap().value, v);
    // Schemaless: an object when every key is a string, pairs otherwise.
    let mut off = converter(&[("schemas.enable", "false")]);
    let mixed = Value::Map(vec![(Value::Int64(1), Value::Null)]);
    assert_eq!(write(&mut off, None, &mixed).unwrap(), "[[1,null]]");
    let strings = Value::string_map([("k", Value::Int64(1))]);
    assert_eq!(write(&mut off, None, &strings).unwrap(), r#"{"k":1}"#);
}

#[test]
fn wrong_java_types_are_data_errors() {
    let mut c = converter(&[]);
    let err = c
        .serialize(Some(&schemas::int32()), &Value::from("x"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid type for INT32: class java.lang.String"
    );
    let err = c.serialize(None, &Value::Decimal(dec("1"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Java class class java.math.BigDecimal does not have corresponding schema type."
    );
    let err = c
        .serialize(Some(&logical::decimal(2).build_ref()), &Value::Int32(1))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid type for Decimal, expected BigDecimal but was class java.lang.Integer"
    );
    let other = SchemaBuilder::struct_().name("other").build_ref();
    let schema = sample_schema();
    let err = c
        .serialize(Some(&other), &Value::Struct(sample_struct(&schema)))
        .unwrap_err();
    assert_eq!(err.to_string(), "Mismatching schema.");
}

#[test]
fn malformed_bytes_never_panic() {
    let mut on = converter(&[]);
    let mut off = converter(&[("schemas.enable", "false")]);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let alphabet = br#"{}[]":,0123456789.eE-+ tfnrulsa\"#;
    for len in 0..400 {
        let mut bytes = Vec::with_capacity(len % 40);
        for _ in 0..len % 40 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            bytes.push(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        for c in [&mut on, &mut off] {
            if let Err(e) = c.deserialize(Some(&bytes)) {
                assert!(matches!(e, ConnectError::Data(_)));
            }
        }
    }
    let err = off.deserialize(Some(b"{\"a\":")).unwrap_err();
    assert!(err.to_string().starts_with(
        "Converting byte[] to Kafka Connect data failed due to serialization error: "
    ));
}

#[test]
fn round_trips_generated_values() {
    let mut c = converter(&[]);
    let element_schemas: Vec<(SchemaRef, Vec<Value>)> = vec![
        (schemas::int8(), vec![Value::Int8(-128), Value::Int8(127)]),
        (schemas::int16(), vec![Value::Int16(-300)]),
        (schemas::int32(), vec![Value::Int32(i32::MIN)]),
        (schemas::int64(), vec![Value::Int64(i64::MAX)]),
        (
            schemas::float32(),
            vec![
                Value::Float32(1.1),
                Value::Float32(f32::MAX),
                Value::Float32(-0.0),
            ],
        ),
        (
            schemas::float64(),
            vec![
                Value::Float64(0.1),
                Value::Float64(1e-300),
                Value::Float64(123456789.123),
            ],
        ),
        (
            schemas::string(),
            vec![Value::from(""), Value::from("\u{0}\u{1f}😀")],
        ),
        (
            schemas::bytes(),
            vec![Value::Bytes(vec![]), Value::Bytes(vec![255; 7])],
        ),
        (
            logical::decimal(3).build_ref(),
            vec![Value::Decimal(dec("-123456789012345678901234567.890"))],
        ),
        (
            logical::timestamp().build_ref(),
            vec![Value::Date(-1), Value::Date(1_700_000_000_123)],
        ),
    ];
    for (schema, values) in element_schemas {
        for value in values {
            let out = c.serialize(Some(&schema), &value).unwrap().unwrap();
            let back = c.deserialize(Some(&out)).unwrap();
            assert_eq!(back.value, value, "{}", String::from_utf8_lossy(&out));
            assert_eq!(back.schema.as_ref(), Some(&schema));
            let arr = SchemaBuilder::array(schema.clone()).optional().build_ref();
            let list = Value::Array(vec![value.clone(), value.clone()]);
            let out = c.serialize(Some(&arr), &list).unwrap().unwrap();
            assert_eq!(c.deserialize(Some(&out)).unwrap().value, list);
        }
    }
}

#[test]
fn schema_caches_are_bounded() {
    let mut c = converter(&[("schemas.cache.size", "1")]);
    for i in 0..3 {
        let s = SchemaBuilder::int32().version(i).build_ref();
        let out = c.serialize(Some(&s), &Value::Int32(i)).unwrap().unwrap();
        c.deserialize(Some(&out)).unwrap();
    }
    assert_eq!(c.codec().from_connect_cache_len(), 1);
    assert_eq!(c.codec().to_connect_cache_len(), 1);
    let mut off = converter(&[("schemas.cache.size", "0")]);
    let s = schemas::int32();
    off.serialize(Some(&s), &Value::Int32(1)).unwrap();
    assert_eq!(off.codec().from_connect_cache_len(), 0);
}

#[test]
fn struct_defaults_are_rejected_as_in_java() {
    // Java compares the default struct's schema (which has no default) with the schema that
    // carries it, so a struct default can be neither written nor read.
    let mut c = converter(&[]);
    let inner = SchemaBuilder::struct_()
        .field("x", schemas::int32())
        .unwrap()
        .build_ref();
    let mut d = Struct::new(inner.clone());
    d.put("x", Value::Int32(1)).unwrap();
    let with_default = SchemaBuilder::from_schema(&inner)
        .default_value(Value::Struct(d))
        .unwrap()
        .build_ref();
    let err = c.serialize(Some(&with_default), &Value::Null).unwrap_err();
    assert_eq!(err.to_string(), "Mismatching schema.");
    let json = parse::parse(
        br#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"x"}],"optional":false,"default":{"x":1}}"#,
    )
    .unwrap()
    .unwrap();
    let err = c.codec().as_connect_schema(&json).unwrap_err();
    assert!(err.to_string().starts_with("Invalid default value"));
}

#[test]
fn repeated_envelope_schemas_are_read_once_and_other_forms_still_read() {
    let mut c = JsonConverter::new();
    let first = br#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"x"}],"optional":false},"payload":{"x":1}}"#;
    let second = br#"{"payload":{"x":2}, "schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"x"}],"optional":false}}"#;
    let a = c.deserialize(Some(first)).unwrap();
    let b = c.deserialize(Some(first)).unwrap();
    assert!(Arc::ptr_eq(
        a.schema.as_ref().unwrap(),
        b.schema.as_ref().unwrap()
    ));
    let other = c.deserialize(Some(second)).unwrap();
    assert_eq!(other.schema, a.schema);
    assert_eq!(
        other.value.as_struct().unwrap().get("x").unwrap(),
        &Value::Int32(2)
    );
    // A new schema after a cached one is read, not confused with it.
    let int64 = c
        .deserialize(Some(br#"{"schema":{"type":"int64"},"payload":5}"#))
        .unwrap();
    assert_eq!(int64.value, Value::Int64(5));
    // Errors are the general reader's, whether or not the schema bytes were seen before.
    for bad in [
        &br#"{"schema":{"type":"int64"},"payload":[}"#[..],
        br#"{"schema":{"type":"nope"},"payload":1}"#,
        br#"{"schema":{"type":"int64"},"payload":1,"more":1}"#,
    ] {
        let fast = c.deserialize(Some(bad)).unwrap_err().to_string();
        let general = JsonConverter::new()
            .deserialize(Some(bad))
            .unwrap_err()
            .to_string();
        assert_eq!(fast, general);
    }
}

#[test]
fn json_schema_bytes_are_the_schema_tree_s_bytes_for_every_instance() {
    let mut codec = JsonCodec::for_record_json();
    // More instances than are kept, equal ones among them, each asked for several times.
    let schemas: Vec<SchemaRef> = (0..40)
        .map(|i| match i % 4 {
            0 => sample_schema(),
            1 => SchemaBuilder::int32().version(i).build_ref(),
            2 => sluice_api::schemas::string(),
            _ => SchemaBuilder::array(sluice_api::schemas::optional_int64()).build_ref(),
        })
        .collect();
    for round in 0..3 {
        for s in schemas.iter().rev().skip(round) {
            let expected = write::to_bytes(&codec.as_json_schema(s).unwrap());
            assert_eq!(codec.json_schema_bytes(s).unwrap(), &expected[..]);
        }
    }
}
