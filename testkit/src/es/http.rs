//! The HTTP layer: Elasticsearch routes plus the `/_testkit/*` admin endpoints.
//!
//! Admin endpoints (JSON bodies), for driving the `es-test-server` binary from scripts:
//!
//! | Endpoint | Body | Effect |
//! | --- | --- | --- |
//! | `POST /_testkit/bulk_failures` | `{"status":429,"count":5}` | the next `count` bulk requests fail with `status` |
//! | `POST /_testkit/storm` | `{"status":429,"permille":300,"seed":1}` | that share of bulk requests fails (0 stops) |
//! | `POST /_testkit/delay` | `{"ms":200}` | every response is delayed |
//! | `POST /_testkit/item_faults` | `{"id_contains":"+0+7","fault":"mapper_parsing","remaining":1}` | matching items fail (`mapper_parsing`, `version_conflict`, `rejected`) |
//! | `POST /_testkit/version` | `{"number":"7.17.0"}` | the version `GET /` reports |
//! | `POST /_testkit/reset` | none | clears the faults (`?data=true` also deletes every index) |
//! | `GET /_testkit/stats` | none | counters ([`super::ServerStats`]) |

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::faults::{status_error, ItemFault, ItemFaultRule};
use super::store::{matches, parse_action, EsError, OpType};
use super::{lock, RequestLog, Shared};

type Shared_ = State<Arc<Shared>>;

/// Builds the router.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/_bulk", post(bulk_all).put(bulk_all))
        .route("/_refresh", post(refresh_all).get(refresh_all))
        .route(
            "/_data_stream/{name}",
            put(create_data_stream)
                .get(get_data_stream)
                .delete(delete_index),
        )
        .route("/_testkit/bulk_failures", post(admin_bulk_failures))
        .route("/_testkit/storm", post(admin_storm))
        .route("/_testkit/delay", post(admin_delay))
        .route("/_testkit/item_faults", post(admin_item_faults))
        .route("/_testkit/version", post(admin_version))
        .route("/_testkit/reset", post(admin_reset))
        .route("/_testkit/stats", get(admin_stats))
        .route(
            "/{index}",
            put(create_index).get(get_index).delete(delete_index),
        )
        .route("/{index}/_mapping", get(get_mapping).put(put_mapping))
        .route("/{index}/_bulk", post(bulk_index).put(bulk_index))
        .route("/{index}/_refresh", post(refresh).get(refresh))
        .route("/{index}/_count", get(count).post(count))
        .route("/{index}/_search", get(search).post(search))
        .route("/{index}/_doc/{id}", get(get_doc))
        .layer(middleware::from_fn_with_state(shared.clone(), observe))
        .layer(DefaultBodyLimit::max(512 * 1024 * 1024))
        .with_state(shared)
}

/// Logs every request, applies the injected delay and adds the product header.
async fn observe(State(shared): Shared_, req: Request, next: Next) -> Response {
    let admin = req.uri().path().starts_with("/_testkit");
    let is_bulk = req.uri().path().ends_with("/_bulk");
    // Counted out when the handler ends, also when the client went away and it was dropped.
    let _bulk = is_bulk.then(|| BulkGuard::start(shared.clone()));
    if !admin {
        let h = req.headers();
        let text = |name: header::HeaderName| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        shared.log_request(RequestLog {
            method: req.method().to_string(),
            path: req.uri().path().to_string(),
            query: req.uri().query().map(str::to_string),
            content_type: text(header::CONTENT_TYPE),
            accept: text(header::ACCEPT),
            authorization: text(header::AUTHORIZATION),
            content_encoding: text(header::CONTENT_ENCODING),
        });
        let delay = lock(&shared.faults).delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(
        "x-elastic-product",
        HeaderValue::from_static("Elasticsearch"),
    );
    resp
}

/// A bulk request in progress, for the concurrency counters.
struct BulkGuard(Arc<Shared>);

impl BulkGuard {
    fn start(shared: Arc<Shared>) -> BulkGuard {
        shared.bulk_started();
        BulkGuard(shared)
    }
}

impl Drop for BulkGuard {
    fn drop(&mut self) {
        self.0.bulk_finished();
    }
}

fn error_response(e: &EsError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(e.body())).into_response()
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}

