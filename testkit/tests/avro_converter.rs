//! AvroConverter against the test Schema Registry: wire format, caches (registry calls counted),
//! ids shared across subjects, schema evolution, subject strategies, and the error cases
//! (incompatible schema, unknown id, bad magic byte, unreachable registry).
//!
//! `avro_converter_against_a_real_registry` runs against a real Confluent Schema Registry:
//! `SLUICE_TEST_SCHEMA_REGISTRY_URL=http://host:8081 cargo test -p sluice-testkit --test avro_converter -- --ignored`.

use sluice_api::config::props_of;
use sluice_api::{schemas, Converter, SchemaBuilder, SchemaRef, Struct, Value};
use sluice_converters::AvroConverter;
use sluice_testkit::SchemaRegistryTestServer;

fn converter(url: &str, extra: &[(&str, &str)], is_key: bool) -> AvroConverter {
    let mut pairs = vec![("schema.registry.url", url)];
    pairs.extend_from_slice(extra);
    let mut c = AvroConverter::new();
    c.configure(&props_of(&pairs), is_key).expect("configure");
    c
}

fn position_v1() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("fleet.Position")
        .field("id", schemas::string())
        .unwrap()
        .field("lat", schemas::float64())
        .unwrap()
        .field("lon", schemas::float64())
        .unwrap()
        .build_ref()
}

fn position_v2() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("fleet.Position")
        .field("id", schemas::string())
        .unwrap()
        .field("lat", schemas::float64())
        .unwrap()
        .field("lon", schemas::float64())
        .unwrap()
        .field("speed", schemas::optional_float32())
        .unwrap()
        .build_ref()
}

