//! `/admin/loggers…` (Java's `LoggingResource`), backed by [`LoggerLevels`]: logger levels
//! kept as `tracing` filter directives and applied at run time through a reload hook (the
//! `EnvFilter` reload handle of the worker's subscriber).
//!
//! Logger names are `tracing` targets (Rust module paths such as `sluice_worker::rest`);
//! `root` is the default level. As in log4j, setting a namespace also sets every known
//! logger below it, and setting `root` sets every known logger.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tracing_subscriber::reload;
use tracing_subscriber::EnvFilter;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ErrorMessage, RestError, RestResult};
use super::extract::{JavaJson, LoggerLevelRequest};
use super::AppState;

/// Java's name of the root logger.
pub const ROOT_LOGGER: &str = "root";

/// `LoggerLevel`: `{"level": "INFO", "last_modified": <ms or null>}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoggerLevel {
    /// The log4j level name.
    pub level: String,
    /// When the level was last set through the API (epoch ms), `null` if never.
    pub last_modified: Option<i64>,
}

/// Applies a complete filter directive string (`info,sluice_worker::rest=debug`).
pub type ApplyFilter = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Why a level change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelError {
    /// Not a log4j level name (Java answers 404).
    #[error("invalid log level '{0}'.")]
    InvalidLevel(String),
    /// The filter rejected the directives (a logger name it cannot express).
    #[error("Could not apply the logging filter: {0}")]
    Apply(String),
}

#[derive(Debug, Clone)]
struct Levels {
    /// Logger name → (log4j level name, last modified). Always holds `root`.
    loggers: BTreeMap<String, LoggerLevel>,
}

/// The worker's logger levels and the hook that applies them to the tracing filter.
pub struct LoggerLevels {
    levels: Mutex<Levels>,
    apply: ApplyFilter,
}

impl std::fmt::Debug for LoggerLevels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggerLevels")
            .field("levels", &self.levels)
            .finish_non_exhaustive()
    }
}

/// The `tracing` level directive for a log4j level name (upper case), if it is one.
pub fn tracing_level(log4j: &str) -> Option<&'static str> {
    Some(match log4j {
        "OFF" => "off",
        "FATAL" | "ERROR" => "error",
        "WARN" => "warn",
        "INFO" => "info",
        "DEBUG" => "debug",
        "TRACE" | "ALL" => "trace",
        _ => return None,
    })
}

impl LoggerLevels {
    /// Levels starting from `initial` (an `EnvFilter` directive string such as
    /// `info,sluice_worker=debug`), applied through `apply`.
    pub fn new(initial: &str, apply: ApplyFilter) -> Self {
        let mut loggers = BTreeMap::new();
        let mut root = "INFO".to_string();
        for directive in initial.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            match directive.split_once('=') {
                Some((target, level)) => {
                    if let Some(l) = log4j_name(level) {
                        loggers.insert(
                            target.to_string(),
                            LoggerLevel {
                                level: l,
                                last_modified: None,
                            },
                        );
                    }
                }
                None => {
                    if let Some(l) = log4j_name(directive) {
                        root = l;
                    }
                }
            }
        }
        loggers.insert(
            ROOT_LOGGER.to_string(),
            LoggerLevel {
                level: root,
                last_modified: None,
            },
        );
        LoggerLevels {
            levels: Mutex::new(Levels { loggers }),
            apply,
        }
    }

    /// Levels that are tracked and reported but change no filter (tests, embedding).
    pub fn detached(initial: &str) -> Self {
        Self::new(initial, Box::new(|_| Ok(())))
    }

    /// Levels applied through the reload handle of the subscriber's `EnvFilter`.
    pub fn with_reload_handle<S: 'static>(
        initial: &str,
        handle: reload::Handle<EnvFilter, S>,
    ) -> Self {
        Self::new(
            initial,
            Box::new(move |directives| {
                let filter = EnvFilter::try_new(directives).map_err(|e| e.to_string())?;
                handle.reload(filter).map_err(|e| e.to_string())
            }),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Levels> {
        // A poisoned lock only means a panic elsewhere mid-update; the map is still usable.
        self.levels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every logger with a level (`GET /admin/loggers`).
    pub fn all(&self) -> BTreeMap<String, LoggerLevel> {
        self.lock().loggers.clone()
    }

    /// One logger's level, `None` if it is unknown.
    pub fn get(&self, name: &str) -> Option<LoggerLevel> {
        self.lock().loggers.get(name).cloned()
    }

    /// The current directive string.
    pub fn directives(&self) -> String {
        directives_of(&self.lock().loggers)
    }

    /// Sets `namespace` (and every known logger below it; everything for `root`) to
    /// `level`, applies the filter, and returns the affected logger names, sorted.
    pub fn set(&self, namespace: &str, level: &str) -> Result<Vec<String>, LevelError> {
        let upper = level.trim().to_ascii_uppercase();
        if tracing_level(&upper).is_none() {
            return Err(LevelError::InvalidLevel(level.to_string()));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let mut guard = self.lock();
        let mut next = guard.loggers.clone();
        let mut affected: Vec<String> = next
            .keys()
            .filter(|k| namespace == ROOT_LOGGER || k.starts_with(namespace))
            .cloned()
            .collect();
        if !affected.iter().any(|k| k == namespace) {
            affected.push(namespace.to_string());
        }
        affected.sort();
        for name in &affected {
            next.insert(
                name.clone(),
                LoggerLevel {
                    level: upper.clone(),
                    last_modified: Some(now),
                },
            );
        }
        (self.apply)(&directives_of(&next)).map_err(LevelError::Apply)?;
        guard.loggers = next;
        tracing::info!(logger = namespace, level = %upper, "logger level changed");
        Ok(affected)
    }
}

fn log4j_name(tracing_level: &str) -> Option<String> {
    let upper = tracing_level.trim().to_ascii_uppercase();
    tracing_level_ok(&upper).then_some(upper)
}

fn tracing_level_ok(upper: &str) -> bool {
    tracing_level(upper).is_some()
}

/// `root,target=level,…`, most specific last (EnvFilter picks the most specific anyway).
fn directives_of(loggers: &BTreeMap<String, LoggerLevel>) -> String {
    let root = loggers
        .get(ROOT_LOGGER)
        .and_then(|l| tracing_level(&l.level))
        .unwrap_or("info");
    let mut out = root.to_string();
    for (name, l) in loggers {
        if name == ROOT_LOGGER {
            continue;
        }
        if let Some(level) = tracing_level(&l.level) {
            out.push(',');
            out.push_str(name);
            out.push('=');
            out.push_str(level);
        }
    }
    out
}

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(loggers_list))
        .routes(routes!(logger_get, logger_put))
}

/// Every logger with a level.
#[utoipa::path(get, path = "/admin/loggers", tag = "admin",
    responses((status = 200, description = "Logger levels", body = BTreeMap<String, LoggerLevel>)))]
