//! `/connectors/…` (Java's `ConnectorsResource`): create, read, update, delete, status,
//! tasks, lifecycle (restart, pause, resume, stop), active topics and offsets.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::header::{HOST, LOCATION};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sluice_api::Props;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ErrorMessage, RestError, RestResult};
use super::extract::{
    ConfigBody, ConnectorConfigSchema, CreateConnectorRequest, JavaJson, OffsetsRequest,
};
use super::forward::{complete_or_forward, forward_param, Completion, Forwardable};
use super::response::SizedJson;
use super::{detached, timed, AppState};
use crate::herder::{
    ConfigInfo, ConfigInfos, ConfigValueInfo, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo,
    ConnectorTaskId, HerderError, Message, RestartRequest, TaskInfo, TaskState,
};

/// Java's validation error for a key given as JSON `null`.
pub const NULL_VALUE_ERROR: &str = "Null value can not be supplied as the configuration value.";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(connectors_list, connectors_create))
        .routes(routes!(connector_get, connector_delete))
        .routes(routes!(
            connector_config_get,
            connector_config_put,
            connector_config_patch
        ))
        .routes(routes!(connector_status))
        .routes(routes!(connector_tasks))
        .routes(routes!(connector_tasks_config))
        .routes(routes!(task_status))
        .routes(routes!(task_restart))
        .routes(routes!(connector_restart))
        .routes(routes!(connector_pause))
        .routes(routes!(connector_resume))
        .routes(routes!(connector_stop))
        .routes(routes!(connector_topics))
        .routes(routes!(connector_topics_reset))
        .routes(routes!(
            connector_offsets_get,
            connector_offsets_patch,
            connector_offsets_delete
        ))
}

/// One connector's entry in `GET /connectors?expand=…`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ConnectorExpansion {
    /// Present with `expand=status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ConnectorStateInfo>,
    /// Present with `expand=info`; `null` when the connector's config is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ConnectorInfo>, nullable)]
    pub info: Option<Option<ConnectorInfo>>,
}

/// `GET /connectors`: the names, or with `expand` a map of name to expansions.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ConnectorList {
    /// Without `expand`.
    Names(Vec<String>),
    /// With `expand=status` and/or `expand=info`.
    Expanded(BTreeMap<String, ConnectorExpansion>),
}

/// `{"topics": [...]}`, Java's `ActiveTopicsInfo` as written.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct ActiveTopics {
    /// Topics the connector used since the last reset.
    pub topics: Vec<String>,
}

/// Query parameters parsed from the raw query string, repeatable keys included.
fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
}

/// A boolean query parameter as JAX-RS reads one (`Boolean.valueOf`: only `true`, in any
/// case, is true), with its default when absent.
pub(super) fn query_bool(pairs: &[(String, String)], key: &str, default: bool) -> bool {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.eq_ignore_ascii_case("true"))
        .unwrap_or(default)
}

/// `http://<Host>/connectors/<name>`: JAX-RS makes `Location` absolute against the request.
fn location(headers: &HeaderMap, name: &str) -> Option<HeaderValue> {
    let host = headers.get(HOST)?.to_str().ok()?;
    HeaderValue::from_str(&format!(
        "http://{host}/connectors/{}",
        encode_segment(name)
    ))
    .ok()
}

/// Percent-encodes a path segment (everything but RFC 3986 unreserved characters).
pub(super) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Java's `checkAndPutConnectorConfigName`: `name` in the config must match, and is
/// inserted when absent (or given as `null`).
fn put_name(name: &str, config: &mut Props, nulls: &mut Vec<String>) -> RestResult<()> {
    nulls.retain(|k| k != "name");
    match config.get("name") {
        Some(cfg) if cfg != name => Err(RestError::BadRequest(format!(
            "Connector name configuration ({cfg}) doesn't match connector name in the URL ({name})"
        ))),
        Some(_) => Ok(()),
        None => {
            config.insert("name".to_string(), name.to_string());
            Ok(())
        }
    }
}

