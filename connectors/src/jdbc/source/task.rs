//! `JdbcSourceTask`: checks the tables' columns, restores offsets (V1 partition, then the
//! legacy V0 one), and polls its queriers in turn, each at most every `poll.interval.ms`.

use std::time::Duration;

use async_trait::async_trait;
use sluice_api::{
    ConfigError, ConnectError, ConnectResult, OffsetMap, SourceRecord, SourceTask,
    SourceTaskContext,
};
use tracing::{error, info, warn};

use super::config::{full_match, Mode, SourceConfig};
use super::discovery::describe_columns;
use super::offsets::{partition_query, possible_partitions, Offset};
use super::querier::{Querier, QueryError};
use super::sql::Source;
use crate::jdbc::connection::{describe, CachedConnection};
use crate::jdbc::identifier::{QuoteMode, TableId};

/// The source task.
#[derive(Default)]
pub struct JdbcSourceTask {
    state: Option<State>,
}

struct State {
    config: SourceConfig,
    conn: CachedConnection,
    queriers: Vec<Querier>,
}

impl JdbcSourceTask {
    /// A new, unstarted task.
    pub fn new() -> Self {
        Self::default()
    }

    /// The running offset of each querier (for tests and logs).
    pub fn offsets(&self) -> Vec<Offset> {
        self.state
            .as_ref()
            .map(|s| s.queriers.iter().map(Querier::offset).collect())
            .unwrap_or_default()
    }
}

/// A table name from the task's `tables` as the PostgreSQL dialect parses it (lower-cased
/// with `quote.sql.identifiers=never`).
pub fn parse_table(name: &str, quote: QuoteMode) -> TableId {
    let mut t = TableId::parse(name);
    if quote == QuoteMode::Never {
        t.table = t.table.to_lowercase();
    }
    t
}

fn config_error(msg: impl Into<String>) -> ConnectError {
    ConnectError::Config(ConfigError::general(msg))
}

fn check_mappings(what: &str, regexes: &[String], tables: &[TableId]) -> ConnectResult<()> {
    for t in tables {
        let name = t.qualified();
        let n = regexes
            .iter()
            .filter(|r| full_match(r).is_ok_and(|re| re.is_match(&name)))
            .count();
        let problem = match n {
            0 => format!("Included table '{t}' does not match any of the provided regexes"),
            1 => continue,
            _ => format!("Included table '{t}' matches more than one of the provided regexes"),
        };
        return Err(ConnectError::connect(format!(
            "Error while validating {what} column mappings: {problem}"
        )));
    }
    Ok(())
}

async fn check_columns(
    client: &tokio_postgres::Client,
    config: &SourceConfig,
    table: &TableId,
) -> ConnectResult<()> {
    let key = table.qualified();
    let incrementing = config.incrementing_column_for(&key);
    let timestamps = config.timestamp_columns_for(&key);
    let cols = describe_columns(client, table).await.map_err(|e| {
        ConnectError::connect(format!(
            "Failed trying to validate that columns used for offsets exist: {}",
            describe(&e)
        ))
    })?;
    let shown = table.render(config.quote);
    let has = |c: &str| cols.iter().any(|x| x.name.eq_ignore_ascii_case(c));
    if config.mode.uses_incrementing() && !incrementing.is_empty() && !has(&incrementing) {
        return Err(config_error(format!(
            "Incrementing column: {incrementing} does not exist in table '{shown}'"
        )));
    }
    if config.mode.uses_timestamp() {
        let missing: Vec<&str> = timestamps
            .iter()
            .filter(|c| !has(c))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(config_error(format!(
                "Timestamp columns: {} do not exist in table '{shown}'",
                missing.join(", ")
            )));
        }
    }
    if !config.validate_non_null {
        return Ok(());
    }
    let nullable = |c: &str| {
        cols.iter()
            .find(|x| x.name.eq_ignore_ascii_case(c))
            .is_some_and(|x| !x.not_null)
    };
    if config.mode.uses_incrementing() && !incrementing.is_empty() && nullable(&incrementing) {
        return Err(ConnectError::connect(format!(
            "Cannot make incremental queries using incrementing column {incrementing} on {shown} because this column is nullable."
        )));
    }
    if config.mode.uses_timestamp()
        && !timestamps.is_empty()
        && timestamps.iter().all(|c| nullable(c))
    {
        return Err(ConnectError::connect(format!(
            "Cannot make incremental queries using timestamp columns {} on {shown} because all of these columns are nullable.",
            timestamps.join(",")
        )));
    }
    Ok(())
}

async fn stored_offset(
    context: &SourceTaskContext,
    partitions: &[OffsetMap],
) -> ConnectResult<Option<Offset>> {
    for p in partitions {
        if let Some(map) = context.offset_reader.offset(p).await? {
            info!(partition = ?p, offset = ?map, "Found a stored offset.");
            return Offset::from_map(&map)
                .map(Some)
                .map_err(|e| ConnectError::connect(format!("Invalid stored offset {map:?}: {e}")));
        }
    }
    Ok(None)
}

