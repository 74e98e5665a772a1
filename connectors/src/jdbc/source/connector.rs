//! `io.confluent.connect.jdbc.JdbcSourceConnector`: validation (keys, rules, connection,
//! query), the table monitor, and task configs.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use sluice_api::{
    ConfigDef, ConnectError, ConnectResult, Connector, ConnectorContext, Props, SourceConnector,
    SourceTask, ValidatedKey,
};
use tracing::{error, info, warn};

use super::config::{
    self, validate_rules, RulesOutcome, SourceConfig, QUERY, QUERY_MASKED, TABLES, TABLES_FETCHED,
};
use super::discovery::{group_partitions, list_tables, TableFilter};
use super::task::JdbcSourceTask;
use crate::jdbc::connection::{describe, CachedConnection, CONNECTION_URL};
use crate::jdbc::identifier::TableId;

/// The Java class name the connector answers to.
pub const CLASS: &str = "io.confluent.connect.jdbc.JdbcSourceConnector";

/// How long `validate` may spend on the database checks.
const VALIDATION_CAP: Duration = Duration::from_secs(30);

/// The tables the monitor last read (`None` until the first successful read).
type Tables = Arc<(Mutex<Option<Vec<TableId>>>, Condvar)>;

/// The JDBC source connector.
#[derive(Default)]
pub struct JdbcSourceConnector {
    props: Props,
    config: Option<SourceConfig>,
    tables: Tables,
    monitor: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
    context: Option<Arc<dyn ConnectorContext>>,
}

impl JdbcSourceConnector {
    /// A new, unstarted connector.
    pub fn new() -> Self {
        Self::default()
    }
}

fn add_error(results: &mut [ValidatedKey], key: &str, msg: String) {
    if let Some(r) = results.iter_mut().find(|r| r.name == key) {
        r.errors.push(msg);
    }
}

/// Runs `f` on a fresh current-thread runtime on its own thread (works inside and outside a
/// Tokio runtime, never nests one), waiting at most `cap`.
fn run_isolated<T: Send + 'static>(
    cap: Duration,
    f: impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>> + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("jdbc-source-validate".into())
        .spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                let out = rt.block_on(async move { tokio::time::timeout(cap, f()).await.ok() });
                rt.shutdown_background();
                let _ = tx.send(out);
            }
        });
    if spawned.is_err() {
        return None;
    }
    rx.recv().ok().flatten()
}

/// Connects once and prepares the query: `(key, message)` errors.
async fn check_database(cfg: SourceConfig) -> Vec<(String, String)> {
    let client = match cfg.connection.connect_once().await {
        Ok(c) => c,
        Err(e) => {
            return vec![(
                CONNECTION_URL.to_string(),
                format!("Could not connect to database. {}", describe(&e)),
            )]
        }
    };
    if let Some(q) = &cfg.query {
        if let Err(e) = client.prepare(q).await {
            let key = if cfg.query_masked {
                QUERY_MASKED
            } else {
                QUERY
            };
            let mut msg = "The configured query is not valid and has database/connection errors. Please provide the correct query by validating the query syntax and the existing table/column names with the database being connected".to_string();
            if let Some(db) = e.as_db_error() {
                msg.push_str(&format!(" (SQLState: {})", db.code().code()));
            }
            return vec![(key.to_string(), msg)];
        }
    }
    Vec::new()
}

/// One read of the table list: filtered, stored, and whether it changed.
async fn update_tables(
    conn: &mut CachedConnection,
    cfg: &SourceConfig,
    filter: &TableFilter,
    tables: &Tables,
) -> Result<bool, String> {
    let client = conn.get().await.map_err(|e| e.to_string())?;
    let all = match list_tables(client, cfg.schema_pattern.as_deref(), &cfg.table_types).await {
        Ok(all) => all,
        Err(e) => {
            conn.close();
            return Err(describe(&e));
        }
    };
    let selected = filter.apply(&all);
    let (lock, cv) = &**tables;
    let mut guard = lock.lock().unwrap_or_else(|p| p.into_inner());
    let changed = guard.as_ref() != Some(&selected);
    if changed {
        info!(
            tables = selected.len(),
            "The set of tables to copy changed."
        );
    }
    *guard = Some(selected);
    cv.notify_all();
    Ok(changed)
}

impl Connector for JdbcSourceConnector {
    fn version(&self) -> String {
        sluice_api::SLUICE_VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }

