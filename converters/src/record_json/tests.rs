//! Record JSON: reading, writing and round trips.

use std::str::FromStr;

use sluice_api::{logical, schemas, BigDecimal, BigInt, SchemaBuilder};

use super::*;

fn codec() -> JsonCodec {
    JsonCodec::for_record_json()
}

fn round_trip(json: &str) -> String {
    let mut c = codec();
    let record = parse_record(&mut c, json.as_bytes()).unwrap();
    String::from_utf8(write_record(&mut c, record.as_ref()).unwrap()).unwrap()
}

#[test]
fn sink_record_round_trips_byte_for_byte() {
    let json = concat!(
        r#"{"topic":"positions","partition":0,"offset":42,"timestamp":1700000000000,"#,
        r#""key_schema":{"type":"string","optional":false},"key":"k","#,
        r#""value_schema":{"type":"struct","fields":["#,
        r#"{"type":"int32","optional":false,"field":"id"},"#,
        r#"{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"price"},"#,
        r#"{"type":"string","optional":true,"default":"d","field":"s"}],"optional":false,"name":"P"},"#,
        r#""value":{"id":1,"price":"AJw=","s":null},"#,
        r#""headers":[{"key":"h","schema":null,"value":{"$int8":1}},{"key":"h","schema":{"type":"string","optional":false},"value":"x"}]}"#
    );
    assert_eq!(round_trip(json), json);
    let mut c = codec();
    let r = parse_record(&mut c, json.as_bytes()).unwrap().unwrap();
    assert_eq!(r.kafka_offset(), Some(42));
    let v = r.value.as_struct().unwrap();
    assert_eq!(
        v.get("price").unwrap(),
        &Value::Decimal(BigDecimal::from_str("1.56").unwrap())
    );
    // Nulls are not replaced by defaults.
    assert_eq!(v.get_without_default("s").unwrap(), &Value::Null);
    assert_eq!(r.headers.len(), 2);
    assert_eq!(r.headers.iter().next().unwrap().value, Value::Int8(1));
}

#[test]
fn source_record_has_no_offset() {
    let json = r#"{"topic":"t","partition":null,"timestamp":null,"key_schema":null,"key":null,"value_schema":null,"value":"line","headers":[]}"#;
    assert_eq!(round_trip(json), json);
    let r = parse_record(&mut codec(), json.as_bytes())
        .unwrap()
        .unwrap();
    assert!(!r.is_sink());
    assert_eq!(r.source_partition(), None);
    assert_eq!(r.value, Value::from("line"));
}

#[test]
fn null_is_a_dropped_record() {
    assert_eq!(parse_record(&mut codec(), b"null").unwrap(), None);
    assert_eq!(write_record(&mut codec(), None).unwrap(), b"null");
}

