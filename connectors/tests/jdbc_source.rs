//! The JDBC source against the real PostgreSQL of `scripts/services`: every mode, offsets in
//! Confluent's format, query mode, table discovery, types, and a dropped connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value as Json};
use sluice_api::{
    ConnectError, ConnectResult, Connector, ConnectorContext, OffsetMap, OffsetStorageReader,
    Props, SourceConnector, SourceRecord, SourceTask, SourceTaskContext, Value,
};
use sluice_connectors::jdbc::source::{JdbcSourceConnector, JdbcSourceTask};
use sluice_testkit::postgres::{fresh_schema, jdbc_url};
use tokio_postgres::Client;

/// Stored offsets, keyed by the partition's JSON.
#[derive(Default)]
struct Offsets(Mutex<HashMap<String, OffsetMap>>);

impl Offsets {
    fn with(entries: &[(Json, Json)]) -> Arc<Offsets> {
        let o = Offsets::default();
        for (p, v) in entries {
            o.0.lock()
                .unwrap()
                .insert(p.to_string(), v.as_object().unwrap().clone());
        }
        Arc::new(o)
    }
}

#[async_trait]
impl OffsetStorageReader for Offsets {
    async fn offset(&self, partition: &OffsetMap) -> ConnectResult<Option<OffsetMap>> {
        let key = Json::Object(partition.clone()).to_string();
        Ok(self.0.lock().unwrap().get(&key).cloned())
    }
}

#[derive(Default)]
struct Context {
    reconfigurations: AtomicUsize,
    errors: Mutex<Vec<String>>,
}

impl ConnectorContext for Context {
    fn request_task_reconfiguration(&self) {
        self.reconfigurations.fetch_add(1, Ordering::SeqCst);
    }
    fn raise_error(&self, error: ConnectError) {
        self.errors.lock().unwrap().push(error.to_string());
    }
}

fn props(pairs: &[(&str, &str)]) -> Props {
    let mut p: Props = [
        ("connection.url", jdbc_url()),
        ("poll.interval.ms", "100".to_string()),
        ("poll.linger.ms", "300".to_string()),
        ("topic.prefix", "pg-".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in pairs {
        p.insert(k.to_string(), v.to_string());
    }
    p
}

fn table_props(schema: &str, tables: &[&str], pairs: &[(&str, &str)]) -> Props {
    let rendered: Vec<String> = tables
        .iter()
        .map(|t| format!("\"{schema}\".\"{t}\""))
        .collect();
    let mut p = props(pairs);
    p.insert("tables".into(), rendered.join(","));
    p.insert("tables.fetched".into(), "true".into());
    p
}

async fn start(config: Props, offsets: Arc<Offsets>) -> ConnectResult<JdbcSourceTask> {
    let mut task = JdbcSourceTask::new();
    task.start(SourceTaskContext {
        offset_reader: offsets,
        config,
    })
    .await?;
    Ok(task)
}

/// Polls until `n` records arrived (or fails after 15 s).
async fn poll_n(task: &mut JdbcSourceTask, n: usize) -> Vec<SourceRecord> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while out.len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n} records arrived",
            out.len()
        );
        out.extend(task.poll().await.expect("poll"));
    }
    out
}

/// Polls for `wait` and returns whatever came.
async fn poll_for(task: &mut JdbcSourceTask, wait: Duration) -> Vec<SourceRecord> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while tokio::time::Instant::now() < deadline {
        out.extend(task.poll().await.expect("poll"));
    }
    out
}

fn field<'a>(r: &'a SourceRecord, name: &str) -> &'a Value {
    r.value
        .as_struct()
        .expect("struct value")
        .get(name)
        .expect("field")
}

fn ids(records: &[SourceRecord]) -> Vec<i64> {
    records
        .iter()
        .map(|r| match field(r, "id") {
            Value::Int32(v) => i64::from(*v),
            Value::Int64(v) => *v,
            other => panic!("id {other:?}"),
        })
        .collect()
}

