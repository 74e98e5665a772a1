//! The Kafka Connect REST API (Java Connect's `ConnectorsResource` and friends), served by axum.
//!
//! Handlers are thin: each parses the request, calls one [`Herder`] method and maps the
//! result onto Java's status code and entity. Changes run on their own task ([`detached`]),
//! so a client that disconnects or times out never cancels one half way. Module map:
//!
//! * [`server`]: `listeners` / `admin.listeners` parsing, the advertised URL / worker id,
//!   binding and serving.
//! * [`tls`]: https listeners (rustls): the `listeners.https.` / `admin.listeners.https.`
//!   TLS settings, PKCS12 and PEM stores.
//! * [`filters`]: the cross-origin filter and the `response.http.headers.config` filter of
//!   the main listeners.
//! * [`error`]: [`RestError`], the one error type; every failure leaves as
//!   `{"error_code": N, "message": "…"}`.
//! * [`extract`]: the JSON body extractor and request entities with Java's leniency.
//! * [`connectors`], [`plugins`], [`root`], [`loggers`]: the resources, one file each as in
//!   Java (`ConnectorsResource`, `ConnectorPluginsResource`, `RootResource`,
//!   `LoggingResource`).
//! * [`internal`]: the endpoints workers call on each other (Java's
//!   `InternalConnectResource`): `POST /connectors/{c}/tasks`, `PUT /connectors/{c}/fence`.
//! * [`forward`]: forwarding a request to the leader (or owner) when the herder says this
//!   worker cannot complete it, and the client for requests between workers.
//! * [`signature`]: KIP-507 signing and verification of internal requests.
//! * [`openapi`]: `GET /openapi.json`, generated from the handler annotations, so the
//!   document and the router are built from the same list and cannot drift.
//! * [`config_dir`]: `--config-dir`: connector configs persisted as JSON files.
//! * [`metrics`]: `GET /metrics` (every listener, admin listeners included).
//!
//! Layers, outermost first: path normalization (Jersey accepts `/connectors/`), panic
//! catching (a panic still answers a JSON 500), request tracing, the body size limit, then
//! routing, whose 404 and 405 fallbacks answer Java's bodies.

pub mod basic_auth;
pub mod config_dir;
pub mod connectors;
pub mod error;
pub mod extract;
pub mod filters;
pub mod forward;
pub mod internal;
pub mod loggers;
pub mod metrics;
pub mod openapi;
pub mod plugins;
pub mod response;
pub mod root;
pub mod server;
pub mod signature;
pub mod tls;

#[cfg(test)]
mod tests;

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::herder::Herder;
use crate::plugins::PluginRegistry;

pub use error::{ErrorMessage, RestError, RestResult};
pub use loggers::LoggerLevels;
pub use server::{serve, ListenerUrl, RestConfig, RestConfigError, RestServeError, RestServer};
pub use tls::{TlsError, TlsSettings};

/// How long a handler waits for the herder before answering 500 `Request timed out. …`
/// (Java's `DEFAULT_REST_REQUEST_TIMEOUT_MS`).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// How long `GET /health` waits for the herder (Java's health check timeout).
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

/// The base keys every connector has (`ConnectorConfig` with `SourceConnectorConfig` or
/// `SinkConnectorConfig`), listed by `GET /connector-plugins/{p}/config` after the
/// connector's own keys. The runtime owns these definitions; the REST layer only lists them.
#[derive(Debug, Clone, Default)]
pub struct ConnectorBaseConfigs {
    /// Keys of every source connector.
    pub source: sluice_api::ConfigDef,
    /// Keys of every sink connector.
    pub sink: sluice_api::ConfigDef,
}

