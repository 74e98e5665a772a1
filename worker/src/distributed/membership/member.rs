//! The group member: a tokio task that finds the coordinator, joins (JoinGroup, the
//! leader's assignment, SyncGroup), heartbeats every `heartbeat.interval.ms` (also while
//! the [`GroupHandler`]'s callbacks run) and rejoins whenever the coordinator or the worker
//! asks for it, as Java's `AbstractCoordinator` and its heartbeat thread do.
//!
//! * A heartbeat answered REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION starts a rejoin;
//!   UNKNOWN_MEMBER_ID (the session expired at the coordinator) forgets the member id
//!   first; a member that could not heartbeat for `session.timeout.ms` finds the
//!   coordinator again and rejoins.
//! * Errors follow [`super::coordinator::Recovery`]: the member never stops trying.
//! * [`GroupMember::leave`] sends LeaveGroup and stops; [`GroupMember::stop`] (or dropping
//!   the handle) stops without it, which the group sees as a crash.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::config::MembershipConfig;
use super::connection::Connection;
use super::coordinator::{self, GroupError, Joined, Recovery};

pub use super::coordinator::JoinedMember;

/// The worker's side of the group protocol (Java's `WorkerCoordinator` callbacks).
#[async_trait]
pub trait GroupHandler: Send + Sync {
    /// Protocols offered in JoinGroup, preferred first: (name, metadata bytes).
    fn join_protocols(&self) -> Vec<(String, Bytes)>;
    /// Before (re)joining (Java's `onJoinPrepare`), with the last completed generation
    /// (-1 before the first) and member id (empty before the first).
    async fn on_join_prepare(&self, generation: i32, member_id: &str);
    /// Leader only: each member's assignment bytes, by member id, for `generation` (the
    /// generation the JoinGroup response announced).
    async fn assign(
        &self,
        generation: i32,
        leader_id: &str,
        protocol: &str,
        members: &[JoinedMember],
    ) -> BTreeMap<String, Bytes>;
    /// Every member: its assignment for the completed generation.
    async fn on_join_complete(
        &self,
        generation: i32,
        member_id: &str,
        leader_id: &str,
        protocol: &str,
        assignment: Bytes,
    );
}

/// A completed generation as this member saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// The generation id.
    pub generation_id: i32,
    /// This member's id.
    pub member_id: String,
    /// The leader's member id.
    pub leader_id: String,
    /// The protocol the coordinator chose.
    pub protocol: String,
}

enum Command {
    Leave(oneshot::Sender<()>),
}

/// The handle of a running member (see [`spawn`]).
#[derive(Debug)]
pub struct GroupMember {
    group_id: String,
    state: watch::Receiver<Option<Generation>>,
    rejoin: Arc<Notify>,
    commands: mpsc::UnboundedSender<Command>,
    task: Option<JoinHandle<()>>,
}

impl GroupMember {
    /// Asks the member to rejoin the group (a new rebalance), as Java's `requestRejoin`.
    pub fn request_rejoin(&self) {
        self.rejoin.notify_one();
    }

    /// The completed generation and this member's id; `None` while (re)joining.
    pub fn generation(&self) -> Option<(i32, String)> {
        self.state
            .borrow()
            .as_ref()
            .map(|g| (g.generation_id, g.member_id.clone()))
    }

    /// The completed generation in full; `None` while (re)joining.
    pub fn current(&self) -> Option<Generation> {
        self.state.borrow().clone()
    }

    /// A receiver that sees every change of [`GroupMember::current`].
    pub fn watch(&self) -> watch::Receiver<Option<Generation>> {
        self.state.clone()
    }