/// Checks the content type and undoes gzip, as Elasticsearch does for request bodies.
fn request_body(headers: &HeaderMap, body: &Bytes) -> Result<Vec<u8>, EsError> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        let media = ct.split(';').next().unwrap_or("").trim();
        let accepted = [
            "application/json",
            "application/x-ndjson",
            "application/vnd.elasticsearch+json",
            "application/vnd.elasticsearch+x-ndjson",
        ];
        if !accepted.contains(&media) {
            return Err(EsError::new(
                406,
                "media_type_header_exception",
                format!("Content-Type header [{ct}] is not supported"),
            ));
        }
        if media.starts_with("application/vnd.elasticsearch") && !ct.contains("compatible-with=") {
            return Err(EsError::new(
                400,
                "media_type_header_exception",
                format!("Invalid media-type value on headers [Content-Type] [{ct}]"),
            ));
        }
    }
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .map_err(|e| EsError::new(400, "parse_exception", format!("bad gzip body: {e}")))?;
        Ok(out)
    } else {
        Ok(body.to_vec())
    }
}

fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, EsError> {
    let raw = request_body(headers, body)?;
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&raw)
        .map_err(|e| EsError::new(400, "parse_exception", format!("failed to parse body: {e}")))
}

async fn root(State(shared): Shared_) -> Response {
    let version = lock(&shared.version).clone();
    ok(json!({
        "name": "sluice-es-test",
        "cluster_name": "sluice-test",
        "cluster_uuid": "sluice-test-cluster",
        "version": {
            "number": version,
            "build_flavor": "default",
            "build_type": "docker",
            "lucene_version": "9.11.1",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "You Know, for Search",
    }))
}

async fn create_index(
    State(shared): Shared_,
    Path(index): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result =
        json_body(&headers, &body).and_then(|b| lock(&shared.store).create_index(&index, &b));
    match result {
        Ok(()) => ok(json!({"acknowledged": true, "shards_acknowledged": true, "index": index})),
        Err(e) => error_response(&e),
    }
}

async fn create_data_stream(State(shared): Shared_, Path(name): Path<String>) -> Response {
    match lock(&shared.store).create_data_stream(&name) {
        Ok(()) => ok(json!({"acknowledged": true})),
        Err(e) => error_response(&e),
    }
}

async fn get_data_stream(State(shared): Shared_, Path(name): Path<String>) -> Response {
    let store = lock(&shared.store);
    match store.indices.get(&name) {
        Some(i) if i.data_stream => ok(json!({"data_streams": [{
            "name": name,
            "timestamp_field": {"name": "@timestamp"},
            "status": "GREEN",
        }]})),
        _ => error_response(&EsError::new(
            404,
            "index_not_found_exception",
            format!("no such index [{name}]"),
        )),
    }
}

async fn get_index(State(shared): Shared_, Path(index): Path<String>) -> Response {
    let store = lock(&shared.store);
    match store.index(&index) {
        Ok(i) => ok(json!({ index.clone(): {
            "aliases": {},
            "mappings": Value::Object(i.mappings.clone()),
            "settings": i.settings.clone(),
        }})),
        Err(e) => error_response(&e),
    }
}

async fn delete_index(State(shared): Shared_, Path(index): Path<String>) -> Response {
    match lock(&shared.store).delete_index(&index) {
        Ok(()) => ok(json!({"acknowledged": true})),
        Err(e) => error_response(&e),
    }
}

async fn get_mapping(State(shared): Shared_, Path(index): Path<String>) -> Response {
    let store = lock(&shared.store);
    match store.index(&index) {
        Ok(i) => ok(json!({ index.clone(): {"mappings": Value::Object(i.mappings.clone())}})),
        Err(e) => error_response(&e),
    }
}

async fn put_mapping(
    State(shared): Shared_,
    Path(index): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result =
        json_body(&headers, &body).and_then(|b| lock(&shared.store).put_mapping(&index, &b));
    match result {
        Ok(()) => ok(json!({"acknowledged": true})),
        Err(e) => error_response(&e),
    }
}

async fn refresh_all() -> Response {
    ok(json!({"_shards": {"total": 1, "successful": 1, "failed": 0}}))
}

async fn refresh(State(shared): Shared_, Path(index): Path<String>) -> Response {
    let store = lock(&shared.store);
    if resolve(&store.indices, &index).is_empty() {
        return error_response(&EsError::new(
            404,
            "index_not_found_exception",
            format!("no such index [{index}]"),
        ));
    }
    ok(json!({"_shards": {"total": 1, "successful": 1, "failed": 0}}))
}

/// Resolves an index expression: a name, a comma-separated list, `_all`, `*` or `prefix*`.
fn resolve<V>(indices: &std::collections::BTreeMap<String, V>, expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in expr.split(',') {
        if part == "_all" || part == "*" {
            out.extend(indices.keys().cloned());
        } else if let Some(prefix) = part.strip_suffix('*') {
            out.extend(indices.keys().filter(|k| k.starts_with(prefix)).cloned());
        } else if indices.contains_key(part) {
            out.push(part.to_string());
        }
    }
    out.dedup();
    out
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| v.to_string())
    })
}

