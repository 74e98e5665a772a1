//! `GET /openapi.json`: an OpenAPI 3.1 document of the whole API. It is generated from the
//! `#[utoipa::path]` annotations of the same handler list the router is built from
//! ([`super::api`]), so a route cannot exist without being documented.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorMessage;
use super::extract::CONNECTOR_CONFIG_SCHEMA;
use super::AppState;
use crate::plugins::{aliases, PluginRegistry};
use sluice_api::PluginType;

/// The document's fixed parts: info, tags, and the error schema every error response uses.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Sluice Kafka Connect REST API",
        description = "The Kafka Connect REST API as served by Sluice: Java Connect's paths, \
                       query parameters, status codes and JSON field names. Every error body \
                       is `ErrorMessage`."
    ),
    components(schemas(ErrorMessage)),
    tags(
        (name = "root", description = "Server info and health"),
        (name = "connectors", description = "Connectors and their tasks"),
        (name = "connector-plugins", description = "Installed plugins and config validation"),
        (name = "admin", description = "Logger levels"),
    )
)]
struct BaseDoc;

/// The fixed parts the handler paths are merged into.
pub fn base_document() -> OpenApi {
    let mut doc = <BaseDoc as utoipa::OpenApi>::openapi();
    doc.info.version = sluice_api::SLUICE_VERSION.to_string();
    doc
}

/// Lists the installed connector classes and their aliases as the values of
/// `connector.class` in the `ConnectorConfig` schema, so clients (and fuzzers) see which
/// classes this worker can run.
pub fn list_connector_classes(doc: &mut OpenApi, plugins: &PluginRegistry) {
    use utoipa::openapi::schema::Schema;
    use utoipa::openapi::RefOr;
    let mut names: Vec<String> = plugins
        .all()
        .iter()
        .filter(|p| {
            matches!(
                p.factory.plugin_type(),
                PluginType::Source | PluginType::Sink
            )
        })
        .flat_map(|p| {
            let mut n = vec![p.class.to_string()];
            n.extend(
                aliases(p)
                    .into_iter()
                    .filter(|a| plugins.find_connector(a).is_some()),
            );
            n
        })
        .collect();
    names.sort();
    names.dedup();
    let schema = doc
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut(CONNECTOR_CONFIG_SCHEMA));
    if let Some(RefOr::T(Schema::Object(config))) = schema {
        if let Some(RefOr::T(Schema::Object(class))) = config.properties.get_mut("connector.class")
        {
            class.enum_values = Some(names.into_iter().map(serde_json::Value::String).collect());
        }
    }
}

/// The serialized document, shared with the handler.
#[derive(Debug, Clone)]
pub struct OpenApiJson(Arc<Bytes>);

impl OpenApiJson {
    /// Serializes `doc` once.
    pub fn new(doc: &OpenApi) -> Self {
        // Serializing utoipa's own types cannot fail; an empty object keeps the route valid
        // should it ever.
        let json = doc.to_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not serialize the OpenAPI document");
            "{}".to_string()
        });
        OpenApiJson(Arc::new(Bytes::from(json)))
    }
}

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "root",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json(Extension(doc): Extension<OpenApiJson>) -> Response {
    ([(CONTENT_TYPE, "application/json")], Bytes::clone(&doc.0)).into_response()
}
