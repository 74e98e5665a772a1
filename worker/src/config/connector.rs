//! Connector configuration: reading connector files as connect-standalone does, and the
//! connector-level keys every connector has (`ConnectorConfig`, `SinkConnectorConfig`,
//! `SourceConnectorConfig`), parsed once into [`ConnectorConfig`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sluice_api::config::{ConfigErrors, Width};
use sluice_api::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Props, Validator};

use super::{props_file, ConfigFileError};
use crate::model::TargetState;

/// `name`.
pub const NAME: &str = "name";
/// `connector.class`.
pub const CONNECTOR_CLASS: &str = "connector.class";
/// `tasks.max`.
pub const TASKS_MAX: &str = "tasks.max";
/// `tasks.max.enforce`.
pub const TASKS_MAX_ENFORCE: &str = "tasks.max.enforce";
/// `transforms`.
pub const TRANSFORMS: &str = "transforms";
/// `predicates`.
pub const PREDICATES: &str = "predicates";
/// `topics` (sinks).
pub const TOPICS: &str = "topics";
/// `topics.regex` (sinks).
pub const TOPICS_REGEX: &str = "topics.regex";
/// `errors.retry.timeout`: how long (ms) a retriable failure is retried; 0 = never, -1 =
/// forever.
pub const ERRORS_RETRY_TIMEOUT: &str = "errors.retry.timeout";
/// `errors.retry.delay.max.ms`: the cap of the exponential backoff between retries.
pub const ERRORS_RETRY_MAX_DELAY: &str = "errors.retry.delay.max.ms";
/// `errors.tolerance`: `none` (the first failed record fails the task) or `all` (skip it).
pub const ERRORS_TOLERANCE: &str = "errors.tolerance";
/// `errors.log.enable`: log every failure (Java's `LogReporter`).
pub const ERRORS_LOG_ENABLE: &str = "errors.log.enable";
/// `errors.log.include.messages`: include the failed record's whereabouts in those lines.
pub const ERRORS_LOG_INCLUDE_MESSAGES: &str = "errors.log.include.messages";
/// `errors.deadletterqueue.topic.name` (sinks): where failed records are written; blank = no
/// dead-letter queue.
pub const DLQ_TOPIC: &str = "errors.deadletterqueue.topic.name";
/// `errors.deadletterqueue.topic.replication.factor` (sinks): used when the worker creates the
/// dead-letter queue topic.
pub const DLQ_REPLICATION_FACTOR: &str = "errors.deadletterqueue.topic.replication.factor";
/// `errors.deadletterqueue.context.headers.enable` (sinks): add the `__connect.errors.*`
/// headers to dead-letter queue records.
pub const DLQ_CONTEXT_HEADERS: &str = "errors.deadletterqueue.context.headers.enable";

/// The group names Java uses in validation answers.
pub const COMMON_GROUP: &str = "Common";
/// Transforms group.
pub const TRANSFORMS_GROUP: &str = "Transforms";
/// Predicates group.
pub const PREDICATES_GROUP: &str = "Predicates";
/// Error handling group.
pub const ERROR_GROUP: &str = "Error Handling";

/// Source or sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorKind {
    /// A source connector.
    Source,
    /// A sink connector.
    Sink,
}

/// A connector file as given on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorFile {
    /// The file.
    pub path: PathBuf,
    /// The connector name.
    pub name: String,
    /// The raw config (with `name`).
    pub config: Props,
    /// `initial_state`, when the file is a create request that has one.
    pub initial_state: Option<TargetState>,
}

#[derive(Deserialize)]
struct CreateRequest {
    name: Option<String>,
    config: Option<BTreeMap<String, Option<String>>>,
    initial_state: Option<String>,
}

/// A sink connector's consumer group unless `consumer.override.group.id` says otherwise:
/// `connect-<name>` (Java's `SinkUtils.consumerGroupId`).
pub fn sink_group_id(name: &str) -> String {
    format!("connect-{name}")
}

/// Parses `initial_state` (case-insensitive `RUNNING`/`PAUSED`/`STOPPED`).
pub fn parse_initial_state(s: &str) -> Option<TargetState> {
    match s.to_ascii_uppercase().as_str() {
        "RUNNING" => Some(TargetState::Started),
        "PAUSED" => Some(TargetState::Paused),
        "STOPPED" => Some(TargetState::Stopped),
        _ => None,
    }
}

