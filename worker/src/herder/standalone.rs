//! [`StandaloneHerder`]: the [`Herder`] of `sluice standalone`. Connector configs live in
//! memory (from the command line files or REST), offsets in the worker's offsets file, and
//! statuses in the worker's status table, as in Java's `StandaloneHerder`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex as StdMutex, PoisonError, Weak};

use async_trait::async_trait;
use sluice_api::Props;
use tokio::sync::{mpsc, RwLock};
use tracing::{info, warn};

use super::connector_ops::ConnectorOps;
use super::locks::ConnectorLocks;
use super::sink_offsets;
use super::{
    ConfigInfos, ConnectorInfo, ConnectorOffsets, ConnectorState, ConnectorStateInfo,
    ConnectorTaskId, Created, Herder, HerderError, HerderResult, Message, RestartRequest, State,
    TargetState, TaskInfo, TaskState,
};
use crate::runtime::worker::{Worker, WorkerEvent};

#[derive(Debug, Clone)]
struct ConnectorEntry {
    config: Props,
    target: TargetState,
    tasks: Vec<Props>,
}

/// The standalone herder.
///
/// # Ordering
/// Every operation that changes a connector holds that connector's lock
/// ([`ConnectorLocks`]) from start to end, validation and read-modify-write included, so
/// concurrent updates of one connector apply one after the other and none is lost. The map
/// of connector entries is only locked for short reads and writes, never across a
/// connector start or stop, so reads (`GET /connectors`, statuses) never wait for a slow
/// connector. An updated entry replaces the old one once the connector runs with it.
///
/// Synchronous connector calls (`validate`, `start`, `task_configs`, `stop`) run on the
/// blocking pool under [`CONNECTOR_CALL_TIMEOUT`](super::blocking::CONNECTOR_CALL_TIMEOUT).
pub struct StandaloneHerder {
    worker: Arc<Worker>,
    ops: ConnectorOps,
    connectors: StdMutex<BTreeMap<String, ConnectorEntry>>,
    locks: ConnectorLocks,
    /// `true` once [`StandaloneHerder::shutdown`] ran; changes take it shared, shutdown
    /// exclusively, so no connector starts after the worker stopped everything.
    closed: RwLock<bool>,
}

/// Whether [`StandaloneHerder::put_entry`] validates the config first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Validation {
    /// Validate (REST and command-line connectors).
    Validate,
    /// Take the config as is (configs restored from `--config-dir`).
    Trust,
}

impl StandaloneHerder {
    /// A herder over `worker`, handling the worker's connector events in the background.
    pub fn new(worker: Arc<Worker>, events: mpsc::UnboundedReceiver<WorkerEvent>) -> Arc<Self> {
        let herder = Arc::new(StandaloneHerder {
            ops: ConnectorOps::new(worker.clone()),
            worker,
            connectors: StdMutex::new(BTreeMap::new()),
            locks: ConnectorLocks::new(),
            closed: RwLock::new(false),
        });
        tokio::spawn(handle_events(Arc::downgrade(&herder), events));
        herder
    }

    /// The worker.
    pub fn worker(&self) -> &Arc<Worker> {
        &self.worker
    }

    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ConnectorEntry>> {
        self.connectors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn entry(&self, name: &str) -> Option<ConnectorEntry> {
        self.map().get(name).cloned()
    }

    fn set_entry(&self, name: &str, entry: ConnectorEntry) {
        self.map().insert(name.to_string(), entry);
    }

    /// Shared access for a change; an error once the worker is shutting down.
    async fn open_gate(&self) -> HerderResult<tokio::sync::RwLockReadGuard<'_, bool>> {
        let gate = self.closed.read().await;
        if *gate {
            return Err(HerderError::Conflict(
                "The worker is shutting down; the request was not applied".to_string(),
            ));
        }
        Ok(gate)
    }

