//! The JDBC sink task against the real PostgreSQL of `scripts/services`: every insert and pk
//! mode, auto.create / auto.evolve, tombstone deletes, rollback on a constraint violation (task
//! error, or the failing record to the reporter), retries after the connection is killed, and
//! every Connect type written and read back.

use std::str::FromStr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sluice_api::{
    connector::sink_record, logical, schemas, BigDecimal, ConnectError, ConnectResult,
    ErrantRecordReporter, Props, SchemaBuilder, SchemaRef, SinkRecord, SinkTask, SinkTaskContext,
    Struct, TopicPartition, Value,
};
use sluice_connectors::jdbc::sink::JdbcSinkTask;
use tokio_postgres::Client;

#[derive(Default)]
struct Reporter {
    reported: Mutex<Vec<(i64, String)>>,
}

#[async_trait]
impl ErrantRecordReporter for Reporter {
    async fn report(&self, record: &SinkRecord, error: ConnectError) -> ConnectResult<()> {
        self.reported
            .lock()
            .unwrap()
            .push((record.kafka_offset().unwrap_or(-1), error.to_string()));
        Ok(())
    }
}

struct Context {
    config: Props,
    reporter: Option<Arc<Reporter>>,
}

impl SinkTaskContext for Context {
    fn config(&self) -> &Props {
        &self.config
    }
    fn assignment(&self) -> Vec<TopicPartition> {
        Vec::new()
    }
    fn pause(&self, _: &[TopicPartition]) {}
    fn resume(&self, _: &[TopicPartition]) {}
    fn request_commit(&self) {}
    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        self.reporter
            .clone()
            .map(|r| r as Arc<dyn ErrantRecordReporter>)
    }
}

struct Fixture {
    admin: Client,
    schema: String,
    app: String,
}

impl Fixture {
    async fn new(prefix: &str) -> Fixture {
        let (admin, schema) = sluice_testkit::postgres::fresh_schema(prefix).await;
        let app = format!("sluice_{schema}");
        Fixture { admin, schema, app }
    }

    fn props(&self, pairs: &[(&str, &str)]) -> Props {
        let url = format!(
            "{}&ApplicationName={}",
            sluice_testkit::postgres::jdbc_url_in(&self.schema),
            self.app
        );
        let mut p: Props = [
            ("name", "jdbc-sink-test"),
            ("connection.url", url.as_str()),
            ("retry.backoff.ms", "10"),
            ("connection.backoff.ms", "10"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            p.insert(k.to_string(), v.to_string());
        }
        p
    }

    async fn task(&self, pairs: &[(&str, &str)], reporter: Option<Arc<Reporter>>) -> JdbcSinkTask {
        let mut task = JdbcSinkTask::new();
        task.start(Arc::new(Context {
            config: self.props(pairs),
            reporter,
        }))
        .await
        .expect("start");
        task
    }

    async fn rows(&self, sql: &str) -> Vec<tokio_postgres::Row> {
        self.admin
            .batch_execute(&format!("SET search_path TO \"{}\"", self.schema))
            .await
            .expect("search_path");
        self.admin.query(sql, &[]).await.expect(sql)
    }

    async fn count(&self, table: &str) -> i64 {
        self.rows(&format!("SELECT count(*) FROM \"{table}\""))
            .await[0]
            .get(0)
    }
}

fn person_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("person")
        .field("id", schemas::int32())
        .unwrap()
        .field("name", schemas::string())
        .unwrap()
        .field("age", schemas::optional_int32())
        .unwrap()
        .build_ref()
}

fn person(id: i32, name: &str, age: Option<i32>) -> (SchemaRef, Value) {
    let s = person_schema();
    let mut v = Struct::new(s.clone());
    v.put("id", Value::Int32(id)).unwrap();
    v.put("name", Value::from(name)).unwrap();
    v.put("age", age.map_or(Value::Null, Value::Int32)).unwrap();
    (s, Value::Struct(v))
}

fn record(
    topic: &str,
    offset: i64,
    key: Option<(SchemaRef, Value)>,
    value: Option<(SchemaRef, Value)>,
) -> SinkRecord {
    let mut r = sink_record(topic, 0, offset);
    r.timestamp = Some(1_700_000_000_000);
    if let Some((s, v)) = key {
        r.key_schema = Some(s);
        r.key = v;
    }
    if let Some((s, v)) = value {
        r.value_schema = Some(s);
        r.value = v;
    }
    r
}