/// Adds Java's error for every key given as `null` to a validation result.
pub(super) fn add_null_errors(infos: &mut ConfigInfos, nulls: &[String]) {
    for key in nulls {
        let existing = infos
            .configs
            .iter_mut()
            .filter_map(|c| c.value.as_mut())
            .find(|v| &v.name == key);
        match existing {
            Some(v) => {
                v.value = None;
                v.errors.push(NULL_VALUE_ERROR.to_string());
            }
            None => infos.configs.push(ConfigInfo {
                definition: None,
                value: Some(ConfigValueInfo {
                    name: key.clone(),
                    value: None,
                    recommended_values: Vec::new(),
                    errors: vec![NULL_VALUE_ERROR.to_string()],
                    visible: true,
                }),
            }),
        }
        infos.error_count += 1;
    }
}

/// Java's 400 for a config with validation errors.
pub(super) fn invalid_config_error(infos: &ConfigInfos) -> RestError {
    let errors: Vec<&str> = infos
        .configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .flat_map(|v| v.errors.iter().map(String::as_str))
        .collect();
    RestError::BadRequest(format!(
        "Connector configuration is invalid and contains the following {} error(s):\n{}\n\
         You can also find the above list of errors at the endpoint \
         `/connector-plugins/{{connectorType}}/config/validate`",
        errors.len(),
        errors.join("\n")
    ))
}

/// The 400 for a create or update whose config has `null` values: the herder's validation of
/// the rest, plus one error per `null` key.
async fn reject_nulls(state: &AppState, config: Props, nulls: &[String]) -> RestError {
    match timed(state.herder.validate_connector_config(config)).await {
        Ok(mut infos) => {
            add_null_errors(&mut infos, nulls);
            invalid_config_error(&infos)
        }
        Err(e) => e,
    }
}

/// Parses a task number as JAX-RS parses an `Integer` path parameter: a non-number matches
/// no route (404).
fn task_id(connector: String, task: &str) -> RestResult<ConnectorTaskId> {
    let n: i64 = task.parse().map_err(|_| RestError::RouteNotFound)?;
    let task = u32::try_from(n).map_err(|_| {
        RestError::Herder(HerderError::NotFound(format!(
            "Unknown task: {connector}-{n}"
        )))
    })?;
    Ok(ConnectorTaskId { connector, task })
}

/// The part of a forwardable request that stays the same whatever the herder answers.
fn forwardable<'a>(
    method: Method,
    path: String,
    headers: &'a HeaderMap,
    query: Option<&str>,
    body: Option<Vec<u8>>,
) -> Forwardable<'a> {
    Forwardable {
        method,
        path,
        query: Vec::new(),
        headers,
        body,
        forward: forward_param(query),
    }
}

/// The JSON to forward; a value that cannot be written (none of ours) is sent as no body.
fn json_body(value: &impl Serialize) -> Option<Vec<u8>> {
    serde_json::to_vec(value).ok()
}

/// 200 with the local result, or with the remote worker's body when forwarded.
fn ok_json<T: Serialize>(completion: Completion<T>) -> Response {
    match completion {
        Completion::Local(v) => (StatusCode::OK, Json(v)).into_response(),
        Completion::Forwarded(r) => (StatusCode::OK, Json(r.into_json())).into_response(),
    }
}

/// Lists connectors, optionally expanded with their status and/or info.
#[utoipa::path(get, path = "/connectors", tag = "connectors",
    params(("expand" = Option<Vec<String>>, Query, description = "`status` and/or `info`; may be repeated")),
    responses((status = 200, description = "Connector names, or name → expansions", body = ConnectorList)))]
