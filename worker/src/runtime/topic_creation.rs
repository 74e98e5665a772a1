//! Topic creation by source connectors (KIP-158), as Java's `TopicCreation`,
//! `TopicCreationGroup` and `AbstractWorkerSourceTask.maybeCreateTopic`.
//!
//! With the worker's `topic.creation.enable` (default true) and any `topic.creation.*` key in
//! a source connector's config, each task checks every topic the first time it writes to it
//! and creates it when missing, with the settings of the first group of
//! `topic.creation.groups` whose `include` regexes match the name and whose `exclude` regexes
//! do not (full matches), else of the `default` group: `partitions`, `replication.factor` (-1:
//! the broker's default; a group without them inherits the default group's) and any other
//! `topic.creation.<group>.<topic config>` as a topic config.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use regex::Regex;
use sluice_api::config::Width;
use sluice_api::{ConfigDef, ConfigError, ConfigKey, ConfigType, Importance, Props, Validator};
use tracing::info;

use super::topic_admin::{find_or_create, TopicOutcome, TopicSpec};

/// `topic.creation.enable` (worker).
pub const TOPIC_CREATION_ENABLE: &str = "topic.creation.enable";
/// `topic.creation.groups` (connector).
pub const TOPIC_CREATION_GROUPS: &str = "topic.creation.groups";
/// The prefix of every topic-creation key.
pub const TOPIC_CREATION_PREFIX: &str = "topic.creation.";
/// The implied group.
pub const DEFAULT_GROUP: &str = "default";

const INCLUDE: &str = "include";
const EXCLUDE: &str = "exclude";
const REPLICATION_FACTOR: &str = "replication.factor";
const PARTITIONS: &str = "partitions";

const INCLUDE_DOC: &str = "A list of regular expression literals used to match the topic names \
    used by the source connector. This list is used to include topics that should be created \
    using the topic settings defined by this group.";
const EXCLUDE_DOC: &str = "A list of regular expression literals used to match the topic names \
    used by the source connector. This list is used to exclude topics from being created with \
    the topic settings defined by this group. Note that exclusion rules have precedent and \
    override any inclusion rules for the topics.";
const REPLICATION_FACTOR_DOC: &str = "The replication factor for new topics created for this \
    connector using this group. This value may be -1 to use the broker's default replication \
    factor, or may be a positive number not larger than the number of brokers in the Kafka \
    cluster. A value larger than the number of brokers in the Kafka cluster will result in an \
    error when the new topic is created. For the default group this configuration is required. \
    For any other group defined in topic.creation.groups this config is optional and if it's \
    missing it gets the value of the default group";
const PARTITIONS_DOC: &str = "The number of partitions new topics created for this connector. \
    This value may be -1 to use the broker's default number of partitions, or a positive number \
    representing the desired number of partitions. For the default group this configuration is \
    required. For any other group defined in topic.creation.groups this config is optional and \
    if it's missing it gets the value of the default group";

/// True when the worker allows topic creation (`topic.creation.enable`, default true).
pub fn enabled_by_worker(worker: &Props) -> bool {
    worker
        .get(TOPIC_CREATION_ENABLE)
        .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"))
}

/// True when a connector config uses topic creation (has a `topic.creation.*` key).
pub fn used_by(connector: &Props) -> bool {
    connector
        .keys()
        .any(|k| k.starts_with(TOPIC_CREATION_PREFIX))
}

/// The groups listed in `topic.creation.groups`, distinct, without `default`.
fn listed_groups(connector: &Props) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    for g in connector
        .get(TOPIC_CREATION_GROUPS)
        .map(|v| sluice_api::config::parse_list(v))
        .unwrap_or_default()
    {
        if g != DEFAULT_GROUP && !groups.contains(&g) {
            groups.push(g);
        }
    }
    groups
}

fn partitions_validator() -> Validator {
    Validator::custom(|_, value| match value {
        sluice_api::ConfigValue::Int(n) if *n != -1 && *n < 1 => Err(
            "Number of partitions must be positive, or -1 to use the broker's default".to_string(),
        ),
        _ => Ok(()),
    })
}

