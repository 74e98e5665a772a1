//! The REST API over a real [`StandaloneHerder`] (issue 9, items 3, 4 and 5): changes complete
//! when the request goes away, concurrent patches all land, synchronous connector calls never
//! block the runtime and panic into errors, and stored connectors that cannot start come up
//! FAILED. The connectors' tasks never produce, so no broker is needed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use sluice_api::{
    ConfigDef, ConnectError, ConnectResult, Connector, ConnectorContext, Plugin, PluginFactory,
    Props, SourceConnector, SourceRecord, SourceTask, SourceTaskContext, ValidatedKey,
};
use tower::ServiceExt;

use crate::config::WorkerConfig;
use crate::herder::standalone::StandaloneHerder;
use crate::herder::State;
use crate::plugins::PluginRegistry;
use crate::rest::config_dir::{restore, ConfigDir, StoredConnector};
use crate::rest::{service, AppState};
use crate::runtime::status::StatusStore;
use crate::runtime::Worker;
use crate::storage::MemoryOffsetBackingStore;

const CLASS: &str = "org.example.SlowSourceConnector";

/// `validate.sleep.ms`: `validate` sleeps (blocking) this long.
const VALIDATE_SLEEP: &str = "validate.sleep.ms";
/// `validate.panic`: `validate` panics with this message.
const VALIDATE_PANIC: &str = "validate.panic";
/// `validate.marker`: recorded in [`VALIDATED`] by `validate`.
const VALIDATE_MARKER: &str = "validate.marker";
/// `start.fails.while`: `start` fails while [`BROKEN`] holds this name.
const START_FAILS_WHILE: &str = "start.fails.while";
/// `stop.ms`: the task's `stop` takes this long.
const STOP_MS: &str = "stop.ms";

/// Markers of the configs `validate` saw.
static VALIDATED: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// "External systems" that are down.
static BROKEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn millis(props: &Props, key: &str) -> Duration {
    Duration::from_millis(props.get(key).and_then(|v| v.parse().ok()).unwrap_or(0))
}

struct SlowSource {
    props: Props,
}

impl Connector for SlowSource {
    fn version(&self) -> String {
        "1.0".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn validate(&self, props: &Props) -> Vec<ValidatedKey> {
        if let Some(m) = props.get(VALIDATE_MARKER) {
            VALIDATED.lock().unwrap().push(m.clone());
        }
        if let Some(p) = props.get(VALIDATE_PANIC) {
            panic!("{p}");
        }
        std::thread::sleep(millis(props, VALIDATE_SLEEP));
        Vec::new()
    }
    fn start(&mut self, props: &Props, _: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
        if let Some(system) = props.get(START_FAILS_WHILE) {
            if BROKEN.lock().unwrap().contains(system) {
                return Err(ConnectError::connect(format!("{system} is unreachable")));
            }
        }
        self.props = props.clone();
        Ok(())
    }
    fn task_configs(&self, _: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.props.clone()])
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

impl SourceConnector for SlowSource {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(SlowTask {
            stop: Duration::ZERO,
        })
    }
}

struct SlowTask {
    stop: Duration,
}

#[async_trait]
impl SourceTask for SlowTask {
    async fn start(&mut self, context: SourceTaskContext) -> ConnectResult<()> {
        self.stop = millis(&context.config, STOP_MS);
        Ok(())
    }
    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(Vec::new())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        tokio::time::sleep(self.stop).await;
        Ok(())
    }
}

fn registry() -> PluginRegistry {
    let mut plugins = sluice_converters::plugins();
    plugins.push(Plugin {
        class: CLASS,
        version: "1.0",
        factory: PluginFactory::Source(|| {
            Box::new(SlowSource {
                props: Props::new(),
            })
        }),
    });
    PluginRegistry::new(plugins)
}

fn herder() -> Arc<StandaloneHerder> {
    herder_with(&[])
}

