//! Creating and checking the internal topics (Java's `TopicAdmin` and the topic initializers
//! of the Kafka backing stores).
//!
//! * A missing topic is created with `cleanup.policy=compact`, the configured partitions and
//!   replication factor (`-1`: the broker's default, as Java). The config topic always has 1
//!   partition.
//! * An existing topic must have exactly `cleanup.policy=compact`, and the config topic
//!   exactly one partition; otherwise [`ensure_topic`] fails with Java's message. When the
//!   broker does not let us describe the topic's configs, the policy check is skipped with an
//!   info log, as Java does. librdkafka sends DescribeConfigs to the controller the metadata
//!   names; when that is none of the brokers (librdkafka's mock cluster, which has no
//!   DescribeConfigs either) the request could only time out, so the check is skipped at
//!   once with a warning, as Java skips it when the broker does not support the API.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// The worker property naming the config topic.
pub const CONFIG_TOPIC_CONFIG: &str = "config.storage.topic";
/// The worker property naming the offsets topic.
pub const OFFSET_STORAGE_TOPIC_CONFIG: &str = "offset.storage.topic";
/// The worker property naming the status topic.
pub const STATUS_STORAGE_TOPIC_CONFIG: &str = "status.storage.topic";

/// How long admin requests may take (Java's `default.api.timeout.ms` is 60 s).
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the cleanup-policy check waits for DescribeConfigs.
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

/// One internal topic: its name, the worker property that names it, and how to create it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalTopic {
    /// The topic name.
    pub name: String,
    /// The worker property that supplied it (`config.storage.topic`, ...).
    pub property: &'static str,
    /// What it keeps, as Java's messages name it ("connector configurations", ...).
    pub purpose: &'static str,
    /// Partitions when created (`-1`: broker default).
    pub partitions: i32,
    /// Replication factor when created (`-1`: broker default).
    pub replication_factor: i32,
    /// Whether the topic must have exactly one partition (the config topic).
    pub single_partition: bool,
}

impl InternalTopic {
    /// The config topic: always one partition.
    pub fn config(name: impl Into<String>, replication_factor: i32) -> Self {
        InternalTopic {
            name: name.into(),
            property: CONFIG_TOPIC_CONFIG,
            purpose: "connector configurations",
            partitions: 1,
            replication_factor,
            single_partition: true,
        }
    }

    /// The offsets topic (Java's defaults: 25 partitions, replication 3).
    pub fn offsets(name: impl Into<String>, partitions: i32, replication_factor: i32) -> Self {
        InternalTopic {
            name: name.into(),
            property: OFFSET_STORAGE_TOPIC_CONFIG,
            purpose: "source connector offsets",
            partitions,
            replication_factor,
            single_partition: false,
        }
    }

    /// The status topic (Java's defaults: 5 partitions, replication 3).
    pub fn status(name: impl Into<String>, partitions: i32, replication_factor: i32) -> Self {
        InternalTopic {
            name: name.into(),
            property: STATUS_STORAGE_TOPIC_CONFIG,
            purpose: "connector and task statuses",
            partitions,
            replication_factor,
            single_partition: false,
        }
    }
}

/// A failure to create or check an internal topic.
#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    /// The topic's cleanup policy is not exactly `compact` (Java's `ConfigException`).
    #[error(
        "Topic '{topic}' supplied via the '{property}' property is required to have \
         'cleanup.policy=compact' to guarantee consistency and durability of {purpose}, but \
         found the topic currently has 'cleanup.policy={found}'. Continuing would likely result \
         in eventually losing {purpose} and problems restarting this Connect cluster in the \
         future. Change the '{property}' property in the Connect worker configurations to use \
         a topic with 'cleanup.policy=compact'."
    )]
    NotCompacted {
        /// The topic.
        topic: String,
        /// The worker property.
        property: &'static str,
        /// What the topic keeps.
        purpose: &'static str,
        /// The policies found, comma-separated.
        found: String,
    },
    /// The config topic has more than one partition (Java's `ConfigException`).
    #[error(
        "Topic '{topic}' supplied via the '{property}' property is required to have a single \
         partition in order to guarantee consistency of connector configurations, but found \
         {partitions} partitions."
    )]
    NotSinglePartition {
        /// The topic.
        topic: String,
        /// The worker property.
        property: &'static str,
        /// The partitions found.
        partitions: usize,
    },
    /// CreateTopics failed.
    #[error("Error while attempting to create/find topic(s) '{topic}': {source}")]
    Create {
        /// The topic.
        topic: String,
        /// The client error.
        #[source]
        source: KafkaError,
    },
    /// Metadata or configs could not be read.
    #[error("Error while attempting to describe topic '{topic}': {source}")]
    Describe {
        /// The topic.
        topic: String,
        /// The client error.
        #[source]
        source: KafkaError,
    },
}

