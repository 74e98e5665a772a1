//! Sink connector offsets: the committed offsets of the consumer group `connect-<name>` (or
//! `consumer.override.group.id`), read, altered and deleted through short-lived clients.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use sluice_api::Props;

use crate::config::kafka_clients::{client_config, ClientKind};
use crate::config::WorkerConfig;
use crate::herder::{ConnectorOffset, ConnectorOffsets, HerderError, HerderResult};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The consumer group of a sink connector.
pub fn group_id(name: &str, connector: &Props) -> String {
    connector
        .get("consumer.override.group.id")
        .cloned()
        .unwrap_or_else(|| crate::config::connector::sink_group_id(name))
}

fn consumer(worker: &WorkerConfig, name: &str, connector: &Props) -> HerderResult<BaseConsumer> {
    let mut config = client_config(
        ClientKind::Consumer,
        &worker.originals,
        connector,
        &[("enable.auto.commit", "false".to_string())],
    );
    config.set("group.id", group_id(name, connector));
    config
        .create()
        .map_err(|e| HerderError::Internal(format!("Failed to create consumer: {e}")))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> HerderResult<T> + Send + 'static,
) -> HerderResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| HerderError::Internal(e.to_string()))?
}

/// The Kafka cluster id, or an empty string when the cluster cannot be reached.
pub async fn cluster_id(worker: &std::sync::Arc<WorkerConfig>) -> String {
    let worker = worker.clone();
    blocking(move || {
        let consumer: BaseConsumer =
            client_config(ClientKind::Admin, &worker.originals, &Props::new(), &[])
                .create()
                .map_err(|e| HerderError::Internal(e.to_string()))?;
        Ok(consumer
            .client()
            .fetch_cluster_id(Duration::from_secs(5))
            .unwrap_or_default())
    })
    .await
    .unwrap_or_default()
}

/// `GET /connectors/{c}/offsets` for a sink.
pub async fn list(
    worker: &std::sync::Arc<WorkerConfig>,
    name: &str,
    connector: &Props,
) -> HerderResult<ConnectorOffsets> {
    let worker = worker.clone();
    let name = name.to_string();
    let connector = connector.clone();
    blocking(move || {
        let consumer = consumer(&worker, &name, &connector)?;
        let metadata = consumer
            .fetch_metadata(None, TIMEOUT)
            .map_err(|e| HerderError::Internal(format!("Failed to list topics: {e}")))?;
        let topics = sluice_api::config::parse_list(
            connector.get("topics").map(String::as_str).unwrap_or(""),
        );
        let regex = connector
            .get("topics.regex")
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .map(|r| regex::Regex::new(&format!("^(?:{r})$")))
            .transpose()
            .map_err(|e| HerderError::Internal(format!("Invalid topics.regex: {e}")))?;
        let mut tpl = TopicPartitionList::new();
        for t in metadata.topics() {
            let wanted = topics.iter().any(|x| x == t.name())
                || regex.as_ref().is_some_and(|r| r.is_match(t.name()));
            if wanted {
                for p in t.partitions() {
                    tpl.add_partition(t.name(), p.id());
                }
            }
        }
        let committed = consumer
            .committed_offsets(tpl, TIMEOUT)
            .map_err(|e| HerderError::Internal(format!("Failed to read committed offsets: {e}")))?;
        let mut offsets: Vec<ConnectorOffset> = committed
            .elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(o) => Some(ConnectorOffset {
                    partition: sink_partition(e.topic(), e.partition()),
                    offset: Some(sink_offset(o)),
                }),
                _ => None,
            })
            .collect();
        offsets.sort_by(|a, b| {
            serde_json::Value::Object(a.partition.clone())
                .to_string()
                .cmp(&serde_json::Value::Object(b.partition.clone()).to_string())
        });
        Ok(ConnectorOffsets { offsets })
    })
    .await
}

fn sink_partition(topic: &str, partition: i32) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("kafka_topic".into(), topic.into());
    m.insert("kafka_partition".into(), partition.into());
    m
}

fn sink_offset(offset: i64) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("kafka_offset".into(), offset.into());
    m
}

fn int_field(
    map: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    what: &str,
) -> HerderResult<i64> {
    let v = map.get(key).ok_or_else(|| {
        HerderError::BadRequest(format!(
            "The {what} for sink connectors must contain the key '{key}'"
        ))
    })?;
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        HerderError::BadRequest(format!(
            "Failed to parse the following Kafka {what} value in the provided offsets: '{v}'. {} values for sink connectors need to be integers.",
            if key == "kafka_offset" { "Offset" } else { "Partition" }
        ))
    })
}

/// `PATCH /connectors/{c}/offsets` for a sink.
pub async fn alter(
    worker: &std::sync::Arc<WorkerConfig>,
    name: &str,
    connector: &Props,
    offsets: ConnectorOffsets,
) -> HerderResult<()> {
    let mut tpl = TopicPartitionList::new();
    for o in &offsets.offsets {
        let topic = o
            .partition
            .get("kafka_topic")
            .and_then(|t| t.as_str())
            .ok_or_else(|| {
                HerderError::BadRequest(
                    "The partition for sink connectors must contain the key 'kafka_topic'"
                        .to_string(),
                )
            })?;
        let partition = int_field(&o.partition, "kafka_partition", "partition")?;
        let partition = i32::try_from(partition).map_err(|_| {
            HerderError::BadRequest(format!("Partition {partition} is out of range"))
        })?;
        match &o.offset {
            Some(off) => {
                let offset = int_field(off, "kafka_offset", "offset")?;
                tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
                    .map_err(|e| HerderError::BadRequest(e.to_string()))?;
            }
            None => {
                return Err(HerderError::BadRequest(
                    "Removing the committed offset of a single sink partition is not supported by Sluice yet; reset all offsets with DELETE /connectors/{c}/offsets instead".replace("{c}", name),
                ))
            }
        }
    }
    let worker = worker.clone();
    let name = name.to_string();
    let connector = connector.clone();
    blocking(move || {
        let consumer = consumer(&worker, &name, &connector)?;
        consumer.commit(&tpl, CommitMode::Sync).map_err(|e| {
            HerderError::Internal(format!("Failed to alter consumer group offsets: {e}"))
        })
    })
    .await
}

/// `DELETE /connectors/{c}/offsets` for a sink: deletes the consumer group ("not found" is
/// success).
pub async fn reset(worker: &std::sync::Arc<WorkerConfig>, name: &str) -> HerderResult<()> {
    let admin: AdminClient<DefaultClientContext> =
        client_config(ClientKind::Admin, &worker.originals, &Props::new(), &[])
            .create()
            .map_err(|e| HerderError::Internal(format!("Failed to create admin client: {e}")))?;
    let group = crate::config::connector::sink_group_id(name);
    let results = admin
        .delete_groups(
            &[group.as_str()],
            &AdminOptions::new().request_timeout(Some(TIMEOUT)),
        )
        .await
        .map_err(|e| HerderError::Internal(format!("Failed to delete consumer group: {e}")))?;
    for r in results {
        match r {
            Ok(_) => {}
            Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((g, code)) => {
                return Err(HerderError::Internal(format!(
                    "Failed to delete consumer group {g}: {code}"
                )))
            }
        }
    }
    Ok(())
}
