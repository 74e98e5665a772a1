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
use sluice_api::{Props, TopicPartition};

use crate::config::kafka_clients::{client_config, java_settings, ClientKind};
use crate::config::WorkerConfig;
use crate::distributed::membership::{group_offsets, ConfigError, MembershipConfig};
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
    .unwrap_or_default()
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

/// `GET /connectors/{c}/offsets` for a sink: every committed offset of the group, also of
/// topics the connector no longer reads (Java's `listConsumerGroupOffsets`), sorted.
pub async fn list(
    worker: &std::sync::Arc<WorkerConfig>,
    name: &str,
    connector: &Props,
) -> HerderResult<ConnectorOffsets> {
    let mut committed = committed(worker, name, connector).await.map_err(|e| {
        tracing::error!(connector = %name, error = %e,
            "Failed to retrieve consumer group offsets.");
        HerderError::Internal(format!(
            "Failed to retrieve consumer group offsets for sink connector {name}"
        ))
    })?;
    committed.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    Ok(ConnectorOffsets {
        offsets: committed
            .into_iter()
            .map(|c| ConnectorOffset {
                partition: sink_partition(&c.topic, c.partition),
                offset: Some(sink_offset(c.offset)),
            })
            .collect(),
    })
}

/// The group's committed offsets: every partition's the coordinator lists (OffsetFetch for
/// the whole group). Only when that request fails or lists nothing are the topics the
/// connector reads now asked partition by partition: on Kafka brokers their offsets are part
/// of the whole group's, but brokers that answer the whole-group request wrongly
/// (librdkafka's mock cluster answers it with nothing) still show the connector's own
/// partitions.
pub async fn committed(
    worker: &std::sync::Arc<WorkerConfig>,
    name: &str,
    connector: &Props,
) -> Result<Vec<group_offsets::CommittedOffset>, String> {
    let whole_group = match group_client(worker, name, connector) {
        Ok(group) => group_offsets::committed_offsets(&group)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match whole_group {
        Ok(offsets) if !offsets.is_empty() => return Ok(offsets),
        Ok(_) => {}
        Err(e) => tracing::warn!(connector = %name, error = %e,
            "The coordinator did not list the group's offsets; listing those of the connector's topics."),
    }
    let (worker, owned_name, connector) = (worker.clone(), name.to_string(), connector.clone());
    blocking(move || committed_in_topics(&worker, &owned_name, &connector))
        .await
        .map_err(|e| e.to_string())
}

/// The committed offsets of the partitions of the topics the connector reads (`topics`, or
/// the existing topics `topics.regex` matches), through a consumer of the group.
fn committed_in_topics(
    worker: &WorkerConfig,
    name: &str,
    connector: &Props,
) -> HerderResult<Vec<group_offsets::CommittedOffset>> {
    let topics =
        sluice_api::config::parse_list(connector.get("topics").map(String::as_str).unwrap_or(""));
    let regex = connector
        .get("topics.regex")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .map(|r| regex::Regex::new(&format!("^(?:{r})$")))
        .transpose()
        .map_err(|e| HerderError::Internal(format!("Invalid topics.regex: {e}")))?;
    if topics.is_empty() && regex.is_none() {
        return Ok(Vec::new());
    }
    let consumer = consumer(worker, name, connector)?;
    let metadata = consumer
        .fetch_metadata(None, TIMEOUT)
        .map_err(|e| HerderError::Internal(format!("Failed to list topics: {e}")))?;
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
    if tpl.count() == 0 {
        return Ok(Vec::new());
    }
    let committed = consumer
        .committed_offsets(tpl, TIMEOUT)
        .map_err(|e| HerderError::Internal(format!("Failed to read committed offsets: {e}")))?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some(group_offsets::CommittedOffset {
                topic: e.topic().to_string(),
                partition: e.partition(),
                offset: o,
            }),
            _ => None,
        })
        .collect())
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

/// A value as Java's `String.valueOf` prints the object Jackson read it as (strings without
/// quotes).
fn java_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks and parses the offsets of a sink `PATCH` as Java's `SinkUtils` does, with its
/// messages (400): each partition has `kafka_topic` and an integer `kafka_partition` (a
/// number or a numeric string), each offset is `null` or has an integer `kafka_offset`.
pub fn parse(offsets: &ConnectorOffsets) -> HerderResult<Vec<(TopicPartition, Option<i64>)>> {
    let bad = |m: String| HerderError::BadRequest(m);
    let mut parsed = Vec::with_capacity(offsets.offsets.len());
    for o in &offsets.offsets {
        let (Some(topic), Some(partition)) = (
            o.partition.get("kafka_topic"),
            o.partition.get("kafka_partition"),
        ) else {
            return Err(bad(
                "The partition for a sink connector offset must contain the keys \
                 'kafka_topic' and 'kafka_partition'"
                    .to_string(),
            ));
        };
        if topic.is_null() {
            return Err(bad(
                "Kafka topic names must be valid strings and may not be null".to_string(),
            ));
        }
        if partition.is_null() {
            return Err(bad(
                "Kafka partitions must be valid numbers and may not be null".to_string(),
            ));
        }
        let partition_number = java_text(partition).parse::<i32>().map_err(|_| {
            bad(format!(
                "Failed to parse the following Kafka partition value in the provided offsets: \
                 '{}'. Partition values for sink connectors need to be integers.",
                java_text(partition)
            ))
        })?;
        let offset = match &o.offset {
            None => None,
            Some(offset) => {
                let Some(value) = offset.get("kafka_offset") else {
                    return Err(bad(
                        "The offset for a sink connector should either be null or \
                         contain the key 'kafka_offset'"
                            .to_string(),
                    ));
                };
                Some(java_text(value).parse::<i64>().map_err(|_| {
                    bad(format!(
                        "Failed to parse the following Kafka offset value in the provided \
                         offsets: '{}'. Offset values for sink connectors need to be integers.",
                        java_text(value)
                    ))
                })?)
            }
        };
        parsed.push((
            TopicPartition::new(java_text(topic), partition_number),
            offset,
        ));
    }
    Ok(parsed)
}

/// `PATCH /connectors/{c}/offsets` for a sink: commits the given offsets for the group and
/// deletes the committed offsets of the partitions given `None` (OffsetDelete), as Java's
/// `alterConsumerGroupOffsets` and `deleteConsumerGroupOffsets` do.
pub async fn alter(
    worker: &std::sync::Arc<WorkerConfig>,
    name: &str,
    connector: &Props,
    offsets: &[(TopicPartition, Option<i64>)],
) -> HerderResult<()> {
    let mut commits = TopicPartitionList::new();
    let mut deletions: Vec<(String, i32)> = Vec::new();
    for (tp, offset) in offsets {
        match offset {
            Some(offset) => commits
                .add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))
                .map_err(|e| HerderError::BadRequest(e.to_string()))?,
            None => deletions.push((tp.topic.clone(), tp.partition)),
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
        let group = group_client(worker, name, connector).map_err(|e| alter_failed(name, &e))?;
        group_offsets::delete_offsets(&group, &deletions)
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
/// connection and security keys, `admin.*`, `admin.override.*`).
fn group_client(
    worker: &WorkerConfig,
    name: &str,
    connector: &Props,
) -> Result<MembershipConfig, ConfigError> {
    let mut settings = java_settings(
        ClientKind::Admin,
        &worker.originals,
        connector,
        &[("client.id", format!("connector-worker-adminclient-{name}"))],
    );
    settings.insert("group.id".to_string(), group_id(worker, name, connector));
    MembershipConfig::from_worker_props(&settings)
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
