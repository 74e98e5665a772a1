//! Type round trip through the real services: a PostgreSQL table with every type the JDBC
//! source supports → `JdbcSourceConnector` → the broker (JsonConverter with schemas) →
//! `JdbcSinkConnector` (auto.create) → a new table whose values equal the original's.
//!
//! Needs PostgreSQL and the broker of `scripts/services start`; fails, never skips, when either
//! is unreachable.

mod common;

use std::time::{Duration, Instant};

use common::{create_topic, unique_name, worker_properties, Sluice, TestDir};

/// Every column of the source table with the expression comparing it to the copy (`a` is the
/// original row, `b` the copy). Values stay within what Connect carries: milliseconds for
/// times, two decimals for money.
const COLUMNS: &[(&str, &str, &str)] = &[
    ("c_smallint", "smallint", "a.c_smallint = b.c_smallint"),
    ("c_integer", "integer", "a.c_integer = b.c_integer"),
    ("c_bigint", "bigint", "a.c_bigint = b.c_bigint"),
    ("c_real", "real", "a.c_real = b.c_real"),
    ("c_double", "double precision", "a.c_double = b.c_double"),
    ("c_numeric", "numeric(12,3)", "a.c_numeric = b.c_numeric"),
    (
        "c_money",
        "money",
        "a.c_money::numeric = b.c_money::numeric",
    ),
    ("c_boolean", "boolean", "a.c_boolean = b.c_boolean"),
    ("c_varchar", "varchar(40)", "a.c_varchar = b.c_varchar"),
    ("c_text", "text", "a.c_text = b.c_text"),
    ("c_bytea", "bytea", "a.c_bytea = b.c_bytea"),
    ("c_date", "date", "a.c_date = b.c_date"),
    ("c_time", "time", "a.c_time = b.c_time"),
    ("c_timestamp", "timestamp", "a.c_timestamp = b.c_timestamp"),
    (
        "c_timestamptz",
        "timestamptz",
        "(a.c_timestamptz AT TIME ZONE 'UTC') = b.c_timestamptz",
    ),
    ("c_json", "json", "a.c_json::text = b.c_json::text"),
    ("c_jsonb", "jsonb", "a.c_jsonb::text = b.c_jsonb::text"),
    ("c_uuid", "uuid", "a.c_uuid::text = b.c_uuid::text"),
];

const ROWS: &str = "
  (-32768, -2147483648, -9223372036854775808, -1.5, -2.25e300, -123456789.125, -12.34, false,
   '', 'multi
line ''quoted'' ünïcode', '\\x00ff10'::bytea, '0001-01-01', '00:00:00', '1970-01-01 00:00:00',
   '1969-12-31 23:59:59.999+00', '{\"a\": [1, 2]}', '{\"k\": null}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
  (32767, 2147483647, 9223372036854775807, 3.25, 1e-300, 999999999.999, 1234567.89, true,
   'x', 'plain', '\\x'::bytea, '9999-12-31', '23:59:59.999', '2262-04-11 23:47:16.854',
   '2024-02-29 12:34:56.789+05:30', '[]', '[1, \"two\", {\"three\": 3}]', '00000000-0000-0000-0000-000000000000'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL)";

#[test]
fn every_supported_type_survives_source_topic_sink() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (client, schema) = rt.block_on(sluice_testkit::postgres::fresh_schema("jdbc_round_trip"));
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(name, ty, _)| format!("{name} {ty}"))
        .collect();
    let names: Vec<&str> = COLUMNS.iter().map(|(name, _, _)| *name).collect();
    rt.block_on(client.batch_execute(&format!(
        "CREATE TABLE \"{schema}\".types (id serial PRIMARY KEY, {}); \
         INSERT INTO \"{schema}\".types ({}) VALUES {ROWS}",
        columns.join(", "),
        names.join(", ")
    )))
    .expect("source table");

    let prefix = format!("{}-", unique_name("rt"));
    let topic = format!("{prefix}types");
    create_topic(&topic, 1);
    let dir = TestDir::new();
    let worker = worker_properties(&dir, &[]);
    let source = dir.properties(
        "source.properties",
        &[
            ("name", &unique_name("rt-source")),
            (
                "connector.class",
                "io.confluent.connect.jdbc.JdbcSourceConnector",
            ),
            ("connection.url", &sluice_testkit::postgres::jdbc_url()),
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("table.whitelist", "types"),
            ("schema.pattern", &schema),
            ("topic.prefix", &prefix),
            ("poll.interval.ms", "200"),
        ],
    );
    let sink = dir.properties(
        "sink.properties",
        &[
            ("name", &unique_name("rt-sink")),
            (
                "connector.class",
                "io.confluent.connect.jdbc.JdbcSinkConnector",
            ),
            (
                "connection.url",
                &sluice_testkit::postgres::jdbc_url_in(&schema),
            ),
            ("topics", &topic),
            ("table.name.format", "types_copy"),
            ("insert.mode", "upsert"),
            ("pk.mode", "record_value"),
            ("pk.fields", "id"),
            ("auto.create", "true"),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&source, &sink]);

    let copied = || -> i64 {
        rt.block_on(client.query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'types_copy'",
            &[&schema],
        ))
        .map(|r| r.get::<_, i64>(0))
        .ok()
        .filter(|n| *n > 0)
        .and_then(|_| {
            rt.block_on(client.query_one(&format!("SELECT count(*) FROM \"{schema}\".types_copy"), &[]))
                .ok()
        })
        .map(|r| r.get(0))
        .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while copied() < 3 {
        assert!(
            Instant::now() < deadline && sluice.is_running(),
            "three rows never reached types_copy; worker logs:\n{}",
            sluice.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(sluice.terminate().success(), "{}", sluice.logs());

    // Each column equal on every row (NULLs included), one column at a time so a failure
    // names it.
    for (name, _, equal) in COLUMNS {
        let sql = format!(
            "SELECT count(*) FROM \"{schema}\".types a JOIN \"{schema}\".types_copy b ON a.id = b.id \
             WHERE ({equal}) OR (a.{name} IS NULL AND b.{name} IS NULL)"
        );
        let same: i64 = rt
            .block_on(client.query_one(&sql, &[]))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get(0);
        assert_eq!(same, 3, "column {name} differs after the round trip");
    }
}
