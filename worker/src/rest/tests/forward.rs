//! Request forwarding (Java's `HerderRequestHandler.completeOrForwardRequest`): a herder that
//! answers `NotLeader` (or `RebalanceNeeded`) in front of a second in-process axum server, the
//! "leader", which records what it received and answers as told.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sluice_api::Props;

use super::{MemHerder, TestApp};
use crate::herder::*;
use crate::rest::forward::{CONFLICTING_OPERATION, NO_KNOWN_LEADER, STALE_CONFIGURATION};
use crate::rest::signature::InternalRequestSignature;
use crate::rest::AppState;

/// What the leader received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    /// The body as JSON (`Null` when empty).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone, Default)]
struct LeaderState {
    received: Arc<Mutex<Vec<Received>>>,
    /// Status and raw body of every answer.
    answer: Arc<Mutex<(u16, String)>>,
}

/// A recording HTTP server on a free local port.
pub struct FakeLeader {
    /// `http://127.0.0.1:<port>/`, as an advertised URL (trailing slash).
    pub url: String,
    state: LeaderState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeLeader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(State(state): State<LeaderState>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
    state.received.lock().expect("lock").push(Received {
        method: parts.method,
        uri: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts.headers,
        body: body.to_vec(),
    });
    let (status, body) = state.answer.lock().expect("lock").clone();
    let status = StatusCode::from_u16(status).expect("status");
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        "content-type",
        axum::http::HeaderValue::from_static("application/json"),
    );
    if status.is_redirection() {
        resp.headers_mut().insert(
            "location",
            axum::http::HeaderValue::from_static("http://127.0.0.1:1/elsewhere"),
        );
    }
    resp
}

