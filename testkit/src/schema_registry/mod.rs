//! An HTTP server that behaves like Confluent's Schema Registry for what Sluice's
//! AvroConverter and Confluent's clients (Java and Python) use: subjects, versions, schema ids
//! shared across subjects, lookups, compatibility levels with a BACKWARD/FORWARD/FULL check of
//! Avro schemas (409 `error_code` 409 when a registration breaks it), and the registry's 404
//! codes (40401 subject, 40402 version, 40403 schema). Routes are listed in [`http`].
//!
//! Start it in-process with [`SchemaRegistryTestServer::start`], or run the
//! `schema-registry-test-server` binary. Requests are counted ([`RegistryStats`]; also
//! `GET /_testkit/stats`), so tests can check that a converter calls the registry once per
//! schema and not per record.

pub mod compat;
pub mod http;
pub mod store;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use store::{RegistryError, Store, SubjectVersion};

/// Request counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RegistryStats {
    /// Every registry request (admin endpoints aside).
    pub requests: u64,
    /// `POST /subjects/{s}/versions`.
    pub registers: u64,
    /// `POST /subjects/{s}`.
    pub lookups: u64,
    /// `GET /schemas/ids/{id}`.
    pub schema_fetches: u64,
    /// `GET /subjects/{s}/versions/{v}`.
    pub version_fetches: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) stats: Mutex<RegistryStats>,
    pub(crate) last_authorization: Mutex<Option<String>>,
}

/// Locks a mutex, recovering the data of a poisoned one.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running test registry. Dropping it stops it.
#[derive(Debug)]
pub struct SchemaRegistryTestServer {
    url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl SchemaRegistryTestServer {
    /// Starts a server on `127.0.0.1` with a free port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0").await
    }

    /// Starts a server on `bind` (`host:port`).
    pub async fn start_on(bind: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let app = http::router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            let result = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "Schema Registry test server stopped with an error.");
            }
        });
        Ok(SchemaRegistryTestServer {
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

    /// Request counters.
    pub fn stats(&self) -> RegistryStats {
        lock(&self.shared.stats).clone()
    }

    /// The `Authorization` header of the last registry request (`None`: it had none).
    pub fn last_authorization(&self) -> Option<String> {
        lock(&self.shared.last_authorization).clone()
    }

    /// Runs `f` on the store (to inspect or seed it).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut lock(&self.shared.store))
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
}

impl Drop for SchemaRegistryTestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
