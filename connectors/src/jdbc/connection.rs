//! The database connection both JDBC connectors use: the `connection.*` keys of Confluent's
//! configs, connecting with `connection.attempts` tries `connection.backoff.ms` apart
//! (Confluent's `CachedConnectionProvider`), and one cached client that is replaced when it
//! breaks.

use std::time::Duration;

use sluice_api::config::Width;
use sluice_api::{ConfigError, ConfigKey, ConfigType, Importance, ParsedConfig, Validator};
use thiserror::Error;
use tokio_postgres::{Client, NoTls};
use tracing::{debug, info, warn};

use super::tls::TlsMode;
use super::url::{pg_config, tls_settings, UrlError};

/// `connection.url`.
pub const CONNECTION_URL: &str = "connection.url";
/// `connection.user`.
pub const CONNECTION_USER: &str = "connection.user";
/// `connection.password`.
pub const CONNECTION_PASSWORD: &str = "connection.password";
/// `connection.attempts`.
pub const CONNECTION_ATTEMPTS: &str = "connection.attempts";
/// `connection.backoff.ms`.
pub const CONNECTION_BACKOFF_MS: &str = "connection.backoff.ms";

/// The config group these keys belong to.
pub const DATABASE_GROUP: &str = "Database";

/// The `connection.*` keys. `url_required`: the sink requires `connection.url`; the source
/// defaults it to "" (and fails when it is used empty).
pub fn connection_keys(url_required: bool) -> Vec<ConfigKey> {
    let url = ConfigKey::new(
        CONNECTION_URL,
        ConfigType::String,
        Importance::High,
        "JDBC connection URL. For PostgreSQL: jdbc:postgresql://host:port/database, with \
         optional parameters (?user=…&password=…&currentSchema=…); postgres://user:password@host:port/database \
         is accepted too.",
    )
    .display(DATABASE_GROUP, 1, Width::Long, "JDBC URL");
    let url = if url_required { url } else { url.default("") };
    vec![
        url,
        ConfigKey::new(
            CONNECTION_USER,
            ConfigType::String,
            Importance::High,
            "JDBC connection user.",
        )
        .default_null()
        .display(DATABASE_GROUP, 2, Width::Long, "JDBC User"),
        ConfigKey::new(
            CONNECTION_PASSWORD,
            ConfigType::Password,
            Importance::High,
            "JDBC connection password.",
        )
        .default_null()
        .display(DATABASE_GROUP, 3, Width::Short, "JDBC Password"),
        ConfigKey::new(
            CONNECTION_ATTEMPTS,
            ConfigType::Int,
            Importance::Low,
            "Maximum number of attempts to retrieve a valid JDBC connection. Must be a positive integer.",
        )
        .default("3")
        .validator(Validator::at_least(1.0))
        .display(DATABASE_GROUP, 5, Width::Short, "JDBC connection attempts"),
        ConfigKey::new(
            CONNECTION_BACKOFF_MS,
            ConfigType::Long,
            Importance::Low,
            "Backoff time in milliseconds between connection attempts.",
        )
        .default("10000")
        .display(
            DATABASE_GROUP,
            6,
            Width::Short,
            "JDBC connection backoff in milliseconds",
        ),
    ]
}

/// The typed `connection.*` settings.
#[derive(Clone)]
pub struct ConnectionConfig {
    /// `connection.url` as written (shown in messages without its password).
    pub url: String,
    /// The tokio-postgres config built from the URL, user and password.
    pub pg: tokio_postgres::Config,
    /// `connection.attempts`.
    pub attempts: u32,
    /// `connection.backoff.ms`.
    pub backoff: Duration,
    /// TLS (`sslmode` and friends in `connection.url`), its rustls configuration built once.
    pub tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

impl std::fmt::Debug for ConnectionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionConfig")
            .field("url", &redact(&self.url))
            .field("attempts", &self.attempts)
            .field("backoff", &self.backoff)
            .finish()
    }
}