fn int_key(id: i64) -> Option<(SchemaRef, Value)> {
    Some((schemas::int64(), Value::Int64(id)))
}

#[tokio::test]
async fn insert_mode_auto_creates_the_table_and_writes_every_record() {
    let f = Fixture::new("sink_insert").await;
    let mut task = f.task(&[("auto.create", "true")], None).await;
    let records: Vec<_> = (0..2500)
        .map(|i| {
            record(
                "people",
                i,
                None,
                Some(person(i as i32, &format!("n{i}"), Some(30))),
            )
        })
        .collect();
    task.put(&records).await.expect("put");
    assert_eq!(f.count("people").await, 2500);
    let cols = f
        .rows(
            "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
             WHERE table_name = 'people' AND table_schema = current_schema() ORDER BY ordinal_position",
        )
        .await;
    let cols: Vec<(String, String, String)> = cols
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        cols,
        vec![
            ("id".into(), "integer".into(), "NO".into()),
            ("name".into(), "text".into(), "NO".into()),
            ("age".into(), "integer".into(), "YES".into()),
        ]
    );
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_missing_table_without_auto_create_fails_the_put() {
    let f = Fixture::new("sink_missing").await;
    let mut task = f.task(&[], None).await;
    let e = task
        .put(&[record("nope", 0, None, Some(person(1, "a", None)))])
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "Table \"{}\".\"nope\" is missing and auto-creation is disabled",
            f.schema
        )
    );
}

