//! Kafka client settings: the worker's Java-style client keys mapped onto librdkafka.
//!
//! * Admin clients of connectors and a distributed worker's internal-topic clients take every
//!   top-level worker key their Java client defines ([`top_level`]), as Java's worker gives
//!   them its top-level config. Task producers and consumers take the un-prefixed security
//!   settings (`security.protocol`, `sasl.*`, `ssl.*`) and `bootstrap.servers`/
//!   `client.dns.lookup` (Java gives them `bootstrap.servers` only).
//! * `producer.*` applies to source-task producers, `consumer.*` to sink-task consumers,
//!   `admin.*` to connectors' admin clients; connector-level `producer.override.*` /
//!   `consumer.override.*` / `admin.override.*` are applied last.
//! * Each Java key is mapped to the librdkafka property of the same meaning (see
//!   [`java_to_librdkafka`]); keys librdkafka has no equivalent for (serializers,
//!   `max.block.ms`, JKS trust stores, …) are ignored with a log line.
//! * `ssl.*` keys reach a client only when its `security.protocol` is `SSL` or `SASL_SSL`
//!   (Java reads them only then); `max.poll.records` is applied by the sink loop
//!   ([`java_setting`]); [`check_worker_clients`] stops a worker at start whose settings this
//!   librdkafka build cannot serve.
//! * Settings that make librdkafka run a command or load code ([`REFUSED_CLIENT_KEYS`]) are
//!   refused under every prefix: the worker config and connector configs are checked with
//!   [`refused_client_key`], and they are never passed to librdkafka.

use rdkafka::ClientConfig;
use sluice_api::Props;

use crate::distributed::membership::config::SecurityProtocol;

/// librdkafka settings that run an external command or load code into the worker, refused
/// whatever their prefix (see [`refused_client_key`]):
///
/// * `sasl.kerberos.kinit.cmd`: a shell command librdkafka runs to refresh Kerberos tickets
///   (Java's client has the same key; its command runs too).
/// * `plugin.library.paths`: shared libraries librdkafka loads as plugins.
/// * `ssl.engine.location`, `ssl.engine.id`: an OpenSSL engine library to load (by path or
///   by id through OpenSSL's dynamic engine loader).
/// * `ssl.providers`: OpenSSL 3 providers to load.
///
/// Callback settings (`oauthbearer_token_refresh_cb`, interceptors, …) cannot be given as
/// strings, so they need no entry here.
pub const REFUSED_CLIENT_KEYS: &[&str] = &[
    "sasl.kerberos.kinit.cmd",
    "plugin.library.paths",
    "ssl.engine.location",
    "ssl.engine.id",
    "ssl.providers",
];

/// The prefixes under which a key reaches a Kafka client: none (worker-level settings every
/// client inherits), the worker's `producer.`/`consumer.`/`admin.` and the connector's
/// `producer.override.`/`consumer.override.`/`admin.override.`.
const CLIENT_PREFIXES: &[&str] = &[
    "",
    "producer.",
    "consumer.",
    "admin.",
    "producer.override.",
    "consumer.override.",
    "admin.override.",
];

/// Whether `key` is one of [`REFUSED_CLIENT_KEYS`] under one of the client prefixes
/// (compared without regard to case); gives the refused client setting.
pub fn refused_client_key(key: &str) -> Option<&'static str> {
    let key = key.trim().to_ascii_lowercase();
    CLIENT_PREFIXES.iter().find_map(|prefix| {
        let rest = key.strip_prefix(prefix)?;
        REFUSED_CLIENT_KEYS.iter().copied().find(|r| *r == rest)
    })
}

/// The error for a refused client setting, naming the key as given.
pub fn refused_client_key_message(key: &str) -> String {
    format!(
        "Invalid value for configuration {key}: this setting makes the Kafka client run a \
         command or load code, which Sluice refuses (refused settings, under any \
         producer./consumer./admin. prefix or override: {})",
        REFUSED_CLIENT_KEYS.join(", ")
    )
}

/// Every refused client key in `props` with its error (see [`refused_client_key`]).
pub fn refused_client_keys(props: &Props) -> Vec<(String, String)> {
    props
        .keys()
        .filter(|k| refused_client_key(k).is_some())
        .map(|k| (k.clone(), refused_client_key_message(k)))
        .collect()
}

/// The kind of client being configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// A source task's producer.
    Producer,
    /// A sink task's consumer.
    Consumer,
    /// An admin client.
    Admin,
}