async fn count(
    State(shared): Shared_,
    Path(index): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match json_body(&headers, &body) {
        Ok(b) => b,
        Err(e) => return error_response(&e),
    };
    let store = lock(&shared.store);
    let names = resolve(&store.indices, &index);
    if names.is_empty() && !index.contains('*') {
        return error_response(&EsError::new(
            404,
            "index_not_found_exception",
            format!("no such index [{index}]"),
        ));
    }
    let query = body.get("query");
    let n: usize = names
        .iter()
        .filter_map(|n| store.indices.get(n))
        .map(|i| {
            i.docs
                .iter()
                .filter(|(id, d)| matches(query, id, &d.source))
                .count()
        })
        .sum();
    ok(json!({"count": n, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}}))
}

async fn search(
    State(shared): Shared_,
    Path(index): Path<String>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match json_body(&headers, &body) {
        Ok(b) => b,
        Err(e) => return error_response(&e),
    };
    let size = body
        .get("size")
        .and_then(Value::as_u64)
        .or_else(|| query_param(raw_query.as_deref(), "size").and_then(|s| s.parse().ok()))
        .unwrap_or(10) as usize;
    let from = body
        .get("from")
        .and_then(Value::as_u64)
        .or_else(|| query_param(raw_query.as_deref(), "from").and_then(|s| s.parse().ok()))
        .unwrap_or(0) as usize;
    let store = lock(&shared.store);
    let names = resolve(&store.indices, &index);
    if names.is_empty() && !index.contains('*') {
        return error_response(&EsError::new(
            404,
            "index_not_found_exception",
            format!("no such index [{index}]"),
        ));
    }
    let query = body.get("query");
    let mut total = 0usize;
    let mut hits = Vec::new();
    for name in &names {
        let Some(i) = store.indices.get(name) else {
            continue;
        };
        for (id, d) in &i.docs {
            if matches(query, id, &d.source) {
                if total >= from && hits.len() < size {
                    hits.push(json!({
                        "_index": name, "_id": id, "_score": 1.0,
                        "_version": d.version, "_source": d.source,
                    }));
                }
                total += 1;
            }
        }
    }
    ok(json!({
        "took": 1,
        "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": total, "relation": "eq"}, "max_score": 1.0, "hits": hits},
    }))
}

