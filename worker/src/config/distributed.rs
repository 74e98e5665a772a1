//! The distributed worker's own keys (Java's `DistributedConfig`), parsed once into
//! [`DistributedConfig`]: the group, the three internal topics, the group-membership timings,
//! the protocol and the inter-worker request signing.
//!
//! The keys shared with standalone mode (`bootstrap.servers`, converters, listeners, …) are
//! [`super::worker`]'s; security settings (`security.protocol`, `ssl.*`, `sasl.*`) are read by
//! each Kafka client from the worker's originals.

use std::time::Duration;

use sluice_api::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Props, Validator};

/// `group.id`.
pub const GROUP_ID: &str = "group.id";
/// `config.storage.topic`.
pub const CONFIG_STORAGE_TOPIC: &str = "config.storage.topic";
/// `config.storage.replication.factor`.
pub const CONFIG_STORAGE_REPLICATION_FACTOR: &str = "config.storage.replication.factor";
/// `offset.storage.topic`.
pub const OFFSET_STORAGE_TOPIC: &str = "offset.storage.topic";
/// `offset.storage.partitions`.
pub const OFFSET_STORAGE_PARTITIONS: &str = "offset.storage.partitions";
/// `offset.storage.replication.factor`.
pub const OFFSET_STORAGE_REPLICATION_FACTOR: &str = "offset.storage.replication.factor";
/// `status.storage.topic`.
pub const STATUS_STORAGE_TOPIC: &str = "status.storage.topic";
/// `status.storage.partitions`.
pub const STATUS_STORAGE_PARTITIONS: &str = "status.storage.partitions";
/// `status.storage.replication.factor`.
pub const STATUS_STORAGE_REPLICATION_FACTOR: &str = "status.storage.replication.factor";
/// `session.timeout.ms`.
pub const SESSION_TIMEOUT_MS: &str = "session.timeout.ms";
/// `heartbeat.interval.ms`.
pub const HEARTBEAT_INTERVAL_MS: &str = "heartbeat.interval.ms";
/// `rebalance.timeout.ms`.
pub const REBALANCE_TIMEOUT_MS: &str = "rebalance.timeout.ms";
/// `worker.sync.timeout.ms`.
pub const WORKER_SYNC_TIMEOUT_MS: &str = "worker.sync.timeout.ms";
/// `worker.unsync.backoff.ms`.
pub const WORKER_UNSYNC_BACKOFF_MS: &str = "worker.unsync.backoff.ms";
/// `connect.protocol`.
pub const CONNECT_PROTOCOL: &str = "connect.protocol";
/// `scheduled.rebalance.max.delay.ms`.
pub const SCHEDULED_REBALANCE_MAX_DELAY_MS: &str = "scheduled.rebalance.max.delay.ms";
/// `exactly.once.source.support`.
pub const EXACTLY_ONCE_SOURCE_SUPPORT: &str = "exactly.once.source.support";
/// `inter.worker.key.generation.algorithm`.
pub const INTER_WORKER_KEY_GENERATION_ALGORITHM: &str = "inter.worker.key.generation.algorithm";
/// `inter.worker.key.size`.
pub const INTER_WORKER_KEY_SIZE: &str = "inter.worker.key.size";
/// `inter.worker.key.ttl.ms`.
pub const INTER_WORKER_KEY_TTL_MS: &str = "inter.worker.key.ttl.ms";
/// `inter.worker.signature.algorithm`.
pub const INTER_WORKER_SIGNATURE_ALGORITHM: &str = "inter.worker.signature.algorithm";
/// `inter.worker.verification.algorithms`.
pub const INTER_WORKER_VERIFICATION_ALGORITHMS: &str = "inter.worker.verification.algorithms";
/// `request.timeout.ms`.
pub const REQUEST_TIMEOUT_MS: &str = "request.timeout.ms";
/// `retry.backoff.ms`.
pub const RETRY_BACKOFF_MS: &str = "retry.backoff.ms";

