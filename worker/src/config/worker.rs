//! The worker's own configuration (`WorkerConfig` + `StandaloneConfig`), parsed once into
//! [`WorkerConfig`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use sluice_api::config::Width;
use sluice_api::{ConfigDef, ConfigKey, ConfigType, Importance, Props, Validator};

use super::{env, props_file, ConfigFileError};

/// `bootstrap.servers`.
pub const BOOTSTRAP_SERVERS: &str = "bootstrap.servers";
/// `key.converter`.
pub const KEY_CONVERTER: &str = "key.converter";
/// `value.converter`.
pub const VALUE_CONVERTER: &str = "value.converter";
/// `header.converter`.
pub const HEADER_CONVERTER: &str = "header.converter";
/// `offset.storage.file.filename`.
pub const OFFSET_STORAGE_FILE: &str = "offset.storage.file.filename";
/// `offset.flush.interval.ms`.
pub const OFFSET_FLUSH_INTERVAL_MS: &str = "offset.flush.interval.ms";
/// `offset.flush.timeout.ms`.
pub const OFFSET_FLUSH_TIMEOUT_MS: &str = "offset.flush.timeout.ms";
/// `task.shutdown.graceful.timeout.ms`.
pub const TASK_SHUTDOWN_TIMEOUT_MS: &str = "task.shutdown.graceful.timeout.ms";
/// `plugin.path`.
pub const PLUGIN_PATH: &str = "plugin.path";
/// `sluice.source.producer.shared`: Sluice's own key; source tasks with the same effective
/// producer config share one producer (see `runtime::producers`).
pub const SOURCE_PRODUCER_SHARED: &str = "sluice.source.producer.shared";
/// `listeners`.
pub const LISTENERS: &str = "listeners";
/// `rest.advertised.host.name`.
pub const REST_ADVERTISED_HOST_NAME: &str = "rest.advertised.host.name";
/// `rest.advertised.port`.
pub const REST_ADVERTISED_PORT: &str = "rest.advertised.port";
/// `rest.advertised.listener`.
pub const REST_ADVERTISED_LISTENER: &str = "rest.advertised.listener";
/// `client.id`.
pub const CLIENT_ID: &str = "client.id";
/// `topic.tracking.enable`.
pub const TOPIC_TRACKING_ENABLE: &str = "topic.tracking.enable";
/// `topic.tracking.allow.reset`.
pub const TOPIC_TRACKING_ALLOW_RESET: &str = "topic.tracking.allow.reset";
/// `admin.listeners`.
pub const ADMIN_LISTENERS: &str = "admin.listeners";
/// `access.control.allow.origin`: origins allowed cross-origin access to the REST API.
pub const ACCESS_CONTROL_ALLOW_ORIGIN: &str = crate::rest::server::ACCESS_CONTROL_ALLOW_ORIGIN;
/// `access.control.allow.methods`: methods allowed in cross-origin requests.
pub const ACCESS_CONTROL_ALLOW_METHODS: &str = crate::rest::server::ACCESS_CONTROL_ALLOW_METHODS;
/// `response.http.headers.config`: header rules applied to REST responses.
pub const RESPONSE_HTTP_HEADERS_CONFIG: &str = crate::rest::server::RESPONSE_HTTP_HEADERS_CONFIG;
/// `ssl.client.auth`: client authentication of https REST listeners (unprefixed form).
pub const SSL_CLIENT_AUTH: &str = crate::rest::tls::SSL_CLIENT_AUTH;
/// The prefix of the TLS settings of https `listeners` (`listeners.https.ssl.keystore.location`,
/// …); without any such key the unprefixed `ssl.*` keys are used.
pub const LISTENERS_HTTPS_PREFIX: &str = crate::rest::tls::LISTENERS_HTTPS_PREFIX;
/// The prefix of the TLS settings of https `admin.listeners`; without any such key the
/// unprefixed `ssl.*` keys are used.
pub const ADMIN_LISTENERS_HTTPS_PREFIX: &str = crate::rest::tls::ADMIN_LISTENERS_HTTPS_PREFIX;