#[test]
fn values_are_not_validated() {
    let json = r#"{"topic":"t","value_schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}]},"value":{}}"#;
    let r = parse_record(&mut codec(), json.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(
        r.value
            .as_struct()
            .unwrap()
            .get_without_default("a")
            .unwrap(),
        &Value::Null
    );
    let json = r#"{"topic":"t","value_schema":{"type":"int32"},"value":null}"#;
    let r = parse_record(&mut codec(), json.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(r.value, Value::Null);
}

#[test]
fn schemaless_kinds_are_tagged_and_round_trip() {
    let schema = SchemaBuilder::struct_()
        .field("x", schemas::int32())
        .unwrap()
        .build_ref();
    let mut st = Struct::new(schema);
    st.put("x", Value::Int32(3)).unwrap();
    let values = vec![
        Value::Null,
        Value::Int64(5),
        Value::Float64(2.5),
        Value::Float64(f64::NAN),
        Value::Int8(-1),
        Value::Int16(300),
        Value::Int32(70000),
        Value::Float32(1.1),
        Value::Boolean(true),
        Value::from("s"),
        Value::Bytes(vec![0, 0x9c]),
        Value::Date(86_400_000),
        Value::Decimal(BigDecimal::from_str("12.340").unwrap()),
        Value::BigInt(BigInt::from_str("123456789012345678901234567890").unwrap()),
        Value::Map(vec![(Value::Int32(1), Value::from("a"))]),
        Value::string_map([("$int8", Value::Int64(1))]),
        Value::string_map([("a", Value::Array(vec![Value::Int64(1), Value::Null]))]),
        Value::Struct(st),
    ];
    let mut c = codec();
    for v in values {
        let sv = SchemaAndValue::new(None, v.clone());
        let bytes = write_schema_and_value(&mut c, &sv).unwrap();
        let back = parse_schema_and_value(&mut c, &bytes).unwrap();
        match (&back.value, &v) {
            (Value::Float64(a), Value::Float64(b)) if b.is_nan() => assert!(a.is_nan()),
            _ => assert_eq!(back.value, v, "{}", String::from_utf8_lossy(&bytes)),
        }
        assert_eq!(back.schema, None);
    }
    let bytes = write_schema_and_value(&mut c, &SchemaAndValue::new(None, Value::Int8(7))).unwrap();
    assert_eq!(bytes, br#"{"schema":null,"value":{"$int8":7}}"#);
    let bytes = write_schema_and_value(
        &mut c,
        &SchemaAndValue::new(
            None,
            Value::Decimal(BigDecimal::from_str("12.340").unwrap()),
        ),
    )
    .unwrap();
    assert_eq!(bytes, br#"{"schema":null,"value":{"$decimal":"12.340"}}"#);
}

#[test]
fn schema_and_value_with_logical_types() {
    let mut c = codec();
    let sv = SchemaAndValue::new(
        Some(logical::date().build_ref()),
        Value::Date(3 * logical::MILLIS_PER_DAY),
    );
    let bytes = write_schema_and_value(&mut c, &sv).unwrap();
    assert_eq!(
        bytes,
        br#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"value":3}"#
    );
    assert_eq!(parse_schema_and_value(&mut c, &bytes).unwrap(), sv);
}

#[test]
fn errors_name_the_member() {
    let mut c = codec();
    let err = parse_record(&mut c, br#"{"topic":5}"#).unwrap_err();
    assert_eq!(err.to_string(), "topic: expected a string or null");
    let err = parse_record(&mut c, br#"{"topic":"t","value":{"$int8":300}}"#).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("value.$int8: expected an integer"),
        "{err}"
    );
    let err = parse_record(&mut c, br#"{"topic":"t","value_schema":{"type":"nope"}}"#).unwrap_err();
    assert_eq!(err.to_string(), "value_schema: Unknown schema type: nope");
    let err = parse_record(&mut c, br#"{"headers":[{"value":1}]}"#).unwrap_err();
    assert!(err.to_string().starts_with("headers[0]"));
    assert!(parse_record(&mut c, b"[").is_err());
    assert!(parse_record(&mut c, b"").is_err());
}

#[test]
fn a_tagged_value_keeps_its_kind_under_a_schema() {
    let json = concat!(
        r#"{"topic":"t","partition":0,"timestamp":null,"key_schema":{"type":"int32","optional":false},"#,
        r#""key":{"$string":"x"},"#,
        r#""value_schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},"#,
        r#"{"type":"array","items":{"type":"int64","optional":false},"optional":false,"field":"xs"}],"optional":false},"#,
        r#""value":{"id":{"$boolean":true},"xs":[1,{"$string":"two"}]},"headers":[]}"#
    );
    let r = parse_record(&mut codec(), json.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(r.key, Value::from("x"));
    let v = r.value.as_struct().unwrap();
    assert_eq!(v.get("id").unwrap(), &Value::Boolean(true));
    assert_eq!(
        v.get("xs").unwrap(),
        &Value::Array(vec![Value::Int64(1), Value::from("two")])
    );
    // The wrongly typed value reaches the converter, which refuses it as Java's does.
    let mut converter = crate::json::JsonConverter::new();
    let err = converter
        .serialize(r.key_schema.as_ref(), &r.key)
        .unwrap_err();
    assert!(err.to_string().contains("INT32"), "{err}");
}

#[test]
fn a_struct_field_named_like_a_tag_is_a_field() {
    let json = concat!(
        r#"{"topic":"t","partition":0,"timestamp":null,"key_schema":null,"key":null,"#,
        r#""value_schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"$int8"}],"optional":false},"#,
        r#""value":{"$int8":300},"headers":[]}"#
    );
    assert_eq!(round_trip(json), json);
    let r = parse_record(&mut codec(), json.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(
        r.value.as_struct().unwrap().get("$int8").unwrap(),
        &Value::Int32(300)
    );
}

#[test]
fn a_struct_schema_may_carry_a_struct_default() {
    let json = concat!(
        r#"{"topic":"t","partition":0,"timestamp":null,"key_schema":null,"key":null,"#,
        r#""value_schema":{"type":"struct","fields":[{"type":"struct","fields":["#,
        r#"{"type":"int32","optional":false,"field":"x"}],"optional":true,"default":{"x":7},"field":"p"}],"optional":false},"#,
        r#""value":{"p":null},"headers":[]}"#
    );
    assert_eq!(round_trip(json), json);
    let r = parse_record(&mut codec(), json.as_bytes())
        .unwrap()
        .unwrap();
    let outer = r.value.as_struct().unwrap();
    let Value::Struct(default) = outer.get("p").unwrap() else {
        panic!("the default of p is a struct");
    };
    assert_eq!(default.get("x").unwrap(), &Value::Int32(7));
}

#[test]
fn a_null_topic_stays_null() {
    let json = r#"{"topic":null,"partition":null,"timestamp":null,"key_schema":null,"key":null,"value_schema":null,"value":"line","headers":[]}"#;
    assert_eq!(round_trip(json), json);
    let r = parse_record(&mut codec(), json.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(r.topic, None);
}

/// Record JSON lines covering every branch of the reader: schemaless kinds, tags, nesting,
/// repeated members, headers with and without schemas, schema'd values.
const LINES: [&str; 22] = [
    r#"{"topic":"orders-1","partition":1,"offset":1,"timestamp":1700000000001,"key_schema":null,"key":"k-1","value_schema":null,"value":{"id":1,"customer":"c-1","card":"4111111111111111","amount":1.25,"items":["a","b"]},"headers":[]}"#,
    r#"{"topic":"t","value":{"a":{"$int8":1},"b":[{"$int16":2},{"$int32":3},{"$int64":4},{"$float32":1.5},{"$float64":"NaN"}],"c":{"$bytes":"AJw="},"d":{"$date":5},"e":{"$decimal":"1.50"},"f":{"$bigint":"123456789012345678901234567890"},"g":{"$map":[[1,"x"],[{"$int8":2},null]]},"h":{"$boolean":true},"i":{"$string":"s"},"j":-0.0,"k":1E+3,"l":"\u00e9\"\\\n"}}"#,
    r#"{"topic":"t","value":{"a":1,"b":2,"a":3},"headers":[{"key":"h1","schema":null,"value":{"x":[1,2.5,null,true]}},{"key":"h2","schema":{"type":"string","optional":false},"value":"v"},{"key":"h3","value":{"$struct":{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"x"}],"optional":false},"value":{"x":7}}}}]}"#,
    r#"{"topic":null,"partition":null,"timestamp":null,"key_schema":{"type":"string","optional":false},"key":"k","value_schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"array","items":{"type":"int64","optional":false},"optional":false,"field":"xs"}],"optional":false},"value":{"id":1,"xs":[1,{"$string":"two"}]},"headers":[]}"#,
    r#"{"topic":"t","value":[[],{},{"$int8":1,"other":2},{"$nope":1}]}"#,
    r#"null"#,
    r#"{"topic":"t","value":{"deep":{"deeper":{"x":{"$int8":300}}}}}"#,
    r#"{"topic":"t","value":{"a":[1,{"b":123456789012345678901234567890}]}}"#,
    r#"{"topic":"t","headers":[{"key":"h","schema":{"type":"nope"},"value":1}]}"#,
    // Schema members after their values, replaced schema members, repeated members.
    r#"{"value":{"a":1},"value_schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":false},"optional":false},"topic":"t"}"#,
    r#"{"value_schema":null,"value":{"a":1},"value_schema":{"type":"string","optional":true},"topic":"t"}"#,
    r#"{"value_schema":{"type":"string","optional":true},"value":"x","value_schema":null,"topic":"t","topic":"u","value":{"b":[1,2]}}"#,
    // White space, a byte order mark, trailing content, unknown members.
    "\u{feff} { \"topic\" : \"t\" , \"key_schema\" : null , \"key\" : [ 1 , { \"a\" : null } ] , \"other\" : {\"x\":[true]} } trailing",
    // Objects past the direct reader's limit, repeated names, a tag that is not alone.
    r#"{"topic":"t","value_schema":null,"value":{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":18,"k19":19,"k20":20,"k21":21,"k22":22,"k23":23,"k24":24,"k25":25,"k26":26,"k27":27,"k28":28,"k29":29,"k30":30,"k31":31,"k32":32,"k0":"again"}}"#,
    r#"{"topic":"t","value_schema":null,"value":{"a":1,"b":{"c":2,"c":3},"a":{"$int8":4},"$int8":5}}"#,
    r#"{"topic":"t","value_schema":null,"value":{"$int8":1,"$int8":2}}"#,
    // Numbers: leading zeros, a long's limits, beyond them, decimals, exponents.
    r#"{"topic":"t","value_schema":null,"value":[007,-0,9223372036854775807,-9223372036854775808,1.50,-2E-3,1e999,0.1]}"#,
    r#"{"topic":"t","value_schema":null,"value":[9223372036854775808]}"#,
    // Invalid JSON after a valid value, wrongly typed members, a missing offset.
    r#"{"topic":"t","value_schema":null,"value":{"a":1},"headers":[}"#,
    r#"{"topic":"t","partition":3000000000}"#,
    r#"{"topic":"t","offset":null}"#,
    "[1]",
];

#[test]
fn the_owned_reader_reads_as_the_tree_reader() {
    for line in LINES {
        let by_tree = match crate::json::parse::parse(line.as_bytes()) {
            Ok(Some(node)) => read_record(&mut codec(), &node).map_err(|e| e.to_string()),
            Ok(None) => Err("no value".to_string()),
            Err(e) => Err(RecordJsonError::from(e).to_string()),
        };
        let owned = parse_record(&mut codec(), line.as_bytes()).map_err(|e| e.to_string());
        // Debug text: NaN is not equal to itself.
        assert_eq!(format!("{owned:?}"), format!("{by_tree:?}"), "{line}");
    }
    // Deep nesting goes through the tree, which limits it.
    for depth in [100, 2000] {
        let line = format!(
            r#"{{"topic":"t","value_schema":null,"value":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let node = crate::json::parse::parse(line.as_bytes()).map(|n| n.map(|_| ()));
        let owned = parse_record(&mut codec(), line.as_bytes());
        assert_eq!(owned.is_ok(), node.is_ok(), "{depth}");
    }
    let err = parse_record(&mut codec(), LINES[6].as_bytes()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("value.deep.deeper.x.$int8: expected an integer"),
        "{err}"
    );
    let err = parse_record(&mut codec(), LINES[7].as_bytes()).unwrap_err();
    assert!(err.to_string().starts_with("value.a[1].b: "), "{err}");
}

#[test]
fn the_fast_path_reads_as_the_tree_reader_or_leaves_the_line_to_it() {
    let mut c = codec();
    let mut left = Vec::new();
    for (i, line) in LINES.iter().enumerate() {
        match fast::parse_record_fast(&mut c, line.as_bytes()) {
            Some(fast) => {
                let node = crate::json::parse::parse(line.as_bytes()).unwrap().unwrap();
                let by_tree = read_record(&mut c, &node).unwrap();
                assert_eq!(
                    format!("{:?}", Some(fast)),
                    format!("{by_tree:?}"),
                    "{line}"
                );
            }
            None => left.push(i),
        }
    }
    // `null`, the failing lines, a schema replacing a `null` after the value, more than 32
    // members, a number beyond a long.
    assert_eq!(left, [5, 6, 7, 8, 10, 13, 17, 18, 19, 20, 21]);
}

/// A sink record with a schemaless value and no headers.
fn sink_record(value: Value) -> ConnectRecord {
    ConnectRecord {
        topic: Some("t".into()),
        kafka_partition: Some(0),
        key_schema: None,
        key: Value::Null,
        value_schema: None,
        value,
        timestamp: Some(9),
        headers: Headers::new(),
        origin: Origin::Sink {
            kafka_offset: 9,
            timestamp_type: TimestampType::CreateTime,
        },
    }
}

/// The bytes of the tree path, for comparison with the direct writer.
fn by_tree(record: Option<&ConnectRecord>) -> Result<Vec<u8>, String> {
    record_to_json(&mut codec(), record)
        .map(|node| write::to_bytes(&node))
        .map_err(|e| e.to_string())
}

#[test]
fn the_direct_writer_writes_the_tree_s_bytes() {
    let mut c = codec();
    for line in LINES {
        let Ok(record) = parse_record(&mut c, line.as_bytes()) else {
            continue;
        };
        let direct = write_record(&mut c, record.as_ref()).map_err(|e| e.to_string());
        assert_eq!(direct, by_tree(record.as_ref()), "{line}");
    }
    // Values the reader does not produce: repeated map keys, a map keyed like a tag,
    // non-finite floats, a schemaless struct, every integer width.
    let schema = SchemaBuilder::struct_()
        .field("x", schemas::int32())
        .unwrap()
        .build_ref();
    let mut st = Struct::new(schema);
    st.put("x", Value::Int32(3)).unwrap();
    let values = vec![
        Value::Map(vec![
            (Value::from("a"), Value::Int64(1)),
            (Value::from("b"), Value::Int64(2)),
            (Value::from("a"), Value::Int64(3)),
        ]),
        Value::Map(
            (0..40)
                .map(|i| (Value::from(format!("k{}", i % 30)), Value::Int64(i)))
                .collect(),
        ),
        Value::Map(
            (0..40)
                .map(|i| (Value::from(format!("k{i}")), Value::Int64(i)))
                .collect(),
        ),
        Value::string_map([("$int8", Value::Int64(1))]),
        Value::Map(vec![(Value::Int32(1), Value::from("a"))]),
        Value::Array(vec![
            Value::Float64(f64::NAN),
            Value::Float64(f64::NEG_INFINITY),
            Value::Float64(1e-7),
            Value::Float64(-0.0),
            Value::Float32(f32::INFINITY),
            Value::Float32(1.1),
            Value::Int8(i8::MIN),
            Value::Int16(i16::MAX),
            Value::Int32(-7),
            Value::Int64(i64::MIN),
            Value::Date(-1),
            Value::Bytes(vec![0, 0x9c]),
            Value::Decimal(BigDecimal::from_str("1E+3").unwrap()),
            Value::BigInt(BigInt::from_str("-123456789012345678901234567890").unwrap()),
            Value::Boolean(false),
            Value::from("q\"\\/\u{1}\n\u{7f}é"),
            Value::Struct(st),
        ]),
    ];
    for v in values {
        let mut record = sink_record(v.clone());
        record.headers.push(Header {
            key: "h".into(),
            schema: None,
            value: v,
        });
        let direct = write_record(&mut c, Some(&record)).map_err(|e| e.to_string());
        assert_eq!(direct, by_tree(Some(&record)));
    }
    assert_eq!(write_record(&mut c, None).unwrap(), by_tree(None).unwrap());
    // Schema'd header values: the plain kinds written directly, the others by the codec.
    let typed = [
        (schemas::string(), Value::from("q\"é")),
        (schemas::optional_string(), Value::Null),
        (schemas::int8(), Value::Int8(-8)),
        (schemas::int16(), Value::Int16(16)),
        (schemas::int32(), Value::Int32(i32::MIN)),
        (schemas::int64(), Value::Int64(i64::MAX)),
        (schemas::boolean(), Value::Boolean(true)),
        (schemas::boolean(), Value::Boolean(false)),
        (schemas::float64(), Value::Float64(0.1)),
        (logical::date().build_ref(), Value::Date(86_400_000)),
        (
            SchemaBuilder::string().name("named").build_ref(),
            Value::from("n"),
        ),
    ];
    for (schema, value) in typed {
        let mut record = sink_record(Value::Null);
        record.headers.push(Header {
            key: "h".into(),
            schema: Some(schema),
            value,
        });
        let direct = write_record(&mut c, Some(&record)).map_err(|e| e.to_string());
        assert_eq!(direct, by_tree(Some(&record)));
    }
}

#[test]
fn a_failed_direct_write_reports_as_the_tree_path_and_leaves_the_buffer() {
    // A struct under a schema it does not belong to fails in the codec.
    let int_schema = schemas::int32();
    let mut record = sink_record(Value::Null);
    record.headers.push(Header {
        key: "h".into(),
        schema: Some(int_schema),
        value: Value::from("not an int"),
    });
    let mut c = codec();
    let mut out = b"before".to_vec();
    let direct = write_record_to(&mut c, Some(&record), &mut out).map_err(|e| e.to_string());
    let tree = by_tree(Some(&record));
    match (&direct, &tree) {
        (Err(d), Err(t)) => {
            assert_eq!(d, t);
            assert_eq!(out, b"before");
        }
        (Ok(()), Ok(bytes)) => assert_eq!(&out[6..], &bytes[..]),
        _ => panic!("direct {direct:?}, tree {tree:?}"),
    }
}
