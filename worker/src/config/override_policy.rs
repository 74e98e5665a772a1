//! `connector.client.config.override.policy`: which Kafka client settings a connector config
//! may override with `producer.override.*`, `consumer.override.*` and `admin.override.*`
//! (Java's `ConnectorClientConfigOverridePolicy`, KIP-458).
//!
//! * `All` (the default): every key.
//! * `None`: no key.
//! * `Principal`: only the client's identity: `sasl.jaas.config`, `sasl.mechanism` and
//!   `security.protocol`.
//!
//! The policy is checked where Java checks it: when a connector config is validated (the
//! validate endpoint, create, PUT and PATCH answer 400 naming each refused key) and when a
//! task builds its clients (a connector stored before the policy changed fails its tasks
//! with `Client Config Overrides not allowed …`). Which clients a connector has decides which
//! prefixes are checked ([`ClientUse`]).

use sluice_api::config::originals_with_prefix;
use sluice_api::Props;

use super::connector::{ConnectorKind, DLQ_TOPIC};
use super::kafka_clients::ClientKind;

/// The worker key.
pub const CONNECTOR_CLIENT_POLICY: &str = "connector.client.config.override.policy";

/// The package of Java's policy classes; each class is `<package>.<Name>` + [`CLASS_SUFFIX`].
const PACKAGE: &str = "org.apache.kafka.connect.connector.policy.";
/// The suffix of Java's policy class names (`AllConnectorClientConfigOverridePolicy`).
const CLASS_SUFFIX: &str = "ConnectorClientConfigOverridePolicy";

/// The keys the `Principal` policy lets a connector override.
pub const PRINCIPAL_KEYS: &[&str] = &["sasl.jaas.config", "sasl.mechanism", "security.protocol"];

/// Kafka client keys whose values are passwords (Java's `PASSWORD` type): shown as
/// `[hidden]` wherever an override is reported.
const PASSWORD_KEYS: &[&str] = &[
    "sasl.jaas.config",
    "ssl.key.password",
    "ssl.keystore.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
    "sasl.oauthbearer.client.credentials.client.secret",
    "sasl.oauthbearer.assertion.private.key.passphrase",
];

/// A client override policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverridePolicy {
    /// Every client key may be overridden.
    #[default]
    All,
    /// No client key may be overridden.
    None,
    /// Only [`PRINCIPAL_KEYS`] may be overridden.
    Principal,
}

impl OverridePolicy {
    /// The policy named by an alias (`All`), a simple class name
    /// (`AllConnectorClientConfigOverridePolicy`) or a class name
    /// (`org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy`);
    /// the error is Java's.
    pub fn parse(name: &str) -> Result<Self, String> {
        let trimmed = name.trim();
        let simple = trimmed.strip_prefix(PACKAGE).unwrap_or(trimmed);
        let alias = simple.strip_suffix(CLASS_SUFFIX).unwrap_or(simple);
        // A class name must be spelled out in full: `org.….All` is no class.
        if simple != trimmed && alias == simple {
            return Err(unknown(name));
        }
        match alias {
            "All" => Ok(OverridePolicy::All),
            "None" => Ok(OverridePolicy::None),
            "Principal" => Ok(OverridePolicy::Principal),
            _ => Err(unknown(name)),
        }
    }

    /// The name in the policy's messages (`All`, `None`, `Principal`).
    pub fn name(self) -> &'static str {
        match self {
            OverridePolicy::All => "All",
            OverridePolicy::None => "None",
            OverridePolicy::Principal => "Principal",
        }
    }

    /// Whether the policy lets a connector override the client key `key` (unprefixed).
    pub fn allows(self, key: &str) -> bool {
        match self {
            OverridePolicy::All => true,
            OverridePolicy::None => false,
            OverridePolicy::Principal => PRINCIPAL_KEYS.contains(&key),
        }
    }

    /// The error for an override the policy refuses, as Java words it.
    pub fn refusal(self, key: &str) -> String {
        format!(
            "The '{}' policy does not allow '{key}' to be overridden in the connector configuration.",
            self.name()
        )
    }

    /// Every `<kind>.override.*` key of `connector` with its value as shown (passwords
    /// hidden) and the policy's error when it refuses it, in key order.
    pub fn check(self, kind: ClientKind, connector: &Props) -> Vec<CheckedOverride> {
        originals_with_prefix(connector, kind.override_prefix())
            .into_iter()
            .map(|(key, value)| CheckedOverride {
                error: (!self.allows(&key)).then(|| self.refusal(&key)),
                value: shown_value(&key, value),
                key,
            })
            .collect()
    }

    /// Java's runtime check when a task builds its clients: an error naming every override
    /// of the clients in `uses` that the policy refuses.
    pub fn check_task(self, uses: ClientUse, connector: &Props) -> Result<(), String> {
        let refused: Vec<String> = uses
            .kinds()
            .into_iter()
            .flat_map(|kind| self.check(kind, connector))
            .filter_map(|c| {
                let error = c.error?;
                // Java's `ConfigValue.toString`: [name,value,recommendedValues,errors,visible].
                Some(format!("[{},{},[],[{error}],true]", c.key, c.value))
            })
            .collect();
        if refused.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "Client Config Overrides not allowed [{}]",
                refused.join(", ")
            ))
        }
    }
}

