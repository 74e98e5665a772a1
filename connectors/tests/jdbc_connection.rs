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