impl ClientKind {
    /// The worker-level prefix (`producer.`, `consumer.`, `admin.`).
    pub fn worker_prefix(self) -> &'static str {
        match self {
            ClientKind::Producer => "producer.",
            ClientKind::Consumer => "consumer.",
            ClientKind::Admin => "admin.",
        }
    }
    /// The connector-level override prefix (`producer.override.`, …).
    pub fn override_prefix(self) -> &'static str {
        match self {
            ClientKind::Producer => "producer.override.",
            ClientKind::Consumer => "consumer.override.",
            ClientKind::Admin => "admin.override.",
        }
    }
}

/// What a Java client key becomes in librdkafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped {
    /// The librdkafka property and value.
    Set(String, String),
    /// No librdkafka equivalent: ignored.
    Ignored,
    /// Applied by the worker itself, not by librdkafka (`max.poll.records`: the most records
    /// one `put` of a sink task gets; see [`java_setting`]).
    Worker,
}

/// Java client keys that librdkafka has under the same name and with the same meaning.
pub const SAME_NAME_KEYS: &[&str] = &[
    "bootstrap.servers",
    "client.id",
    "acks",
    "linger.ms",
    "batch.size",
    "enable.idempotence",
    "max.in.flight.requests.per.connection",
    "retries",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "request.timeout.ms",
    "delivery.timeout.ms",
    "transactional.id",
    "transaction.timeout.ms",
    "group.id",
    "group.instance.id",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "fetch.min.bytes",
    "fetch.max.bytes",
    "max.partition.fetch.bytes",
    "isolation.level",
    "auto.offset.reset",
    "auto.commit.interval.ms",
    "enable.auto.commit",
    "client.rack",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "metadata.max.age.ms",
    "connections.max.idle.ms",
    "socket.connection.setup.timeout.ms",
    "client.dns.lookup",
    "allow.auto.create.topics",
    "check.crcs",
    "enable.metrics.push",
    "security.protocol",
    "sasl.mechanism",
    "sasl.kerberos.service.name",
    "sasl.kerberos.min.time.before.relogin",
    "sasl.oauthbearer.token.endpoint.url",
    "sasl.oauthbearer.scope",
    "ssl.key.password",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.cipher.suites",
];

/// Maps one Java client key and value onto librdkafka.
pub fn java_to_librdkafka(key: &str, value: &str) -> Mapped {
    let same = |k: &str| Mapped::Set(k.to_string(), value.to_string());
    match key {
        // Java's `none` (no committed offset is an error) is librdkafka's `error`.
        "auto.offset.reset" if value.trim().eq_ignore_ascii_case("none") => {
            Mapped::Set(key.to_string(), "error".to_string())
        }
        k if SAME_NAME_KEYS.contains(&k) => same(key),
        "fetch.max.wait.ms" => same("fetch.wait.max.ms"),
        // PEM keystore given inline (`ssl.keystore.type=PEM`).
        "ssl.keystore.key" => same("ssl.key.pem"),
        "ssl.keystore.certificate.chain" => same("ssl.certificate.pem"),
        // Java turns host name verification off with an empty value, librdkafka with `none`.
        "ssl.endpoint.identification.algorithm" if value.trim().is_empty() => {
            Mapped::Set(key.to_string(), "none".to_string())
        }
        "ssl.endpoint.identification.algorithm" => same(key),
        // librdkafka's connection set-up timeout does not grow.
        "socket.connection.setup.timeout.max.ms" => Mapped::Ignored,
        "compression.type" => match value {
            "gzip" | "snappy" | "lz4" | "zstd" | "none" => same("compression.type"),
            _ => Mapped::Ignored,
        },
        // Java's -1 is the operating system's default size, librdkafka's 0.
        "send.buffer.bytes" | "receive.buffer.bytes" => {
            let name = format!("socket.{key}");
            match value.trim() {
                "-1" => Mapped::Set(name, "0".to_string()),
                v => Mapped::Set(name, v.to_string()),
            }
        }
        "max.request.size" => same("message.max.bytes"),
        "buffer.memory" => match value.trim().parse::<u64>() {
            Ok(bytes) => Mapped::Set(
                "queue.buffering.max.kbytes".to_string(),
                (bytes / 1024).max(1).to_string(),
            ),
            Err(_) => Mapped::Ignored,
        },
        "partition.assignment.strategy" => {
            let names: Vec<&str> = value
                .split(',')
                .filter_map(|c| match c.trim().rsplit('.').next().unwrap_or("") {
                    "RangeAssignor" => Some("range"),
                    "RoundRobinAssignor" => Some("roundrobin"),
                    "CooperativeStickyAssignor" => Some("cooperative-sticky"),
                    _ => None,
                })
                .collect();
            if names.is_empty() {
                Mapped::Ignored
            } else {
                Mapped::Set("partition.assignment.strategy".to_string(), names.join(","))
            }
        }
        "ssl.truststore.location" => same("ssl.ca.location"),
        "ssl.truststore.certificates" => same("ssl.ca.pem"),
        "sasl.jaas.config" => Mapped::Ignored,
        "max.poll.records" => Mapped::Worker,
        _ => Mapped::Ignored,
    }
}

