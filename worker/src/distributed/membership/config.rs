//! The group member's settings, read from the worker properties with the keys and defaults of
//! Java's `DistributedConfig` (`group.id`, `session.timeout.ms`, `heartbeat.interval.ms`,
//! `rebalance.timeout.ms`, `request.timeout.ms`, `retry.backoff.ms`, `bootstrap.servers`,
//! `client.id`) and the client security keys (`security.protocol`, `sasl.*`, `ssl.*`).
//!
//! SASL credentials come from `sasl.jaas.config` (Java's `PlainLoginModule` or
//! `ScramLoginModule`) or, as librdkafka reads them, from `sasl.username`/`sasl.password`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::config::jaas::parse_jaas;

/// A worker setting the membership client cannot use; every message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required key is not set.
    #[error("Missing required configuration \"{key}\" which has no default value.")]
    Missing {
        /// The key.
        key: String,
    },
    /// A key's value cannot be used.
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    Invalid {
        /// The key.
        key: String,
        /// The value (`[hidden]` for secrets).
        value: String,
        /// What is wrong.
        reason: String,
    },
}

impl ConfigError {
    /// An [`ConfigError::Invalid`] for `key`.
    pub fn invalid(key: &str, value: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// `security.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityProtocol {
    /// `PLAINTEXT` (the default).
    Plaintext,
    /// `SSL`.
    Ssl,
    /// `SASL_PLAINTEXT`.
    SaslPlaintext,
    /// `SASL_SSL`.
    SaslSsl,
}

impl SecurityProtocol {
    /// Java's name of a protocol, in any case and with spaces around it (`sasl_ssl`); `None`
    /// for any other value.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Some(SecurityProtocol::Plaintext),
            "SSL" => Some(SecurityProtocol::Ssl),
            "SASL_PLAINTEXT" => Some(SecurityProtocol::SaslPlaintext),
            "SASL_SSL" => Some(SecurityProtocol::SaslSsl),
            _ => None,
        }
    }
    /// Whether connections use TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }
    /// Whether connections authenticate with SASL.
    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

/// `sasl.mechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `SCRAM-SHA-256` (RFC 7677).
    ScramSha256,
    /// `SCRAM-SHA-512`.
    ScramSha512,
}

impl SaslMechanism {
    /// The mechanism's name as SaslHandshake sends it.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// The SASL mechanism and credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslCredentials {
    /// The mechanism.
    pub mechanism: SaslMechanism,
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslCredentials")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &"[hidden]")
            .finish()
    }
}

