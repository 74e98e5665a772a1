//! `GET /metrics`: the worker's metrics in the Prometheus (OpenMetrics) text format.
//!
//! Served on the main listeners and, when `admin.listeners` is set, on the admin listeners
//! too (like `/admin/loggers`, scrapers are often kept off the public port). Basic
//! authentication applies on the main listeners as to every other resource. With
//! `sluice.metrics.enabled=false` the path answers Java's 404.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::{AppState, RestError};
use crate::metrics::render::CONTENT_TYPE as OPENMETRICS;

/// The route, for every kind of listener.
pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

/// Renders the registry (off the runtime threads: reading `/proc` and encoding block).
async fn scrape(State(state): State<AppState>) -> Response {
    let Some(metrics) = state.metrics.filter(|m| m.enabled()) else {
        return RestError::RouteNotFound.into_response();
    };
    match tokio::task::spawn_blocking(move || metrics.render()).await {
        Ok(text) => ([(CONTENT_TYPE, OPENMETRICS)], text).into_response(),
        Err(e) => RestError::Internal(format!("Could not render the metrics: {e}")).into_response(),
    }
}