#[tokio::test]
async fn upsert_with_record_key_and_tombstone_deletes() {
    let f = Fixture::new("sink_upsert").await;
    let cfg = [
        ("auto.create", "true"),
        ("insert.mode", "upsert"),
        ("pk.mode", "record_key"),
        ("pk.fields", "pk"),
        ("delete.enabled", "true"),
        ("table.name.format", "kafka_${topic}"),
    ];
    let mut task = f.task(&cfg, None).await;
    task.put(&[
        record("p", 0, int_key(1), Some(person(1, "a", Some(1)))),
        record("p", 1, int_key(2), Some(person(2, "b", Some(2)))),
        // The same key twice in one batch: the last one wins.
        record("p", 2, int_key(1), Some(person(1, "a2", Some(3)))),
        record("p", 3, int_key(3), Some(person(3, "c", None))),
        // Delete 3, then insert it again in the same put (flushes in between).
        record("p", 4, int_key(3), None),
        record("p", 5, int_key(3), Some(person(3, "c2", None))),
        record("p", 6, int_key(2), None),
    ])
    .await
    .expect("put");
    let rows = f
        .rows("SELECT pk, name, age FROM kafka_p ORDER BY pk")
        .await;
    let got: Vec<(i64, String, Option<i32>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(got, vec![(1, "a2".into(), Some(3)), (3, "c2".into(), None)]);
    // A second put updates in place.
    task.put(&[record("p", 7, int_key(1), Some(person(1, "z", None)))])
        .await
        .expect("put");
    let rows = f.rows("SELECT name FROM kafka_p WHERE pk = 1").await;
    assert_eq!(rows[0].get::<_, String>(0), "z");
    let pk = f
        .rows(
            "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid \
             AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'kafka_p'::regclass AND i.indisprimary",
        )
        .await;
    assert_eq!(pk[0].get::<_, String>(0), "pk");
}

#[tokio::test]
async fn update_mode_with_record_value_keys() {
    let f = Fixture::new("sink_update").await;
    f.rows("CREATE TABLE people (id INT PRIMARY KEY, name TEXT NOT NULL, age INT)")
        .await;
    f.rows("INSERT INTO people VALUES (1, 'a', 1), (2, 'b', 2)")
        .await;
    let mut task = f
        .task(
            &[
                ("insert.mode", "UPDATE"),
                ("pk.mode", "record_value"),
                ("pk.fields", "id"),
            ],
            None,
        )
        .await;
    task.put(&[
        record("people", 0, None, Some(person(1, "a1", Some(10)))),
        record("people", 1, None, Some(person(3, "nobody", None))),
    ])
    .await
    .expect("put");
    let rows = f.rows("SELECT id, name, age FROM people ORDER BY id").await;
    let got: Vec<(i32, String, Option<i32>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        vec![(1, "a1".into(), Some(10)), (2, "b".into(), Some(2))]
    );
}

#[tokio::test]
async fn kafka_mode_keys_on_the_coordinates() {
    let f = Fixture::new("sink_kafka").await;
    let mut task = f
        .task(
            &[
                ("auto.create", "true"),
                ("pk.mode", "kafka"),
                ("insert.mode", "upsert"),
            ],
            None,
        )
        .await;
    let batch = vec![
        record("events", 10, None, Some(person(1, "a", None))),
        record("events", 11, None, Some(person(1, "b", None))),
    ];
    task.put(&batch.clone()).await.expect("put");
    // Delivered again (as after a restart): upsert keeps one row per offset.
    task.put(&batch).await.expect("put");
    let rows = f
        .rows(
            "SELECT __connect_topic, __connect_partition, __connect_offset, name FROM events \
             ORDER BY __connect_offset",
        )
        .await;
    let got: Vec<(String, i32, i64, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        got,
        vec![
            ("events".into(), 0, 10, "a".into()),
            ("events".into(), 0, 11, "b".into())
        ]
    );
}

#[tokio::test]
async fn auto_evolve_adds_a_new_optional_field() {
    let f = Fixture::new("sink_evolve").await;
    let mut task = f
        .task(&[("auto.create", "true"), ("auto.evolve", "true")], None)
        .await;
    task.put(&[record("t", 0, None, Some(person(1, "a", None)))])
        .await
        .expect("put");
    let wider = SchemaBuilder::struct_()
        .field("id", schemas::int32())
        .unwrap()
        .field("name", schemas::string())
        .unwrap()
        .field("age", schemas::optional_int32())
        .unwrap()
        .field("email", schemas::optional_string())
        .unwrap()
        .build_ref();
    let mut v = Struct::new(wider.clone());
    v.put("id", Value::Int32(2)).unwrap();
    v.put("name", Value::from("b")).unwrap();
    v.put("email", Value::from("b@x")).unwrap();
    task.put(&[record(
        "t",
        1,
        None,
        Some((wider.clone(), Value::Struct(v.clone()))),
    )])
    .await
    .expect("put");
    let rows = f.rows("SELECT id, email FROM t ORDER BY id").await;
    let got: Vec<(i32, Option<String>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, vec![(1, None), (2, Some("b@x".into()))]);

    // Without auto.evolve the same record fails with Confluent's message.
    let g = Fixture::new("sink_noevolve").await;
    let mut strict = g.task(&[("auto.create", "true")], None).await;
    strict
        .put(&[record("t", 0, None, Some(person(1, "a", None)))])
        .await
        .expect("put");
    let e = strict
        .put(&[record("t", 1, None, Some((wider, Value::Struct(v))))])
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("is missing fields ([SinkRecordField{schema=Schema{STRING}, name='email', isPrimaryKey=false}]) and auto-evolution is disabled"),
        "{e}"
    );
}

#[tokio::test]
async fn a_constraint_violation_rolls_the_batch_back_or_goes_to_the_reporter() {
    let f = Fixture::new("sink_violation").await;
    f.rows("CREATE TABLE people (id INT PRIMARY KEY, name TEXT NOT NULL, age INT)")
        .await;
    let batch = || {
        vec![
            record("people", 0, None, Some(person(1, "a", None))),
            record("people", 1, None, Some(person(2, "b", None))),
            record("people", 2, None, Some(person(1, "dup", None))),
            record("people", 3, None, Some(person(3, "c", None))),
        ]
    };
    // No reporter: the task fails with the error chain and nothing is written.
    let mut task = f.task(&[("max.retries", "1")], None).await;
    let first = task.put(&batch()).await.unwrap_err();
    assert!(first.is_retriable(), "{first}");
    let e = task.put(&batch()).await.unwrap_err();
    assert!(!e.is_retriable());
    let msg = e.to_string();
    assert!(msg.starts_with("Exception chain:\n"), "{msg}");
    assert!(msg.contains("SQLSTATE 23505"), "{msg}");
    assert_eq!(f.count("people").await, 0);

    // With a reporter and no retries: the duplicate is reported, the others written.
    let reporter = Arc::new(Reporter::default());
    let mut task = f
        .task(&[("max.retries", "0")], Some(reporter.clone()))
        .await;
    task.put(&batch()).await.expect("put");
    let reported = reporter.reported.lock().unwrap().clone();
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert_eq!(reported[0].0, 2);
    assert_eq!(f.count("people").await, 3);
}