/// Creates `topic` if it is missing, else checks it; gives whether it was created.
pub async fn ensure_topic(
    admin: &Arc<AdminClient<DefaultClientContext>>,
    topic: &InternalTopic,
) -> Result<bool, TopicError> {
    let key = (topic.name.clone(), topic.property);
    if checked()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&key)
    {
        return Ok(false);
    }
    // Look first: a broker without CreateTopics (librdkafka's mock cluster) still serves
    // topics created beforehand, and an existing topic needs no create request.
    let view = cluster_view(admin, &topic.name).await?;
    let created = if view.partitions > 0 {
        false
    } else {
        create_if_missing(admin, topic).await?
    };
    if created {
        tracing::info!(topic = %topic.name, partitions = topic.partitions, "Created internal topic");
    } else {
        check_cleanup_policy(admin, topic, &view).await?;
    }
    if topic.single_partition {
        let partitions = if created {
            cluster_view(admin, &topic.name).await?.partitions
        } else {
            view.partitions
        };
        if partitions > 1 {
            return Err(TopicError::NotSinglePartition {
                topic: topic.name.clone(),
                property: topic.property,
                partitions,
            });
        }
    }
    checked()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key);
    Ok(created)
}

/// Topics this process already created or checked, with the worker property they serve:
/// the stores and the worker start-up check each topic once, not once per caller.
type Checked = std::sync::Mutex<std::collections::HashSet<(String, &'static str)>>;

fn checked() -> &'static Checked {
    static CHECKED: std::sync::OnceLock<Checked> = std::sync::OnceLock::new();
    CHECKED.get_or_init(Default::default)
}

async fn create_if_missing(
    admin: &AdminClient<DefaultClientContext>,
    topic: &InternalTopic,
) -> Result<bool, TopicError> {
    let partitions = if topic.single_partition {
        1
    } else {
        topic.partitions
    };
    let new = NewTopic::new(
        &topic.name,
        partitions,
        TopicReplication::Fixed(topic.replication_factor),
    )
    .set("cleanup.policy", "compact");
    let options = AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT));
    let create_error = |source| TopicError::Create {
        topic: topic.name.clone(),
        source,
    };
    let results = admin
        .create_topics([&new], &options)
        .await
        .map_err(create_error)?;
    match results.into_iter().next() {
        Some(Ok(_)) => Ok(true),
        Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) => Ok(false),
        Some(Err((_, code))) => Err(create_error(KafkaError::AdminOp(code))),
        None => Err(create_error(KafkaError::AdminOp(RDKafkaErrorCode::Fail))),
    }
}

/// The policies in a `cleanup.policy` value, lower case, without blanks.
fn policies(value: &str) -> Vec<String> {
    let mut found: Vec<String> = value
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    found.sort();
    found.dedup();
    found
}

async fn check_cleanup_policy(
    admin: &AdminClient<DefaultClientContext>,
    topic: &InternalTopic,
    view: &ClusterView,
) -> Result<(), TopicError> {
    if !view.controller_is_a_broker() {
        tracing::warn!(
            topic = %topic.name,
            controller = ?view.controller,
            brokers = ?view.brokers,
            "The broker's metadata names no controller among its brokers, so the cleanup \
             policy of '{}' cannot be described (librdkafka sends DescribeConfigs to the \
             controller); continuing without verifying that it is 'compact'.",
            topic.name
        );
        return Ok(());
    }
    let options = AdminOptions::new().request_timeout(Some(DESCRIBE_TIMEOUT));
    let results = match admin
        .describe_configs([&ResourceSpecifier::Topic(&topic.name)], &options)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(topic = %topic.name, error = %e, "Could not describe the topic's configs to verify its cleanup policy; continuing.");
            Vec::new()
        }
    };
    let value = results
        .into_iter()
        .find_map(|r| r.ok())
        .and_then(|resource| resource.get("cleanup.policy").and_then(|e| e.value.clone()));
    let found = value.as_deref().map(policies).unwrap_or_default();
    if found.is_empty() {
        tracing::info!(
            topic = %topic.name,
            "Unable to use admin client to verify the cleanup policy of '{}' topic is 'compact', \
             either because the broker is an older version or because the Kafka principal used \
             for Connect internal topics does not have the required permission to describe topic \
             configurations.",
            topic.name
        );
        return Ok(());
    }
    if found != ["compact"] {
        return Err(TopicError::NotCompacted {
            topic: topic.name.clone(),
            property: topic.property,
            purpose: topic.purpose,
            found: found.join(","),
        });
    }
    Ok(())
}

/// What the metadata says about a topic and the cluster.
#[derive(Debug)]
struct ClusterView {
    /// The topic's partitions (0: missing).
    partitions: usize,
    /// The ids of the brokers.
    brokers: Vec<i32>,
    /// The controller's id, when the client knows one.
    controller: Option<i32>,
}