#[async_trait]
impl SourceTask for JdbcSourceTask {
    async fn start(&mut self, context: SourceTaskContext) -> ConnectResult<()> {
        let config = SourceConfig::parse(&context.config).map_err(|e| {
            config_error(format!(
                "Couldn't start JdbcSourceTask due to configuration error: {e}"
            ))
        })?;
        if config.tables.is_empty() && config.query.is_none() {
            if !config.tables_fetched {
                info!("Started JDBC source task. Waiting for DB tables to be fetched.");
                self.state = Some(State {
                    conn: CachedConnection::new(config.connection.clone()),
                    config,
                    queriers: Vec::new(),
                });
                return Ok(());
            }
            return Err(config_error("Task is being killed because it was not assigned a table nor a query to execute. If run in table mode please make sure that the tables exist on the database. If the table does exist on the database, we recommend using the fully qualified table name."));
        }
        if !config.tables.is_empty() && config.query.is_some() {
            return Err(config_error("Invalid configuration: a JdbcSourceTask cannot have both a table and a query assigned to it"));
        }
        let mut conn = CachedConnection::new(config.connection.clone());
        let tables: Vec<TableId> = config
            .tables
            .iter()
            .map(|t| parse_table(t, config.quote))
            .collect();
        if config.mode.uses_timestamp() && !config.timestamp_mapping.is_empty() {
            let regexes: Vec<String> = config
                .timestamp_mapping
                .iter()
                .map(|(r, _)| r.clone())
                .collect();
            check_mappings("timestamp", &regexes, &tables)?;
        }
        if config.mode.uses_incrementing() && !config.incrementing_mapping.is_empty() {
            let regexes: Vec<String> = config
                .incrementing_mapping
                .iter()
                .map(|(r, _)| r.clone())
                .collect();
            check_mappings("incrementing", &regexes, &tables)?;
        }
        let client = conn
            .get()
            .await
            .map_err(|e| ConnectError::connect(e.to_string()))?;
        for t in &tables {
            check_columns(client, &config, t).await?;
        }
        let with_offsets = !matches!(config.mode, Mode::Bulk | Mode::Unspecified);
        let sources: Vec<(Source, Vec<OffsetMap>)> = match &config.query {
            Some(q) => vec![(Source::Query(q.clone()), vec![partition_query()])],
            None => tables
                .iter()
                .map(|t| (Source::Table(t.clone()), possible_partitions(t).to_vec()))
                .collect(),
        };
        let mut queriers = Vec::new();
        if config.mode != Mode::Unspecified {
            for (source, partitions) in sources {
                let stored = if with_offsets {
                    stored_offset(&context, &partitions).await?
                } else {
                    None
                };
                let offset = match (stored, config.timestamp_initial) {
                    (Some(o), _) => o,
                    (None, Some(-1)) => {
                        let row = client
                            .query_one("SELECT CURRENT_TIMESTAMP", &[])
                            .await
                            .map_err(|e| {
                                ConnectError::connect(format!(
                                    "Error while getting initial timestamp from database: {}",
                                    describe(&e)
                                ))
                            })?;
                        let now: chrono::DateTime<chrono::Utc> = row.get(0);
                        Offset::initial(now.timestamp_millis())
                    }
                    (None, Some(ms)) => Offset::initial(ms),
                    (None, None) => Offset::default(),
                };
                queriers.push(Querier::new(source, &config, offset));
            }
        }
        info!(queriers = queriers.len(), "Started JDBC source task");
        self.state = Some(State {
            config,
            conn,
            queriers,
        });
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        let Some(state) = self.state.as_mut() else {
            return Err(ConnectError::connect("The JDBC source task is not started"));
        };
        let linger = state.config.poll_linger.max(Duration::from_millis(100));
        let deadline = tokio::time::Instant::now() + linger;
        if state.queriers.is_empty() {
            tokio::time::sleep(linger.min(Duration::from_secs(1))).await;
            return Ok(Vec::new());
        }
        loop {
            let now = tokio::time::Instant::now();
            // The querier in the middle of a result first, else the one that waited longest.
            let idx = state
                .queriers
                .iter()
                .position(Querier::querying)
                .unwrap_or_else(|| {
                    (0..state.queriers.len())
                        .min_by_key(|&i| state.queriers[i].last_update)
                        .unwrap_or(0)
                });
            let querier = &mut state.queriers[idx];
            if !querier.querying() {
                if let Some(last) = querier.last_update {
                    let due = last + state.config.poll_interval;
                    if due > now {
                        if now >= deadline {
                            return Ok(Vec::new());
                        }
                        tokio::time::sleep_until(due.min(deadline)).await;
                        continue;
                    }
                }
            }
            let client = state
                .conn
                .get()
                .await
                .map_err(|e| ConnectError::connect(e.to_string()))?;
            match querier
                .poll(client, &state.config, state.config.batch_max_rows)
                .await
            {
                Ok(records) if records.is_empty() => {
                    if tokio::time::Instant::now() >= deadline {
                        return Ok(records);
                    }
                }
                Ok(records) => return Ok(records),
                Err(QueryError::Connect(e)) => {
                    error!(table = ?querier.source, error = %e, "Failed to read from the database.");
                    return Err(e);
                }
                Err(QueryError::Sql(e)) => {
                    querier.reset(true);
                    querier.retries += 1;
                    error!(table = ?querier.source, attempt = querier.retries, error = %describe(&e), "SQL error while polling; the querier is reset and retried after poll.interval.ms.");
                    if client.is_closed() {
                        state.conn.close();
                    } else if let Err(r) = client.batch_execute("ROLLBACK").await {
                        warn!(error = %describe(&r), "Rollback failed; reconnecting.");
                        state.conn.close();
                    }
                    let max = state.config.query_retry_attempts;
                    if max > 0 && querier.retries as i64 >= i64::from(max) {
                        return Err(ConnectError::connect(format!(
                            "Failed to query table after retries: {}",
                            describe(&e)
                        )));
                    }
                    return Ok(Vec::new());
                }
            }
        }
    }

    /// Java's task does not override `commitRecord`.
    fn commits_records(&self) -> bool {
        false
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(mut s) = self.state.take() {
            s.conn.close();
        }
        Ok(())
    }
}
