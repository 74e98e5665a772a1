//! The [`Herder`] operations of the distributed herder: reads answered from this worker's
//! view of the config and status topics; writes made by the leader (elsewhere they answer
//! [`HerderError::NotLeader`] and REST forwards them), except target-state changes, which
//! any worker writes, as in Java.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sluice_api::Props;
use tracing::info;

use super::status::{connector_state, task_state};
use super::{lock, plain, DistributedHerder};
use crate::herder::connector_ops::ConnectorOps;
use crate::herder::sink_offsets;
use crate::herder::{
    ConfigInfos, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, ConnectorTaskId, Created,
    Herder, HerderError, HerderResult, Message, RestartRequest, State, TargetState, TaskInfo,
    TaskState,
};
use crate::rest::signature::{verify_request, InternalRequestSignature};
use crate::storage::config_kafka::to_config_props;

impl DistributedHerder {
    fn info_of(&self, name: &str, config: Props) -> ConnectorInfo {
        let tasks = self.snapshot().tasks(name);
        ConnectorInfo {
            name: name.to_string(),
            connector_type: self.ops.connector_type(&config),
            config,
            tasks,
        }
    }

    /// Java's check before offsets change: the connector is STOPPED and has no tasks.
    fn require_stopped(&self, name: &str) -> HerderResult<Props> {
        let snapshot = self.snapshot();
        let config = snapshot
            .connector_config(name)
            .map(plain)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        if snapshot.target_state(name) != Some(TargetState::Stopped)
            || !snapshot.tasks(name).is_empty()
        {
            return Err(HerderError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(config)
    }

    /// Where a request about an item this worker does not run goes: the owner (leader) or
    /// the leader (followers), as Java's NotAssigned/NotLeader exceptions.
    fn not_owner(&self, item: &str, what: &str) -> HerderError {
        let view = self.view();
        if view.is_leader() {
            HerderError::NotLeader {
                message: format!("Cannot {what} since it is not assigned to this member"),
                leader_url: view.owners.get(item).cloned(),
            }
        } else {
            HerderError::NotLeader {
                message: format!("Only the leader can process {what} requests."),
                leader_url: view.leader_url.clone(),
            }
        }
    }
}

#[async_trait]
impl Herder for DistributedHerder {
    fn worker_id(&self) -> String {
        self.worker.status().worker_id().to_string()
    }

    async fn kafka_cluster_id(&self) -> String {
        if let Some(id) = self.cluster_id.get() {
            return id.clone();
        }
        let id = sink_offsets::cluster_id(self.worker.config()).await;
        let _ = self.cluster_id.set(id.clone());
        id
    }

    async fn connectors(&self) -> Vec<String> {
        self.snapshot().connectors()
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        let config = self.stored_config(name)?;
        Ok(self.info_of(name, config))
    }

    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        self.stored_config(name)
    }

    async fn put_connector_config(
        &self,
        name: &str,
        mut config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> HerderResult<Created<ConnectorInfo>> {
        ConnectorOps::check_config_name(name, &mut config)?;
        self.require_leader("create or update a connector")?;
        let _op = self.locks.lock(name).await;
        let (infos, _) = self.ops.validate(&config).await?;
        if infos.error_count > 0 {
            return Err(ConnectorOps::validation_error(&infos));
        }
        let exists = self.snapshot().contains(name);
        if exists && !allow_replace {
            return Err(HerderError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        // Java: an initial state only applies to a new connector.
        let target = if exists { None } else { initial_state };
        self.configs
            .put_connector_config(name, &to_config_props(&config), target)
            .await
            .map_err(Self::store_error)?;
        self.read_back().await?;
        info!(connector = %name, created = !exists, "Connector config written.");
        Ok(Created {
            created: !exists,
            result: self.info_of(name, config),
        })
    }

    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        self.require_leader("update a connector")?;
        let mut config = self.stored_config(name)?;
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
        Ok(self
            .put_connector_config(name, config, true, None)
            .await?
            .result)
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        self.require_leader("delete a connector")?;
        let _op = self.locks.lock(name).await;
        if !self.snapshot().contains(name) {
            return Err(HerderError::connector_not_found(name));
        }
        self.configs
            .remove_connector_config(name)
            .await
            .map_err(Self::store_error)?;
        self.read_back().await
    }

    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        self.status_in(&self.snapshot(), name)
    }

    async fn connector_statuses(
        &self,
        names: &[String],
    ) -> HerderResult<Vec<Option<ConnectorStateInfo>>> {
        // One copy of the config state for all of them, not one per connector.
        let snapshot = self.snapshot();
        names
            .iter()
            .map(|name| match self.status_in(&snapshot, name) {
                Ok(status) => Ok(Some(status)),
                Err(HerderError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            })
            .collect()
    }

    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState> {
        task_state(&self.statuses, id).ok_or_else(|| {
            HerderError::NotFound(format!(
                "No status found for task {}-{}",
                id.connector, id.task
            ))
        })
    }

    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let snapshot = self.snapshot();
        if !snapshot.contains(name) {
            return Err(HerderError::connector_not_found(name));
        }
        Ok(snapshot
            .tasks(name)
            .into_iter()
            .filter_map(|id| {
                snapshot.task_config(&id).map(|c| TaskInfo {
                    id: id.clone(),
                    config: plain(c),
                })
            })
            .collect())
    }

    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        if !self.snapshot().contains(name) {
            return Err(HerderError::NotFound(format!("Unknown connector: {name}")));
        }
        if !request.include_tasks && !request.only_failed {
            // A plain restart runs where the connector runs.
            let owned = self.running.lock().await.connectors.contains_key(name);
            if !owned {
                return Err(self.not_owner(name, "restart connector"));
            }
            self.restart_owned(name, request).await;
            return Ok(None);
        }
        self.require_leader("restart a connector")?;
        let current = connector_state(&self.statuses, name).ok_or_else(|| {
            HerderError::NotFound(format!("Status for connector {name} not found"))
        })?;
        self.configs
            .put_restart_request(name, request)
            .await
            .map_err(Self::store_error)?;
        // The answer shows what will restart (Java's planned restart states).
        let mut answer = self.connector_status(name).await?;
        if !request.only_failed || current.state == State::Failed {
            answer.connector.state = State::Restarting;
        }
        if request.include_tasks {
            for t in &mut answer.tasks {
                if !request.only_failed || t.state == State::Failed {
                    t.state = State::Restarting;
                }
            }
        }
        Ok(Some(answer))
    }

    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()> {
        let snapshot = self.snapshot();
        if !snapshot.contains(&id.connector) || !snapshot.tasks(&id.connector).contains(id) {
            return Err(HerderError::NotFound(format!(
                "Unknown task: {}-{}",
                id.connector, id.task
            )));
        }
        let assigned = self
            .view()
            .assignment
            .as_ref()
            .is_some_and(|a| a.assigned.tasks.contains(id));
        let mut running = self.running.lock().await;
        if !running.tasks.contains_key(id) && !assigned {
            drop(running);
            return Err(self.not_owner(&format!("{}-{}", id.connector, id.task), "restart task"));
        }
        self.worker.stop_tasks(std::slice::from_ref(id)).await;
        running.tasks.remove(id);
        drop(running);
        self.reconcile().await;
        Ok(())
    }

    async fn pause_connector(&self, name: &str) -> HerderResult<()> {
        if !self.snapshot().contains(name) {
            return Err(HerderError::connector_not_found(name));
        }
        self.configs
            .put_target_state(name, TargetState::Paused)
            .await
            .map_err(Self::store_error)
    }

    async fn resume_connector(&self, name: &str) -> HerderResult<()> {
        if !self.snapshot().contains(name) {
            return Err(HerderError::connector_not_found(name));
        }
        self.configs
            .put_target_state(name, TargetState::Started)
            .await
            .map_err(Self::store_error)
    }

    async fn stop_connector(&self, name: &str) -> HerderResult<()> {
        self.require_leader("stop a connector")?;
        if !self.snapshot().contains(name) {
            return Err(HerderError::connector_not_found(name));
        }
        // Java: the target state, then an empty set of task configs.
        self.configs
            .put_target_state(name, TargetState::Stopped)
            .await
            .map_err(Self::store_error)?;
        self.configs
            .put_task_configs(name, Vec::new())
            .await
            .map_err(Self::store_error)?;
        self.read_back().await
    }

    // As Java's `AbstractHerder`, neither topic call checks that the connector exists: an
    // unknown one has no topics, and resetting them does nothing.
    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        let mut topics: Vec<String> = self
            .statuses
            .get_all_topics(name)
            .into_iter()
            .map(|t| t.topic)
            .collect();
        topics.sort();
        topics.dedup();
        Ok(topics)
    }