/// Applies Java-style client `settings` onto `config`, returning the keys that were ignored.
pub fn apply_java_settings(config: &mut ClientConfig, settings: &Props) -> Vec<String> {
    let mut ignored = Vec::new();
    for (key, value) in settings {
        if refused_client_key(key).is_some() {
            // Refused at config validation; never reaches librdkafka even if a caller skipped it.
            ignored.push(key.clone());
            continue;
        }
        if key == "sasl.jaas.config" {
            // PLAIN and SCRAM log in with the entry's username and password options.
            match crate::config::jaas::parse_jaas(value) {
                Ok(entry) => {
                    for (option, rdkafka_key) in
                        [("username", "sasl.username"), ("password", "sasl.password")]
                    {
                        if let Some(v) = entry.options.get(option) {
                            config.set(rdkafka_key, v);
                        }
                    }
                }
                Err(reason) => {
                    tracing::warn!(%reason, "sasl.jaas.config cannot be parsed; the client has no SASL credentials.");
                    ignored.push(key.clone());
                }
            }
            continue;
        }
        match java_to_librdkafka(key, value) {
            Mapped::Set(k, v) => {
                config.set(k, v);
            }
            Mapped::Ignored => ignored.push(key.clone()),
            Mapped::Worker => {}
        }
    }
    ignored
}

/// The value in effect of the Java client setting `key` for a task's client of `kind`: the
/// connector's `<kind>.override.<key>`, else the worker's `<kind>.<key>`. For the settings
/// the worker applies itself ([`Mapped::Worker`]).
pub fn java_setting<'a>(
    kind: ClientKind,
    worker: &'a Props,
    connector: &'a Props,
    key: &str,
) -> Option<&'a str> {
    connector
        .get(&format!("{}{key}", kind.override_prefix()))
        .or_else(|| worker.get(&format!("{}{key}", kind.worker_prefix())))
        .map(String::as_str)
}

/// Java client keys every client defines (`CommonClientConfigs`) and librdkafka has an
/// equivalent for (see [`java_to_librdkafka`]); the security keys (`sasl.*`, `ssl.*`) are
/// matched by prefix.
const COMMON_CLIENT_KEYS: &[&str] = &[
    "bootstrap.servers",
    "client.dns.lookup",
    "client.id",
    "connections.max.idle.ms",
    "enable.metrics.push",
    "metadata.max.age.ms",
    "receive.buffer.bytes",
    "reconnect.backoff.max.ms",
    "reconnect.backoff.ms",
    "request.timeout.ms",
    "retry.backoff.max.ms",
    "retry.backoff.ms",
    "security.protocol",
    "send.buffer.bytes",
    "socket.connection.setup.timeout.max.ms",
    "socket.connection.setup.timeout.ms",
];

/// Java producer keys (`ProducerConfig`) beyond [`COMMON_CLIENT_KEYS`] that librdkafka has.
const PRODUCER_KEYS: &[&str] = &[
    "acks",
    "batch.size",
    "buffer.memory",
    "compression.type",
    "delivery.timeout.ms",
    "enable.idempotence",
    "linger.ms",
    "max.in.flight.requests.per.connection",
    "max.request.size",
    "retries",
    "transaction.timeout.ms",
    "transactional.id",
];

/// Java consumer keys (`ConsumerConfig`) beyond [`COMMON_CLIENT_KEYS`] that librdkafka has
/// (or the worker applies: `max.poll.records`).
const CONSUMER_KEYS: &[&str] = &[
    "allow.auto.create.topics",
    "auto.commit.interval.ms",
    "auto.offset.reset",
    "check.crcs",
    "client.rack",
    "enable.auto.commit",
    "fetch.max.bytes",
    "fetch.max.wait.ms",
    "fetch.min.bytes",
    "group.id",
    "group.instance.id",
    "heartbeat.interval.ms",
    "isolation.level",
    "max.partition.fetch.bytes",
    "max.poll.interval.ms",
    "max.poll.records",
    "partition.assignment.strategy",
    "session.timeout.ms",
];

/// Whether Java's client of `kind` defines `key` (Java's admin client: the common and
/// security keys only).
fn defines(kind: ClientKind, key: &str) -> bool {
    key.starts_with("sasl.")
        || key.starts_with("ssl.")
        || COMMON_CLIENT_KEYS.contains(&key)
        || match kind {
            ClientKind::Producer => PRODUCER_KEYS.contains(&key),
            ClientKind::Consumer => CONSUMER_KEYS.contains(&key),
            ClientKind::Admin => false,
        }
}