/// The default header converter.
pub const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// Which worker a configuration is for: the keys differ (Java's `StandaloneConfig` and
/// `DistributedConfig` over the common `WorkerConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerMode {
    /// `sluice standalone`: offsets in `offset.storage.file.filename`.
    Standalone,
    /// `sluice distributed`: a worker group, all state in Kafka topics
    /// (see [`super::distributed`]).
    Distributed,
}

/// Every standalone worker key Sluice reads, with Java's defaults and documentation.
pub fn worker_config_def() -> ConfigDef {
    worker_config_def_for(WorkerMode::Standalone)
}

/// Every worker key of `mode` that Sluice reads (the distributed-only keys are
/// [`super::distributed::distributed_config_def`]'s), with Java's defaults and documentation.
pub fn worker_config_def_for(mode: WorkerMode) -> ConfigDef {
    let mut def = ConfigDef::new()
        .define(
            ConfigKey::new(
                BOOTSTRAP_SERVERS,
                ConfigType::List,
                Importance::High,
                "A list of host/port pairs used to establish the initial connection to the Kafka \
                 cluster, in the form host1:port1,host2:port2,….",
            )
            .default("localhost:9092"),
        )
        .define(ConfigKey::new(
            KEY_CONVERTER,
            ConfigType::Class,
            Importance::High,
            "Converter class used to convert between Kafka Connect format and the serialized form \
             that is written to Kafka. This controls the format of the keys in messages written \
             to or read from Kafka. Its settings use the prefix `key.converter.`.",
        ))
        .define(ConfigKey::new(
            VALUE_CONVERTER,
            ConfigType::Class,
            Importance::High,
            "Converter class used to convert between Kafka Connect format and the serialized form \
             that is written to Kafka. This controls the format of the values in messages written \
             to or read from Kafka. Its settings use the prefix `value.converter.`.",
        ))
        .define(
            ConfigKey::new(
                HEADER_CONVERTER,
                ConfigType::Class,
                Importance::Low,
                "HeaderConverter class used to convert between Kafka Connect format and the \
                 serialized form of header values. Its settings use the prefix \
                 `header.converter.`.",
            )
            .default(SIMPLE_HEADER_CONVERTER),
        )
        .define(
            ConfigKey::new(
                OFFSET_FLUSH_INTERVAL_MS,
                ConfigType::Long,
                Importance::Low,
                "Interval at which to try committing offsets for tasks: source offsets to the \
                 offsets file, sink offsets to the consumer group.",
            )
            .default("60000")
            .validator(Validator::at_least(0.0)),
        )
        .define(
            ConfigKey::new(
                OFFSET_FLUSH_TIMEOUT_MS,
                ConfigType::Long,
                Importance::Low,
                "Maximum number of milliseconds to wait for records to flush and offset data to \
                 be committed before cancelling the process and restoring the offset data to be \
                 committed in a future attempt.",
            )
            .default("5000")
            .validator(Validator::at_least(0.0)),
        )
        .define(
            ConfigKey::new(
                TASK_SHUTDOWN_TIMEOUT_MS,
                ConfigType::Long,
                Importance::Low,
                "Amount of time to wait for tasks to shutdown gracefully. This is the total amount \
                 of time, not per task.",
            )
            .default("5000")
            .validator(Validator::at_least(0.0)),
        )
        .define(
            ConfigKey::new(
                SOURCE_PRODUCER_SHARED,
                ConfigType::Boolean,
                Importance::Low,
                "Sluice's own key: when true, source tasks whose producer configs are the same \
                 (the worker's producer.* keys, the connector's producer.override.* keys and \
                 the defaults) share one Kafka producer instead of one producer each, as Java \
                 has it. Each task still commits only the offsets of its own acknowledged \
                 records. A shared producer's client.id is connector-producer-shared-<n> unless \
                 the config sets one. Saves threads, memory and wake-ups on a worker with many \
                 mostly idle source connectors.",
            )
            .default("false"),
        )
        .define(
            ConfigKey::new(
                PLUGIN_PATH,
                ConfigType::List,
                Importance::Low,
                "Accepted for compatibility and ignored: Sluice's plugins are built in.",
            )
            .default_null(),
        )
        .define(
            ConfigKey::new(
                super::providers::CONFIG_PROVIDERS,
                ConfigType::List,
                Importance::Low,
                "Comma-separated names of ConfigProvider classes, loaded and used in the order \
                 specified. Each is declared with config.providers.<name>.class (Sluice has \
                 org.apache.kafka.common.config.provider.FileConfigProvider, \
                 DirectoryConfigProvider and EnvVarConfigProvider) and parameters \
                 config.providers.<name>.param.*; connector configs may then use \
                 ${<name>:<path>:<key>} references, resolved when connectors and tasks start.",
            )
            .default(""),
        )
        .define(
            ConfigKey::new(
                crate::rest::basic_auth::REST_EXTENSION_CLASSES,
                ConfigType::List,
                Importance::Low,
                "Comma-separated names of ConnectRestExtension classes. Sluice has one: \
                 org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension \
                 (HTTP basic authentication of the REST API with the users of a credentials file \
                 named by the JAAS file of java.security.auth.login.config); any other is refused.",
            )
            .default(""),
        )
        .define(
            ConfigKey::new(
                crate::rest::basic_auth::JAAS_CONFIG,
                ConfigType::String,
                Importance::Low,
                "The JAAS file of the REST API's basic authentication (Java reads it from the \
                 JVM option -Djava.security.auth.login.config, which Sluice also reads from \
                 KAFKA_OPTS). Its KafkaConnect section names the credentials file with \
                 org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule \
                 required file=\"…\";",
            )
            .default_null(),
        )
        .define(
            ConfigKey::new(
                LISTENERS,
                ConfigType::List,
                Importance::Low,
                "List of comma-separated URIs the REST API will listen on. The supported \
                 protocols are HTTP and HTTPS, e.g. http://:8083,https://myhost:8443. An empty \
                 host binds all interfaces. TLS settings of https listeners use the prefix \
                 `listeners.https.` (e.g. `listeners.https.ssl.keystore.location`); without \
                 any such key the unprefixed `ssl.*` keys are used.",
            )
            .default("http://:8083"),
        )
        .define(
            ConfigKey::new(
                REST_ADVERTISED_HOST_NAME,
                ConfigType::String,
                Importance::Low,
                "The host name given out to other workers and used in worker ids.",
            )
            .default_null(),
        )
        .define(
            ConfigKey::new(
                REST_ADVERTISED_PORT,
                ConfigType::Int,
                Importance::Low,
                "The port given out to other workers and used in worker ids.",
            )
            .default_null(),
        )
        .define(
            ConfigKey::new(
                REST_ADVERTISED_LISTENER,
                ConfigType::String,
                Importance::Low,
                "The advertised listener protocol, http or https.",
            )
            .default_null(),
        )
        .define(
            ConfigKey::new(
                ADMIN_LISTENERS,
                ConfigType::List,
                Importance::Low,
                "List of comma-separated URIs the admin REST API (/admin/loggers) will listen \
                 on, http or https. Unset serves it on the main listeners; an empty or blank \
                 string disables it; a list serves it only there. TLS settings of https admin \
                 listeners use the prefix `admin.listeners.https.`.",
            )
            .default_null(),
        )
        .define(
            ConfigKey::new(
                ACCESS_CONTROL_ALLOW_ORIGIN,
                ConfigType::String,
                Importance::Low,
                "Value to set the Access-Control-Allow-Origin header to for REST API requests. \
                 To enable cross origin access, set this to the domain of the application that \
                 should be permitted to access the API, or '*' to allow access from any domain. \
                 The default value only allows access from the domain of the REST API.",
            )
            .default(""),
        )
        .define(
            ConfigKey::new(
                ACCESS_CONTROL_ALLOW_METHODS,
                ConfigType::String,
                Importance::Low,
                "Sets the methods supported for cross origin requests by setting the \
                 Access-Control-Allow-Methods header. The default value of the \
                 Access-Control-Allow-Methods header allows cross origin requests for GET, POST \
                 and HEAD.",
            )
            .default(""),
        )
        .define(
            ConfigKey::new(
                RESPONSE_HTTP_HEADERS_CONFIG,
                ConfigType::String,
                Importance::Low,
                "Rules for REST API HTTP response headers: comma-separated rules of the form \
                 '[action] [header name]:[header value]', where the action is set, add, setDate \
                 or addDate, each optionally in double quotes if it contains a comma.",
            )
            .default("")
            .validator(Validator::custom(|_, value| match value {
                sluice_api::ConfigValue::String(s) => crate::rest::filters::parse_header_rules(s)
                    .map(|_| ())
                    .map_err(|e| match e {
                        crate::rest::filters::FilterConfigError::HeaderRule { message, .. } => {
                            message
                        }
                        other => other.to_string(),
                    }),
                _ => Ok(()),
            })),
        )
        .define(
            ConfigKey::new(
                SSL_CLIENT_AUTH,
                ConfigType::String,
                Importance::Low,
                "Whether https REST listeners ask for client certificates: none, requested \
                 (checked when sent) or required. With the prefixes `listeners.https.` and \
                 `admin.listeners.https.` it applies to those listeners only.",
            )
            .default("none")
            .validator(Validator::one_of(&["required", "requested", "none"])),
        )
        .define(
            ConfigKey::new(
                super::override_policy::CONNECTOR_CLIENT_POLICY,
                ConfigType::String,
                Importance::Medium,
                "Class name or alias of the ConnectorClientConfigOverridePolicy: which Kafka \
                 client settings connector configs may override with producer.override.*, \
                 consumer.override.* and admin.override.*. All (the default) allows every \
                 setting, None none, and Principal only the client's principal: \
                 sasl.jaas.config, sasl.mechanism and security.protocol. A connector config \
                 with an override the policy refuses is invalid, and the tasks of a stored one \
                 fail to start.",
            )
            .default("All")
            .validator(Validator::custom(|_, value| match value {
                sluice_api::ConfigValue::String(s) => {
                    super::override_policy::OverridePolicy::parse(s).map(|_| ())
                }
                _ => Ok(()),
            })),
        )
        .define(
            ConfigKey::new(
                TOPIC_TRACKING_ENABLE,
                ConfigType::Boolean,
                Importance::Low,
                "Enable tracking the set of active topics per connector during runtime (KIP-558: \
                 GET /connectors/{name}/topics). When false, no topic is recorded and both \
                 topic endpoints answer 403.",
            )
            .default("true"),
        )
        .define(
            ConfigKey::new(
                TOPIC_TRACKING_ALLOW_RESET,
                ConfigType::Boolean,
                Importance::Low,
                "If set to true, it allows user requests to reset the set of active topics per \
                 connector (PUT /connectors/{name}/topics/reset; 403 when false).",
            )
            .default("true"),
        )
        .define(
            ConfigKey::new(
                CLIENT_ID,
                ConfigType::String,
                Importance::Low,
                "An id string passed to the server when making requests.",
            )
            .default(""),
        );
    for (i, key) in [
        BOOTSTRAP_SERVERS,
        KEY_CONVERTER,
        VALUE_CONVERTER,
        HEADER_CONVERTER,
    ]
    .iter()
    .enumerate()
    {
        if let Some(k) = def.key(key).cloned() {
            let display = k.name.clone();
            def.add(k.display("Common", i as i32 + 1, Width::Long, &display));
        }
    }
    if mode == WorkerMode::Standalone {
        def = def.define(ConfigKey::new(
            OFFSET_STORAGE_FILE,
            ConfigType::String,
            Importance::High,
            "File to store source connector offsets in (Java's offsets file format).",
        ));
    }
    crate::memory::define(crate::metrics::config::define(def))
}

