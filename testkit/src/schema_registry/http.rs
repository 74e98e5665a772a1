//! The HTTP layer: the Schema Registry routes Confluent's clients use, plus admin endpoints.
//!
//! | Endpoint | Answer |
//! | --- | --- |
//! | `POST /subjects/{s}/versions` | `{"id":N,"version":V,…}`; 409 when incompatible |
//! | `POST /subjects/{s}` | `{"subject","version","id","schema"}`; 40401 / 40403 |
//! | `GET /schemas/ids/{id}` | `{"schema":…}` (+ `schemaType` when not AVRO); 40403 |
//! | `GET /schemas/types` | `["AVRO","JSON","PROTOBUF"]` |
//! | `GET /subjects` | subject names |
//! | `GET /subjects/{s}/versions` | version numbers; 40401 |
//! | `GET /subjects/{s}/versions/{v or latest}` | `{"subject","version","id","schema"}`; 40402 |
//! | `GET`/`PUT /config[/{s}]` | `{"compatibilityLevel":…}` / `{"compatibility":…}` |
//! | `POST /compatibility/subjects/{s}/versions/{v}` | `{"is_compatible":bool}` |
//! | `GET /_testkit/stats` | request counters ([`super::RegistryStats`]) |
//! | `POST /_testkit/reset` | forgets every subject and schema, zeroes the counters |

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::store::{RegistryError, Store};
use super::{lock, Shared};

type St = State<Arc<Shared>>;

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Builds the router.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup))
        .route("/subjects/{subject}/versions", post(register).get(versions))
        .route("/subjects/{subject}/versions/{version}", get(version))
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/types", get(types))
        .route("/config", get(get_global_config).put(put_global_config))
        .route("/config/{subject}", get(get_config).put(put_config))
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility),
        )
        .route("/_testkit/stats", get(stats))
        .route("/_testkit/reset", post(reset))
        .layer(middleware::from_fn_with_state(shared.clone(), count))
        .with_state(shared)
}

async fn count(State(shared): St, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !path.starts_with("/_testkit") {
        *lock(&shared.last_authorization) = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut s = lock(&shared.stats);
        s.requests += 1;
        let method = req.method().as_str();
        if method == "POST" && path.ends_with("/versions") {
            s.registers += 1;
        } else if method == "POST" && path.starts_with("/subjects/") {
            s.lookups += 1;
        } else if path.starts_with("/schemas/ids/") {
            s.schema_fetches += 1;
        } else if path.contains("/versions/") && method == "GET" {
            s.version_fetches += 1;
        }
    }
    next.run(req).await
}

fn answer(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        body.to_string(),
    )
        .into_response()
}

fn ok(body: Value) -> Response {
    answer(StatusCode::OK, body)
}

fn error(e: RegistryError) -> Response {
    answer(
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        json!({"error_code": e.code, "message": e.message}),
    )
}

/// `{"schema":…,"schemaType"?:…}` from a request body.
fn schema_body(body: &Bytes) -> Result<(String, String), RegistryError> {
    let bad = |m: &str| RegistryError {
        status: 422,
        code: 42201,
        message: format!("Invalid schema: {m}"),
    };
    let v: Value = serde_json::from_slice(body).map_err(|e| bad(&e.to_string()))?;
    let schema = v
        .get("schema")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no \"schema\" member"))?
        .to_string();
    let ty = v
        .get("schemaType")
        .and_then(Value::as_str)
        .unwrap_or("AVRO")
        .to_string();
    Ok((ty, schema))
}

fn with_store<T>(shared: &Shared, f: impl FnOnce(&mut Store) -> T) -> T {
    f(&mut lock(&shared.store))
}

fn subject_version_body(store: &Store, subject: &str, version: i32, id: i32) -> Value {
    let mut v = json!({"subject": subject, "version": version, "id": id});
    if let Ok(s) = store.schema(id) {
        v["schema"] = Value::String(s.schema.clone());
        if s.schema_type != "AVRO" {
            v["schemaType"] = Value::String(s.schema_type.clone());
        }
    }
    v
}

async fn register(State(shared): St, Path(subject): Path<String>, body: Bytes) -> Response {
    let (ty, schema) = match schema_body(&body) {
        Ok(x) => x,
        Err(e) => return error(e),
    };
    with_store(&shared, |s| match s.register(&subject, &ty, &schema) {
        Ok(sv) => ok(subject_version_body(s, &subject, sv.version, sv.id)),
        Err(e) => error(e),
    })
}