/// The top-level (un-prefixed) worker keys Java's client of `kind` defines. Java gives a
/// connector's admin clients and the internal topics' clients all of its top-level keys, and
/// each client ignores those it does not define; a key of another client (a consumer's
/// `session.timeout.ms` on an admin client) would be a librdkafka setting of the wrong kind.
pub fn top_level(kind: ClientKind, worker: &Props) -> Props {
    worker
        .iter()
        .filter(|(k, _)| defines(kind, k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Keys of the worker config that every task client inherits (security and connection keys).
fn inherited(worker: &Props) -> Props {
    worker
        .iter()
        .filter(|(k, _)| {
            k.as_str() == "bootstrap.servers"
                || k.as_str() == "client.dns.lookup"
                || k.as_str() == "security.protocol"
                || k.starts_with("sasl.")
                || k.starts_with("ssl.")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A task client's Java settings, in order of precedence from lowest: for producers and
/// consumers the inherited worker keys, then Java's task-client defaults (`defaults`); for
/// admin clients the defaults, then every top-level worker key an admin client defines
/// ([`top_level`]; Java's `Worker.adminConfigs`, where the worker's `client.id` replaces the
/// default one too); then the worker's `<kind>.` keys, then the connector's
/// `<kind>.override.` keys.
pub fn java_settings(
    kind: ClientKind,
    worker: &Props,
    connector: &Props,
    defaults: &[(&str, String)],
) -> Props {
    let mut settings = match kind {
        ClientKind::Admin => top_level_over(kind, worker, defaults),
        ClientKind::Producer | ClientKind::Consumer => {
            let mut settings = inherited(worker);
            settings.extend(defaults.iter().map(|(k, v)| ((*k).to_string(), v.clone())));
            settings
        }
    };
    settings.extend(sluice_api::config::originals_with_prefix(
        worker,
        kind.worker_prefix(),
    ));
    settings.extend(sluice_api::config::originals_with_prefix(
        connector,
        kind.override_prefix(),
    ));
    settings
}

/// Builds a librdkafka client config from the client's [`java_settings`]. Ignored keys are
/// logged once here.
pub fn client_config(
    kind: ClientKind,
    worker: &Props,
    connector: &Props,
    defaults: &[(&str, String)],
) -> ClientConfig {
    config_of(kind, java_settings(kind, worker, connector, defaults))
}

/// Builds the librdkafka config of a distributed worker's internal-topic client of `kind`
/// (Java's `KafkaBasedLog` clients and shared admin client): `defaults`, then every
/// top-level worker key Java's client of that kind defines ([`top_level`]). The `<kind>.`
/// prefixed keys are the connectors' clients', not these.
pub fn internal_client_config(
    kind: ClientKind,
    worker: &Props,
    defaults: &[(&str, String)],
) -> ClientConfig {
    config_of(kind, top_level_over(kind, worker, defaults))
}

/// `defaults` with every top-level worker key Java's client of `kind` defines over them
/// ([`top_level`]).
fn top_level_over(kind: ClientKind, worker: &Props, defaults: &[(&str, String)]) -> Props {
    let mut settings: Props = defaults
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    settings.extend(top_level(kind, worker));
    settings
}

/// The librdkafka config of Java-style `settings`; ignored keys are logged.
fn config_of(kind: ClientKind, mut settings: Props) -> ClientConfig {
    let mut config = ClientConfig::new();
    // Java's clients read the `ssl.*` keys only over TLS; librdkafka built without TLS would
    // refuse them even where they are not used.
    if !uses_tls(&settings) {
        settings.retain(|k, _| !k.starts_with("ssl."));
    }
    let ignored = apply_java_settings(&mut config, &settings);
    if !ignored.is_empty() {
        tracing::debug!(
            ?kind,
            keys = ?ignored,
            "Client settings without a librdkafka equivalent are ignored."
        );
    }
    config
}

/// Whether the `security.protocol` of `settings` is one over TLS (`SSL`, `SASL_SSL`).
fn uses_tls(settings: &Props) -> bool {
    settings
        .get("security.protocol")
        .and_then(|p| SecurityProtocol::parse(p))
        .is_some_and(SecurityProtocol::uses_tls)
}

/// Checks that the worker's client settings (the inherited security and connection keys, then
/// each of its `producer.`, `consumer.` and `admin.` prefixes; with `internal`, a distributed
/// worker's, also the top-level keys its internal-topic clients take) are ones this build's
/// librdkafka takes, so that a worker that could create no Kafka client stops at start with
/// librdkafka's reason instead of failing every task. Sluice's librdkafka is built with
/// rdkafka's default features: without OpenSSL (no `SSL`/`SASL_SSL`, no SCRAM), Cyrus SASL
/// (no GSSAPI), libcurl (no OIDC) and libzstd (no zstd).
pub fn check_worker_clients(worker: &Props, internal: bool) -> Result<(), String> {
    let kinds = [
        ClientKind::Producer,
        ClientKind::Consumer,
        ClientKind::Admin,
    ];
    let mut checked: Vec<(ClientKind, String, ClientConfig)> = kinds
        .iter()
        .map(|&kind| {
            let what = format!("the security keys and {}*", kind.worker_prefix());
            (kind, what, client_config(kind, worker, &Props::new(), &[]))
        })
        .collect();
    if internal {
        checked.extend(kinds.iter().map(|&kind| {
            let what = "the top-level keys of the internal topics' clients".to_string();
            (kind, what, internal_client_config(kind, worker, &[]))
        }));
    }
    for (kind, what, config) in checked {
        let native = config.create_native_config().map_err(|e| {
            format!(
                "The worker's Kafka {kind:?} client settings ({what}) cannot be used by this \
                 build's Kafka client (librdkafka built without OpenSSL, Cyrus SASL, libcurl \
                 and libzstd): {e}"
            )
        })?;
        let sasl = config
            .get("security.protocol")
            .and_then(SecurityProtocol::parse)
            .is_some_and(SecurityProtocol::uses_sasl);
        if sasl {
            // librdkafka takes any mechanism name and fails only when a client is made.
            let mechanism = config.get("sasl.mechanism").unwrap_or("GSSAPI").trim();
            let features = native.get("builtin.features").unwrap_or_default();
            let needed = SASL_FEATURES
                .iter()
                .find(|(m, _)| m.eq_ignore_ascii_case(mechanism))
                .map(|(_, feature)| *feature);
            if !needed.is_some_and(|f| features.split(',').any(|have| have == f)) {
                return Err(format!(
                    "Invalid value {mechanism} for configuration sasl.mechanism: this build's \
                     Kafka client (librdkafka, features {features}) cannot log in with it; \
                     PLAIN is the mechanism it has"
                ));
            }
        }
    }
    Ok(())
}

/// SASL mechanisms and the librdkafka `builtin.features` entry each needs.
const SASL_FEATURES: &[(&str, &str)] = &[
    ("PLAIN", "sasl_plain"),
    ("SCRAM-SHA-256", "sasl_scram"),
    ("SCRAM-SHA-512", "sasl_scram"),
    ("GSSAPI", "sasl_gssapi"),
    ("OAUTHBEARER", "sasl_oauthbearer"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        sluice_api::config::props_of(pairs)
    }

    #[test]
    fn prefixes_and_overrides_in_order() {
        let worker = props(&[
            ("bootstrap.servers", "b:1"),
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";",
            ),
            ("producer.linger.ms", "7"),
            ("producer.buffer.memory", "33554432"),
            ("producer.key.serializer", "x"),
            ("consumer.max.poll.interval.ms", "1000"),
            ("offset.flush.interval.ms", "10"),
        ]);
        let connector = props(&[("producer.override.acks", "1")]);
        let c = client_config(
            ClientKind::Producer,
            &worker,
            &connector,
            &[("acks", "all".to_string())],
        );
        assert_eq!(c.get("bootstrap.servers"), Some("b:1"));
        assert_eq!(c.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(c.get("sasl.mechanism"), Some("PLAIN"));
        assert_eq!(c.get("sasl.username"), Some("u"));
        assert_eq!(c.get("sasl.password"), Some("p"));
        assert_eq!(c.get("linger.ms"), Some("7"));
        assert_eq!(c.get("queue.buffering.max.kbytes"), Some("32768"));
        assert_eq!(c.get("acks"), Some("1"));
        assert_eq!(c.get("max.poll.interval.ms"), None);
        assert_eq!(c.get("key.serializer"), None);
        assert_eq!(c.get("offset.flush.interval.ms"), None);
    }

    #[test]
    fn refused_keys_under_every_prefix() {
        for key in [
            "sasl.kerberos.kinit.cmd",
            "producer.sasl.kerberos.kinit.cmd",
            "consumer.override.plugin.library.paths",
            "admin.override.ssl.engine.location",
            "admin.ssl.providers",
            "producer.override.SSL.ENGINE.ID",
        ] {
            assert!(refused_client_key(key).is_some(), "{key}");
        }
        for key in [
            "sasl.kerberos.service.name",
            "my.sasl.kerberos.kinit.cmd",
            "producer.override.linger.ms",
        ] {
            assert_eq!(refused_client_key(key), None, "{key}");
        }
        let msg = refused_client_key_message("producer.override.sasl.kerberos.kinit.cmd");
        assert!(
            msg.contains("producer.override.sasl.kerberos.kinit.cmd"),
            "{msg}"
        );
        // Never passed to librdkafka, even when a caller skips the check.
        let worker = props(&[("sasl.kerberos.kinit.cmd", "touch /tmp/pwned")]);
        let c = client_config(ClientKind::Producer, &worker, &Props::new(), &[]);
        assert_eq!(c.get("sasl.kerberos.kinit.cmd"), None);
    }

    #[test]
    fn assignor_class_names() {
        assert_eq!(
            java_to_librdkafka(
                "partition.assignment.strategy",
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"
            ),
            Mapped::Set(
                "partition.assignment.strategy".into(),
                "cooperative-sticky".into()
            )
        );
    }

    #[test]
    fn client_metrics_push_reaches_the_client_it_is_given_for() {
        // KIP-714's `enable.metrics.push` has the same name and meaning in librdkafka; with
        // it on (both clients' default) librdkafka keeps eight latency histograms per broker
        // connection of each consumer, ~325 KB (see the README's scale benchmark).
        let worker = props(&[("consumer.enable.metrics.push", "false")]);
        let consumer = client_config(ClientKind::Consumer, &worker, &Props::new(), &[]);
        assert_eq!(consumer.get("enable.metrics.push"), Some("false"));
        let producer = client_config(ClientKind::Producer, &worker, &Props::new(), &[]);
        assert_eq!(producer.get("enable.metrics.push"), None);
        let connector = props(&[("producer.override.enable.metrics.push", "false")]);
        let producer = client_config(ClientKind::Producer, &worker, &connector, &[]);
        assert_eq!(producer.get("enable.metrics.push"), Some("false"));
    }

    #[test]
    fn max_poll_records_is_the_workers_and_the_connector_overrides_it() {
        let worker = props(&[("consumer.max.poll.records", "7")]);
        let none = Props::new();
        let get = |w, c| java_setting(ClientKind::Consumer, w, c, "max.poll.records");
        assert_eq!(get(&worker, &none), Some("7"));
        let connector = props(&[("consumer.override.max.poll.records", "3")]);
        assert_eq!(get(&worker, &connector), Some("3"));
        assert_eq!(get(&none, &none), None);
        assert_eq!(
            java_setting(ClientKind::Producer, &worker, &none, "max.poll.records"),
            None
        );
        // Applied by the worker, so neither passed to librdkafka nor reported as ignored.
        let mut config = ClientConfig::new();
        assert!(apply_java_settings(&mut config, &props(&[("max.poll.records", "7")])).is_empty());
        assert_eq!(config.get("max.poll.records"), None);
    }

    /// A value of the right kind for a Java client key.
    fn sample(key: &str) -> &'static str {
        match key {
            "acks" => "all",
            "isolation.level" => "read_committed",
            "auto.offset.reset" => "earliest",
            "client.dns.lookup" => "use_all_dns_ips",
            // SSL and SASL_SSL need librdkafka built with OpenSSL, which this build is not.
            "security.protocol" => "SASL_PLAINTEXT",
            "sasl.mechanism" => "PLAIN",
            "ssl.endpoint.identification.algorithm" => "https",
            "buffer.memory" => "33554432",
            "enable.idempotence"
            | "enable.auto.commit"
            | "allow.auto.create.topics"
            | "check.crcs"
            | "enable.metrics.push" => "false",
            k if k.ends_with(".ms")
                || k.ends_with(".bytes")
                || k.ends_with(".size")
                || k.ends_with(".connection")
                || k.ends_with(".relogin")
                || k == "retries" =>
            {
                "1000"
            }
            _ => "some-value",
        }
    }

    #[test]
    fn every_key_passed_on_is_one_librdkafka_takes() {
        // A property librdkafka does not know fails the client's creation ("No such
        // configuration property"), and so does a value it does not take: a mapped key and
        // value must be ones it has.
        let mut keys: Vec<&str> = SAME_NAME_KEYS.to_vec();
        keys.extend([
            "fetch.max.wait.ms",
            "ssl.keystore.key",
            "ssl.keystore.certificate.chain",
            "socket.connection.setup.timeout.max.ms",
            "send.buffer.bytes",
            "receive.buffer.bytes",
            "max.request.size",
            "buffer.memory",
            "compression.type",
            "ssl.truststore.location",
            "ssl.truststore.certificates",
        ]);
        for key in keys {
            let value = match key {
                "compression.type" => "zstd",
                _ => sample(key),
            };
            let mut config = ClientConfig::new();
            apply_java_settings(&mut config, &props(&[(key, value)]));
            match config.create_native_config() {
                Ok(_) => {}
                // TLS and OIDC settings in a librdkafka built without OpenSSL and libcurl
                // (rdkafka's default features): known to librdkafka, refused by this build.
                Err(e) if e.to_string().contains("at build time") => {}
                Err(e) => panic!("{key}={value}: {e}"),
            }
        }
    }

    #[test]
    fn java_names_librdkafka_spells_otherwise() {
        let map = |k, v| java_to_librdkafka(k, v);
        let set = |k: &str, v: &str| Mapped::Set(k.into(), v.into());
        assert_eq!(
            map("fetch.max.wait.ms", "100"),
            set("fetch.wait.max.ms", "100")
        );
        assert_eq!(map("ssl.keystore.key", "PEM"), set("ssl.key.pem", "PEM"));
        assert_eq!(
            map("ssl.keystore.certificate.chain", "PEM"),
            set("ssl.certificate.pem", "PEM")
        );
        // Java's empty value turns host name verification off.
        assert_eq!(
            map("ssl.endpoint.identification.algorithm", ""),
            set("ssl.endpoint.identification.algorithm", "none")
        );
        assert_eq!(
            map("ssl.endpoint.identification.algorithm", "https"),
            set("ssl.endpoint.identification.algorithm", "https")
        );
        assert_eq!(
            map("socket.connection.setup.timeout.max.ms", "30000"),
            Mapped::Ignored
        );
        assert_eq!(
            map("send.buffer.bytes", "-1"),
            set("socket.send.buffer.bytes", "0")
        );
        assert_eq!(
            map("receive.buffer.bytes", "65536"),
            set("socket.receive.buffer.bytes", "65536")
        );
        assert_eq!(
            map("auto.offset.reset", "none"),
            set("auto.offset.reset", "error")
        );
        // Each of Java's values is one librdkafka takes.
        for value in ["earliest", "latest", "none", "NONE"] {
            let mut config = ClientConfig::new();
            apply_java_settings(&mut config, &props(&[("auto.offset.reset", value)]));
            if let Err(e) = config.create_native_config() {
                panic!("auto.offset.reset={value}: {e}");
            }
        }
    }

    #[test]
    fn ssl_keys_reach_a_client_only_over_tls() {
        let worker = props(&[
            ("ssl.truststore.location", "/etc/kafka/truststore.pem"),
            ("ssl.endpoint.identification.algorithm", ""),
        ]);
        let plain = client_config(ClientKind::Consumer, &worker, &Props::new(), &[]);
        assert_eq!(plain.get("ssl.ca.location"), None);
        assert_eq!(plain.get("ssl.endpoint.identification.algorithm"), None);
        assert!(check_worker_clients(&worker, true).is_ok());
        let mut tls = worker.clone();
        tls.insert("security.protocol".into(), "sasl_ssl".into());
        let c = client_config(ClientKind::Consumer, &tls, &Props::new(), &[]);
        assert_eq!(c.get("ssl.ca.location"), Some("/etc/kafka/truststore.pem"));
        assert_eq!(c.get("ssl.endpoint.identification.algorithm"), Some("none"));
    }

    #[test]
    fn a_worker_whose_clients_this_build_cannot_make_is_refused_with_the_reason() {
        assert!(check_worker_clients(&props(&[("bootstrap.servers", "b:9092")]), true).is_ok());
        let err = check_worker_clients(&props(&[("security.protocol", "SSL")]), false)
            .expect_err("no TLS in this build");
        assert!(
            err.contains("security.protocol") && err.contains("OpenSSL"),
            "{err}"
        );
        let sasl = |mechanism: Option<&str>| {
            let mut p = props(&[("security.protocol", "SASL_PLAINTEXT")]);
            if let Some(m) = mechanism {
                p.insert("sasl.mechanism".into(), m.into());
            }
            check_worker_clients(&p, false)
        };
        assert!(sasl(Some("PLAIN")).is_ok());
        for refused in [Some("SCRAM-SHA-256"), Some("GSSAPI"), None] {
            let err = sasl(refused).expect_err("not in this build");
            assert!(
                err.starts_with(&format!(
                    "Invalid value {} for configuration sasl.mechanism",
                    refused.unwrap_or("GSSAPI")
                )),
                "{err}"
            );
        }
        let err = check_worker_clients(&props(&[("producer.compression.type", "zstd")]), false)
            .expect_err("no zstd in this build");
        assert!(err.contains("Producer") && err.contains("zstd"), "{err}");
        // A top-level producer key reaches only a distributed worker's internal producers.
        let top = props(&[("compression.type", "zstd")]);
        assert!(check_worker_clients(&top, false).is_ok());
        let err = check_worker_clients(&top, true).expect_err("no zstd in this build");
        assert!(
            err.contains("Producer") && err.contains("internal topics") && err.contains("zstd"),
            "{err}"
        );
    }

    /// A worker config as Java users write it: top-level client keys next to worker keys and
    /// prefixed task-client keys.
    fn java_worker() -> Props {
        props(&[
            ("bootstrap.servers", "b:1"),
            ("group.id", "connect-cluster"),
            ("client.id", "w1"),
            ("session.timeout.ms", "10000"),
            ("request.timeout.ms", "20000"),
            ("metadata.max.age.ms", "60000"),
            ("compression.type", "lz4"),
            ("fetch.min.bytes", "10"),
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
            ("offset.flush.interval.ms", "10"),
            ("admin.retry.backoff.ms", "7"),
            ("producer.linger.ms", "5"),
            ("consumer.fetch.max.bytes", "1024"),
        ])
    }

    #[test]
    fn connector_admin_clients_take_the_top_level_admin_keys() {
        let worker = java_worker();
        let connector = props(&[("admin.override.request.timeout.ms", "30000")]);
        let settings = java_settings(
            ClientKind::Admin,
            &worker,
            &connector,
            &[("client.id", "connector-adminclient-c".to_string())],
        );
        // Java's `Worker.adminConfigs`: defaults, the top-level keys, `admin.*`, overrides.
        for (key, value) in [
            ("client.id", "w1"),
            ("metadata.max.age.ms", "60000"),
            ("retry.backoff.ms", "7"),
            ("request.timeout.ms", "30000"),
            ("sasl.mechanism", "PLAIN"),
        ] {
            assert_eq!(settings.get(key).map(String::as_str), Some(value), "{key}");
        }
        for other in [
            "group.id",
            "session.timeout.ms",
            "compression.type",
            "fetch.min.bytes",
            "offset.flush.interval.ms",
            "linger.ms",
        ] {
            assert_eq!(settings.get(other), None, "{other}");
        }
        let without_id = props(&[("bootstrap.servers", "b:1")]);
        let settings = java_settings(
            ClientKind::Admin,
            &without_id,
            &Props::new(),
            &[("client.id", "connector-adminclient-c".to_string())],
        );
        assert_eq!(
            settings.get("client.id").map(String::as_str),
            Some("connector-adminclient-c")
        );
    }

    #[test]
    fn task_producers_and_consumers_keep_to_their_prefix() {
        let worker = java_worker();
        let producer = client_config(ClientKind::Producer, &worker, &Props::new(), &[]);
        assert_eq!(producer.get("linger.ms"), Some("5"));
        assert_eq!(producer.get("security.protocol"), Some("SASL_PLAINTEXT"));
        assert_eq!(producer.get("compression.type"), None);
        assert_eq!(producer.get("client.id"), None);
        let consumer = client_config(ClientKind::Consumer, &worker, &Props::new(), &[]);
        assert_eq!(consumer.get("fetch.max.bytes"), Some("1024"));
        assert_eq!(consumer.get("fetch.min.bytes"), None);
        assert_eq!(consumer.get("group.id"), None);
    }

    #[test]
    fn internal_clients_take_the_top_level_keys_of_their_kind() {
        let worker = java_worker();
        let defaults = [("enable.metrics.push", "false".to_string())];
        let producer = internal_client_config(ClientKind::Producer, &worker, &defaults);
        assert_eq!(producer.get("compression.type"), Some("lz4"));
        assert_eq!(producer.get("metadata.max.age.ms"), Some("60000"));
        assert_eq!(producer.get("sasl.mechanism"), Some("PLAIN"));
        assert_eq!(producer.get("linger.ms"), None, "producer.* is the tasks'");
        assert_eq!(producer.get("fetch.min.bytes"), None);
        let consumer = internal_client_config(ClientKind::Consumer, &worker, &defaults);
        assert_eq!(consumer.get("fetch.min.bytes"), Some("10"));
        assert_eq!(consumer.get("request.timeout.ms"), Some("20000"));
        assert_eq!(consumer.get("group.id"), Some("connect-cluster"));
        assert_eq!(
            consumer.get("fetch.max.bytes"),
            None,
            "consumer.* is the tasks'"
        );
        assert_eq!(consumer.get("compression.type"), None);
        let admin = internal_client_config(ClientKind::Admin, &worker, &defaults);
        assert_eq!(
            admin.get("retry.backoff.ms"),
            None,
            "admin.* is the connectors'"
        );
        assert_eq!(admin.get("session.timeout.ms"), None);
        assert_eq!(admin.get("bootstrap.servers"), Some("b:1"));
        for config in [&producer, &consumer, &admin] {
            assert_eq!(config.get("enable.metrics.push"), Some("false"));
            // Each internal client's own id is set over this by its store.
            assert_eq!(config.get("client.id"), Some("w1"));
            if let Err(e) = config.create_native_config() {
                panic!("{e}");
            }
        }
    }
}
