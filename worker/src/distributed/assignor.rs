//! The group leader's assignors, as pure code: Java's `IncrementalCooperativeAssignor`
//! (sub-protocol versions 1 and 2, KIP-415) and `EagerAssignor` (version 0).
//!
//! The caller (the distributed herder, once elected leader) decodes each member's JoinGroup
//! metadata into a [`Member`], describes its config snapshot as a [`ConfigSnapshot`] and calls
//! [`ConnectAssignor::assign`], which picks the assignor from the elected protocol like Java's
//! `WorkerCoordinator.onLeaderElected`. Time is passed in (`now_ms`) so that tests control it.
//!
//! Where Java iterates a `HashMap` of member ids (which overloaded worker keeps an extra
//! connector or task, which empty workers become candidates for lost work), the same order is
//! reproduced from Java's `String.hashCode()`, so a Sluice leader decides as a Java leader
//! would.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::herder::ConnectorTaskId;

use super::protocol::{
    java_order, Assignment, ConnectProtocol, ConnectorsAndTasks, WorkerMetadata, CONFIG_MISMATCH,
    NO_ERROR,
};

/// The leader's view of the config topic (the parts of Java's `ClusterConfigState` the
/// assignors read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSnapshot {
    /// The snapshot's offset (last consumed config-topic offset + 1; -1 if none).
    pub offset: i64,
    /// Every configured connector with its committed task count.
    pub connectors: BTreeMap<String, u32>,
    /// Connectors whose task configs are inconsistent (an incomplete commit); they contribute
    /// no tasks.
    pub inconsistent: BTreeSet<String>,
}

impl ConfigSnapshot {
    /// The committed task ids of `connector`, sorted; none when it is inconsistent.
    pub fn tasks(&self, connector: &str) -> Vec<ConnectorTaskId> {
        if self.inconsistent.contains(connector) {
            return Vec::new();
        }
        let n = self.connectors.get(connector).copied().unwrap_or(0);
        (0..n)
            .map(|task| ConnectorTaskId {
                connector: connector.to_string(),
                task,
            })
            .collect()
    }
}

/// One group member as the JoinGroup response lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member id the broker gave it.
    pub member_id: String,
    /// Its decoded metadata for the elected protocol.
    pub metadata: WorkerMetadata,
}

/// What the leader knows when it assigns.
#[derive(Debug, Clone, Copy)]
pub struct AssignmentRequest<'a> {
    /// The leader's own member id.
    pub leader_id: &'a str,
    /// The protocol the broker elected; `Eager` runs the eager assignor.
    pub protocol: ConnectProtocol,
    /// The members in JoinGroup response order (the leader among them).
    pub members: &'a [Member],
    /// The generation this rebalance creates.
    pub generation_id: i32,
    /// The last generation whose SyncGroup completed on this worker (-1 for none).
    pub last_completed_generation_id: i32,
    /// The current time, in milliseconds.
    pub now_ms: i64,
}

/// The leader's answer for the whole group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAssignment {
    /// Each member's assignment, in the order of [`AssignmentRequest::members`].
    pub assignments: Vec<(String, Assignment)>,
    /// Each member's complete assignment after this round (Java's `LeaderState`); empty when
    /// the assignments carry `CONFIG_MISMATCH`.
    pub all_assigned: BTreeMap<String, ConnectorsAndTasks>,
    /// When the leader's snapshot was behind the members' and the fresh snapshot caught up,
    /// that fresh snapshot: the caller adopts it as its current one.
    pub fresh_snapshot: Option<ConfigSnapshot>,
}

impl GroupAssignment {
    /// The SyncGroup payloads: each member's assignment encoded as Java does.
    pub fn encode(&self) -> Result<Vec<(String, Vec<u8>)>, super::protocol::ProtocolError> {
        self.assignments
            .iter()
            .map(|(m, a)| Ok((m.clone(), a.encode()?)))
            .collect()
    }

    /// The assignment of one member.
    pub fn get(&self, member_id: &str) -> Option<&Assignment> {
        self.assignments
            .iter()
            .find(|(m, _)| m == member_id)
            .map(|(_, a)| a)
    }
}

