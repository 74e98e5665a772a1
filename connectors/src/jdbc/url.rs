//! `connection.url`: the PostgreSQL JDBC driver's URL (`jdbc:postgresql://host:port/db?k=v`)
//! and libpq's (`postgres://user:pass@host:port/db`), turned into a tokio-postgres config.
//!
//! Parameters follow the JDBC driver: values are URL-decoded, parameters in the URL win over
//! `connection.user` / `connection.password` (the driver reads the URL after the properties),
//! and parameters Sluice does not know are ignored as the driver ignores them.

use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

use super::tls::{TlsMode, TlsSettings, TlsSetupError};

/// A URL that cannot be used.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum UrlError {
    /// Neither a `jdbc:postgresql:` nor a `postgres(ql)://` URL.
    #[error("not a PostgreSQL URL: expected jdbc:postgresql://host:port/database or postgres://…")]
    NotPostgres,
    /// A host:port part that does not parse.
    #[error("invalid host or port '{0}'")]
    BadHost(String),
    /// A parameter with a value Sluice cannot honour.
    #[error("parameter {key}={value}: {reason}")]
    BadParameter {
        /// The parameter.
        key: String,
        /// Its value.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A libpq URL that tokio-postgres rejects.
    #[error("{0}")]
    Libpq(String),
}

/// The default PostgreSQL port.
pub const DEFAULT_PORT: u16 = 5432;

/// A parsed JDBC URL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JdbcUrl {
    /// `(host, port)` pairs in the order given (several for failover, as the driver allows).
    pub hosts: Vec<(String, u16)>,
    /// The database (`None`: the driver's default, the user name).
    pub database: Option<String>,
    /// Decoded query parameters in order.
    pub params: Vec<(String, String)>,
}

impl JdbcUrl {
    /// Parses `jdbc:postgresql://h1[:p1][,h2[:p2]]/[db][?params]`, `jdbc:postgresql:db`
    /// and `jdbc:postgresql:/`.
    pub fn parse(url: &str) -> Result<JdbcUrl, UrlError> {
        let rest = url
            .trim()
            .strip_prefix("jdbc:postgresql:")
            .ok_or(UrlError::NotPostgres)?;
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut parsed = JdbcUrl::default();
        if let Some(authority_and_db) = path.strip_prefix("//") {
            let (authority, db) = match authority_and_db.split_once('/') {
                Some((a, d)) => (a, d),
                None => (authority_and_db, ""),
            };
            for host in authority.split(',').filter(|h| !h.is_empty()) {
                parsed.hosts.push(parse_host(host)?);
            }
            if !db.is_empty() {
                parsed.database = Some(decode(db));
            }
        } else {
            let db = path.trim_start_matches('/');
            if !db.is_empty() {
                parsed.database = Some(decode(db));
            }
        }
        if parsed.hosts.is_empty() {
            parsed.hosts.push(("localhost".to_string(), DEFAULT_PORT));
        }
        if let Some(q) = query {
            parsed.params =
                serde_urlencoded::from_str::<Vec<(String, String)>>(q).map_err(|e| {
                    UrlError::BadParameter {
                        key: "?".into(),
                        value: q.into(),
                        reason: e.to_string(),
                    }
                })?;
        }
        Ok(parsed)
    }

    /// The last value of a parameter (the driver keeps the last one).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn decode(s: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("x={s}"))
        .ok()
        .and_then(|mut v| v.pop())
        .map(|(_, v)| v)
        .unwrap_or_else(|| s.to_string())
}

fn parse_host(host: &str) -> Result<(String, u16), UrlError> {
    // IPv6 literals are bracketed: [::1]:5432.
    if let Some(rest) = host.strip_prefix('[') {
        let (addr, after) = rest
            .split_once(']')
            .ok_or_else(|| UrlError::BadHost(host.to_string()))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| UrlError::BadHost(host.to_string()))?,
            None if after.is_empty() => DEFAULT_PORT,
            None => return Err(UrlError::BadHost(host.to_string())),
        };
        return Ok((addr.to_string(), port));
    }
    match host.rsplit_once(':') {
        Some((h, p)) => {
            let port = if p.is_empty() {
                DEFAULT_PORT
            } else {
                p.parse().map_err(|_| UrlError::BadHost(host.to_string()))?
            };
            Ok((h.to_string(), port))
        }
        None => Ok((host.to_string(), DEFAULT_PORT)),
    }
}