fn offset_json(r: &SourceRecord) -> Json {
    r.source_offset()
        .map(|o| Json::Object(o.to_map()))
        .unwrap_or(Json::Null)
}

fn partition_json(r: &SourceRecord) -> Json {
    Json::Object(r.source_partition().expect("partition").clone())
}

async fn exec(c: &Client, sql: &str) {
    c.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test]
async fn bulk_mode_copies_the_whole_table_every_poll_interval() {
    let (c, s) = fresh_schema("src_bulk").await;
    exec(&c, &format!("CREATE TABLE \"{s}\".items (id int NOT NULL, name text); INSERT INTO \"{s}\".items VALUES (1,'a'),(2,'b'),(3,NULL)")).await;
    let mut task = start(
        table_props(&s, &["items"], &[("mode", "bulk")]),
        Arc::default(),
    )
    .await
    .expect("start");
    let first = poll_n(&mut task, 3).await;
    assert_eq!(ids(&first), vec![1, 2, 3]);
    let r = &first[0];
    assert_eq!(r.topic_name(), "pg-items");
    assert_eq!(partition_json(r), json!({"table":"items"}));
    assert_eq!(r.source_offset(), None);
    assert!(r.key.is_null() && r.key_schema.is_none());
    let schema = r.value_schema.as_ref().unwrap();
    assert_eq!(schema.name.as_deref(), Some("items"));
    assert!(!schema.field("id").unwrap().schema.optional);
    assert!(schema.field("name").unwrap().schema.optional);
    assert_eq!(field(&first[2], "name"), &Value::Null);
    exec(&c, &format!("INSERT INTO \"{s}\".items VALUES (4,'d')")).await;
    let second = poll_n(&mut task, 4).await;
    assert_eq!(ids(&second), vec![1, 2, 3, 4]);
    task.stop().await.unwrap();
}

#[tokio::test]
async fn incrementing_mode_detects_the_serial_column_and_reads_only_new_rows() {
    let (c, s) = fresh_schema("src_inc").await;
    exec(&c, &format!("CREATE TABLE \"{s}\".orders (id serial PRIMARY KEY, item text); INSERT INTO \"{s}\".orders (item) VALUES ('a'),('b'),('c')")).await;
    let mut task = start(
        table_props(&s, &["orders"], &[("mode", "incrementing")]),
        Arc::default(),
    )
    .await
    .expect("start");
    let first = poll_n(&mut task, 3).await;
    assert_eq!(ids(&first), vec![1, 2, 3]);
    assert_eq!(
        partition_json(&first[0]),
        json!({"protocol":"1","table":format!("{s}.orders")})
    );
    assert_eq!(offset_json(&first[2]), json!({"incrementing":3}));
    exec(
        &c,
        &format!("UPDATE \"{s}\".orders SET item='changed' WHERE id=1; INSERT INTO \"{s}\".orders (item) VALUES ('d'),('e')"),
    )
    .await;
    let second = poll_n(&mut task, 2).await;
    assert_eq!(ids(&second), vec![4, 5]);
    assert!(poll_for(&mut task, Duration::from_millis(400))
        .await
        .is_empty());
}

#[tokio::test]
async fn incrementing_mode_resumes_from_a_confluent_offset_and_from_the_legacy_partition() {
    let (c, s) = fresh_schema("src_inc_resume").await;
    exec(&c, &format!("CREATE TABLE \"{s}\".t (id bigint NOT NULL, v text); INSERT INTO \"{s}\".t SELECT g, 'v' || g FROM generate_series(1,6) g")).await;
    let cfg = table_props(
        &s,
        &["t"],
        &[("mode", "incrementing"), ("incrementing.column.name", "id")],
    );
    let v1 = json!({"protocol":"1","table":format!("{s}.t")});
    let v0 = json!({"table":"t"});
    // V1 wins over V0.
    let offsets = Offsets::with(&[
        (v1.clone(), json!({"incrementing":4})),
        (v0.clone(), json!({"incrementing":1})),
    ]);
    let mut task = start(cfg.clone(), offsets).await.expect("start");
    assert_eq!(ids(&poll_n(&mut task, 2).await), vec![5, 6]);
    // Only the legacy partition: it is used, and the records carry the V1 partition.
    let mut task = start(
        cfg.clone(),
        Offsets::with(&[(v0, json!({"incrementing":3}))]),
    )
    .await
    .expect("start");
    let records = poll_n(&mut task, 3).await;
    assert_eq!(ids(&records), vec![4, 5, 6]);
    assert_eq!(partition_json(&records[0]), v1);
}

