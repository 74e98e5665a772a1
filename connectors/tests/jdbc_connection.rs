//! The shared JDBC connection against the real PostgreSQL of `scripts/services`.

use sluice_api::{ConfigDef, Props};
use sluice_connectors::jdbc::connection::{connection_keys, ConnectionConfig, CONNECTION_URL};

fn config(url: &str) -> ConnectionConfig {
    let mut def = ConfigDef::new();
    for k in connection_keys(true) {
        def.add(k);
    }
    let props: Props = [
        (CONNECTION_URL.to_string(), url.to_string()),
        ("connection.backoff.ms".to_string(), "10".to_string()),
    ]
    .into_iter()
    .collect();
    ConnectionConfig::from_parsed(&def.parse(&props).expect("valid keys")).expect("valid URL")
}

#[tokio::test]
async fn a_jdbc_url_connects_and_its_current_schema_applies() {
    let (_admin, schema) = sluice_testkit::postgres::fresh_schema("jdbc_conn").await;
    let client = config(&sluice_testkit::postgres::jdbc_url_in(&schema))
        .connect()
        .await
        .expect("connect");
    let current: String = client
        .query_one("SELECT current_schema()", &[])
        .await
        .expect("query")
        .get(0);
    assert_eq!(current, schema);
}

#[tokio::test]
async fn a_missing_database_is_named_in_the_error() {
    let url = sluice_testkit::postgres::jdbc_url().replacen("/postgres", "/no_such_db_here", 1);
    let e = config(&url).connect().await.expect_err("no such database");
    let msg = e.to_string();
    assert!(msg.contains("no_such_db_here"), "{msg}");
    assert_eq!(e.attempts, 3, "connection.attempts defaults to 3");
}

/// The test PostgreSQL (Debian's default cluster) serves TLS with its snakeoil certificate, a
/// self-signed one for the machine's host name.
const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

async fn ssl_in_use(url: &str) -> Result<bool, String> {
    let mut def = ConfigDef::new();
    for k in connection_keys(true) {
        def.add(k);
    }
    let props: Props = [(CONNECTION_URL.to_string(), url.to_string())]
        .into_iter()
        .collect();
    let parsed = def.parse(&props).map_err(|e| e.to_string())?;
    let config = ConnectionConfig::from_parsed(&parsed).map_err(|e| e.to_string())?;
    let client = config.connect_once().await.map_err(|e| format!("{e:?}"))?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

#[tokio::test]
async fn tls_modes_follow_the_jdbc_driver() {
    let base = sluice_testkit::postgres::jdbc_url();
    let sep = if base.contains('?') { '&' } else { '?' };
    let with = |params: &str| format!("{base}{sep}{params}");
    assert!(!ssl_in_use(&with("sslmode=disable")).await.expect("plain"));
    assert!(ssl_in_use(&with("sslmode=require")).await.expect("require"));
    assert!(ssl_in_use(&with("sslmode=prefer")).await.expect("prefer"));
    assert!(
        ssl_in_use(&with(&format!("sslmode=verify-ca&sslrootcert={SNAKEOIL}")))
            .await
            .expect("verify-ca against the server's own certificate")
    );
    // The certificate names the host, not 127.0.0.1: verify-full refuses it.
    let e = ssl_in_use(&with(&format!(
        "sslmode=verify-full&sslrootcert={SNAKEOIL}"
    )))
    .await
    .unwrap_err();
    assert!(e.to_lowercase().contains("name"), "{e}");
    // A root that did not sign the server's certificate.
    let e = ssl_in_use(&with(
        "sslmode=verify-ca&sslrootcert=/etc/ssl/certs/ca-certificates.crt",
    ))
    .await
    .unwrap_err();
    assert!(e.to_lowercase().contains("certificate"), "{e}");
}
