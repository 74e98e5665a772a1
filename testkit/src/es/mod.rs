//! An HTTP server that behaves like Elasticsearch for what Sluice's Elasticsearch sink uses.
//!
//! Speaks `GET|HEAD /`, `PUT|HEAD|GET|DELETE /{index}`, `GET|PUT /{index}/_mapping`,
//! `PUT /_data_stream/{name}`, `POST /_bulk` and `/{index}/_bulk` (NDJSON `index`, `create`,
//! `update`, `delete` with per-item status and error, a top-level `errors` flag, external
//! versioning with version conflicts), `/{index}/_refresh`, `/{index}/_count`,
//! `/{index}/_search` (`match_all`, `term`, `ids`) and `GET /{index}/_doc/{id}`. Documents are
//! checked against the index mapping (type mismatches answer `mapper_parsing_exception`,
//! `"dynamic":"strict"` answers `strict_dynamic_mapping_exception`) and unknown fields get
//! dynamic mappings.
//!
//! Faults are injected through this type's methods or, for the `es-test-server` binary,
//! through admin endpoints under `/_testkit/` (see [`http`]'s module documentation).

pub mod faults;
pub mod http;
pub mod store;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{ItemFault, ItemFaultRule};
pub use store::StoredDoc;

use faults::Faults;
use store::Store;

/// The Elasticsearch version `GET /` reports unless told otherwise.
pub const DEFAULT_VERSION: &str = "8.15.0";

/// How many requests [`EsTestServer::requests`] keeps (the most recent).
const REQUEST_LOG_CAPACITY: usize = 10_000;

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestLog {
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// `Accept` header.
    pub accept: Option<String>,
    /// `Authorization` header.
    pub authorization: Option<String>,
    /// `Content-Encoding` header.
    pub content_encoding: Option<String>,
}

/// Counters of what the server did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerStats {
    /// Bulk requests received (including those failed on purpose).
    pub bulk_requests: u64,
    /// Bulk requests answered with an injected whole-request failure.
    pub bulk_requests_failed: u64,
    /// Bulk items executed (not counting requests failed as a whole).
    pub bulk_items: u64,
    /// Bulk items that failed (real or injected).
    pub bulk_items_failed: u64,
    /// Version conflicts answered (real or injected).
    pub version_conflicts: u64,
    /// The most bulk requests ever in progress at the same time.
    pub max_concurrent_bulks: u64,
}

/// State shared by the HTTP handlers and the library API.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) stats: Mutex<ServerStats>,
    pub(crate) requests: Mutex<VecDeque<RequestLog>>,
    pub(crate) version: Mutex<String>,
    pub(crate) bulks_in_flight: AtomicU64,
}

/// Locks a mutex, recovering the data of a poisoned one (a panicking test thread must not
/// take the server down with it).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn new(version: &str) -> Self {
        Shared {
            version: Mutex::new(version.to_string()),
            ..Shared::default()
        }
    }

    pub(crate) fn bulk_started(&self) {
        let now = self.bulks_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let mut stats = lock(&self.stats);
        stats.bulk_requests += 1;
        stats.max_concurrent_bulks = stats.max_concurrent_bulks.max(now);
    }

    pub(crate) fn bulk_finished(&self) {
        self.bulks_in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    pub(crate) fn log_request(&self, entry: RequestLog) {
        let mut log = lock(&self.requests);
        if log.len() >= REQUEST_LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(entry);
    }
}