impl FakeLeader {
    /// Starts a leader answering `status` with `body`.
    pub async fn start(status: u16, body: Value) -> Self {
        let state = LeaderState::default();
        *state.answer.lock().expect("lock") = (
            status,
            if body.is_null() {
                String::new()
            } else {
                body.to_string()
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let router = axum::Router::new()
            .fallback(record)
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        FakeLeader {
            url: format!("http://127.0.0.1:{port}/"),
            state,
            task,
        }
    }

    /// Changes the answer.
    pub fn answer(&self, status: u16, body: &str) {
        *self.state.answer.lock().expect("lock") = (status, body.to_string());
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("lock").clone()
    }

    /// The one request received.
    #[track_caller]
    pub fn only(&self) -> Received {
        let r = self.received();
        assert_eq!(r.len(), 1, "{r:?}");
        r[0].clone()
    }
}

/// A herder that fails every call with one error: what a distributed follower answers.
pub struct RedirectingHerder {
    inner: MemHerder,
    error: Mutex<HerderError>,
}

impl RedirectingHerder {
    fn new(error: HerderError) -> Arc<Self> {
        Arc::new(RedirectingHerder {
            inner: MemHerder::new(),
            error: Mutex::new(error),
        })
    }
    fn err<T>(&self) -> HerderResult<T> {
        Err(self.error.lock().expect("lock").clone())
    }
}

/// `NotLeader` pointing at `url`.
fn not_leader(url: Option<&str>) -> HerderError {
    HerderError::NotLeader {
        message: "Only the leader may do this.".to_string(),
        leader_url: url.map(str::to_string),
    }
}

#[async_trait]
impl Herder for RedirectingHerder {
    fn worker_id(&self) -> String {
        self.inner.worker_id()
    }
    async fn kafka_cluster_id(&self) -> String {
        "test-cluster".to_string()
    }
    async fn connectors(&self) -> Vec<String> {
        Vec::new()
    }
    async fn connector_info(&self, _: &str) -> HerderResult<ConnectorInfo> {
        self.err()
    }
    async fn connector_config(&self, _: &str) -> HerderResult<Props> {
        self.err()
    }
    async fn put_connector_config(
        &self,
        _: &str,
        _: Props,
        _: bool,
        _: Option<TargetState>,
    ) -> HerderResult<Created<ConnectorInfo>> {
        self.err()
    }
    async fn patch_connector_config(
        &self,
        _: &str,
        _: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        self.err()
    }
    async fn delete_connector(&self, _: &str) -> HerderResult<()> {
        self.err()
    }
    async fn connector_status(&self, _: &str) -> HerderResult<ConnectorStateInfo> {
        self.err()
    }
    async fn task_status(&self, _: &ConnectorTaskId) -> HerderResult<TaskState> {
        self.err()
    }
    async fn task_configs(&self, _: &str) -> HerderResult<Vec<TaskInfo>> {
        self.err()
    }
    async fn restart_connector(
        &self,
        _: &str,
        _: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        self.err()
    }
    async fn restart_task(&self, _: &ConnectorTaskId) -> HerderResult<()> {
        self.err()
    }
    async fn pause_connector(&self, _: &str) -> HerderResult<()> {
        self.err()
    }
    async fn resume_connector(&self, _: &str) -> HerderResult<()> {
        self.err()
    }
    async fn stop_connector(&self, _: &str) -> HerderResult<()> {
        self.err()
    }
    async fn active_topics(&self, _: &str) -> HerderResult<Vec<String>> {
        self.err()
    }
    async fn reset_active_topics(&self, _: &str) -> HerderResult<()> {
        self.err()
    }
    async fn connector_offsets(&self, _: &str) -> HerderResult<ConnectorOffsets> {
        self.err()
    }
    async fn alter_connector_offsets(&self, _: &str, _: ConnectorOffsets) -> HerderResult<Message> {
        self.err()
    }
    async fn reset_connector_offsets(&self, _: &str) -> HerderResult<Message> {
        self.err()
    }
    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos> {
        self.inner.validate_connector_config(config).await
    }
    async fn put_task_configs(
        &self,
        _: &str,
        _: Vec<Props>,
        _: Option<InternalRequestSignature>,
    ) -> HerderResult<()> {
        self.err()
    }
    async fn fence_zombie_source_tasks(
        &self,
        _: &str,
        _: Option<InternalRequestSignature>,
    ) -> HerderResult<()> {
        self.err()
    }
}

/// An app whose herder fails every call with `error`.
fn app(error: HerderError) -> TestApp {
    let mut app = TestApp::new();
    app.state = AppState::new(RedirectingHerder::new(error), app.state.plugins.clone());
    app
}

fn info(name: &str) -> Value {
    json!({"name": name, "config": {"name": name, "connector.class": super::SOURCE_CLASS},
           "tasks": [], "type": "source"})
}

fn request(method: &str, uri: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost:8083");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(
        body.map(|b| Body::from(b.to_string()))
            .unwrap_or_else(Body::empty),
    )
    .expect("request")
}

#[tokio::test]
async fn a_users_create_is_forwarded_once_more_with_forward_true() {
    let leader = FakeLeader::start(201, info("c")).await;
    let app = app(not_leader(Some(&leader.url)));
    let body = json!({"name": " c ", "config": {"connector.class": super::SOURCE_CLASS}});
    let r = app
        .send(request(
            "POST",
            "/connectors",
            Some(&body.to_string()),
            &[
                ("content-type", "application/json"),
                ("authorization", "Basic dXNlcjpwYXNz"),
                ("cookie", "session=1"),
                ("x-custom", "no"),
                ("user-agent", "curl/8"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    assert_eq!(r.json, info("c"));
    assert_eq!(
        r.headers.get("location").and_then(|v| v.to_str().ok()),
        Some("http://localhost:8083/connectors/c")
    );
    let got = leader.only();
    assert_eq!(got.method, Method::POST);
    assert_eq!(got.uri, "/connectors?forward=true");
    // The request entity, its config completed with the (trimmed) name.
    assert_eq!(
        got.json(),
        json!({"name": "c", "config": {"name": "c", "connector.class": super::SOURCE_CLASS},
               "initial_state": null})
    );
    // Only Authorization is copied; the agent is Java's.
    assert_eq!(got.header("authorization"), Some("Basic dXNlcjpwYXNz"));
    assert_eq!(got.header("cookie"), None);
    assert_eq!(got.header("x-custom"), None);
    assert_eq!(got.header("user-agent"), Some("kafka-connect"));
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("accept"), Some("application/json"));
}

#[tokio::test]
async fn a_forwarded_request_goes_on_with_forward_false_and_keeps_the_created_flag() {
    let leader = FakeLeader::start(200, info("c")).await;
    let app = app(not_leader(Some(&leader.url)));
    let config = json!({"connector.class": super::SOURCE_CLASS}).to_string();
    let r = app
        .call("PUT", "/connectors/c/config?forward=true", Some(&config))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert!(r.headers.get("location").is_none());
    assert_eq!(r.json, info("c"));
    let got = leader.only();
    assert_eq!(
        (got.method.clone(), got.uri.as_str()),
        (Method::PUT, "/connectors/c/config?forward=false")
    );
    assert_eq!(
        got.json(),
        json!({"name": "c", "connector.class": super::SOURCE_CLASS})
    );
    assert_eq!(got.header("authorization"), None);

    // 201 from the remote: created, with Location.
    leader.answer(201, &info("c").to_string());
    let r = app.call("PUT", "/connectors/c/config", Some(&config)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    assert_eq!(
        r.headers.get("location").and_then(|v| v.to_str().ok()),
        Some("http://localhost:8083/connectors/c")
    );
    assert_eq!(
        leader.received()[1].uri,
        "/connectors/c/config?forward=true"
    );
}

#[tokio::test]
async fn a_second_hop_that_still_misses_is_a_conflict() {
    let leader = FakeLeader::start(204, Value::Null).await;
    let app = app(not_leader(Some(&leader.url)));
    for forward in ["false", "FALSE", "nonsense"] {
        app.call("DELETE", &format!("/connectors/c?forward={forward}"), None)
            .await
            .assert_error(409, CONFLICTING_OPERATION);
    }
    assert!(leader.received().is_empty());
    // The hop check comes first: forward=false with no leader is the same conflict.
    let app = self::app(not_leader(None));
    app.call("DELETE", "/connectors/c?forward=false", None)
        .await
        .assert_error(409, CONFLICTING_OPERATION);
}

#[tokio::test]
async fn no_known_leader_is_a_conflict() {
    for url in [None, Some("")] {
        let app = app(not_leader(url));
        app.call("PUT", "/connectors/c/stop", None)
            .await
            .assert_error(409, NO_KNOWN_LEADER);
        app.call("PUT", "/connectors/c/stop?forward=true", None)
            .await
            .assert_error(409, NO_KNOWN_LEADER);
    }
}

#[tokio::test]
async fn an_expected_rebalance_is_a_conflict_on_forwardable_endpoints_and_a_500_on_reads() {
    let app = app(HerderError::RebalanceNeeded);
    let config = json!({"connector.class": super::SOURCE_CLASS}).to_string();
    app.call("PUT", "/connectors/c/config", Some(&config))
        .await
        .assert_error(409, STALE_CONFIGURATION);
    app.call("POST", "/connectors/c/tasks/0/restart", None)
        .await
        .assert_error(409, STALE_CONFIGURATION);
    // Java's quirk: the GETs run on the herder thread go through the generic mapper.
    for path in [
        "/connectors/c",
        "/connectors/c/config",
        "/connectors/c/tasks",
        "/connectors/c/tasks-config",
    ] {
        app.call("GET", path, None).await.assert_error(
            500,
            "Request cannot be completed because a rebalance is expected",
        );
    }
}

#[tokio::test]
async fn restart_carries_its_flags_and_the_remote_answer() {
    let status = json!({"name": "c", "connector": {"state": "RESTARTING", "worker_id": "w:1"},
                        "tasks": [], "type": "source"});
    let leader = FakeLeader::start(202, status.clone()).await;
    let app = app(not_leader(Some(&leader.url)));
    let r = app
        .call(
            "POST",
            "/connectors/c/restart?includeTasks=TRUE&expand=x",
            None,
        )
        .await;
    assert_eq!((r.status, &r.json), (StatusCode::ACCEPTED, &status));
    let got = leader.only();
    assert_eq!(
        got.uri,
        "/connectors/c/restart?forward=true&includeTasks=true&onlyFailed=false"
    );
    assert!(got.body.is_empty());
    assert_eq!(got.header("content-type"), None);

    // A plain restart carries no flags and answers 204.
    leader.answer(204, "");
    let r = app
        .call("POST", "/connectors/c/restart?forward=true", None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        leader.received()[1].uri,
        "/connectors/c/restart?forward=false"
    );
}

/// (method, path, body, expected status, forwarded path, forwarded body)
type Case<'a> = (&'a str, &'a str, Option<&'a str>, u16, &'a str, Value);

#[tokio::test]
async fn every_forwardable_endpoint_forwards_and_the_others_do_not() {
    let leader = FakeLeader::start(200, json!({"message": "done"})).await;
    let app = app(not_leader(Some(&leader.url)));
    let offsets = json!({"offsets": [{"partition": {"p": 1}, "offset": {"o": 2}}]}).to_string();
    let patch = json!({"a": "1", "b": null}).to_string();
    let tasks = json!([{"task.class": "T", "x": "y"}]).to_string();
    // (method, path, body, expected status, forwarded path, forwarded body)
    let cases: Vec<Case> = vec![
        (
            "DELETE",
            "/connectors/a%20b",
            None,
            204,
            "/connectors/a%20b",
            Value::Null,
        ),
        (
            "PUT",
            "/connectors/c/stop",
            None,
            204,
            "/connectors/c/stop",
            Value::Null,
        ),
        (
            "POST",
            "/connectors/c/tasks/007/restart",
            None,
            204,
            "/connectors/c/tasks/7/restart",
            Value::Null,
        ),
        (
            "PATCH",
            "/connectors/c/config",
            Some(&patch),
            200,
            "/connectors/c/config",
            json!({"a": "1", "b": null}),
        ),
        (
            "PATCH",
            "/connectors/c/offsets",
            Some(&offsets),
            200,
            "/connectors/c/offsets",
            json!({"offsets": [{"partition": {"p": 1}, "offset": {"o": 2}}]}),
        ),
        (
            "DELETE",
            "/connectors/c/offsets",
            None,
            200,
            "/connectors/c/offsets",
            Value::Null,
        ),
        (
            "POST",
            "/connectors/c/tasks",
            Some(&tasks),
            204,
            "/connectors/c/tasks",
            json!([{"task.class": "T", "x": "y"}]),
        ),
        (
            "PUT",
            "/connectors/c/fence",
            None,
            204,
            "/connectors/c/fence",
            json!(""),
        ),
    ];
    for (i, (method, path, body, status, fwd_path, fwd_body)) in cases.into_iter().enumerate() {
        let r = app.call(method, path, body).await;
        assert_eq!(r.status.as_u16(), status, "{method} {path}: {:?}", r.json);
        if status == 200 {
            assert_eq!(r.json, json!({"message": "done"}), "{method} {path}");
        }
        let got = leader.received()[i].clone();
        assert_eq!(got.method.as_str(), method);
        assert_eq!(
            got.uri,
            format!("{fwd_path}?forward=true"),
            "{method} {path}"
        );
        assert_eq!(got.json(), fwd_body, "{method} {path}");
    }
    // Pause, resume and the reads are not forwarded: the error is Java's generic 500.
    for (method, path) in [
        ("PUT", "/connectors/c/pause"),
        ("PUT", "/connectors/c/resume"),
        ("GET", "/connectors/c/status"),
        ("GET", "/connectors/c/offsets"),
    ] {
        app.call(method, path, None)
            .await
            .assert_error(500, "Only the leader may do this.");
    }
    assert_eq!(leader.received().len(), 8);
}

#[tokio::test]
async fn the_remote_error_is_passed_through() {
    let leader = FakeLeader::start(
        404,
        json!({"error_code": 404, "message": "Connector c not found"}),
    )
    .await;
    let app = app(not_leader(Some(&leader.url)));
    app.call("DELETE", "/connectors/c", None)
        .await
        .assert_error(404, "Connector c not found");
    // Status and error_code are both kept, even when they differ.
    leader.answer(400, r#"{"error_code": 40001, "message": "bad"}"#);
    let r = app.call("PUT", "/connectors/c/stop", None).await;
    assert_eq!(r.status.as_u16(), 400);
    assert_eq!(r.json, json!({"error_code": 40001, "message": "bad"}));
    // A redirect is not followed.
    leader.answer(307, "");
    app.call("PUT", "/connectors/c/stop", None)
        .await
        .assert_error(
            500,
            "Unexpected status code when handling forwarded request: 307",
        );
    assert_eq!(leader.received().len(), 3);
    // An error answer that is not Java's error body.
    leader.answer(502, "<html>bad gateway</html>");
    let r = app.call("PUT", "/connectors/c/stop", None).await;
    assert_eq!(r.status.as_u16(), 500);
    let message = r.json["message"].as_str().expect("message");
    assert!(
        message.starts_with("IO Error trying to forward REST request: "),
        "{message}"
    );
}

#[tokio::test]
async fn an_unreachable_leader_is_a_500_with_javas_message() {
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let app = app(not_leader(Some(&format!("http://127.0.0.1:{port}/"))));
    let r = app.call("DELETE", "/connectors/c", None).await;
    assert_eq!(r.status.as_u16(), 500, "{:?}", r.json);
    assert_eq!(r.json["error_code"], 500);
    let message = r.json["message"].as_str().expect("message");
    assert!(
        message.starts_with("IO Error trying to forward REST request: "),
        "{message}"
    );
}

#[tokio::test]
async fn a_local_answer_is_not_forwarded() {
    // The standalone-like herder answers itself: nothing about forwarding shows.
    let app = TestApp::new();
    app.create("c").await;
    let r = app
        .call("PUT", "/connectors/c/stop?forward=false", None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let uri: Uri = "/connectors/c?forward=true".parse().expect("uri");
    let r = app.call("DELETE", &uri.to_string(), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}
