//! `io.confluent.connect.elasticsearch.ElasticsearchSinkConnector`: validation (per key, across
//! keys, then the connection and server version), and task configs.

use std::sync::Arc;
use std::time::Duration;

use sluice_api::{
    ConfigDef, ConnectError, ConnectResult, Connector, ConnectorContext, Props, SinkConnector,
    SinkTask, ValidatedKey,
};

use super::client::{compare_versions, EsClient};
use super::config::{
    self, legacy_keys_in, EsSinkConfig, ExternalResourceUsage, CONNECTION_PASSWORD, CONNECTION_URL,
    CONNECTION_USERNAME, DATA_STREAM_DATASET, DATA_STREAM_TYPE, PROXY_HOST, PROXY_PASSWORD,
    PROXY_PORT, PROXY_USERNAME, SECURITY_PROTOCOL, TOPIC_TO_EXTERNAL_RESOURCE_MAPPING,
};
use super::task::ElasticsearchSinkTask;

/// The Java class name the connector answers to.
pub const CLASS: &str = "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector";

/// The Elasticsearch sink connector.
#[derive(Debug, Default)]
pub struct ElasticsearchSinkConnector {
    props: Props,
}

impl ElasticsearchSinkConnector {
    /// A new, unstarted connector.
    pub fn new() -> Self {
        Self::default()
    }
}

fn add_error(results: &mut [ValidatedKey], key: &str, msg: &str) {
    if let Some(r) = results.iter_mut().find(|r| r.name == key) {
        r.errors.push(msg.to_string());
    }
}

/// What the connection check found.
#[derive(Debug, Default)]
struct ConnectionFindings {
    /// `(key, message)` errors.
    errors: Vec<(String, String)>,
}

async fn check_connection(cfg: &EsSinkConfig) -> ConnectionFindings {
    let mut f = ConnectionFindings::default();
    let call_cap = capped(
        cfg.connection_timeout.saturating_add(cfg.read_timeout),
        VALIDATION_CALL_CAP,
    );
    let client = match EsClient::new(cfg) {
        Ok(c) => c.with_call_cap(call_cap),
        Err(e) => {
            f.errors.push((
                CONNECTION_URL.into(),
                format!("Failed to create client to verify connection. {e}"),
            ));
            return f;
        }
    };
    if let Err(e) = client.ping().await {
        let detail = format!("Error message: {e}");
        f.errors.push((
            CONNECTION_URL.into(),
            format!("Could not connect to Elasticsearch. {detail}"),
        ));
        if cfg.credentials.is_some() {
            let m = format!(
                "Could not authenticate the user. Check the '{CONNECTION_USERNAME}' and \
                 '{CONNECTION_PASSWORD}'. {detail}"
            );
            f.errors.push((CONNECTION_USERNAME.into(), m.clone()));
            f.errors.push((CONNECTION_PASSWORD.into(), m));
        }
        if cfg.tls.is_some() {
            f.errors.push((
                SECURITY_PROTOCOL.into(),
                format!("Could not connect to Elasticsearch. Check your SSL settings.{detail}"),
            ));
        }
        if let Some(p) = &cfg.proxy {
            let m =
                format!("Could not connect to Elasticsearch. Check your proxy settings. {detail}");
            f.errors.push((PROXY_HOST.into(), m.clone()));
            f.errors.push((PROXY_PORT.into(), m.clone()));
            if p.credentials.is_some() {
                f.errors.push((PROXY_USERNAME.into(), m.clone()));
                f.errors.push((PROXY_PASSWORD.into(), m));
            }
        }
        return f;
    }
    if let Some(version) = client.detect_version().await {
        if cfg.is_data_stream() && compare_versions(&version, "7.9.0").is_lt() {
            let m = format!(
                "Elasticsearch version {version} is not compatible with data streams. \
                 Elasticsearchversion must be at least 7.9.0."
            );
            for k in [CONNECTION_URL, DATA_STREAM_TYPE, DATA_STREAM_DATASET] {
                f.errors.push((k.into(), m.clone()));
            }
        }
        if compare_versions(&version, "7.0.0").is_lt() {
            f.errors.push((
                CONNECTION_URL.into(),
                format!(
                    "Connector version {} is not compatible with Elasticsearch version {version}. \
                     Elasticsearch version must be at least 7.0.0.",
                    sluice_api::SLUICE_VERSION
                ),
            ));
        }
    }
    if cfg.external_resource_usage != ExternalResourceUsage::Disabled {
        let kind = match cfg.external_resource_usage {
            ExternalResourceUsage::Index => "index",
            ExternalResourceUsage::DataStream => "datastream",
            ExternalResourceUsage::AliasIndex => "alias_index",
            ExternalResourceUsage::AliasDataStream => "alias_datastream",
            ExternalResourceUsage::Disabled => "disabled",
        };
        for resource in cfg.topic_to_resource.values() {
            match client.index_exists(resource).await {
                Ok(true) => {}
                Ok(false) => {
                    f.errors.push((
                        TOPIC_TO_EXTERNAL_RESOURCE_MAPPING.into(),
                        format!("{kind} '{resource}' does not exist in Elasticsearch"),
                    ));
                    break;
                }
                Err(e) => {
                    f.errors.push((
                        TOPIC_TO_EXTERNAL_RESOURCE_MAPPING.into(),
                        format!("Failed to check if {kind} '{resource}' exists: {}", e.error),
                    ));
                    break;
                }
            }
        }
    }
    f
}