/// How connections to brokers are secured.
#[derive(Clone)]
pub struct SecurityConfig {
    /// `security.protocol`.
    pub protocol: SecurityProtocol,
    /// The SASL mechanism and credentials (SASL protocols only).
    pub sasl: Option<SaslCredentials>,
    /// The TLS client configuration (SSL protocols only).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl fmt::Debug for SecurityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityConfig")
            .field("protocol", &self.protocol)
            .field("sasl", &self.sasl)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl SecurityConfig {
    /// `PLAINTEXT`.
    pub fn plaintext() -> Self {
        SecurityConfig {
            protocol: SecurityProtocol::Plaintext,
            sasl: None,
            tls: None,
        }
    }

    /// Reads `security.protocol`, the SASL keys (SASL protocols) and the `ssl.*` keys (SSL
    /// protocols).
    pub fn from_props(props: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let raw = get(props, "security.protocol").unwrap_or("PLAINTEXT");
        let protocol = SecurityProtocol::parse(raw).ok_or_else(|| {
            ConfigError::invalid(
                "security.protocol",
                raw,
                "the group membership client supports PLAINTEXT, SSL, SASL_PLAINTEXT and \
                 SASL_SSL",
            )
        })?;
        let sasl = if protocol.uses_sasl() {
            Some(sasl_credentials(props)?)
        } else {
            None
        };
        let tls = if protocol.uses_tls() {
            Some(super::tls::client_config(props)?)
        } else {
            None
        };
        Ok(SecurityConfig {
            protocol,
            sasl,
            tls,
        })
    }
}

/// `bootstrap.servers` as `host:port` entries (default `localhost:9092`), each checked as
/// Java's `ClientUtils.parseAndValidateAddresses` does.
pub fn bootstrap_servers(props: &BTreeMap<String, String>) -> Result<Vec<String>, ConfigError> {
    let servers = get(props, "bootstrap.servers").unwrap_or("localhost:9092");
    let bootstrap_servers: Vec<String> = servers
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if bootstrap_servers.is_empty() {
        return Err(ConfigError::invalid(
            "bootstrap.servers",
            servers,
            "at least one host:port is needed",
        ));
    }
    for s in &bootstrap_servers {
        let valid = s
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
        if !valid {
            return Err(ConfigError::invalid(
                "bootstrap.servers",
                servers,
                format!("Invalid url in bootstrap.servers: {s}"),
            ));
        }
    }
    Ok(bootstrap_servers)
}

/// The group member's settings (see the module documentation).
#[derive(Debug, Clone)]
pub struct MembershipConfig {
    /// `bootstrap.servers` (`host:port` entries; default `localhost:9092`).
    pub bootstrap_servers: Vec<String>,
    /// `group.id` (required).
    pub group_id: String,
    /// `client.id`; empty means `connect-1`, as Java numbers its group members.
    pub client_id: String,
    /// `session.timeout.ms` (default 10000).
    pub session_timeout: Duration,
    /// `rebalance.timeout.ms` (default 60000).
    pub rebalance_timeout: Duration,
    /// `heartbeat.interval.ms` (default 3000).
    pub heartbeat_interval: Duration,
    /// `request.timeout.ms` (default 40000).
    pub request_timeout: Duration,
    /// `retry.backoff.ms` (default 100).
    pub retry_backoff: Duration,
    /// `security.protocol`, `sasl.*`, `ssl.*`.
    pub security: SecurityConfig,
}

impl MembershipConfig {
    /// Reads the settings from the worker properties.
    pub fn from_worker_props(props: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let group_id = get(props, "group.id")
            .ok_or_else(|| ConfigError::Missing {
                key: "group.id".to_string(),
            })?
            .to_string();
        let bootstrap_servers = bootstrap_servers(props)?;
        let client_id = match get(props, "client.id") {
            Some(id) => id.to_string(),
            None => "connect-1".to_string(),
        };
        Ok(MembershipConfig {
            bootstrap_servers,
            group_id,
            client_id,
            session_timeout: millis(props, "session.timeout.ms", 10_000, i32::MAX as u64)?,
            rebalance_timeout: millis(props, "rebalance.timeout.ms", 60_000, i32::MAX as u64)?,
            heartbeat_interval: millis(props, "heartbeat.interval.ms", 3_000, i32::MAX as u64)?,
            request_timeout: millis(props, "request.timeout.ms", 40_000, i32::MAX as u64)?,
            retry_backoff: millis(props, "retry.backoff.ms", 100, i64::MAX as u64)?,
            security: SecurityConfig::from_props(props)?,
        })
    }

    /// The session timeout in milliseconds as JoinGroup sends it.
    pub fn session_timeout_ms(&self) -> i32 {
        i32::try_from(self.session_timeout.as_millis()).unwrap_or(i32::MAX)
    }

