//! Finding or creating a topic through an admin client, as Java's `TopicAdmin.createOrFindTopics`
//! does for the dead-letter queue and for source connectors' topic creation (KIP-158).

use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;

/// How long the metadata and create requests may take.
pub const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The admin client setting [`topic_exists`] relies on: a lookup of one topic by name must
/// not make the broker auto-create it (librdkafka's producer-type clients allow it by
/// default).
pub const NO_AUTO_CREATE: (&str, &str) = ("allow.auto.create.topics", "false");

/// A topic to create when it is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// The name.
    pub name: String,
    /// Partitions (-1: the broker's default).
    pub partitions: i32,
    /// Replication factor (-1: the broker's default).
    pub replication_factor: i32,
    /// Topic configs (`cleanup.policy`, …).
    pub configs: Vec<(String, String)>,
}

/// What [`find_or_create`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicOutcome {
    /// The topic was there already.
    Existed,
    /// It was created now (or by someone else at the same moment).
    Created,
}

/// Whether the topic exists (Java's `describeTopics`): the metadata of that one topic, from an
/// admin client configured with [`NO_AUTO_CREATE`]. The request blocks, so it runs off the
/// runtime threads.
pub async fn topic_exists(
    admin: &Arc<AdminClient<DefaultClientContext>>,
    topic: &str,
) -> Result<bool, String> {
    let admin = admin.clone();
    let name = topic.to_string();
    tokio::task::spawn_blocking(move || {
        admin
            .inner()
            .fetch_metadata(Some(&name), ADMIN_TIMEOUT)
            .map(|m| {
                m.topics()
                    .iter()
                    .any(|t| t.name() == name && t.error().is_none() && !t.partitions().is_empty())
            })
    })
    .await
    .map_err(|e| format!("metadata: {e}"))?
    .map_err(|e| format!("metadata: {e}"))
}

/// Creates the topic unless it exists.
pub async fn find_or_create(
    admin: &Arc<AdminClient<DefaultClientContext>>,
    spec: &TopicSpec,
) -> Result<TopicOutcome, String> {
    if topic_exists(admin, &spec.name).await? {
        return Ok(TopicOutcome::Existed);
    }
    let mut new = NewTopic::new(
        &spec.name,
        spec.partitions,
        TopicReplication::Fixed(spec.replication_factor),
    );
    for (k, v) in &spec.configs {
        new = new.set(k, v);
    }
    let options = AdminOptions::new()
        .operation_timeout(Some(ADMIN_TIMEOUT))
        .request_timeout(Some(ADMIN_TIMEOUT));
    let results = tokio::time::timeout(
        ADMIN_TIMEOUT + Duration::from_secs(5),
        admin.create_topics([&new], &options),
    )
    .await
    .map_err(|_| "create topic: timed out".to_string())?
    .map_err(|e| format!("create topic: {e}"))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => return Err(format!("create topic {t}: {code}")),
        }
    }
    Ok(TopicOutcome::Created)
}
