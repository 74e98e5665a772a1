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

use rdkafka::ClientConfig;
use sluice_api::Props;

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
        | "security.protocol"
        | "sasl.mechanism"
        | "sasl.kerberos.service.name"
        | "sasl.kerberos.kinit.cmd"
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
        _ => Mapped::Ignored,
    }
}

/// `sasl.jaas.config` for PLAIN/SCRAM: extracts `username="…"` and `password="…"`.
fn jaas_credentials(jaas: &str) -> (Option<String>, Option<String>) {
    let find = |name: &str| -> Option<String> {
        let start = jaas.find(&format!("{name}="))? + name.len() + 1;
        let rest = &jaas[start..];
        let rest = rest.strip_prefix('"')?;
        let end = rest.find('"')?;
        Some(rest[..end].to_string())
    };
    (find("username"), find("password"))
}

/// Applies Java-style client `settings` onto `config`, returning the keys that were ignored.
pub fn apply_java_settings(config: &mut ClientConfig, settings: &Props) -> Vec<String> {
    let mut ignored = Vec::new();
    for (key, value) in settings {
        if key == "sasl.jaas.config" {
            let (user, password) = jaas_credentials(value);
            if let Some(u) = user {
                config.set("sasl.username", u);
            }
            if let Some(p) = password {
                config.set("sasl.password", p);
            }
            continue;
        }
        match java_to_librdkafka(key, value) {
            Mapped::Set(k, v) => {
                config.set(k, v);
            }
            Mapped::Ignored => ignored.push(key.clone()),
        }
    }
    ignored
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
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
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
}