#[tokio::test]
async fn schemaless_records_fail_or_go_to_the_reporter() {
    let f = Fixture::new("sink_schemaless").await;
    let mut schemaless = sink_record("t", 0, 5);
    schemaless.value = Value::string_map([("id", Value::Int64(1))]);
    let mut task = f.task(&[("auto.create", "true")], None).await;
    let e = task.put(&[schemaless.clone()]).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Sink connector 'jdbc-sink-test' is configured with 'delete.enabled=false' and \
         'pk.mode=none' and therefore requires records with a non-null Struct or String value and \
         non-null Struct or String schema, but found record at \
         (topic='t',partition=0,offset=5,timestamp=null) with a HashMap value and null value schema."
    );
    let reporter = Arc::new(Reporter::default());
    let mut task = f
        .task(&[("auto.create", "true")], Some(reporter.clone()))
        .await;
    task.put(&[schemaless, record("t", 6, None, Some(person(1, "a", None)))])
        .await
        .expect("put");
    assert_eq!(reporter.reported.lock().unwrap().len(), 1);
    assert_eq!(f.count("t").await, 1);
}

#[tokio::test]
async fn a_killed_connection_is_retried() {
    let f = Fixture::new("sink_kill").await;
    let mut task = f
        .task(&[("auto.create", "true"), ("max.retries", "3")], None)
        .await;
    task.put(&[record("t", 0, None, Some(person(1, "a", None)))])
        .await
        .expect("put");
    let killed = f
        .admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&f.app],
        )
        .await
        .expect("terminate");
    assert_eq!(killed.len(), 1);
    // The next put either finds the connection closed (reconnects at once) or fails on it
    // (retriable); the worker delivers the same batch again until it goes through.
    let batch = vec![record("t", 1, None, Some(person(2, "b", None)))];
    let mut retriable = 0;
    loop {
        match task.put(&batch.clone()).await {
            Ok(()) => break,
            Err(e) => {
                assert!(e.is_retriable(), "{e}");
                retriable += 1;
                assert!(retriable <= 3, "{e}");
            }
        }
    }
    assert_eq!(f.count("t").await, 2);
}

#[tokio::test]
async fn a_transient_database_error_is_retried_with_the_same_batch() {
    let f = Fixture::new("sink_transient").await;
    f.rows("CREATE TABLE t (id INT PRIMARY KEY, name TEXT NOT NULL, age INT, CONSTRAINT young CHECK (age < 10))")
        .await;
    let mut task = f.task(&[("max.retries", "2")], None).await;
    let batch = vec![
        record("t", 0, None, Some(person(1, "a", Some(5)))),
        record("t", 1, None, Some(person(2, "b", Some(50)))),
    ];
    let e = task.put(&batch.clone()).await.unwrap_err();
    assert!(e.is_retriable(), "{e}");
    assert!(e.to_string().contains("SQLSTATE 23514"), "{e}");
    assert_eq!(f.count("t").await, 0);
    f.rows("ALTER TABLE t DROP CONSTRAINT young").await;
    task.put(&batch).await.expect("retry");
    assert_eq!(f.count("t").await, 2);
}