/// Whether the worker has finished starting (`GET /health` answers 503 until then).
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// A handle that is not ready yet.
    pub fn starting() -> Self {
        Readiness(Arc::new(AtomicBool::new(false)))
    }
    /// A handle that is ready already.
    pub fn ready() -> Self {
        Readiness(Arc::new(AtomicBool::new(true)))
    }
    /// Marks the worker ready.
    pub fn set_ready(&self) {
        self.0.store(true, Ordering::Release);
    }
    /// Whether the worker is ready.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Everything the handlers need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The herder every connector operation goes through.
    pub herder: Arc<dyn Herder>,
    /// The plugins, for `/connector-plugins`.
    pub plugins: Arc<PluginRegistry>,
    /// The base connector keys, for `/connector-plugins/{p}/config`.
    pub base_configs: Arc<ConnectorBaseConfigs>,
    /// Logger levels, for `/admin/loggers`.
    pub loggers: Arc<LoggerLevels>,
    /// Startup state, for `/health`.
    pub readiness: Readiness,
    /// The Kafka cluster id once known: it cannot change while the worker runs, and Java
    /// looks it up once at start too.
    pub cluster_id: Arc<tokio::sync::OnceCell<String>>,
    /// The client requests are forwarded to other workers with.
    pub rest_client: forward::RestClient,
    /// The worker's metrics, for `/metrics` (none: 404).
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
    /// `topic.tracking.enable` / `topic.tracking.allow.reset`, for the topic endpoints.
    pub topic_tracking: crate::config::worker::TopicTracking,
}

impl AppState {
    /// State over a herder and plugin registry, with no base connector keys, loggers that
    /// change nothing, and a worker that is ready.
    pub fn new(herder: Arc<dyn Herder>, plugins: Arc<PluginRegistry>) -> Self {
        AppState {
            herder,
            plugins,
            base_configs: Arc::new(ConnectorBaseConfigs::default()),
            loggers: Arc::new(LoggerLevels::detached("info")),
            readiness: Readiness::ready(),
            cluster_id: Arc::new(tokio::sync::OnceCell::new()),
            rest_client: forward::RestClient::new(),
            metrics: None,
            topic_tracking: Default::default(),
        }
    }

    /// The Kafka cluster id, asked of the herder until it gives a non-empty one.
    pub async fn kafka_cluster_id(&self) -> String {
        if let Some(id) = self.cluster_id.get() {
            return id.clone();
        }
        let id = self.herder.kafka_cluster_id().await;
        if !id.is_empty() {
            let _ = self.cluster_id.set(id.clone());
        }
        id
    }
    /// Sets the base connector keys.
    pub fn with_base_configs(mut self, base: ConnectorBaseConfigs) -> Self {
        self.base_configs = Arc::new(base);
        self
    }
    /// Sets the logger-level controller.
    pub fn with_loggers(mut self, loggers: Arc<LoggerLevels>) -> Self {
        self.loggers = loggers;
        self
    }
    /// Sets the client used to forward requests to other workers (e.g. one trusting the
    /// cluster's TLS certificates).
    pub fn with_rest_client(mut self, client: forward::RestClient) -> Self {
        self.rest_client = client;
        self
    }
    /// Sets the metrics registry `/metrics` renders.
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }
    /// Sets the topic endpoints' switches.
    pub fn with_topic_tracking(mut self, tracking: crate::config::worker::TopicTracking) -> Self {
        self.topic_tracking = tracking;
        self
    }
    /// Sets the readiness handle.
    pub fn with_readiness(mut self, readiness: Readiness) -> Self {
        self.readiness = readiness;
        self
    }
}

/// Java's 500 for a request the herder did not complete in time.
fn timeout_error() -> RestError {
    RestError::Timeout(format!(
        "The worker did not complete the request within {} seconds.",
        REQUEST_TIMEOUT.as_secs()
    ))
}

/// Runs a herder read under [`REQUEST_TIMEOUT`]. Reads may be dropped half way (the client
/// went away, the timeout passed): they change nothing.
pub(crate) async fn timed<T>(
    fut: impl std::future::Future<Output = crate::herder::HerderResult<T>>,
) -> RestResult<T> {
    match tokio::time::timeout(REQUEST_TIMEOUT, fut).await {
        Ok(r) => r.map_err(RestError::from),
        Err(_) => Err(timeout_error()),
    }
}

