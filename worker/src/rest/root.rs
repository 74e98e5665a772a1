//! `GET /` and `GET /health` (Java's `RootResource`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, HEALTH_TIMEOUT};

/// The Kafka Connect version whose REST API Sluice implements, reported as `version` by
/// `GET /` so clients that gate features on it see the API level they get.
pub const CONNECT_API_VERSION: &str = "3.9.0";

/// `ServerInfo` (`GET /`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServerInfo {
    /// The Connect REST API version implemented.
    pub version: String,
    /// The build: `sluice-<version>`.
    pub commit: String,
    /// The Kafka cluster id.
    pub kafka_cluster_id: String,
}

/// `WorkerStatus` (`GET /health`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkerStatus {
    /// `healthy`, `starting` or `unhealthy`.
    pub status: String,
    /// Explanation.
    pub message: String,
}

pub(super) fn routes() -> OpenApiRouter<super::AppState> {
    OpenApiRouter::new()
        .routes(routes!(server_info))
        .routes(routes!(health))
}

/// The worker's version and Kafka cluster.
#[utoipa::path(get, path = "/", tag = "root",
    responses((status = 200, description = "Server info", body = ServerInfo)))]
pub async fn server_info(State(state): State<AppState>) -> Json<ServerInfo> {
    Json(ServerInfo {
        version: CONNECT_API_VERSION.to_string(),
        commit: format!("sluice-{}", sluice_api::SLUICE_VERSION),
        kafka_cluster_id: state.kafka_cluster_id().await,
    })
}

/// Whether the worker has started and its herder answers (KIP-1017).
#[utoipa::path(get, path = "/health", tag = "root",
    responses(
        (status = 200, description = "Healthy", body = WorkerStatus),
        (status = 503, description = "Still starting", body = WorkerStatus),
        (status = 500, description = "Unhealthy", body = WorkerStatus),
    ))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<WorkerStatus>) {
    let status = |code, status: &str, message: &str| {
        (
            code,
            Json(WorkerStatus {
                status: status.to_string(),
                message: message.to_string(),
            }),
        )
    };
    if !state.readiness.is_ready() {
        return status(
            StatusCode::SERVICE_UNAVAILABLE,
            "starting",
            "Worker is still starting up.",
        );
    }
    match tokio::time::timeout(HEALTH_TIMEOUT, state.herder.connectors()).await {
        Ok(_) => status(
            StatusCode::OK,
            "healthy",
            "Worker has completed startup and is ready to handle requests.",
        ),
        Err(_) => status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unhealthy",
            "Worker was unable to handle this request and may be unable to handle other requests.",
        ),
    }
}