#[tokio::test]
async fn every_connect_type_is_written_and_read_back() {
    let f = Fixture::new("sink_types").await;
    let schema = SchemaBuilder::struct_()
        .field("i8", schemas::int8())
        .unwrap()
        .field("i16", schemas::int16())
        .unwrap()
        .field("i32", schemas::int32())
        .unwrap()
        .field("i64", schemas::int64())
        .unwrap()
        .field("f32", schemas::float32())
        .unwrap()
        .field("f64", schemas::float64())
        .unwrap()
        .field("b", schemas::boolean())
        .unwrap()
        .field("s", schemas::string())
        .unwrap()
        .field("by", schemas::bytes())
        .unwrap()
        .field("dec", logical::decimal(3).build_ref())
        .unwrap()
        .field("d", logical::date().build_ref())
        .unwrap()
        .field("t", logical::time().build_ref())
        .unwrap()
        .field("ts", logical::timestamp().build_ref())
        .unwrap()
        .field("arr", SchemaBuilder::array(schemas::string()).build_ref())
        .unwrap()
        .field("iarr", SchemaBuilder::array(schemas::int64()).build_ref())
        .unwrap()
        .field("micros", schemas::int64())
        .unwrap()
        .field("nothing", schemas::optional_string())
        .unwrap()
        .field(
            "dflt",
            SchemaBuilder::int32()
                .optional()
                .default_value(Value::Int32(7))
                .unwrap()
                .build_ref(),
        )
        .unwrap()
        .build_ref();
    let mut v = Struct::new(schema.clone());
    let day = 19_000i64;
    v.put("i8", Value::Int8(-8)).unwrap();
    v.put("i16", Value::Int16(16)).unwrap();
    v.put("i32", Value::Int32(-32)).unwrap();
    v.put("i64", Value::Int64(1 << 40)).unwrap();
    v.put("f32", Value::Float32(1.5)).unwrap();
    v.put("f64", Value::Float64(-2.25)).unwrap();
    v.put("b", Value::Boolean(true)).unwrap();
    v.put("s", Value::from("it's \"quoted\"")).unwrap();
    v.put("by", Value::Bytes(vec![0, 1, 255])).unwrap();
    v.put(
        "dec",
        Value::Decimal(BigDecimal::from_str("-12.345").unwrap()),
    )
    .unwrap();
    v.put("d", Value::Date(day * 86_400_000)).unwrap();
    v.put("t", Value::Date(3_723_004)).unwrap();
    v.put("ts", Value::Date(day * 86_400_000 + 3_723_004))
        .unwrap();
    v.put("arr", Value::Array(vec!["a,b".into(), "c\"d".into()]))
        .unwrap();
    v.put(
        "iarr",
        Value::Array(vec![Value::Int64(1), Value::Int64(-2)]),
    )
    .unwrap();
    v.put("micros", Value::Int64(1_000_000_000_123_456))
        .unwrap();
    let mut task = f
        .task(
            &[("auto.create", "true"), ("timestamp.fields.list", "micros")],
            None,
        )
        .await;
    task.put(&[record("all", 0, None, Some((schema, Value::Struct(v))))])
        .await
        .expect("put");
    let r = &f
        .rows(
            "SELECT i8, i16, i32, i64, f32, f64, b, s, by, dec::text, d::text, t::text, ts::text, \
             arr, iarr, micros::text, nothing, dflt FROM \"all\"",
        )
        .await[0];
    assert_eq!(r.get::<_, i16>(0), -8);
    assert_eq!(r.get::<_, i16>(1), 16);
    assert_eq!(r.get::<_, i32>(2), -32);
    assert_eq!(r.get::<_, i64>(3), 1 << 40);
    assert_eq!(r.get::<_, f32>(4), 1.5);
    assert_eq!(r.get::<_, f64>(5), -2.25);
    assert!(r.get::<_, bool>(6));
    assert_eq!(r.get::<_, String>(7), "it's \"quoted\"");
    assert_eq!(r.get::<_, Vec<u8>>(8), vec![0, 1, 255]);
    assert_eq!(r.get::<_, String>(9), "-12.345");
    assert_eq!(r.get::<_, String>(10), "2022-01-08");
    assert_eq!(r.get::<_, String>(11), "01:02:03.004");
    assert_eq!(r.get::<_, String>(12), "2022-01-08 01:02:03.004");
    assert_eq!(r.get::<_, Vec<String>>(13), vec!["a,b", "c\"d"]);
    assert_eq!(r.get::<_, Vec<i64>>(14), vec![1, -2]);
    assert_eq!(r.get::<_, String>(15), "2001-09-09 01:46:40.123456");
    assert_eq!(r.get::<_, Option<String>>(16), None);
    assert_eq!(r.get::<_, Option<i32>>(17), Some(7));
}

