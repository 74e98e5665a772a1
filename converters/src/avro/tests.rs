//! The mapping of Confluent's `AvroData` in both directions, for every type and logical type,
//! and the binary codec checked against the Apache Avro library.

// The datum functions are the simplest independent encoder and decoder for a cross-check.
#![allow(deprecated)]

use std::str::FromStr;

use bigdecimal::BigDecimal;
use sluice_api::logical;
use sluice_api::{schemas, Schema, SchemaBuilder, SchemaRef, Struct, Value};

use super::codec::{compile, read, write, Reader, WriteOptions};
use super::config::AvroDataConfig;
use super::from_connect::from_connect_schema;
use super::schema::AvroSchema;
use super::to_connect::to_connect_schema;

fn cfg() -> AvroDataConfig {
    AvroDataConfig::default()
}

fn avro_json(schema: &Schema) -> String {
    from_connect_schema(&cfg(), schema)
        .expect("to Avro")
        .to_json_string()
}

fn back(text: &str) -> SchemaRef {
    to_connect_schema(&cfg(), &AvroSchema::parse(text).expect("parse"), None).expect("to Connect")
}

fn dec(s: &str) -> BigDecimal {
    BigDecimal::from_str(s).expect("decimal literal")
}

/// Encodes with our codec, decodes with our codec, and decodes with Apache Avro too.
fn round_trip(schema: &SchemaRef, value: &Value) -> (Vec<u8>, Value, apache_avro::types::Value) {
    let avro = from_connect_schema(&cfg(), schema).expect("to Avro");
    let plan = compile(&cfg(), schema, &avro).expect("plan");
    let mut bytes = Vec::new();
    write(&plan, value, WriteOptions::default(), &mut bytes).expect("write");
    let mut r = Reader::new(&bytes);
    let decoded = read(&plan, &mut r).expect("read");
    assert!(r.is_end());
    let reference = apache_avro::Schema::parse_str(&avro.to_json_string()).expect("Avro parses it");
    let theirs = apache_avro::from_avro_datum(&reference, &mut &bytes[..], None)
        .expect("Apache Avro reads our bytes");
    (bytes, decoded, theirs)
}

