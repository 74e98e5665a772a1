//! Root resources, generic error mapping (404/405/413/415, panics) and the OpenAPI
//! document's coverage of the router.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

use super::TestApp;
use crate::rest::{extract::MAX_BODY_BYTES, Readiness};

#[tokio::test]
async fn root_and_health() {
    let app = TestApp::new();
    let r = app.call("GET", "/", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["version", "commit", "kafka_cluster_id"]
    );
    assert_eq!(r.json["kafka_cluster_id"], "test-cluster");
    // Looked up once, then cached.
    app.call("GET", "/", None).await;
    assert_eq!(app.herder.cluster_id_calls.load(Ordering::SeqCst), 1);
    let r = app.call("GET", "/health", None).await;
    assert_eq!(
        (r.status, r.json),
        (
            StatusCode::OK,
            json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."})
        )
    );
    let mut starting = TestApp::new();
    starting.state = starting.state.clone().with_readiness(Readiness::starting());
    let r = starting.call("GET", "/health", None).await;
    assert_eq!(
        (r.status, r.json),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "starting", "message": "Worker is still starting up."})
        )
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_java_bodies() {
    let app = TestApp::new();
    for (method, path) in [
        ("GET", "/nope"),
        ("GET", "/connectors/a/b/c/d"),
        ("POST", "/connectors/a/tasks/x/restart"),
    ] {
        app.call(method, path, None)
            .await
            .assert_error(404, "HTTP 404 Not Found");
    }
    for (method, path) in [
        ("DELETE", "/connectors"),
        ("POST", "/connectors/a/config"),
        ("GET", "/connectors/a/pause"),
        ("POST", "/"),
        ("DELETE", "/admin/loggers"),
    ] {
        app.call(method, path, None)
            .await
            .assert_error(405, "HTTP 405 Method Not Allowed");
    }
}

#[tokio::test]
async fn non_json_bodies_are_415() {
    let app = TestApp::new();
    for (method, uri) in [
        ("POST", "/connectors"),
        ("PUT", "/connectors/a/config"),
        ("PUT", "/connectors/a/pause"),
        ("PUT", "/admin/loggers/root"),
        ("PUT", "/connector-plugins/TestSource/config/validate"),
    ] {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("name=a"))
            .unwrap();
        app.send(req)
            .await
            .assert_error(415, "HTTP 415 Unsupported Media Type");
    }
    // Charset parameters are fine; so is no content type at all.
    let req = Request::builder()
        .method("PUT")
        .uri("/admin/loggers/root")
        .header("content-type", "application/json; charset=UTF-8")
        .body(Body::from(r#"{"level":"INFO"}"#))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::OK);
    let req = Request::builder()
        .method("PUT")
        .uri("/admin/loggers/root")
        .body(Body::from(r#"{"level":"INFO"}"#))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::OK);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::new();
    let big = format!(r#"{{"k":"{}"}}"#, "x".repeat(MAX_BODY_BYTES + 1));
    app.call("PUT", "/connectors/a/config", Some(&big))
        .await
        .assert_error(413, "HTTP 413 Request Entity Too Large");
}

#[tokio::test]
async fn a_panicking_handler_still_answers_json_500() {
    let app = TestApp::new();
    app.herder.panic_on_list.store(true, Ordering::SeqCst);
    let r = app.call("GET", "/connectors", None).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.json["error_code"], 500);
    assert!(r.json["message"].as_str().unwrap().contains("worker log"));
    assert_eq!(r.headers["content-type"], "application/json");
}

/// Every endpoint of Java Connect's REST API (the internal ones excepted), plus
/// `/openapi.json`.
const ENDPOINTS: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/health"),
    ("get", "/openapi.json"),
    ("get", "/connectors"),
    ("post", "/connectors"),
    ("get", "/connectors/{connector}"),
    ("delete", "/connectors/{connector}"),
    ("get", "/connectors/{connector}/config"),
    ("put", "/connectors/{connector}/config"),
    ("patch", "/connectors/{connector}/config"),
    ("get", "/connectors/{connector}/status"),
    ("get", "/connectors/{connector}/tasks"),
    ("get", "/connectors/{connector}/tasks-config"),
    ("get", "/connectors/{connector}/tasks/{task}/status"),
    ("post", "/connectors/{connector}/tasks/{task}/restart"),
    ("post", "/connectors/{connector}/restart"),
    ("put", "/connectors/{connector}/pause"),
    ("put", "/connectors/{connector}/resume"),
    ("put", "/connectors/{connector}/stop"),
    ("get", "/connectors/{connector}/topics"),
    ("put", "/connectors/{connector}/topics/reset"),
    ("get", "/connectors/{connector}/offsets"),
    ("patch", "/connectors/{connector}/offsets"),
    ("delete", "/connectors/{connector}/offsets"),
    ("get", "/connector-plugins"),
    ("get", "/connector-plugins/{plugin}/config"),
    ("put", "/connector-plugins/{plugin}/config/validate"),
    ("get", "/admin/loggers"),
    ("get", "/admin/loggers/{logger}"),
    ("put", "/admin/loggers/{logger}"),
];

#[tokio::test]
async fn openapi_documents_exactly_the_routed_endpoints() {
    let app = TestApp::new();
    let r = app.call("GET", "/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json["openapi"].as_str().unwrap().starts_with("3."));
    assert!(r.json["components"]["schemas"]["ErrorMessage"].is_object());
    assert!(r.json["components"]["schemas"]["ConnectorStateInfo"].is_object());
    let config = &r.json["components"]["schemas"]["ConnectorConfig"];
    assert_eq!(config["required"], json!(["connector.class"]));
    assert_eq!(
        config["properties"]["connector.class"]["enum"],
        json!([
            "TestSink",
            "TestSinkConnector",
            "TestSource",
            "TestSourceConnector",
            super::SINK_CLASS,
            super::SOURCE_CLASS
        ])
    );
    let mut documented = BTreeSet::new();
    for (path, item) in r.json["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = ENDPOINTS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, expected);

    // Every documented operation is routed: none answers the router's own 404 or 405.
    for (method, path) in &documented {
        let uri = path
            .replace("{connector}", "doc-probe")
            .replace("{task}", "0")
            .replace("{plugin}", "TestSource")
            .replace("{logger}", "root");
        let body = matches!(method.as_str(), "post" | "put" | "patch").then_some("{}");
        let r = app.call(&method.to_uppercase(), &uri, body).await;
        let routing_miss =
            r.json["message"] == "HTTP 404 Not Found" || r.status == StatusCode::METHOD_NOT_ALLOWED;
        assert!(
            !routing_miss,
            "{method} {path} is documented but not routed: {:?}",
            r.json
        );
    }
}
