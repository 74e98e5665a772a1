//! The PostgreSQL helpers reach the server scripts/services starts.

#[tokio::test]
async fn a_fresh_schema_is_empty_and_usable() {
    let (client, schema) = sluice_testkit::postgres::fresh_schema("Testkit-PG").await;
    assert!(schema.starts_with("testkit_pg_"), "{schema}");
    client
        .batch_execute(&format!("CREATE TABLE \"{schema}\".t (id int)"))
        .await
        .expect("create table");
    let n: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
            &[&schema],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 1);
    assert!(sluice_testkit::postgres::jdbc_url_in(&schema)
        .ends_with(&format!("currentSchema={schema}")));
}