impl ClusterView {
    /// Whether DescribeConfigs can be sent: librdkafka waits for the controller the
    /// metadata names to be one of the brokers.
    fn controller_is_a_broker(&self) -> bool {
        self.controller.is_some_and(|c| self.brokers.contains(&c))
    }
}

/// The controller id the client took from the last metadata response (`None`: none known).
#[allow(unsafe_code)]
fn known_controller(admin: &AdminClient<DefaultClientContext>) -> Option<i32> {
    // rdkafka has no safe accessor for the controller id.
    // SAFETY: the pointer is the live client handle owned by `admin`, borrowed for the call;
    // with a timeout of 0 `rd_kafka_controllerid` only reads the cached id, without blocking.
    let id = unsafe { rdkafka::bindings::rd_kafka_controllerid(admin.inner().native_ptr(), 0) };
    (id >= 0).then_some(id)
}

async fn cluster_view(
    admin: &Arc<AdminClient<DefaultClientContext>>,
    name: &str,
) -> Result<ClusterView, TopicError> {
    let describe = |source| TopicError::Describe {
        topic: name.to_string(),
        source,
    };
    let client = admin.clone();
    let metadata = tokio::task::spawn_blocking(move || {
        // Metadata of every topic: asking for one topic by name could make a broker with
        // auto.create.topics.enable create it, with the wrong settings.
        client.inner().fetch_metadata(None, ADMIN_TIMEOUT)
    })
    .await
    .map_err(|_| describe(KafkaError::Canceled))?
    .map_err(describe)?;
    Ok(ClusterView {
        partitions: metadata
            .topics()
            .iter()
            .filter(|t| t.name() == name)
            .map(|t| t.partitions().len())
            .sum(),
        brokers: metadata.brokers().iter().map(|b| b.id()).collect(),
        controller: known_controller(admin.as_ref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::config::ClientConfig;
    use rdkafka::mocking::MockCluster;

    /// librdkafka's mock cluster names a controller that is none of its brokers and has no
    /// DescribeConfigs: the policy check is skipped at once instead of timing out, and the
    /// partition check still applies.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_a_reachable_controller_only_the_policy_check_is_skipped() {
        let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
        mock.create_topic("it-mock-configs", 1, 1)
            .unwrap_or_else(|e| panic!("{e}"));
        mock.create_topic("it-mock-configs-2p", 2, 1)
            .unwrap_or_else(|e| panic!("{e}"));
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", mock.bootstrap_servers())
            .create()
            .unwrap_or_else(|e| panic!("{e}"));
        let admin = Arc::new(admin);
        let view = cluster_view(&admin, "it-mock-configs")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(view.partitions, 1, "{view:?}");
        assert!(!view.controller_is_a_broker(), "{view:?}");
        let started = std::time::Instant::now();
        let created = ensure_topic(&admin, &InternalTopic::config("it-mock-configs", 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!created);
        assert!(
            started.elapsed() < DESCRIBE_TIMEOUT,
            "the check waited {:?} for a DescribeConfigs that cannot be sent",
            started.elapsed()
        );
        let err = ensure_topic(&admin, &InternalTopic::config("it-mock-configs-2p", 1))
            .await
            .expect_err("two partitions");
        assert!(
            matches!(err, TopicError::NotSinglePartition { partitions: 2, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn policies_are_normalized() {
        assert_eq!(policies("compact"), ["compact"]);
        assert_eq!(policies(" Compact , "), ["compact"]);
        assert_eq!(policies("delete,compact"), ["compact", "delete"]);
        assert!(policies(" ").is_empty());
    }

    #[test]
    fn java_messages() {
        let e = TopicError::NotCompacted {
            topic: "connect-configs".into(),
            property: CONFIG_TOPIC_CONFIG,
            purpose: "connector configurations",
            found: "delete".into(),
        };
        assert_eq!(
            e.to_string(),
            "Topic 'connect-configs' supplied via the 'config.storage.topic' property is required \
             to have 'cleanup.policy=compact' to guarantee consistency and durability of connector \
             configurations, but found the topic currently has 'cleanup.policy=delete'. Continuing \
             would likely result in eventually losing connector configurations and problems \
             restarting this Connect cluster in the future. Change the 'config.storage.topic' \
             property in the Connect worker configurations to use a topic with \
             'cleanup.policy=compact'."
        );
        let e = TopicError::NotSinglePartition {
            topic: "connect-configs".into(),
            property: CONFIG_TOPIC_CONFIG,
            partitions: 25,
        };
        assert_eq!(
            e.to_string(),
            "Topic 'connect-configs' supplied via the 'config.storage.topic' property is required \
             to have a single partition in order to guarantee consistency of connector \
             configurations, but found 25 partitions."
        );
        let c = InternalTopic::config("c", -1);
        assert_eq!((c.partitions, c.single_partition), (1, true));
        assert_eq!(
            InternalTopic::status("s", 5, 3).purpose,
            "connector and task statuses"
        );
    }
}
