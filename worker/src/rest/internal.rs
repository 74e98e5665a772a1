//! The endpoints workers call on each other (Java's `InternalConnectResource`), left out of
//! the OpenAPI document as Java hides them:
//!
//! * `POST /connectors/{c}/tasks`: a follower sends the task configs its connector generated
//!   (a JSON array of string maps) for the leader to write;
//! * `PUT /connectors/{c}/fence`: a worker asks the leader to fence zombie exactly-once source
//!   tasks.
//!
//! Both read the KIP-507 signature from the headers over the raw body and hand it to the
//! herder, which checks it; both are forwarded to the leader like the user endpoints
//! (`forward` query parameter). Java declares no `Consumes` type here, so any `Content-Type`
//! is accepted.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::{post, put};
use base64::Engine;
use utoipa_axum::router::OpenApiRouter;

use super::connectors::encode_segment;
use super::error::RestResult;
use super::extract::{parse_body, ConfigBody};
use super::forward::{complete_or_forward, forward_param, Forwardable};
use super::signature::InternalRequestSignature;
use super::{detached, AppState};
use crate::herder::HerderError;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/connectors/{connector}/tasks", post(put_task_configs))
        .route("/connectors/{connector}/fence", put(fence_zombies))
}

/// Reads the signature headers over the raw body; an unknown algorithm or a signature that
/// is not Base64 is Java's 400.
fn signature_of(body: &[u8], headers: &HeaderMap) -> RestResult<Option<InternalRequestSignature>> {
    InternalRequestSignature::from_headers(body, headers).map_err(|e| HerderError::from(e).into())
}

/// `POST /connectors/{c}/tasks`: 204 once the leader wrote the task configs.
pub async fn put_task_configs(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> RestResult<StatusCode> {
    // Jackson reads `List<Map<String, String>>`; a `null` value has no place in a task config
    // and is dropped.
    let bodies: Vec<ConfigBody> = parse_body(&body)?;
    let configs: Vec<sluice_api::Props> = bodies.into_iter().map(|c| c.split_nulls().0).collect();
    let signature = signature_of(&body, &headers)?;
    let forward_body = serde_json::to_vec(&configs).ok();
    let result = {
        let connector = connector.clone();
        detached(&state, move |h| async move {
            h.put_task_configs(&connector, configs, signature).await
        })
        .await
    };
    complete_or_forward(
        &state.rest_client,
        result,
        Forwardable {
            method: Method::POST,
            path: format!("/connectors/{}/tasks", encode_segment(&connector)),
            query: Vec::new(),
            headers: &headers,
            body: forward_body,
            forward: forward_param(query.as_deref()),
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /connectors/{c}/fence`: 204 once the leader fenced the zombies.
pub async fn fence_zombies(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> RestResult<StatusCode> {
    let signature = signature_of(&body, &headers)?;
    let result = {
        let connector = connector.clone();
        detached(&state, move |h| async move {
            h.fence_zombie_source_tasks(&connector, signature).await
        })
        .await
    };
    // Java forwards the raw body as Jackson writes a `byte[]`: a Base64 JSON string.
    let encoded = base64::engine::general_purpose::STANDARD.encode(&body);
    complete_or_forward(
        &state.rest_client,
        result,
        Forwardable {
            method: Method::PUT,
            path: format!("/connectors/{}/fence", encode_segment(&connector)),
            query: Vec::new(),
            headers: &headers,
            body: serde_json::to_vec(&encoded).ok(),
            forward: forward_param(query.as_deref()),
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