/// The MAC algorithms Sluice signs and verifies internal requests with (Java names them by
/// their JCA names; a JVM supports these three and HmacSHA1/HmacMD5, which are too weak to
/// be offered here).
pub const SUPPORTED_MAC_ALGORITHMS: [&str; 3] = ["HmacSHA256", "HmacSHA384", "HmacSHA512"];

/// The `connect.protocol` values, in Java's order.
pub const CONNECT_PROTOCOLS: [&str; 3] = ["eager", "compatible", "sessioned"];

/// Every key of a distributed worker beyond the common worker keys, with Java's defaults and
/// documentation.
pub fn distributed_config_def() -> ConfigDef {
    let topic = |name: &'static str, doc: &'static str| {
        ConfigKey::new(name, ConfigType::String, Importance::High, doc)
    };
    let ms = |name: &'static str, default: &'static str, importance: Importance, doc: &str| {
        ConfigKey::new(name, ConfigType::Int, importance, doc).default(default)
    };
    let replication = |name: &'static str, doc: &'static str| {
        ConfigKey::new(name, ConfigType::Short, Importance::Low, doc)
            .default("3")
            .validator(replication_factor_validator())
    };
    let partitions = |name: &'static str, default: &'static str, doc: &'static str| {
        ConfigKey::new(name, ConfigType::Int, Importance::Low, doc)
            .default(default)
            .validator(partitions_validator())
    };
    ConfigDef::new()
        .define(ConfigKey::new(
            GROUP_ID,
            ConfigType::String,
            Importance::High,
            "A unique string that identifies the Connect cluster group this worker belongs to.",
        ))
        .define(ms(
            SESSION_TIMEOUT_MS,
            "10000",
            Importance::High,
            "The timeout used to detect worker failures. The worker sends periodic heartbeats \
             to indicate its liveness to the broker. If no heartbeats are received by the \
             broker before the expiration of this session timeout, then the broker will remove \
             the worker from the group and initiate a rebalance. The value must be in the \
             range the broker allows (group.min.session.timeout.ms and \
             group.max.session.timeout.ms).",
        ))
        .define(ms(
            REBALANCE_TIMEOUT_MS,
            "60000",
            Importance::High,
            "The maximum allowed time for each worker to join the group once a rebalance has \
             begun. If the timeout is exceeded, the worker is removed from the group.",
        ))
        .define(ms(
            HEARTBEAT_INTERVAL_MS,
            "3000",
            Importance::High,
            "The expected time between heartbeats to the group coordinator. Must be lower than \
             session.timeout.ms, typically no higher than 1/3 of it; lower values make normal \
             rebalances faster.",
        ))
        .define(
            ConfigKey::new(
                EXACTLY_ONCE_SOURCE_SUPPORT,
                ConfigType::String,
                Importance::High,
                "Whether to enable exactly-once support for source connectors in the cluster. \
                 Sluice supports only `disabled` (at-least-once delivery); `preparing` and \
                 `enabled` are refused at start.",
            )
            .default("disabled")
            .validator(Validator::one_of_ignore_case(&[
                "disabled",
                "preparing",
                "enabled",
            ])),
        )
        .define(ms(
            WORKER_SYNC_TIMEOUT_MS,
            "3000",
            Importance::Medium,
            "When the worker is out of sync with other workers and needs to resynchronize \
             configurations, wait up to this amount of time before giving up, leaving the \
             group, and waiting a backoff period before rejoining.",
        ))
        .define(ms(
            WORKER_UNSYNC_BACKOFF_MS,
            "300000",
            Importance::Medium,
            "When the worker is out of sync with other workers and fails to catch up within \
             worker.sync.timeout.ms, leave the Connect cluster for this long before rejoining.",
        ))
        .define(
            ConfigKey::new(
                REQUEST_TIMEOUT_MS,
                ConfigType::Int,
                Importance::Medium,
                "How long the group-membership client waits for the response of a request \
                 to the group coordinator.",
            )
            .default("40000")
            .validator(Validator::at_least(0.0)),
        )
        .define(
            ConfigKey::new(
                RETRY_BACKOFF_MS,
                ConfigType::Long,
                Importance::Low,
                "The time to wait before retrying a failed request to the group coordinator.",
            )
            .default("100")
            .validator(Validator::at_least(0.0)),
        )
        .define(topic(
            OFFSET_STORAGE_TOPIC,
            "The name of the Kafka topic where source connector offsets are stored",
        ))
        .define(partitions(
            OFFSET_STORAGE_PARTITIONS,
            "25",
            "The number of partitions used when creating the offset storage topic",
        ))
        .define(replication(
            OFFSET_STORAGE_REPLICATION_FACTOR,
            "Replication factor used when creating the offset storage topic",
        ))
        .define(topic(
            CONFIG_STORAGE_TOPIC,
            "The name of the Kafka topic where connector configurations are stored",
        ))
        .define(replication(
            CONFIG_STORAGE_REPLICATION_FACTOR,
            "Replication factor used when creating the configuration storage topic",
        ))
        .define(topic(
            STATUS_STORAGE_TOPIC,
            "The name of the Kafka topic where connector and task status are stored",
        ))
        .define(partitions(
            STATUS_STORAGE_PARTITIONS,
            "5",
            "The number of partitions used when creating the status storage topic",
        ))
        .define(replication(
            STATUS_STORAGE_REPLICATION_FACTOR,
            "Replication factor used when creating the status storage topic",
        ))
        .define(
            ConfigKey::new(
                CONNECT_PROTOCOL,
                ConfigType::String,
                Importance::Low,
                "Compatibility mode for Kafka Connect Protocol: `eager` (stop-the-world \
                 rebalances), `compatible` (incremental cooperative rebalancing) or `sessioned` \
                 (incremental cooperative rebalancing with signed internal requests).",
            )
            .default("sessioned")
            .validator(Validator::Custom(std::sync::Arc::new(
                |_: &str, value: &ConfigValue| match value {
                    ConfigValue::String(s)
                        if CONNECT_PROTOCOLS
                            .iter()
                            .any(|p| p.eq_ignore_ascii_case(s.trim())) =>
                    {
                        Ok(())
                    }
                    _ => Err("Invalid Connect protocol compatibility".to_string()),
                },
            ))),
        )
        .define(
            ConfigKey::new(
                SCHEDULED_REBALANCE_MAX_DELAY_MS,
                ConfigType::Int,
                Importance::Low,
                "The maximum delay that is scheduled in order to wait for the return of one or \
                 more departed workers before rebalancing and reassigning their connectors and \
                 tasks to the group. During this period the connectors and tasks of the departed \
                 workers remain unassigned",
            )
            .default("300000")
            .validator(Validator::between(0.0, f64::from(i32::MAX))),
        )
        .define(
            ConfigKey::new(
                INTER_WORKER_KEY_TTL_MS,
                ConfigType::Int,
                Importance::Low,
                "The TTL of generated session keys used for internal request validation (in \
                 milliseconds)",
            )
            .default("3600000")
            .validator(Validator::between(0.0, f64::from(i32::MAX))),
        )
        .define(
            ConfigKey::new(
                INTER_WORKER_KEY_GENERATION_ALGORITHM,
                ConfigType::String,
                Importance::Low,
                "The algorithm to use for generating internal request keys (HmacSHA256, \
                 HmacSHA384 or HmacSHA512).",
            )
            .default("HmacSHA256")
            .validator(mac_validator()),
        )
        .define(
            ConfigKey::new(
                INTER_WORKER_KEY_SIZE,
                ConfigType::Int,
                Importance::Low,
                "The size of the key to use for signing internal requests, in bits. If null, \
                 the default key size for the key generation algorithm will be used.",
            )
            .default_null(),
        )
        .define(
            ConfigKey::new(
                INTER_WORKER_SIGNATURE_ALGORITHM,
                ConfigType::String,
                Importance::Low,
                "The algorithm used to sign internal requests (HmacSHA256, HmacSHA384 or \
                 HmacSHA512).",
            )
            .default("HmacSHA256")
            .validator(mac_validator()),
        )
        .define(
            ConfigKey::new(
                INTER_WORKER_VERIFICATION_ALGORITHMS,
                ConfigType::List,
                Importance::Low,
                "A list of permitted algorithms for verifying internal requests, which must \
                 include the algorithm used for the inter.worker.signature.algorithm property.",
            )
            .default("HmacSHA256")
            .validator(Validator::Custom(std::sync::Arc::new(
                |_: &str, value: &ConfigValue| {
                    let list = match value {
                        ConfigValue::List(l) => l.clone(),
                        _ => Vec::new(),
                    };
                    if list.is_empty() {
                        return Err(
                            "At least one signature verification algorithm must be provided"
                                .to_string(),
                        );
                    }
                    for algorithm in &list {
                        check_mac(algorithm)?;
                    }
                    Ok(())
                },
            ))),
        )
}