pub async fn connectors_list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> RestResult<SizedJson<ConnectorList>> {
    let pairs = query_pairs(query.as_deref());
    let expands: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "expand")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut names = state.herder.connectors().await;
    names.sort();
    // About what one connector's entry takes (its status with one task is ~190 bytes).
    let capacity = names.len() * if expands.is_empty() { 24 } else { 256 };
    if expands.is_empty() {
        return Ok(SizedJson {
            value: ConnectorList::Names(names),
            capacity,
        });
    }
    // One deadline for the whole listing: a timer per connector would cost more than the
    // lookups themselves.
    let expand_all = async {
        // Every status in one herder call.
        let mut statuses = if expands.contains(&"status") {
            Some(state.herder.connector_statuses(&names).await?.into_iter())
        } else {
            None
        };
        let mut out = Vec::with_capacity(names.len());
        'connectors: for name in names {
            let mut entry = ConnectorExpansion::default();
            // Deleted while we looked, or no status yet: left out, as in Java.
            if let Some(statuses) = statuses.as_mut() {
                match statuses.next().flatten() {
                    Some(s) => entry.status = Some(s),
                    None => continue 'connectors,
                }
            }
            for expand in &expands {
                match *expand {
                    "status" => {}
                    "info" => match state.herder.connector_info(&name).await {
                        Ok(i) => entry.info = Some(Some(i)),
                        Err(HerderError::NotFound(_)) => entry.info = Some(None),
                        Err(e) => return Err(e),
                    },
                    other => tracing::info!(expand = other, "ignoring unknown expansion type"),
                }
            }
            out.push((name, entry));
        }
        // Sorted already: collected in one pass, not inserted one by one.
        Ok(out.into_iter().collect::<BTreeMap<_, _>>())
    };
    let out = timed(expand_all).await?;
    Ok(SizedJson {
        value: ConnectorList::Expanded(out),
        capacity,
    })
}

/// Creates a connector: 201 with `Location`, 409 when it exists, 400 on a bad config.
#[utoipa::path(post, path = "/connectors", tag = "connectors",
    params(("forward" = Option<String>, Query, description = "Distributed forwarding hop (set by workers)")),
    request_body = CreateConnectorRequest,
    responses(
        (status = 201, description = "Created", body = ConnectorInfo),
        (status = 400, description = "Invalid request or config", body = ErrorMessage),
        (status = 409, description = "Already exists", body = ErrorMessage),
        (status = 500, description = "Unknown connector class", body = ErrorMessage),
    ))]
pub async fn connectors_create(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    JavaJson(request): JavaJson<CreateConnectorRequest>,
) -> RestResult<Response> {
    let name = request.name.0.unwrap_or_default().trim().to_string();
    let (mut config, mut nulls) = request.config.unwrap_or_default().split_nulls();
    put_name(&name, &mut config, &mut nulls)?;
    if !nulls.is_empty() {
        return Err(reject_nulls(&state, config, &nulls).await);
    }
    let initial = request.initial_state.map(Into::into);
    // Java forwards the request entity, its config completed with the name.
    let body = json_body(&serde_json::json!({
        "name": name,
        "config": config,
        "initial_state": request.initial_state,
    }));
    let result = {
        let name = name.clone();
        detached(&state, move |h| async move {
            h.put_connector_config(&name, config, false, initial).await
        })
        .await
    };
    let fwd = forwardable(
        Method::POST,
        "/connectors".to_string(),
        &headers,
        query.as_deref(),
        body,
    );
    Ok(
        match complete_or_forward(&state.rest_client, result, fwd).await? {
            Completion::Local(c) => created_response(&headers, &name, c.created, c.result),
            // Java answers 201 whatever the remote status.
            Completion::Forwarded(r) => created_response(&headers, &name, true, r.into_json()),
        },
    )
}

/// 201 with `Location` when created, else 200.
fn created_response(
    headers: &HeaderMap,
    name: &str,
    created: bool,
    info: impl Serialize,
) -> Response {
    if created {
        let mut resp = (StatusCode::CREATED, Json(info)).into_response();
        if let Some(loc) = location(headers, name) {
            resp.headers_mut().insert(LOCATION, loc);
        }
        resp
    } else {
        (StatusCode::OK, Json(info)).into_response()
    }
}