/// Reads a connector file: a flat JSON map, a JSON create request
/// (`{"name","config","initial_state"}`), or a `.properties` file, tried in that order.
pub fn load_connector_file(path: &Path) -> Result<ConnectorFile, ConfigFileError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_connector_file(path, &bytes)
}

/// [`load_connector_file`] on bytes already read.
pub fn parse_connector_file(path: &Path, bytes: &[u8]) -> Result<ConnectorFile, ConfigFileError> {
    let malformed = |message: String| ConfigFileError::Malformed {
        path: path.to_path_buf(),
        message,
    };
    let invalid = |message: String| ConfigFileError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let trimmed = String::from_utf8_lossy(bytes);
    let looks_json = trimmed.trim_start().starts_with('{');
    let (config, initial_state) = if looks_json {
        if let Ok(flat) = serde_json::from_slice::<BTreeMap<String, String>>(bytes) {
            (flat, None)
        } else {
            let req: CreateRequest = serde_json::from_slice(bytes).map_err(|e| {
                malformed(format!(
                    "neither a JSON map of strings nor a connector create request: {e}"
                ))
            })?;
            let mut config: Props = req
                .config
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            let state = match req.initial_state.as_deref() {
                None => None,
                Some(s) => Some(parse_initial_state(s).ok_or_else(|| {
                    invalid(format!(
                        "Invalid value {s} for initial_state: must be one of RUNNING, PAUSED, STOPPED"
                    ))
                })?),
            };
            if let Some(name) = req.name {
                let name = name.trim().to_string();
                match config.get(NAME) {
                    Some(cfg) if *cfg != name => {
                        return Err(invalid(format!(
                            "Connector name configuration ({cfg}) doesn't match connector name in the URL ({name})"
                        )))
                    }
                    _ => {
                        config.insert(NAME.to_string(), name);
                    }
                }
            }
            (config, state)
        }
    } else {
        let props = props_file::parse_properties(bytes).map_err(malformed)?;
        (props, None)
    };
    let name = match config.get(NAME) {
        Some(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => {
            return Err(invalid(format!(
                "Connector configuration at '{}' is missing the mandatory 'name' configuration",
                path.display()
            )))
        }
    };
    Ok(ConnectorFile {
        path: path.to_path_buf(),
        name,
        config,
        initial_state,
    })
}

fn name_validator() -> Validator {
    Validator::custom(|_, v| match v {
        ConfigValue::String(s) if s.is_empty() => Err("String may not be empty".to_string()),
        ConfigValue::String(s) => {
            let controls: Vec<String> = s
                .chars()
                .filter(|c| c.is_control())
                .map(|c| (c as u32).to_string())
                .collect();
            if controls.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "String may not contain control sequences but had the following ASCII chars: {}",
                    controls.join(", ")
                ))
            }
        }
        _ => Err("String may not be empty".to_string()),
    })
}

fn unique_aliases() -> Validator {
    Validator::custom(|_, v| match v {
        ConfigValue::List(items) => {
            let mut seen = std::collections::HashSet::new();
            if items.iter().all(|i| seen.insert(i)) {
                Ok(())
            } else {
                Err("Duplicate alias provided.".to_string())
            }
        }
        _ => Ok(()),
    })
}

