//! [`DistributedHerder`]: the [`Herder`](crate::herder::Herder) of `sluice distributed` (Java's `DistributedHerder`).
//!
//! * Connector configs, task configs and target states live in the config topic
//!   ([`KafkaConfigBackingStore`]); statuses in the status topic; source offsets in the
//!   offsets topic. Nothing is kept anywhere else.
//! * Workers form a group through Kafka's group coordinator ([`crate::distributed::membership`]);
//!   the leader assigns connectors and tasks ([`crate::distributed::assignor`]).
//! * One loop applies, one at a time, each completed assignment and each change read from
//!   the config topic: it brings what this worker runs in line with its assignment and the
//!   latest configs (`DistributedHerder::reconcile`).
//! * Writes only the leader may make answer [`HerderError::NotLeader`] elsewhere, which the
//!   REST layer forwards to the leader's URL.

mod group;
mod ops;
pub mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex as StdMutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use sluice_api::Props;
use tokio::sync::{mpsc, Mutex};
use tracing::{debug, info, warn};

use super::connector_ops::ConnectorOps;
use super::locks::ConnectorLocks;
use super::{ConnectorStateInfo, HerderError, HerderResult, RestartRequest};
use crate::config::distributed::{ConnectProtocolSetting, DistributedConfig};
use crate::distributed::assignor::ConnectAssignor;
use crate::distributed::membership::{self, GroupMember, MembershipConfig};
use crate::distributed::protocol::{Assignment, ConnectProtocol, CONFIG_MISMATCH};
use crate::model::{ConnectorTaskId, State, TargetState};
use crate::rest::forward::{NextAttempt, RestClient, RetryBackoff, Signing};
use crate::runtime::worker::{Worker, WorkerEvent};
use crate::storage::config_kafka::{
    to_config_props, ClusterConfigState, ConfigUpdate, KafkaConfigBackingStore, SessionKey,
};
use crate::storage::status_kafka::KafkaStatusBackingStore;

/// What the herder's loop handles, one at a time.
#[derive(Debug)]
pub(crate) enum Event {
    /// A change read from the config topic.
    Config(ConfigUpdate),
    /// A completed rebalance (the assignment as received).
    Assigned(Assignment),
    /// Eager protocol: stop everything before rejoining.
    RevokeAll,
    /// A connector asked for task reconfiguration.
    Reconfigure(String),
    /// Rejoin the group (a scheduled rebalance).
    Rejoin,
    /// Bring the running work in line with the assignment and configs again (a periodic
    /// check: work whose configs were not read yet when it was assigned starts then).
    Reconcile,
}

/// The group as this worker last saw it.
#[derive(Debug, Default)]
pub(crate) struct GroupView {
    pub(crate) member_id: String,
    pub(crate) leader_id: String,
    pub(crate) leader_url: Option<String>,
    pub(crate) generation: i32,
    /// Everything assigned to this worker (new items merged with those kept).
    pub(crate) assignment: Option<Assignment>,
    /// Leader only: the URL of the owner of each connector (`name`) and task (`name-n`).
    pub(crate) owners: BTreeMap<String, String>,
}

impl GroupView {
    fn is_leader(&self) -> bool {
        !self.member_id.is_empty() && self.member_id == self.leader_id
    }
}

/// What this worker runs.
#[derive(Debug, Default)]
struct Running {
    /// Connector instances started, with the config and target they run with.
    connectors: BTreeMap<String, (Props, TargetState)>,
    /// Tasks started, with their task config and target.
    tasks: BTreeMap<ConnectorTaskId, (Props, TargetState)>,
}