fn replication_validator() -> Validator {
    Validator::custom(|_, value| match value {
        sluice_api::ConfigValue::Short(n) if *n != -1 && *n < 1 => Err(
            "Replication factor must be positive and not larger than the number of brokers in \
             the Kafka cluster, or -1 to use the broker's default"
                .to_string(),
        ),
        _ => Ok(()),
    })
}

fn regex_validator() -> Validator {
    Validator::custom(|_, value| {
        if let sluice_api::ConfigValue::List(items) = value {
            for item in items {
                if let Err(e) = Regex::new(item) {
                    return Err(format!("Syntax error in regular expression: {e}"));
                }
            }
        }
        Ok(())
    })
}

/// The keys of the default group and of each listed group, for validation and parsing
/// (Java's `SourceConnectorConfig.enrich`). Listed groups default their partitions and
/// replication factor to the default group's values in `connector`.
pub fn config_def(connector: &Props) -> ConfigDef {
    let mut def = ConfigDef::new();
    let group_keys = |def: &mut ConfigDef, group: &str, defaults: Option<(String, String)>| {
        let prefix = format!("{TOPIC_CREATION_PREFIX}{group}.");
        let display = if group == DEFAULT_GROUP {
            DEFAULT_GROUP.to_string()
        } else {
            format!("Topic Creation Group: {group}")
        };
        let include = ConfigKey::new(
            &format!("{prefix}{INCLUDE}"),
            ConfigType::List,
            Importance::Low,
            INCLUDE_DOC,
        );
        let include = if group == DEFAULT_GROUP {
            include.default(".*")
        } else {
            include.default("").validator(regex_validator())
        };
        def.add(include.display(
            &display,
            1,
            Width::Long,
            &format!("Inclusion Topic Pattern for {display}"),
        ));
        let exclude = ConfigKey::new(
            &format!("{prefix}{EXCLUDE}"),
            ConfigType::List,
            Importance::Low,
            EXCLUDE_DOC,
        )
        .default("");
        let exclude = if group == DEFAULT_GROUP {
            exclude
        } else {
            exclude.validator(regex_validator())
        };
        def.add(exclude.display(
            &display,
            2,
            Width::Long,
            &format!("Exclusion Topic Pattern for {display}"),
        ));
        let mut rf = ConfigKey::new(
            &format!("{prefix}{REPLICATION_FACTOR}"),
            ConfigType::Short,
            Importance::Low,
            REPLICATION_FACTOR_DOC,
        )
        .validator(replication_validator());
        let mut partitions = ConfigKey::new(
            &format!("{prefix}{PARTITIONS}"),
            ConfigType::Int,
            Importance::Low,
            PARTITIONS_DOC,
        )
        .validator(partitions_validator());
        if let Some((d_rf, d_p)) = defaults {
            rf = rf.default(d_rf);
            partitions = partitions.default(d_p);
        }
        def.add(rf.display(
            &display,
            3,
            Width::Long,
            &format!("Replication Factor for Topics in {display}"),
        ));
        def.add(partitions.display(
            &display,
            4,
            Width::Long,
            &format!("Partition Count for Topics in {display}"),
        ));
    };
    group_keys(&mut def, DEFAULT_GROUP, None);
    let inherited = |key: &str, fallback: &str| {
        connector
            .get(&format!("{TOPIC_CREATION_PREFIX}{DEFAULT_GROUP}.{key}"))
            .filter(|v| !v.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| fallback.to_string())
    };
    let defaults = (
        inherited(REPLICATION_FACTOR, "-1"),
        inherited(PARTITIONS, "-1"),
    );
    for group in listed_groups(connector) {
        group_keys(&mut def, &group, Some(defaults.clone()));
    }
    def
}