/// The keys every connector has (`ConnectorConfig.configDef()`).
pub fn common_config_def() -> ConfigDef {
    let common = |k: ConfigKey, order: i32, width: Width, display: &str| {
        k.display(COMMON_GROUP, order, width, display)
    };
    let errors = |k: ConfigKey, order: i32, width: Width, display: &str| {
        k.display(ERROR_GROUP, order, width, display)
    };
    ConfigDef::new()
        .define(common(
            ConfigKey::new(
                NAME,
                ConfigType::String,
                Importance::High,
                "Globally unique name to use for this connector.",
            )
            .validator(name_validator()),
            1,
            Width::Medium,
            "Connector name",
        ))
        .define(common(
            ConfigKey::new(
                CONNECTOR_CLASS,
                ConfigType::String,
                Importance::High,
                "Name or alias of the class for this connector. Must be a subclass of \
                 org.apache.kafka.connect.connector.Connector. If the connector is \
                 org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify \
                 this full name,  or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make \
                 the configuration a bit shorter",
            ),
            2,
            Width::Long,
            "Connector class",
        ))
        .define(common(
            ConfigKey::new(
                TASKS_MAX,
                ConfigType::Int,
                Importance::High,
                "Maximum number of tasks to use for this connector.",
            )
            .default("1")
            .validator(Validator::at_least(1.0)),
            3,
            Width::Short,
            "Tasks max",
        ))
        .define(common(
            ConfigKey::new(
                TASKS_MAX_ENFORCE,
                ConfigType::Boolean,
                Importance::Low,
                "(Deprecated) Whether to enforce that the tasks.max property is respected by the \
                 connector. By default, connectors that generate too many tasks will fail.",
            )
            .default("true"),
            4,
            Width::Short,
            "Enforce tasks max",
        ))
        .define(common(
            ConfigKey::new(
                "key.converter",
                ConfigType::Class,
                Importance::Low,
                "Converter class used to convert between Kafka Connect format and the serialized \
                 form that is written to Kafka. This controls the format of the keys in messages \
                 written to or read from Kafka. Inherited from the worker when unset; when set, \
                 only this connector's `key.converter.*` keys configure it.",
            )
            .default_null(),
            5,
            Width::Short,
            "Key converter class",
        ))
        .define(common(
            ConfigKey::new(
                "value.converter",
                ConfigType::Class,
                Importance::Low,
                "Converter class used to convert between Kafka Connect format and the serialized \
                 form that is written to Kafka. This controls the format of the values in messages \
                 written to or read from Kafka. Inherited from the worker when unset; when set, \
                 only this connector's `value.converter.*` keys configure it.",
            )
            .default_null(),
            6,
            Width::Short,
            "Value converter class",
        ))
        .define(common(
            ConfigKey::new(
                "header.converter",
                ConfigType::Class,
                Importance::Low,
                "HeaderConverter class used to convert between Kafka Connect format and the \
                 serialized form that is written to Kafka. This controls the format of the header \
                 values in messages written to or read from Kafka. Inherited from the worker when \
                 unset.",
            )
            .default_null(),
            7,
            Width::Short,
            "Header converter class",
        ))
        .define(
            ConfigKey::new(
                TRANSFORMS,
                ConfigType::List,
                Importance::Low,
                "Aliases for the transformations to be applied to records.",
            )
            .default("")
            .validator(unique_aliases())
            .display(TRANSFORMS_GROUP, 8, Width::Long, "Transforms"),
        )
        .define(
            ConfigKey::new(
                PREDICATES,
                ConfigType::List,
                Importance::Low,
                "Aliases for the predicates used by transformations.",
            )
            .default("")
            .validator(unique_aliases())
            .display(PREDICATES_GROUP, 9, Width::Long, "Predicates"),
        )
        .define(common(
            ConfigKey::new(
                "config.action.reload",
                ConfigType::String,
                Importance::Low,
                "The action that Connect should take on the connector when changes in external \
                 configuration providers result in a change in the connector's configuration \
                 properties. A value of 'none' indicates that Connect will do nothing. A value of \
                 'restart' indicates that Connect should restart/reload the connector with the \
                 updated configuration properties.",
            )
            .default("restart")
            .validator(Validator::one_of(&["none", "restart"])),
            10,
            Width::Medium,
            "Reload Action",
        ))
        .define(errors(
            ConfigKey::new(
                ERRORS_RETRY_TIMEOUT,
                ConfigType::Long,
                Importance::Medium,
                "The maximum duration in milliseconds that a failed operation will be \
                 reattempted. The default is 0, which means no retries will be attempted. Use -1 \
                 for infinite retries.",
            )
            .default("0"),
            1,
            Width::Medium,
            "Retry Timeout for Errors",
        ))
        .define(errors(
            ConfigKey::new(
                ERRORS_RETRY_MAX_DELAY,
                ConfigType::Long,
                Importance::Medium,
                "The maximum duration in milliseconds between consecutive retry attempts. Jitter \
                 will be added to the delay once this limit is reached to prevent thundering herd \
                 issues.",
            )
            .default("60000"),
            2,
            Width::Medium,
            "Maximum Delay Between Retries for Errors",
        ))
        .define(errors(
            ConfigKey::new(
                ERRORS_TOLERANCE,
                ConfigType::String,
                Importance::Medium,
                "Behavior for tolerating errors during connector operation. 'none' is the default \
                 value and signals that any error will result in an immediate connector task \
                 failure; 'all' changes the behavior to skip over problematic records.",
            )
            .default("none")
            .validator(Validator::one_of(&["none", "all"])),
            3,
            Width::Short,
            "Error Tolerance",
        ))
        .define(errors(
            ConfigKey::new(
                ERRORS_LOG_ENABLE,
                ConfigType::Boolean,
                Importance::Medium,
                "If true, write each error and the details of the failed operation and \
                 problematic record to the Connect application log. This is 'false' by default, \
                 so that only errors that are not tolerated are reported.",
            )
            .default("false"),
            4,
            Width::Short,
            "Log Errors",
        ))
        .define(errors(
            ConfigKey::new(
                ERRORS_LOG_INCLUDE_MESSAGES,
                ConfigType::Boolean,
                Importance::Medium,
                "Whether to the include in the log the Connect record that resulted in a failure. \
                 This is 'false' by default, which will prevent record keys, values, and headers \
                 from being written to log files, although some information such as topic and \
                 partition number will still be logged.",
            )
            .default("false"),
            5,
            Width::Short,
            "Log Error Details",
        ))
}