/// One connector's config and tasks.
#[utoipa::path(get, path = "/connectors/{connector}", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name")),
    responses(
        (status = 200, description = "Connector info", body = ConnectorInfo),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_get(
    State(state): State<AppState>,
    Path(connector): Path<String>,
) -> RestResult<Json<ConnectorInfo>> {
    Ok(Json(timed(state.herder.connector_info(&connector)).await?))
}

/// Deletes a connector (204).
#[utoipa::path(delete, path = "/connectors/{connector}", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name"),
           ("forward" = Option<String>, Query, description = "Distributed forwarding hop (set by workers)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_delete(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> RestResult<StatusCode> {
    let path = format!("/connectors/{}", encode_segment(&connector));
    let result = detached(&state, move |h| async move {
        h.delete_connector(&connector).await
    })
    .await;
    let fwd = forwardable(Method::DELETE, path, &headers, query.as_deref(), None);
    complete_or_forward(&state.rest_client, result, fwd).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The connector's raw config.
#[utoipa::path(get, path = "/connectors/{connector}/config", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name")),
    responses(
        (status = 200, description = "Raw config", body = BTreeMap<String, String>),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_config_get(
    State(state): State<AppState>,
    Path(connector): Path<String>,
) -> RestResult<Json<Props>> {
    Ok(Json(
        timed(state.herder.connector_config(&connector)).await?,
    ))
}

/// Creates (201 with `Location`) or replaces (200) a connector's config.
#[utoipa::path(put, path = "/connectors/{connector}/config", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name"),
           ("forward" = Option<String>, Query, description = "Distributed forwarding hop (set by workers)")),
    request_body = ConnectorConfigSchema,
    responses(
        (status = 200, description = "Updated", body = ConnectorInfo),
        (status = 201, description = "Created", body = ConnectorInfo),
        (status = 400, description = "Invalid config", body = ErrorMessage),
        (status = 500, description = "Unknown connector class", body = ErrorMessage),
    ))]
pub async fn connector_config_put(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    JavaJson(body): JavaJson<ConfigBody>,
) -> RestResult<Response> {
    let (mut config, mut nulls) = body.split_nulls();
    put_name(&connector, &mut config, &mut nulls)?;
    if !nulls.is_empty() {
        return Err(reject_nulls(&state, config, &nulls).await);
    }
    let body = json_body(&config);
    let result = {
        let connector = connector.clone();
        detached(&state, move |h| async move {
            h.put_connector_config(&connector, config, true, None).await
        })
        .await
    };
    let path = format!("/connectors/{}/config", encode_segment(&connector));
    let fwd = forwardable(Method::PUT, path, &headers, query.as_deref(), body);
    Ok(
        match complete_or_forward(&state.rest_client, result, fwd).await? {
            Completion::Local(c) => created_response(&headers, &connector, c.created, c.result),
            Completion::Forwarded(r) => {
                let created = r.status == StatusCode::CREATED.as_u16();
                created_response(&headers, &connector, created, r.into_json())
            }
        },
    )
}