/// Why the leader cannot assign at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignorError {
    /// The JoinGroup response listed no members.
    #[error("Cannot assign: the group has no members")]
    NoMembers,
    /// The leader id is not among the members.
    #[error("Cannot assign: the leader {0} is not a member of the group")]
    LeaderNotAMember(String),
}

/// The largest config offset any member reported (Java's `maxOffset`); `None` without members.
pub fn max_config_offset(members: &[Member]) -> Option<i64> {
    members.iter().map(|m| m.metadata.config_offset).max()
}

/// The leader's assignors; keep one per worker for its whole life (the incremental assignor
/// remembers the previous round).
#[derive(Debug, Clone)]
pub struct ConnectAssignor {
    incremental: IncrementalCooperativeAssignor,
}

impl ConnectAssignor {
    /// An assignor pair for `scheduled.rebalance.max.delay.ms`.
    pub fn new(max_delay_ms: i32) -> Self {
        ConnectAssignor {
            incremental: IncrementalCooperativeAssignor::new(max_delay_ms),
        }
    }

    /// The incremental assignor's state (its current `delay`, for metrics and tests).
    pub fn incremental(&self) -> &IncrementalCooperativeAssignor {
        &self.incremental
    }

    /// Assigns for the elected protocol. `snapshot` is the leader's current config snapshot;
    /// `fresh_snapshot` is called (at most once) when it is behind the members' max offset.
    pub fn assign(
        &mut self,
        req: &AssignmentRequest<'_>,
        snapshot: &ConfigSnapshot,
        fresh_snapshot: impl FnOnce() -> ConfigSnapshot,
    ) -> Result<GroupAssignment, AssignorError> {
        match req.protocol {
            ConnectProtocol::Eager => EagerAssignor.assign(req, snapshot, fresh_snapshot),
            _ => self.incremental.assign(req, snapshot, fresh_snapshot),
        }
    }
}

/// The leader's URL and the config offset to assign at, or a config mismatch.
struct Prepared {
    leader_url: String,
    max_offset: i64,
    /// `None` when even a fresh snapshot is behind: every member gets `CONFIG_MISMATCH`.
    leader_offset: Option<i64>,
    fresh: Option<ConfigSnapshot>,
}

/// Java's `ensureLeaderConfig`: assign at `maxOffset` when the leader's snapshot is not
/// behind; otherwise take a fresh snapshot and use it if it caught up.
fn prepare(
    req: &AssignmentRequest<'_>,
    snapshot: &ConfigSnapshot,
    fresh_snapshot: impl FnOnce() -> ConfigSnapshot,
) -> Result<Prepared, AssignorError> {
    let max_offset = max_config_offset(req.members).ok_or(AssignorError::NoMembers)?;
    let leader_url = req
        .members
        .iter()
        .rev()
        .find(|m| m.member_id == req.leader_id)
        .map(|m| m.metadata.url.clone())
        .ok_or_else(|| AssignorError::LeaderNotAMember(req.leader_id.to_string()))?;
    let (leader_offset, fresh) = if snapshot.offset < max_offset {
        let fresh = fresh_snapshot();
        if fresh.offset < max_offset {
            tracing::info!(
                "Was selected to perform assignments, but do not have latest config found in sync \
                 request. Returning an empty configuration to trigger re-sync."
            );
            (None, None)
        } else {
            (Some(fresh.offset), Some(fresh))
        }
    } else {
        (Some(max_offset), None)
    };
    Ok(Prepared {
        leader_url,
        max_offset,
        leader_offset,
        fresh,
    })
}

/// Member ids without repeats, in JoinGroup order.
fn member_ids(members: &[Member]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for m in members {
        if !ids.contains(&m.member_id) {
            ids.push(m.member_id.clone());
        }
    }
    ids
}

/// Every member gets `CONFIG_MISMATCH` with empty lists.
fn mismatch(req: &AssignmentRequest<'_>, p: Prepared) -> GroupAssignment {
    let assignments = member_ids(req.members)
        .into_iter()
        .map(|m| {
            let a = Assignment {
                version: req.protocol.version(),
                error: CONFIG_MISMATCH,
                leader: req.leader_id.to_string(),
                leader_url: p.leader_url.clone(),
                config_offset: p.max_offset,
                assigned: ConnectorsAndTasks::default(),
                revoked: ConnectorsAndTasks::default(),
                delay: 0,
            };
            (m, a)
        })
        .collect();
    GroupAssignment {
        assignments,
        all_assigned: BTreeMap::new(),
        fresh_snapshot: None,
    }
}