async fn get_doc(State(shared): Shared_, Path((index, id)): Path<(String, String)>) -> Response {
    let store = lock(&shared.store);
    let i = match store.index(&index) {
        Ok(i) => i,
        Err(e) => return error_response(&e),
    };
    match i.docs.get(&id) {
        Some(d) => ok(json!({
            "_index": index, "_id": id, "_version": d.version, "_seq_no": d.seq_no,
            "_primary_term": 1, "found": true, "_source": d.source,
        })),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"_index": index, "_id": id, "found": false})),
        )
            .into_response(),
    }
}

async fn bulk_all(State(shared): Shared_, headers: HeaderMap, body: Bytes) -> Response {
    bulk(&shared, None, &headers, &body)
}

async fn bulk_index(
    State(shared): Shared_,
    Path(index): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    bulk(&shared, Some(&index), &headers, &body)
}

fn bulk(
    shared: &Shared,
    default_index: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let started = Instant::now();
    if let Some(status) = lock(&shared.faults).next_bulk_status() {
        lock(&shared.stats).bulk_requests_failed += 1;
        let (kind, reason) = status_error(status);
        return error_response(&EsError::new(status, kind, reason));
    }
    let raw = match request_body(headers, body) {
        Ok(r) => r,
        Err(e) => return error_response(&e),
    };
    if raw.is_empty() {
        return error_response(&EsError::new(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: no requests added;",
        ));
    }
    if raw.last() != Some(&b'\n') {
        return error_response(&EsError::new(
            400,
            "illegal_argument_exception",
            "The bulk request must be terminated by a newline [\\n]",
        ));
    }
    // Parse every action first: a malformed action line fails the whole request.
    let mut parsed = Vec::new();
    let mut lines = raw
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    while let Some(line) = lines.next() {
        let action: Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(e) => {
                return error_response(&EsError::new(
                    400,
                    "x_content_parse_exception",
                    format!("Malformed action/metadata line: {e}"),
                ))
            }
        };
        let mut item = match parse_action(&action, default_index) {
            Ok(i) => i,
            Err(e) => return error_response(&e),
        };
        let mut source_error = None;
        if item.op.has_source() {
            let Some(src) = lines.next() else {
                return error_response(&EsError::new(
                    400,
                    "illegal_argument_exception",
                    "The bulk request must be terminated by a newline [\\n]",
                ));
            };
            match serde_json::from_slice::<Value>(src) {
                Ok(v) => item.source = Some(v),
                Err(e) => {
                    source_error = Some(EsError::new(
                        400,
                        "document_parsing_exception",
                        format!("[1:1] failed to parse: {e}"),
                    ))
                }
            }
        }
        parsed.push((item, source_error));
    }
    let mut items = Vec::with_capacity(parsed.len());
    let mut errors = false;
    let mut failed = 0u64;
    {
        let mut store = lock(&shared.store);
        let mut faults = lock(&shared.faults);
        for (item, source_error) in parsed {
            let op = item.op;
            let index = item.index.clone();
            let id = item.id.clone().unwrap_or_default();
            let injected = if faults.item_rules.is_empty() {
                None
            } else {
                faults.item_fault(&id)
            };
            let outcome_json = match (source_error, injected) {
                (Some(e), _) => {
                    errors = true;
                    failed += 1;
                    item_error(op, &index, &id, &e)
                }
                (None, Some(fault)) => {
                    errors = true;
                    failed += 1;
                    let e = injected_error(fault, &id);
                    if fault == ItemFault::VersionConflict {
                        store.version_conflicts += 1;
                    }
                    item_error(op, &index, &id, &e)
                }
                (None, None) => {
                    let o = store.execute(item);
                    match &o.error {
                        Some(e) => {
                            errors = true;
                            failed += 1;
                            item_error(op, &index, &o.id, e)
                        }
                        None => json!({ op.name(): {
                            "_index": index, "_id": o.id, "_version": o.version,
                            "result": o.result, "status": o.status,
                            "_shards": {"total": 1, "successful": 1, "failed": 0},
                            "_seq_no": 0, "_primary_term": 1,
                        }}),
                    }
                }
            };
            items.push(outcome_json);
        }
    }
    {
        let mut stats = lock(&shared.stats);
        stats.bulk_items += items.len() as u64;
        stats.bulk_items_failed += failed;
    }
    ok(json!({
        "took": started.elapsed().as_millis() as u64,
        "errors": errors,
        "items": items,
    }))
}