/// The distributed herder.
pub struct DistributedHerder {
    worker: Arc<Worker>,
    ops: ConnectorOps,
    dist: DistributedConfig,
    protocol: ConnectProtocol,
    /// This worker's advertised REST URL (`http://host:port/`).
    url: String,
    configs: Arc<KafkaConfigBackingStore>,
    statuses: Arc<KafkaStatusBackingStore>,
    /// The generation stamped on status writes.
    generation: Arc<AtomicI32>,
    group: StdMutex<GroupView>,
    assignor: Mutex<ConnectAssignor>,
    member: StdMutex<Option<GroupMember>>,
    events: mpsc::UnboundedSender<Event>,
    running: Mutex<Running>,
    locks: ConnectorLocks,
    rest: RestClient,
    session_key: StdMutex<Option<SessionKey>>,
    closed: AtomicBool,
    cluster_id: OnceLock<String>,
    /// Itself, for tasks that outlive a call (task-config retries).
    me: std::sync::Weak<DistributedHerder>,
    readiness: crate::rest::Readiness,
}

/// The pieces a distributed herder is built from (see [`DistributedHerder::start`]).
pub struct DistributedParts {
    /// The worker runtime (its status table already writes to the status topic).
    pub worker: Arc<Worker>,
    /// The worker's connector events.
    pub worker_events: mpsc::UnboundedReceiver<WorkerEvent>,
    /// The distributed keys.
    pub dist: DistributedConfig,
    /// The worker's advertised REST URL.
    pub url: String,
    /// The config store, started.
    pub configs: Arc<KafkaConfigBackingStore>,
    /// The receiver of the config store's updates.
    pub config_updates: mpsc::UnboundedReceiver<ConfigUpdate>,
    /// The status store, started.
    pub statuses: Arc<KafkaStatusBackingStore>,
    /// The generation stamped on status writes (shared with the status writer).
    pub generation: Arc<AtomicI32>,
    /// The group-membership settings.
    pub membership: MembershipConfig,
    /// Set once the worker joined the group and applied its first assignment
    /// (`GET /health` answers 503 until then).
    pub readiness: crate::rest::Readiness,
}