/// A herder whose worker config has `extra` keys too.
fn herder_with(extra: &[(&str, &str)]) -> Arc<StandaloneHerder> {
    let props: Props = [
        // Nothing is produced: the address is never used.
        ("bootstrap.servers", "127.0.0.1:9"),
        ("offset.storage.file.filename", "/unused"),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("task.shutdown.graceful.timeout.ms", "10000"),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = WorkerConfig::parse(props).unwrap_or_else(|e| panic!("{e}"));
    let (worker, events) = Worker::new(
        Arc::new(config),
        Arc::new(registry()),
        Arc::new(MemoryOffsetBackingStore::new()),
        Arc::new(StatusStore::new("test:8083")),
    );
    StandaloneHerder::new(worker, events)
}

fn app(herder: &Arc<StandaloneHerder>) -> AppState {
    AppState::new(herder.clone(), Arc::new(registry()))
}

fn request(method: &str, uri: &str, body: Option<Value>) -> Request<Body> {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost:8083")
        .header("content-type", "application/json");
    req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap()
}

async fn call(state: &AppState, method: &str, uri: &str, body: Option<Value>) -> (u16, Value) {
    let resp = service(state.clone())
        .oneshot(request(method, uri, body))
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let raw = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let json = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    (status, json)
}

/// Sends a request and drops it after `after`, as hyper does when the client disconnects.
async fn abandon(state: &AppState, method: &str, uri: &str, body: Option<Value>, after: Duration) {
    let fut = service(state.clone()).oneshot(request(method, uri, body));
    assert!(
        tokio::time::timeout(after, fut).await.is_err(),
        "{method} {uri} answered before the client went away: the test needs a slower change"
    );
}

fn config(name: &str, extra: &[(&str, &str)]) -> Value {
    let mut c = json!({"connector.class": CLASS, "name": name, "tasks.max": "1"});
    for (k, v) in extra {
        c[*k] = json!(v);
    }
    c
}

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn state_of(herder: &StandaloneHerder, name: &str) -> Option<State> {
    herder.connector_state(name).map(|s| s.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_whose_client_disconnects_still_completes() {
    let herder = herder();
    let state = app(&herder);
    let name = "upd";
    let (status, body) = call(
        &state,
        "PUT",
        "/connectors/upd/config",
        Some(config(name, &[(STOP_MS, "800")])),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // The update must stop the old task (800 ms): the client leaves after 150 ms.
    abandon(
        &state,
        "PUT",
        "/connectors/upd/config",
        Some(config(name, &[(STOP_MS, "800"), ("v", "2")])),
        Duration::from_millis(150),
    )
    .await;
    wait_until("the update to complete", async || {
        let (_, c) = call(&state, "GET", "/connectors/upd/config", None).await;
        c["v"] == "2"
    })
    .await;
    // Never half: listed, with its task, and RUNNING.
    let (_, list) = call(&state, "GET", "/connectors", None).await;
    assert_eq!(list, json!(["upd"]));
    let (_, tasks) = call(&state, "GET", "/connectors/upd/tasks", None).await;
    assert_eq!(tasks.as_array().map(Vec::len), Some(1), "{tasks}");
    wait_until("the task to run", async || {
        let (_, s) = call(&state, "GET", "/connectors/upd/status", None).await;
        s["connector"]["state"] == "RUNNING" && s["tasks"][0]["state"] == "RUNNING"
    })
    .await;
    herder.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_whose_client_disconnects_still_completes() {
    let herder = herder();
    let state = app(&herder);
    let (status, _) = call(
        &state,
        "PUT",
        "/connectors/del/config",
        Some(config("del", &[(STOP_MS, "800")])),
    )
    .await;
    assert_eq!(status, 201);
    abandon(
        &state,
        "DELETE",
        "/connectors/del",
        None,
        Duration::from_millis(150),
    )
    .await;
    wait_until("the delete to complete", async || {
        herder.connector_state("del").is_none()
    })
    .await;
    // Gone everywhere: not listed, no status, no task status.
    let (_, list) = call(&state, "GET", "/connectors", None).await;
    assert_eq!(list, json!([]));
    assert!(herder.worker().status().tasks("del").is_empty());
    herder.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_all_land() {
    let herder = herder();
    let state = app(&herder);
    let (status, _) = call(
        &state,
        "PUT",
        "/connectors/p/config",
        Some(config("p", &[])),
    )
    .await;
    assert_eq!(status, 201);
    let patches: Vec<_> = (0..8)
        .map(|i| {
            let state = state.clone();
            tokio::spawn(async move {
                let patch = json!({ format!("k{i}"): i.to_string() });
                call(&state, "PATCH", "/connectors/p/config", Some(patch)).await
            })
        })
        .collect();
    for p in patches {
        let (status, body) = p.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let (_, c) = call(&state, "GET", "/connectors/p/config", None).await;
    for i in 0..8 {
        assert_eq!(
            c[format!("k{i}")],
            json!(i.to_string()),
            "k{i} was lost: {c}"
        );
    }
    herder.shutdown().await;
}

/// One runtime thread: a validation run on it would stall every other request.
#[tokio::test(flavor = "current_thread")]
async fn a_slow_validation_does_not_block_other_requests() {
    let herder = herder();
    let state = app(&herder);
    let slow = {
        let state = state.clone();
        tokio::spawn(async move {
            let body = config("v", &[(VALIDATE_SLEEP, "1500")]);
            call(
                &state,
                "PUT",
                "/connector-plugins/SlowSourceConnector/config/validate",
                Some(body),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut worst = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let (status, _) = call(&state, "GET", "/connectors", None).await;
        assert_eq!(status, 200);
        worst = worst.max(started.elapsed());
    }
    assert!(
        !slow.is_finished(),
        "the validation ended before the reads: the test proves nothing"
    );
    // A blocked runtime thread would hold every read for the whole 1.5 s validation; the
    // bound leaves room for a busy machine running the other tests in parallel (the
    // 100 ms figure over HTTP is checked by tests/rest_hardening.rs).
    assert!(
        worst < Duration::from_millis(500),
        "GET /connectors took {worst:?}"
    );
    let (status, body) = slow.await.unwrap();
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_validation_is_a_500_with_the_panic_message() {
    let herder = herder();
    let state = app(&herder);
    let body = config("x", &[(VALIDATE_PANIC, "validator exploded")]);
    let (status, reply) = call(
        &state,
        "PUT",
        "/connector-plugins/SlowSourceConnector/config/validate",
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 500, "{reply}");
    let message = reply["message"].as_str().unwrap_or("");
    assert!(message.contains("validator exploded"), "{reply}");
    let (status, reply) = call(&state, "PUT", "/connectors/x/config", Some(body)).await;
    assert_eq!(status, 500, "{reply}");
    assert!(reply["message"]
        .as_str()
        .unwrap_or("")
        .contains("validator exploded"));
    // The worker is fine.
    let (status, _) = call(&state, "GET", "/connectors", None).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_connector_that_cannot_start_is_restored_failed_and_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ConfigDir::open(tmp.path()).unwrap();
    let system = "restore-test-db";
    BROKEN.lock().unwrap().push(system.to_string());
    let marker = "restore-test-marker";
    let stored = |name: &str, extra: &[(&str, &str)]| {
        let mut config: BTreeMap<String, String> = [
            ("connector.class", CLASS),
            ("name", name),
            ("tasks.max", "1"),
            (VALIDATE_MARKER, marker),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        config.insert("name".into(), name.into());
        StoredConnector {
            name: name.to_string(),
            config,
            initial_state: None,
        }
    };
    dir.save(&stored("down", &[(START_FAILS_WHILE, system)]))
        .unwrap();
    dir.save(&stored("fine", &[])).unwrap();

    let herder = herder();
    assert_eq!(restore(&*herder, &dir, &[]).await.unwrap(), 2);
    // Restoring calls no connector's validate (it may reach out to external systems).
    assert!(!VALIDATED.lock().unwrap().iter().any(|m| m == marker));
    let state = app(&herder);
    let (_, list) = call(&state, "GET", "/connectors", None).await;
    assert_eq!(list, json!(["down", "fine"]));
    let (_, s) = call(&state, "GET", "/connectors/down/status", None).await;
    assert_eq!(s["connector"]["state"], "FAILED", "{s}");
    let trace = s["connector"]["trace"].as_str().unwrap_or("");
    assert!(trace.contains("restore-test-db is unreachable"), "{s}");
    assert_eq!(state_of(&herder, "fine"), Some(State::Running));

    // The cause goes away; a restart brings the connector up with its tasks.
    BROKEN.lock().unwrap().retain(|s| s != system);
    let (status, body) = call(&state, "POST", "/connectors/down/restart", None).await;
    assert_eq!(status, 204, "{body}");
    wait_until("the restarted connector and its task to run", async || {
        let (_, s) = call(&state, "GET", "/connectors/down/status", None).await;
        s["connector"]["state"] == "RUNNING" && s["tasks"][0]["state"] == "RUNNING"
    })
    .await;
    herder.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_override_policy_refuses_configs_and_fails_tasks_of_stored_ones() {
    let herder = herder_with(&[("connector.client.config.override.policy", "Principal")]);
    let state = app(&herder);
    let overrides = [
        ("producer.override.linger.ms", "10"),
        ("producer.override.sasl.jaas.config", "secret-jaas"),
        // A source has no consumer: not checked.
        ("consumer.override.max.poll.records", "5"),
    ];
    let refusal = "The 'Principal' policy does not allow 'linger.ms' to be overridden in the \
                   connector configuration.";

    // Validation shows each producer override with the policy's verdict.
    let (status, v) = call(
        &state,
        "PUT",
        &format!("/connector-plugins/{CLASS}/config/validate"),
        Some(config("tight", &overrides)),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["error_count"], 1, "{v}");
    let entry = |name: &str| {
        v["configs"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["value"]["name"] == name))
            .cloned()
    };
    let linger = entry("producer.override.linger.ms").expect("linger.ms override shown");
    assert_eq!(linger["value"]["errors"], json!([refusal]), "{v}");
    assert_eq!(linger["value"]["value"], "10");
    assert_eq!(linger["definition"], Value::Null);
    let jaas = entry("producer.override.sasl.jaas.config").expect("jaas override shown");
    assert_eq!(jaas["value"]["errors"], json!([]), "{v}");
    assert_eq!(jaas["value"]["value"], "[hidden]", "{v}");
    assert!(entry("consumer.override.max.poll.records").is_none(), "{v}");

    // Creating it is a 400 naming the key.
    let (status, body) = call(
        &state,
        "PUT",
        "/connectors/tight/config",
        Some(config("tight", &overrides)),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["message"],
        format!(
            "Connector configuration is invalid and contains the following 1 error(s):\n\
             {refusal}\nYou can also find the above list of errors at the endpoint \
             `/connector-plugins/{{connectorType}}/config/validate`"
        )
    );
    let (status, body) = call(
        &state,
        "PUT",
        "/connectors/identity/config",
        Some(config("identity", &overrides[1..])),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // A config stored before the policy was tightened starts, but its task fails.
    let tmp = tempfile::tempdir().unwrap();
    let dir = ConfigDir::open(tmp.path()).unwrap();
    let mut stored: BTreeMap<String, String> = [
        ("connector.class", CLASS),
        ("name", "stored"),
        ("tasks.max", "1"),
    ]
    .into_iter()
    .chain(overrides)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    stored.insert("admin.override.request.timeout.ms".into(), "1000".into());
    dir.save(&StoredConnector {
        name: "stored".into(),
        config: stored,
        initial_state: None,
    })
    .unwrap();
    assert_eq!(restore(&*herder, &dir, &[]).await.unwrap(), 1);
    wait_until("the stored connector's task to fail", async || {
        let (_, s) = call(&state, "GET", "/connectors/stored/status", None).await;
        s["tasks"][0]["state"] == "FAILED"
    })
    .await;
    let (_, s) = call(&state, "GET", "/connectors/stored/status", None).await;
    assert_eq!(s["connector"]["state"], "RUNNING", "{s}");
    let trace = s["tasks"][0]["trace"].as_str().unwrap_or("");
    assert!(
        trace.contains(&format!(
            "Client Config Overrides not allowed [[linger.ms,10,[],[{refusal}],true], \
             [request.timeout.ms,1000,[],[The 'Principal' policy does not allow \
             'request.timeout.ms' to be overridden in the connector configuration.],true]]"
        )),
        "{trace}"
    );
    assert!(!trace.contains("secret-jaas"), "{trace}");
    wait_until("the allowed connector's task to run", async || {
        let (_, s) = call(&state, "GET", "/connectors/identity/status", None).await;
        s["tasks"][0]["state"] == "RUNNING"
    })
    .await;
    herder.shutdown().await;
}
