//! `/connector-plugins…` (Java's `ConnectorPluginsResource`): the plugin list, a plugin's
//! config keys, and config validation.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use sluice_api::{ConfigDef, Plugin, PluginFactory, PluginType};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::connectors::{add_null_errors, query_bool};
use super::error::{ErrorMessage, RestError, RestResult};
use super::extract::{ConfigBody, ConnectorConfigSchema, JavaJson};
use super::{timed, AppState};
use crate::herder::{ConfigInfos, ConfigKeyInfo, PluginInfo};

/// The version Java leaves out of `PluginInfo`.
const UNDEFINED_VERSION: &str = "undefined";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(plugins_list))
        .routes(routes!(plugin_config))
        .routes(routes!(plugin_validate))
}

/// Java's listing order: sinks, sources, transformations, predicates, converters, header
/// converters.
fn type_rank(t: PluginType) -> u8 {
    match t {
        PluginType::Sink => 0,
        PluginType::Source => 1,
        PluginType::Transformation => 2,
        PluginType::Predicate => 3,
        PluginType::Converter => 4,
        PluginType::HeaderConverter => 5,
    }
}

/// The plugin list, in Java's order (by type, then class name, then version), without
/// duplicates.
pub fn plugin_infos(plugins: &[Plugin], connectors_only: bool) -> Vec<PluginInfo> {
    let mut list: Vec<(u8, &Plugin)> = plugins
        .iter()
        .filter(|p| {
            !connectors_only
                || matches!(
                    p.factory.plugin_type(),
                    PluginType::Source | PluginType::Sink
                )
        })
        .map(|p| (type_rank(p.factory.plugin_type()), p))
        .collect();
    list.sort_by(|a, b| (a.0, a.1.class, a.1.version).cmp(&(b.0, b.1.class, b.1.version)));
    list.dedup_by(|a, b| (a.0, a.1.class, a.1.version) == (b.0, b.1.class, b.1.version));
    list.into_iter()
        .map(|(_, p)| PluginInfo {
            class_name: p.class.to_string(),
            plugin_type: p.factory.plugin_type().rest_name().to_string(),
            version: (p.version != UNDEFINED_VERSION).then(|| p.version.to_string()),
        })
        .collect()
}

/// Installed plugins: connectors only by default, every kind with `connectorsOnly=false`.
#[utoipa::path(get, path = "/connector-plugins", tag = "connector-plugins",
    params(("connectorsOnly" = Option<String>, Query, description = "Only list connectors unless `false`: like Java's `Boolean.valueOf`, any value but `true` (any case) is false; absent is true")),
    responses((status = 200, description = "Plugins", body = Vec<PluginInfo>)))]
pub async fn plugins_list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Json<Vec<PluginInfo>> {
    let pairs: Vec<(String, String)> = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let connectors_only = query_bool(&pairs, "connectorsOnly", true);
    Json(plugin_infos(state.plugins.all(), connectors_only))
}

/// The config definition of a plugin instance.
fn plugin_config_def(factory: &PluginFactory) -> ConfigDef {
    match factory {
        PluginFactory::Source(f) => f().config_def(),
        PluginFactory::Sink(f) => f().config_def(),
        PluginFactory::Converter(f) => f().config_def(),
        PluginFactory::HeaderConverter(f) => f().config_def(),
        PluginFactory::Transformation(f) => f().config_def(),
        PluginFactory::Predicate(f) => f().config_def(),
    }
}

/// A plugin's config keys; for connectors, followed by the base source or sink keys.
#[utoipa::path(get, path = "/connector-plugins/{plugin}/config", tag = "connector-plugins",
    params(("plugin" = String, Path, description = "Class name or alias")),
    responses(
        (status = 200, description = "Config keys", body = Vec<ConfigKeyInfo>),
        (status = 404, description = "Unknown plugin", body = ErrorMessage),
    ))]
pub async fn plugin_config(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
) -> RestResult<Json<Vec<ConfigKeyInfo>>> {
    let found = state
        .plugins
        .find_any(&plugin)
        .ok_or_else(|| RestError::NotFound(format!("Unknown plugin {plugin}.")))?;
    let own = plugin_config_def(&found.factory);
    let base = match found.factory.plugin_type() {
        PluginType::Source => Some(&state.base_configs.source),
        PluginType::Sink => Some(&state.base_configs.sink),
        _ => None,
    };
    let keys = own
        .keys()
        .iter()
        .chain(base.into_iter().flat_map(|b| b.keys().iter()))
        .map(ConfigKeyInfo::from)
        .collect();
    Ok(Json(keys))
}

/// Java's `normalizedPluginName`: a trailing `Connector` is dropped.
fn normalized(name: &str) -> &str {
    match name.strip_suffix("Connector") {
        Some(rest) if !rest.is_empty() => rest,
        _ => name,
    }
}

/// Validates a connector config: a result for every key, 200 even when errors are found.
#[utoipa::path(put, path = "/connector-plugins/{plugin}/config/validate", tag = "connector-plugins",
    params(("plugin" = String, Path, description = "Connector class name or alias")),
    request_body = ConnectorConfigSchema,
    responses(
        (status = 200, description = "Validation result", body = ConfigInfos),
        (status = 400, description = "No or mismatched connector.class", body = ErrorMessage),
        (status = 500, description = "Unknown connector class", body = ErrorMessage),
    ))]
pub async fn plugin_validate(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
    JavaJson(body): JavaJson<ConfigBody>,
) -> RestResult<Json<ConfigInfos>> {
    let (config, nulls) = body.split_nulls();
    if let Some(class) = config.get("connector.class") {
        if !normalized(class).ends_with(normalized(&plugin)) {
            return Err(RestError::BadRequest(format!(
                "Included connector type {class} does not match request type {plugin}"
            )));
        }
    }
    let mut infos = timed(state.herder.validate_connector_config(config)).await?;
    add_null_errors(&mut infos, &nulls);
    Ok(Json(infos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_matches_java() {
        assert_eq!(normalized("FileStreamSinkConnector"), "FileStreamSink");
        assert_eq!(normalized("Connector"), "Connector");
        assert!(
            normalized("org.apache.kafka.connect.file.FileStreamSinkConnector")
                .ends_with(normalized("FileStreamSink"))
        );
        assert!(!normalized("a.FileStreamSourceConnector").ends_with(normalized("FileStreamSink")));
    }
}
