//! The worker's side of the group protocol (Java's `WorkerCoordinator`): the metadata it
//! joins with, the leader's assignment, and handing each completed assignment to the
//! herder's loop.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use bytes::Bytes;
use tracing::{debug, info, warn};

use super::{DistributedHerder, Event};
use crate::distributed::assignor::{AssignmentRequest, ConfigSnapshot, Member};
use crate::distributed::membership::{GroupHandler, JoinedMember};
use crate::distributed::protocol::{Assignment, ConnectProtocol, WorkerMetadata};
use crate::storage::config_kafka::ClusterConfigState;

/// The assignor's view of a config snapshot.
pub fn assignor_snapshot(state: &ClusterConfigState) -> ConfigSnapshot {
    ConfigSnapshot {
        offset: state.offset(),
        connectors: state
            .connectors()
            .into_iter()
            .map(|c| {
                let count = u32::try_from(state.task_count(&c)).unwrap_or(0);
                (c, count)
            })
            .collect(),
        inconsistent: state.inconsistent_connectors().clone(),
    }
}

/// The [`GroupHandler`] of a distributed herder (held weakly: the herder owns the member).
pub struct HerderGroupHandler {
    pub(super) herder: Weak<DistributedHerder>,
}

#[async_trait]
impl GroupHandler for HerderGroupHandler {
    fn join_protocols(&self) -> Vec<(String, Bytes)> {
        let Some(herder) = self.herder.upgrade() else {
            return Vec::new();
        };
        let metadata = WorkerMetadata {
            url: herder.url.clone(),
            config_offset: herder.configs.snapshot().offset(),
            allocation: herder.view().assignment.clone(),
        };
        match metadata.join_protocols(herder.protocol) {
            Ok(protocols) => protocols
                .into_iter()
                .map(|(name, bytes)| (name.to_string(), Bytes::from(bytes)))
                .collect(),
            Err(e) => {
                warn!(error = %e, "Could not encode the worker's group metadata.");
                Vec::new()
            }
        }
    }

    async fn on_join_prepare(&self, generation: i32, member_id: &str) {
        let Some(herder) = self.herder.upgrade() else {
            return;
        };
        debug!(generation, member_id, "Rejoining the group.");
        herder
            .worker
            .metrics()
            .worker()
            .rebalance_started(std::time::Instant::now());
        // Eager: everything stops before the rebalance (Java's onJoinPrepare for v0).
        if herder.protocol == ConnectProtocol::Eager {
            let _ = herder.events.send(Event::RevokeAll);
        }
    }

    async fn assign(
        &self,
        generation: i32,
        leader_id: &str,
        protocol: &str,
        members: &[JoinedMember],
    ) -> BTreeMap<String, Bytes> {
        let Some(herder) = self.herder.upgrade() else {
            return BTreeMap::new();
        };
        herder
            .leader_assign(generation, leader_id, protocol, members)
            .await
    }

    async fn on_join_complete(
        &self,
        generation: i32,
        member_id: &str,
        leader_id: &str,
        protocol: &str,
        assignment: Bytes,
    ) {
        let Some(herder) = self.herder.upgrade() else {
            return;
        };
        let received = match Assignment::decode(&assignment) {
            Ok(a) => a,
            Err(e) => {
                warn!(error = %e, generation, "Undecodable assignment; rejoining.");
                herder.request_rejoin();
                return;
            }
        };
        let eager = ConnectProtocol::from_protocol_name(protocol) == Some(ConnectProtocol::Eager);
        info!(
            generation,
            member_id,
            leader_id,
            protocol,
            error = received.error,
            leader_url = %received.leader_url,
            config_offset = received.config_offset,
            assigned_connectors = ?received.assigned.connectors,
            assigned_tasks = received.assigned.tasks.len(),
            revoked_connectors = ?received.revoked.connectors,
            revoked_tasks = received.revoked.tasks.len(),
            delay = received.delay,
            "Joined group and got assignment."
        );
        {
            let mut view = herder.view();
            let merged = if eager {
                received.clone()
            } else {
                received.merged_with(view.assignment.as_ref())
            };
            view.member_id = member_id.to_string();
            view.leader_id = leader_id.to_string();
            view.leader_url =
                (!received.leader_url.is_empty()).then(|| received.leader_url.clone());
            view.generation = generation;
            view.assignment = Some(merged);
        }
        herder.generation.store(generation, Ordering::SeqCst);
        herder
            .worker
            .metrics()
            .worker()
            .rebalance_completed(i64::from(generation), std::time::Instant::now());
        let _ = herder.events.send(Event::Assigned(received));
    }
}

