//! End to end: `sluice standalone` running the JDBC source (Confluent's
//! `JdbcSourceConnector` config) from the real PostgreSQL into the real broker, with
//! JsonConverter (schemas.enable=true), and a restart resuming from the stored offset.
//!
//! Needs PostgreSQL and the broker of `scripts/services start`; fails, never skips, when either
//! is unreachable.

mod common;

use std::time::Duration;

use serde_json::{json, Value};

use common::{
    bootstrap_servers, consume, create_topic, read_all_values_at, unique_name, worker_properties,
    Sluice, TestDir,
};

const ARRIVAL: Duration = Duration::from_secs(120);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn values(topic: &str, n: usize) -> Vec<Value> {
    consume(topic, n, ARRIVAL)
        .into_iter()
        .map(|r| serde_json::from_slice(&r.value.expect("a value")).expect("JSON value"))
        .collect()
}

#[test]
fn jdbc_source_streams_a_table_into_a_topic_and_resumes_after_a_restart() {
    let rt = runtime();
    let (client, schema) = rt.block_on(sluice_testkit::postgres::fresh_schema("wk_jdbc_src"));
    rt.block_on(client.batch_execute(&format!(
        "CREATE TABLE \"{schema}\".orders (id serial PRIMARY KEY, item text, amount numeric(10,2) NOT NULL); \
         INSERT INTO \"{schema}\".orders (item, amount) VALUES ('apple', 1.50), ('pear', 2.25), (NULL, 3.00)"
    )))
    .expect("table");

    let prefix = format!("{}-", unique_name("jdbc"));
    let topic = format!("{prefix}orders");
    create_topic(&topic, 1);
    let dir = TestDir::new();
    let worker = worker_properties(&dir, &[]);
    let name = unique_name("jdbc-source");
    let url = sluice_testkit::postgres::jdbc_url();
    let connector = dir.properties(
        "jdbc.properties",
        &[
            ("name", &name),
            ("connector.class", "JdbcSourceConnector"),
            ("tasks.max", "1"),
            ("connection.url", &url),
            ("mode", "incrementing"),
            ("incrementing.column.name", "id"),
            ("table.whitelist", "orders"),
            ("schema.pattern", &schema),
            ("topic.prefix", &prefix),
            ("numeric.mapping", "best_fit"),
            ("poll.interval.ms", "200"),
        ],
    );

    let mut sluice = Sluice::standalone(&dir, "run1", &worker, &[&connector]);
    let first = values(&topic, 3);
    let schema_json = json!({
        "type": "struct",
        "fields": [
            {"type": "int32", "optional": false, "field": "id"},
            {"type": "string", "optional": true, "field": "item"},
            {"type": "double", "optional": false, "field": "amount"}
        ],
        "optional": false,
        "name": "orders"
    });
    assert_eq!(
        first,
        vec![
            json!({"schema": schema_json, "payload": {"id": 1, "item": "apple", "amount": 1.5}}),
            json!({"schema": schema_json, "payload": {"id": 2, "item": "pear", "amount": 2.25}}),
            json!({"schema": schema_json, "payload": {"id": 3, "item": null, "amount": 3.0}}),
        ],
        "worker logs:\n{}",
        sluice.logs()
    );
    // Let an offset flush happen, then stop (SIGTERM flushes again).
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );

    // The stored offset is Confluent's: key [name, V1 partition], value {"incrementing":3}.
    let stored = std::fs::read(dir.file("worker.offsets")).expect("offsets file");
    let stored = String::from_utf8_lossy(&stored);
    let key = format!(r#"["{name}",{{"protocol":"1","table":"{schema}.orders"}}]"#);
    assert!(stored.contains(&key), "no {key} in {stored:?}");
    assert!(
        stored.contains(r#"{"incrementing":3}"#),
        "offsets file: {stored:?}"
    );

    rt.block_on(client.batch_execute(&format!(
        "INSERT INTO \"{schema}\".orders (item, amount) VALUES ('plum', 4.75), ('fig', 5.00)"
    )))
    .expect("insert");
    let mut sluice = Sluice::standalone(&dir, "run2", &worker, &[&connector]);
    let all = values(&topic, 5);
    // Give a replayed row the time to show up.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );
    let ids: Vec<i64> = read_all_values_at(&bootstrap_servers(), &topic)
        .iter()
        .map(|v| {
            let v: Value = serde_json::from_str(v).expect("JSON value");
            v["payload"]["id"].as_i64().expect("id")
        })
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5], "nothing replayed, nothing lost");
    assert_eq!(
        all[4]["payload"],
        json!({"id": 5, "item": "fig", "amount": 5.0})
    );
    let stored = std::fs::read(dir.file("worker.offsets")).expect("offsets file");
    assert!(String::from_utf8_lossy(&stored).contains(r#"{"incrementing":5}"#));
}