fn lock<T>(m: &StdMutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The props of a stored config (keys with a null value are left out).
fn plain(props: &crate::storage::config_records::ConfigProps) -> Props {
    props
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
        .collect()
}

impl DistributedHerder {
    /// Starts the herder: its loop, and the group member that joins the group.
    pub fn start(parts: DistributedParts) -> Arc<Self> {
        let (events, rx) = mpsc::unbounded_channel();
        let protocol = match parts.dist.connect_protocol {
            ConnectProtocolSetting::Eager => ConnectProtocol::Eager,
            ConnectProtocolSetting::Compatible => ConnectProtocol::Compatible,
            ConnectProtocolSetting::Sessioned => ConnectProtocol::Sessioned,
        };
        let max_delay =
            i32::try_from(parts.dist.scheduled_rebalance_max_delay.as_millis()).unwrap_or(i32::MAX);
        let session_key = parts.configs.snapshot().session_key().cloned();
        let herder = Arc::new_cyclic(|me| DistributedHerder {
            me: me.clone(),
            readiness: parts.readiness.clone(),
            ops: ConnectorOps::in_group(parts.worker.clone(), &parts.dist.group_id),
            worker: parts.worker,
            dist: parts.dist,
            protocol,
            url: parts.url,
            configs: parts.configs,
            statuses: parts.statuses,
            generation: parts.generation,
            group: StdMutex::new(GroupView {
                generation: -1,
                ..GroupView::default()
            }),
            assignor: Mutex::new(ConnectAssignor::new(max_delay)),
            member: StdMutex::new(None),
            events: events.clone(),
            running: Mutex::new(Running::default()),
            locks: ConnectorLocks::new(),
            rest: RestClient::new(),
            session_key: StdMutex::new(session_key),
            closed: AtomicBool::new(false),
            cluster_id: OnceLock::new(),
        });
        tokio::spawn(forward_config_updates(parts.config_updates, events.clone()));
        tokio::spawn(forward_worker_events(parts.worker_events, events));
        tokio::spawn(run_loop(Arc::downgrade(&herder), rx));
        tokio::spawn(reconcile_periodically(herder.events.clone()));
        let member = membership::spawn(parts.membership, group::handler(&herder));
        *lock(&herder.member) = Some(member);
        herder
    }

    /// The worker.
    pub fn worker(&self) -> &Arc<Worker> {
        &self.worker
    }

    pub(crate) fn view(&self) -> MutexGuard<'_, GroupView> {
        lock(&self.group)
    }

    /// Whether this worker leads the group now.
    pub fn is_leader(&self) -> bool {
        self.view().is_leader()
    }

    /// The leader's URL, once known.
    pub fn leader_url(&self) -> Option<String> {
        self.view().leader_url.clone()
    }

    /// The generation of the last completed rebalance (-1 before the first).
    pub fn generation(&self) -> i32 {
        self.view().generation
    }

    fn request_rejoin(&self) {
        if let Some(member) = lock(&self.member).as_ref() {
            member.request_rejoin();
        }
    }

    /// Stops every connector and task, leaves the group and flushes the status writes, in
    /// Java's order: with `scheduled.rebalance.max.delay.ms=0` the others take a departed
    /// worker's work over at once, so leaving first would let a task run on two workers
    /// (and a sink's consumers rebalance twice) while it stops here. Work a rebalance hands
    /// this worker during the stop is not started; the others get it once it has left.
    pub async fn shutdown(&self) {
        self.closed.store(true, Ordering::SeqCst);
        // As Java's `halt`: the connectors and tasks stop while this worker is still a member
        // (it ignores rebalances from now on), so no other worker runs them before they have
        // stopped and written their last offsets and statuses; then LeaveGroup.
        {
            let mut running = self.running.lock().await;
            self.stop_everything(&mut running).await;
        }
        self.worker.stop_all().await;
        let member = lock(&self.member).take();
        if let Some(member) = member {
            member.leave().await;
        }
        if let Err(e) = self.statuses.flush(Duration::from_secs(5)).await {
            warn!(error = %e, "Not every status write reached the status topic.");
        }
    }

    /// Java's `NotLeaderException` for a leader-only request.
    fn not_leader(&self, what: &str) -> HerderError {
        HerderError::NotLeader {
            message: format!("Cannot {what} because this worker is not the leader"),
            leader_url: self.leader_url(),
        }
    }

    /// Errs unless this worker leads the group.
    fn require_leader(&self, what: &str) -> HerderResult<()> {
        if self.is_leader() {
            Ok(())
        } else {
            Err(self.not_leader(what))
        }
    }

    fn snapshot(&self) -> ClusterConfigState {
        self.configs.snapshot()
    }

    /// A connector's status with its config and tasks taken from `snapshot`; Java's 404 when
    /// it has no config or no status.
    fn status_in(
        &self,
        snapshot: &ClusterConfigState,
        name: &str,
    ) -> HerderResult<ConnectorStateInfo> {
        let config = snapshot
            .connector_config(name)
            .map(plain)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        let connector = status::connector_state(&self.statuses, name).ok_or_else(|| {
            HerderError::NotFound(format!("No status found for connector {name}"))
        })?;
        let tasks = status::task_states(&self.statuses, &snapshot.tasks(name));
        Ok(ConnectorStateInfo {
            name: name.to_string(),
            connector,
            tasks,
            connector_type: self.ops.connector_type(&config),
        })
    }

    /// The connector's config from the config topic, or Java's 404.
    fn stored_config(&self, name: &str) -> HerderResult<Props> {
        self.snapshot()
            .connector_config(name)
            .map(plain)
            .ok_or_else(|| HerderError::connector_not_found(name))
    }

    fn store_error(e: impl std::fmt::Display) -> HerderError {
        HerderError::Internal(e.to_string())
    }

    /// Reads the config topic to the end (after a write), so that answers reflect it.
    async fn read_back(&self) -> HerderResult<()> {
        self.configs
            .refresh(self.dist.worker_sync_timeout.max(Duration::from_secs(5)))
            .await
            .map_err(Self::store_error)
    }

    // ----- the loop -----

    async fn handle(&self, event: Event) {
        if self.closed.load(Ordering::SeqCst) {
            return;
        }
        match event {
            Event::Config(update) => self.on_config_update(update).await,
            Event::Assigned(received) => self.on_assigned(received).await,
            Event::RevokeAll => {
                let mut running = self.running.lock().await;
                self.stop_everything(&mut running).await;
            }
            Event::Reconfigure(name) => {
                let owned = self.running.lock().await.connectors.contains_key(&name);
                if owned {
                    self.publish_task_configs(&name).await;
                }
            }
            Event::Rejoin => self.request_rejoin(),
            Event::Reconcile => self.reconcile().await,
        }
    }

    async fn on_config_update(&self, update: ConfigUpdate) {
        match update {
            ConfigUpdate::ConnectorConfigUpdated(name) => {
                let assigned = self.assigned_connector(&name);
                let running = self.running.lock().await.connectors.contains_key(&name);
                if !assigned && !running {
                    // A new connector: the leader assigns it in a rebalance.
                    info!(connector = %name, "Connector config added; rebalancing.");
                    self.request_rejoin();
                } else {
                    self.reconcile().await;
                }
            }
            ConfigUpdate::ConnectorConfigRemoved(name) => {
                info!(connector = %name, "Connector deleted; rebalancing.");
                self.reconcile().await;
                if self.is_leader() {
                    let generation = self.generation();
                    let tasks: Vec<ConnectorTaskId> = self
                        .statuses
                        .get_all(&name)
                        .into_iter()
                        .map(|(id, _)| id)
                        .collect();
                    for id in tasks {
                        self.statuses
                            .delete_task(&id, &self.worker_id_str(), generation);
                    }
                    self.statuses
                        .delete_connector(&name, &self.worker_id_str(), generation);
                }
                self.request_rejoin();
            }
            ConfigUpdate::TaskConfigsUpdated(ids) => {
                let connectors: BTreeSet<String> =
                    ids.iter().map(|id| id.connector.clone()).collect();
                info!(connectors = ?connectors, "Task configs updated; rebalancing.");
                self.reconcile().await;
                self.request_rejoin();
            }
            ConfigUpdate::TargetStateChanged(name) => {
                self.reconcile().await;
                let started = self.snapshot().target_state(&name) == Some(TargetState::Started);
                if started && self.running.lock().await.connectors.contains_key(&name) {
                    self.publish_task_configs(&name).await;
                }
            }
            ConfigUpdate::SessionKeyUpdated(key) => {
                *lock(&self.session_key) = Some(key);
            }
            ConfigUpdate::RestartRequested { connector, request } => {
                self.restart_owned(&connector, request).await;
            }
            _ => {}
        }
    }

    fn assigned_connector(&self, name: &str) -> bool {
        self.view()
            .assignment
            .as_ref()
            .is_some_and(|a| a.assigned.connectors.iter().any(|c| c == name))
    }

    async fn on_assigned(&self, received: Assignment) {
        if received.error == CONFIG_MISMATCH {
            info!("Config mismatch with the leader; reading the config topic and rejoining.");
            if let Err(e) = self.configs.refresh(self.dist.worker_sync_timeout).await {
                warn!(error = %e, "Could not read the config topic to the end.");
            }
            self.request_rejoin();
            return;
        }
        // Act only on configs at least as new as the leader's.
        if self.snapshot().offset() < received.config_offset {
            if let Err(e) = self.configs.refresh(self.dist.worker_sync_timeout).await {
                warn!(error = %e, "Could not read the config topic up to the assignment's offset; rejoining.");
                self.request_rejoin();
                return;
            }
        }
        self.reconcile().await;
        if self.is_leader() {
            self.ensure_session_key().await;
        }
        self.readiness.set_ready();
        if !received.revoked.is_empty() {
            // The second round of an incremental cooperative rebalance.
            self.request_rejoin();
        } else if received.delay > 0 {
            let delay = Duration::from_millis(u64::try_from(received.delay).unwrap_or(0));
            let events = self.events.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = events.send(Event::Rejoin);
            });
        }
    }

    /// Forgets the connector's active topics: a tombstone for each in the status topic, and
    /// this worker's table.
    fn clear_active_topics(&self, name: &str) {
        for t in self.statuses.get_all_topics(name) {
            self.statuses.delete_topic(name, &t.topic);
        }
        self.worker.status().reset_topics(name);
    }

    /// Java's `resetActiveTopics` after a rebalance stopped work: the active topics of
    /// connectors whose config was deleted are reset once their tasks stopped (so that no
    /// task records them again), when topic tracking is on.
    fn reset_topics_of_deleted(&self, snapshot: &ClusterConfigState, stopped: BTreeSet<String>) {
        if !self.worker.config().topic_tracking.enabled {
            return;
        }
        for name in stopped.iter().filter(|n| !snapshot.contains(n)) {
            debug!(connector = %name, "Resetting the active topics of a deleted connector.");
            self.clear_active_topics(name);
        }
    }

    fn worker_id_str(&self) -> String {
        self.worker.status().worker_id().to_string()
    }

    async fn stop_everything(&self, running: &mut Running) {
        let ids: Vec<ConnectorTaskId> = running.tasks.keys().cloned().collect();
        self.worker.stop_tasks(&ids).await;
        running.tasks.clear();
        let names: Vec<String> = running.connectors.keys().cloned().collect();
        for name in &names {
            self.ops.stop_instance(name).await;
            running.connectors.remove(name);
        }
        let stopped = ids
            .into_iter()
            .map(|id| id.connector)
            .chain(names)
            .collect();
        self.reset_topics_of_deleted(&self.snapshot(), stopped);
    }

    /// Brings what this worker runs in line with its assignment and the config topic: stops
    /// what is no longer assigned, deleted, stopped or changed; starts what is assigned and
    /// not running; applies target states.
    async fn reconcile(&self) {
        let snapshot = self.snapshot();
        let Some(assignment) = self.view().assignment.clone() else {
            return;
        };
        let mut running = self.running.lock().await;
        let target_of = |name: &str| snapshot.target_state(name).unwrap_or(TargetState::Started);
        // Desired connectors and tasks, with their configs.
        let mut want_connectors: BTreeMap<String, (Props, TargetState)> = BTreeMap::new();
        for name in &assignment.assigned.connectors {
            if let Some(config) = snapshot.connector_config(name) {
                want_connectors.insert(name.clone(), (plain(config), target_of(name)));
            }
        }
        let mut want_tasks: BTreeMap<ConnectorTaskId, (Props, TargetState)> = BTreeMap::new();
        for id in &assignment.assigned.tasks {
            let target = target_of(&id.connector);
            if target == TargetState::Stopped {
                continue;
            }
            if let Some(config) = snapshot.task_config(id) {
                if snapshot.tasks(&id.connector).contains(id) {
                    want_tasks.insert(id.clone(), (plain(config), target));
                }
            }
        }
        // Stop tasks no longer wanted or whose config changed.
        let stop: Vec<ConnectorTaskId> = running
            .tasks
            .iter()
            .filter(|(id, (config, _))| want_tasks.get(*id).is_none_or(|(c, _)| c != config))
            .map(|(id, _)| id.clone())
            .collect();
        if !stop.is_empty() {
            self.worker.stop_tasks(&stop).await;
            for id in &stop {
                running.tasks.remove(id);
            }
        }
        // Stop connectors no longer wanted, or whose config changed, or now STOPPED.
        let stop_connectors: Vec<String> = running
            .connectors
            .iter()
            .filter(|(name, (config, _))| {
                want_connectors
                    .get(*name)
                    .is_none_or(|(c, t)| c != config || *t == TargetState::Stopped)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in &stop_connectors {
            self.ops.stop_instance(name).await;
            running.connectors.remove(name);
        }
        let stopped: BTreeSet<String> = stop
            .iter()
            .map(|id| id.connector.clone())
            .chain(stop_connectors)
            .collect();
        self.reset_topics_of_deleted(&snapshot, stopped);
        // Start connectors.
        let mut publish = Vec::new();
        for (name, (config, target)) in &want_connectors {
            match running.connectors.get(name) {
                Some((_, t)) if t == target => {}
                Some(_) => {
                    self.worker.set_connector_state(
                        name,
                        if *target == TargetState::Paused {
                            State::Paused
                        } else {
                            State::Running
                        },
                    );
                    running
                        .connectors
                        .insert(name.clone(), (config.clone(), *target));
                }
                None if *target == TargetState::Stopped => {
                    if self.worker.status().connector(name).map(|s| s.state) != Some(State::Stopped)
                    {
                        self.worker
                            .status()
                            .put_connector(name, State::Stopped, None);
                    }
                }
                None => {
                    if let Err(e) = self.ops.start_instance(name, config, *target).await {
                        // Kept as attempted (FAILED in its status): it is not started again
                        // until restarted or reconfigured, as in Java.
                        warn!(connector = %name, error = %e, "Connector failed to start.");
                        running
                            .connectors
                            .insert(name.clone(), (config.clone(), *target));
                        continue;
                    }
                    running
                        .connectors
                        .insert(name.clone(), (config.clone(), *target));
                    if *target == TargetState::Started {
                        publish.push(name.clone());
                    }
                }
            }
        }
        // Start tasks; apply target states to running ones.
        for (id, (task_config, target)) in &want_tasks {
            match running.tasks.get(id) {
                Some((_, t)) if t == target => {}
                Some(_) => {
                    self.worker.set_task_target(id, *target).await;
                    running
                        .tasks
                        .insert(id.clone(), (task_config.clone(), *target));
                }
                None => {
                    let Some(connector_config) = snapshot.connector_config(&id.connector) else {
                        continue;
                    };
                    let _ = self
                        .worker
                        .start_task(id, &plain(connector_config), task_config, *target)
                        .await;
                    running
                        .tasks
                        .insert(id.clone(), (task_config.clone(), *target));
                }
            }
        }
        drop(running);
        for name in publish {
            self.publish_task_configs(&name).await;
        }
    }

    /// Asks a running connector for its task configs and, when they differ from the
    /// committed ones, has the leader write them (Java's `reconfigureConnector`).
    async fn publish_task_configs(&self, name: &str) {
        let snapshot = self.snapshot();
        let Some(config) = snapshot.connector_config(name).map(plain) else {
            return;
        };
        if snapshot.target_state(name) == Some(TargetState::Stopped) {
            return;
        }
        let generated = match self.ops.generate_tasks(name, &config).await {
            Ok(t) => t,
            Err(e) => {
                warn!(connector = %name, error = %e, "Could not generate task configs.");
                self.worker.status().put_connector(
                    name,
                    State::Failed,
                    Some(crate::runtime::connect_trace(&e)),
                );
                return;
            }
        };
        let committed: Vec<Props> = snapshot
            .tasks(name)
            .iter()
            .filter_map(|id| snapshot.task_config(id).map(plain))
            .collect();
        if committed == generated && !snapshot.inconsistent_connectors().contains(name) {
            return;
        }
        info!(connector = %name, tasks = generated.len(), "Publishing new task configs.");
        if self.is_leader() {
            let configs = generated.iter().map(to_config_props).collect();
            if let Err(e) = self.configs.put_task_configs(name, configs).await {
                warn!(connector = %name, error = %e, "Could not write task configs.");
            }
            return;
        }
        // A follower sends them to the leader, signed under the sessioned protocol; every
        // attempt reads the current leader and session key.
        let me = self.me.clone();
        let connector = name.to_string();
        let client = self.rest.clone();
        tokio::spawn(async move {
            let result = client
                .post_task_configs_with_retry(
                    &connector,
                    &generated,
                    RetryBackoff::default(),
                    || {
                        let Some(herder) = me.upgrade() else {
                            return NextAttempt::GiveUp;
                        };
                        if herder.closed.load(Ordering::SeqCst)
                            || !herder.snapshot().contains(&connector)
                        {
                            return NextAttempt::GiveUp;
                        }
                        NextAttempt::Send {
                            leader_url: herder.leader_url(),
                            signing: herder.signing(),
                        }
                    },
                )
                .await;
            if let Err(e) = result {
                warn!(connector = %connector, error = ?e, "Could not send task configs to the leader.");
            }
        });
    }

    /// The signing of internal requests (sessioned protocol, once a key was read).
    fn signing(&self) -> Option<Signing> {
        if self.protocol != ConnectProtocol::Sessioned {
            return None;
        }
        lock(&self.session_key).as_ref().map(|k| Signing {
            key: k.key.clone(),
            algorithm: self.dist.signature_algorithm.clone(),
        })
    }

    /// Leader: writes a new session key when none is valid (sessioned protocol).
    async fn ensure_session_key(&self) {
        if self.protocol != ConnectProtocol::Sessioned {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let ttl = self.dist.key_ttl.as_millis() as i64;
        let bits =
            self.dist
                .key_size_bits
                .unwrap_or(match self.dist.key_generation_algorithm.as_str() {
                    "HmacSHA384" => 384,
                    "HmacSHA512" => 512,
                    _ => 256,
                });
        let current = lock(&self.session_key).clone();
        let valid = current.as_ref().is_some_and(|k| {
            k.algorithm == self.dist.key_generation_algorithm
                && k.key.len() * 8 == bits as usize
                && k.creation_timestamp + ttl > now
        });
        if valid {
            return;
        }
        let mut key = vec![0u8; (bits / 8) as usize];
        if let Err(e) = getrandom::fill(&mut key) {
            warn!(error = %e, "Could not generate a session key.");
            return;
        }
        let session_key = SessionKey {
            key,
            algorithm: self.dist.key_generation_algorithm.clone(),
            creation_timestamp: now,
        };
        match self.configs.put_session_key(&session_key).await {
            Ok(()) => {
                info!("Wrote a new session key.");
                *lock(&self.session_key) = Some(session_key);
            }
            Err(e) => warn!(error = %e, "Could not write the session key."),
        }
    }

    /// Restarts what this worker runs of `connector`, per a restart request read from the
    /// config topic.
    async fn restart_owned(&self, connector: &str, request: RestartRequest) {
        let mut running = self.running.lock().await;
        let restart_connector = running.connectors.contains_key(connector)
            && (!request.only_failed
                || self.worker.status().connector(connector).map(|s| s.state)
                    == Some(State::Failed));
        let tasks: Vec<ConnectorTaskId> = if request.include_tasks {
            running
                .tasks
                .keys()
                .filter(|id| id.connector == connector)
                .filter(|id| {
                    !request.only_failed
                        || self.worker.status().task(id).map(|s| s.state) == Some(State::Failed)
                })
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        if restart_connector {
            self.worker
                .status()
                .put_connector(connector, State::Restarting, None);
        }
        for id in &tasks {
            self.worker.status().put_task(id, State::Restarting, None);
        }
        self.worker.stop_tasks(&tasks).await;
        for id in &tasks {
            running.tasks.remove(id);
        }
        if restart_connector {
            self.ops.stop_instance(connector).await;
            running.connectors.remove(connector);
        }
        drop(running);
        self.reconcile().await;
    }
}

/// How often the herder's loop checks that what runs matches the assignment and configs.
const RECONCILE_INTERVAL: Duration = Duration::from_secs(5);

async fn reconcile_periodically(events: mpsc::UnboundedSender<Event>) {
    let mut tick = tokio::time::interval(RECONCILE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if events.send(Event::Reconcile).is_err() {
            return;
        }
    }
}

async fn forward_config_updates(
    mut updates: mpsc::UnboundedReceiver<ConfigUpdate>,
    events: mpsc::UnboundedSender<Event>,
) {
    while let Some(u) = updates.recv().await {
        if events.send(Event::Config(u)).is_err() {
            return;
        }
    }
}

async fn forward_worker_events(
    mut worker_events: mpsc::UnboundedReceiver<WorkerEvent>,
    events: mpsc::UnboundedSender<Event>,
) {
    while let Some(e) = worker_events.recv().await {
        let event = match e {
            WorkerEvent::Reconfigure(name) => Event::Reconfigure(name),
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

async fn run_loop(
    herder: std::sync::Weak<DistributedHerder>,
    mut rx: mpsc::UnboundedReceiver<Event>,
) {
    while let Some(event) = rx.recv().await {
        let Some(herder) = herder.upgrade() else {
            return;
        };
        herder.handle(event).await;
    }
}
