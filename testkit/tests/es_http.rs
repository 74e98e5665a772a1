//! The test server over HTTP: the Elasticsearch routes a client uses and the admin endpoints
//! the `es-test-server` binary is driven through.

use elasticsearch::http::headers::HeaderMap;
use elasticsearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use elasticsearch::http::{Method, Url};
use elasticsearch::Elasticsearch;
use serde_json::{json, Value};
use sluice_testkit::EsTestServer;

fn client(server: &EsTestServer) -> Elasticsearch {
    let url = Url::parse(&format!("{}/", server.url())).unwrap();
    let transport = TransportBuilder::new(SingleNodeConnectionPool::new(url))
        .disable_proxy()
        .build()
        .unwrap();
    Elasticsearch::new(transport)
}

async fn call(es: &Elasticsearch, method: Method, path: &str, body: Option<&str>) -> (u16, Value) {
    let resp = es
        .send(
            method,
            path,
            HeaderMap::new(),
            None::<&()>,
            body.map(|b| b.as_bytes().to_vec()),
            None,
        )
        .await
        .unwrap();
    let status = resp.status_code().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn index_bulk_search_count_and_get() {
    let server = EsTestServer::start().await.unwrap();
    let es = client(&server);
    let (s, root) = call(&es, Method::Get, "/", None).await;
    assert_eq!(
        (s, root["version"]["number"].clone()),
        (200, json!("8.15.0"))
    );

    let (s, _) = call(
        &es,
        Method::Put,
        "/pos",
        Some(r#"{"mappings":{"properties":{"lat":{"type":"double"}}}}"#),
    )
    .await;
    assert_eq!(s, 200);
    let (s, dup) = call(&es, Method::Put, "/pos", None).await;
    assert_eq!(
        (s, dup["error"]["type"].clone()),
        (400, json!("resource_already_exists_exception"))
    );

    let body = concat!(
        "{\"index\":{\"_index\":\"pos\",\"_id\":\"a\",\"version\":3,\"version_type\":\"external\"}}\n",
        "{\"lat\":1.5,\"name\":\"x\"}\n",
        "{\"index\":{\"_index\":\"pos\",\"_id\":\"a\",\"version\":2,\"version_type\":\"external\"}}\n",
        "{\"lat\":9}\n",
        "{\"index\":{\"_index\":\"pos\",\"_id\":\"b\"}}\n",
        "{\"lat\":\"north\"}\n",
        "{\"delete\":{\"_index\":\"pos\",\"_id\":\"zz\"}}\n",
    );
    let (s, resp) = call(&es, Method::Post, "/_bulk", Some(body)).await;
    assert_eq!(s, 200);
    assert_eq!(resp["errors"], json!(true));
    let statuses: Vec<_> = resp["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_object().unwrap().values().next().unwrap()["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        vec![json!(201), json!(409), json!(400), json!(404)]
    );
    assert_eq!(
        resp["items"][2]["index"]["error"]["type"],
        json!("mapper_parsing_exception")
    );

    let (s, _) = call(
        &es,
        Method::Post,
        "/_bulk",
        Some("{\"index\":{\"_index\":\"pos\"}}\n{}"),
    )
    .await;
    assert_eq!(s, 400, "a bulk body must end with a newline");

    call(&es, Method::Post, "/pos/_refresh", None).await;
    let (_, count) = call(&es, Method::Get, "/pos/_count", None).await;
    assert_eq!(count["count"], json!(1));
    let (_, hits) = call(
        &es,
        Method::Post,
        "/pos/_search",
        Some(r#"{"query":{"term":{"name.keyword":"x"}}}"#),
    )
    .await;
    assert_eq!(hits["hits"]["total"]["value"], json!(1));
    let (_, hits) = call(
        &es,
        Method::Post,
        "/pos/_search",
        Some(r#"{"query":{"ids":{"values":["b"]}}}"#),
    )
    .await;
    assert_eq!(hits["hits"]["total"]["value"], json!(0));
    let (s, doc) = call(&es, Method::Get, "/pos/_doc/a", None).await;
    assert_eq!(
        (s, doc["_version"].clone(), doc["_source"]["lat"].clone()),
        (200, json!(3), json!(1.5))
    );
    let (s, mapping) = call(&es, Method::Get, "/pos/_mapping", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        mapping["pos"]["mappings"]["properties"]["name"]["type"],
        json!("text")
    );
    let (s, _) = call(&es, Method::Delete, "/pos", None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&es, Method::Head, "/pos", None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn admin_endpoints_inject_and_clear_faults() {
    let server = EsTestServer::start().await.unwrap();
    let es = client(&server);
    let bulk = "{\"index\":{\"_index\":\"t\",\"_id\":\"1\"}}\n{\"a\":1}\n";
    call(
        &es,
        Method::Post,
        "/_testkit/bulk_failures",
        Some(r#"{"status":429,"count":2}"#),
    )
    .await;
    assert_eq!(call(&es, Method::Post, "/_bulk", Some(bulk)).await.0, 429);
    assert_eq!(call(&es, Method::Post, "/_bulk", Some(bulk)).await.0, 429);
    assert_eq!(call(&es, Method::Post, "/_bulk", Some(bulk)).await.0, 200);

    call(
        &es,
        Method::Post,
        "/_testkit/item_faults",
        Some(r#"{"id_contains":"1","fault":"version_conflict"}"#),
    )
    .await;
    let (_, resp) = call(&es, Method::Post, "/_bulk", Some(bulk)).await;
    assert_eq!(resp["items"][0]["index"]["status"], json!(409));

    call(
        &es,
        Method::Post,
        "/_testkit/storm",
        Some(r#"{"status":500,"permille":1000}"#),
    )
    .await;
    assert_eq!(call(&es, Method::Post, "/_bulk", Some(bulk)).await.0, 500);
    call(&es, Method::Post, "/_testkit/reset", None).await;
    let (_, resp) = call(&es, Method::Post, "/_bulk", Some(bulk)).await;
    assert_eq!(resp["errors"], json!(false));

    call(
        &es,
        Method::Post,
        "/_testkit/version",
        Some(r#"{"number":"7.10.2"}"#),
    )
    .await;
    assert_eq!(
        call(&es, Method::Get, "/", None).await.1["version"]["number"],
        json!("7.10.2")
    );

    let (_, stats) = call(&es, Method::Get, "/_testkit/stats", None).await;
    assert_eq!(stats["bulk_requests"], json!(6));
    assert_eq!(stats["bulk_requests_failed"], json!(3));
    assert_eq!(stats["version_conflicts"], json!(1));
    assert_eq!(stats["indices"]["t"], json!(1));
    call(&es, Method::Post, "/_testkit/reset?data=true", None).await;
    assert!(server.index_names().is_empty());
}