    fn info(&self, name: &str, entry: &ConnectorEntry) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_string(),
            config: entry.config.clone(),
            tasks: ConnectorOps::task_ids(name, entry.tasks.len()),
            connector_type: self.ops.connector_type(&entry.config),
        }
    }

    /// Starts the connector instance and its tasks per the entry's target state; returns the
    /// connector start error, if any.
    async fn start_entry(&self, name: &str, entry: &mut ConnectorEntry) -> Result<(), String> {
        if entry.target == TargetState::Stopped {
            entry.tasks.clear();
            self.worker
                .status()
                .put_connector(name, State::Stopped, None);
            return Ok(());
        }
        self.ops
            .start_instance(name, &entry.config, entry.target)
            .await?;
        match self.ops.generate_tasks(name, &entry.config).await {
            Ok(tasks) => entry.tasks = tasks,
            Err(e) => {
                self.worker.status().put_connector(
                    name,
                    State::Failed,
                    Some(crate::runtime::connect_trace(&e)),
                );
                return Err(e.to_string());
            }
        }
        self.start_tasks(name, entry).await;
        Ok(())
    }

    async fn start_tasks(&self, name: &str, entry: &ConnectorEntry) {
        for (i, task_config) in entry.tasks.iter().enumerate() {
            let id = ConnectorTaskId {
                connector: name.to_string(),
                task: i as u32,
            };
            // A task that cannot start is FAILED; the others keep running.
            let _ = self
                .worker
                .start_task(&id, &entry.config, task_config, entry.target)
                .await;
        }
    }

    async fn stop_entry(&self, name: &str, entry: &ConnectorEntry) {
        let ids = ConnectorOps::task_ids(name, entry.tasks.len());
        self.worker.stop_tasks(&ids).await;
        self.ops.stop_instance(name).await;
    }

    /// Asks the running connector for task configs and, if they changed, replaces the tasks.
    async fn reconcile_tasks(&self, name: &str, entry: &mut ConnectorEntry) {
        if entry.target == TargetState::Stopped || !self.worker.is_connector_running(name) {
            return;
        }
        match self.ops.generate_tasks(name, &entry.config).await {
            Ok(tasks) if tasks != entry.tasks => {
                info!(connector = %name, "Task configs changed; restarting tasks.");
                let old = ConnectorOps::task_ids(name, entry.tasks.len());
                self.worker.stop_tasks(&old).await;
                for id in &old {
                    self.worker.status().remove_task(id);
                }
                entry.tasks = tasks;
                self.start_tasks(name, entry).await;
            }
            Ok(_) => {}
            Err(e) => warn!(connector = %name, error = %e, "Task reconfiguration failed."),
        }
    }

    /// Re-asks a running connector for task configs and restarts its tasks if they changed.
    pub async fn reconfigure(&self, name: &str) {
        let _op = self.locks.lock(name).await;
        let Ok(_gate) = self.open_gate().await else {
            return;
        };
        let Some(mut entry) = self.entry(name) else {
            return;
        };
        self.reconcile_tasks(name, &mut entry).await;
        self.set_entry(name, entry);
    }

    /// Stops every task and connector (worker shutdown); configs are kept. Changes requested
    /// afterwards are refused.
    pub async fn shutdown(&self) {
        let mut closed = self.closed.write().await;
        *closed = true;
        self.worker.stop_all().await;
    }

    /// Creates or replaces a connector; the caller holds the connector's lock. With
    /// [`Validation::Trust`] a connector that fails to start is kept FAILED and `Ok` is
    /// returned (its status tells why).
    async fn put_entry(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
        validation: Validation,
    ) -> HerderResult<Created<ConnectorInfo>> {
        if validation == Validation::Validate {
            let (infos, _) = self.ops.validate(&config).await?;
            if infos.error_count > 0 {
                return Err(ConnectorOps::validation_error(&infos));
            }
        }
        let _gate = self.open_gate().await?;
        let existing = self.entry(name);
        if existing.is_some() && !allow_replace {
            return Err(HerderError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        if let Some(old) = &existing {
            self.stop_entry(name, old).await;
            for id in ConnectorOps::task_ids(name, old.tasks.len()) {
                self.worker.status().remove_task(&id);
            }
        }
        let created = existing.is_none();
        let target = initial_state
            .or(existing.as_ref().map(|e| e.target))
            .unwrap_or(TargetState::Started);
        let mut entry = ConnectorEntry {
            config,
            target,
            tasks: Vec::new(),
        };
        let started = self.start_entry(name, &mut entry).await;
        let info = self.info(name, &entry);
        self.set_entry(name, entry);
        info!(connector = %name, created, "Connector configured.");
        match started {
            Ok(()) => Ok(Created {
                created,
                result: info,
            }),
            Err(e) if validation == Validation::Trust => {
                warn!(connector = %name, error = %e, "Connector restored FAILED: it could not start.");
                Ok(Created {
                    created,
                    result: info,
                })
            }
            Err(e) => Err(HerderError::Internal(e)),
        }
    }

    /// Recreates a connector from a stored config (`--config-dir`) without validating it, so
    /// that nothing calls the connector's external system before it runs: a connector that
    /// cannot start comes up FAILED with the reason in its status (restart it once the cause
    /// is gone) instead of failing the worker.
    pub async fn restore_connector(
        &self,
        name: &str,
        mut config: Props,
        initial_state: Option<TargetState>,
    ) -> HerderResult<ConnectorInfo> {
        ConnectorOps::check_config_name(name, &mut config)?;
        let _op = self.locks.lock(name).await;
        Ok(self
            .put_entry(name, config, true, initial_state, Validation::Trust)
            .await?
            .result)
    }

    fn status_of(&self, name: &str, entry: &ConnectorEntry) -> HerderResult<ConnectorStateInfo> {
        let status = self.worker.status();
        let connector = status.connector(name).ok_or_else(|| {
            HerderError::NotFound(format!("No status found for connector {name}"))
        })?;
        Ok(ConnectorStateInfo {
            name: name.to_string(),
            connector,
            tasks: status.tasks(name),
            connector_type: self.ops.connector_type(&entry.config),
        })
    }

    fn require_stopped(name: &str, entry: &ConnectorEntry) -> HerderResult<()> {
        if entry.target != TargetState::Stopped || !entry.tasks.is_empty() {
            return Err(HerderError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(())
    }
}

async fn handle_events(
    herder: Weak<StandaloneHerder>,
    mut events: mpsc::UnboundedReceiver<WorkerEvent>,
) {
    while let Some(event) = events.recv().await {
        let Some(herder) = herder.upgrade() else {
            return;
        };
        match event {
            // Its own task: a reconfiguration waits for the connector's lock, which must
            // not hold up the events of other connectors.
            WorkerEvent::Reconfigure(name) => {
                tokio::spawn(async move { herder.reconfigure(&name).await });
            }
        }
    }
}

#[async_trait]
impl Herder for StandaloneHerder {
    fn worker_id(&self) -> String {
        self.worker.status().worker_id().to_string()
    }

    async fn kafka_cluster_id(&self) -> String {
        sink_offsets::cluster_id(self.worker.config()).await
    }

    async fn connectors(&self) -> Vec<String> {
        self.map().keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        let entry = self
            .entry(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        Ok(self.info(name, &entry))
    }

    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        self.map()
            .get(name)
            .map(|e| e.config.clone())
            .ok_or_else(|| HerderError::connector_not_found(name))
    }

    async fn put_connector_config(
        &self,
        name: &str,
        mut config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> HerderResult<Created<ConnectorInfo>> {
        ConnectorOps::check_config_name(name, &mut config)?;
        let _op = self.locks.lock(name).await;
        self.put_entry(
            name,
            config,
            allow_replace,
            initial_state,
            Validation::Validate,
        )
        .await
    }

    async fn restore_connector(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
    ) -> HerderResult<ConnectorInfo> {
        StandaloneHerder::restore_connector(self, name, config, initial_state).await
    }

    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        // Read, patch and write under the connector's lock: concurrent patches all land.
        let _op = self.locks.lock(name).await;
        let mut config = self
            .entry(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?
            .config;
        for (k, v) in patch {
            match v {
                Some(v) => {
                    config.insert(k, v);
                }
                None => {
                    config.remove(&k);
                }
            }
        }
        ConnectorOps::check_config_name(name, &mut config)?;
        Ok(self
            .put_entry(name, config, true, None, Validation::Validate)
            .await?
            .result)
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        let _op = self.locks.lock(name).await;
        let _gate = self.open_gate().await?;
        let entry = self
            .entry(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        self.stop_entry(name, &entry).await;
        self.map().remove(name);
        self.worker.status().remove_connector(name);
        info!(connector = %name, "Connector deleted.");
        Ok(())
    }

    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        // Read in place, not cloned: `GET /connectors?expand=status` asks this of every
        // connector, and a clone of each config cost more than the status itself.
        let map = self.map();
        let entry = map.get(name).ok_or_else(|| {
            HerderError::NotFound(format!("No status found for connector {name}"))
        })?;
        self.status_of(name, entry)
    }

    async fn connector_statuses(
        &self,
        names: &[String],
    ) -> HerderResult<Vec<Option<ConnectorStateInfo>>> {
        // One look at the configs and one at the status table for all of them.
        let map = self.map();
        let states = self.worker.status().states(names);
        Ok(names
            .iter()
            .zip(states)
            .map(|(name, state)| {
                let entry = map.get(name)?;
                let (connector, tasks) = state?;
                Some(ConnectorStateInfo {
                    name: name.clone(),
                    connector,
                    tasks,
                    connector_type: self.ops.connector_type(&entry.config),
                })
            })
            .collect())
    }

    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState> {
        self.worker.status().task(id).ok_or_else(|| {
            HerderError::NotFound(format!(
                "No status found for task {}-{}",
                id.connector, id.task
            ))
        })
    }

    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let entry = self
            .entry(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        Ok(entry
            .tasks
            .iter()
            .enumerate()
            .map(|(i, c)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_string(),
                    task: i as u32,
                },
                config: c.clone(),
            })
            .collect())
    }

    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        let _op = self.locks.lock(name).await;
        let _gate = self.open_gate().await?;
        let mut entry = self
            .entry(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {name}")))?;
        let status = self.worker.status().clone();
        if !request.include_tasks && !request.only_failed {
            if entry.target != TargetState::Stopped {
                self.ops.stop_instance(name).await;
                self.ops
                    .start_instance(name, &entry.config, entry.target)
                    .await
                    .map_err(HerderError::Internal)?;
                // A connector that could not start before has no tasks yet.
                self.reconcile_tasks(name, &mut entry).await;
                self.set_entry(name, entry);
            }
            return Ok(None);
        }
        let current = status.connector(name).ok_or_else(|| {
            HerderError::NotFound(format!("Status for connector {name} not found"))
        })?;
        let restart_connector = !request.only_failed || current.state == State::Failed;
        let restart_tasks: Vec<ConnectorTaskId> = if request.include_tasks {
            status
                .tasks(name)
                .into_iter()
                .filter(|t| !request.only_failed || t.state == State::Failed)
                .map(|t| ConnectorTaskId {
                    connector: name.to_string(),
                    task: t.id,
                })
                .collect()
        } else {
            Vec::new()
        };
        if restart_connector {
            status.put_connector(name, State::Restarting, None);
        }
        for id in &restart_tasks {
            status.put_task(id, State::Restarting, None);
        }
        let answer = self.status_of(name, &entry)?;
        if entry.target != TargetState::Stopped {
            self.worker.stop_tasks(&restart_tasks).await;
            if restart_connector {
                self.ops.stop_instance(name).await;
                if let Err(e) = self
                    .ops
                    .start_instance(name, &entry.config, entry.target)
                    .await
                {
                    warn!(connector = %name, error = %e, "Connector failed on restart.");
                }
            }
            for id in &restart_tasks {
                if let Some(task_config) = entry.tasks.get(id.task as usize) {
                    let _ = self
                        .worker
                        .start_task(id, &entry.config, task_config, entry.target)
                        .await;
                }
            }
            if restart_connector {
                self.reconcile_tasks(name, &mut entry).await;
                self.set_entry(name, entry);
            }
        }
        Ok(Some(answer))
    }

    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()> {
        let _op = self.locks.lock(&id.connector).await;
        let _gate = self.open_gate().await?;
        let unknown =
            || HerderError::NotFound(format!("Unknown task: {}-{}", id.connector, id.task));
        let entry = self.entry(&id.connector).ok_or_else(unknown)?;
        let task_config = entry.tasks.get(id.task as usize).ok_or_else(unknown)?;
        self.worker.stop_tasks(std::slice::from_ref(id)).await;
        self.worker.status().remove_task(id);
        self.worker
            .start_task(id, &entry.config, task_config, entry.target)
            .await
            .map_err(|e| HerderError::Internal(e.to_string()))
    }

    async fn pause_connector(&self, name: &str) -> HerderResult<()> {
        let _op = self.locks.lock(name).await;
        let _gate = self.open_gate().await?;
        let mut entry = self
            .entry(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector {name}")))?;
        if entry.target == TargetState::Stopped {
            // Java writes PAUSED; a stopped connector has no tasks to pause.
            entry.target = TargetState::Paused;
            self.start_entry(name, &mut entry).await.ok();
            self.set_entry(name, entry);
            return Ok(());
        }
        entry.target = TargetState::Paused;
        self.set_entry(name, entry.clone());
        self.worker.set_connector_state(name, State::Paused);
        for id in ConnectorOps::task_ids(name, entry.tasks.len()) {
            self.worker.set_task_target(&id, TargetState::Paused).await;
        }
        Ok(())
    }

    async fn resume_connector(&self, name: &str) -> HerderResult<()> {
        let _op = self.locks.lock(name).await;
        let _gate = self.open_gate().await?;
        let mut entry = self
            .entry(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector {name}")))?;
        let was = entry.target;
        entry.target = TargetState::Started;
        if was == TargetState::Stopped {
            if let Err(e) = self.start_entry(name, &mut entry).await {
                warn!(connector = %name, error = %e, "Connector failed to start on resume.");
            }
            self.set_entry(name, entry);
            return Ok(());
        }
        self.set_entry(name, entry.clone());
        self.worker.set_connector_state(name, State::Running);
        for id in ConnectorOps::task_ids(name, entry.tasks.len()) {
            self.worker.set_task_target(&id, TargetState::Started).await;
        }
        Ok(())
    }

    async fn stop_connector(&self, name: &str) -> HerderResult<()> {
        let _op = self.locks.lock(name).await;
        let _gate = self.open_gate().await?;
        let mut entry = self
            .entry(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector {name}")))?;
        self.stop_entry(name, &entry).await;
        for id in ConnectorOps::task_ids(name, entry.tasks.len()) {
            self.worker.status().remove_task(&id);
        }
        entry.tasks.clear();
        entry.target = TargetState::Stopped;
        self.set_entry(name, entry);
        self.worker
            .status()
            .put_connector(name, State::Stopped, None);
        Ok(())
    }

    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        Ok(self.worker.status().topics(name))
    }

    async fn reset_active_topics(&self, name: &str) -> HerderResult<()> {
        self.worker.status().reset_topics(name);
        Ok(())
    }

    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        let config = self.connector_config(name).await?;
        self.ops.offsets(name, &config).await
    }

    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> HerderResult<Message> {
        let _op = self.locks.lock(name).await;
        let entry = self
            .entry(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        Self::require_stopped(name, &entry)?;
        self.ops.alter_offsets(name, &entry.config, offsets).await
    }

    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message> {
        let _op = self.locks.lock(name).await;
        let entry = self
            .entry(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        Self::require_stopped(name, &entry)?;
        self.ops.reset_offsets(name, &entry.config).await
    }

    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos> {
        Ok(self.ops.validate(&config).await?.0)
    }
}

impl StandaloneHerder {
    /// Status of the connector itself (for the CLI's start-up check).
    pub fn connector_state(&self, name: &str) -> Option<ConnectorState> {
        self.worker.status().connector(name)
    }
}
