//! The real PostgreSQL the JDBC tests use (started by `scripts/services start`), and a fresh
//! schema per test so tests never see each other's tables.
//!
//! `SLUICE_TEST_POSTGRES_URL` (libpq form, default `postgres://postgres@127.0.0.1:5432/postgres`)
//! names the server. Tests fail, never skip, when it is unreachable.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

/// The server's URL in libpq form.
pub fn libpq_url() -> String {
    std::env::var("SLUICE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn config() -> Config {
    libpq_url()
        .parse()
        .unwrap_or_else(|e| panic!("SLUICE_TEST_POSTGRES_URL is not a libpq URL: {e}"))
}

/// The same server as a `jdbc:postgresql://host:port/db?user=…[&password=…]` URL, the form
/// users copy into connector configs.
pub fn jdbc_url() -> String {
    let c = config();
    let host = match c.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_string(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    let db = c.get_dbname().unwrap_or("postgres");
    let mut url = format!("jdbc:postgresql://{host}:{port}/{db}");
    let mut sep = '?';
    if let Some(user) = c.get_user() {
        url.push_str(&format!("{sep}user={user}"));
        sep = '&';
    }
    if let Some(pw) = c.get_password() {
        url.push_str(&format!("{sep}password={}", String::from_utf8_lossy(pw)));
    }
    url
}

/// A connected client (its connection driven by a spawned task).
pub async fn connect() -> Client {
    let (client, connection) = config().connect(NoTls).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL at {} (scripts/services start): {e}",
            libpq_url()
        )
    });
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Creates a new, empty schema named `<prefix>_<pid>_<n>` (lower case) and returns it with a
/// client. Connector configs point at it with `currentSchema=<schema>` in the URL or with
/// `schema.pattern`.
pub async fn fresh_schema(prefix: &str) -> (Client, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let schema = format!(
        "{}_{}_{}",
        prefix
            .to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let client = connect().await;
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; CREATE SCHEMA \"{schema}\""
        ))
        .await
        .unwrap_or_else(|e| panic!("creating schema {schema}: {e}"));
    (client, schema)
}

/// [`jdbc_url`] with `currentSchema` set, so unqualified names resolve in `schema`.
pub fn jdbc_url_in(schema: &str) -> String {
    let url = jdbc_url();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}currentSchema={schema}")
}