impl DistributedHerder {
    /// The leader's assignment (Java's `onLeaderElected` with the incremental cooperative
    /// or eager assignor).
    async fn leader_assign(
        &self,
        generation_id: i32,
        leader_id: &str,
        protocol: &str,
        joined: &[JoinedMember],
    ) -> BTreeMap<String, Bytes> {
        let mut members = Vec::with_capacity(joined.len());
        let mut urls = BTreeMap::new();
        for m in joined {
            match WorkerMetadata::decode(&m.metadata) {
                Ok(metadata) => {
                    urls.insert(m.member_id.clone(), metadata.url.clone());
                    members.push(Member {
                        member_id: m.member_id.clone(),
                        metadata,
                    });
                }
                Err(e) => {
                    warn!(member = %m.member_id, error = %e, "Undecodable member metadata; the member gets no work.");
                }
            }
        }
        let elected = ConnectProtocol::from_protocol_name(protocol).unwrap_or(self.protocol);
        let snapshot = assignor_snapshot(&self.configs.snapshot());
        // The generation being formed (from the JoinGroup response) and the last one this
        // worker completed: when a sync failed in between they are more than one apart, and
        // the assignor then drops its view of the previous assignment as Java's does.
        let last_completed = self.view().generation;
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let request = AssignmentRequest {
            leader_id,
            protocol: elected,
            members: &members,
            generation_id,
            last_completed_generation_id: last_completed,
            now_ms,
        };
        // A leader behind the members reads the config topic before it assigns.
        let configs = self.configs.clone();
        let timeout = self.dist.worker_sync_timeout;
        let fresh = if crate::distributed::assignor::max_config_offset(&members)
            .is_some_and(|max| max > snapshot.offset)
        {
            if let Err(e) = configs.refresh(timeout).await {
                warn!(error = %e, "Leader could not read the config topic to the end.");
            }
            Some(assignor_snapshot(&configs.snapshot()))
        } else {
            None
        };
        let result = {
            let mut assignor = self.assignor.lock().await;
            assignor.assign(&request, &snapshot, || {
                fresh.clone().unwrap_or_else(|| snapshot.clone())
            })
        };
        let assignment = match result {
            Ok(a) => a,
            Err(e) => {
                warn!(error = %e, "The assignor failed; members will rejoin.");
                return BTreeMap::new();
            }
        };
        // Who owns what, for requests that must reach the owner (Java's NotAssignedException).
        {
            let mut owners = BTreeMap::new();
            for (member, items) in &assignment.all_assigned {
                if let Some(url) = urls.get(member) {
                    for c in &items.connectors {
                        owners.insert(c.clone(), url.clone());
                    }
                    for t in &items.tasks {
                        owners.insert(format!("{}-{}", t.connector, t.task), url.clone());
                    }
                }
            }
            self.view().owners = owners;
        }
        match assignment.encode() {
            Ok(encoded) => encoded
                .into_iter()
                .map(|(member, bytes)| (member, Bytes::from(bytes)))
                .collect(),
            Err(e) => {
                warn!(error = %e, "Could not encode the assignments; members will rejoin.");
                BTreeMap::new()
            }
        }
    }
}

/// A weak handle to the herder, for the group handler.
pub fn handler(herder: &Arc<DistributedHerder>) -> Arc<HerderGroupHandler> {
    Arc::new(HerderGroupHandler {
        herder: Arc::downgrade(herder),
    })
}