/// Java's `EagerAssignor` (protocol `default`, version 0): a full round-robin assignment.
#[derive(Debug, Clone, Copy, Default)]
pub struct EagerAssignor;

impl EagerAssignor {
    /// All connectors (sorted) are dealt round-robin over the members sorted by id, then all
    /// tasks (sorted) continue from the same position. Each member gets its full assignment.
    pub fn assign(
        &self,
        req: &AssignmentRequest<'_>,
        snapshot: &ConfigSnapshot,
        fresh_snapshot: impl FnOnce() -> ConfigSnapshot,
    ) -> Result<GroupAssignment, AssignorError> {
        let mut p = prepare(req, snapshot, fresh_snapshot)?;
        let Some(offset) = p.leader_offset else {
            return Ok(mismatch(req, p));
        };
        let fresh = p.fresh.take();
        let snapshot = fresh.as_ref().unwrap_or(snapshot);
        let ids = member_ids(req.members);
        let mut sorted = ids.clone();
        sorted.sort();
        let mut all: BTreeMap<String, ConnectorsAndTasks> = sorted
            .iter()
            .map(|m| (m.clone(), ConnectorsAndTasks::default()))
            .collect();
        let mut next = sorted.iter().cycle();
        for connector in snapshot.connectors.keys() {
            if let Some(m) = next.next() {
                if let Some(ct) = all.get_mut(m) {
                    ct.connectors.push(connector.clone());
                }
            }
        }
        for connector in snapshot.connectors.keys() {
            for task in snapshot.tasks(connector) {
                if let Some(m) = next.next() {
                    if let Some(ct) = all.get_mut(m) {
                        ct.tasks.push(task);
                    }
                }
            }
        }
        let assignments = ids
            .into_iter()
            .map(|m| {
                let a = Assignment {
                    version: ConnectProtocol::Eager.version(),
                    error: NO_ERROR,
                    leader: req.leader_id.to_string(),
                    leader_url: p.leader_url.clone(),
                    config_offset: offset,
                    assigned: all.get(&m).cloned().unwrap_or_default(),
                    revoked: ConnectorsAndTasks::default(),
                    delay: 0,
                };
                (m, a)
            })
            .collect();
        Ok(GroupAssignment {
            assignments,
            all_assigned: all,
            fresh_snapshot: fresh,
        })
    }
}

/// The outcome of one incremental round for the whole cluster (Java's `ClusterAssignment`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterAssignment {
    /// Per member, what it starts this round.
    pub newly_assigned: BTreeMap<String, ConnectorsAndTasks>,
    /// Per member, what it stops this round.
    pub newly_revoked: BTreeMap<String, ConnectorsAndTasks>,
    /// Per member, everything it runs after this round.
    pub all_assigned: BTreeMap<String, ConnectorsAndTasks>,
}

/// A set of connectors and tasks where only membership matters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ItemSet {
    connectors: BTreeSet<String>,
    tasks: BTreeSet<ConnectorTaskId>,
}

impl ItemSet {
    fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    /// `self` minus every set in `subtract`.
    fn minus(&self, subtract: &[&ItemSet]) -> ItemSet {
        let mut out = self.clone();
        for s in subtract {
            out.connectors.retain(|c| !s.connectors.contains(c));
            out.tasks.retain(|t| !s.tasks.contains(t));
        }
        out
    }
}

/// A worker's ordered load (Java's `WorkerLoad` over `LinkedHashSet`s).
#[derive(Debug, Clone)]
struct WorkerLoad {
    worker: String,
    connectors: Vec<String>,
    tasks: Vec<ConnectorTaskId>,
}

impl WorkerLoad {
    fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }
    fn remove(&mut self, ct: &ConnectorsAndTasks) {
        self.connectors.retain(|c| !ct.connectors.contains(c));
        self.tasks.retain(|t| !ct.tasks.contains(t));
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, item: T) {
    if !v.contains(&item) {
        v.push(item);
    }
}

fn add_all(into: &mut ConnectorsAndTasks, from: &ConnectorsAndTasks) {
    for c in &from.connectors {
        push_unique(&mut into.connectors, c.clone());
    }
    for t in &from.tasks {
        push_unique(&mut into.tasks, t.clone());
    }
}

