//! End to end: the real broker, `sluice standalone` running the JDBC sink with JsonConverter
//! (schemas.enable=true), and the real PostgreSQL: upserts keyed on the record key, a
//! tombstone deleting its row, and the consumer offsets committed after the rows are written.
//!
//! Needs the broker and PostgreSQL of `scripts/services start`; fails, never skips, when
//! either is unreachable.

mod common;

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use common::{bootstrap_servers, produce, unique_name, unique_topic, wait_until};
use common::{worker_properties, Sluice, TestDir};

fn key(id: i64) -> String {
    format!("{{\"schema\":{{\"type\":\"int64\",\"optional\":false}},\"payload\":{id}}}")
}

fn value(id: i64, name: &str) -> String {
    format!(
        "{{\"schema\":{{\"type\":\"struct\",\"name\":\"courier\",\"optional\":false,\"fields\":[\
         {{\"field\":\"id\",\"type\":\"int64\",\"optional\":false}},\
         {{\"field\":\"name\",\"type\":\"string\",\"optional\":false}}]}},\
         \"payload\":{{\"id\":{id},\"name\":\"{name}\"}}}}"
    )
}

fn committed(group: &str, topic: &str) -> Option<i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers())
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let c = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .ok()?;
    match c.find_partition(topic, 0)?.offset() {
        Offset::Offset(o) => Some(o),
        _ => None,
    }
}

#[test]
fn json_records_are_upserted_and_deleted_and_offsets_committed() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (admin, schema) = rt.block_on(sluice_testkit::postgres::fresh_schema("worker_jdbc_sink"));
    let topic = unique_topic("jdbc-sink", 1);
    let name = unique_name("jdbc-sink");

    let records = [
        (key(1), Some(value(1, "a"))),
        (key(2), Some(value(2, "b"))),
        (key(1), Some(value(1, "a2"))),
        (key(3), Some(value(3, "c"))),
        (key(2), None),
    ];
    let raw: Vec<_> = records
        .iter()
        .map(|(k, v)| (Some(k.as_bytes()), v.as_deref().map(str::as_bytes)))
        .collect();
    produce(&topic, &raw);

    let dir = TestDir::new();
    let worker = worker_properties(&dir, &[]);
    let url = sluice_testkit::postgres::jdbc_url_in(&schema);
    let connector = dir.properties(
        "jdbc-sink.properties",
        &[
            ("name", name.as_str()),
            ("connector.class", "JdbcSinkConnector"),
            ("topics", topic.as_str()),
            ("connection.url", url.as_str()),
            ("auto.create", "true"),
            ("insert.mode", "upsert"),
            ("pk.mode", "record_key"),
            ("pk.fields", "id"),
            ("delete.enabled", "true"),
            ("table.name.format", "couriers"),
        ],
    );
    let sluice = Sluice::standalone(&dir, "worker", &worker, &[&connector]);

    let query = |sql: &str| -> Vec<(i64, String)> {
        rt.block_on(async {
            match admin.query(sql, &[]).await {
                Ok(rows) => rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
                Err(_) => Vec::new(),
            }
        })
    };
    let select = format!("SELECT id, name FROM \"{schema}\".couriers ORDER BY id");
    let expected = vec![(1, "a2".to_string()), (3, "c".to_string())];
    wait_until(
        "the rows upserted and deleted",
        Duration::from_secs(90),
        || query(&select) == expected,
    );
    let group = format!("connect-{name}");
    wait_until(
        "the consumer offsets committed",
        Duration::from_secs(60),
        || committed(&group, &topic) == Some(5),
    );
    assert_eq!(query(&select), expected, "{}", sluice.logs());
}