/// One group's settings.
#[derive(Debug, Clone)]
pub struct TopicCreationGroup {
    /// The group's name.
    pub name: String,
    include: Option<Regex>,
    exclude: Option<Regex>,
    /// Partitions of topics created with this group.
    pub partitions: i32,
    /// Their replication factor.
    pub replication_factor: i32,
    /// Their topic configs.
    pub configs: BTreeMap<String, String>,
}

impl TopicCreationGroup {
    /// Java's `matches`: no exclude regex matches the whole name and an include regex does.
    pub fn matches(&self, topic: &str) -> bool {
        !self.exclude.as_ref().is_some_and(|r| r.is_match(topic))
            && self.include.as_ref().is_some_and(|r| r.is_match(topic))
    }

    /// The topic to create.
    pub fn spec(&self, topic: &str) -> TopicSpec {
        TopicSpec {
            name: topic.to_string(),
            partitions: self.partitions,
            replication_factor: self.replication_factor,
            configs: self.configs.clone().into_iter().collect(),
        }
    }
}

/// Regexes joined into one full-match alternation (`^(?:a|b)$`), as Java joins them with `|`.
fn joined(patterns: &[String]) -> Result<Option<Regex>, regex::Error> {
    if patterns.is_empty() {
        return Ok(None);
    }
    Regex::new(&format!("^(?:{})$", patterns.join("|"))).map(Some)
}

/// Every group of a connector config: the listed ones in order, then `default`.
pub fn parse_groups(connector: &Props) -> Result<Vec<TopicCreationGroup>, ConfigError> {
    let def = config_def(connector);
    let parsed = def.parse(connector).map_err(|e| {
        e.errors
            .into_iter()
            .next()
            .unwrap_or_else(|| ConfigError::general("Invalid topic creation settings"))
    })?;
    let mut names = listed_groups(connector);
    names.push(DEFAULT_GROUP.to_string());
    let mut groups = Vec::new();
    for name in names {
        let prefix = format!("{TOPIC_CREATION_PREFIX}{name}.");
        let key = |k: &str| format!("{prefix}{k}");
        let regex = |k: &str| {
            joined(&parsed.get_list(&key(k))).map_err(|e| {
                ConfigError::invalid(&key(k), parsed.get_list(&key(k)).join(","), e.to_string())
            })
        };
        let rf = match parsed.get(&key(REPLICATION_FACTOR)) {
            Some(sluice_api::ConfigValue::Short(n)) => i32::from(*n),
            _ => -1,
        };
        let partitions = parsed.get_int(&key(PARTITIONS))?;
        let configs = connector
            .iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(&prefix)?;
                (![INCLUDE, EXCLUDE, REPLICATION_FACTOR, PARTITIONS].contains(&rest))
                    .then(|| (rest.to_string(), v.clone()))
            })
            .collect();
        groups.push(TopicCreationGroup {
            include: regex(INCLUDE)?,
            exclude: regex(EXCLUDE)?,
            name,
            partitions,
            replication_factor: rf,
            configs,
        });
    }
    Ok(groups)
}

/// A task's topic creation: the groups, an admin client, and the topics already checked.
pub struct TopicCreator {
    groups: Vec<TopicCreationGroup>,
    admin: Arc<AdminClient<DefaultClientContext>>,
    known: HashSet<String>,
}

impl TopicCreator {
    /// A creator over `admin` with the connector's groups.
    pub fn new(groups: Vec<TopicCreationGroup>, admin: AdminClient<DefaultClientContext>) -> Self {
        TopicCreator {
            groups,
            admin: Arc::new(admin),
            known: HashSet::new(),
        }
    }

    /// The group a topic is created with (the default group is last and includes `.*`).
    pub fn group_for(&self, topic: &str) -> Option<&TopicCreationGroup> {
        self.groups
            .iter()
            .find(|g| g.matches(topic))
            .or_else(|| self.groups.last())
    }