/// One client override as checked by a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedOverride {
    /// The client key, without the override prefix.
    pub key: String,
    /// The value, or `[hidden]` for a password.
    pub value: String,
    /// The policy's error when it refuses the key.
    pub error: Option<String>,
}

fn shown_value(key: &str, value: String) -> String {
    if PASSWORD_KEYS.contains(&key) {
        sluice_api::config::Password::HIDDEN.to_string()
    } else {
        value
    }
}

fn unknown(name: &str) -> String {
    format!(
        "Failed to find any class that implements interface {PACKAGE}{CLASS_SUFFIX} and which \
         name matches {name}"
    )
}

/// Which Kafka clients a connector's tasks have, in the order Java reports their overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientUse {
    /// A producer (source tasks; sink tasks with a dead letter queue).
    pub producer: bool,
    /// A consumer (sink tasks).
    pub consumer: bool,
    /// An admin client (source tasks; sink tasks with a dead letter queue).
    pub admin: bool,
}

impl ClientUse {
    /// The clients whose overrides the validation of a `kind` connector config checks (Java's
    /// `connectorUsesProducer/Consumer/Admin`): an admin client for a source only when its
    /// config uses topic creation; on a `distributed` worker, a source with its own offsets
    /// topic also has a consumer and an admin client for it.
    pub fn validated(kind: ConnectorKind, connector: &Props, distributed: bool) -> Self {
        let dlq = has_dlq(connector);
        let own_offsets = distributed
            && crate::storage::connector_offsets::connector_offsets_topic(connector).is_some();
        match kind {
            ConnectorKind::Source => ClientUse {
                producer: true,
                consumer: own_offsets,
                admin: own_offsets || crate::runtime::topic_creation::used_by(connector),
            },
            ConnectorKind::Sink => ClientUse {
                producer: dlq,
                consumer: true,
                admin: dlq,
            },
        }
    }

    /// The clients whose overrides a starting task's check covers (Java's
    /// `Worker.buildWorkerTask`): a source task always configures an admin client.
    pub fn task(kind: ConnectorKind, connector: &Props) -> Self {
        let mut uses = Self::validated(kind, connector, false);
        if kind == ConnectorKind::Source {
            uses.admin = true;
        }
        uses
    }

    /// The client kinds, producer, consumer, admin (the order of Java's merged result).
    pub fn kinds(self) -> Vec<ClientKind> {
        [
            (self.producer, ClientKind::Producer),
            (self.consumer, ClientKind::Consumer),
            (self.admin, ClientKind::Admin),
        ]
        .into_iter()
        .filter_map(|(used, kind)| used.then_some(kind))
        .collect()
    }
}