/// KIP-558 topic tracking: whether connectors' active topics are recorded and may be reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicTracking {
    /// `topic.tracking.enable`: record the topics each connector uses.
    pub enabled: bool,
    /// `topic.tracking.allow.reset`: `PUT /connectors/{c}/topics/reset` is allowed.
    pub allow_reset: bool,
}

impl Default for TopicTracking {
    fn default() -> Self {
        TopicTracking {
            enabled: true,
            allow_reset: true,
        }
    }
}

/// The worker's typed configuration.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// `bootstrap.servers`, comma-joined as librdkafka takes it.
    pub bootstrap_servers: String,
    /// `key.converter` class or alias.
    pub key_converter: String,
    /// `value.converter` class or alias.
    pub value_converter: String,
    /// `header.converter` class or alias.
    pub header_converter: String,
    /// `offset.storage.file.filename` (standalone mode, where it is required).
    pub offset_file: Option<PathBuf>,
    /// `offset.flush.interval.ms`.
    pub offset_flush_interval: Duration,
    /// `offset.flush.timeout.ms`.
    pub offset_flush_timeout: Duration,
    /// `task.shutdown.graceful.timeout.ms`.
    pub task_shutdown_timeout: Duration,
    /// `plugin.path` (ignored).
    pub plugin_path: Vec<String>,
    /// `sluice.source.producer.shared`.
    pub source_producer_shared: bool,
    /// `listeners`.
    pub listeners: Vec<String>,
    /// `admin.listeners` (`None` = the main listeners).
    pub admin_listeners: Option<Vec<String>>,
    /// `rest.advertised.host.name`.
    pub rest_advertised_host_name: Option<String>,
    /// `rest.advertised.port`.
    pub rest_advertised_port: Option<u16>,
    /// `rest.advertised.listener`.
    pub rest_advertised_listener: Option<String>,
    /// `client.id` (empty when unset).
    pub client_id: String,
    /// `connector.client.config.override.policy`.
    pub client_override_policy: super::override_policy::OverridePolicy,
    /// `topic.tracking.enable` and `topic.tracking.allow.reset`.
    pub topic_tracking: TopicTracking,
    /// Every key as given (after environment overrides), with config-provider references
    /// resolved, for converter and client settings.
    pub originals: Props,
    /// The declared config providers (`config.providers`), which resolve connector configs
    /// when connectors and tasks start.
    pub config_providers: std::sync::Arc<super::providers::ConfigProviders>,
    /// The metrics keys (`sluice.metrics.*`, `metrics.sample.window.ms`,
    /// `metrics.num.samples`).
    pub metrics: crate::metrics::MetricsConfig,
    /// `sluice.memory.trim.interval.ms` (zero: never).
    pub memory_trim_interval: Duration,
}