    /// Creates `topic` before the task's first record to it, unless it exists. The error is
    /// Java's message.
    pub async fn ensure(&mut self, topic: &str) -> Result<(), String> {
        if self.known.contains(topic) {
            return Ok(());
        }
        info!(topic, "The task will send records to this topic for the first time. Checking whether the topic exists.");
        let Some(group) = self.group_for(topic) else {
            self.known.insert(topic.to_string());
            return Ok(());
        };
        let spec = group.spec(topic);
        let group_name = group.name.clone();
        match find_or_create(&self.admin, &spec).await {
            Ok(TopicOutcome::Existed) => info!(topic, "Topic already exists."),
            Ok(TopicOutcome::Created) => {
                info!(topic, group = %group_name, partitions = spec.partitions, replication_factor = spec.replication_factor, "Created topic using its topic creation group.")
            }
            Err(e) => {
                return Err(format!(
                    "Task failed to create new topic {topic} (partitions {}, replication factor {}): {e}. Ensure that the task is authorized to create topics or that the topic exists and restart the task",
                    spec.partitions, spec.replication_factor
                ))
            }
        }
        self.known.insert(topic.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        sluice_api::config::props_of(pairs)
    }

    #[test]
    fn groups_match_in_order_with_default_last_and_inherit_its_settings() {
        let groups = parse_groups(&props(&[
            ("topic.creation.groups", "compacted, default, inorder"),
            ("topic.creation.default.replication.factor", "3"),
            ("topic.creation.default.partitions", "5"),
            ("topic.creation.compacted.include", "status.*, config\\..*"),
            ("topic.creation.compacted.exclude", "status-old"),
            ("topic.creation.compacted.cleanup.policy", "compact"),
            ("topic.creation.inorder.include", "orders"),
            ("topic.creation.inorder.partitions", "1"),
            ("topic.creation.default.compression.type", "lz4"),
        ]))
        .expect("groups");
        let names: Vec<_> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["compacted", "inorder", "default"]);
        let find = |t: &str| {
            groups
                .iter()
                .find(|g| g.matches(t))
                .map(|g| g.name.as_str())
        };
        assert_eq!(find("status-new"), Some("compacted"));
        assert_eq!(find("config.x"), Some("compacted"));
        assert_eq!(find("status-old"), Some("default"), "exclude wins");
        assert_eq!(find("orders"), Some("inorder"));
        assert_eq!(find("orders2"), Some("default"), "full matches only");
        let compacted = &groups[0];
        assert_eq!((compacted.partitions, compacted.replication_factor), (5, 3));
        assert_eq!(compacted.configs["cleanup.policy"], "compact");
        assert_eq!((groups[1].partitions, groups[1].replication_factor), (1, 3));
        assert_eq!(groups[2].configs["compression.type"], "lz4");
    }

    #[test]
    fn the_default_group_needs_partitions_and_replication_factor() {
        let e = parse_groups(&props(&[("topic.creation.default.partitions", "3")]))
            .expect_err("no replication factor");
        assert_eq!(
            e.key.as_deref(),
            Some("topic.creation.default.replication.factor")
        );
        let e = parse_groups(&props(&[
            ("topic.creation.default.partitions", "0"),
            ("topic.creation.default.replication.factor", "-1"),
        ]))
        .expect_err("zero partitions");
        assert!(
            e.message.contains(
                "Number of partitions must be positive, or -1 to use the broker's default"
            ),
            "{}",
            e.message
        );
        let e = parse_groups(&props(&[
            ("topic.creation.groups", "g"),
            ("topic.creation.default.partitions", "1"),
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.g.include", "("),
        ]))
        .expect_err("bad regex");
        assert!(
            e.message.contains("Syntax error in regular expression"),
            "{}",
            e.message
        );
    }

    #[test]
    fn use_is_detected_from_any_topic_creation_key_and_the_worker_switch() {
        assert!(used_by(&props(&[(
            "topic.creation.default.partitions",
            "1"
        )])));
        assert!(!used_by(&props(&[("topic", "t")])));
        assert!(enabled_by_worker(&props(&[])));
        assert!(!enabled_by_worker(&props(&[(
            "topic.creation.enable",
            "false"
        )])));
    }
}