/// Java's `IncrementalCooperativeAssignor` (protocols `compatible` and `sessioned`). Owned by
/// the worker and reused across rebalances: it remembers the previous assignment, pending
/// revocations, the scheduled rebalance for lost work and the consecutive-revocation backoff.
#[derive(Debug, Clone)]
pub struct IncrementalCooperativeAssignor {
    max_delay: i32,
    previous_assignment: ItemSet,
    previous_revocation: ItemSet,
    revoked_in_previous: bool,
    candidate_workers: Vec<String>,
    scheduled_rebalance: i64,
    delay: i32,
    previous_generation_id: i32,
    previous_members: BTreeSet<String>,
    num_successive_revoking_rebalances: u32,
}

impl IncrementalCooperativeAssignor {
    /// A fresh assignor for `scheduled.rebalance.max.delay.ms`.
    pub fn new(max_delay_ms: i32) -> Self {
        IncrementalCooperativeAssignor {
            max_delay: max_delay_ms.max(0),
            previous_assignment: ItemSet::default(),
            previous_revocation: ItemSet::default(),
            revoked_in_previous: false,
            candidate_workers: Vec::new(),
            scheduled_rebalance: 0,
            delay: 0,
            previous_generation_id: -1,
            previous_members: BTreeSet::new(),
            num_successive_revoking_rebalances: 0,
        }
    }

    /// The delay (ms) sent with the last assignment; 0 when no follow-up rebalance is due.
    pub fn delay(&self) -> i32 {
        self.delay
    }

    /// When (ms) the scheduled follow-up rebalance is due; 0 for none.
    pub fn scheduled_rebalance(&self) -> i64 {
        self.scheduled_rebalance
    }

    /// Members that showed up empty while lost work waited; they get that work first.
    pub fn candidate_workers(&self) -> &[String] {
        &self.candidate_workers
    }

