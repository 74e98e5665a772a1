//! In-process router tests (`tower::ServiceExt::oneshot`, no socket) against [`MemHerder`],
//! a small in-memory herder with Java's messages, and a registry of test plugins.

mod connectors;
mod errors;
mod forward;
mod herder_ops;
mod internal;
mod listeners;
mod loggers;
mod metrics;
mod plugins;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use sluice_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectResult, Connector, ConnectorContext, Importance,
    Plugin, PluginFactory, Props, SinkConnector, SinkTask, SourceConnector, SourceRecord,
    SourceTask, SourceTaskContext,
};
use tower::ServiceExt;

use super::{service, AppState, ConnectorBaseConfigs};
use crate::herder::*;
use crate::plugins::PluginRegistry;
use crate::runtime::test_harness::NopSinkTask;

/// The test source connector class.
pub const SOURCE_CLASS: &str = "org.example.TestSourceConnector";
/// The test sink connector class.
pub const SINK_CLASS: &str = "org.example.TestSinkConnector";

#[derive(Debug, Clone)]
struct Conn {
    config: Props,
    target: TargetState,
    failed: bool,
    failed_tasks: Vec<u32>,
    restarting: bool,
    offsets: Vec<ConnectorOffset>,
    topics: Vec<String>,
}

/// An in-memory herder with Java's semantics and messages, enough to exercise every REST
/// path.
#[derive(Default)]
pub struct MemHerder {
    conns: Mutex<BTreeMap<String, Conn>>,
    /// Connectors that report no status (deleted while listed, in Java terms).
    pub no_status: Mutex<Vec<String>>,
    /// `connectors()` panics (to test the panic layer).
    pub panic_on_list: AtomicBool,
    /// How often `kafka_cluster_id` was called.
    pub cluster_id_calls: std::sync::atomic::AtomicUsize,
}

impl MemHerder {
    /// An empty herder.
    pub fn new() -> Self {
        Self::default()
    }

    /// A valid source config.
    pub fn source_config(name: &str) -> Props {
        Props::from([
            ("name".to_string(), name.to_string()),
            ("connector.class".to_string(), SOURCE_CLASS.to_string()),
            ("topic".to_string(), "t".to_string()),
            ("tasks.max".to_string(), "2".to_string()),
        ])
    }

    /// Marks a task failed.
    pub fn fail_task(&self, name: &str, task: u32) {
        if let Some(c) = self.lock().get_mut(name) {
            c.failed_tasks.push(task);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Conn>> {
        self.conns.lock().unwrap()
    }

    fn kind(config: &Props) -> ConnectorType {
        match config.get("connector.class").map(String::as_str) {
            Some(SOURCE_CLASS) | Some("TestSource") => ConnectorType::Source,
            Some(SINK_CLASS) | Some("TestSink") => ConnectorType::Sink,
            _ => ConnectorType::Unknown,
        }
    }

    fn task_count(c: &Conn) -> u32 {
        if c.target == TargetState::Stopped {
            0
        } else {
            c.config
                .get("tasks.max")
                .and_then(|t| t.parse().ok())
                .unwrap_or(1)
        }
    }

    fn info(name: &str, c: &Conn) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_string(),
            config: c.config.clone(),
            tasks: (0..Self::task_count(c))
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            connector_type: Self::kind(&c.config),
        }
    }

    fn status(&self, name: &str, c: &Conn) -> ConnectorStateInfo {
        let worker_id = self.worker_id();
        let state = |failed: bool| {
            if c.restarting {
                State::Restarting
            } else if failed {
                State::Failed
            } else {
                match c.target {
                    TargetState::Started => State::Running,
                    TargetState::Paused => State::Paused,
                    TargetState::Stopped => State::Stopped,
                }
            }
        };
        let trace =
            |failed: bool| failed.then(|| "java.lang.RuntimeException: boom\n\tat x".to_string());
        ConnectorStateInfo {
            name: name.to_string(),
            connector: ConnectorState {
                state: state(c.failed),
                worker_id: worker_id.clone(),
                trace: trace(c.failed),
            },
            tasks: (0..Self::task_count(c))
                .map(|id| {
                    let failed = c.failed_tasks.contains(&id);
                    TaskState {
                        id,
                        state: if c.target == TargetState::Paused && !failed && !c.restarting {
                            State::Paused
                        } else {
                            state(failed)
                        },
                        worker_id: worker_id.clone(),
                        trace: trace(failed),
                    }
                })
                .collect(),
            connector_type: Self::kind(&c.config),
        }
    }