impl WorkerConfig {
    /// Parses standalone worker props; the error is every problem in Java's wording, one
    /// per line.
    pub fn parse(props: Props) -> Result<Self, String> {
        Self::parse_for(props, WorkerMode::Standalone)
    }

    /// Parses the common keys and those of `mode` (the distributed-only keys are parsed by
    /// [`super::distributed::DistributedConfig::parse`]).
    pub fn parse_for(props: Props, mode: WorkerMode) -> Result<Self, String> {
        // Worker keys may hold `${provider:path:key}` references too (resolved once, here).
        let providers =
            super::providers::ConfigProviders::from_worker_props(&props).map_err(|e| e.message)?;
        let props = providers.transform(&props).map_err(|e| e.message)?;
        let refused = super::kafka_clients::refused_client_keys(&props);
        if !refused.is_empty() {
            return Err(refused
                .into_iter()
                .map(|(_, message)| message)
                .collect::<Vec<_>>()
                .join("\n"));
        }
        super::kafka_clients::check_worker_clients(&props, mode == WorkerMode::Distributed)?;
        let parsed = worker_config_def_for(mode).parse(&props).map_err(|e| {
            e.errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        let ms = |key: &str| -> Result<Duration, String> {
            let v = parsed.get_long(key).map_err(|e| e.message)?;
            Ok(Duration::from_millis(u64::try_from(v).unwrap_or(0)))
        };
        let port = match parsed.get(REST_ADVERTISED_PORT) {
            Some(sluice_api::ConfigValue::Int(p)) => Some(u16::try_from(*p).map_err(|_| {
                format!(
                    "Invalid value {p} for configuration {REST_ADVERTISED_PORT}: Not a valid port"
                )
            })?),
            _ => None,
        };
        let admin_listeners = match parsed.get(ADMIN_LISTENERS) {
            Some(sluice_api::ConfigValue::List(l)) => Some(l.clone()),
            _ => None,
        };
        Ok(WorkerConfig {
            bootstrap_servers: parsed.get_list(BOOTSTRAP_SERVERS).join(","),
            key_converter: parsed
                .require_string(KEY_CONVERTER)
                .map_err(|e| e.message)?
                .to_string(),
            value_converter: parsed
                .require_string(VALUE_CONVERTER)
                .map_err(|e| e.message)?
                .to_string(),
            header_converter: parsed
                .require_string(HEADER_CONVERTER)
                .map_err(|e| e.message)?
                .to_string(),
            offset_file: match mode {
                WorkerMode::Standalone => Some(PathBuf::from(
                    parsed
                        .require_string(OFFSET_STORAGE_FILE)
                        .map_err(|e| e.message)?,
                )),
                WorkerMode::Distributed => None,
            },
            offset_flush_interval: ms(OFFSET_FLUSH_INTERVAL_MS)?,
            offset_flush_timeout: ms(OFFSET_FLUSH_TIMEOUT_MS)?,
            task_shutdown_timeout: ms(TASK_SHUTDOWN_TIMEOUT_MS)?,
            plugin_path: parsed.get_list(PLUGIN_PATH),
            source_producer_shared: parsed
                .get_bool(SOURCE_PRODUCER_SHARED)
                .map_err(|e| e.message)?,
            listeners: parsed.get_list(LISTENERS),
            admin_listeners,
            rest_advertised_host_name: parsed
                .get_string(REST_ADVERTISED_HOST_NAME)
                .map(str::to_string),
            rest_advertised_port: port,
            rest_advertised_listener: parsed
                .get_string(REST_ADVERTISED_LISTENER)
                .map(str::to_string),
            client_id: parsed.get_string(CLIENT_ID).unwrap_or("").to_string(),
            topic_tracking: TopicTracking {
                enabled: parsed
                    .get_bool(TOPIC_TRACKING_ENABLE)
                    .map_err(|e| e.message)?,
                allow_reset: parsed
                    .get_bool(TOPIC_TRACKING_ALLOW_RESET)
                    .map_err(|e| e.message)?,
            },
            client_override_policy: super::override_policy::OverridePolicy::parse(
                parsed
                    .get_string(super::override_policy::CONNECTOR_CLIENT_POLICY)
                    .unwrap_or("All"),
            )?,
            metrics: crate::metrics::MetricsConfig::from_parsed(&parsed)?,
            memory_trim_interval: crate::memory::trim_interval(&parsed)?,
            originals: props,
            config_providers: std::sync::Arc::new(providers),
        })
    }

    /// Reads a standalone worker file, applies `CONNECT_*` environment overrides (`env`; the
    /// process environment when `None`) and parses the result.
    pub fn load(
        path: &Path,
        env: Option<std::collections::HashMap<String, String>>,
    ) -> Result<Self, ConfigFileError> {
        Self::load_props(path, env).and_then(|props| {
            Self::parse(props).map_err(|message| ConfigFileError::Invalid {
                path: path.to_path_buf(),
                message,
            })
        })
    }

    /// Reads a worker file and applies `CONNECT_*` environment overrides (`env`; the process
    /// environment when `None`), without parsing.
    pub fn load_props(
        path: &Path,
        env: Option<std::collections::HashMap<String, String>>,
    ) -> Result<Props, ConfigFileError> {
        let mut props = props_file::read_properties_file(path)?;
        let overrides = env::overrides_from(env).map_err(|message| ConfigFileError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        props.extend(overrides);
        Ok(props)
    }

    /// The advertised host and port of the first listener (with the advertised overrides):
    /// the worker id `host:port` shown in statuses.
    pub fn worker_id(&self) -> String {
        let (host, port) = self
            .listeners
            .first()
            .and_then(|l| parse_listener(l))
            .unwrap_or((String::new(), 8083));
        let host = match &self.rest_advertised_host_name {
            Some(h) if !h.is_empty() => h.clone(),
            _ if !host.is_empty() => host,
            _ => local_host_name(),
        };
        let port = self.rest_advertised_port.unwrap_or(port);
        format!("{host}:{port}")
    }
}

/// Splits `proto://[host]:port` into host (possibly empty) and port.
pub fn parse_listener(listener: &str) -> Option<(String, u16)> {
    let rest = listener.split_once("://")?.1;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':')?;
    Some((host.to_string(), port.parse().ok()?))
}

fn local_host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::super::override_policy::{OverridePolicy, CONNECTOR_CLIENT_POLICY};
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        sluice_api::config::props_of(pairs)
    }

