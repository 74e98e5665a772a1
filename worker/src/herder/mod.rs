//! The herder: the one interface through which the REST API and the CLI act on the cluster
//! (Java's `Herder`). The standalone herder implements it over in-memory state and a local
//! offsets file; a distributed herder implements it over the internal topics. REST handlers
//! are thin: they parse the request, call one method here and map the result.

pub mod blocking;
pub mod connector_ops;
pub mod distributed;
pub mod distributed_validation;
pub mod locks;
pub mod sink_offsets;
#[cfg(test)]
mod sink_offsets_tests;
pub mod standalone;
pub mod starting;
pub mod types;

use std::collections::BTreeMap;

use async_trait::async_trait;
use sluice_api::Props;

pub use types::*;

/// Errors a herder operation can end in, each mapped by REST onto Java's status code.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum HerderError {
    /// 404, e.g. `Connector foo not found`.
    #[error("{0}")]
    NotFound(String),
    /// 409, e.g. `Connector foo already exists`.
    #[error("{0}")]
    AlreadyExists(String),
    /// 400: an invalid request or config.
    #[error("{0}")]
    BadRequest(String),
    /// 409: the operation conflicts with the current state (rebalance in progress, …).
    #[error("{0}")]
    Conflict(String),
    /// 403: the operation is disabled by configuration.
    #[error("{0}")]
    Forbidden(String),
    /// 500: anything else, with the message Java would give.
    #[error("{0}")]
    Internal(String),
    /// 503: the worker cannot answer yet (Java's `ConnectRestException` with
    /// `SERVICE_UNAVAILABLE`, e.g. no session key read from the config topic yet).
    #[error("{0}")]
    ServiceUnavailable(String),
    /// The operation must run on another worker: Java's `NotLeaderException` (only the leader
    /// may do this) or `NotAssignedException` (only the owner of the connector or task may).
    /// On a forwardable endpoint REST forwards the request to `leader_url` (the leader's, or
    /// the owner's, advertised URL); `None` means no leader is known yet (409). Anywhere else
    /// it is a 500 with `message`, as Java's generic mapper answers.
    #[error("{message}")]
    NotLeader {
        /// Why, e.g. `Only the leader may write task configurations.`.
        message: String,
        /// Where to forward, e.g. `http://10.0.0.5:8083/`; `None` if unknown.
        leader_url: Option<String>,
    },
    /// Java's `RebalanceNeededException`: the herder expects a rebalance, so its view of the
    /// configs is stale. Forwardable endpoints answer 409 `Cannot complete request momentarily
    /// due to stale configuration …`; the other endpoints 500 with this message (a Java quirk).
    #[error("Request cannot be completed because a rebalance is expected")]
    RebalanceNeeded,
}

impl HerderError {
    /// Java's `Connector <name> not found` (404).
    pub fn connector_not_found(name: &str) -> Self {
        HerderError::NotFound(format!("Connector {name} not found"))
    }
    /// The HTTP status Java answers with.
    pub fn status(&self) -> u16 {
        match self {
            HerderError::NotFound(_) => 404,
            HerderError::AlreadyExists(_) | HerderError::Conflict(_) => 409,
            HerderError::BadRequest(_) => 400,
            HerderError::Forbidden(_) => 403,
            HerderError::Internal(_)
            | HerderError::NotLeader { .. }
            | HerderError::RebalanceNeeded => 500,
            HerderError::ServiceUnavailable(_) => 503,
        }
    }
}

/// Result alias for herder operations.
pub type HerderResult<T> = Result<T, HerderError>;