fn partitions_validator() -> Validator {
    Validator::Custom(std::sync::Arc::new(
        |_: &str, value: &ConfigValue| match value {
            ConfigValue::Int(n) if *n == -1 || *n >= 1 => Ok(()),
            _ => Err(
                "Number of partitions must be positive, or -1 to use the broker's default"
                    .to_string(),
            ),
        },
    ))
}

fn replication_factor_validator() -> Validator {
    Validator::Custom(std::sync::Arc::new(|_: &str, value: &ConfigValue| {
        match value {
            ConfigValue::Short(n) if *n == -1 || *n >= 1 => Ok(()),
            _ => Err("Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default".to_string()),
        }
    }))
}

fn mac_validator() -> Validator {
    Validator::Custom(std::sync::Arc::new(
        |_: &str, value: &ConfigValue| match value {
            ConfigValue::String(s) => check_mac(s),
            _ => Ok(()),
        },
    ))
}

fn check_mac(algorithm: &str) -> Result<(), String> {
    if SUPPORTED_MAC_ALGORITHMS.contains(&algorithm) {
        Ok(())
    } else {
        Err(format!(
            "the algorithm is not supported by this worker; the supported algorithms are: [{}]",
            SUPPORTED_MAC_ALGORITHMS.join(", ")
        ))
    }
}

