//! The internal endpoints (Java's `InternalConnectResource`) and the client side of internal
//! requests: standalone answers, signatures read from the raw body and checked in Java's
//! order, and task configs sent to the leader with retries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use sluice_api::Props;

use super::forward::FakeLeader;
use super::{MemHerder, TestApp};
use crate::herder::*;
use crate::rest::forward::{ForwardError, NextAttempt, RestClient, RetryBackoff, Signing};
use crate::rest::signature::{
    verify_request, InternalRequestSignature, INVALID_SIGNATURE, MISSING_SIGNATURE, NO_SESSION_KEY,
    SIGNATURE_ALGORITHM_HEADER, SIGNATURE_HEADER,
};
use crate::rest::AppState;

/// A 32-byte session key.
const KEY: &[u8] = b"sluice-session-key-0123456789abc";
/// Task configs as the client writes them (keys sorted).
const BODY: &str = r#"[{"task.class":"org.example.TestSourceTask","topic":"t"}]"#;
/// base64(HMAC-SHA256(KEY, BODY)), computed with Python's `hmac` module.
const BODY_SHA256: &str = "xm4MmcjQ/s2bATGVUqtDuIdy8PrlW/Bu3CijKWvv+DQ=";
/// base64(HMAC-SHA256(KEY, "")), computed with Python's `hmac` module.
const EMPTY_SHA256: &str = "Ly0N9tb7gbVrrLfpGvm+C9py4Qrzo6yyZ4IfFBI4vTg=";

fn task_configs() -> Vec<Props> {
    vec![Props::from([
        (
            "task.class".to_string(),
            "org.example.TestSourceTask".to_string(),
        ),
        ("topic".to_string(), "t".to_string()),
    ])]
}

#[tokio::test]
async fn standalone_answers_as_java() {
    let app = TestApp::new();
    app.create("c").await;
    app.call("POST", "/connectors/c/tasks", Some(BODY))
        .await
        .assert_error(500, STANDALONE_TASK_CONFIGS_UNSUPPORTED);
    app.call("PUT", "/connectors/c/fence", None)
        .await
        .assert_error(500, STANDALONE_FENCING_UNSUPPORTED);
    // No `Consumes` type on the internal resource: any content type gets the same answer.
    let req = Request::builder()
        .method("PUT")
        .uri("/connectors/c/fence")
        .header("content-type", "text/plain")
        .body(Body::from("x"))
        .expect("request");
    app.send(req)
        .await
        .assert_error(500, STANDALONE_FENCING_UNSUPPORTED);
    // The internal endpoints stay out of the OpenAPI document, as Java hides them.
    let doc = app.call("GET", "/openapi.json", None).await.json;
    assert!(doc["paths"]["/connectors/{connector}/fence"].is_null());
    assert!(doc["paths"]["/connectors/{connector}/tasks"]["post"].is_null());
    assert!(!doc["paths"]["/connectors/{connector}/tasks"]["get"].is_null());
}

/// What a verifying leader saw.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Tasks(String, Vec<Props>),
    Fence(String),
}

/// A leader that checks signatures as Java's `DistributedHerder` does, over a memory herder.
struct VerifyingHerder {
    inner: MemHerder,
    key: Mutex<Option<Vec<u8>>>,
    seen: Mutex<Vec<Seen>>,
}

impl VerifyingHerder {
    fn check(&self, signature: Option<InternalRequestSignature>) -> HerderResult<()> {
        let key = self.key.lock().expect("lock").clone();
        verify_request(
            signature.as_ref(),
            &["HmacSHA256".to_string(), "HmacSHA512".to_string()],
            key.as_deref(),
        )
    }
}

#[async_trait]
impl Herder for VerifyingHerder {
    fn worker_id(&self) -> String {
        self.inner.worker_id()
    }
    async fn kafka_cluster_id(&self) -> String {
        self.inner.kafka_cluster_id().await
    }
    async fn connectors(&self) -> Vec<String> {
        self.inner.connectors().await
    }
    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        self.inner.connector_info(name).await
    }
    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        self.inner.connector_config(name).await
    }
    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> HerderResult<Created<ConnectorInfo>> {
        self.inner
            .put_connector_config(name, config, allow_replace, initial_state)
            .await
    }
    async fn patch_connector_config(
        &self,
        name: &str,
        patch: std::collections::BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        self.inner.patch_connector_config(name, patch).await
    }
    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        self.inner.delete_connector(name).await
    }
    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        self.inner.connector_status(name).await
    }
    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState> {
        self.inner.task_status(id).await
    }
    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        self.inner.task_configs(name).await
    }
    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        self.inner.restart_connector(name, request).await
    }
    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()> {
        self.inner.restart_task(id).await
    }
    async fn pause_connector(&self, name: &str) -> HerderResult<()> {
        self.inner.pause_connector(name).await
    }
    async fn resume_connector(&self, name: &str) -> HerderResult<()> {
        self.inner.resume_connector(name).await
    }
    async fn stop_connector(&self, name: &str) -> HerderResult<()> {
        self.inner.stop_connector(name).await
    }
    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        self.inner.active_topics(name).await
    }
    async fn reset_active_topics(&self, name: &str) -> HerderResult<()> {
        self.inner.reset_active_topics(name).await
    }
    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        self.inner.connector_offsets(name).await
    }
    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> HerderResult<Message> {
        self.inner.alter_connector_offsets(name, offsets).await
    }
    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message> {
        self.inner.reset_connector_offsets(name).await
    }
    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos> {
        self.inner.validate_connector_config(config).await
    }
    async fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<Props>,
        signature: Option<InternalRequestSignature>,
    ) -> HerderResult<()> {
        self.check(signature)?;
        self.seen
            .lock()
            .expect("lock")
            .push(Seen::Tasks(name.to_string(), configs));
        Ok(())
    }
    async fn fence_zombie_source_tasks(
        &self,
        name: &str,
        signature: Option<InternalRequestSignature>,
    ) -> HerderResult<()> {
        self.check(signature)?;
        self.seen
            .lock()
            .expect("lock")
            .push(Seen::Fence(name.to_string()));
        Ok(())
    }
}