fn injected_error(fault: ItemFault, id: &str) -> EsError {
    match fault {
        ItemFault::MapperParsing => EsError::new(
            400,
            "mapper_parsing_exception",
            format!("failed to parse field [injected] of type [long] in document with id '{id}'. Preview of field's value: 'x'"),
        ),
        ItemFault::VersionConflict => EsError::new(
            409,
            "version_conflict_engine_exception",
            format!("[{id}]: version conflict, current version [2] is higher or equal to the one provided [1]"),
        ),
        ItemFault::Rejected => EsError::new(
            429,
            "es_rejected_execution_exception",
            "rejected execution of coordinating operation",
        ),
    }
}

fn item_error(op: OpType, index: &str, id: &str, e: &EsError) -> Value {
    json!({ op.name(): {
        "_index": index, "_id": id, "status": e.status, "error": e.item_json(index),
    }})
}

// ----- admin -----

#[derive(Deserialize)]
struct BulkFailures {
    status: u16,
    count: u64,
}

async fn admin_bulk_failures(State(shared): Shared_, Json(b): Json<BulkFailures>) -> Response {
    let mut f = lock(&shared.faults);
    f.bulk_status = b.status;
    f.bulk_failures = b.count;
    ok(json!({"acknowledged": true}))
}

#[derive(Deserialize)]
struct Storm {
    status: u16,
    permille: u32,
    #[serde(default)]
    seed: u64,
}

async fn admin_storm(State(shared): Shared_, Json(b): Json<Storm>) -> Response {
    let mut f = lock(&shared.faults);
    f.storm_status = b.status;
    f.storm_permille = b.permille.min(1000);
    f.seed(b.seed);
    ok(json!({"acknowledged": true}))
}

#[derive(Deserialize)]
struct Delay {
    ms: u64,
}

async fn admin_delay(State(shared): Shared_, Json(b): Json<Delay>) -> Response {
    lock(&shared.faults).delay = std::time::Duration::from_millis(b.ms);
    ok(json!({"acknowledged": true}))
}

async fn admin_item_faults(State(shared): Shared_, Json(b): Json<ItemFaultRule>) -> Response {
    lock(&shared.faults).item_rules.push(b);
    ok(json!({"acknowledged": true}))
}

#[derive(Deserialize)]
struct Version {
    number: String,
}

async fn admin_version(State(shared): Shared_, Json(b): Json<Version>) -> Response {
    *lock(&shared.version) = b.number;
    ok(json!({"acknowledged": true}))
}

async fn admin_reset(State(shared): Shared_, RawQuery(q): RawQuery) -> Response {
    *lock(&shared.faults) = Default::default();
    if query_param(q.as_deref(), "data").as_deref() == Some("true") {
        lock(&shared.store).indices.clear();
        *lock(&shared.stats) = Default::default();
    }
    ok(json!({"acknowledged": true}))
}

async fn admin_stats(State(shared): Shared_) -> Response {
    let mut stats = lock(&shared.stats).clone();
    stats.version_conflicts = lock(&shared.store).version_conflicts;
    let indices: Map<String, Value> = lock(&shared.store)
        .indices
        .iter()
        .map(|(k, v)| (k.clone(), json!(v.docs.len())))
        .collect();
    let mut body = serde_json::to_value(stats).unwrap_or_else(|_| json!({}));
    if let Some(o) = body.as_object_mut() {
        o.insert("indices".into(), Value::Object(indices));
    }
    ok(body)
}