    #[test]
    fn defaults_and_types() {
        let c = WorkerConfig::parse(props(&[
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter", "JsonConverter"),
            ("offset.storage.file.filename", "/tmp/o"),
            ("bootstrap.servers", "a:1, b:2"),
            ("rest.advertised.host.name", "h"),
        ]))
        .unwrap();
        assert_eq!(c.bootstrap_servers, "a:1,b:2");
        assert_eq!(c.header_converter, SIMPLE_HEADER_CONVERTER);
        assert_eq!(c.offset_flush_interval, Duration::from_secs(60));
        assert_eq!(c.offset_flush_timeout, Duration::from_secs(5));
        assert_eq!(c.worker_id(), "h:8083");
    }

    #[test]
    fn worker_keys_resolve_config_provider_references() {
        std::env::set_var("SLUICE_WORKER_CFG_TEST_SERVERS", "k1:9092");
        let c = WorkerConfig::parse(props(&[
            ("key.converter", "JsonConverter"),
            ("value.converter", "JsonConverter"),
            ("offset.storage.file.filename", "/tmp/o"),
            ("bootstrap.servers", "${env:SLUICE_WORKER_CFG_TEST_SERVERS}"),
            ("config.providers", "env"),
            (
                "config.providers.env.class",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
            ),
        ]))
        .unwrap();
        assert_eq!(c.bootstrap_servers, "k1:9092");
        assert_eq!(c.originals["bootstrap.servers"], "k1:9092");
        let e = WorkerConfig::parse(props(&[
            ("key.converter", "JsonConverter"),
            ("value.converter", "JsonConverter"),
            ("offset.storage.file.filename", "/tmp/o"),
            ("config.providers", "vault"),
            ("config.providers.vault.class", "com.example.Vault"),
        ]))
        .unwrap_err();
        assert!(e.contains("config.providers.vault.class"), "{e}");
    }