/// `SinkConnectorConfig.configDef()`: the common keys plus topics and the dead-letter queue.
pub fn sink_config_def() -> ConfigDef {
    common_config_def()
        .define(
            ConfigKey::new(
                TOPICS,
                ConfigType::List,
                Importance::High,
                "List of topics to consume, separated by commas",
            )
            .default("")
            .display(COMMON_GROUP, 4, Width::Long, "Topics"),
        )
        .define(
            ConfigKey::new(
                TOPICS_REGEX,
                ConfigType::String,
                Importance::High,
                "Regular expression giving topics to consume. Under the hood, the regex is \
                 compiled to a <code>java.util.regex.Pattern</code>. Only one of topics or \
                 topics.regex should be specified.",
            )
            .default("")
            .display(COMMON_GROUP, 4, Width::Long, "Topics regex"),
        )
        .define(
            ConfigKey::new(
                DLQ_TOPIC,
                ConfigType::String,
                Importance::Medium,
                "The name of the topic to be used as the dead letter queue (DLQ) for messages \
                 that result in an error when processed by this sink connector, or its \
                 transformations or converters. The topic name is blank by default, which means \
                 that no messages are to be recorded in the DLQ.",
            )
            .default("")
            .display(
                ERROR_GROUP,
                6,
                Width::Medium,
                "Dead Letter Queue Topic Name",
            ),
        )
        .define(
            ConfigKey::new(
                DLQ_REPLICATION_FACTOR,
                ConfigType::Short,
                Importance::Medium,
                "Replication factor used to create the dead letter queue topic when it doesn't \
                 already exist.",
            )
            .default("3")
            .display(
                ERROR_GROUP,
                7,
                Width::Medium,
                "Dead Letter Queue Topic Replication Factor",
            ),
        )
        .define(
            ConfigKey::new(
                DLQ_CONTEXT_HEADERS,
                ConfigType::Boolean,
                Importance::Medium,
                "If true, add headers containing error context to the messages written to the \
                 dead letter queue. To avoid clashing with headers from the original record, all \
                 error context header keys, all error context header keys will start with \
                 <code>__connect.errors.</code>",
            )
            .default("false")
            .display(
                ERROR_GROUP,
                8,
                Width::Medium,
                "Enable Error Context Headers",
            ),
        )
}