/// `connect.protocol`, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectProtocolSetting {
    /// `eager`: version 0, stop-the-world rebalances.
    Eager,
    /// `compatible`: version 1, incremental cooperative rebalancing.
    Compatible,
    /// `sessioned`: version 2, incremental cooperative with signed internal requests.
    Sessioned,
}

/// The distributed worker's typed configuration.
#[derive(Debug, Clone)]
pub struct DistributedConfig {
    /// `group.id`.
    pub group_id: String,
    /// `config.storage.topic`.
    pub config_topic: String,
    /// `config.storage.replication.factor` (-1 = the broker's default).
    pub config_replication_factor: i32,
    /// `offset.storage.topic`.
    pub offset_topic: String,
    /// `offset.storage.partitions` (-1 = the broker's default).
    pub offset_partitions: i32,
    /// `offset.storage.replication.factor`.
    pub offset_replication_factor: i32,
    /// `status.storage.topic`.
    pub status_topic: String,
    /// `status.storage.partitions`.
    pub status_partitions: i32,
    /// `status.storage.replication.factor`.
    pub status_replication_factor: i32,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `rebalance.timeout.ms`.
    pub rebalance_timeout: Duration,
    /// `worker.sync.timeout.ms`.
    pub worker_sync_timeout: Duration,
    /// `worker.unsync.backoff.ms`.
    pub worker_unsync_backoff: Duration,
    /// `request.timeout.ms`.
    pub request_timeout: Duration,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
    /// `connect.protocol`.
    pub connect_protocol: ConnectProtocolSetting,
    /// `scheduled.rebalance.max.delay.ms`.
    pub scheduled_rebalance_max_delay: Duration,
    /// `inter.worker.key.generation.algorithm`.
    pub key_generation_algorithm: String,
    /// `inter.worker.key.size` in bits (`None` = the algorithm's default).
    pub key_size_bits: Option<u32>,
    /// `inter.worker.key.ttl.ms`.
    pub key_ttl: Duration,
    /// `inter.worker.signature.algorithm`.
    pub signature_algorithm: String,
    /// `inter.worker.verification.algorithms`.
    pub verification_algorithms: Vec<String>,
}