    #[test]
    fn client_override_policy_defaults_to_all_and_names_an_unknown_one() {
        let base = [
            ("key.converter", "JsonConverter"),
            ("value.converter", "JsonConverter"),
            ("offset.storage.file.filename", "/tmp/o"),
        ];
        let c = WorkerConfig::parse(props(&base)).unwrap();
        assert_eq!(c.client_override_policy, OverridePolicy::All);
        let with = |policy: &str| {
            let mut p = props(&base);
            p.insert(CONNECTOR_CLIENT_POLICY.into(), policy.into());
            WorkerConfig::parse(p)
        };
        assert_eq!(
            with(
                "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy"
            )
            .unwrap()
            .client_override_policy,
            OverridePolicy::None
        );
        assert_eq!(
            with("Principal").unwrap().client_override_policy,
            OverridePolicy::Principal
        );
        let err = with("Strict").unwrap_err();
        assert_eq!(
            err,
            "Invalid value Strict for configuration connector.client.config.override.policy: \
             Failed to find any class that implements interface \
             org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy and \
             which name matches Strict"
        );
    }

    #[test]
    fn topic_tracking_is_on_by_default_and_each_switch_parses() {
        let base = [
            ("key.converter", "JsonConverter"),
            ("value.converter", "JsonConverter"),
            ("offset.storage.file.filename", "/tmp/o"),
        ];
        let c = WorkerConfig::parse(props(&base)).unwrap();
        assert_eq!(c.topic_tracking, TopicTracking::default());
        assert!(c.topic_tracking.enabled && c.topic_tracking.allow_reset);
        let mut p = props(&base);
        p.insert(TOPIC_TRACKING_ENABLE.into(), "false".into());
        p.insert(TOPIC_TRACKING_ALLOW_RESET.into(), "FALSE".into());
        let c = WorkerConfig::parse(p.clone()).unwrap();
        assert_eq!(
            c.topic_tracking,
            TopicTracking {
                enabled: false,
                allow_reset: false
            }
        );
        p.insert(TOPIC_TRACKING_ENABLE.into(), "no".into());
        let err = WorkerConfig::parse(p).unwrap_err();
        assert!(err.contains("topic.tracking.enable"), "{err}");
    }