#[tokio::test]
async fn timestamp_mode_picks_up_updates() {
    let (c, s) = fresh_schema("src_ts").await;
    exec(
        &c,
        &format!(
            "CREATE TABLE \"{s}\".t (id int NOT NULL, modified timestamp NOT NULL, v text); \
        INSERT INTO \"{s}\".t VALUES (1,'2020-01-01 00:00:01','a'),(2,'2020-01-01 00:00:02.5','b')"
        ),
    )
    .await;
    let mut task = start(
        table_props(
            &s,
            &["t"],
            &[("mode", "timestamp"), ("timestamp.column.name", "modified")],
        ),
        Arc::default(),
    )
    .await
    .expect("start");
    let first = poll_n(&mut task, 2).await;
    assert_eq!(ids(&first), vec![1, 2]);
    assert_eq!(
        offset_json(&first[1]),
        json!({"timestamp":1577836802500i64,"timestamp_nanos":500000000})
    );
    assert_eq!(
        field(&first[1], "modified"),
        &Value::Date(1_577_836_802_500)
    );
    exec(
        &c,
        &format!("UPDATE \"{s}\".t SET modified='2020-01-02 00:00:00', v='a2' WHERE id=1"),
    )
    .await;
    let second = poll_n(&mut task, 1).await;
    assert_eq!(ids(&second), vec![1]);
    assert_eq!(field(&second[0], "v"), &Value::String("a2".into()));
    // Rows newer than DB now − delay wait.
    exec(
        &c,
        &format!("INSERT INTO \"{s}\".t VALUES (3, now() + interval '1 hour', 'future')"),
    )
    .await;
    assert!(poll_for(&mut task, Duration::from_millis(400))
        .await
        .is_empty());
}

#[tokio::test]
async fn rows_with_equal_timestamps_are_not_lost_across_a_poll_boundary() {
    let (c, s) = fresh_schema("src_ts_eq").await;
    exec(&c, &format!("CREATE TABLE \"{s}\".t (id int NOT NULL, ts timestamptz NOT NULL); \
        INSERT INTO \"{s}\".t VALUES (1,'2021-05-01 10:00:00+00'),(2,'2021-05-01 10:00:00+00'),(3,'2021-05-01 10:00:00+00'),(4,'2021-05-01 10:00:01+00')")).await;
    let cfg = table_props(
        &s,
        &["t"],
        &[
            ("mode", "timestamp"),
            ("timestamp.column.name", "ts"),
            ("batch.max.rows", "2"),
        ],
    );
    let mut task = start(cfg.clone(), Arc::default()).await.expect("start");
    let first = task.poll().await.expect("poll");
    assert_eq!(ids(&first), vec![1, 2]);
    // The timestamp shared with the unread row 3 is not committable yet.
    assert_eq!(offset_json(&first[1]), json!({}));
    let rest = poll_n(&mut task, 2).await;
    assert_eq!(ids(&rest), vec![3, 4]);
    let t1 = json!({"timestamp":1619863200000i64,"timestamp_nanos":0});
    assert_eq!(offset_json(&rest[0]), t1);
    // A restart from the offset of record 2 reads rows 1-3 again (nothing lost).
    let partition = json!({"protocol":"1","table":format!("{s}.t")});
    let mut again = start(
        cfg.clone(),
        Offsets::with(&[(partition.clone(), offset_json(&first[1]))]),
    )
    .await
    .expect("start");
    assert_eq!(ids(&poll_n(&mut again, 4).await), vec![1, 2, 3, 4]);
    let mut after = start(cfg, Offsets::with(&[(partition, t1)]))
        .await
        .expect("start");
    assert_eq!(ids(&poll_n(&mut after, 1).await), vec![4]);
}