/// Runs a herder change to completion on its own task (Java runs it on the herder thread)
/// and waits for its result up to [`REQUEST_TIMEOUT`]. When the client disconnects (hyper
/// drops the handler) or the timeout passes (a 500 `Request timed out. …`, as Java), the
/// change still completes: it is never left half done.
pub(crate) async fn detached<T, Fut>(
    state: &AppState,
    op: impl FnOnce(Arc<dyn Herder>) -> Fut,
) -> RestResult<T>
where
    Fut: std::future::Future<Output = crate::herder::HerderResult<T>> + Send + 'static,
    T: Send + 'static,
{
    let task = tokio::spawn(op(state.herder.clone()));
    match tokio::time::timeout(REQUEST_TIMEOUT, task).await {
        Ok(Ok(r)) => r.map_err(RestError::from),
        Ok(Err(join)) => match join.try_into_panic() {
            Ok(panic) => {
                let detail = crate::runtime::panics::payload_message(&*panic);
                tracing::error!(panic = %detail, "Herder operation panicked");
                Err(RestError::Panic)
            }
            Err(e) => Err(RestError::Internal(format!("Herder operation failed: {e}"))),
        },
        Err(_) => {
            tracing::warn!(
                timeout_s = REQUEST_TIMEOUT.as_secs(),
                "Herder operation still running after the request timeout; it will complete in \
                 the background."
            );
            Err(timeout_error())
        }
    }
}

/// Which resources a listener serves, as decided by `admin.listeners`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resources {
    /// Every resource, `/admin/loggers` included (`admin.listeners` unset).
    All,
    /// Every resource but `/admin/loggers` (main listeners when `admin.listeners` is set,
    /// empty or not).
    Regular,
    /// Only `/admin/loggers` (an `admin.listeners` entry).
    Admin,
}

/// The router with every endpoint and the OpenAPI document generated from the same
/// handler list.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    api_for(Resources::All)
}

/// The router and OpenAPI document of `resources`.
pub fn api_for(resources: Resources) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut json_resources = OpenApiRouter::new();
    if resources != Resources::Admin {
        json_resources = json_resources
            .merge(connectors::routes())
            .merge(plugins::routes());
    }
    if resources != Resources::Regular {
        json_resources = json_resources.merge(loggers::routes());
    }
    let json_resources =
        json_resources.route_layer(axum::middleware::from_fn(extract::require_json));
    let mut api = OpenApiRouter::with_openapi(openapi::base_document());
    if resources != Resources::Admin {
        api = api
            .merge(root::routes())
            .merge(openapi::routes())
            .merge(internal::routes());
    }
    api.merge(json_resources).split_for_parts()
}

/// The complete application: routes, fallbacks and layers, ready to serve.
pub fn app(state: AppState) -> Router {
    app_for(state, Resources::All)
}

/// The application serving `resources`; any other path answers Java's 404 body.
pub fn app_for(state: AppState, resources: Resources) -> Router {
    let (router, mut doc) = api_for(resources);
    openapi::list_connector_classes(&mut doc, &state.plugins);
    router
        .merge(metrics::routes())
        .fallback(|| async { RestError::RouteNotFound })
        .method_not_allowed_fallback(|| async { RestError::MethodNotAllowed })
        .layer(axum::Extension(openapi::OpenApiJson::new(&doc)))
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

/// [`app`] behind trailing-slash normalization, which must run before routing: the service
/// the server runs and the in-process tests call.
pub fn service(state: AppState) -> NormalizePath<Router> {
    NormalizePathLayer::trim_trailing_slash().layer(app(state))
}

/// A handler panic becomes Java's 500 body; the panic text goes to the log only.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = crate::runtime::panics::payload_message(&*panic);
    tracing::error!(panic = %detail, "REST handler panicked");
    RestError::Panic.into_response()
}