    #[test]
    fn missing_value_converter_uses_java_message() {
        let err = WorkerConfig::parse(props(&[
            ("key.converter", "JsonConverter"),
            ("offset.storage.file.filename", "/tmp/o"),
        ]))
        .unwrap_err();
        assert_eq!(
            err,
            "Missing required configuration \"value.converter\" which has no default value."
        );
    }

    #[test]
    fn load_applies_env_overrides_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("worker.properties");
        std::fs::write(
            &path,
            "bootstrap.servers=file:9092\nkey.converter=A\nvalue.converter=B\noffset.storage.file.filename=/tmp/x\n",
        )
        .unwrap();
        let env = [("CONNECT_BOOTSTRAP_SERVERS".to_string(), "env:1".to_string())]
            .into_iter()
            .collect();
        let c = WorkerConfig::load(&path, Some(env)).unwrap();
        assert_eq!(c.bootstrap_servers, "env:1");

        std::fs::write(&path, "key.converter=A\n").unwrap();
        let err = WorkerConfig::load(&path, Some(Default::default()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("worker.properties"), "{err}");
        assert!(err.contains("\"value.converter\""), "{err}");
    }

    #[test]
    fn rest_filter_keys_are_validated() {
        let base = [
            ("key.converter", "JsonConverter"),
            ("value.converter", "JsonConverter"),
            ("offset.storage.file.filename", "/tmp/o"),
        ];
        let with = |k: &str, v: &str| {
            let mut p = props(&base);
            p.insert(k.to_string(), v.to_string());
            WorkerConfig::parse(p)
        };
        assert!(with(RESPONSE_HTTP_HEADERS_CONFIG, "set X-Frame-Options:DENY").is_ok());
        let err = with(RESPONSE_HTTP_HEADERS_CONFIG, "put X-Frame-Options:DENY").unwrap_err();
        assert_eq!(
            err,
            "Invalid value put X-Frame-Options:DENY for configuration \
             response.http.headers.config: Invalid header config action: 'put'. Expected one \
             of [set, add, setDate, addDate]"
        );
        let err = with(SSL_CLIENT_AUTH, "always").unwrap_err();
        assert!(err.contains("ssl.client.auth"), "{err}");
    }

    #[test]
    fn listener_parsing() {
        assert_eq!(parse_listener("http://:8083"), Some((String::new(), 8083)));
        assert_eq!(
            parse_listener("https://host:8443/"),
            Some(("host".to_string(), 8443))
        );
        assert_eq!(parse_listener("nonsense"), None);
    }
}