#[tokio::test]
async fn db_timezone_writes_wall_clock_time_of_that_zone() {
    let f = Fixture::new("sink_zone").await;
    let schema = SchemaBuilder::struct_()
        .field("ts", logical::timestamp().build_ref())
        .unwrap()
        .field("d", logical::date().build_ref())
        .unwrap()
        .build_ref();
    let mut v = Struct::new(schema.clone());
    // 2022-01-08 23:30 UTC is 2022-01-09 00:30 in Berlin.
    let day = 19_000i64 * 86_400_000;
    v.put("ts", Value::Date(day + 84_600_000)).unwrap();
    v.put("d", Value::Date(day)).unwrap();
    for (zone, date_zone, ts, d) in [
        (
            "Europe/Berlin",
            "DB_TIMEZONE",
            "2022-01-09 00:30:00",
            "2022-01-08",
        ),
        ("-05:00", "UTC", "2022-01-08 18:30:00", "2022-01-08"),
        (
            "America/New_York",
            "DB_TIMEZONE",
            "2022-01-08 18:30:00",
            "2022-01-07",
        ),
    ] {
        let table = format!("z{}", zone.len());
        let mut task = f
            .task(
                &[
                    ("auto.create", "true"),
                    ("db.timezone", zone),
                    ("date.timezone", date_zone),
                    ("table.name.format", &table),
                ],
                None,
            )
            .await;
        task.put(&[record(
            "x",
            0,
            None,
            Some((schema.clone(), Value::Struct(v.clone()))),
        )])
        .await
        .expect("put");
        let r = &f
            .rows(&format!("SELECT ts::text, d::text FROM \"{table}\""))
            .await[0];
        assert_eq!(r.get::<_, String>(0), ts, "{zone}");
        assert_eq!(r.get::<_, String>(1), d, "{zone}");
    }
}

#[tokio::test]
async fn uuid_and_jsonb_columns_take_strings() {
    let f = Fixture::new("sink_casts").await;
    f.rows("CREATE TABLE c (id UUID PRIMARY KEY, doc JSONB, addr INET)")
        .await;
    let schema = SchemaBuilder::struct_()
        .field("id", schemas::string())
        .unwrap()
        .field("doc", schemas::string())
        .unwrap()
        .field("addr", schemas::string())
        .unwrap()
        .build_ref();
    let mut v = Struct::new(schema.clone());
    v.put("id", Value::from("0e1b3d8e-4a3f-4c55-9d59-b1d7f0c1a2b3"))
        .unwrap();
    v.put("doc", Value::from("{\"a\": [1, 2]}")).unwrap();
    v.put("addr", Value::from("10.0.0.1")).unwrap();
    let mut task = f
        .task(
            &[
                ("insert.mode", "upsert"),
                ("pk.mode", "record_value"),
                ("pk.fields", "id"),
            ],
            None,
        )
        .await;
    task.put(&[record("c", 0, None, Some((schema, Value::Struct(v))))])
        .await
        .expect("put");
    let r = &f
        .rows("SELECT id::text, doc->'a'->>1, host(addr) FROM c")
        .await[0];
    assert_eq!(
        r.get::<_, String>(0),
        "0e1b3d8e-4a3f-4c55-9d59-b1d7f0c1a2b3"
    );
    assert_eq!(r.get::<_, String>(1), "2");
    assert_eq!(r.get::<_, String>(2), "10.0.0.1");
}

#[tokio::test]
async fn quote_never_folds_names_to_lower_case() {
    let f = Fixture::new("sink_quote").await;
    let mut task = f
        .task(
            &[("auto.create", "true"), ("quote.sql.identifiers", "never")],
            None,
        )
        .await;
    task.put(&[record("TestTopic", 0, None, Some(person(1, "a", None)))])
        .await
        .expect("put");
    assert_eq!(f.count("testtopic").await, 1);
    let mut quoted = f.task(&[("auto.create", "true")], None).await;
    quoted
        .put(&[record("TestTopic", 0, None, Some(person(1, "a", None)))])
        .await
        .expect("put");
    assert_eq!(f.count("TestTopic").await, 1);
}