pub async fn loggers_list(State(state): State<AppState>) -> Json<BTreeMap<String, LoggerLevel>> {
    Json(state.loggers.all())
}

/// One logger's level.
#[utoipa::path(get, path = "/admin/loggers/{logger}", tag = "admin",
    params(("logger" = String, Path, description = "Logger name (`root` for the root logger)")),
    responses(
        (status = 200, description = "Level", body = LoggerLevel),
        (status = 404, description = "Unknown logger", body = ErrorMessage),
    ))]
pub async fn logger_get(
    State(state): State<AppState>,
    Path(logger): Path<String>,
) -> RestResult<Json<LoggerLevel>> {
    state
        .loggers
        .get(&logger)
        .map(Json)
        .ok_or_else(|| RestError::NotFound(format!("Logger {logger} not found.")))
}

/// Sets a logger's level. `scope=cluster` applies it to every worker (only this one in
/// standalone) and answers 204; the default `scope=worker` answers the affected loggers.
#[utoipa::path(put, path = "/admin/loggers/{logger}", tag = "admin",
    params(("logger" = String, Path, description = "Logger name (`root` for the root logger)"),
           ("scope" = Option<String>, Query, description = "`worker` (default) or `cluster`")),
    request_body = LoggerLevelRequest,
    responses(
        (status = 200, description = "Affected loggers", body = Vec<String>),
        (status = 204, description = "Applied cluster-wide"),
        (status = 400, description = "No level given", body = ErrorMessage),
        (status = 404, description = "Invalid level", body = ErrorMessage),
    ))]
pub async fn logger_put(
    State(state): State<AppState>,
    Path(logger): Path<String>,
    RawQuery(query): RawQuery,
    JavaJson(body): JavaJson<LoggerLevelRequest>,
) -> RestResult<Response> {
    let Some(level) = body.level.0 else {
        return Err(RestError::BadRequest(
            "Desired 'level' parameter was not specified in request.".to_string(),
        ));
    };
    let pairs: Vec<(String, String)> = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let cluster = pairs
        .iter()
        .any(|(k, v)| k == "scope" && v.eq_ignore_ascii_case("cluster"));
    let affected = state.loggers.set(&logger, &level).map_err(|e| match e {
        LevelError::InvalidLevel(_) => RestError::NotFound(e.to_string()),
        LevelError::Apply(_) => RestError::BadRequest(e.to_string()),
    })?;
    if cluster {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Ok(Json(affected).into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn initial_directives_and_namespaces() {
        let applied = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = applied.clone();
        let levels = LoggerLevels::new(
            "warn,sluice_worker=debug",
            Box::new(move |d| {
                sink.lock().unwrap().push(d.to_string());
                Ok(())
            }),
        );
        assert_eq!(levels.get("root").unwrap().level, "WARN");
        assert_eq!(levels.get("sluice_worker").unwrap().level, "DEBUG");
        assert_eq!(levels.get("sluice_worker").unwrap().last_modified, None);
        let affected = levels.set("sluice", "trace").unwrap();
        assert_eq!(
            affected,
            vec!["sluice".to_string(), "sluice_worker".to_string()]
        );
        assert_eq!(
            applied.lock().unwrap().last().unwrap(),
            "warn,sluice=trace,sluice_worker=trace"
        );
        assert!(levels.get("sluice").unwrap().last_modified.is_some());
        let all = levels.set("root", "ERROR").unwrap();
        assert_eq!(all, vec!["root", "sluice", "sluice_worker"]);
        assert_eq!(
            levels.directives(),
            "error,sluice=error,sluice_worker=error"
        );
        assert_eq!(
            levels.set("x", "LOUD"),
            Err(LevelError::InvalidLevel("LOUD".to_string()))
        );
    }

    #[test]
    fn a_refused_filter_changes_nothing() {
        let levels = LoggerLevels::new("info", Box::new(|_| Err("no".to_string())));
        assert!(matches!(
            levels.set("a", "DEBUG"),
            Err(LevelError::Apply(_))
        ));
        assert!(levels.get("a").is_none());
    }
}