impl ConnectionConfig {
    /// Reads the keys from a parsed config; a URL that cannot be used is an error on
    /// `connection.url`.
    pub fn from_parsed(config: &ParsedConfig) -> Result<ConnectionConfig, ConfigError> {
        let url = config.get_string(CONNECTION_URL).unwrap_or_default();
        let user = config.get_string(CONNECTION_USER);
        let password = config.get_password(CONNECTION_PASSWORD);
        let pg =
            pg_config(url, user, password.map(|p| p.value())).map_err(|e| url_error(url, e))?;
        let settings = tls_settings(url).map_err(|e| url_error(url, e))?;
        let tls = match settings.mode {
            TlsMode::Disable => None,
            _ => Some(tokio_postgres_rustls::MakeRustlsConnect::new(
                settings.client_config().map_err(|e| {
                    ConfigError::invalid(CONNECTION_URL, redact(url), e.to_string())
                })?,
            )),
        };
        Ok(ConnectionConfig {
            url: url.to_string(),
            pg,
            tls,
            attempts: config.get_int(CONNECTION_ATTEMPTS)?.max(1) as u32,
            backoff: Duration::from_millis(config.get_long(CONNECTION_BACKOFF_MS)?.max(0) as u64),
        })
    }

    /// Connects, trying `connection.attempts` times `connection.backoff.ms` apart.
    pub async fn connect(&self) -> Result<Client, ConnectionError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.connect_once().await {
                Ok(client) => return Ok(client),
                Err(e) if attempt < self.attempts => {
                    info!(
                        url = %redact(&self.url),
                        attempt,
                        attempts = self.attempts,
                        backoff_ms = self.backoff.as_millis() as u64,
                        error = %e,
                        "Unable to connect to database; will retry."
                    );
                    tokio::time::sleep(self.backoff).await;
                }
                Err(e) => {
                    return Err(ConnectionError {
                        url: redact(&self.url),
                        attempts: attempt,
                        source: e,
                    })
                }
            }
        }
    }

    /// One connection attempt, with the connection's I/O driven by a spawned task.
    pub async fn connect_once(&self) -> Result<Client, tokio_postgres::Error> {
        let client = match &self.tls {
            None => {
                let (client, connection) = self.pg.connect(NoTls).await?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        debug!(error = %e, "PostgreSQL connection closed.");
                    }
                });
                client
            }
            Some(tls) => {
                let (client, connection) = self.pg.connect(tls.clone()).await?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        debug!(error = %e, "PostgreSQL connection closed.");
                    }
                });
                client
            }
        };
        Ok(client)
    }
}

/// Connecting failed on every attempt.
#[derive(Debug, Error)]
#[error("Unable to connect to the database at {url} after {attempts} attempt(s): {}", describe(.source))]
pub struct ConnectionError {
    /// The URL without its password.
    pub url: String,
    /// How many attempts were made.
    pub attempts: u32,
    /// The last attempt's error.
    #[source]
    pub source: tokio_postgres::Error,
}

/// A tokio-postgres error as one line, with the server's message and SQLSTATE when there is one.
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!(
                "{}: {} (SQLSTATE {})",
                db.severity(),
                db.message(),
                db.code().code()
            );
            if let Some(detail) = db.detail() {
                s.push_str(&format!(" Detail: {detail}"));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                let c = cause.to_string();
                if !s.contains(&c) {
                    s.push_str(&format!(": {c}"));
                }
                source = cause.source();
            }
            s
        }
    }
}

/// The URL with any `password=` parameter or `user:password@` part replaced by `****`.
pub fn redact(url: &str) -> String {
    let re_param = regex::Regex::new(r"(?i)(password=)[^&;]*").expect("static regex");
    let re_userinfo = regex::Regex::new(r"^([a-z]+://[^:/@]+:)[^@/]*@").expect("static regex");
    let s = re_param.replace_all(url, "${1}****");
    re_userinfo.replace(&s, "${1}****@").into_owned()
}