    /// Computes every member's assignment (Java's `performAssignment`): `CONFIG_MISMATCH`
    /// for all when the leader's config is behind, otherwise the incremental round.
    pub fn assign(
        &mut self,
        req: &AssignmentRequest<'_>,
        snapshot: &ConfigSnapshot,
        fresh_snapshot: impl FnOnce() -> ConfigSnapshot,
    ) -> Result<GroupAssignment, AssignorError> {
        let mut p = prepare(req, snapshot, fresh_snapshot)?;
        let Some(offset) = p.leader_offset else {
            return Ok(mismatch(req, p));
        };
        let fresh = p.fresh.take();
        let snapshot = fresh.as_ref().unwrap_or(snapshot);
        let mut by_member: HashMap<&str, ConnectorsAndTasks> = HashMap::new();
        for m in req.members {
            let current = m
                .metadata
                .allocation
                .as_ref()
                .map(|a| a.assigned.clone())
                .unwrap_or_default();
            by_member.insert(&m.member_id, current);
        }
        let ids = member_ids(req.members);
        let members: Vec<(String, ConnectorsAndTasks)> = ids
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    by_member.remove(id.as_str()).unwrap_or_default(),
                )
            })
            .collect();
        let cluster = self.compute(
            snapshot,
            req.last_completed_generation_id,
            req.generation_id,
            &members,
            req.now_ms,
        );
        let assignments = ids
            .into_iter()
            .map(|m| {
                let a = Assignment {
                    version: req.protocol.version(),
                    error: NO_ERROR,
                    leader: req.leader_id.to_string(),
                    leader_url: p.leader_url.clone(),
                    config_offset: offset,
                    assigned: cluster.newly_assigned.get(&m).cloned().unwrap_or_default(),
                    revoked: cluster.newly_revoked.get(&m).cloned().unwrap_or_default(),
                    delay: self.delay,
                };
                (m, a)
            })
            .collect();
        Ok(GroupAssignment {
            assignments,
            all_assigned: cluster.all_assigned,
            fresh_snapshot: fresh,
        })
    }

    /// One incremental round over the members' current assignments (given in JoinGroup
    /// order; Java's `performTaskAssignment(configSnapshot, lastCompletedGenerationId,
    /// currentGenerationId, memberAssignments)`).
    pub fn compute(
        &mut self,
        snapshot: &ConfigSnapshot,
        last_completed_generation_id: i32,
        current_generation_id: i32,
        members: &[(String, ConnectorsAndTasks)],
        now_ms: i64,
    ) -> ClusterAssignment {
        if self.previous_generation_id != last_completed_generation_id {
            tracing::debug!(
                previous = self.previous_generation_id,
                last_completed = last_completed_generation_id,
                "Clearing the view of previous assignments due to generation mismatch"
            );
            self.previous_assignment = ItemSet::default();
        }
        let members = java_member_order(members);

        let mut configured = ItemSet::default();
        for c in snapshot.connectors.keys() {
            configured.connectors.insert(c.clone());
            configured.tasks.extend(snapshot.tasks(c));
        }
        let mut active = ItemSet::default();
        for (_, ct) in &members {
            active.connectors.extend(ct.connectors.iter().cloned());
            active.tasks.extend(ct.tasks.iter().cloned());
        }

        // A previous revocation that did not take effect: start again from what is running.
        if !self.previous_revocation.is_empty() {
            let pending = self
                .previous_revocation
                .connectors
                .iter()
                .any(|c| active.connectors.contains(c))
                || self
                    .previous_revocation
                    .tasks
                    .iter()
                    .any(|t| active.tasks.contains(t));
            if pending {
                self.previous_assignment = active.clone();
            }
            self.previous_revocation = ItemSet::default();
        }

        let deleted = self.previous_assignment.minus(&[&configured]);
        let duplicated = duplicated(&members);
        let lost = self.previous_assignment.minus(&[&active, &deleted]);
        let created = configured.minus(&[&self.previous_assignment, &active]);
        tracing::debug!(
            ?deleted,
            ?duplicated,
            ?lost,
            ?created,
            "Derived assignment sets"
        );

        let current: HashMap<String, ConnectorsAndTasks> = members
            .iter()
            .map(|(m, ct)| {
                let mut ct = ct.clone();
                ct.connectors.retain(|c| !deleted.connectors.contains(c));
                ct.tasks.retain(|t| !deleted.tasks.contains(t));
                (m.clone(), ct)
            })
            .collect();

        let mut to_revoke: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
        let deleted_to_revoke = intersection(&deleted, &members);
        let duplicated_to_revoke = intersection(&duplicated, &members);
        let mut next: Vec<WorkerLoad> = members
            .iter()
            .map(|(m, ct)| WorkerLoad {
                worker: m.clone(),
                connectors: ct.connectors.clone(),
                tasks: ct.tasks.clone(),
            })
            .collect();
        for revocations in [&deleted_to_revoke, &duplicated_to_revoke] {
            for (m, ct) in revocations {
                add_all(to_revoke.entry(m.clone()).or_default(), ct);
                if let Some(w) = next.iter_mut().find(|w| &w.worker == m) {
                    w.remove(ct);
                }
            }
        }

        let lost_to_reassign = self.handle_lost_assignments(&lost, &mut next, now_ms);

        if self.delay == 0 {
            let balancing = load_balancing_revocations(&configured, &next);
            if self.revoked_in_previous && !balancing.is_empty() {
                self.num_successive_revoking_rebalances += 1;
                self.delay = self.revoking_backoff(self.num_successive_revoking_rebalances);
                if self.delay != 0 {
                    self.scheduled_rebalance = now_ms + i64::from(self.delay);
                    tracing::debug!(
                        delay = self.delay,
                        "Skipping revocations in the current round after a revoking round"
                    );
                } else {
                    apply_revocations(&mut to_revoke, &mut next, &balancing);
                }
            } else if !balancing.is_empty() {
                apply_revocations(&mut to_revoke, &mut next, &balancing);
                self.revoked_in_previous = true;
            } else if self.revoked_in_previous {
                self.revoked_in_previous = false;
                self.num_successive_revoking_rebalances = 0;
            }
        } else {
            tracing::debug!(
                delay = self.delay,
                "Delayed rebalance is active; not revoking"
            );
            self.revoked_in_previous = false;
        }

        let mut to_assign = ConnectorsAndTasks::default();
        add_all(
            &mut to_assign,
            &ConnectorsAndTasks {
                connectors: created.connectors.iter().cloned().collect(),
                tasks: created.tasks.iter().cloned().collect(),
            },
        );
        add_all(&mut to_assign, &lost_to_reassign);
        assign_connectors(&mut next, &to_assign.connectors);
        assign_tasks(&mut next, &to_assign.tasks);

        let mut out = ClusterAssignment::default();
        let mut previous = ItemSet::default();
        for w in &next {
            let cur = current.get(&w.worker).cloned().unwrap_or_default();
            let newly = ConnectorsAndTasks {
                connectors: w
                    .connectors
                    .iter()
                    .filter(|c| !cur.connectors.contains(c))
                    .cloned()
                    .collect(),
                tasks: w
                    .tasks
                    .iter()
                    .filter(|t| !cur.tasks.contains(t))
                    .cloned()
                    .collect(),
            };
            out.newly_assigned.insert(w.worker.clone(), newly);
            let revoked = to_revoke.get(&w.worker).cloned().unwrap_or_default();
            let all = ConnectorsAndTasks {
                connectors: w
                    .connectors
                    .iter()
                    .filter(|c| !revoked.connectors.contains(c))
                    .cloned()
                    .collect(),
                tasks: w
                    .tasks
                    .iter()
                    .filter(|t| !revoked.tasks.contains(t))
                    .cloned()
                    .collect(),
            };
            out.all_assigned.insert(w.worker.clone(), all);
            previous.connectors.extend(w.connectors.iter().cloned());
            previous.tasks.extend(w.tasks.iter().cloned());
        }
        for (m, revoked) in to_revoke {
            for c in &revoked.connectors {
                previous.connectors.remove(c);
                self.previous_revocation.connectors.insert(c.clone());
            }
            for t in &revoked.tasks {
                previous.tasks.remove(t);
                self.previous_revocation.tasks.insert(t.clone());
            }
            out.newly_revoked.insert(m, revoked);
        }
        for (m, _) in &members {
            out.newly_revoked.entry(m.clone()).or_default();
        }
        previous.connectors.extend(lost.connectors.iter().cloned());
        previous.tasks.extend(lost.tasks.iter().cloned());
        self.previous_assignment = previous;
        self.previous_generation_id = current_generation_id;
        self.previous_members = members.iter().map(|(m, _)| m.clone()).collect();
        tracing::debug!(?out, delay = self.delay, "Incremental assignment computed");
        out
    }

    /// Java's `handleLostAssignments`: returns the lost work to hand out as new now; may give
    /// lost work to candidate workers directly, or schedule a delayed rebalance instead.
    fn handle_lost_assignments(
        &mut self,
        lost: &ItemSet,
        next: &mut [WorkerLoad],
        now: i64,
    ) -> ConnectorsAndTasks {
        let all_lost = ConnectorsAndTasks {
            connectors: lost.connectors.iter().cloned().collect(),
            tasks: lost.tasks.iter().cloned().collect(),
        };
        if lost.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return ConnectorsAndTasks::default();
        }
        let active: BTreeSet<&str> = next.iter().map(|w| w.worker.as_str()).collect();
        let all_previous_present = self
            .previous_members
            .iter()
            .all(|m| active.contains(m.as_str()));
        if self.scheduled_rebalance <= 0 && all_previous_present {
            tracing::debug!("No worker departed; reassigning missing work as new");
            return all_lost;
        }
        if self.max_delay == 0 {
            tracing::debug!("Scheduled rebalance delays are disabled; reassigning lost work now");
            return all_lost;
        }
        if self.scheduled_rebalance > 0 && now >= self.scheduled_rebalance {
            let candidates: Vec<usize> = self
                .candidate_workers
                .iter()
                .filter_map(|c| next.iter().position(|w| &w.worker == c))
                .collect();
            let mut reassign = ConnectorsAndTasks::default();
            if candidates.is_empty() {
                reassign = all_lost;
            } else {
                for (i, c) in lost.connectors.iter().enumerate() {
                    let w = &mut next[candidates[i % candidates.len()]];
                    push_unique(&mut w.connectors, c.clone());
                }
                for (i, t) in lost.tasks.iter().enumerate() {
                    let w = &mut next[candidates[i % candidates.len()]];
                    push_unique(&mut w.tasks, t.clone());
                }
            }
            self.reset_delay();
            self.revoked_in_previous = false;
            return reassign;
        }
        // Empty members become candidates, in the order of Java's HashSet of their ids.
        let empty: Vec<String> = next
            .iter()
            .filter(|w| w.is_empty())
            .map(|w| w.worker.clone())
            .collect();
        let cap = java_order::sequential_capacity(empty.len());
        for w in java_order::hash_order(&empty, |s| java_order::string_hash(s), cap) {
            push_unique(&mut self.candidate_workers, w);
        }
        if now < self.scheduled_rebalance {
            let diff = self.scheduled_rebalance - now;
            self.delay = if diff > 0 {
                i32::try_from(diff.min(i64::from(self.max_delay))).unwrap_or(self.max_delay)
            } else {
                0
            };
        } else {
            self.delay = self.max_delay;
        }
        self.scheduled_rebalance = now + i64::from(self.delay);
        ConnectorsAndTasks::default()
    }

    fn reset_delay(&mut self) {
        self.candidate_workers.clear();
        self.scheduled_rebalance = 0;
        self.delay = 0;
    }

    /// Java's `ExponentialBackoff(maxDelay == 0 ? 0 : 1, 40, maxDelay, 0).backoff(n)`.
    fn revoking_backoff(&self, attempts: u32) -> i32 {
        let max = i64::from(self.max_delay);
        let initial = if max == 0 { 0 } else { 1i64.min(max) };
        let exp_max = if max > initial {
            (max as f64 / initial.max(1) as f64).ln() / 40f64.ln()
        } else {
            0.0
        };
        if exp_max == 0.0 {
            return i32::try_from(initial).unwrap_or(self.max_delay);
        }
        let exp = f64::from(attempts).min(exp_max);
        let term = initial as f64 * 40f64.powf(exp);
        let value = (term as i64).min(max);
        i32::try_from(value).unwrap_or(self.max_delay)
    }
}

