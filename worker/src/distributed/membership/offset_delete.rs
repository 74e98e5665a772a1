//! OffsetDelete (KIP-496): removes the committed offsets of some partitions from a consumer
//! group, the request behind Java's `Admin.deleteConsumerGroupOffsets` (which the librdkafka
//! binding Sluice uses does not expose). The sink offsets endpoints send it for partitions
//! whose offset a `PATCH /connectors/{c}/offsets` sets to `null`.

use std::collections::BTreeMap;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::{
    ApiKey, GroupId, OffsetDeleteRequest, OffsetDeleteResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::config::MembershipConfig;
use super::coordinator::{find_coordinator, GroupError};

/// How many times a request that met a moved or loading coordinator is sent again.
const ATTEMPTS: usize = 3;

/// Deletes the committed offsets of `partitions` (topic, partition) from the group
/// `config.group_id`, asking its coordinator. A coordinator that moved, is unavailable or is
/// loading is asked again, up to [`ATTEMPTS`] times; every other error (the group's own or
/// the first partition's) is returned.
pub async fn delete_offsets(
    config: &MembershipConfig,
    partitions: &[(String, i32)],
) -> Result<(), GroupError> {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (topic, partition) in partitions {
        by_topic.entry(topic).or_default().push(*partition);
    }
    let request = OffsetDeleteRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(config.group_id.clone())))
        .with_topics(
            by_topic
                .into_iter()
                .map(|(topic, partitions)| {
                    OffsetDeleteRequestTopic::default()
                        .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                        .with_partitions(
                            partitions
                                .into_iter()
                                .map(|p| {
                                    OffsetDeleteRequestPartition::default().with_partition_index(p)
                                })
                                .collect(),
                        )
                })
                .collect(),
        );
    let mut attempt = 1;
    loop {
        match send(config, &request).await {
            Err(e) if coordinator_busy(&e) && attempt < ATTEMPTS => {
                tracing::debug!(group = %config.group_id, error = %e,
                    "OffsetDelete met a moved coordinator; finding it again.");
                attempt += 1;
                tokio::time::sleep(config.retry_backoff).await;
            }
            other => return other,
        }
    }
}

/// Whether the coordinator moved, is unavailable or is loading the group.
fn coordinator_busy(e: &GroupError) -> bool {
    matches!(
        e.response_error(),
        Some(
            ResponseError::NotCoordinator
                | ResponseError::CoordinatorNotAvailable
                | ResponseError::CoordinatorLoadInProgress
        )
    )
}

async fn send(config: &MembershipConfig, request: &OffsetDeleteRequest) -> Result<(), GroupError> {
    let mut conn = find_coordinator(config).await?;
    let version = conn.version(ApiKey::OffsetDelete, None)?;
    let response: OffsetDeleteResponse = conn
        .send(
            ApiKey::OffsetDelete,
            version,
            request,
            config.request_timeout,
        )
        .await?;
    let first_partition_error = response
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter())
        .map(|p| p.error_code)
        .find(|code| *code != 0);
    let code = match response.error_code {
        0 => first_partition_error.unwrap_or(0),
        code => code,
    };
    match ResponseError::try_from_code(code) {
        Some(error) => Err(GroupError::Broker {
            api: ApiKey::OffsetDelete,
            error,
            message: None,
        }),
        None => Ok(()),
    }
}