/// `SourceConnectorConfig.configDef()`: the common keys plus the source-only keys.
pub fn source_config_def() -> ConfigDef {
    common_config_def()
        .define(
            ConfigKey::new(
                "topic.creation.groups",
                ConfigType::List,
                Importance::Low,
                "Groups of configurations for topics created by source connectors",
            )
            .default("")
            .validator(unique_aliases())
            .display("Topic Creation", 1, Width::Long, "Topic Creation Groups"),
        )
        .define(
            ConfigKey::new(
                "exactly.once.support",
                ConfigType::String,
                Importance::Medium,
                "Permitted values are requested, required. If set to \"required\", forces a \
                 preflight check for the connector to ensure that it can provide exactly-once \
                 semantics with the given configuration.",
            )
            .default("requested")
            .validator(Validator::one_of_ignore_case(&["requested", "required"]))
            .display(
                "Exactly Once Support",
                1,
                Width::Short,
                "Exactly once support",
            ),
        )
        .define(
            ConfigKey::new(
                "transaction.boundary",
                ConfigType::String,
                Importance::Medium,
                "Permitted values are: poll, interval, connector. The boundary for transactions \
                 of an exactly-once source connector.",
            )
            .default("poll")
            .validator(Validator::one_of_ignore_case(&[
                "poll",
                "interval",
                "connector",
            ]))
            .display(
                "Exactly Once Support",
                2,
                Width::Short,
                "Transaction Boundary",
            ),
        )
        .define(
            ConfigKey::new(
                "transaction.boundary.interval.ms",
                ConfigType::Long,
                Importance::Low,
                "If 'transaction.boundary' is set to 'interval', determines the interval for \
                 producer transaction commits by connector tasks. If unset, defaults to the \
                 value of the worker-level 'offset.flush.interval.ms' property. It has no effect \
                 if a different transaction.boundary is specified.",
            )
            .default_null()
            .validator(Validator::custom(|_, value| match value {
                sluice_api::ConfigValue::Long(v) if *v < 0 => Err("Must be positive".into()),
                _ => Ok(()),
            }))
            .display(
                "Exactly Once Support",
                3,
                Width::Short,
                "Transaction boundary interval",
            ),
        )
        .define(
            ConfigKey::new(
                "offsets.storage.topic",
                ConfigType::String,
                Importance::Low,
                "The name of a separate offsets topic to use for this connector (distributed \
                 mode only).",
            )
            .default_null()
            .display("Offsets Topic", 1, Width::Long, "Offsets topic"),
        )
}

/// The definition for a connector kind.
pub fn config_def_for(kind: ConnectorKind) -> ConfigDef {
    match kind {
        ConnectorKind::Source => source_config_def(),
        ConnectorKind::Sink => sink_config_def(),
    }
}

/// Sink-only checks across keys (`SinkConnectorConfig.validate`): `(key, message)` pairs.
pub fn sink_topic_errors(props: &Props) -> Vec<(String, String)> {
    let topics =
        sluice_api::config::parse_list(props.get(TOPICS).map(String::as_str).unwrap_or(""));
    let regex = props
        .get(TOPICS_REGEX)
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mut errors = Vec::new();
    let both = |msg: &str, errors: &mut Vec<(String, String)>| {
        errors.push((TOPICS.to_string(), msg.to_string()));
        errors.push((TOPICS_REGEX.to_string(), msg.to_string()));
    };
    if !topics.is_empty() && !regex.is_empty() {
        both(
            "topics and topics.regex are mutually exclusive options, but both are set.",
            &mut errors,
        );
    } else if topics.is_empty() && regex.is_empty() {
        both("Must configure one of topics or topics.regex", &mut errors);
    }
    let dlq = props.get(DLQ_TOPIC).map(|s| s.trim()).unwrap_or("");
    if !dlq.is_empty() && topics.iter().any(|t| t == dlq) {
        errors.push((
            DLQ_TOPIC.to_string(),
            format!(
                "The DLQ topic '{dlq}' may not be included in the list of topics ('topics={}') consumed by the connector",
                topics.join(",")
            ),
        ));
    }
    if !dlq.is_empty() && !regex.is_empty() {
        // Java's Pattern.matcher(dlq).matches(): the whole name must match.
        let matches = regex::Regex::new(&format!("^(?:{regex})$"))
            .map(|re| re.is_match(dlq))
            .unwrap_or(false);
        if matches {
            errors.push((
                DLQ_TOPIC.to_string(),
                format!(
                    "The DLQ topic '{dlq}' may not be included in the regex matching the topics ('topics.regex={regex}') consumed by the connector"
                ),
            ));
        }
    }
    errors
}