    /// The group id.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    /// Sends LeaveGroup (if the member has joined), then stops the task.
    pub async fn leave(mut self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Leave(tx)).is_ok() {
            let _ = rx.await;
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Stops the task at once, without LeaveGroup: the coordinator notices only when the
    /// session times out (a crash, as the group sees it).
    pub fn stop(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Starts a member of `config.group_id` driven by `handler`.
pub fn spawn(config: MembershipConfig, handler: Arc<dyn GroupHandler>) -> GroupMember {
    let (state_tx, state) = watch::channel(None);
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let rejoin = Arc::new(Notify::new());
    let group_id = config.group_id.clone();
    let driver = Driver {
        config,
        handler,
        state: state_tx,
        rejoin: rejoin.clone(),
        commands: commands_rx,
        conn: None,
        member_id: String::new(),
        generation_id: -1,
        needs_join: true,
        needs_prepare: true,
        last_heartbeat_ok: Instant::now(),
    };
    let task = tokio::spawn(driver.run());
    GroupMember {
        group_id,
        state,
        rejoin,
        commands,
        task: Some(task),
    }
}

/// Whether the driver goes on or stops (after a leave).
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Exit,
}

struct Driver {
    config: MembershipConfig,
    handler: Arc<dyn GroupHandler>,
    state: watch::Sender<Option<Generation>>,
    rejoin: Arc<Notify>,
    commands: mpsc::UnboundedReceiver<Command>,
    conn: Option<Connection>,
    member_id: String,
    /// The last completed generation (-1 before the first).
    generation_id: i32,
    needs_join: bool,
    /// Whether `on_join_prepare` is due before the next JoinGroup.
    needs_prepare: bool,
    last_heartbeat_ok: Instant,
}

/// Runs `fut` unless a command arrives first.
async fn guarded<F: Future>(
    commands: &mut mpsc::UnboundedReceiver<Command>,
    fut: F,
) -> Result<F::Output, Option<Command>> {
    tokio::select! {
        out = fut => Ok(out),
        cmd = commands.recv() => Err(cmd),
    }
}

/// Runs a handler callback while heartbeating every `heartbeat.interval.ms`; gives the
/// callback's output and the first heartbeat error (heartbeats stop after one).
async fn with_heartbeats<T>(
    conn: &mut Option<Connection>,
    config: &MembershipConfig,
    generation_id: i32,
    member_id: &str,
    last_ok: &mut Instant,
    fut: impl Future<Output = T>,
) -> (T, Option<GroupError>) {
    tokio::pin!(fut);
    let mut error = None;
    let mut next = Instant::now() + config.heartbeat_interval;
    loop {
        tokio::select! {
            out = &mut fut => return (out, error),
            _ = tokio::time::sleep_until(next), if error.is_none() && conn.is_some() => {
                next = Instant::now() + config.heartbeat_interval;
                if let Some(c) = conn.as_mut() {
                    match coordinator::heartbeat(c, config, generation_id, member_id).await {
                        Ok(()) => *last_ok = Instant::now(),
                        Err(e) => {
                            if matches!(e, GroupError::Connection(_)) {
                                *conn = None;
                            }
                            error = Some(e);
                        }
                    }
                }
            }
        }
    }
}

impl Driver {
    async fn run(mut self) {
        tracing::info!(group = %self.config.group_id, client = %self.config.client_id,
            "Group member starting.");
        loop {
            let flow = if self.conn.is_none() {
                self.discover().await
            } else if self.needs_join {
                self.join().await
            } else {
                self.stable().await
            };
            if flow == Flow::Exit {
                tracing::info!(group = %self.config.group_id, member = %self.member_id,
                    "Group member stopped.");
                return;
            }
        }
    }

    /// Waits `duration` unless a command arrives.
    async fn pause(&mut self, duration: Duration) -> Flow {
        match guarded(&mut self.commands, tokio::time::sleep(duration)).await {
            Ok(()) => Flow::Continue,
            Err(cmd) => self.command(cmd).await,
        }
    }

    async fn command(&mut self, cmd: Option<Command>) -> Flow {
        match cmd {
            Some(Command::Leave(done)) => {
                self.leave().await;
                let _ = done.send(());
                Flow::Exit
            }
            // The handle is gone: nobody can use the member any more.
            None => Flow::Exit,
        }
    }

    async fn discover(&mut self) -> Flow {
        match guarded(
            &mut self.commands,
            coordinator::find_coordinator(&self.config),
        )
        .await
        {
            Ok(Ok(conn)) => {
                self.conn = Some(conn);
                Flow::Continue
            }
            Ok(Err(e)) => {
                tracing::warn!(group = %self.config.group_id, error = %e,
                    "Group coordinator unavailable; retrying after the backoff.");
                self.pause(self.config.retry_backoff).await
            }
            Err(cmd) => self.command(cmd).await,
        }
    }

    /// Applies a failed request's [`Recovery`].
    async fn recover(&mut self, error: GroupError, during: &str) -> Flow {
        let recovery = error.recovery();
        tracing::info!(group = %self.config.group_id, generation = self.generation_id,
            member = %self.member_id, error = %error, ?recovery, "{during} failed.");
        self.needs_join = true;
        match recovery {
            Recovery::Rediscover => {
                self.conn = None;
                self.pause(self.config.retry_backoff).await
            }
            Recovery::ResetMemberAndRejoin => {
                self.member_id.clear();
                Flow::Continue
            }
            Recovery::Rejoin => Flow::Continue,
            Recovery::BackoffAndRejoin => self.pause(self.config.retry_backoff).await,
        }
    }

    /// JoinGroup, the leader's assignment, SyncGroup and `on_join_complete`.
    async fn join(&mut self) -> Flow {
        self.state.send_replace(None);
        if self.needs_prepare {
            self.handler
                .on_join_prepare(self.generation_id, &self.member_id)
                .await;
            self.needs_prepare = false;
        }
        let protocols = self.handler.join_protocols();
        let Some(conn) = self.conn.as_mut() else {
            return Flow::Continue;
        };
        tracing::debug!(group = %self.config.group_id, member = %self.member_id,
            "Joining group.");
        let joined = match guarded(
            &mut self.commands,
            coordinator::join_group(conn, &self.config, &mut self.member_id, &protocols),
        )
        .await
        {
            Ok(Ok(joined)) => joined,
            Ok(Err(e)) => return self.recover(e, "JoinGroup").await,
            Err(cmd) => {
                // The request was abandoned half-way: the connection is unusable.
                self.conn = None;
                return self.command(cmd).await;
            }
        };
        self.member_id = joined.member_id.clone();
        self.last_heartbeat_ok = Instant::now();
        tracing::info!(group = %self.config.group_id, generation = joined.generation_id,
            member = %joined.member_id, leader = %joined.leader_id, protocol = %joined.protocol,
            "Joined group.");
        let assignments = if joined.is_leader() {
            let handler = self.handler.clone();
            let (assignments, error) = with_heartbeats(
                &mut self.conn,
                &self.config,
                joined.generation_id,
                &joined.member_id,
                &mut self.last_heartbeat_ok,
                handler.assign(
                    joined.generation_id,
                    &joined.leader_id,
                    &joined.protocol,
                    &joined.members,
                ),
            )
            .await;
            if let Some(e) = error {
                return self.recover(e, "Heartbeat").await;
            }
            if let Some(pause) = mock_broker_sync_pause() {
                if joined.members.len() > 1 {
                    tokio::time::sleep(pause).await;
                }
            }
            assignments.into_iter().collect()
        } else {
            Vec::new()
        };
        self.sync(joined, assignments).await
    }

    async fn sync(&mut self, joined: Joined, assignments: Vec<(String, Bytes)>) -> Flow {
        let Some(conn) = self.conn.as_mut() else {
            return Flow::Continue;
        };
        let assignment = match guarded(
            &mut self.commands,
            coordinator::sync_group(conn, &self.config, &joined, assignments),
        )
        .await
        {
            Ok(Ok(a)) => a,
            Ok(Err(e)) => return self.recover(e, "SyncGroup").await,
            Err(cmd) => {
                self.conn = None;
                return self.command(cmd).await;
            }
        };
        self.needs_join = false;
        self.needs_prepare = true;
        self.generation_id = joined.generation_id;
        self.last_heartbeat_ok = Instant::now();
        tracing::info!(group = %self.config.group_id, generation = joined.generation_id,
            member = %joined.member_id, bytes = assignment.len(), "Received assignment.");
        let handler = self.handler.clone();
        let (_, error) = with_heartbeats(
            &mut self.conn,
            &self.config,
            joined.generation_id,
            &joined.member_id,
            &mut self.last_heartbeat_ok,
            handler.on_join_complete(
                joined.generation_id,
                &joined.member_id,
                &joined.leader_id,
                &joined.protocol,
                assignment,
            ),
        )
        .await;
        if let Some(e) = error {
            return self.heartbeat_failed(e).await;
        }
        self.state.send_replace(Some(Generation {
            generation_id: joined.generation_id,
            member_id: joined.member_id,
            leader_id: joined.leader_id,
            protocol: joined.protocol,
        }));
        Flow::Continue
    }

    /// A heartbeat error while the generation is complete: a moved coordinator is found
    /// again without rejoining (the session decides); everything else rejoins.
    async fn heartbeat_failed(&mut self, error: GroupError) -> Flow {
        if error.recovery() == Recovery::Rediscover {
            tracing::info!(group = %self.config.group_id, generation = self.generation_id,
                member = %self.member_id, error = %error,
                "Heartbeat failed; finding the coordinator again.");
            self.conn = None;
            return self.pause(self.config.retry_backoff).await;
        }
        self.recover(error, "Heartbeat").await
    }

    /// The completed generation: heartbeats, rejoin requests, commands.
    async fn stable(&mut self) -> Flow {
        if self.last_heartbeat_ok.elapsed() > self.config.session_timeout {
            tracing::warn!(group = %self.config.group_id, generation = self.generation_id,
                member = %self.member_id,
                "No heartbeat succeeded within session.timeout.ms; rejoining.");
            self.conn = None;
            self.needs_join = true;
            return Flow::Continue;
        }
        let next = Instant::now() + self.config.heartbeat_interval;
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = self.rejoin.notified() => {
                tracing::info!(group = %self.config.group_id, generation = self.generation_id,
                    member = %self.member_id, "Rejoin requested.");
                self.needs_join = true;
                return Flow::Continue;
            }
            cmd = self.commands.recv() => return self.command(cmd).await,
        }
        let Some(conn) = self.conn.as_mut() else {
            return Flow::Continue;
        };
        match coordinator::heartbeat(conn, &self.config, self.generation_id, &self.member_id).await
        {
            Ok(()) => {
                self.last_heartbeat_ok = Instant::now();
                Flow::Continue
            }
            Err(e) => self.heartbeat_failed(e).await,
        }
    }

    /// LeaveGroup, when this member has a member id; failures are logged only.
    async fn leave(&mut self) {
        self.state.send_replace(None);
        if self.member_id.is_empty() {
            return;
        }
        if self.conn.is_none() {
            match coordinator::find_coordinator(&self.config).await {
                Ok(c) => self.conn = Some(c),
                Err(e) => {
                    tracing::warn!(group = %self.config.group_id, error = %e,
                        "Could not find the coordinator to leave the group.");
                    return;
                }
            }
        }
        if let Some(conn) = self.conn.as_mut() {
            match coordinator::leave_group(conn, &self.config, &self.member_id).await {
                Ok(()) => tracing::info!(group = %self.config.group_id,
                    generation = self.generation_id, member = %self.member_id, "Left group."),
                Err(e) => tracing::warn!(group = %self.config.group_id,
                    member = %self.member_id, error = %e, "LeaveGroup failed."),
            }
        }
        self.member_id.clear();
        self.conn = None;
    }
}

/// The environment variable of a test hook for librdkafka's mock cluster, which completes a
/// sync as soon as the leader's SyncGroup arrives and answers a follower's later SyncGroup
/// with INVALID_REQUEST (a Kafka broker hands it the stored assignment). A leader that
/// assigns in microseconds can win that race round after round; with this set (in
/// milliseconds) the leader pauses before its SyncGroup. Unset, nothing changes.
pub const MOCK_BROKER_SYNC_PAUSE_ENV: &str = "SLUICE_TEST_MOCK_BROKER_SYNC_PAUSE_MS";

fn mock_broker_sync_pause() -> Option<Duration> {
    static PAUSE: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    *PAUSE.get_or_init(|| {
        std::env::var(MOCK_BROKER_SYNC_PAUSE_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
    })
}
