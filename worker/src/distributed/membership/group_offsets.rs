//! A consumer group's committed offsets, read and deleted at its coordinator: the requests
//! behind Java's `Admin.listConsumerGroupOffsets` (OffsetFetch for every partition of the
//! group) and `Admin.deleteConsumerGroupOffsets` (OffsetDelete, KIP-496), which the librdkafka
//! binding Sluice uses does not expose. The sink offsets endpoints use them.

use std::collections::BTreeMap;
use std::future::Future;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::{
    ApiKey, GroupId, OffsetDeleteRequest, OffsetDeleteResponse, OffsetFetchRequest,
    OffsetFetchResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::config::MembershipConfig;
use super::connection::Connection;
use super::coordinator::{find_coordinator, GroupError};

/// How many times a request that met a moved, unavailable or loading coordinator is sent.
const ATTEMPTS: usize = 3;

/// The OffsetFetch version used where the broker has it: version 8 (Kafka 3.0, KIP-709)
/// names groups, each with a null topic list for "every partition"; version 9 only adds
/// the member fields of the new consumer protocol.
const OFFSET_FETCH_GROUPS_VERSION: i16 = 8;
/// The highest version used with older brokers: versions 2 to 5 take a null topic list and
/// are not flexible.
const OFFSET_FETCH_LEGACY_VERSION: i16 = 5;

/// One partition's committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset of the next record the group reads.
    pub offset: i64,
}

/// Every committed offset of the group `config.group_id` (none for a group that does not
/// exist), as Java's `listConsumerGroupOffsets` lists them: also partitions of topics the
/// group no longer subscribes to.
pub async fn committed_offsets(
    config: &MembershipConfig,
) -> Result<Vec<CommittedOffset>, GroupError> {
    let group = GroupId(StrBytes::from_string(config.group_id.clone()));
    with_coordinator(config, |mut conn| {
        let group = group.clone();
        async move {
            let groups_version = conn
                .version(ApiKey::OffsetFetch, Some(OFFSET_FETCH_GROUPS_VERSION))
                .ok()
                .filter(|v| *v >= OFFSET_FETCH_GROUPS_VERSION);
            let (version, request) = match groups_version {
                Some(version) => (
                    version,
                    OffsetFetchRequest::default().with_groups(vec![
                        OffsetFetchRequestGroup::default()
                            .with_group_id(group)
                            .with_topics(None),
                    ]),
                ),
                None => {
                    let version =
                        conn.version(ApiKey::OffsetFetch, Some(OFFSET_FETCH_LEGACY_VERSION))?;
                    if version < 2 {
                        // Version 1 cannot ask for every partition of the group.
                        return Err(GroupError::Broker {
                            api: ApiKey::OffsetFetch,
                            error: ResponseError::UnsupportedVersion,
                            message: None,
                        });
                    }
                    let request = OffsetFetchRequest::default()
                        .with_group_id(group)
                        .with_topics(None);
                    (version, request)
                }
            };
            let response: OffsetFetchResponse = conn
                .send(
                    ApiKey::OffsetFetch,
                    version,
                    &request,
                    conn.request_timeout(),
                )
                .await?;
            // (topic, partition, offset, error) of every entry, whichever version answered.
            let mut entries: Vec<(String, i32, i64, i16)> = Vec::new();
            if groups_version.is_some() {
                for g in &response.groups {
                    check_group_error(g.error_code)?;
                    for t in &g.topics {
                        entries.extend(t.partitions.iter().map(|p| {
                            (
                                t.name.to_string(),
                                p.partition_index,
                                p.committed_offset,
                                p.error_code,
                            )
                        }));
                    }
                }
            } else {
                check_group_error(response.error_code)?;
                for t in &response.topics {
                    entries.extend(t.partitions.iter().map(|p| {
                        (
                            t.name.to_string(),
                            p.partition_index,
                            p.committed_offset,
                            p.error_code,
                        )
                    }));
                }
            }
            let mut offsets = Vec::with_capacity(entries.len());
            for (topic, partition, offset, error) in entries {
                if let Some(e) = GroupError::broker(ApiKey::OffsetFetch, error, None) {
                    return Err(e);
                }
                if offset >= 0 {
                    offsets.push(CommittedOffset {
                        topic,
                        partition,
                        offset,
                    });
                }
            }
            Ok(offsets)
        }
    })
    .await
}

/// A group-level OffsetFetch error; a group that does not exist has no offsets.
fn check_group_error(code: i16) -> Result<(), GroupError> {
    match GroupError::broker(ApiKey::OffsetFetch, code, None) {
        Some(e) if e.response_error() != Some(ResponseError::GroupIdNotFound) => Err(e),
        _ => Ok(()),
    }
}

/// Deletes the committed offsets of `partitions` (topic, partition) from the group
/// `config.group_id`. The group's own error or the first partition's is returned.
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
    with_coordinator(config, |mut conn| {
        let request = request.clone();
        async move {
            let version = conn.version(ApiKey::OffsetDelete, None)?;
            let response: OffsetDeleteResponse = conn
                .send(
                    ApiKey::OffsetDelete,
                    version,
                    &request,
                    conn.request_timeout(),
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
            match GroupError::broker(ApiKey::OffsetDelete, code, None) {
                Some(e) => Err(e),
                None => Ok(()),
            }
        }
    })
    .await
}

/// Runs `request` on a connection to the group's coordinator; a coordinator that moved, is
/// unavailable or is loading the group is found and asked again, up to [`ATTEMPTS`] times.
async fn with_coordinator<T, F, Fut>(config: &MembershipConfig, request: F) -> Result<T, GroupError>
where
    F: Fn(Connection) -> Fut,
    Fut: Future<Output = Result<T, GroupError>>,
{
    let mut attempt = 1;
    loop {
        let result = match find_coordinator(config).await {
            Ok(conn) => request(conn).await,
            Err(e) => Err(e),
        };
        match result {
            Err(e) if coordinator_busy(&e) && attempt < ATTEMPTS => {
                tracing::debug!(group = %config.group_id, error = %e,
                    "The group's coordinator moved or is loading; asking again.");
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