fn verifying_app() -> (TestApp, Arc<VerifyingHerder>) {
    let herder = Arc::new(VerifyingHerder {
        inner: MemHerder::new(),
        key: Mutex::new(Some(KEY.to_vec())),
        seen: Mutex::new(Vec::new()),
    });
    let mut app = TestApp::new();
    app.state = AppState::new(herder.clone(), app.state.plugins.clone());
    (app, herder)
}

fn signed(method: &str, uri: &str, body: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(Body::from(body.to_string())).expect("request")
}

#[tokio::test]
async fn signatures_are_checked_over_the_raw_body_in_javas_order() {
    let (app, herder) = verifying_app();
    let sig = [
        (SIGNATURE_HEADER, BODY_SHA256),
        (SIGNATURE_ALGORITHM_HEADER, "HmacSHA256"),
    ];
    let r = app
        .send(signed("POST", "/connectors/c/tasks", BODY, &sig))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.json);
    assert_eq!(
        herder.seen.lock().expect("lock").clone(),
        vec![Seen::Tasks("c".into(), task_configs())]
    );
    // The same configs written differently are other bytes: the MAC is over the raw body.
    let spaced = r#"[ {"topic":"t", "task.class":"org.example.TestSourceTask"} ]"#;
    app.send(signed("POST", "/connectors/c/tasks", spaced, &sig))
        .await
        .assert_error(403, INVALID_SIGNATURE);
    // Missing either header: no signature.
    app.send(signed(
        "POST",
        "/connectors/c/tasks",
        BODY,
        &[(SIGNATURE_HEADER, BODY_SHA256)],
    ))
    .await
    .assert_error(400, MISSING_SIGNATURE);
    // An unknown algorithm is refused while reading the headers.
    app.send(signed(
        "POST",
        "/connectors/c/tasks",
        BODY,
        &[
            (SIGNATURE_HEADER, BODY_SHA256),
            (SIGNATURE_ALGORITHM_HEADER, "HmacFoo"),
        ],
    ))
    .await
    .assert_error(400, "Algorithm HmacFoo not available");
    // A known algorithm that is not in the verification list.
    let r = app
        .send(signed(
            "POST",
            "/connectors/c/tasks",
            BODY,
            &[
                (SIGNATURE_HEADER, BODY_SHA256),
                (SIGNATURE_ALGORITHM_HEADER, "HmacSHA384"),
            ],
        ))
        .await;
    assert_eq!(r.status.as_u16(), 400);
    assert!(r.json["message"]
        .as_str()
        .expect("message")
        .starts_with("This worker does not support the 'HmacSHA384' key signing algorithm"));
    // No session key yet.
    *herder.key.lock().expect("lock") = None;
    app.send(signed("POST", "/connectors/c/tasks", BODY, &sig))
        .await
        .assert_error(503, NO_SESSION_KEY);
    *herder.key.lock().expect("lock") = Some(KEY.to_vec());
    // Fencing: an empty body signs as empty input.
    let r = app
        .send(signed(
            "PUT",
            "/connectors/c/fence",
            "",
            &[
                (SIGNATURE_HEADER, EMPTY_SHA256),
                (SIGNATURE_ALGORITHM_HEADER, "HmacSHA256"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.json);
    assert_eq!(herder.seen.lock().expect("lock").len(), 2);
    // A body that is not a list of string maps.
    let r = app
        .send(signed("POST", "/connectors/c/tasks", r#"{"a":"b"}"#, &sig))
        .await;
    assert_eq!(r.status.as_u16(), 400, "{:?}", r.json);
}

#[tokio::test]
async fn task_configs_are_sent_signed_to_the_leader() {
    let leader = FakeLeader::start(204, serde_json::Value::Null).await;
    let client = RestClient::new();
    let signing = Signing {
        key: KEY.to_vec(),
        algorithm: "HmacSHA256".to_string(),
    };
    client
        .post_task_configs(
            &leader.url,
            "my conn",
            &task_configs(),
            Some(signing.clone()),
        )
        .await
        .expect("accepted");
    let got = leader.only();
    assert_eq!(got.method.as_str(), "POST");
    assert_eq!(got.uri, "/connectors/my%20conn/tasks");
    assert_eq!(got.body, BODY.as_bytes());
    assert_eq!(got.header(SIGNATURE_HEADER), Some(BODY_SHA256));
    assert_eq!(got.header(SIGNATURE_ALGORITHM_HEADER), Some("HmacSHA256"));
    assert_eq!(got.header("user-agent"), Some("kafka-connect"));
    assert_eq!(got.header("content-type"), Some("application/json"));

    client
        .request_zombie_fencing(&leader.url, "c", Some(signing))
        .await
        .expect("accepted");
    let got = leader.received()[1].clone();
    assert_eq!(
        (got.method.as_str(), got.uri.as_str()),
        ("PUT", "/connectors/c/fence")
    );
    assert!(got.body.is_empty());
    assert_eq!(got.header(SIGNATURE_HEADER), Some(EMPTY_SHA256));

    // Unsigned when the protocol does not sign.
    client
        .post_task_configs(&leader.url, "c", &task_configs(), None)
        .await
        .expect("accepted");
    assert_eq!(leader.received()[2].header(SIGNATURE_HEADER), None);

    // The leader's refusal comes back with its status.
    leader.answer(
        403,
        &json!({"error_code": 403, "message": INVALID_SIGNATURE}).to_string(),
    );
    let err = client
        .post_task_configs(&leader.url, "c", &task_configs(), None)
        .await
        .expect_err("refused");
    assert_eq!(
        err,
        ForwardError::Remote {
            status: 403,
            error_code: 403,
            message: INVALID_SIGNATURE.into()
        }
    );
}

#[tokio::test]
async fn our_signature_passes_our_verification_end_to_end() {
    let (app, herder) = verifying_app();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let service = crate::rest::app(app.state.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, service).await;
    });
    let client = RestClient::new();
    let url = format!("http://127.0.0.1:{port}/");
    for algorithm in ["HmacSHA256", "HmacSHA512"] {
        let signing = Signing {
            key: KEY.to_vec(),
            algorithm: algorithm.to_string(),
        };
        client
            .post_task_configs(&url, "c", &task_configs(), Some(signing))
            .await
            .expect("accepted");
    }
    let err = client
        .post_task_configs(
            &url,
            "c",
            &task_configs(),
            Some(Signing {
                key: b"old key".to_vec(),
                algorithm: "HmacSHA256".into(),
            }),
        )
        .await
        .expect_err("stale key");
    assert_eq!(err.status(), 403);
    assert_eq!(herder.seen.lock().expect("lock").len(), 2);
    server.abort();
}

#[tokio::test]
async fn task_configs_are_retried_until_the_leader_accepts_them() {
    let leader = FakeLeader::start(
        403,
        json!({"error_code": 403, "message": INVALID_SIGNATURE}),
    )
    .await;
    let client = RestClient::new();
    let backoff = RetryBackoff {
        initial: Duration::from_millis(1),
        max: Duration::from_millis(4),
    };
    let attempts = AtomicUsize::new(0);
    let result = client
        .post_task_configs_with_retry("c", &task_configs(), backoff, || {
            let n = attempts.fetch_add(1, Ordering::SeqCst);
            match n {
                // No leader known yet: the attempt fails and is retried.
                0 => NextAttempt::Send {
                    leader_url: None,
                    signing: None,
                },
                // Two refusals (a rotated key), then the leader accepts.
                3 => {
                    leader.answer(204, "");
                    NextAttempt::Send {
                        leader_url: Some(leader.url.clone()),
                        signing: None,
                    }
                }
                _ => NextAttempt::Send {
                    leader_url: Some(leader.url.clone()),
                    signing: None,
                },
            }
        })
        .await;
    assert_eq!(result, Ok(()));
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
    assert_eq!(leader.received().len(), 3);

    // Giving up returns the last failure.
    leader.answer(409, r#"{"error_code":409,"message":"busy"}"#);
    let tries = AtomicUsize::new(0);
    let result = client
        .post_task_configs_with_retry("c", &task_configs(), backoff, || {
            if tries.fetch_add(1, Ordering::SeqCst) < 2 {
                NextAttempt::Send {
                    leader_url: Some(leader.url.clone()),
                    signing: None,
                }
            } else {
                NextAttempt::GiveUp
            }
        })
        .await;
    assert_eq!(
        result.map_err(|e| e.map(|e| e.to_string())),
        Err(Some("busy".to_string()))
    );
    assert_eq!(leader.received().len(), 5);
}