    async fn reset_active_topics(&self, name: &str) -> HerderResult<()> {
        self.clear_active_topics(name);
        Ok(())
    }

    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        let config = self.stored_config(name)?;
        self.ops.offsets(name, &config).await
    }

    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> HerderResult<Message> {
        self.require_leader("alter connector offsets")?;
        let _op = self.locks.lock(name).await;
        let config = self.require_stopped(name)?;
        self.ops.alter_offsets(name, &config, offsets).await
    }

    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message> {
        self.require_leader("reset connector offsets")?;
        let _op = self.locks.lock(name).await;
        let config = self.require_stopped(name)?;
        self.ops.reset_offsets(name, &config).await
    }

    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos> {
        Ok(self.ops.validate(&config).await?.0)
    }

    async fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<Props>,
        signature: Option<InternalRequestSignature>,
    ) -> HerderResult<()> {
        if self.protocol == crate::distributed::protocol::ConnectProtocol::Sessioned {
            let key = lock(&self.session_key).as_ref().map(|k| k.key.clone());
            verify_request(
                signature.as_ref(),
                &self.dist.verification_algorithms,
                key.as_deref(),
            )?;
        }
        self.require_leader("write task configs")?;
        if !self.snapshot().contains(name) {
            return Err(HerderError::connector_not_found(name));
        }
        self.configs
            .put_task_configs(name, configs.iter().map(to_config_props).collect())
            .await
            .map_err(Self::store_error)
    }
}
