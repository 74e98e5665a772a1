//! `io.confluent.connect.jdbc.JdbcSinkConnector`: validation (every key, the delete/pk.mode
//! rule, then one connection attempt whose failure is an error on `connection.url`) and task
//! configs (the connector's config, once per task).

use std::sync::Arc;
use std::time::Duration;

use sluice_api::{
    ConfigDef, ConnectError, ConnectResult, Connector, ConnectorContext, Props, SinkConnector,
    SinkTask, ValidatedKey,
};

use super::config::{self, JdbcSinkConfig, CONNECTION_URL, DB_TIMEZONE};
use super::task::JdbcSinkTask;
use crate::jdbc::connection::describe;

/// The Java class name the connector answers to.
pub const CLASS: &str = "io.confluent.connect.jdbc.JdbcSinkConnector";

/// The longest the connection check of `validate` may take.
pub const VALIDATION_CAP: Duration = Duration::from_secs(10);

/// The JDBC sink connector.
#[derive(Debug, Default)]
pub struct JdbcSinkConnector {
    props: Props,
}

impl JdbcSinkConnector {
    /// A new, unstarted connector.
    pub fn new() -> Self {
        Self::default()
    }
}

/// `(key, message)` errors of the connection check.
async fn check_connection(cfg: &JdbcSinkConfig) -> Vec<(String, String)> {
    let client = match cfg.connection.connect_once().await {
        Ok(c) => c,
        Err(e) => {
            return vec![(
                CONNECTION_URL.to_string(),
                format!("Could not connect to database. {}", describe(&e)),
            )]
        }
    };
    match client.batch_execute(&cfg.db_zone.set_time_zone_sql()).await {
        Ok(()) => Vec::new(),
        Err(e) => vec![(
            DB_TIMEZONE.to_string(),
            format!(
                "Invalid value {:?} for configuration {DB_TIMEZONE}: {}",
                cfg.db_zone,
                describe(&e)
            ),
        )],
    }
}

/// Runs the check on a thread of its own with its own runtime (validate is synchronous and
/// may run inside or outside a Tokio runtime), bounded by [`VALIDATION_CAP`].
fn check_connection_blocking(cfg: &JdbcSinkConfig) -> Vec<(String, String)> {
    let cfg = cfg.clone();
    let timeout = || {
        vec![(
            CONNECTION_URL.to_string(),
            format!(
                "Could not connect to database. The connection attempt did not finish within {} s.",
                VALIDATION_CAP.as_secs()
            ),
        )]
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("jdbc-validate".into())
        .spawn(move || {
            let found = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => {
                    let found = rt.block_on(async {
                        tokio::time::timeout(VALIDATION_CAP, check_connection(&cfg))
                            .await
                            .unwrap_or_else(|_| timeout())
                    });
                    rt.shutdown_background();
                    found
                }
                Err(e) => vec![(
                    CONNECTION_URL.to_string(),
                    format!("Could not connect to database. {e}"),
                )],
            };
            let _ = tx.send(found);
        });
    if let Err(e) = spawned {
        return vec![(
            CONNECTION_URL.to_string(),
            format!("Could not connect to database. {e}"),
        )];
    }
    rx.recv_timeout(VALIDATION_CAP + Duration::from_secs(1))
        .unwrap_or_else(|_| timeout())
}

impl Connector for JdbcSinkConnector {
    fn version(&self) -> String {
        sluice_api::SLUICE_VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }

    fn validate(&self, props: &Props) -> Vec<ValidatedKey> {
        let (mut results, cfg) = config::validate(props);
        if let Some(cfg) = cfg {
            for (k, m) in check_connection_blocking(&cfg) {
                if let Some(r) = results.iter_mut().find(|r| r.name == k) {
                    r.errors.push(m);
                }
            }
        }
        results
    }

    fn start(&mut self, props: &Props, _context: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
        JdbcSinkConfig::parse(props).map_err(|e| {
            ConnectError::connect(format!(
                "Couldn't start JdbcSinkConnector due to configuration error: {e}"
            ))
        })?;
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        tracing::info!("Setting task configurations for {max_tasks} workers.");
        Ok((0..max_tasks).map(|_| self.props.clone()).collect())
    }

    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

impl SinkConnector for JdbcSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(JdbcSinkTask::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_an_error_on_connection_url() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let props: Props = [
            (
                "connection.url".to_string(),
                format!("jdbc:postgresql://127.0.0.1:{port}/x"),
            ),
            ("name".to_string(), "s".to_string()),
        ]
        .into_iter()
        .collect();
        let results = JdbcSinkConnector::new().validate(&props);
        let url = results.iter().find(|r| r.name == CONNECTION_URL).unwrap();
        assert_eq!(url.errors.len(), 1, "{results:?}");
        assert!(
            url.errors[0].starts_with("Could not connect to database. "),
            "{:?}",
            url.errors
        );
        assert!(results
            .iter()
            .filter(|r| r.name != CONNECTION_URL)
            .all(|r| r.errors.is_empty()));
    }
}