/// `errors.tolerance` (Java's `ToleranceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToleranceType {
    /// `none`: the first failed record fails the task.
    #[default]
    None,
    /// `all`: failed records are skipped (and reported).
    All,
}

impl ToleranceType {
    /// The config value (`none`/`all`).
    pub fn value(self) -> &'static str {
        match self {
            ToleranceType::None => "none",
            ToleranceType::All => "all",
        }
    }
}

/// The `errors.*` keys of a connector, parsed (Java's `ConnectorConfig` and
/// `SinkConnectorConfig` error-handling getters). The dead-letter queue keys are only read for
/// sinks; for sources they keep their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorHandlingConfig {
    /// `errors.tolerance`.
    pub tolerance: ToleranceType,
    /// `errors.retry.timeout` in ms (0 = no retries, -1 = retry forever).
    pub retry_timeout_ms: i64,
    /// `errors.retry.delay.max.ms`.
    pub retry_delay_max_ms: i64,
    /// `errors.log.enable`.
    pub log_enable: bool,
    /// `errors.log.include.messages`.
    pub log_include_messages: bool,
    /// `errors.deadletterqueue.topic.name`, `None` when blank (sinks only).
    pub dlq_topic: Option<String>,
    /// `errors.deadletterqueue.topic.replication.factor`, used as given.
    pub dlq_replication_factor: i16,
    /// `errors.deadletterqueue.context.headers.enable`.
    pub dlq_context_headers: bool,
}

impl Default for ErrorHandlingConfig {
    fn default() -> Self {
        ErrorHandlingConfig {
            tolerance: ToleranceType::None,
            retry_timeout_ms: 0,
            retry_delay_max_ms: 60_000,
            log_enable: false,
            log_include_messages: false,
            dlq_topic: None,
            dlq_replication_factor: 3,
            dlq_context_headers: false,
        }
    }
}

impl ErrorHandlingConfig {
    /// Parses the `errors.*` keys of `props` with the definitions of [`config_def_for`]
    /// `kind`; errors name the key, in Java's wording.
    pub fn parse(kind: ConnectorKind, props: &Props) -> Result<Self, ConfigErrors> {
        let mut def = ConfigDef::new();
        for key in config_def_for(kind).keys() {
            if key.name.starts_with("errors.") {
                def.add(key.clone());
            }
        }
        let parsed = def.parse(props)?;
        let one = |e: sluice_api::ConfigError| ConfigErrors { errors: vec![e] };
        let mut config = ErrorHandlingConfig {
            tolerance: match parsed.get_string(ERRORS_TOLERANCE) {
                Some("all") => ToleranceType::All,
                _ => ToleranceType::None,
            },
            retry_timeout_ms: parsed.get_long(ERRORS_RETRY_TIMEOUT).map_err(one)?,
            retry_delay_max_ms: parsed.get_long(ERRORS_RETRY_MAX_DELAY).map_err(one)?,
            log_enable: parsed.get_bool(ERRORS_LOG_ENABLE).map_err(one)?,
            log_include_messages: parsed.get_bool(ERRORS_LOG_INCLUDE_MESSAGES).map_err(one)?,
            ..ErrorHandlingConfig::default()
        };
        if kind == ConnectorKind::Sink {
            config.dlq_topic = parsed
                .get_string(DLQ_TOPIC)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            let rf = parsed.get_int(DLQ_REPLICATION_FACTOR).map_err(one)?;
            config.dlq_replication_factor = i16::try_from(rf).map_err(|_| {
                one(sluice_api::ConfigError::invalid(
                    DLQ_REPLICATION_FACTOR,
                    rf,
                    "Value out of range for a short",
                ))
            })?;
            config.dlq_context_headers = parsed.get_bool(DLQ_CONTEXT_HEADERS).map_err(one)?;
        }
        Ok(config)
    }

    /// True when a failed record is reported somewhere (a DLQ or the log), which is when
    /// Java offers sink tasks an errant record reporter.
    pub fn has_reporters(&self) -> bool {
        self.dlq_topic.is_some() || self.log_enable
    }
}