    fn validate(config: &Props) -> HerderResult<ConfigInfos> {
        let Some(class) = config.get("connector.class") else {
            let shown: Vec<String> = config.iter().map(|(k, v)| format!("{k}={v}")).collect();
            return Err(HerderError::BadRequest(format!(
                "Connector config {{{}}} contains no connector type",
                shown.join(", ")
            )));
        };
        if Self::kind(config) == ConnectorType::Unknown {
            return Err(HerderError::Internal(format!(
                "Failed to find any class that implements Connector and which name matches {class}, available connectors are: {SINK_CLASS}, {SOURCE_CLASS}"
            )));
        }
        let def = ConfigDef::new()
            .define(ConfigKey::new(
                "name",
                ConfigType::String,
                Importance::High,
                "Name",
            ))
            .define(ConfigKey::new(
                "connector.class",
                ConfigType::String,
                Importance::High,
                "Class",
            ))
            .define(
                ConfigKey::new("tasks.max", ConfigType::Int, Importance::High, "Tasks")
                    .default("1"),
            )
            .define(ConfigKey::new(
                "topic",
                ConfigType::String,
                Importance::High,
                "Topic",
            ));
        let mut configs = Vec::new();
        let mut error_count = 0;
        for v in def.validate(config) {
            let mut v: ConfigValueInfo = v.into();
            if v.name == "name" && v.value.as_deref().is_some_and(str::is_empty) {
                v.errors
                    .push("Invalid value  for configuration name: String may not be empty".into());
            }
            error_count += v.errors.len();
            let definition = def.key(&v.name).map(ConfigKeyInfo::from);
            configs.push(ConfigInfo {
                definition,
                value: Some(v),
            });
        }
        Ok(ConfigInfos {
            name: class.clone(),
            error_count,
            groups: vec!["Common".to_string()],
            configs,
        })
    }

    fn not_found(name: &str) -> HerderError {
        HerderError::connector_not_found(name)
    }
}