/// A running test server. Dropping it stops it.
#[derive(Debug)]
pub struct EsTestServer {
    url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl EsTestServer {
    /// Starts a server on `127.0.0.1` with a free port, reporting [`DEFAULT_VERSION`].
    pub async fn start() -> std::io::Result<EsTestServer> {
        Self::start_on("127.0.0.1:0", DEFAULT_VERSION).await
    }

    /// Starts a server reporting `version` in `GET /` (e.g. `7.17.0` to test the sink without
    /// compatibility headers).
    pub async fn start_with_version(version: &str) -> std::io::Result<EsTestServer> {
        Self::start_on("127.0.0.1:0", version).await
    }

    /// Starts a server on `bind` (`host:port`).
    pub async fn start_on(bind: &str, version: &str) -> std::io::Result<EsTestServer> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(version));
        let app = http::router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            let result = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "Elasticsearch test server stopped with an error.");
            }
        });
        Ok(EsTestServer {
            url: format!("http://{addr}"),
            addr,
            shared,
            shutdown: Some(tx),
            handle: Some(handle),
        })
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits until it is down.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }

    // ----- inspection -----

    /// Names of every index and data stream.
    pub fn index_names(&self) -> Vec<String> {
        lock(&self.shared.store).indices.keys().cloned().collect()
    }

    /// True when the index exists.
    pub fn index_exists(&self, index: &str) -> bool {
        lock(&self.shared.store).indices.contains_key(index)
    }

    /// Number of documents in an index (0 when it does not exist).
    pub fn count(&self, index: &str) -> usize {
        lock(&self.shared.store)
            .indices
            .get(index)
            .map_or(0, |i| i.docs.len())
    }

    /// One document.
    pub fn get(&self, index: &str, id: &str) -> Option<StoredDoc> {
        lock(&self.shared.store)
            .indices
            .get(index)
            .and_then(|i| i.docs.get(id).cloned())
    }

    /// Every document of an index, by id.
    pub fn docs(&self, index: &str) -> Vec<(String, StoredDoc)> {
        lock(&self.shared.store)
            .indices
            .get(index)
            .map(|i| i.docs.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// The `mappings` object of an index.
    pub fn mapping(&self, index: &str) -> Option<Value> {
        lock(&self.shared.store)
            .indices
            .get(index)
            .map(|i| Value::Object(i.mappings.clone()))
    }

    /// True when `name` is a data stream.
    pub fn is_data_stream(&self, name: &str) -> bool {
        lock(&self.shared.store)
            .indices
            .get(name)
            .is_some_and(|i| i.data_stream)
    }

    /// Counters.
    pub fn stats(&self) -> ServerStats {
        let mut stats = lock(&self.shared.stats).clone();
        stats.version_conflicts = lock(&self.shared.store).version_conflicts;
        stats
    }

    /// The most recent requests (up to 10 000), oldest first.
    pub fn requests(&self) -> Vec<RequestLog> {
        lock(&self.shared.requests).iter().cloned().collect()
    }

    // ----- setup and faults -----

    /// Creates an index with a `{"settings":…,"mappings":…}` body.
    pub fn create_index(&self, index: &str, body: &Value) -> Result<(), String> {
        lock(&self.shared.store)
            .create_index(index, body)
            .map_err(|e| e.reason)
    }

    /// Sets the version `GET /` reports.
    pub fn set_version(&self, version: &str) {
        *lock(&self.shared.version) = version.to_string();
    }

    /// The next `count` bulk requests answer `status` (429, 500, 503, …) as a whole.
    pub fn fail_next_bulks(&self, status: u16, count: u64) {
        let mut f = lock(&self.shared.faults);
        f.bulk_status = status;
        f.bulk_failures = count;
    }

    /// About `permille`/1000 of all bulk requests answer `status` as a whole, chosen by a
    /// deterministic generator seeded with `seed`; 0 ends the storm.
    pub fn storm(&self, status: u16, permille: u32, seed: u64) {
        let mut f = lock(&self.shared.faults);
        f.storm_status = status;
        f.storm_permille = permille.min(1000);
        f.seed(seed);
    }

    /// Delays every response by `delay`.
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.shared.faults).delay = delay;
    }

    /// Items whose `_id` contains `id_contains` fail with `fault`, `times` times (`None`:
    /// always).
    pub fn fail_items(&self, id_contains: &str, fault: ItemFault, times: Option<u64>) {
        lock(&self.shared.faults).item_rules.push(ItemFaultRule {
            id_contains: id_contains.to_string(),
            fault,
            remaining: times,
        });
    }

    /// Removes every fault and the delay.
    pub fn clear_faults(&self) {
        *lock(&self.shared.faults) = Faults::default();
    }
}

impl Drop for EsTestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