#[tokio::test]
async fn timestamp_incrementing_mode_with_coalesce_and_a_restart_from_the_stored_offset() {
    let (c, s) = fresh_schema("src_tsinc").await;
    exec(&c, &format!("CREATE TABLE \"{s}\".t (id int NOT NULL, updated timestamp, created timestamp NOT NULL); \
        INSERT INTO \"{s}\".t VALUES (1,NULL,'2022-01-01 00:00:00'),(2,'2022-01-03 00:00:00','2022-01-01 00:00:00'),(3,NULL,'2022-01-02 00:00:00')")).await;
    let cfg = table_props(
        &s,
        &["t"],
        &[
            ("mode", "timestamp+incrementing"),
            ("timestamp.column.name", "updated,created"),
            ("incrementing.column.name", "id"),
        ],
    );
    let mut task = start(cfg.clone(), Arc::default()).await.expect("start");
    let records = poll_n(&mut task, 3).await;
    // Ordered by COALESCE(updated, created), then id.
    assert_eq!(ids(&records), vec![1, 3, 2]);
    assert_eq!(
        offset_json(&records[1]),
        json!({"incrementing":3,"timestamp":1641081600000i64,"timestamp_nanos":0})
    );
    // Same timestamp, higher id → new; a row updated later → re-read.
    exec(&c, &format!("INSERT INTO \"{s}\".t VALUES (4,NULL,'2022-01-03 00:00:00'); UPDATE \"{s}\".t SET updated='2022-01-04' WHERE id=1")).await;
    assert_eq!(ids(&poll_n(&mut task, 2).await), vec![4, 1]);
    // Restart from the offset of record 3 (Confluent's exact map) → rows after (2022-01-02, 3).
    let partition = json!({"protocol":"1","table":format!("{s}.t")});
    let stored = json!({"incrementing":3,"timestamp":1641081600000i64,"timestamp_nanos":0});
    let mut again = start(cfg, Offsets::with(&[(partition, stored)]))
        .await
        .expect("start");
    assert_eq!(ids(&poll_n(&mut again, 3).await), vec![2, 4, 1]);
}

#[tokio::test]
async fn timestamp_initial_skips_older_rows() {
    let (c, s) = fresh_schema("src_ts_init").await;
    exec(
        &c,
        &format!(
            "CREATE TABLE \"{s}\".t (id int NOT NULL, ts timestamp NOT NULL); \
        INSERT INTO \"{s}\".t VALUES (1,'2000-01-01'),(2,'2030-01-01')"
        ),
    )
    .await;
    let cfg = table_props(
        &s,
        &["t"],
        &[
            ("mode", "timestamp"),
            ("timestamp.column.name", "ts"),
            ("timestamp.initial", "1577836800000"),
        ],
    );
    let mut task = start(cfg, Arc::default()).await.expect("start");
    // Row 2 is in the future (after DB now): nothing yet; row 1 is before timestamp.initial.
    assert!(poll_for(&mut task, Duration::from_millis(400))
        .await
        .is_empty());
    exec(
        &c,
        &format!("INSERT INTO \"{s}\".t VALUES (3,'2021-01-01')"),
    )
    .await;
    assert_eq!(ids(&poll_n(&mut task, 1).await), vec![3]);
    // -1: the current DB time.
    let cfg = table_props(
        &s,
        &["t"],
        &[
            ("mode", "timestamp"),
            ("timestamp.column.name", "ts"),
            ("timestamp.initial", "-1"),
        ],
    );
    let mut task = start(cfg, Arc::default()).await.expect("start");
    assert!(poll_for(&mut task, Duration::from_millis(400))
        .await
        .is_empty());
}