#[async_trait]
impl Herder for MemHerder {
    fn worker_id(&self) -> String {
        "127.0.0.1:8083".to_string()
    }
    async fn kafka_cluster_id(&self) -> String {
        self.cluster_id_calls.fetch_add(1, Ordering::SeqCst);
        "test-cluster".to_string()
    }
    async fn connectors(&self) -> Vec<String> {
        if self.panic_on_list.load(Ordering::SeqCst) {
            panic!("test panic in connectors()");
        }
        self.lock().keys().rev().cloned().collect()
    }
    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        let conns = self.lock();
        let c = conns.get(name).ok_or_else(|| Self::not_found(name))?;
        Ok(Self::info(name, c))
    }
    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        let conns = self.lock();
        Ok(conns
            .get(name)
            .ok_or_else(|| Self::not_found(name))?
            .config
            .clone())
    }
    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> HerderResult<Created<ConnectorInfo>> {
        let infos = Self::validate(&config)?;
        if infos.error_count > 0 {
            let errors: Vec<String> = infos
                .configs
                .iter()
                .filter_map(|c| c.value.as_ref())
                .flat_map(|v| v.errors.clone())
                .collect();
            return Err(HerderError::BadRequest(format!(
                "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{{connectorType}}/config/validate`",
                errors.len(),
                errors.join("\n")
            )));
        }
        let mut conns = self.lock();
        let created = !conns.contains_key(name);
        if !created && !allow_replace {
            return Err(HerderError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        let target = match conns.get(name) {
            Some(c) => c.target,
            None => initial_state.unwrap_or(TargetState::Started),
        };
        let conn = Conn {
            config,
            target,
            failed: false,
            failed_tasks: Vec::new(),
            restarting: false,
            offsets: vec![ConnectorOffset {
                partition: serde_json::from_str(r#"{"filename":"/tmp/in.txt"}"#).unwrap(),
                offset: Some(serde_json::from_str(r#"{"position":42}"#).unwrap()),
            }],
            topics: vec!["t".to_string()],
        };
        let info = Self::info(name, &conn);
        conns.insert(name.to_string(), conn);
        Ok(Created {
            created,
            result: info,
        })
    }
    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        let mut config = self.connector_config(name).await?;
        for (k, v) in patch {
            match v {
                Some(v) => config.insert(k, v),
                None => config.remove(&k),
            };
        }
        Ok(self
            .put_connector_config(name, config, true, None)
            .await?
            .result)
    }
    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        self.lock()
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| Self::not_found(name))
    }
    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        if self.no_status.lock().unwrap().iter().any(|n| n == name) {
            return Err(HerderError::NotFound(format!(
                "No status found for connector {name}"
            )));
        }
        let conns = self.lock();
        let c = conns.get(name).ok_or_else(|| Self::not_found(name))?;
        Ok(self.status(name, c))
    }
    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState> {
        let status = self.connector_status(&id.connector).await?;
        status
            .tasks
            .into_iter()
            .find(|t| t.id == id.task)
            .ok_or_else(|| {
                HerderError::NotFound(format!(
                    "No status found for task {}-{}",
                    id.connector, id.task
                ))
            })
    }
    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let info = self.connector_info(name).await?;
        Ok(info
            .tasks
            .into_iter()
            .map(|id| TaskInfo {
                config: Props::from([
                    ("task.class".to_string(), "org.example.TestTask".to_string()),
                    ("task.id".to_string(), id.task.to_string()),
                ]),
                id,
            })
            .collect())
    }
    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        let mut conns = self.lock();
        let c = conns
            .get_mut(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {name}")))?;
        if !request.include_tasks && !request.only_failed {
            c.failed = false;
            return Ok(None);
        }
        let mut status = self.status(name, c);
        if !request.only_failed || status.connector.state == State::Failed {
            status.connector.state = State::Restarting;
            status.connector.trace = None;
        }
        if request.include_tasks {
            for t in &mut status.tasks {
                if !request.only_failed || t.state == State::Failed {
                    t.state = State::Restarting;
                    t.trace = None;
                }
            }
        }
        c.failed = false;
        c.failed_tasks.clear();
        Ok(Some(status))
    }
    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()> {
        let mut conns = self.lock();
        let c = conns
            .get_mut(&id.connector)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {}", id.connector)))?;
        if id.task >= Self::task_count(c) {
            return Err(HerderError::NotFound(format!(
                "Unknown task: {}-{}",
                id.connector, id.task
            )));
        }
        c.failed_tasks.retain(|t| *t != id.task);
        Ok(())
    }
    async fn pause_connector(&self, name: &str) -> HerderResult<()> {
        self.set_target(name, TargetState::Paused)
    }
    async fn resume_connector(&self, name: &str) -> HerderResult<()> {
        self.set_target(name, TargetState::Started)
    }
    async fn stop_connector(&self, name: &str) -> HerderResult<()> {
        self.set_target(name, TargetState::Stopped)
    }
    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        Ok(self
            .lock()
            .get(name)
            .map(|c| c.topics.clone())
            .unwrap_or_default())
    }
    async fn reset_active_topics(&self, name: &str) -> HerderResult<()> {
        let mut conns = self.lock();
        let c = conns.get_mut(name).ok_or_else(|| Self::not_found(name))?;
        c.topics.clear();
        Ok(())
    }
    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        let conns = self.lock();
        let c = conns.get(name).ok_or_else(|| Self::not_found(name))?;
        Ok(ConnectorOffsets {
            offsets: c.offsets.clone(),
        })
    }
    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> HerderResult<Message> {
        let mut conns = self.lock();
        let c = Self::stopped(&mut conns, name)?;
        c.offsets = offsets.offsets;
        Ok(Message {
            message: "The offsets for this connector have been altered successfully".to_string(),
        })
    }
    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message> {
        let mut conns = self.lock();
        let c = Self::stopped(&mut conns, name)?;
        c.offsets.clear();
        Ok(Message {
            message: "The offsets for this connector have been reset successfully".to_string(),
        })
    }
    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos> {
        Self::validate(&config)
    }
}