/// The members in the iteration order of Java's `HashMap` keyed by member id (filled in
/// JoinGroup order), with the ordered, de-duplicated current assignment of each.
fn java_member_order(
    members: &[(String, ConnectorsAndTasks)],
) -> Vec<(String, ConnectorsAndTasks)> {
    let mut unique: Vec<(String, ConnectorsAndTasks)> = Vec::new();
    for (m, ct) in members {
        let mut dedup = ConnectorsAndTasks::default();
        add_all(&mut dedup, ct);
        match unique.iter_mut().find(|(id, _)| id == m) {
            Some(slot) => slot.1 = dedup,
            None => unique.push((m.clone(), dedup)),
        }
    }
    let cap = java_order::sequential_capacity(unique.len());
    java_order::hash_order(&unique, |(m, _)| java_order::string_hash(m), cap)
}

/// Items that more than one member runs.
fn duplicated(members: &[(String, ConnectorsAndTasks)]) -> ItemSet {
    let mut connectors: HashMap<&String, usize> = HashMap::new();
    let mut tasks: HashMap<&ConnectorTaskId, usize> = HashMap::new();
    for (_, ct) in members {
        for c in &ct.connectors {
            *connectors.entry(c).or_default() += 1;
        }
        for t in &ct.tasks {
            *tasks.entry(t).or_default() += 1;
        }
    }
    ItemSet {
        connectors: connectors
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(c, _)| c.clone())
            .collect(),
        tasks: tasks
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(t, _)| t.clone())
            .collect(),
    }
}