#[tokio::test]
async fn query_mode_writes_to_the_prefix_with_the_query_partition() {
    let (c, s) = fresh_schema("src_query").await;
    exec(&c, &format!("CREATE TABLE \"{s}\".a (id int NOT NULL, x text); CREATE TABLE \"{s}\".b (id int NOT NULL, y text); \
        INSERT INTO \"{s}\".a VALUES (1,'x1'),(2,'x2'); INSERT INTO \"{s}\".b VALUES (1,'y1'),(2,'y2')")).await;
    let query =
        format!("SELECT * FROM (SELECT a.id, a.x, b.y FROM \"{s}\".a JOIN \"{s}\".b USING (id)) j");
    let mut p = props(&[
        ("mode", "incrementing"),
        ("incrementing.column.name", "id"),
        ("query", &query),
        ("topic.prefix", "joined"),
    ]);
    p.insert("tables".into(), String::new());
    p.insert("tables.fetched".into(), "true".into());
    let mut task = start(p.clone(), Arc::default()).await.expect("start");
    let records = poll_n(&mut task, 2).await;
    assert_eq!(ids(&records), vec![1, 2]);
    assert_eq!(records[0].topic_name(), "joined");
    assert_eq!(partition_json(&records[0]), json!({"query":"query"}));
    assert_eq!(records[0].value_schema.as_ref().unwrap().name, None);
    assert_eq!(field(&records[1], "y"), &Value::String("y2".into()));
    // Resume from the query partition's offset.
    let mut again = start(
        p,
        Offsets::with(&[(json!({"query":"query"}), json!({"incrementing":1}))]),
    )
    .await
    .expect("start");
    assert_eq!(ids(&poll_n(&mut again, 1).await), vec![2]);
}

#[tokio::test]
async fn start_fails_on_missing_or_nullable_offset_columns() {
    let (c, s) = fresh_schema("src_cols").await;
    exec(
        &c,
        &format!("CREATE TABLE \"{s}\".t (id int, ts timestamp)"),
    )
    .await;
    let err = |pairs: &[(&str, &str)]| {
        let cfg = table_props(&s, &["t"], pairs);
        async move {
            start(cfg, Arc::default())
                .await
                .err()
                .expect("start fails")
                .to_string()
        }
    };
    assert_eq!(
        err(&[
            ("mode", "incrementing"),
            ("incrementing.column.name", "nope")
        ])
        .await,
        format!("Incrementing column: nope does not exist in table '\"{s}\".\"t\"'")
    );
    assert_eq!(
        err(&[("mode", "timestamp"), ("timestamp.column.name", "ts,gone")]).await,
        format!("Timestamp columns: gone do not exist in table '\"{s}\".\"t\"'")
    );
    assert_eq!(
        err(&[("mode", "incrementing"), ("incrementing.column.name", "id")]).await,
        format!("Cannot make incremental queries using incrementing column id on \"{s}\".\"t\" because this column is nullable.")
    );
    assert_eq!(
        err(&[("mode", "timestamp"), ("timestamp.column.name", "ts")]).await,
        format!("Cannot make incremental queries using timestamp columns ts on \"{s}\".\"t\" because all of these columns are nullable.")
    );
    let cfg = table_props(
        &s,
        &["t"],
        &[
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("validate.non.null", "false"),
        ],
    );
    assert!(start(cfg, Arc::default()).await.is_ok());
}