/// Cluster actions, shared by the standalone and distributed workers.
///
/// # Invariants
/// * Every method answers with Java's semantics and messages (those of Java's
///   `StandaloneHerder`/`DistributedHerder` behind `ConnectorsResource`), so REST handlers add
///   nothing.
/// * Methods are safe to call concurrently; each is atomic with respect to the others, and
///   the changes of one connector apply one at a time in the order they were requested
///   (a `PATCH` reads and writes the config under that ordering, so none is lost).
/// * A change runs to completion once started, whoever awaits it: REST runs each change on
///   its own task, so a client that goes away or times out never leaves it half done.
#[async_trait]
pub trait Herder: Send + Sync {
    /// `<advertised host>:<advertised port>`.
    fn worker_id(&self) -> String;
    /// The Kafka cluster id (`GET /`).
    async fn kafka_cluster_id(&self) -> String;
    /// Names of every connector.
    async fn connectors(&self) -> Vec<String>;
    /// `GET /connectors/{c}`.
    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo>;
    /// `GET /connectors/{c}/config`.
    async fn connector_config(&self, name: &str) -> HerderResult<Props>;
    /// Creates or updates a connector (`POST /connectors`, `PUT /connectors/{c}/config`).
    /// With `allow_replace=false` an existing connector is [`HerderError::AlreadyExists`].
    /// The config is validated first; errors are [`HerderError::BadRequest`] in Java's
    /// wording (`Connector configuration is invalid and contains the following N error(s):…`).
    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> HerderResult<Created<ConnectorInfo>>;
    /// Recreates a connector from a stored config (`--config-dir`): no validation (nothing
    /// calls the connector's external system before it runs), replacing any connector of
    /// that name; a connector that cannot start is kept, FAILED with the reason in its
    /// status, and this still answers `Ok`. The default creates it as
    /// [`Herder::put_connector_config`] does.
    async fn restore_connector(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
    ) -> HerderResult<ConnectorInfo> {
        Ok(self
            .put_connector_config(name, config, true, initial_state)
            .await?
            .result)
    }
    /// `PATCH /connectors/{c}/config`: a `None` value removes the key.
    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo>;
    /// `DELETE /connectors/{c}`.
    async fn delete_connector(&self, name: &str) -> HerderResult<()>;
    /// `GET /connectors/{c}/status`.
    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo>;
    /// `GET /connectors?expand=status`: the status of each of `names`, in the same order;
    /// `None` for a connector that has no status (deleted meanwhile, or not started yet). The
    /// default asks [`Herder::connector_status`] once per name; a herder that can read them
    /// all at once overrides it.
    async fn connector_statuses(
        &self,
        names: &[String],
    ) -> HerderResult<Vec<Option<ConnectorStateInfo>>> {
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            match self.connector_status(name).await {
                Ok(status) => out.push(Some(status)),
                Err(HerderError::NotFound(_)) => out.push(None),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
    /// `GET /connectors/{c}/tasks/{t}/status`.
    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState>;
    /// `GET /connectors/{c}/tasks`.
    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>>;
    /// `POST /connectors/{c}/restart`. Returns the status to answer with (202) when tasks are
    /// involved, `None` for a plain connector restart (204).
    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>>;
    /// `POST /connectors/{c}/tasks/{t}/restart`.
    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()>;
    /// `PUT /connectors/{c}/pause`.
    async fn pause_connector(&self, name: &str) -> HerderResult<()>;
    /// `PUT /connectors/{c}/resume`.
    async fn resume_connector(&self, name: &str) -> HerderResult<()>;
    /// `PUT /connectors/{c}/stop`.
    async fn stop_connector(&self, name: &str) -> HerderResult<()>;
    /// `GET /connectors/{c}/topics`.
    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>>;
    /// `PUT /connectors/{c}/topics/reset`.
    async fn reset_active_topics(&self, name: &str) -> HerderResult<()>;
    /// `GET /connectors/{c}/offsets`.
    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets>;
    /// `PATCH /connectors/{c}/offsets`.
    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> HerderResult<Message>;
    /// `DELETE /connectors/{c}/offsets`.
    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message>;
    /// `PUT /connector-plugins/{p}/config/validate` (and the check behind create/update).
    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos>;
    /// `POST /connectors/{c}/tasks` (internal): another worker sends the task configs its
    /// connector generated, for the leader to write. `signature` is the request's KIP-507
    /// signature, `None` when the headers carry none; a distributed herder checks it with
    /// [`crate::rest::signature::verify_request`] before anything else, then answers
    /// [`HerderError::NotLeader`] when not the leader (REST forwards), else writes them.
    /// The default is Java's standalone answer: a 500, as `UnsupportedOperationException`.
    async fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<Props>,
        signature: Option<crate::rest::signature::InternalRequestSignature>,
    ) -> HerderResult<()> {
        let _ = (name, configs, signature);
        Err(HerderError::Internal(
            STANDALONE_TASK_CONFIGS_UNSUPPORTED.to_string(),
        ))
    }
    /// `PUT /connectors/{c}/fence` (internal, exactly-once source): another worker asks the
    /// leader to fence the zombies of the connector's earlier task generation before its
    /// tasks start. Signature and forwarding as [`Herder::put_task_configs`]. The default is
    /// Java's standalone answer: a 500, as `UnsupportedOperationException`.
    async fn fence_zombie_source_tasks(
        &self,
        name: &str,
        signature: Option<crate::rest::signature::InternalRequestSignature>,
    ) -> HerderResult<()> {
        let _ = (name, signature);
        Err(HerderError::Internal(
            STANDALONE_FENCING_UNSUPPORTED.to_string(),
        ))
    }
}

/// Java's `StandaloneHerder` message for `POST /connectors/{c}/tasks`.
pub const STANDALONE_TASK_CONFIGS_UNSUPPORTED: &str =
    "Kafka Connect in standalone mode does not support externally setting task configurations.";

/// Java's `StandaloneHerder` message for `PUT /connectors/{c}/fence`.
pub const STANDALONE_FENCING_UNSUPPORTED: &str =
    "Kafka Connect in standalone mode does not support exactly-once source connectors.";
