//! Sink connector offsets: the committed offsets of the consumer group the connector's tasks
//! use (`connect-<name>` unless the worker's `consumer.group.id` or the connector's
//! `consumer.override.group.id` says otherwise), read, altered and deleted through
//! short-lived clients.

use std::time::Duration;

use kafka_protocol::error::ResponseError;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use sluice_api::Props;

use crate::config::kafka_clients::{client_config, java_settings, ClientKind};
use crate::config::WorkerConfig;
use crate::distributed::membership::{offset_delete, MembershipConfig};
use crate::herder::{ConnectorOffset, ConnectorOffsets, HerderError, HerderResult};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The consumer group of a sink connector's tasks: `connect-<name>`, then the worker's
/// `consumer.group.id`, then the connector's `consumer.override.group.id`, in the order the
/// task's own consumer settings apply (Java reads it from the same consumer settings).
fn group_id(worker: &WorkerConfig, name: &str, connector: &Props) -> String {
    java_settings(
        ClientKind::Consumer,
        &worker.originals,
        connector,
        &[("group.id", crate::config::connector::sink_group_id(name))],
    )
    .remove("group.id")
    .unwrap_or_else(|| crate::config::connector::sink_group_id(name))
}

fn consumer(worker: &WorkerConfig, name: &str, connector: &Props) -> HerderResult<BaseConsumer> {
    let mut config = client_config(
        ClientKind::Consumer,
        &worker.originals,
        connector,
        &[("group.id", crate::config::connector::sink_group_id(name))],
    );
    config.set("enable.auto.commit", "false");
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

/// `PATCH /connectors/{c}/offsets` for a sink: commits the given offsets for the group and
/// deletes the committed offsets of the partitions given a `null` offset (OffsetDelete), as
/// Java's `alterConsumerGroupOffsets` and `deleteConsumerGroupOffsets` do.
pub async fn alter(
    worker: &std::sync::Arc<WorkerConfig>,
    name: &str,
    connector: &Props,
    offsets: ConnectorOffsets,
) -> HerderResult<()> {
    let mut commits = TopicPartitionList::new();
    let mut deletions: Vec<(String, i32)> = Vec::new();
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
                commits
                    .add_partition_offset(topic, partition, Offset::Offset(offset))
                    .map_err(|e| HerderError::BadRequest(e.to_string()))?;
            }
            None => deletions.push((topic.to_string(), partition)),
        }
    }
    if commits.count() > 0 {
        let worker = worker.clone();
        let owned_name = name.to_string();
        let connector = connector.clone();
        blocking(move || {
            let consumer = consumer(&worker, &owned_name, &connector)?;
            consumer
                .commit(&commits, CommitMode::Sync)
                .map_err(|e| match e.rdkafka_error_code() {
                    Some(RDKafkaErrorCode::UnknownMemberId) => {
                        tasks_still_running("alter", &owned_name, &e)
                    }
                    _ => alter_failed(&owned_name, &e),
                })
        })
        .await?;
    }
    if !deletions.is_empty() {
        let group = group_client(worker, name, connector)?;
        offset_delete::delete_offsets(&group, &deletions)
            .await
            .map_err(|e| match e.response_error() {
                Some(ResponseError::GroupSubscribedToTopic | ResponseError::UnknownMemberId) => {
                    tasks_still_running("alter", name, &e)
                }
                _ => alter_failed(name, &e),
            })?;
    }
    Ok(())
}

/// Java's answer when the admin request failed.
fn alter_failed(name: &str, cause: &dyn std::fmt::Display) -> HerderError {
    tracing::error!(connector = %name, error = %cause,
        "Failed to alter consumer group offsets.");
    HerderError::Internal(format!(
        "Failed to alter consumer group offsets for connector {name}"
    ))
}

/// Java's answer when the group still has members (`what`: `alter` or `reset`).
fn tasks_still_running(what: &str, name: &str, cause: &dyn std::fmt::Display) -> HerderError {
    tracing::error!(connector = %name, error = %cause,
        "The connector's consumer group still has members.");
    HerderError::Internal(format!(
        "Failed to {what} consumer group offsets for connector {name} either because its tasks \
         haven't stopped completely yet or the connector was resumed before the request to \
         {what} its offsets could be successfully completed. If the connector is in a stopped \
         state, this operation can be safely retried. If it doesn't eventually succeed, the \
         Connect cluster may need to be restarted to get rid of the zombie sink tasks."
    ))
}

/// A client of the sink's group coordinator with the connector's admin settings (the worker's
/// connection and security keys, `admin.*`, `admin.override.*`), for OffsetDelete.
fn group_client(
    worker: &WorkerConfig,
    name: &str,
    connector: &Props,
) -> HerderResult<MembershipConfig> {
    let mut settings = java_settings(
        ClientKind::Admin,
        &worker.originals,
        connector,
        &[("client.id", format!("connector-worker-adminclient-{name}"))],
    );
    settings.insert("group.id".to_string(), group_id(worker, name, connector));
    MembershipConfig::from_worker_props(&settings).map_err(|e| {
        tracing::error!(connector = %name, error = %e, "Cannot reach the consumer group.");
        alter_failed(name, &e)
    })
}

/// `DELETE /connectors/{c}/offsets` for a sink: deletes the consumer group its tasks use
/// ("not found" is success).
pub async fn reset(
    worker: &std::sync::Arc<WorkerConfig>,
    name: &str,
    connector: &Props,
) -> HerderResult<()> {
    let admin: AdminClient<DefaultClientContext> =
        client_config(ClientKind::Admin, &worker.originals, connector, &[])
            .create()
            .map_err(|e| reset_failed(name, &e))?;
    let group = group_id(worker, name, connector);
    let results = admin
        .delete_groups(
            &[group.as_str()],
            &AdminOptions::new().request_timeout(Some(TIMEOUT)),
        )
        .await
        .map_err(|e| reset_failed(name, &e))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((_, RDKafkaErrorCode::NonEmptyGroup)) => {
                return Err(tasks_still_running(
                    "reset",
                    name,
                    &RDKafkaErrorCode::NonEmptyGroup,
                ))
            }
            Err((_, code)) => return Err(reset_failed(name, &code)),
        }
    }
    Ok(())
}

/// Java's answer when deleting the group failed.
fn reset_failed(name: &str, cause: &dyn std::fmt::Display) -> HerderError {
    tracing::error!(connector = %name, error = %cause,
        "Failed to reset consumer group offsets for sink connector.");
    HerderError::Internal(format!(
        "Failed to reset consumer group offsets for sink connector {name}"
    ))
}