impl MemHerder {
    fn set_target(&self, name: &str, target: TargetState) -> HerderResult<()> {
        let mut conns = self.lock();
        let c = conns
            .get_mut(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector {name}")))?;
        c.target = target;
        Ok(())
    }

    fn stopped<'a>(
        conns: &'a mut BTreeMap<String, Conn>,
        name: &str,
    ) -> HerderResult<&'a mut Conn> {
        let c = conns.get_mut(name).ok_or_else(|| Self::not_found(name))?;
        if c.target != TargetState::Stopped {
            return Err(HerderError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(c)
    }
}

// ---- test plugins -------------------------------------------------------------------------

struct TestSource;
struct TestSink;
struct NopSourceTask;

fn topic_def() -> ConfigDef {
    ConfigDef::new().define(ConfigKey::new(
        "topic",
        ConfigType::String,
        Importance::High,
        "The topic.",
    ))
}

impl Connector for TestSource {
    fn version(&self) -> String {
        "1.0".to_string()
    }
    fn config_def(&self) -> ConfigDef {
        topic_def()
    }
    fn start(&mut self, _: &Props, _: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
        Ok(())
    }
    fn task_configs(&self, _: usize) -> ConnectResult<Vec<Props>> {
        Ok(Vec::new())
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}
impl SourceConnector for TestSource {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(NopSourceTask)
    }
}
impl Connector for TestSink {
    fn version(&self) -> String {
        "1.0".to_string()
    }
    fn config_def(&self) -> ConfigDef {
        topic_def()
    }
    fn start(&mut self, _: &Props, _: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
        Ok(())
    }
    fn task_configs(&self, _: usize) -> ConnectResult<Vec<Props>> {
        Ok(Vec::new())
    }
    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}
impl SinkConnector for TestSink {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(NopSinkTask)
    }
}
#[async_trait]
impl SourceTask for NopSourceTask {
    async fn start(&mut self, _: SourceTaskContext) -> ConnectResult<()> {
        Ok(())
    }
    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        Ok(Vec::new())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

struct NopTransform;
impl sluice_api::Transformation for NopTransform {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new(
            "field",
            ConfigType::String,
            Importance::Medium,
            "A field.",
        ))
    }
    fn configure(&mut self, _: &Props) -> ConnectResult<()> {
        Ok(())
    }
    fn apply(
        &mut self,
        record: sluice_api::ConnectRecord,
    ) -> ConnectResult<Option<sluice_api::ConnectRecord>> {
        Ok(Some(record))
    }
}
struct NopPredicate;
impl sluice_api::Predicate for NopPredicate {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn configure(&mut self, _: &Props) -> ConnectResult<()> {
        Ok(())
    }
    fn test(&self, _: &sluice_api::ConnectRecord) -> bool {
        true
    }
}

/// The test plugin registry: two connectors, a transformation (version `undefined`) and a
/// predicate, registered out of Java's order on purpose.
pub fn test_registry() -> PluginRegistry {
    PluginRegistry::new(vec![
        Plugin {
            class: "org.example.Zed",
            version: "undefined",
            factory: PluginFactory::Transformation(|| Box::new(NopTransform)),
        },
        Plugin {
            class: "org.example.HasField",
            version: "2.0",
            factory: PluginFactory::Predicate(|| Box::new(NopPredicate)),
        },
        Plugin {
            class: SOURCE_CLASS,
            version: "1.0",
            factory: PluginFactory::Source(|| Box::new(TestSource)),
        },
        Plugin {
            class: SINK_CLASS,
            version: "1.0",
            factory: PluginFactory::Sink(|| Box::new(TestSink)),
        },
    ])
}

/// A router over a fresh [`MemHerder`], with both kept for the test.
pub struct TestApp {
    /// The herder behind the router.
    pub herder: Arc<MemHerder>,
    /// The state the router was built with.
    pub state: AppState,
}

/// A response, with its body parsed as JSON (`Value::Null` when empty).
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub json: Value,
    /// Raw body.
    pub raw: Vec<u8>,
}

impl Reply {
    /// Asserts Java's error body with this status and message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, message: &str) {
        assert_eq!(self.status.as_u16(), status, "{:?}", self.json);
        assert_eq!(
            self.json,
            serde_json::json!({"error_code": status, "message": message}),
        );
    }
}

impl TestApp {
    /// A fresh app.
    pub fn new() -> Self {
        let herder = Arc::new(MemHerder::new());
        let base = ConnectorBaseConfigs {
            source: ConfigDef::new().define(ConfigKey::new(
                "connector.class",
                ConfigType::String,
                Importance::High,
                "Class",
            )),
            sink: ConfigDef::new().define(ConfigKey::new(
                "topics",
                ConfigType::List,
                Importance::High,
                "Topics",
            )),
        };
        let state =
            AppState::new(herder.clone(), Arc::new(test_registry())).with_base_configs(base);
        TestApp { herder, state }
    }

    /// Sends one request with an optional JSON body.
    pub async fn call(&self, method: &str, uri: &str, body: Option<&str>) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "localhost:8083");
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(
                body.map(|b| Body::from(b.to_string()))
                    .unwrap_or_else(Body::empty),
            )
            .unwrap();
        self.send(req).await
    }

    /// Sends a prepared request.
    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp = service(self.state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let raw = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        let json = if raw.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&raw)
                .unwrap_or(Value::String(String::from_utf8_lossy(&raw).into()))
        };
        Reply {
            status,
            headers,
            json,
            raw,
        }
    }

    /// Creates a source connector through the API.
    pub async fn create(&self, name: &str) -> Reply {
        let body = serde_json::json!({"name": name, "config": MemHerder::source_config(name)});
        let r = self
            .call("POST", "/connectors", Some(&body.to_string()))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        r
    }
}