/// Per member, its items that are in `set`, in the order of Java's `new HashSet<>(its items)`.
fn intersection(
    set: &ItemSet,
    members: &[(String, ConnectorsAndTasks)],
) -> Vec<(String, ConnectorsAndTasks)> {
    members
        .iter()
        .map(|(m, ct)| {
            let connectors = java_order::hash_order(
                &ct.connectors,
                |c| java_order::string_hash(c),
                java_order::copy_capacity(ct.connectors.len()),
            )
            .into_iter()
            .filter(|c| set.connectors.contains(c))
            .collect();
            let tasks = java_order::hash_order(
                &ct.tasks,
                java_order::task_hash,
                java_order::copy_capacity(ct.tasks.len()),
            )
            .into_iter()
            .filter(|t| set.tasks.contains(t))
            .collect();
            (m.clone(), ConnectorsAndTasks { connectors, tasks })
        })
        .collect()
}

fn apply_revocations(
    to_revoke: &mut BTreeMap<String, ConnectorsAndTasks>,
    next: &mut [WorkerLoad],
    revocations: &[(String, ConnectorsAndTasks)],
) {
    for (m, ct) in revocations {
        add_all(to_revoke.entry(m.clone()).or_default(), ct);
        if let Some(w) = next.iter_mut().find(|w| &w.worker == m) {
            w.remove(ct);
        }
    }
}