/// Builds the tokio-postgres config for `connection.url` with the user and password of
/// `connection.user` / `connection.password` (URL parameters win, as with the JDBC driver).
pub fn pg_config(
    url: &str,
    user: Option<&str>,
    password: Option<&str>,
) -> Result<tokio_postgres::Config, UrlError> {
    let trimmed = url.trim();
    if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        let mut config = tokio_postgres::Config::from_str(trimmed)
            .map_err(|e| UrlError::Libpq(e.to_string()))?;
        if config.get_user().is_none() {
            if let Some(u) = user {
                config.user(u);
            }
        }
        if config.get_password().is_none() {
            if let Some(p) = password {
                config.password(p);
            }
        }
        return Ok(config);
    }
    let parsed = JdbcUrl::parse(trimmed)?;
    let mut config = tokio_postgres::Config::new();
    for (host, port) in &parsed.hosts {
        config.host(host);
        config.port(*port);
    }
    let user = parsed.param("user").or(user);
    if let Some(u) = user {
        config.user(u);
    }
    if let Some(p) = parsed.param("password").or(password) {
        config.password(p);
    }
    // The driver's default database is the user name; so is libpq's.
    if let Some(db) = parsed.database.as_deref().or(user) {
        config.dbname(db);
    }
    let mut options = Vec::new();
    for (key, value) in &parsed.params {
        match key.as_str() {
            "ApplicationName" => {
                config.application_name(value);
            }
            "connectTimeout" | "loginTimeout" => {
                let secs: u64 = value.parse().map_err(|_| bad(key, value, "not a number"))?;
                if secs > 0 {
                    config.connect_timeout(Duration::from_secs(secs));
                }
            }
            "tcpKeepAlive" => {
                config.keepalives(value.eq_ignore_ascii_case("true"));
            }
            "targetServerType" => match value.as_str() {
                "any" => {}
                "primary" | "master" | "preferPrimary" | "preferSecondary" => {
                    config.target_session_attrs(
                        tokio_postgres::config::TargetSessionAttrs::ReadWrite,
                    );
                }
                other => return Err(bad(key, other, "only any and primary are supported")),
            },
            "currentSchema" => {
                options.push(format!("-c search_path={}", value.replace(' ', "\\ ")))
            }
            "options" => options.push(value.clone()),
            _ => {}
        }
    }
    if !options.is_empty() {
        config.options(options.join(" "));
    }
    config.ssl_mode(tls_settings(trimmed)?.pg_mode());
    Ok(config)
}

/// The TLS settings of `connection.url`: the driver's `sslmode`, `ssl`, `sslrootcert` and
/// `sslfactory` parameters, or libpq's `sslmode` (disable / prefer / require) in the
/// `postgres://` form.
pub fn tls_settings(url: &str) -> Result<TlsSettings, UrlError> {
    let trimmed = url.trim();
    if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        let config = tokio_postgres::Config::from_str(trimmed)
            .map_err(|e| UrlError::Libpq(e.to_string()))?;
        use tokio_postgres::config::SslMode;
        let mode = match config.get_ssl_mode() {
            SslMode::Disable => TlsMode::Disable,
            SslMode::Require => TlsMode::Require,
            _ => TlsMode::Prefer,
        };
        return Ok(TlsSettings {
            mode,
            root_cert: None,
        });
    }
    let parsed = JdbcUrl::parse(trimmed)?;
    TlsSettings::from_params(parsed.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(
        |e| match e {
            TlsSetupError::Parameter { key, value, reason } => {
                UrlError::BadParameter { key, value, reason }
            }
            other => UrlError::Libpq(other.to_string()),
        },
    )
}