impl DistributedConfig {
    /// Parses the distributed keys of `props`; the error is every problem in Java's wording,
    /// one per line, each naming its key.
    pub fn parse(props: &Props) -> Result<Self, String> {
        let parsed = distributed_config_def().parse(props).map_err(|e| {
            e.errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        let int = |key: &str| -> Result<i32, String> { parsed.get_int(key).map_err(|e| e.message) };
        let ms = |key: &str| -> Result<Duration, String> {
            let v = parsed.get_long(key).map_err(|e| e.message)?;
            Ok(Duration::from_millis(u64::try_from(v).unwrap_or(0)))
        };
        let string = |key: &str| -> Result<String, String> {
            Ok(parsed
                .require_string(key)
                .map_err(|e| e.message)?
                .to_string())
        };
        let eos = string(EXACTLY_ONCE_SOURCE_SUPPORT)?;
        if !eos.eq_ignore_ascii_case("disabled") {
            return Err(format!(
                "Invalid value {eos} for configuration {EXACTLY_ONCE_SOURCE_SUPPORT}: Sluice does not support exactly-once source connectors; use disabled (at-least-once delivery)"
            ));
        }
        let protocol = string(CONNECT_PROTOCOL)?;
        let connect_protocol = match protocol.trim().to_ascii_lowercase().as_str() {
            "eager" => ConnectProtocolSetting::Eager,
            "compatible" => ConnectProtocolSetting::Compatible,
            _ => ConnectProtocolSetting::Sessioned,
        };
        let signature_algorithm = string(INTER_WORKER_SIGNATURE_ALGORITHM)?;
        let verification_algorithms = parsed.get_list(INTER_WORKER_VERIFICATION_ALGORITHMS);
        if !verification_algorithms.contains(&signature_algorithm) {
            return Err(format!(
                "Invalid value {signature_algorithm} for configuration {INTER_WORKER_SIGNATURE_ALGORITHM}: Signature algorithm must be present in {INTER_WORKER_VERIFICATION_ALGORITHMS} list"
            ));
        }
        let key_size_bits = match parsed.get(INTER_WORKER_KEY_SIZE) {
            Some(ConfigValue::Int(bits)) => {
                let key_algorithm = string(INTER_WORKER_KEY_GENERATION_ALGORITHM)?;
                match u32::try_from(*bits) {
                    Ok(b) if b >= 8 && b % 8 == 0 => Some(b),
                    _ => {
                        return Err(format!(
                            "Unable to create key generator with algorithm {key_algorithm} and key size {bits}: {INTER_WORKER_KEY_SIZE} must be a positive multiple of 8"
                        ))
                    }
                }
            }
            _ => None,
        };
        Ok(DistributedConfig {
            group_id: string(GROUP_ID)?,
            config_topic: string(CONFIG_STORAGE_TOPIC)?,
            config_replication_factor: int(CONFIG_STORAGE_REPLICATION_FACTOR)?,
            offset_topic: string(OFFSET_STORAGE_TOPIC)?,
            offset_partitions: int(OFFSET_STORAGE_PARTITIONS)?,
            offset_replication_factor: int(OFFSET_STORAGE_REPLICATION_FACTOR)?,
            status_topic: string(STATUS_STORAGE_TOPIC)?,
            status_partitions: int(STATUS_STORAGE_PARTITIONS)?,
            status_replication_factor: int(STATUS_STORAGE_REPLICATION_FACTOR)?,
            session_timeout: ms(SESSION_TIMEOUT_MS)?,
            heartbeat_interval: ms(HEARTBEAT_INTERVAL_MS)?,
            rebalance_timeout: ms(REBALANCE_TIMEOUT_MS)?,
            worker_sync_timeout: ms(WORKER_SYNC_TIMEOUT_MS)?,
            worker_unsync_backoff: ms(WORKER_UNSYNC_BACKOFF_MS)?,
            request_timeout: ms(REQUEST_TIMEOUT_MS)?,
            retry_backoff: ms(RETRY_BACKOFF_MS)?,
            connect_protocol,
            scheduled_rebalance_max_delay: ms(SCHEDULED_REBALANCE_MAX_DELAY_MS)?,
            key_generation_algorithm: string(INTER_WORKER_KEY_GENERATION_ALGORITHM)?,
            key_size_bits,
            key_ttl: ms(INTER_WORKER_KEY_TTL_MS)?,
            signature_algorithm,
            verification_algorithms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        sluice_api::config::props_of(pairs)
    }

    fn minimal() -> Props {
        props(&[
            ("group.id", "connect-cluster"),
            ("config.storage.topic", "connect-configs"),
            ("offset.storage.topic", "connect-offsets"),
            ("status.storage.topic", "connect-status"),
        ])
    }

    #[test]
    fn java_defaults() {
        let c = DistributedConfig::parse(&minimal()).expect("parses");
        assert_eq!(c.group_id, "connect-cluster");
        assert_eq!(c.config_topic, "connect-configs");
        assert_eq!(c.config_replication_factor, 3);
        assert_eq!((c.offset_partitions, c.offset_replication_factor), (25, 3));
        assert_eq!((c.status_partitions, c.status_replication_factor), (5, 3));
        assert_eq!(c.session_timeout, Duration::from_secs(10));
        assert_eq!(c.heartbeat_interval, Duration::from_secs(3));
        assert_eq!(c.rebalance_timeout, Duration::from_secs(60));
        assert_eq!(c.worker_sync_timeout, Duration::from_secs(3));
        assert_eq!(c.worker_unsync_backoff, Duration::from_secs(300));
        assert_eq!(c.request_timeout, Duration::from_secs(40));
        assert_eq!(c.retry_backoff, Duration::from_millis(100));
        assert_eq!(c.connect_protocol, ConnectProtocolSetting::Sessioned);
        assert_eq!(c.scheduled_rebalance_max_delay, Duration::from_secs(300));
        assert_eq!(c.key_generation_algorithm, "HmacSHA256");
        assert_eq!(c.key_size_bits, None);
        assert_eq!(c.key_ttl, Duration::from_secs(3600));
        assert_eq!(c.signature_algorithm, "HmacSHA256");
        assert_eq!(c.verification_algorithms, vec!["HmacSHA256".to_string()]);
    }

    #[test]
    fn required_keys_are_named() {
        let err = DistributedConfig::parse(&props(&[("group.id", "g")])).expect_err("fails");
        assert!(
            err.contains(
                "Missing required configuration \"config.storage.topic\" which has no default value."
            ),
            "{err}"
        );
        assert!(err.contains("offset.storage.topic"), "{err}");
        assert!(err.contains("status.storage.topic"), "{err}");
    }

    #[test]
    fn protocol_is_case_insensitive_and_checked() {
        let mut p = minimal();
        p.insert("connect.protocol".into(), "EAGER".into());
        assert_eq!(
            DistributedConfig::parse(&p)
                .expect("parses")
                .connect_protocol,
            ConnectProtocolSetting::Eager
        );
        p.insert("connect.protocol".into(), "Compatible".into());
        assert_eq!(
            DistributedConfig::parse(&p)
                .expect("parses")
                .connect_protocol,
            ConnectProtocolSetting::Compatible
        );
        p.insert("connect.protocol".into(), "cooperative".into());
        let err = DistributedConfig::parse(&p).expect_err("fails");
        assert_eq!(
            err,
            "Invalid value cooperative for configuration connect.protocol: Invalid Connect protocol compatibility"
        );
    }

    #[test]
    fn signature_algorithm_must_be_verifiable() {
        let mut p = minimal();
        p.insert(
            "inter.worker.signature.algorithm".into(),
            "HmacSHA512".into(),
        );
        let err = DistributedConfig::parse(&p).expect_err("fails");
        assert_eq!(
            err,
            "Invalid value HmacSHA512 for configuration inter.worker.signature.algorithm: Signature algorithm must be present in inter.worker.verification.algorithms list"
        );
        p.insert(
            "inter.worker.verification.algorithms".into(),
            "HmacSHA256, HmacSHA512".into(),
        );
        let c = DistributedConfig::parse(&p).expect("parses");
        assert_eq!(c.verification_algorithms, vec!["HmacSHA256", "HmacSHA512"]);
        p.insert("inter.worker.verification.algorithms".into(), "".into());
        let err = DistributedConfig::parse(&p).expect_err("fails");
        assert!(
            err.contains("At least one signature verification algorithm must be provided"),
            "{err}"
        );
        p.insert(
            "inter.worker.verification.algorithms".into(),
            "HmacMD4".into(),
        );
        let err = DistributedConfig::parse(&p).expect_err("fails");
        assert!(
            err.starts_with("Invalid value HmacMD4 for configuration inter.worker.verification.algorithms: the algorithm is not supported"),
            "{err}"
        );
    }

    #[test]
    fn partitions_and_replication_factors_are_validated() {
        let mut p = minimal();
        p.insert("offset.storage.partitions".into(), "0".into());
        p.insert("status.storage.replication.factor".into(), "-2".into());
        let err = DistributedConfig::parse(&p).expect_err("fails");
        assert!(err.contains("Invalid value 0 for configuration offset.storage.partitions: Number of partitions must be positive, or -1 to use the broker's default"), "{err}");
        assert!(err.contains("Invalid value -2 for configuration status.storage.replication.factor: Replication factor must be positive"), "{err}");
        p.insert("offset.storage.partitions".into(), "-1".into());
        p.insert("status.storage.replication.factor".into(), "-1".into());
        let c = DistributedConfig::parse(&p).expect("parses");
        assert_eq!((c.offset_partitions, c.status_replication_factor), (-1, -1));
    }

    #[test]
    fn exactly_once_source_is_refused_clearly() {
        let mut p = minimal();
        p.insert("exactly.once.source.support".into(), "enabled".into());
        let err = DistributedConfig::parse(&p).expect_err("fails");
        assert!(err.contains("exactly.once.source.support"), "{err}");
        assert!(err.contains("does not support exactly-once"), "{err}");
        p.insert("exactly.once.source.support".into(), "DISABLED".into());
        assert!(DistributedConfig::parse(&p).is_ok());
    }

    #[test]
    fn key_size_must_be_whole_bytes() {
        let mut p = minimal();
        p.insert("inter.worker.key.size".into(), "512".into());
        assert_eq!(
            DistributedConfig::parse(&p).expect("parses").key_size_bits,
            Some(512)
        );
        p.insert("inter.worker.key.size".into(), "100".into());
        let err = DistributedConfig::parse(&p).expect_err("fails");
        assert!(err.contains("inter.worker.key.size"), "{err}");
    }
}