/// The longest any single network call of `validate` may take (connect, send and read
/// together), whatever `connection.timeout.ms` and `read.timeout.ms` say.
pub const VALIDATION_CALL_CAP: Duration = Duration::from_secs(10);

/// The longest the whole connection check of `validate` may take.
pub const VALIDATION_TOTAL_CAP: Duration = Duration::from_secs(20);

/// A timeout no longer than `cap` (zero, "no timeout", counts as `cap`).
fn capped(timeout: Duration, cap: Duration) -> Duration {
    if timeout.is_zero() {
        cap
    } else {
        timeout.min(cap)
    }
}

/// Runs the async connection check from the synchronous `validate`, bounded: every call is
/// made once (no retries) and capped at [`VALIDATION_CALL_CAP`], the whole check at
/// [`VALIDATION_TOTAL_CAP`]. The check runs on a thread of its own with its own runtime, so it
/// works inside (e.g. from `spawn_blocking`) and outside a Tokio runtime and never nests one;
/// the caller waits for its answer at most the total cap.
fn check_connection_blocking(cfg: &EsSinkConfig) -> ConnectionFindings {
    let mut cfg = cfg.clone();
    cfg.max_retries = 0;
    cfg.connection_timeout = capped(cfg.connection_timeout, VALIDATION_CALL_CAP);
    cfg.read_timeout = capped(cfg.read_timeout, VALIDATION_CALL_CAP);
    let failed = |m: String| ConnectionFindings {
        errors: vec![(CONNECTION_URL.into(), m)],
    };
    let work = move || async move { check_connection(&cfg).await };
    match crate::isolated::run_isolated("es-validate", VALIDATION_TOTAL_CAP, work) {
        Ok(findings) => findings,
        Err(crate::isolated::IsolatedError::TimedOut(_)) => failed(total_cap_message()),
        Err(crate::isolated::IsolatedError::Start(e)) => {
            failed(format!("Failed to create client to verify connection. {e}"))
        }
    }
}

fn total_cap_message() -> String {
    format!(
        "Could not connect to Elasticsearch. Error message: the connection check did not finish \
         within {} s.",
        VALIDATION_TOTAL_CAP.as_secs()
    )
}

impl Connector for ElasticsearchSinkConnector {
    fn version(&self) -> String {
        sluice_api::SLUICE_VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }

    fn validate(&self, props: &Props) -> Vec<ValidatedKey> {
        let (mut results, cfg) = config::validate(props);
        if let Some(cfg) = cfg {
            for (k, m) in check_connection_blocking(&cfg).errors {
                add_error(&mut results, &k, &m);
            }
        }
        results
    }

    fn start(&mut self, props: &Props, _context: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
        EsSinkConfig::parse(props).map_err(|e| {
            ConnectError::connect(format!(
                "Couldn't start ElasticsearchSinkConnector due to configuration error: {e}"
            ))
        })?;
        let name = props.get("name").map_or("", String::as_str);
        for legacy in legacy_keys_in(props) {
            tracing::warn!(
                connector = name,
                key = legacy.key,
                "The configuration '{}' was supplied but isn't a known config: {}.",
                legacy.key,
                legacy.explanation
            );
        }
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok((0..max_tasks)
            .map(|i| {
                let mut p = self.props.clone();
                p.insert("taskId".into(), i.to_string());
                p
            })
            .collect())
    }

    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

impl SinkConnector for ElasticsearchSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(ElasticsearchSinkTask::new())
    }
}