/// A connector's common settings, parsed once.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    /// `name`.
    pub name: String,
    /// `connector.class` as given.
    pub connector_class: String,
    /// Source or sink.
    pub kind: ConnectorKind,
    /// `tasks.max`.
    pub tasks_max: usize,
    /// `tasks.max.enforce`.
    pub tasks_max_enforce: bool,
    /// `key.converter` override.
    pub key_converter: Option<String>,
    /// `value.converter` override.
    pub value_converter: Option<String>,
    /// `header.converter` override.
    pub header_converter: Option<String>,
    /// `transforms` aliases.
    pub transforms: Vec<String>,
    /// `errors.tolerance=all`.
    pub errors_tolerance_all: bool,
    /// The `errors.*` keys.
    pub errors: ErrorHandlingConfig,
    /// `topics` (sinks).
    pub topics: Vec<String>,
    /// `topics.regex` (sinks; `None` when blank).
    pub topics_regex: Option<String>,
    /// Every key as given.
    pub originals: Props,
}

impl ConnectorConfig {
    /// Parses `props` against the definition for `kind`, adding the sink topic checks.
    pub fn parse(kind: ConnectorKind, props: &Props) -> Result<Self, ConfigErrors> {
        let parsed = config_def_for(kind).parse(props)?;
        if kind == ConnectorKind::Sink {
            let errors = sink_topic_errors(props);
            if !errors.is_empty() {
                return Err(ConfigErrors {
                    errors: errors
                        .into_iter()
                        .map(|(k, m)| sluice_api::ConfigError::key(&k, m))
                        .collect(),
                });
            }
        }
        let opt = |k: &str| parsed.get_string(k).map(str::to_string);
        let regex = parsed.get_string(TOPICS_REGEX).unwrap_or("").to_string();
        Ok(ConnectorConfig {
            name: parsed.require_string(NAME)?.to_string(),
            connector_class: parsed.require_string(CONNECTOR_CLASS)?.to_string(),
            kind,
            tasks_max: usize::try_from(parsed.get_int(TASKS_MAX)?).unwrap_or(1),
            tasks_max_enforce: parsed.get_bool(TASKS_MAX_ENFORCE)?,
            key_converter: opt("key.converter"),
            value_converter: opt("value.converter"),
            header_converter: opt("header.converter"),
            transforms: parsed.get_list(TRANSFORMS),
            errors_tolerance_all: parsed.get_string(ERRORS_TOLERANCE) == Some("all"),
            errors: ErrorHandlingConfig::parse(kind, props)?,
            topics: parsed.get_list(TOPICS),
            topics_regex: if regex.is_empty() { None } else { Some(regex) },
            originals: props.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        sluice_api::config::props_of(pairs)
    }

    #[test]
    fn connector_file_formats() {
        let p = Path::new("c.json");
        let flat = parse_connector_file(p, br#"{"name":"a","connector.class":"X"}"#).unwrap();
        assert_eq!(flat.name, "a");
        let req = parse_connector_file(
            p,
            br#"{"name":" b ","config":{"connector.class":"X"},"initial_state":"paused","extra":1}"#,
        )
        .unwrap();
        assert_eq!(req.name, "b");
        assert_eq!(req.config["name"], "b");
        assert_eq!(req.initial_state, Some(TargetState::Paused));
        let props = parse_connector_file(Path::new("c.properties"), b"name=c\nconnector.class=X\n")
            .unwrap();
        assert_eq!(props.name, "c");
    }

    #[test]
    fn connector_file_errors_name_file_and_key() {
        let err = parse_connector_file(Path::new("/x/c.properties"), b"connector.class=X\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Connector configuration at '/x/c.properties' is missing the mandatory 'name' configuration"),
            "{err}"
        );
        let err = parse_connector_file(
            Path::new("c.json"),
            br#"{"name":"a","config":{"name":"b"}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("doesn't match connector name"), "{err}");
        let err = parse_connector_file(Path::new("c.json"), b"{oops")
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.json"), "{err}");
    }

    #[test]
    fn sink_topics_rules() {
        let base = [("name", "s"), ("connector.class", "X")];
        let mut p = props(&base);
        let err = ConnectorConfig::parse(ConnectorKind::Sink, &p).unwrap_err();
        assert_eq!(
            err.errors[0].message,
            "Must configure one of topics or topics.regex"
        );
        p.insert("topics".into(), "a,b".into());
        p.insert("topics.regex".into(), "a.*".into());
        let err = ConnectorConfig::parse(ConnectorKind::Sink, &p).unwrap_err();
        assert!(err.errors[0].message.contains("mutually exclusive"));
        p.remove("topics.regex");
        let c = ConnectorConfig::parse(ConnectorKind::Sink, &p).unwrap();
        assert_eq!(c.topics, vec!["a", "b"]);
        assert_eq!(c.tasks_max, 1);
    }

    #[test]
    fn errors_keys_parse_into_the_typed_config() {
        let base = [("name", "s"), ("connector.class", "X"), ("topics", "in")];
        let c = ConnectorConfig::parse(ConnectorKind::Sink, &props(&base)).unwrap();
        assert_eq!(c.errors, ErrorHandlingConfig::default());
        assert_eq!(c.errors.retry_delay_max_ms, 60_000);
        assert_eq!(c.errors.dlq_replication_factor, 3);
        let mut p = props(&base);
        for (k, v) in [
            ("errors.tolerance", "all"),
            ("errors.retry.timeout", "-1"),
            ("errors.retry.delay.max.ms", "500"),
            ("errors.log.enable", "true"),
            ("errors.log.include.messages", "true"),
            ("errors.deadletterqueue.topic.name", " dlq "),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ] {
            p.insert(k.into(), v.into());
        }
        let e = ConnectorConfig::parse(ConnectorKind::Sink, &p)
            .unwrap()
            .errors;
        assert_eq!(
            e,
            ErrorHandlingConfig {
                tolerance: ToleranceType::All,
                retry_timeout_ms: -1,
                retry_delay_max_ms: 500,
                log_enable: true,
                log_include_messages: true,
                dlq_topic: Some("dlq".into()),
                dlq_replication_factor: 1,
                dlq_context_headers: true,
            }
        );
        assert!(e.has_reporters());
        // Sources have no dead-letter queue.
        let s = ErrorHandlingConfig::parse(ConnectorKind::Source, &p).unwrap();
        assert_eq!(s.dlq_topic, None);
        assert_eq!(s.tolerance, ToleranceType::All);
        p.insert("errors.tolerance".into(), "some".into());
        let err = ErrorHandlingConfig::parse(ConnectorKind::Sink, &p).unwrap_err();
        assert!(err.errors[0]
            .message
            .starts_with("Invalid value some for configuration errors.tolerance"));
    }

    #[test]
    fn dlq_topic_may_not_be_consumed() {
        let p = props(&[
            ("name", "s"),
            ("connector.class", "X"),
            ("topics.regex", "in-.*"),
            ("errors.deadletterqueue.topic.name", "in-dlq"),
        ]);
        let err = ConnectorConfig::parse(ConnectorKind::Sink, &p).unwrap_err();
        assert_eq!(
            err.errors[0].message,
            "The DLQ topic 'in-dlq' may not be included in the regex matching the topics \
             ('topics.regex=in-.*') consumed by the connector"
        );
    }

    #[test]
    fn common_key_errors_use_java_messages() {
        let p = props(&[
            ("name", ""),
            ("connector.class", "X"),
            ("tasks.max", "0"),
            ("transforms", "a,a"),
        ]);
        let err = ConnectorConfig::parse(ConnectorKind::Source, &p).unwrap_err();
        let msgs: Vec<_> = err.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "Invalid value  for configuration name: String may not be empty",
                "Invalid value 0 for configuration tasks.max: Value must be at least 1",
                "Invalid value a,a for configuration transforms: Duplicate alias provided.",
            ]
        );
        let p = props(&[("name", "a\nb"), ("connector.class", "X")]);
        let err = ConnectorConfig::parse(ConnectorKind::Source, &p).unwrap_err();
        assert!(err.errors[0].message.ends_with(
            "String may not contain control sequences but had the following ASCII chars: 10"
        ));
    }
}