    /// The rebalance timeout in milliseconds as JoinGroup sends it.
    pub fn rebalance_timeout_ms(&self) -> i32 {
        i32::try_from(self.rebalance_timeout.as_millis()).unwrap_or(i32::MAX)
    }
}

/// A non-blank, trimmed value.
fn get<'a>(props: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    props.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A millisecond duration key: an integer from 0 to `max`; `default` when unset.
fn millis(
    props: &BTreeMap<String, String>,
    key: &str,
    default: u64,
    max: u64,
) -> Result<Duration, ConfigError> {
    let Some(raw) = get(props, key) else {
        return Ok(Duration::from_millis(default));
    };
    let kind = if max == i32::MAX as u64 {
        "INT"
    } else {
        "LONG"
    };
    let value: i64 = raw
        .parse()
        .map_err(|_| ConfigError::invalid(key, raw, format!("Not a number of type {kind}")))?;
    if value < 0 || value as u64 > max {
        return Err(ConfigError::invalid(
            key,
            raw,
            format!("Value must be between 0 and {max}"),
        ));
    }
    Ok(Duration::from_millis(value as u64))
}

/// `sasl.mechanism` (or librdkafka's `sasl.mechanisms`; Java's default GSSAPI is refused).
fn sasl_mechanism(props: &BTreeMap<String, String>) -> Result<SaslMechanism, ConfigError> {
    let (key, raw) = match get(props, "sasl.mechanism") {
        Some(v) => ("sasl.mechanism", v),
        None => match get(props, "sasl.mechanisms") {
            Some(v) => ("sasl.mechanisms", v),
            None => ("sasl.mechanism", "GSSAPI"),
        },
    };
    match raw.to_ascii_uppercase().as_str() {
        "PLAIN" => Ok(SaslMechanism::Plain),
        "SCRAM-SHA-256" => Ok(SaslMechanism::ScramSha256),
        "SCRAM-SHA-512" => Ok(SaslMechanism::ScramSha512),
        _ => Err(ConfigError::invalid(
            key,
            raw,
            "the group membership client supports the SASL mechanisms PLAIN, SCRAM-SHA-256 \
             and SCRAM-SHA-512",
        )),
    }
}

/// The mechanism and credentials: `sasl.jaas.config`, else `sasl.username`/`sasl.password`.
fn sasl_credentials(props: &BTreeMap<String, String>) -> Result<SaslCredentials, ConfigError> {
    let mechanism = sasl_mechanism(props)?;
    if let Some(jaas) = get(props, "sasl.jaas.config") {
        let hidden = "[hidden]";
        let entry = parse_jaas(jaas)
            .map_err(|reason| ConfigError::invalid("sasl.jaas.config", hidden, reason))?;
        let class = entry.login_module.rsplit('.').next().unwrap_or("");
        let expected = match mechanism {
            SaslMechanism::Plain => "PlainLoginModule",
            SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => "ScramLoginModule",
        };
        if class != expected {
            return Err(ConfigError::invalid(
                "sasl.jaas.config",
                hidden,
                format!(
                    "the login module {} does not match sasl.mechanism={} (expected {expected})",
                    entry.login_module,
                    mechanism.name()
                ),
            ));
        }
        let option = |name: &str| {
            entry.options.get(name).cloned().ok_or_else(|| {
                ConfigError::invalid(
                    "sasl.jaas.config",
                    hidden,
                    format!("the login module has no {name} option"),
                )
            })
        };
        return Ok(SaslCredentials {
            mechanism,
            username: option("username")?,
            password: option("password")?,
        });
    }
    let username = props
        .get("sasl.username")
        .ok_or_else(|| ConfigError::Missing {
            key: "sasl.jaas.config".to_string(),
        })?;
    let password = props
        .get("sasl.password")
        .ok_or_else(|| ConfigError::Missing {
            key: "sasl.password".to_string(),
        })?;
    Ok(SaslCredentials {
        mechanism,
        username: username.clone(),
        password: password.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_of_distributed_config() {
        let c = MembershipConfig::from_worker_props(&props(&[("group.id", "g")])).expect("config");
        assert_eq!(c.group_id, "g");
        assert_eq!(c.bootstrap_servers, vec!["localhost:9092".to_string()]);
        assert_eq!(c.client_id, "connect-1");
        assert_eq!(c.session_timeout, Duration::from_millis(10_000));
        assert_eq!(c.heartbeat_interval, Duration::from_millis(3_000));
        assert_eq!(c.rebalance_timeout, Duration::from_millis(60_000));
        assert_eq!(c.request_timeout, Duration::from_millis(40_000));
        assert_eq!(c.retry_backoff, Duration::from_millis(100));
        assert_eq!(c.security.protocol, SecurityProtocol::Plaintext);
        assert!(c.security.sasl.is_none() && c.security.tls.is_none());
    }

    #[test]
    fn keys_are_read() {
        let c = MembershipConfig::from_worker_props(&props(&[
            ("group.id", "g"),
            ("bootstrap.servers", " a:1, b:2 ,"),
            ("client.id", "w1"),
            ("session.timeout.ms", "6000"),
            ("heartbeat.interval.ms", "500"),
            ("rebalance.timeout.ms", "7000"),
            ("request.timeout.ms", "8000"),
            ("retry.backoff.ms", "9"),
        ]))
        .expect("config");
        assert_eq!(c.bootstrap_servers, vec!["a:1".to_string(), "b:2".into()]);
        assert_eq!(c.client_id, "w1");
        assert_eq!(c.session_timeout_ms(), 6000);
        assert_eq!(c.heartbeat_interval, Duration::from_millis(500));
        assert_eq!(c.rebalance_timeout_ms(), 7000);
        assert_eq!(c.request_timeout, Duration::from_millis(8000));
        assert_eq!(c.retry_backoff, Duration::from_millis(9));
    }

    #[test]
    fn errors_name_the_key() {
        let err = MembershipConfig::from_worker_props(&props(&[])).expect_err("no group");
        assert_eq!(
            err.to_string(),
            "Missing required configuration \"group.id\" which has no default value."
        );
        let err = MembershipConfig::from_worker_props(&props(&[
            ("group.id", "g"),
            ("session.timeout.ms", "ten"),
        ]))
        .expect_err("bad number");
        assert_eq!(
            err.to_string(),
            "Invalid value ten for configuration session.timeout.ms: Not a number of type INT"
        );
        let err = MembershipConfig::from_worker_props(&props(&[
            ("group.id", "g"),
            ("bootstrap.servers", "nohost"),
        ]))
        .expect_err("bad server");
        assert!(err.to_string().contains("bootstrap.servers"), "{err}");
        let err = MembershipConfig::from_worker_props(&props(&[
            ("group.id", "g"),
            ("security.protocol", "SASL_SSLX"),
        ]))
        .expect_err("bad protocol");
        assert!(
            err.to_string()
                .starts_with("Invalid value SASL_SSLX for configuration security.protocol"),
            "{err}"
        );
        // Java's default mechanism is GSSAPI, which this client does not speak.
        let err = MembershipConfig::from_worker_props(&props(&[
            ("group.id", "g"),
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.username", "u"),
            ("sasl.password", "p"),
        ]))
        .expect_err("gssapi");
        assert!(
            err.to_string()
                .starts_with("Invalid value GSSAPI for configuration sasl.mechanism"),
            "{err}"
        );
        let err = MembershipConfig::from_worker_props(&props(&[
            ("group.id", "g"),
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "OAUTHBEARER"),
        ]))
        .expect_err("oauth");
        assert!(err.to_string().contains("sasl.mechanism"), "{err}");
        let err = MembershipConfig::from_worker_props(&props(&[
            ("group.id", "g"),
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
        ]))
        .expect_err("no credentials");
        assert!(err.to_string().contains("sasl.jaas.config"), "{err}");
        let err = MembershipConfig::from_worker_props(&props(&[
            ("group.id", "g"),
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-256"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required \
                 username=\"u\" password=\"p\";",
            ),
        ]))
        .expect_err("module mismatch");
        assert!(err.to_string().contains("sasl.jaas.config"), "{err}");
        assert!(!err.to_string().contains("\"p\""), "{err}");
    }

    #[test]
    fn sasl_from_jaas_and_from_librdkafka_keys() {
        let c = MembershipConfig::from_worker_props(&props(&[
            ("group.id", "g"),
            ("security.protocol", "sasl_plaintext"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required \
                 username=\"alice\" password=\"s3cr\\\"et\";",
            ),
        ]))
        .expect("config");
        assert_eq!(c.security.protocol, SecurityProtocol::SaslPlaintext);
        let sasl = c.security.sasl.expect("sasl");
        assert_eq!(sasl.mechanism, SaslMechanism::Plain);
        assert_eq!(sasl.username, "alice");
        assert_eq!(sasl.password, "s3cr\"et");
        assert!(!format!("{sasl:?}").contains("s3cr"));

        let c = MembershipConfig::from_worker_props(&props(&[
            ("group.id", "g"),
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "bob"),
            ("sasl.password", "pw"),
        ]))
        .expect("config");
        let sasl = c.security.sasl.expect("sasl");
        assert_eq!(sasl.mechanism, SaslMechanism::ScramSha512);
        assert_eq!(
            (sasl.username.as_str(), sasl.password.as_str()),
            ("bob", "pw")
        );
    }
}