/// Merges a patch into the config: a `null` value removes the key (KIP-477).
#[utoipa::path(patch, path = "/connectors/{connector}/config", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name"),
           ("forward" = Option<String>, Query, description = "Distributed forwarding hop (set by workers)")),
    request_body(content = BTreeMap<String, Option<String>>, description = "Keys to set; `null` removes a key"),
    responses(
        (status = 200, description = "Patched", body = ConnectorInfo),
        (status = 400, description = "Invalid resulting config", body = ErrorMessage),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_config_patch(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    JavaJson(body): JavaJson<ConfigBody>,
) -> RestResult<Response> {
    let path = format!("/connectors/{}/config", encode_segment(&connector));
    let fwd_body = json_body(&body.0);
    let result = detached(&state, move |h| async move {
        h.patch_connector_config(&connector, body.0).await
    })
    .await;
    let fwd = forwardable(Method::PATCH, path, &headers, query.as_deref(), fwd_body);
    Ok(ok_json(
        complete_or_forward(&state.rest_client, result, fwd).await?,
    ))
}

/// The connector's and its tasks' states.
#[utoipa::path(get, path = "/connectors/{connector}/status", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name")),
    responses(
        (status = 200, description = "Status", body = ConnectorStateInfo),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_status(
    State(state): State<AppState>,
    Path(connector): Path<String>,
) -> RestResult<Json<ConnectorStateInfo>> {
    Ok(Json(
        timed(state.herder.connector_status(&connector)).await?,
    ))
}

/// The connector's task configs.
#[utoipa::path(get, path = "/connectors/{connector}/tasks", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name")),
    responses(
        (status = 200, description = "Tasks", body = Vec<TaskInfo>),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_tasks(
    State(state): State<AppState>,
    Path(connector): Path<String>,
) -> RestResult<Json<Vec<TaskInfo>>> {
    Ok(Json(timed(state.herder.task_configs(&connector)).await?))
}

/// The task configs keyed `<connector>-<task>` (deprecated in Java 3.7, kept for clients).
#[utoipa::path(get, path = "/connectors/{connector}/tasks-config", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name")),
    responses(
        (status = 200, description = "Task configs", body = BTreeMap<String, BTreeMap<String, String>>),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_tasks_config(
    State(state): State<AppState>,
    Path(connector): Path<String>,
) -> RestResult<Json<BTreeMap<String, Props>>> {
    let tasks = timed(state.herder.task_configs(&connector)).await?;
    Ok(Json(
        tasks
            .into_iter()
            .map(|t| (format!("{}-{}", t.id.connector, t.id.task), t.config))
            .collect(),
    ))
}

/// One task's state.
#[utoipa::path(get, path = "/connectors/{connector}/tasks/{task}/status", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name"),
           ("task" = i32, Path, description = "Task number")),
    responses(
        (status = 200, description = "Task state", body = TaskState),
        (status = 404, description = "Unknown connector or task", body = ErrorMessage),
    ))]
pub async fn task_status(
    State(state): State<AppState>,
    Path((connector, task)): Path<(String, String)>,
) -> RestResult<Json<TaskState>> {
    let id = task_id(connector, &task)?;
    Ok(Json(timed(state.herder.task_status(&id)).await?))
}

/// Restarts one task (204).
#[utoipa::path(post, path = "/connectors/{connector}/tasks/{task}/restart", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name"),
           ("task" = i32, Path, description = "Task number"),
           ("forward" = Option<String>, Query, description = "Distributed forwarding hop (ignored in standalone)")),
    responses(
        (status = 204, description = "Restarted"),
        (status = 404, description = "Unknown connector or task", body = ErrorMessage),
    ))]