fn bad(key: &str, value: &str, reason: &str) -> UrlError {
    UrlError::BadParameter {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::config::Host;

    fn hosts(c: &tokio_postgres::Config) -> Vec<String> {
        c.get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(s) => s.clone(),
                Host::Unix(p) => p.display().to_string(),
            })
            .collect()
    }

    #[test]
    fn jdbc_url_with_credentials_in_the_query() {
        let c = pg_config(
            "jdbc:postgresql://db.example:6543/orders?user=app&password=s%40cret&ApplicationName=x",
            Some("ignored"),
            Some("ignored"),
        )
        .unwrap();
        assert_eq!(hosts(&c), ["db.example"]);
        assert_eq!(c.get_ports(), [6543]);
        assert_eq!(c.get_dbname(), Some("orders"));
        assert_eq!(c.get_user(), Some("app"));
        assert_eq!(c.get_password(), Some(&b"s@cret"[..]));
        assert_eq!(c.get_application_name(), Some("x"));
    }

    #[test]
    fn jdbc_url_takes_user_and_password_from_the_connector_keys() {
        let c = pg_config("jdbc:postgresql://localhost/", Some("postgres"), Some("pw")).unwrap();
        assert_eq!(c.get_ports(), [DEFAULT_PORT]);
        assert_eq!(c.get_user(), Some("postgres"));
        assert_eq!(
            c.get_dbname(),
            Some("postgres"),
            "database defaults to the user"
        );
        assert_eq!(c.get_password(), Some(&b"pw"[..]));
    }

    #[test]
    fn several_hosts_and_ipv6() {
        let u = JdbcUrl::parse("jdbc:postgresql://a:1,[::1]:2,b/db").unwrap();
        assert_eq!(
            u.hosts,
            [
                ("a".to_string(), 1),
                ("::1".to_string(), 2),
                ("b".to_string(), DEFAULT_PORT)
            ]
        );
        assert_eq!(u.database.as_deref(), Some("db"));
    }

    #[test]
    fn short_forms() {
        let u = JdbcUrl::parse("jdbc:postgresql:inventory").unwrap();
        assert_eq!(u.hosts, [("localhost".to_string(), DEFAULT_PORT)]);
        assert_eq!(u.database.as_deref(), Some("inventory"));
        assert_eq!(JdbcUrl::parse("jdbc:postgresql:/").unwrap().database, None);
    }

    #[test]
    fn libpq_urls_are_accepted() {
        let c = pg_config("postgres://u:p@h:7/d", None, None).unwrap();
        assert_eq!(c.get_user(), Some("u"));
        assert_eq!(c.get_ports(), [7]);
        let c = pg_config("postgresql://h/d", Some("k"), Some("pw")).unwrap();
        assert_eq!(c.get_user(), Some("k"));
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        assert_eq!(
            pg_config("jdbc:mysql://h/d", None, None).unwrap_err(),
            UrlError::NotPostgres
        );
        assert!(matches!(
            JdbcUrl::parse("jdbc:postgresql://h:x/d").unwrap_err(),
            UrlError::BadHost(h) if h == "h:x"
        ));
        let c = pg_config("jdbc:postgresql://h/d?sslmode=require", None, None).unwrap();
        assert_eq!(c.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
        let e = pg_config("jdbc:postgresql://h/d?sslmode=often", None, None).unwrap_err();
        assert!(e.to_string().contains("sslmode=often"), "{e}");
        let e = pg_config("jdbc:postgresql://h/d?connectTimeout=soon", None, None).unwrap_err();
        assert!(e.to_string().contains("connectTimeout"), "{e}");
    }

    #[test]
    fn current_schema_becomes_the_search_path() {
        let c = pg_config("jdbc:postgresql://h/d?currentSchema=sales", None, None).unwrap();
        assert_eq!(c.get_options(), Some("-c search_path=sales"));
    }
}
