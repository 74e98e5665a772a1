//! Kafka client settings: the worker's Java-style client keys mapped onto librdkafka.
//!
//! * Un-prefixed security settings (`security.protocol`, `sasl.*`, `ssl.*`) and
//!   `bootstrap.servers`/`client.dns.lookup` apply to every client, as Java's worker passes
//!   its top-level config to its clients.
//! * `producer.*` applies to source-task producers, `consumer.*` to sink-task consumers,
//!   `admin.*` to admin clients; connector-level `producer.override.*` /
//!   `consumer.override.*` / `admin.override.*` are applied last.
//! * Each Java key is mapped to the librdkafka property of the same meaning (see
//!   [`java_to_librdkafka`]); keys librdkafka has no equivalent for (serializers,
//!   `max.block.ms`, JKS trust stores, …) are ignored with a log line.
//! * Settings that make librdkafka run a command or load code ([`REFUSED_CLIENT_KEYS`]) are
//!   refused under every prefix: the worker config and connector configs are checked with
//!   [`refused_client_key`], and they are never passed to librdkafka.

use rdkafka::ClientConfig;
use sluice_api::Props;

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

/// Maps one Java client key and value onto librdkafka.
pub fn java_to_librdkafka(key: &str, value: &str) -> Mapped {
    let same = |k: &str| Mapped::Set(k.to_string(), value.to_string());
    match key {
        // Identical names and meanings.
        "bootstrap.servers"
        | "client.id"
        | "acks"
        | "linger.ms"
        | "batch.size"
        | "enable.idempotence"
        | "max.in.flight.requests.per.connection"
        | "retries"
        | "retry.backoff.ms"
        | "retry.backoff.max.ms"
        | "request.timeout.ms"
        | "delivery.timeout.ms"
        | "transactional.id"
        | "transaction.timeout.ms"
        | "group.id"
        | "group.instance.id"
        | "session.timeout.ms"
        | "heartbeat.interval.ms"
        | "max.poll.interval.ms"
        | "fetch.min.bytes"
        | "fetch.max.bytes"
        | "max.partition.fetch.bytes"
        | "fetch.max.wait.ms"
        | "isolation.level"
        | "auto.offset.reset"
        | "auto.commit.interval.ms"
        | "enable.auto.commit"
        | "client.rack"
        | "reconnect.backoff.ms"
        | "reconnect.backoff.max.ms"
        | "metadata.max.age.ms"
        | "connections.max.idle.ms"
        | "socket.connection.setup.timeout.ms"
        | "socket.connection.setup.timeout.max.ms"
        | "client.dns.lookup"
        | "allow.auto.create.topics"
        | "check.crcs"
        | "enable.metrics.push"
        | "security.protocol"
        | "sasl.mechanism"
        | "sasl.kerberos.service.name"
        | "sasl.kerberos.min.time.before.relogin"
        | "sasl.oauthbearer.token.endpoint.url"
        | "sasl.oauthbearer.scope"
        | "ssl.key.password"
        | "ssl.keystore.location"
        | "ssl.keystore.password"
        | "ssl.endpoint.identification.algorithm"
        | "ssl.cipher.suites"
        | "ssl.keystore.key"
        | "ssl.keystore.certificate.chain" => same(key),
        "compression.type" => match value {
            "gzip" | "snappy" | "lz4" | "zstd" | "none" => same("compression.type"),
            _ => Mapped::Ignored,
        },
        "send.buffer.bytes" => same("socket.send.buffer.bytes"),
        "receive.buffer.bytes" => same("socket.receive.buffer.bytes"),
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

/// Keys of the worker config that every client inherits (security and connection keys).
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

/// Builds a client config: inherited worker keys, then Java's task-client defaults
/// (`defaults`), then the worker's `<kind>.` keys, then the connector's
/// `<kind>.override.` keys. Ignored keys are logged once here.
pub fn client_config(
    kind: ClientKind,
    worker: &Props,
    connector: &Props,
    defaults: &[(&str, String)],
) -> ClientConfig {
    let mut config = ClientConfig::new();
    let mut settings = inherited(worker);
    for (k, v) in defaults {
        settings.insert((*k).to_string(), v.clone());
    }
    settings.extend(sluice_api::config::originals_with_prefix(
        worker,
        kind.worker_prefix(),
    ));
    settings.extend(sluice_api::config::originals_with_prefix(
        connector,
        kind.override_prefix(),
    ));
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
}
