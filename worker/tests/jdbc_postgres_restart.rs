//! PostgreSQL restarted mid-stream (`scripts/services stop postgres`, then `start`): the JDBC
//! source and sink retry with backoff and reconnect, and every row reaches the copy once.
//!
//! Restarts the PostgreSQL of `scripts/services`; this test binary has a single test, so no
//! other test of the run shares the outage (cargo runs test binaries one at a time).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{create_topic, unique_name, worker_properties, Sluice, TestDir};

fn services(args: &[&str]) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/services");
    let status = Command::new(&script)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    assert!(status.success(), "scripts/services {args:?} failed");
}

#[test]
fn source_and_sink_survive_a_postgresql_restart() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (client, schema) = rt.block_on(sluice_testkit::postgres::fresh_schema("jdbc_restart"));
    rt.block_on(client.batch_execute(&format!(
        "CREATE TABLE \"{schema}\".events (id serial PRIMARY KEY, payload text NOT NULL); \
         INSERT INTO \"{schema}\".events (payload) SELECT 'before-' || g FROM generate_series(1, 200) g"
    )))
    .expect("source table");
    drop(client);

    let prefix = format!("{}-", unique_name("pgr"));
    let topic = format!("{prefix}events");
    create_topic(&topic, 1);
    let dir = TestDir::new();
    let worker = worker_properties(&dir, &[]);
    let source = dir.properties(
        "source.properties",
        &[
            ("name", &unique_name("pgr-source")),
            ("connector.class", "JdbcSourceConnector"),
            ("connection.url", &sluice_testkit::postgres::jdbc_url()),
            ("connection.attempts", "10"),
            ("connection.backoff.ms", "1000"),
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("table.whitelist", "events"),
            ("schema.pattern", &schema),
            ("topic.prefix", &prefix),
            ("poll.interval.ms", "200"),
        ],
    );
    let sink = dir.properties(
        "sink.properties",
        &[
            ("name", &unique_name("pgr-sink")),
            ("connector.class", "JdbcSinkConnector"),
            (
                "connection.url",
                &sluice_testkit::postgres::jdbc_url_in(&schema),
            ),
            ("topics", &topic),
            ("table.name.format", "events_copy"),
            ("insert.mode", "upsert"),
            ("pk.mode", "record_value"),
            ("pk.fields", "id"),
            ("auto.create", "true"),
            ("max.retries", "30"),
            ("retry.backoff.ms", "1000"),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&source, &sink]);

    let count = |what: &str| -> i64 {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let result = rt.block_on(async {
                let client = sluice_testkit::postgres::connect().await;
                client
                    .query_one(
                        &format!(
                            "SELECT count(*) FROM \"{schema}\".events_copy WHERE payload LIKE $1"
                        ),
                        &[&format!("{what}%")],
                    )
                    .await
                    .map(|r| r.get::<_, i64>(0))
            });
            match result {
                Ok(n) => return n,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200))
                }
                Err(_) => return 0,
            }
        }
    };
    let wait_for = |what: &str, n: i64, sluice: &mut Sluice| {
        let deadline = Instant::now() + Duration::from_secs(180);
        while count(what) < n {
            assert!(
                Instant::now() < deadline && sluice.is_running(),
                "{n} '{what}' rows never reached events_copy; worker logs:\n{}",
                sluice.logs()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    wait_for("before-", 200, &mut sluice);

    // The outage: both connectors lose their connections; rows written meanwhile by nobody.
    services(&["stop", "postgres"]);
    std::thread::sleep(Duration::from_secs(3));
    services(&["start", "postgres"]);

    rt.block_on(async {
        let client = sluice_testkit::postgres::connect().await;
        client
            .batch_execute(&format!(
                "INSERT INTO \"{schema}\".events (payload) SELECT 'after-' || g FROM generate_series(1, 200) g"
            ))
            .await
            .expect("rows after the restart");
    });
    wait_for("after-", 200, &mut sluice);
    assert!(sluice.terminate().success(), "{}", sluice.logs());

    let (total, distinct): (i64, i64) = rt.block_on(async {
        let client = sluice_testkit::postgres::connect().await;
        let row = client
            .query_one(
                &format!("SELECT count(*), count(DISTINCT id) FROM \"{schema}\".events_copy"),
                &[],
            )
            .await
            .expect("count");
        (row.get(0), row.get(1))
    });
    assert_eq!((total, distinct), (400, 400), "every row once");
}