/// Whether a sink config names a dead letter queue topic.
fn has_dlq(connector: &Props) -> bool {
    connector.get(DLQ_TOPIC).is_some_and(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        sluice_api::config::props_of(pairs)
    }

    #[test]
    fn names_aliases_and_class_names() {
        for (name, policy) in [
            ("All", OverridePolicy::All),
            ("None", OverridePolicy::None),
            ("Principal", OverridePolicy::Principal),
            (" None ", OverridePolicy::None),
            (
                "PrincipalConnectorClientConfigOverridePolicy",
                OverridePolicy::Principal,
            ),
            (
                "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy",
                OverridePolicy::None,
            ),
            (
                "org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy",
                OverridePolicy::All,
            ),
        ] {
            assert_eq!(OverridePolicy::parse(name), Ok(policy), "{name}");
        }
        for name in [
            "all",
            "",
            "Allowlist",
            "org.apache.kafka.connect.connector.policy.None",
            "com.example.NoneConnectorClientConfigOverridePolicy",
        ] {
            let err = OverridePolicy::parse(name).expect_err(name);
            assert_eq!(
                err,
                format!(
                    "Failed to find any class that implements interface \
                     org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy \
                     and which name matches {name}"
                )
            );
        }
    }

    #[test]
    fn each_policy_allows_what_java_allows() {
        for key in [
            "linger.ms",
            "sasl.jaas.config",
            "security.protocol",
            "group.id",
        ] {
            assert!(OverridePolicy::All.allows(key));
            assert!(!OverridePolicy::None.allows(key));
        }
        for key in PRINCIPAL_KEYS {
            assert!(OverridePolicy::Principal.allows(key));
        }
        for key in [
            "linger.ms",
            "sasl.login.class",
            "ssl.keystore.location",
            "client.id",
        ] {
            assert!(!OverridePolicy::Principal.allows(key), "{key}");
        }
    }

    #[test]
    fn check_reports_each_override_of_the_kind_and_hides_passwords() {
        let connector = props(&[
            ("producer.override.linger.ms", "10"),
            ("producer.override.sasl.jaas.config", "secret-jaas"),
            ("consumer.override.max.poll.records", "5"),
            ("linger.ms", "20"),
        ]);
        let checked = OverridePolicy::Principal.check(ClientKind::Producer, &connector);
        assert_eq!(
            checked,
            vec![
                CheckedOverride {
                    key: "linger.ms".into(),
                    value: "10".into(),
                    error: Some(
                        "The 'Principal' policy does not allow 'linger.ms' to be overridden in \
                         the connector configuration."
                            .into()
                    ),
                },
                CheckedOverride {
                    key: "sasl.jaas.config".into(),
                    value: "[hidden]".into(),
                    error: None,
                },
            ]
        );
        assert!(OverridePolicy::All
            .check(ClientKind::Producer, &connector)
            .iter()
            .all(|c| c.error.is_none()));
    }

    #[test]
    fn task_check_names_every_refused_override_of_the_tasks_clients() {
        let connector = props(&[
            ("producer.override.linger.ms", "10"),
            ("admin.override.request.timeout.ms", "1000"),
            ("consumer.override.max.poll.records", "5"),
        ]);
        let uses = ClientUse::task(ConnectorKind::Source, &connector);
        assert_eq!(
            OverridePolicy::None.check_task(uses, &connector),
            Err(
                "Client Config Overrides not allowed [[linger.ms,10,[],[The 'None' policy does \
                 not allow 'linger.ms' to be overridden in the connector configuration.],true], \
                 [request.timeout.ms,1000,[],[The 'None' policy does not allow \
                 'request.timeout.ms' to be overridden in the connector configuration.],true]]"
                    .to_string()
            )
        );
        assert_eq!(OverridePolicy::All.check_task(uses, &connector), Ok(()));
        // A sink without a dead letter queue has only its consumer.
        let uses = ClientUse::task(ConnectorKind::Sink, &connector);
        let err = OverridePolicy::None
            .check_task(uses, &connector)
            .expect_err("consumer override refused");
        assert!(err.contains("[max.poll.records,5,"), "{err}");
        assert!(!err.contains("linger.ms"), "{err}");
    }

    #[test]
    fn which_clients_are_checked() {
        let plain = props(&[]);
        let creating = props(&[("topic.creation.default.partitions", "1")]);
        let dlq = props(&[(DLQ_TOPIC, "dlq")]);
        let empty_dlq = props(&[(DLQ_TOPIC, "")]);
        let kinds = |u: ClientUse| u.kinds();
        use ClientKind::*;
        assert_eq!(
            kinds(ClientUse::validated(ConnectorKind::Source, &plain, false)),
            [Producer]
        );
        assert_eq!(
            kinds(ClientUse::validated(
                ConnectorKind::Source,
                &creating,
                false
            )),
            [Producer, Admin]
        );
        assert_eq!(
            kinds(ClientUse::task(ConnectorKind::Source, &plain)),
            [Producer, Admin]
        );
        // Its own offsets topic: read and created on a distributed worker only.
        let own = props(&[("offsets.storage.topic", "own-offsets")]);
        assert_eq!(
            kinds(ClientUse::validated(ConnectorKind::Source, &own, true)),
            [Producer, Consumer, Admin]
        );
        assert_eq!(
            kinds(ClientUse::validated(ConnectorKind::Source, &own, false)),
            [Producer]
        );
        assert_eq!(
            kinds(ClientUse::validated(ConnectorKind::Sink, &plain, false)),
            [Consumer]
        );
        assert_eq!(
            kinds(ClientUse::validated(ConnectorKind::Sink, &empty_dlq, false)),
            [Consumer]
        );
        assert_eq!(
            kinds(ClientUse::task(ConnectorKind::Sink, &dlq)),
            [Producer, Consumer, Admin]
        );
    }
}