fn position(schema: &SchemaRef, i: usize) -> Value {
    let mut s = Struct::new(schema.clone());
    s.put("id", Value::from(format!("truck-{i}"))).unwrap();
    s.put("lat", Value::Float64(48.0 + i as f64 / 1000.0))
        .unwrap();
    s.put("lon", Value::Float64(11.5)).unwrap();
    if schema.field("speed").is_some() {
        s.put("speed", Value::Float32(50.5)).unwrap();
    }
    Value::Struct(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_calls_the_registry_once_per_schema() {
    let reg = SchemaRegistryTestServer::start().await.unwrap();
    let mut w = converter(reg.url(), &[], false);
    let mut r = converter(reg.url(), &[], false);
    let schema = position_v1();
    for i in 0..2_000 {
        let v = position(&schema, i);
        let bytes = w
            .serialize("positions", Some(&schema), &v)
            .unwrap()
            .unwrap();
        assert_eq!(&bytes[..5], &[0, 0, 0, 0, 1], "magic byte 0 and id 1");
        let back = r.deserialize("positions", Some(&bytes)).unwrap();
        assert_eq!(
            back.value.as_struct().unwrap().get("id").unwrap(),
            &Value::from(format!("truck-{i}"))
        );
        let s = back.schema.unwrap();
        // The schema read back is the written one, with the registry version.
        assert_eq!(s.version, Some(1));
        assert_eq!(s.name.as_deref(), Some("fleet.Position"));
        assert_eq!(s.fields.len(), 3);
    }
    let stats = reg.stats();
    assert_eq!(stats.registers, 1, "{stats:?}");
    assert_eq!(stats.schema_fetches, 1, "{stats:?}");
    assert_eq!(stats.lookups, 1, "{stats:?}");
    assert_eq!(stats.requests, 3, "{stats:?}");
    assert_eq!(w.registry_calls() + r.registry_calls(), 3);
    assert_eq!(
        reg.with_store(|s| s.subjects()),
        vec!["positions-value".to_string()]
    );
    // Null values are null bytes with no registration, and back.
    assert_eq!(
        w.serialize("positions", Some(&schemas::optional_string()), &Value::Null)
            .unwrap(),
        None
    );
    assert_eq!(r.deserialize("positions", None).unwrap().value, Value::Null);
}

#[tokio::test(flavor = "current_thread")]
async fn ids_are_shared_across_subjects_and_strategies_name_subjects() {
    let reg = SchemaRegistryTestServer::start().await.unwrap();
    // A current-thread runtime: the converter's registry thread must not need this one.
    let url = reg.url().to_string();
    let handle = tokio::task::spawn_blocking(move || {
        let schema = position_v1();
        let v = position(&schema, 1);
        let mut a = converter(&url, &[], false);
        let x = a.serialize("a", Some(&schema), &v).unwrap().unwrap();
        let y = a.serialize("b", Some(&schema), &v).unwrap().unwrap();
        assert_eq!(x, y, "one id for one schema in two subjects");
        let mut rec = converter(
            &url,
            &[(
                "key.subject.name.strategy",
                "io.confluent.kafka.serializers.subject.RecordNameStrategy",
            )],
            true,
        );
        rec.serialize("a", Some(&schema), &v).unwrap();
        let mut tr = converter(
            &url,
            &[(
                "value.subject.name.strategy",
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
            )],
            false,
        );
        tr.serialize("a", Some(&schema), &v).unwrap();
        // Key converters of primitives under TopicNameStrategy get <topic>-key.
        let mut k = converter(&url, &[], true);
        k.serialize("a", Some(&schemas::string()), &Value::from("k"))
            .unwrap();
    });
    handle.await.unwrap();
    assert_eq!(
        reg.with_store(|s| s.subjects()),
        vec![
            "a-fleet.Position",
            "a-key",
            "a-value",
            "b-value",
            "fleet.Position"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_of_older_compatible_schemas_are_read_with_their_own_schema() {
    let reg = SchemaRegistryTestServer::start().await.unwrap();
    let mut w = converter(reg.url(), &[], false);
    let old = w
        .serialize("evo", Some(&position_v1()), &position(&position_v1(), 1))
        .unwrap()
        .unwrap();
    let new = w
        .serialize("evo", Some(&position_v2()), &position(&position_v2(), 2))
        .unwrap()
        .unwrap();
    assert_eq!(old[4], 1);
    assert_eq!(new[4], 2);
    let mut r = converter(reg.url(), &[], false);
    let a = r.deserialize("evo", Some(&new)).unwrap();
    let b = r.deserialize("evo", Some(&old)).unwrap();
    assert_eq!(a.schema.as_ref().unwrap().version, Some(2));
    assert_eq!(b.schema.as_ref().unwrap().version, Some(1));
    assert_eq!(
        a.value.as_struct().unwrap().get("speed").unwrap(),
        &Value::Float32(50.5)
    );
    assert!(b.schema.unwrap().field("speed").is_none());
    assert_eq!(
        reg.with_store(|s| s.versions("evo-value")).unwrap(),
        vec![1, 2]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_and_data_errors_are_clear_data_exceptions() {
    let reg = SchemaRegistryTestServer::start().await.unwrap();
    let mut w = converter(reg.url(), &[], false);
    w.serialize("t", Some(&position_v1()), &position(&position_v1(), 1))
        .unwrap();
    // An incompatible change (a new required field without default): 409.
    let incompatible = SchemaBuilder::struct_()
        .name("fleet.Position")
        .field("id", schemas::int64())
        .unwrap()
        .build_ref();
    let mut s = Struct::new(incompatible.clone());
    s.put("id", Value::Int64(1)).unwrap();
    let e = w
        .serialize("t", Some(&incompatible), &Value::Struct(s))
        .unwrap_err();
    assert!(matches!(e, sluice_api::ConnectError::Data(_)));
    let msg = e.to_string();
    assert!(
        msg.starts_with(
            "Failed to serialize Avro data from topic t: Schema being registered is incompatible"
        ),
        "{msg}"
    );
    assert!(msg.ends_with("error code: 409"), "{msg}");

    let mut r = converter(reg.url(), &[], false);
    let e = r
        .deserialize("t", Some(&[0, 0, 0, 0, 99, 2]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Schema 99 not found") && e.contains("40403"),
        "{e}"
    );
    let e = r
        .deserialize("t", Some(&[7, 0, 0, 0, 1, 2]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "Failed to deserialize data for topic t to Avro: Unknown magic byte!"
    );
    // Truncated Avro data.
    let good = w
        .serialize("t", Some(&position_v1()), &position(&position_v1(), 1))
        .unwrap()
        .unwrap();
    let e = r
        .deserialize("t", Some(&good[..good.len() - 3]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unexpected end of data"), "{e}");

    // auto.register.schemas=false looks the schema up: 40401 for an unknown subject.
    let mut lookup_only = converter(reg.url(), &[("auto.register.schemas", "false")], false);
    let e = lookup_only
        .serialize("other", Some(&position_v1()), &position(&position_v1(), 1))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Subject 'other-value' not found") && e.contains("40401"),
        "{e}"
    );
    // ... and finds the registered one.
    let found = lookup_only
        .serialize("t", Some(&position_v1()), &position(&position_v1(), 1))
        .unwrap()
        .unwrap();
    assert_eq!(found, good);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn use_latest_version_writes_with_the_latest_id() {
    let reg = SchemaRegistryTestServer::start().await.unwrap();
    let mut w = converter(reg.url(), &[], false);
    w.serialize("l", Some(&position_v1()), &position(&position_v1(), 1))
        .unwrap();
    w.serialize("l", Some(&schemas::string()), &Value::from("x"))
        .unwrap_err(); // incompatible
    let mut latest = converter(
        reg.url(),
        &[
            ("use.latest.version", "true"),
            ("auto.register.schemas", "false"),
        ],
        false,
    );
    let bytes = latest
        .serialize("l", Some(&position_v1()), &position(&position_v1(), 3))
        .unwrap()
        .unwrap();
    assert_eq!(&bytes[..5], &[0, 0, 0, 0, 1]);
    // A record with a field the latest version lacks is written without it (as Java does).
    let v2 = latest
        .serialize("l", Some(&position_v2()), &position(&position_v2(), 3))
        .unwrap()
        .unwrap();
    assert_eq!(v2, bytes);
    // A schema the latest version cannot take is refused.
    let other = SchemaBuilder::struct_()
        .name("fleet.Position")
        .field("id", schemas::int64())
        .unwrap()
        .build_ref();
    let mut s = Struct::new(other.clone());
    s.put("id", Value::Int64(1)).unwrap();
    let e = latest
        .serialize("l", Some(&other), &Value::Struct(s))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Incompatible schema"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_registry_is_retried_then_named_in_the_error() {
    let reg = SchemaRegistryTestServer::start().await.unwrap();
    let url = reg.url().to_string();
    reg.stop().await;
    let mut w = converter(&url, &[], false);
    let e = w
        .serialize("t", Some(&position_v1()), &position(&position_v1(), 1))
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "Schema Registry unreachable at {url} after 4 attempts"
        )),
        "{msg}"
    );
    assert_eq!(w.registry_calls(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemaless_values_use_the_anything_record() {
    let reg = SchemaRegistryTestServer::start().await.unwrap();
    let mut w = converter(reg.url(), &[], false);
    let mut r = converter(reg.url(), &[], false);
    let v = Value::Map(vec![
        (Value::from("n"), Value::Int64(5)),
        (
            Value::from("tags"),
            Value::Array(vec![Value::from("a"), Value::Null]),
        ),
    ]);
    let bytes = w.serialize("free", None, &v).unwrap().unwrap();
    let again = w
        .serialize("free", None, &Value::from("text"))
        .unwrap()
        .unwrap();
    assert_eq!(
        bytes[..5],
        again[..5],
        "one Anything schema id for every schemaless value"
    );
    let back = r.deserialize("free", Some(&bytes)).unwrap();
    assert_eq!(back.schema, None);
    assert_eq!(back.value, v);
    assert_eq!(
        r.deserialize("free", Some(&again)).unwrap().value,
        Value::from("text")
    );
    let stored = reg
        .with_store(|s| s.schema(1).map(|s| s.schema.clone()))
        .unwrap();
    assert!(stored.contains(r#""name":"Anything","namespace":"io.confluent.connect.avro""#));
    assert_eq!(reg.stats().registers, 1);
    let e = w
        .serialize("free", None, &Value::Date(0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Unknown Java type for schemaless data: class java.util.Date"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_comes_from_user_info_or_the_url() {
    let reg = SchemaRegistryTestServer::start().await.unwrap();
    let v = position(&position_v1(), 1);
    let mut plain = converter(reg.url(), &[], false);
    plain.serialize("auth", Some(&position_v1()), &v).unwrap();
    assert_eq!(reg.last_authorization(), None);
    let mut info = converter(
        reg.url(),
        &[
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "fred:s3cret"),
        ],
        false,
    );
    info.serialize("auth2", Some(&position_v1()), &v).unwrap();
    // base64("fred:s3cret")
    assert_eq!(
        reg.last_authorization().as_deref(),
        Some("Basic ZnJlZDpzM2NyZXQ=")
    );
    let with_creds = reg.url().replace("http://", "http://ann:pw@");
    let mut url = converter(&with_creds, &[], false);
    url.serialize("auth3", Some(&position_v1()), &v).unwrap();
    // base64("ann:pw")
    assert_eq!(reg.last_authorization().as_deref(), Some("Basic YW5uOnB3"));
}

#[test]
#[ignore = "needs a real Schema Registry: SLUICE_TEST_SCHEMA_REGISTRY_URL=http://host:8081 cargo test -p sluice-testkit --test avro_converter -- --ignored"]
fn avro_converter_against_a_real_registry() {
    let url = std::env::var("SLUICE_TEST_SCHEMA_REGISTRY_URL")
        .expect("SLUICE_TEST_SCHEMA_REGISTRY_URL must point at a Schema Registry");
    let topic = format!("sluice-avro-{}", std::process::id());
    let mut w = converter(&url, &[], false);
    let mut r = converter(&url, &[], false);
    for schema in [position_v1(), position_v2()] {
        let v = position(&schema, 7);
        let bytes = w.serialize(&topic, Some(&schema), &v).unwrap().unwrap();
        let back = r.deserialize(&topic, Some(&bytes)).unwrap();
        assert_eq!(
            back.value.as_struct().unwrap().values(),
            v.as_struct().unwrap().values()
        );
    }
}