pub async fn task_restart(
    State(state): State<AppState>,
    Path((connector, task)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> RestResult<StatusCode> {
    let id = task_id(connector, &task)?;
    let path = format!(
        "/connectors/{}/tasks/{}/restart",
        encode_segment(&id.connector),
        id.task
    );
    let result = detached(&state, move |h| async move { h.restart_task(&id).await }).await;
    let fwd = forwardable(Method::POST, path, &headers, query.as_deref(), None);
    complete_or_forward(&state.rest_client, result, fwd).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restarts the connector (204), or with `includeTasks`/`onlyFailed` the selected
/// instances (202 with the status showing them `RESTARTING`).
#[utoipa::path(post, path = "/connectors/{connector}/restart", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name"),
           ("includeTasks" = Option<String>, Query, description = "`true` (any case) also restarts tasks; anything else is false (default)"),
           ("onlyFailed" = Option<String>, Query, description = "`true` (any case) restarts only FAILED instances; anything else is false (default)"),
           ("forward" = Option<String>, Query, description = "Distributed forwarding hop (ignored in standalone)")),
    responses(
        (status = 202, description = "Restart requested", body = ConnectorStateInfo),
        (status = 204, description = "Connector restarted"),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_restart(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> RestResult<Response> {
    let pairs = query_pairs(query.as_deref());
    let request = RestartRequest {
        include_tasks: query_bool(&pairs, "includeTasks", false),
        only_failed: query_bool(&pairs, "onlyFailed", false),
    };
    let connector_only = !request.include_tasks && !request.only_failed;
    let mut fwd = forwardable(
        Method::POST,
        format!("/connectors/{}/restart", encode_segment(&connector)),
        &headers,
        query.as_deref(),
        None,
    );
    if !connector_only {
        // Java carries both flags, as parsed, when tasks are involved.
        fwd.query = vec![
            (
                "includeTasks".to_string(),
                request.include_tasks.to_string(),
            ),
            ("onlyFailed".to_string(), request.only_failed.to_string()),
        ];
    }
    let result = detached(&state, move |h| async move {
        h.restart_connector(&connector, request).await
    })
    .await;
    Ok(
        match complete_or_forward(&state.rest_client, result, fwd).await? {
            Completion::Local(Some(status)) => (StatusCode::ACCEPTED, Json(status)).into_response(),
            Completion::Local(None) => StatusCode::NO_CONTENT.into_response(),
            Completion::Forwarded(_) if connector_only => StatusCode::NO_CONTENT.into_response(),
            Completion::Forwarded(r) => (StatusCode::ACCEPTED, Json(r.into_json())).into_response(),
        },
    )
}

/// Pauses the connector and its tasks (202).
#[utoipa::path(put, path = "/connectors/{connector}/pause", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name")),
    responses(
        (status = 202, description = "Pause requested"),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_pause(
    State(state): State<AppState>,
    Path(connector): Path<String>,
) -> RestResult<StatusCode> {
    detached(&state, move |h| async move {
        h.pause_connector(&connector).await
    })
    .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Resumes a paused or stopped connector (202).
#[utoipa::path(put, path = "/connectors/{connector}/resume", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name")),
    responses(
        (status = 202, description = "Resume requested"),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_resume(
    State(state): State<AppState>,
    Path(connector): Path<String>,
) -> RestResult<StatusCode> {
    detached(&state, move |h| async move {
        h.resume_connector(&connector).await
    })
    .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Stops the connector: tasks shut down, config kept (204).
#[utoipa::path(put, path = "/connectors/{connector}/stop", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name"),
           ("forward" = Option<String>, Query, description = "Distributed forwarding hop (ignored in standalone)")),
    responses(
        (status = 204, description = "Stopped"),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_stop(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> RestResult<StatusCode> {
    let path = format!("/connectors/{}/stop", encode_segment(&connector));
    let result = detached(&state, move |h| async move {
        h.stop_connector(&connector).await
    })
    .await;
    let fwd = forwardable(Method::PUT, path, &headers, query.as_deref(), None);
    complete_or_forward(&state.rest_client, result, fwd).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Java's 403s of the topic endpoints: `topic.tracking.enable=false` (both), and
/// `topic.tracking.allow.reset=false` (the reset).
fn check_topic_tracking(state: &AppState, reset: bool) -> RestResult<()> {
    let forbidden = |message: &str| Err(HerderError::Forbidden(message.into()).into());
    if !state.topic_tracking.enabled {
        return forbidden("Topic tracking is disabled.");
    }
    if reset && !state.topic_tracking.allow_reset {
        return forbidden("Topic tracking reset is disabled.");
    }
    Ok(())
}

/// Topics the connector used since the last reset (KIP-558). An unknown connector has
/// none.
#[utoipa::path(get, path = "/connectors/{connector}/topics", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name")),
    responses(
        (status = 200, description = "Active topics by connector", body = BTreeMap<String, ActiveTopics>),
        (status = 403, description = "Topic tracking disabled", body = ErrorMessage),
    ))]
pub async fn connector_topics(
    State(state): State<AppState>,
    Path(connector): Path<String>,
) -> RestResult<Json<BTreeMap<String, ActiveTopics>>> {
    check_topic_tracking(&state, false)?;
    let topics = timed(state.herder.active_topics(&connector)).await?;
    Ok(Json(BTreeMap::from([(connector, ActiveTopics { topics })])))
}

/// Clears the connector's active topics (202).
#[utoipa::path(put, path = "/connectors/{connector}/topics/reset", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name")),
    responses(
        (status = 202, description = "Reset"),
        (status = 403, description = "Topic tracking or its reset disabled", body = ErrorMessage),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_topics_reset(
    State(state): State<AppState>,
    Path(connector): Path<String>,
) -> RestResult<StatusCode> {
    check_topic_tracking(&state, true)?;
    detached(&state, move |h| async move {
        h.reset_active_topics(&connector).await
    })
    .await?;
    Ok(StatusCode::ACCEPTED)
}

/// The connector's committed offsets.
#[utoipa::path(get, path = "/connectors/{connector}/offsets", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name")),
    responses(
        (status = 200, description = "Offsets", body = ConnectorOffsets),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_offsets_get(
    State(state): State<AppState>,
    Path(connector): Path<String>,
) -> RestResult<Json<ConnectorOffsets>> {
    Ok(Json(
        timed(state.herder.connector_offsets(&connector)).await?,
    ))
}

/// Alters offsets of a STOPPED connector.
#[utoipa::path(patch, path = "/connectors/{connector}/offsets", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name"),
           ("forward" = Option<String>, Query, description = "Distributed forwarding hop (ignored in standalone)")),
    request_body = OffsetsRequest,
    responses(
        (status = 200, description = "Altered", body = Message),
        (status = 400, description = "Not stopped, or invalid offsets", body = ErrorMessage),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_offsets_patch(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    JavaJson(body): JavaJson<OffsetsRequest>,
) -> RestResult<Response> {
    let offsets = match body.offsets {
        Some(o) if !o.is_empty() => o,
        _ => {
            return Err(RestError::BadRequest(
                "Partitions / offsets need to be provided for an alter offsets request".to_string(),
            ))
        }
    };
    let offsets = ConnectorOffsets { offsets };
    let path = format!("/connectors/{}/offsets", encode_segment(&connector));
    let fwd_body = json_body(&offsets);
    let result = detached(&state, move |h| async move {
        h.alter_connector_offsets(&connector, offsets).await
    })
    .await;
    let fwd = forwardable(Method::PATCH, path, &headers, query.as_deref(), fwd_body);
    Ok(ok_json(
        complete_or_forward(&state.rest_client, result, fwd).await?,
    ))
}

/// Resets the offsets of a STOPPED connector.
#[utoipa::path(delete, path = "/connectors/{connector}/offsets", tag = "connectors",
    params(("connector" = String, Path, description = "Connector name"),
           ("forward" = Option<String>, Query, description = "Distributed forwarding hop (ignored in standalone)")),
    responses(
        (status = 200, description = "Reset", body = Message),
        (status = 400, description = "Not stopped", body = ErrorMessage),
        (status = 404, description = "Unknown connector", body = ErrorMessage),
    ))]
pub async fn connector_offsets_delete(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> RestResult<Response> {
    let path = format!("/connectors/{}/offsets", encode_segment(&connector));
    let result = detached(&state, move |h| async move {
        h.reset_connector_offsets(&connector).await
    })
    .await;
    let fwd = forwardable(Method::DELETE, path, &headers, query.as_deref(), None);
    Ok(ok_json(
        complete_or_forward(&state.rest_client, result, fwd).await?,
    ))
}