    fn validate(&self, props: &Props) -> Vec<ValidatedKey> {
        let mut results = config::config_def().validate(props);
        if validate_rules(props, &mut results) != RulesOutcome::TestConnection {
            return results;
        }
        let url_ok = results
            .iter()
            .any(|r| r.name == CONNECTION_URL && r.errors.is_empty());
        let Ok(cfg) = SourceConfig::parse(props) else {
            return results;
        };
        let findings = run_isolated(VALIDATION_CAP, move || Box::pin(check_database(cfg)))
            .unwrap_or_else(|| {
                vec![(
                    CONNECTION_URL.to_string(),
                    "Could not connect to database. The connection test did not finish in time."
                        .to_string(),
                )]
            });
        for (k, m) in findings {
            if k != CONNECTION_URL || url_ok {
                add_error(&mut results, &k, m);
            }
        }
        results
    }

    fn start(&mut self, props: &Props, context: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
        info!("Starting JDBC Source Connector");
        let cfg = SourceConfig::parse(props).map_err(|e| {
            ConnectError::connect(format!(
                "Couldn't start JdbcSourceConnector due to configuration error: {e}"
            ))
        })?;
        if cfg.query.is_some() && cfg.uses_table_filters() {
            return Err(ConnectError::connect(
                "query may not be combined with whole-table copying settings.",
            ));
        }
        self.props = props.clone();
        self.config = Some(cfg.clone());
        self.context = Some(context.clone());
        self.tables = Arc::new((Mutex::new(None), Condvar::new()));
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<(), String>>(1);
        let tables = self.tables.clone();
        let query_mode = cfg.query.is_some();
        let handle = std::thread::Builder::new()
            .name("jdbc-table-monitor".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let mut conn = CachedConnection::new(cfg.connection.clone());
                // Initial connection attempt (with connection.attempts).
                let first = rt.block_on(async { conn.get().await.map(|_| ()).map_err(|e| e.to_string()) });
                let failed = first.is_err();
                let _ = ready_tx.send(first);
                if failed || query_mode {
                    return;
                }
                info!("Starting thread to monitor tables.");
                let filter = TableFilter::new(&cfg);
                loop {
                    match rt.block_on(update_tables(&mut conn, &cfg, &filter, &tables)) {
                        Ok(true) => context.request_task_reconfiguration(),
                        Ok(false) => {}
                        Err(e) => error!(error = %e, "Error while trying to get updated table list, ignoring and waiting for next table poll interval"),
                    }
                    match stop_rx.recv_timeout(cfg.table_poll_interval) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
                conn.close();
                rt.shutdown_background();
            })
            .map_err(|e| ConnectError::connect(format!("Cannot start the table monitor: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = handle.join();
                return Err(ConnectError::connect(e));
            }
            Err(_) => {
                return Err(ConnectError::connect(
                    "The table monitor stopped unexpectedly",
                ))
            }
        }
        self.monitor = Some((stop_tx, handle));
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        let Some(cfg) = &self.config else {
            return Err(ConnectError::connect("The connector is not started"));
        };
        let with = |tables: String, fetched: bool| {
            let mut p = self.props.clone();
            p.insert(TABLES.to_string(), tables);
            p.insert(TABLES_FETCHED.to_string(), fetched.to_string());
            p
        };
        if cfg.query.is_some() {
            return Ok(vec![with(String::new(), true)]);
        }
        let (lock, cv) = &*self.tables;
        let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = cv
            .wait_timeout_while(guard, cfg.startup_limit, |t| t.is_none())
            .unwrap_or_else(|p| p.into_inner());
        let Some(current) = guard.clone() else {
            warn!(
                "The connector has not been able to read the list of tables from the database yet."
            );
            return Ok(vec![with(String::new(), false)]);
        };
        drop(guard);
        if current.is_empty() {
            warn!("No tables were found so there's no work to be done.");
            return Ok(vec![with(String::new(), true)]);
        }
        if let Some(msg) = TableFilter::new(cfg).duplicates_error(&current) {
            let e = ConnectError::connect(format!(
                "Encountered an unrecoverable error while reading tables from the database: {msg}"
            ));
            if let Some(ctx) = &self.context {
                ctx.raise_error(e.clone());
            }
            return Err(e);
        }
        let groups = group_partitions(&current, current.len().min(max_tasks.max(1)));
        Ok(groups
            .into_iter()
            .map(|g| {
                let rendered: Vec<String> = g.iter().map(|t| t.render(cfg.quote)).collect();
                with(rendered.join(","), true)
            })
            .collect())
    }

    fn stop(&mut self) -> ConnectResult<()> {
        info!("Stopping table monitoring thread");
        if let Some((stop, handle)) = self.monitor.take() {
            let _ = stop.send(());
            let _ = handle.join();
        }
        Ok(())
    }
}

impl SourceConnector for JdbcSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(JdbcSourceTask::new())
    }
}