/// Java's `performLoadBalancingRevocations`: what to take from overloaded workers so that none
/// holds more than a balanced share; connectors and tasks separately. Empty when balanced.
fn load_balancing_revocations(
    configured: &ItemSet,
    workers: &[WorkerLoad],
) -> Vec<(String, ConnectorsAndTasks)> {
    if workers.iter().all(WorkerLoad::is_empty) || configured.is_empty() {
        return Vec::new();
    }
    let connectors = balance(configured.connectors.len(), workers, |w| &w.connectors);
    let tasks = balance(configured.tasks.len(), workers, |w| &w.tasks);
    let mut out: Vec<(String, ConnectorsAndTasks)> = Vec::new();
    for (m, cs) in connectors {
        out.push((
            m,
            ConnectorsAndTasks {
                connectors: cs,
                tasks: Vec::new(),
            },
        ));
    }
    for (m, ts) in tasks {
        match out.iter_mut().find(|(w, _)| *w == m) {
            Some((_, ct)) => ct.tasks = ts,
            None => out.push((
                m,
                ConnectorsAndTasks {
                    connectors: Vec::new(),
                    tasks: ts,
                },
            )),
        }
    }
    out
}

/// Java's `loadBalancingRevocations` for one kind of item.
fn balance<T: Clone>(
    total: usize,
    workers: &[WorkerLoad],
    items: impl Fn(&WorkerLoad) -> &Vec<T>,
) -> Vec<(String, Vec<T>)> {
    let n = workers.len();
    if n == 0 {
        return Vec::new();
    }
    let min = total / n;
    let extra = total % n;
    let at_min = workers.iter().filter(|w| items(w).len() == min).count();
    let at_extra = workers.iter().filter(|w| items(w).len() == min + 1).count();
    if at_extra == extra && at_min + at_extra == n {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut allocated_extras = 0;
    for w in workers {
        let size = items(w).len();
        if size <= min {
            continue;
        }
        let max_for_worker = if allocated_extras < extra {
            allocated_extras += 1;
            if size == min + 1 {
                continue;
            }
            min + 1
        } else {
            min
        };
        let revoked: Vec<T> = items(w)
            .iter()
            .take(size - max_for_worker)
            .cloned()
            .collect();
        out.push((w.worker.clone(), revoked));
    }
    out
}

/// Java's `assignConnectors`: sort by (connector count, member id), then fill the least-loaded
/// workers round-robin.
fn assign_connectors(workers: &mut [WorkerLoad], connectors: &[String]) {
    workers.sort_by(|a, b| {
        a.connectors
            .len()
            .cmp(&b.connectors.len())
            .then_with(|| a.worker.cmp(&b.worker))
    });
    fill(workers, connectors, |w| &mut w.connectors);
}

/// Java's `assignTasks`: as [`assign_connectors`] by task count.
fn assign_tasks(workers: &mut [WorkerLoad], tasks: &[ConnectorTaskId]) {
    workers.sort_by(|a, b| {
        a.tasks
            .len()
            .cmp(&b.tasks.len())
            .then_with(|| a.worker.cmp(&b.worker))
    });
    fill(workers, tasks, |w| &mut w.tasks);
}

fn fill<T: Clone + PartialEq>(
    workers: &mut [WorkerLoad],
    items: &[T],
    load: impl Fn(&mut WorkerLoad) -> &mut Vec<T>,
) {
    if workers.is_empty() {
        return;
    }
    let mut it = items.iter().peekable();
    while it.peek().is_some() {
        let first = load(&mut workers[0]).len();
        let up_to = (0..workers.len())
            .find(|&i| load(&mut workers[i]).len() > first)
            .unwrap_or(workers.len());
        for w in workers.iter_mut().take(up_to) {
            let Some(item) = it.next() else { break };
            push_unique(load(w), item.clone());
        }
    }
}

#[cfg(test)]
#[path = "assignor_tests.rs"]
mod tests;