async fn lookup(State(shared): St, Path(subject): Path<String>, body: Bytes) -> Response {
    let (ty, schema) = match schema_body(&body) {
        Ok(x) => x,
        Err(e) => return error(e),
    };
    with_store(&shared, |s| match s.lookup(&subject, &ty, &schema) {
        Ok(sv) => ok(subject_version_body(s, &subject, sv.version, sv.id)),
        Err(e) => error(e),
    })
}

async fn subjects(State(shared): St) -> Response {
    ok(json!(with_store(&shared, |s| s.subjects())))
}

async fn versions(State(shared): St, Path(subject): Path<String>) -> Response {
    match with_store(&shared, |s| s.versions(&subject)) {
        Ok(v) => ok(json!(v)),
        Err(e) => error(e),
    }
}

async fn version(State(shared): St, Path((subject, version)): Path<(String, String)>) -> Response {
    with_store(&shared, |s| match s.version(&subject, &version) {
        Ok(sv) => ok(subject_version_body(s, &subject, sv.version, sv.id)),
        Err(e) => error(e),
    })
}

async fn schema_by_id(State(shared): St, Path(id): Path<String>, _q: RawQuery) -> Response {
    let Ok(id) = id.parse::<i32>() else {
        return error(RegistryError::schema_not_found(&format!("{id} ")));
    };
    with_store(&shared, |s| match s.schema(id) {
        Ok(stored) => {
            let mut v = json!({"schema": stored.schema});
            if stored.schema_type != "AVRO" {
                v["schemaType"] = Value::String(stored.schema_type.clone());
            }
            ok(v)
        }
        Err(e) => error(e),
    })
}

async fn types() -> Response {
    ok(json!(["AVRO", "JSON", "PROTOBUF"]))
}

async fn get_global_config(State(shared): St) -> Response {
    ok(json!({"compatibilityLevel": with_store(&shared, |s| s.compatibility(None))}))
}

async fn get_config(
    State(shared): St,
    Path(subject): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let default_to_global = q.unwrap_or_default().contains("defaultToGlobal=true");
    with_store(&shared, |s| match s.subject_compatibility(&subject) {
        Some(level) => ok(json!({"compatibilityLevel": level})),
        None if default_to_global => ok(json!({"compatibilityLevel": s.compatibility(None)})),
        None => error(RegistryError {
            status: 404,
            code: 40408,
            message: format!(
                "Subject '{subject}' does not have subject-level compatibility configured"
            ),
        }),
    })
}

fn level_of(body: &Bytes) -> Result<String, RegistryError> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("compatibility")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .ok_or(RegistryError {
            status: 422,
            code: 42203,
            message: "Invalid compatibility level".into(),
        })
}

async fn put_global_config(State(shared): St, body: Bytes) -> Response {
    let result = level_of(&body).and_then(|l| {
        with_store(&shared, |s| s.set_compatibility(None, &l))?;
        Ok(l)
    });
    match result {
        Ok(l) => ok(json!({"compatibility": l.to_ascii_uppercase()})),
        Err(e) => error(e),
    }
}

async fn put_config(State(shared): St, Path(subject): Path<String>, body: Bytes) -> Response {
    let result = level_of(&body).and_then(|l| {
        with_store(&shared, |s| s.set_compatibility(Some(&subject), &l))?;
        Ok(l)
    });
    match result {
        Ok(l) => ok(json!({"compatibility": l.to_ascii_uppercase()})),
        Err(e) => error(e),
    }
}

async fn compatibility(
    State(shared): St,
    Path((subject, version)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (ty, schema) = match schema_body(&body) {
        Ok(x) => x,
        Err(e) => return error(e),
    };
    match with_store(&shared, |s| s.check(&subject, &ty, &schema, Some(&version))) {
        Ok(problems) => ok(json!({"is_compatible": problems.is_empty(), "messages": problems})),
        Err(e) => error(e),
    }
}

async fn stats(State(shared): St) -> Response {
    ok(json!(lock(&shared.stats).clone()))
}

async fn reset(State(shared): St) -> Response {
    *lock(&shared.store) = Store::default();
    *lock(&shared.stats) = Default::default();
    ok(json!({}))
}