fn url_error(url: &str, e: UrlError) -> ConfigError {
    ConfigError::invalid(CONNECTION_URL, redact(url), e.to_string())
}

/// One cached client, reconnected (with the configured attempts) when it has closed.
pub struct CachedConnection {
    config: ConnectionConfig,
    client: Option<Client>,
}

impl CachedConnection {
    /// A provider that connects on first use.
    pub fn new(config: ConnectionConfig) -> CachedConnection {
        CachedConnection {
            config,
            client: None,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// A usable client: the cached one, or a new one when there is none or it has closed.
    pub async fn get(&mut self) -> Result<&mut Client, ConnectionError> {
        if self.client.as_ref().is_some_and(|c| c.is_closed()) {
            warn!(url = %redact(&self.config.url), "The database connection was closed; reconnecting.");
            self.client = None;
        }
        if self.client.is_none() {
            self.client = Some(self.config.connect().await?);
        }
        Ok(self.client.as_mut().expect("just connected"))
    }

    /// Drops the cached client (the next `get` reconnects).
    pub fn close(&mut self) {
        self.client = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::{ConfigDef, Props};

    fn def() -> ConfigDef {
        let mut d = ConfigDef::new();
        for k in connection_keys(true) {
            d.add(k);
        }
        d
    }

    fn props(pairs: &[(&str, &str)]) -> Props {
        sluice_api::config::props_of(pairs)
    }

    #[test]
    fn keys_parse_into_the_typed_config() {
        let parsed = def()
            .parse(&props(&[
                (CONNECTION_URL, "jdbc:postgresql://127.0.0.1:5432/postgres"),
                (CONNECTION_USER, "postgres"),
                (CONNECTION_ATTEMPTS, "5"),
                (CONNECTION_BACKOFF_MS, "20"),
            ]))
            .unwrap();
        let c = ConnectionConfig::from_parsed(&parsed).unwrap();
        assert_eq!(c.attempts, 5);
        assert_eq!(c.backoff, Duration::from_millis(20));
        assert_eq!(c.pg.get_user(), Some("postgres"));
    }

    #[test]
    fn a_bad_url_is_an_error_on_connection_url() {
        let parsed = def()
            .parse(&props(&[(CONNECTION_URL, "jdbc:mysql://h/d?password=x")]))
            .unwrap();
        let e = ConnectionConfig::from_parsed(&parsed).unwrap_err();
        assert_eq!(e.key.as_deref(), Some(CONNECTION_URL));
        assert!(!e.message.contains("password=x"), "{}", e.message);
        assert!(e.message.contains("not a PostgreSQL URL"), "{}", e.message);
    }

    #[test]
    fn attempts_below_one_are_refused() {
        let e = def()
            .parse(&props(&[
                (CONNECTION_URL, "jdbc:postgresql:/"),
                (CONNECTION_ATTEMPTS, "0"),
            ]))
            .unwrap_err();
        assert!(e.first().unwrap().message.contains(CONNECTION_ATTEMPTS));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("jdbc:postgresql://h/d?user=u&password=secret&x=1"),
            "jdbc:postgresql://h/d?user=u&password=****&x=1"
        );
        assert_eq!(redact("postgres://u:secret@h/d"), "postgres://u:****@h/d");
    }

    #[tokio::test]
    async fn an_unreachable_database_fails_after_the_configured_attempts() {
        // A port nothing listens on: every attempt is refused at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let parsed = def()
            .parse(&props(&[
                (
                    CONNECTION_URL,
                    &format!("jdbc:postgresql://127.0.0.1:{port}/x"),
                ),
                (CONNECTION_ATTEMPTS, "2"),
                (CONNECTION_BACKOFF_MS, "10"),
            ]))
            .unwrap();
        let c = ConnectionConfig::from_parsed(&parsed).unwrap();
        let e = c.connect().await.unwrap_err();
        assert_eq!(e.attempts, 2);
        assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
    }
}