#[test]
fn primitives_map_as_avro_data_does() {
    let cases: Vec<(Schema, &str)> = vec![
        (
            Schema::of(sluice_api::Type::Int8),
            r#"{"type":"int","connect.type":"int8"}"#,
        ),
        (
            Schema::of(sluice_api::Type::Int16),
            r#"{"type":"int","connect.type":"int16"}"#,
        ),
        (Schema::of(sluice_api::Type::Int32), r#""int""#),
        (Schema::of(sluice_api::Type::Int64), r#""long""#),
        (Schema::of(sluice_api::Type::Float32), r#""float""#),
        (Schema::of(sluice_api::Type::Float64), r#""double""#),
        (Schema::of(sluice_api::Type::Boolean), r#""boolean""#),
        (Schema::of(sluice_api::Type::String), r#""string""#),
        (Schema::of(sluice_api::Type::Bytes), r#""bytes""#),
    ];
    for (schema, expected) in cases {
        assert_eq!(avro_json(&schema), expected, "{schema}");
        assert_eq!(*back(expected), schema, "{expected}");
    }
}

#[test]
fn optional_is_a_union_with_null_first_unless_there_is_a_default() {
    assert_eq!(
        avro_json(&schemas::optional_string()),
        r#"["null","string"]"#
    );
    let with_default = SchemaBuilder::string()
        .optional()
        .default_value(Value::from("x"))
        .unwrap()
        .build();
    assert_eq!(
        avro_json(&with_default),
        r#"["string","null"]"#.replace(r#""string""#, r#"{"type":"string","connect.default":"x"}"#)
    );
    assert_eq!(*back(r#"["null","string"]"#), *schemas::optional_string());
    assert_eq!(*back(r#"["string","null"]"#), *schemas::optional_string());
}

#[test]
fn logical_types_map_both_ways() {
    let decimal = logical::decimal(2).build();
    let text = r#"{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}"#;
    assert_eq!(avro_json(&decimal), text);
    assert_eq!(*back(text), decimal);
    // A precision parameter is written as the Avro precision and read back only when not 64.
    let p10 = logical::decimal(2)
        .parameter("connect.decimal.precision", "10")
        .build();
    let t10 = avro_json(&p10);
    assert!(t10.contains(r#""precision":10"#), "{t10}");
    assert_eq!(*back(&t10), p10);
    // A plain Avro decimal (no connect.* properties) reads as a Decimal with its scale.
    let plain = back(r#"{"type":"bytes","logicalType":"decimal","precision":10,"scale":3}"#);
    assert_eq!(plain.name.as_deref(), Some(logical::DECIMAL_NAME));
    assert_eq!(plain.parameter("scale"), Some("3"));
    assert_eq!(plain.parameter("connect.decimal.precision"), Some("10"));

    let date = r#"{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}"#;
    assert_eq!(avro_json(&logical::date().build()), date);
    assert_eq!(*back(date), logical::date().build());
    let time = r#"{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Time","logicalType":"time-millis"}"#;
    assert_eq!(avro_json(&logical::time().build()), time);
    assert_eq!(*back(time), logical::time().build());
    let ts = r#"{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}"#;
    assert_eq!(avro_json(&logical::timestamp().build()), ts);
    assert_eq!(*back(ts), logical::timestamp().build());
    // Plain Avro logical types (other producers) read as the Connect logical types.
    assert_eq!(
        back(r#"{"type":"long","logicalType":"timestamp-millis"}"#)
            .name
            .as_deref(),
        Some(logical::TIMESTAMP_NAME)
    );
    assert_eq!(
        back(r#"{"type":"int","logicalType":"date"}"#)
            .name
            .as_deref(),
        Some(logical::DATE_NAME)
    );
}

#[test]
fn metadata_becomes_connect_properties() {
    let s = SchemaBuilder::string()
        .name("com.example.Code")
        .version(3)
        .doc("a code")
        .parameter("k", "v")
        .build();
    let text = avro_json(&s);
    assert_eq!(
        text,
        r#"{"type":"string","connect.doc":"a code","connect.version":3,"connect.parameters":{"k":"v"},"connect.name":"com.example.Code"}"#
    );
    assert_eq!(*back(&text), s);
    let off = AvroDataConfig {
        connect_meta_data: false,
        ..cfg()
    };
    assert_eq!(
        from_connect_schema(&off, &s).unwrap().to_json_string(),
        r#""string""#
    );
}

fn position_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("fleet.Position")
        .field("id", schemas::string())
        .unwrap()
        .field("lat", schemas::float64())
        .unwrap()
        .field("speed", schemas::optional_float32())
        .unwrap()
        .field(
            "status",
            SchemaBuilder::string()
                .default_value(Value::from("ok"))
                .unwrap()
                .build_ref(),
        )
        .unwrap()
        .build_ref()
}

#[test]
fn structs_become_records_with_field_defaults() {
    let text = avro_json(&position_schema());
    assert_eq!(
        text,
        r#"{"type":"record","name":"Position","namespace":"fleet","fields":[{"name":"id","type":"string"},{"name":"lat","type":"double"},{"name":"speed","type":["null","float"],"default":null},{"name":"status","type":{"type":"string","connect.default":"ok"},"default":"ok"}],"connect.name":"fleet.Position"}"#
    );
    assert_eq!(back(&text), position_schema());
}

#[test]
fn unnamed_structs_are_connect_default_with_a_counter() {
    let inner = SchemaBuilder::struct_()
        .field("a", schemas::int32())
        .unwrap()
        .build_ref();
    let other = SchemaBuilder::struct_()
        .field("b", schemas::int32())
        .unwrap()
        .build_ref();
    let outer = SchemaBuilder::struct_()
        .field("x", inner.clone())
        .unwrap()
        .field("y", other)
        .unwrap()
        .field("z", inner)
        .unwrap()
        .build();
    let text = avro_json(&outer);
    assert_eq!(
        text,
        r#"{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"x","type":{"type":"record","name":"ConnectDefault2","fields":[{"name":"a","type":"int"}]}},{"name":"y","type":{"type":"record","name":"ConnectDefault3","fields":[{"name":"b","type":"int"}]}},{"name":"z","type":"ConnectDefault2"}]}"#
    );
    // The ConnectDefault names are dropped on the way back.
    assert_eq!(*back(&text), outer);
}

#[test]
fn maps_with_string_keys_are_maps_and_others_are_entry_arrays() {
    let m = SchemaBuilder::map(schemas::string(), schemas::int32()).build();
    assert_eq!(avro_json(&m), r#"{"type":"map","values":"int"}"#);
    assert_eq!(*back(r#"{"type":"map","values":"int"}"#), m);
    let e = SchemaBuilder::map(schemas::int32(), schemas::string()).build();
    let text = avro_json(&e);
    assert_eq!(
        text,
        r#"{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}"#
    );
    assert_eq!(*back(&text), e);
    let a = SchemaBuilder::array(schemas::optional_int64()).build();
    assert_eq!(avro_json(&a), r#"{"type":"array","items":["null","long"]}"#);
    assert_eq!(*back(&avro_json(&a)), a);
}

#[test]
fn enums_and_unions_on_the_way_in() {
    let e = back(r#"{"type":"enum","name":"Color","namespace":"a","symbols":["RED","GREEN"]}"#);
    assert_eq!(e.schema_type, sluice_api::Type::String);
    assert_eq!(e.name.as_deref(), Some("a.Color"));
    assert_eq!(
        e.parameter("io.confluent.connect.avro.Enum"),
        Some("a.Color")
    );
    assert_eq!(
        e.parameter("io.confluent.connect.avro.Enum.GREEN"),
        Some("GREEN")
    );
    // With enhanced support the enum goes back out as an enum.
    let enhanced = AvroDataConfig {
        enhanced_avro_schema_support: true,
        ..cfg()
    };
    let out = from_connect_schema(&enhanced, &e).unwrap();
    assert!(
        matches!(out.kind(), super::schema::Kind::Enum { symbols, .. } if symbols == &["RED", "GREEN"])
    );
    // Without it, a string.
    assert_eq!(
        from_connect_schema(&cfg(), &e).unwrap().type_name(),
        "string"
    );

    let u = back(
        r#"["null","int","string",{"type":"record","name":"R","namespace":"n","fields":[{"name":"f","type":"int"}]}]"#,
    );
    assert_eq!(u.name.as_deref(), Some("io.confluent.connect.avro.Union"));
    assert!(u.optional);
    let names: Vec<&str> = u.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["int", "string", "R"]);
    assert!(u.fields.iter().all(|f| f.schema.optional));
    // And back out as a union.
    let out = from_connect_schema(&cfg(), &u).unwrap();
    assert_eq!(
        out.to_json_string(),
        r#"["null","int","string",{"type":"record","name":"R","namespace":"n","fields":[{"name":"f","type":"int"}],"connect.name":"n.R"}]"#
    );
}

#[test]
fn avro_field_defaults_and_docs_become_connect_defaults_and_parameters() {
    let s = back(
        r#"{"type":"record","name":"R","doc":"rec","fields":[{"name":"n","type":"int","default":7,"doc":"count"},{"name":"o","type":["null","string"],"default":null}]}"#,
    );
    let n = &s.field("n").unwrap().schema;
    assert_eq!(n.default, Some(Value::Int32(7)));
    assert_eq!(
        n.parameter("io.confluent.connect.avro.field.default"),
        Some("true")
    );
    assert_eq!(
        s.parameter("io.confluent.connect.avro.record.doc"),
        Some("rec")
    );
    assert_eq!(
        s.parameter("io.confluent.connect.avro.field.doc.n"),
        Some("count")
    );
    assert!(s.field("o").unwrap().schema.optional);
    // Written back: the Avro default again, without the flag parameter.
    let text = from_connect_schema(&cfg(), &s).unwrap().to_json_string();
    assert!(
        text.contains(r#"{"name":"n","type":"int","doc":"count","default":7}"#),
        "{text}"
    );
    assert!(!text.contains("field.default"), "{text}");
}

#[test]
fn standalone_null_and_bad_annotations_are_errors() {
    let e = to_connect_schema(&cfg(), &AvroSchema::parse(r#""null""#).unwrap(), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Standalone null schemas are not supported by this converter"
    );
    assert!(to_connect_schema(
        &cfg(),
        &AvroSchema::parse(r#"{"type":"int","connect.version":"x"}"#).unwrap(),
        None
    )
    .is_err());
}

#[test]
fn registry_version_applies_unless_connect_version_is_set() {
    let s = to_connect_schema(&cfg(), &AvroSchema::parse(r#""int""#).unwrap(), Some(4)).unwrap();
    assert_eq!(s.version, Some(4));
    let s = to_connect_schema(
        &cfg(),
        &AvroSchema::parse(r#"{"type":"int","connect.version":2}"#).unwrap(),
        Some(4),
    )
    .unwrap();
    assert_eq!(s.version, Some(2));
}

fn everything() -> (SchemaRef, Value) {
    let inner = SchemaBuilder::struct_()
        .name("n.Inner")
        .field("b", schemas::int8())
        .unwrap()
        .field("s", schemas::int16())
        .unwrap()
        .build_ref();
    let schema = SchemaBuilder::struct_()
        .name("n.All")
        .field("i", schemas::int32())
        .unwrap()
        .field("l", schemas::int64())
        .unwrap()
        .field("f", schemas::float32())
        .unwrap()
        .field("d", schemas::float64())
        .unwrap()
        .field("t", schemas::boolean())
        .unwrap()
        .field("str", schemas::string())
        .unwrap()
        .field("by", schemas::bytes())
        .unwrap()
        .field("dec", logical::decimal(2).build_ref())
        .unwrap()
        .field("date", logical::date().build_ref())
        .unwrap()
        .field("time", logical::time().build_ref())
        .unwrap()
        .field("ts", logical::timestamp().build_ref())
        .unwrap()
        .field("opt", schemas::optional_string())
        .unwrap()
        .field("arr", SchemaBuilder::array(schemas::int32()).build_ref())
        .unwrap()
        .field(
            "smap",
            SchemaBuilder::map(schemas::string(), schemas::int64()).build_ref(),
        )
        .unwrap()
        .field(
            "imap",
            SchemaBuilder::map(schemas::int32(), schemas::string()).build_ref(),
        )
        .unwrap()
        .field("inner", inner.clone())
        .unwrap()
        .build_ref();
    let mut inner_v = Struct::new(inner);
    inner_v.put("b", Value::Int8(-3)).unwrap();
    inner_v.put("s", Value::Int16(300)).unwrap();
    let mut v = Struct::new(schema.clone());
    v.put("i", Value::Int32(-5)).unwrap();
    v.put("l", Value::Int64(1 << 40)).unwrap();
    v.put("f", Value::Float32(1.5)).unwrap();
    v.put("d", Value::Float64(-2.25)).unwrap();
    v.put("t", Value::Boolean(true)).unwrap();
    v.put("str", Value::from("héllo")).unwrap();
    v.put("by", Value::Bytes(vec![0, 255, 7])).unwrap();
    v.put("dec", Value::Decimal(dec("-12.34"))).unwrap();
    v.put("date", Value::Date(19_000 * logical::MILLIS_PER_DAY))
        .unwrap();
    v.put("time", Value::Date(3_600_000)).unwrap();
    v.put("ts", Value::Date(1_700_000_000_123)).unwrap();
    v.put("opt", Value::Null).unwrap();
    v.put("arr", Value::Array(vec![Value::Int32(1), Value::Int32(2)]))
        .unwrap();
    v.put(
        "smap",
        Value::Map(vec![(Value::from("a"), Value::Int64(9))]),
    )
    .unwrap();
    v.put(
        "imap",
        Value::Map(vec![(Value::Int32(4), Value::from("four"))]),
    )
    .unwrap();
    v.put("inner", Value::Struct(inner_v)).unwrap();
    (schema, Value::Struct(v))
}

#[test]
fn every_type_round_trips_and_apache_avro_reads_the_bytes() {
    use apache_avro::types::Value as A;
    let (schema, value) = everything();
    let (_, decoded, theirs) = round_trip(&schema, &value);
    assert_eq!(decoded, value);
    let A::Record(fields) = theirs else {
        panic!("record expected, got {theirs:?}")
    };
    let get = |n: &str| {
        fields
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(get("i"), A::Int(-5));
    assert_eq!(get("l"), A::Long(1 << 40));
    assert_eq!(get("f"), A::Float(1.5));
    assert_eq!(get("str"), A::String("héllo".into()));
    assert_eq!(get("date"), A::Date(19_000));
    assert_eq!(get("time"), A::TimeMillis(3_600_000));
    assert_eq!(get("ts"), A::TimestampMillis(1_700_000_000_123));
    assert_eq!(get("opt"), A::Union(0, Box::new(A::Null)));
    match get("dec") {
        A::Decimal(d) => {
            let raw: Vec<u8> = d.try_into().unwrap();
            assert_eq!(raw, vec![0xfb, 0x2e]); // -1234
        }
        other => panic!("decimal expected, got {other:?}"),
    }
    match get("imap") {
        A::Array(entries) => assert_eq!(
            entries,
            vec![A::Record(vec![
                ("key".into(), A::Int(4)),
                ("value".into(), A::String("four".into()))
            ])]
        ),
        other => panic!("array expected, got {other:?}"),
    }
    match get("inner") {
        A::Record(f) => assert_eq!(f, vec![("b".into(), A::Int(-3)), ("s".into(), A::Int(300))]),
        other => panic!("record expected, got {other:?}"),
    }
}

#[test]
fn bytes_written_by_apache_avro_are_read_with_the_writer_schema() {
    use apache_avro::types::Value as A;
    let text = r#"{"type":"record","name":"Ev","namespace":"x","fields":[
        {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"]}},
        {"name":"u","type":["null","long","string"]},
        {"name":"fx","type":{"type":"fixed","name":"F","size":2}},
        {"name":"tags","type":{"type":"map","values":"string"}},
        {"name":"n","type":["null","int"],"default":null}]}"#;
    let theirs = apache_avro::Schema::parse_str(text).unwrap();
    let datum = A::Record(vec![
        ("kind".into(), A::Enum(1, "B".into())),
        ("u".into(), A::Union(2, Box::new(A::String("s".into())))),
        ("fx".into(), A::Fixed(2, vec![1, 2])),
        (
            "tags".into(),
            A::Map(
                [("k".to_string(), A::String("v".into()))]
                    .into_iter()
                    .collect(),
            ),
        ),
        ("n".into(), A::Union(1, Box::new(A::Int(5)))),
    ]);
    let bytes = apache_avro::to_avro_datum(&theirs, datum).unwrap();
    let avro = AvroSchema::parse(text).unwrap();
    let schema = to_connect_schema(&cfg(), &avro, Some(1)).unwrap();
    let plan = compile(&cfg(), &schema, &avro).unwrap();
    let value = read(&plan, &mut Reader::new(&bytes)).unwrap();
    let s = value.as_struct().unwrap();
    assert_eq!(s.get("kind").unwrap(), &Value::from("B"));
    let u = s.get("u").unwrap().as_struct().unwrap();
    assert_eq!(u.get("string").unwrap(), &Value::from("s"));
    assert_eq!(u.get("long").unwrap(), &Value::Null);
    assert_eq!(s.get("fx").unwrap(), &Value::Bytes(vec![1, 2]));
    assert_eq!(
        s.get("tags").unwrap(),
        &Value::Map(vec![(Value::from("k"), Value::from("v"))])
    );
    assert_eq!(s.get("n").unwrap(), &Value::Int32(5));
    assert_eq!(schema.version, Some(1));
    assert_eq!(
        schema
            .field("fx")
            .unwrap()
            .schema
            .parameter("connect.fixed.size"),
        Some("2")
    );
    // Written back with the same Avro schema, the bytes are identical.
    let mut again = Vec::new();
    write(&plan, &value, WriteOptions::default(), &mut again).unwrap();
    assert_eq!(again, bytes);
}

#[test]
fn nulls_defaults_and_type_errors() {
    let schema = position_schema();
    let mut v = Struct::new(schema.clone());
    v.put("id", Value::from("a")).unwrap();
    v.put("lat", Value::Float64(1.0)).unwrap();
    // `status` is null: its default is written (Java's struct.get).
    let (_, decoded, _) = round_trip(&schema, &Value::Struct(v.clone()));
    assert_eq!(
        decoded.as_struct().unwrap().get("status").unwrap(),
        &Value::from("ok")
    );
    // A required field left null fails with Java's message.
    let avro = from_connect_schema(&cfg(), &schema).unwrap();
    let plan = compile(&cfg(), &schema, &avro).unwrap();
    let mut missing = Struct::new(schema.clone());
    missing.put_unchecked("lat", Value::Float64(1.0)).unwrap();
    let e = write(
        &plan,
        &Value::Struct(missing),
        WriteOptions::default(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Found null value for non-optional schema"),
        "{e}"
    );
    // A wrongly typed value is a DataException naming the Java class.
    let mut bad = v.clone();
    bad.put_unchecked("lat", Value::from("x")).unwrap();
    let e = write(
        &plan,
        &Value::Struct(bad),
        WriteOptions::default(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid type for FLOAT64: class java.lang.String"
    );
    // Truncated input is an error, not a panic.
    let mut bytes = Vec::new();
    write(
        &plan,
        &Value::Struct(v),
        WriteOptions::default(),
        &mut bytes,
    )
    .unwrap();
    for cut in 0..bytes.len() {
        assert!(read(&plan, &mut Reader::new(&bytes[..cut])).is_err());
    }
}

#[test]
fn decimal_in_fixed_is_sign_extended() {
    let schema = logical::decimal(0)
        .parameter("connect.fixed.size", "4")
        .build_ref();
    let avro = from_connect_schema(&cfg(), &schema).unwrap();
    assert!(matches!(
        avro.kind(),
        super::schema::Kind::Fixed { size: 4, .. }
    ));
    let (bytes, decoded, _) = round_trip(&schema, &Value::Decimal(dec("-2")));
    assert_eq!(bytes, vec![0xff, 0xff, 0xff, 0xfe]);
    assert_eq!(decoded, Value::Decimal(dec("-2")));
}

#[test]
fn optional_with_default_writes_the_default_branch_first() {
    let s = SchemaBuilder::struct_()
        .field(
            "o",
            SchemaBuilder::int32()
                .optional()
                .default_value(Value::Int32(3))
                .unwrap()
                .build_ref(),
        )
        .unwrap()
        .build_ref();
    let mut v = Struct::new(s.clone());
    v.put("o", Value::Int32(9)).unwrap();
    let (bytes, decoded, _) = round_trip(&s, &Value::Struct(v));
    // Branch 0 is the int, then zigzag 9.
    assert_eq!(bytes, vec![0, 18]);
    assert_eq!(
        decoded.as_struct().unwrap().get("o").unwrap(),
        &Value::Int32(9)
    );
}

#[test]
fn a_record_default_becomes_a_struct_default() {
    let s = back(
        r#"{"type":"record","name":"R","fields":[{"name":"p","type":{"type":"record","name":"P","fields":[{"name":"x","type":"int"},{"name":"y","type":"int","default":2}]},"default":{"x":1}}]}"#,
    );
    let p = &s.field("p").unwrap().schema;
    let Some(Value::Struct(d)) = &p.default else {
        panic!("p has a struct default: {:?}", p.default);
    };
    assert_eq!(d.get("x").unwrap(), &Value::Int32(1));
    // A member missing from the JSON takes the Avro field's own default.
    assert_eq!(d.get("y").unwrap(), &Value::Int32(2));
    assert_eq!(d.schema().fields, p.fields);
}