#[tokio::test]
async fn every_supported_type_maps_to_its_connect_schema_and_value() {
    let (c, s) = fresh_schema("src_types").await;
    exec(&c, &format!("CREATE TABLE \"{s}\".t (
        id int NOT NULL, i2 smallint, i8 bigint, r real, d double precision, m money,
        n82 numeric(8,2), n10 numeric(10,0), nu numeric, b boolean, bit1 bit(1), bit4 bit(4), bit12 bit(12),
        c char(4), vc varchar(10), tx text, nm name, byt bytea, dt date, tm time, ttz timetz,
        ts timestamp, tstz timestamptz, js json, jsb jsonb, u uuid, x xml,
        arr int[], ip inet, iv interval)").replace('\n', " ")).await;
    exec(&c, &format!("INSERT INTO \"{s}\".t VALUES (1, -2, 9000000000, 1.5, 2.25, 12.34,
        123456.78, 1234567890, 1.000000001, true, B'1', B'0101', B'101010101010',
        'ab', 'vc', 'text', 'nm', '\\x0102ff', '2020-02-29', '13:14:15.678', '10:00:00+02',
        '2020-02-29 13:14:15.123456', '2020-02-29 13:14:15.123456+01', '{{\"a\": 1}}', '{{\"b\": 2}}',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '<x>1</x>', '{{1,2}}', '10.0.0.1', '1 day')").replace('\n', " ")).await;
    let cfg = table_props(
        &s,
        &["t"],
        &[("mode", "bulk"), ("numeric.mapping", "best_fit")],
    );
    let mut task = start(cfg, Arc::default()).await.expect("start");
    let r = poll_n(&mut task, 1).await.remove(0);
    let schema = r.value_schema.clone().unwrap();
    let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    assert!(
        !names.contains(&"arr") && !names.contains(&"ip") && !names.contains(&"iv"),
        "unsupported types are omitted: {names:?}"
    );
    let ty = |n: &str| {
        let f = &schema.field(n).unwrap().schema;
        (f.schema_type.java_name(), f.name.clone())
    };
    assert_eq!(ty("i2"), ("INT16", None));
    assert_eq!(ty("n82"), ("FLOAT64", None));
    assert_eq!(ty("n10"), ("INT64", None));
    assert_eq!(
        ty("nu"),
        (
            "BYTES",
            Some("org.apache.kafka.connect.data.Decimal".into())
        )
    );
    assert_eq!(
        schema.field("nu").unwrap().schema.parameter("scale"),
        Some("127")
    );
    assert_eq!(ty("bit4"), ("INT8", None));
    assert_eq!(
        ty("dt").1.as_deref(),
        Some("org.apache.kafka.connect.data.Date")
    );
    assert_eq!(
        ty("tm").1.as_deref(),
        Some("org.apache.kafka.connect.data.Time")
    );
    assert_eq!(
        ty("tstz").1.as_deref(),
        Some("org.apache.kafka.connect.data.Timestamp")
    );
    let expect: Vec<(&str, Value)> = vec![
        ("i2", Value::Int16(-2)),
        ("i8", Value::Int64(9_000_000_000)),
        ("r", Value::Float32(1.5)),
        ("d", Value::Float64(2.25)),
        ("m", Value::Float64(12.34)),
        ("n82", Value::Float64(123_456.78)),
        ("n10", Value::Int64(1_234_567_890)),
        (
            "nu",
            Value::Decimal(
                "1.000000001"
                    .parse::<sluice_api::BigDecimal>()
                    .unwrap()
                    .with_scale(127),
            ),
        ),
        ("b", Value::Boolean(true)),
        ("bit1", Value::Boolean(true)),
        ("bit4", Value::Int8(101)),
        ("bit12", Value::Bytes(b"101010101010".to_vec())),
        ("c", Value::String("ab  ".into())),
        ("vc", Value::String("vc".into())),
        ("tx", Value::String("text".into())),
        ("nm", Value::String("nm".into())),
        ("byt", Value::Bytes(vec![1, 2, 255])),
        ("dt", Value::Date(1_582_934_400_000)),
        ("tm", Value::Date(47_655_678)),
        ("ttz", Value::Date(28_800_000)),
        ("ts", Value::Date(1_582_982_055_123)),
        ("tstz", Value::Date(1_582_978_455_123)),
        ("js", Value::String("{\"a\": 1}".into())),
        ("jsb", Value::String("{\"b\": 2}".into())),
        (
            "u",
            Value::String("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()),
        ),
        ("x", Value::String("<x>1</x>".into())),
    ];
    for (name, want) in expect {
        assert_eq!(field(&r, name), &want, "{name}");
    }
}

#[tokio::test]
async fn db_timezone_applies_to_timestamps_without_time_zone() {
    let (c, s) = fresh_schema("src_tz").await;
    exec(&c, &format!("CREATE TABLE \"{s}\".t (id int NOT NULL, ts timestamp NOT NULL); INSERT INTO \"{s}\".t VALUES (1,'2020-01-01 01:00:00')")).await;
    let cfg = table_props(
        &s,
        &["t"],
        &[
            ("mode", "timestamp"),
            ("timestamp.column.name", "ts"),
            ("db.timezone", "+02:00"),
        ],
    );
    let mut task = start(cfg, Arc::default()).await.expect("start");
    let r = poll_n(&mut task, 1).await.remove(0);
    // 01:00 at +02:00 is 2019-12-31T23:00Z.
    assert_eq!(field(&r, "ts"), &Value::Date(1_577_833_200_000));
    assert_eq!(
        offset_json(&r),
        json!({"timestamp":1577833200000i64,"timestamp_nanos":0})
    );
    // The offset is bound back in the same zone: the row is not read again.
    assert!(poll_for(&mut task, Duration::from_millis(400))
        .await
        .is_empty());
}

#[tokio::test]
async fn a_dropped_connection_is_reopened_and_reading_resumes_from_the_offset() {
    let (c, s) = fresh_schema("src_reconnect").await;
    exec(&c, &format!("CREATE TABLE \"{s}\".t (id int NOT NULL); INSERT INTO \"{s}\".t SELECT generate_series(1,6)")).await;
    let mut cfg = table_props(
        &s,
        &["t"],
        &[
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("batch.max.rows", "2"),
            ("connection.backoff.ms", "100"),
        ],
    );
    cfg.insert(
        "connection.url".into(),
        format!("{}&ApplicationName={s}", jdbc_url()),
    );
    let mut task = start(cfg, Arc::default()).await.expect("start");
    let mut got = poll_n(&mut task, 2).await;
    let killed: i64 = c
        .query_one("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", &[&s])
        .await
        .unwrap()
        .get(0);
    assert!(killed >= 1);
    got.extend(poll_n(&mut task, 4).await);
    assert_eq!(ids(&got), vec![1, 2, 3, 4, 5, 6]);
}

#[tokio::test]
async fn the_connector_splits_tables_and_follows_new_and_dropped_tables() {
    let (c, s) = fresh_schema("src_disc").await;
    for t in ["t1", "t2", "t3", "t4"] {
        exec(&c, &format!("CREATE TABLE \"{s}\".{t} (id int)")).await;
    }
    exec(&c, &format!("CREATE VIEW \"{s}\".v AS SELECT 1 AS id")).await;
    let p = props(&[
        ("mode", "bulk"),
        ("schema.pattern", &s),
        ("table.blacklist", "t4x"),
        ("table.poll.interval.ms", "200"),
    ]);
    let ctx = Arc::new(Context::default());
    let mut connector = JdbcSourceConnector::new();
    connector.start(&p, ctx.clone()).expect("start");
    let configs = connector.task_configs(3).expect("task configs");
    let tables: Vec<&str> = configs.iter().map(|c| c["tables"].as_str()).collect();
    assert_eq!(
        tables,
        vec![
            format!("\"{s}\".\"t1\",\"{s}\".\"t2\""),
            format!("\"{s}\".\"t3\""),
            format!("\"{s}\".\"t4\""),
        ]
    );
    assert!(configs
        .iter()
        .all(|c| c["tables.fetched"] == "true" && c["mode"] == "bulk"));
    // The first read of the table list is a change too.
    let before = 1;
    exec(
        &c,
        &format!("CREATE TABLE \"{s}\".t5 (id int); DROP TABLE \"{s}\".t1"),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while ctx.reconfigurations.load(Ordering::SeqCst) <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "no reconfiguration requested"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let configs = connector.task_configs(1).expect("task configs");
    assert_eq!(
        configs[0]["tables"],
        format!("\"{s}\".\"t2\",\"{s}\".\"t3\",\"{s}\".\"t4\",\"{s}\".\"t5\"")
    );
    connector.stop().unwrap();
    // Views only with table.types=VIEW; a query → one task.
    let mut connector = JdbcSourceConnector::new();
    connector
        .start(
            &props(&[
                ("mode", "bulk"),
                ("schema.pattern", &s),
                ("table.types", "view"),
            ]),
            ctx.clone(),
        )
        .unwrap();
    assert_eq!(
        connector.task_configs(4).unwrap()[0]["tables"],
        format!("\"{s}\".\"v\"")
    );
    connector.stop().unwrap();
    let mut connector = JdbcSourceConnector::new();
    connector
        .start(
            &props(&[("mode", "bulk"), ("query", "SELECT 1 AS id")]),
            ctx.clone(),
        )
        .unwrap();
    let configs = connector.task_configs(4).unwrap();
    assert_eq!(configs.len(), 1);
    assert_eq!(configs[0]["tables"], "");
    connector.stop().unwrap();
    let _ = connector.create_task();
}

#[tokio::test]
async fn duplicate_unqualified_names_fail_the_connector() {
    let (c, s) = fresh_schema("src_dup").await;
    exec(&c, &format!("CREATE SCHEMA \"{s}_b\"; CREATE TABLE \"{s}\".orders (id int); CREATE TABLE \"{s}_b\".orders (id int)")).await;
    let ctx = Arc::new(Context::default());
    let mut connector = JdbcSourceConnector::new();
    connector
        .start(
            &props(&[
                ("mode", "bulk"),
                ("schema.pattern", &format!("{s}%")),
                ("table.whitelist", "orders"),
            ]),
            ctx.clone(),
        )
        .unwrap();
    let e = connector.task_configs(2).unwrap_err().to_string();
    assert!(
        e.contains("detected duplicate unqualified table names"),
        "{e}"
    );
    assert_eq!(ctx.errors.lock().unwrap().len(), 1);
    connector.stop().unwrap();
    exec(&c, &format!("DROP SCHEMA \"{s}_b\" CASCADE")).await;
}

#[tokio::test]
async fn validate_reports_an_unreachable_database_and_a_bad_query() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let connector = JdbcSourceConnector::new();
    let errors = |p: &Props| -> Vec<(String, Vec<String>)> {
        connector
            .validate(p)
            .into_iter()
            .filter(|r| !r.errors.is_empty())
            .map(|r| (r.name, r.errors))
            .collect()
    };
    let mut p = props(&[("mode", "bulk"), ("table.whitelist", "t")]);
    assert_eq!(errors(&p), vec![]);
    p.insert(
        "connection.url".into(),
        format!("jdbc:postgresql://127.0.0.1:{port}/postgres"),
    );
    let e = errors(&p);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].0, "connection.url");
    assert!(
        e[0].1[0].starts_with("Could not connect to database."),
        "{e:?}"
    );
    let p = props(&[
        ("mode", "bulk"),
        ("query", "SELECT * FROM no_such_table_here"),
    ]);
    let e = errors(&p);
    assert_eq!(e[0].0, "query");
    assert!(e[0].1[0].ends_with("(SQLState: 42P01)"), "{e:?}");
}

#[tokio::test]
async fn sql_errors_are_retried_query_retry_attempts_times_then_fail_the_task() {
    let (c, s) = fresh_schema("src_retry").await;
    exec(&c, &format!("CREATE TABLE \"{s}\".t (id int NOT NULL)")).await;
    let cfg = table_props(
        &s,
        &["t"],
        &[("mode", "bulk"), ("query.retry.attempts", "2")],
    );
    let mut task = start(cfg, Arc::default()).await.expect("start");
    exec(&c, &format!("DROP TABLE \"{s}\".t")).await;
    assert!(task
        .poll()
        .await
        .expect("first failure is retried")
        .is_empty());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let err = loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the task never failed"
        );
        match task.poll().await {
            Ok(r) => assert!(r.is_empty()),
            Err(e) => break e.to_string(),
        }
    };
    assert!(
        err.starts_with("Failed to query table after retries: ERROR: relation"),
        "{err}"
    );
    assert!(err.contains("(SQLSTATE 42P01)"), "{err}");
}
