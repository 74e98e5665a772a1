//! One table or query being copied (Confluent's `BulkTableQuerier`,
//! `TimestampIncrementingTableQuerier` and `TimestampTableQuerier`): builds its statement,
//! runs it in a read transaction through a server-side cursor fetched `batch.max.rows` rows
//! at a time, turns rows into records, and tracks the offset.

use std::collections::VecDeque;
use std::sync::Arc;

use sluice_api::{ConnectError, ConnectRecord, Headers, OffsetMap, Origin, SourceRecord, Value};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Statement};
use tracing::{debug, info};

use super::config::{Mode, SourceConfig};
use super::discovery::{describe_columns, not_null_flags};
use super::offsets::{partition_query, partition_v0, partition_v1, Instant, Offset};
use super::params::{IncrementingParam, TimestampParam};
use super::sql::{pg_placeholder, statement, Criteria, Param, Source};
use super::types::{incrementing_value, ColumnInfo, DecodedRow, RowMapping};
use crate::jdbc::connection::describe;

const CURSOR: &str = "sluice_jdbc_source";

/// A querier's failure: a database error (the querier is reset and retried) or a data error
/// (the task fails).
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// An error from the database or the connection (`SQLException`).
    #[error("{}", describe(.0))]
    Sql(#[from] tokio_postgres::Error),
    /// Anything else (`ConnectException`/`DataException`).
    #[error("{0}")]
    Connect(#[from] ConnectError),
}

/// What identifies a result column's mapping: name, type oid, typmod, table oid, column.
type ColumnKey = (String, u32, i32, u32, i16);

/// The open result of one execution.
struct Running {
    fetch: Statement,
    fetch_size: usize,
    mapping: RowMapping,
    buffer: VecDeque<DecodedRow>,
    exhausted: bool,
    incrementing_field: Option<usize>,
    timestamp_fields: Vec<usize>,
}

/// A table or the query, with its offset.
pub struct Querier {
    /// What it reads.
    pub source: Source,
    mode: Mode,
    incrementing: Option<String>,
    timestamps: Vec<String>,
    criteria: Option<Criteria>,
    partition: Arc<OffsetMap>,
    topic: String,
    schema_name: Option<String>,
    offset: Offset,
    committed: Offset,
    running: Option<Running>,
    /// When the last execution finished (or failed); `None` before the first.
    pub last_update: Option<tokio::time::Instant>,
    /// Failed executions in a row.
    pub retries: u32,
    cached_columns: Option<(Vec<ColumnKey>, RowMapping)>,
}

impl Querier {
    /// A querier of `source` in `config.mode`, starting from `offset`.
    pub fn new(source: Source, config: &SourceConfig, offset: Offset) -> Querier {
        let mode = config.mode;
        let (partition, topic, schema_name, key) = match &source {
            Source::Table(t) => {
                let partition = if mode == Mode::Bulk {
                    partition_v0(t)
                } else {
                    partition_v1(t)
                };
                (
                    partition,
                    format!("{}{}", config.topic_prefix, t.table),
                    Some(t.table.clone()),
                    t.qualified(),
                )
            }
            Source::Query(_) => (
                partition_query(),
                config.topic_prefix.clone(),
                None,
                String::new(),
            ),
        };
        let incrementing = mode
            .uses_incrementing()
            .then(|| config.incrementing_column_for(&key));
        let timestamps = if mode.uses_timestamp() {
            config.timestamp_columns_for(&key)
        } else {
            Vec::new()
        };
        Querier {
            source,
            mode,
            incrementing,
            timestamps,
            criteria: None,
            partition: Arc::new(partition),
            topic,
            schema_name,
            offset,
            committed: offset,
            running: None,
            last_update: None,
            retries: 0,
            cached_columns: None,
        }
    }

    /// The running offset.
    pub fn offset(&self) -> Offset {
        self.offset
    }

    /// The topic records go to.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// True while a result is open (`querying()`).
    pub fn querying(&self) -> bool {
        self.running.is_some()
    }

    /// Forgets the open result; with `reset_offset`, goes back to the offset of the records
    /// already returned (`reset(now, resetOffset)`).
    pub fn reset(&mut self, reset_offset: bool) {
        self.running = None;
        if reset_offset {
            self.offset = self.committed;
        }
        self.last_update = Some(tokio::time::Instant::now());
    }

    async fn resolve_criteria(&mut self, client: &Client) -> Result<Criteria, QueryError> {
        if let Some(c) = &self.criteria {
            return Ok(c.clone());
        }
        let mut incrementing = self.incrementing.clone();
        if let (Some(""), Source::Table(t)) = (incrementing.as_deref(), &self.source) {
            let cols = describe_columns(client, t).await?;
            let found = cols.into_iter().find(|c| c.auto_increment).map(|c| c.name);
            match found {
                Some(c) => {
                    info!(table = %t, column = %c, "Auto-detected the incrementing column.");
                    incrementing = Some(c);
                }
                None => {
                    return Err(ConnectError::connect(format!(
                        "Incrementing column could not be detected in table '{}': it has no auto-increment (serial, identity or nextval default) column. Set incrementing.column.name.",
                        t.qualified()
                    ))
                    .into())
                }
            }
        }
        let c = Criteria {
            incrementing: incrementing.filter(|c| !c.is_empty()),
            timestamps: self.timestamps.clone(),
        };
        self.criteria = Some(c.clone());
        Ok(c)
    }

    /// Opens a new execution: BEGIN, DB now, DECLARE the cursor, prepare the FETCH.
    async fn start(&mut self, client: &Client, config: &SourceConfig) -> Result<(), QueryError> {
        let criteria = self.resolve_criteria(client).await?;
        let (sql, params) = statement(
            &self.source,
            &criteria,
            config.quote,
            &config.suffix,
            &pg_placeholder,
        );
        let begin = match config.isolation.sql() {
            Some(level) => format!("BEGIN ISOLATION LEVEL {level}"),
            None => "BEGIN".to_string(),
        };
        client.batch_execute(&begin).await?;
        let end = if params.contains(&Param::End) {
            let row = client.query_one("SELECT CURRENT_TIMESTAMP", &[]).await?;
            let now: Instant = row.try_get::<_, DbNow>(0)?.0;
            Instant::from_millis(now.millis() - config.timestamp_delay_ms)
        } else {
            Instant::EPOCH
        };
        let ts = |i: Instant| TimestampParam {
            instant: i,
            zone: config.zone.clone(),
        };
        let bound: Vec<Box<dyn ToSql + Sync + Send>> = params
            .iter()
            .map(|p| -> Box<dyn ToSql + Sync + Send> {
                match p {
                    Param::End => Box::new(ts(end)),
                    Param::Begin => Box::new(ts(self.offset.begin())),
                    Param::LastIncrementing => {
                        Box::new(IncrementingParam(self.offset.last_incrementing()))
                    }
                }
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = bound
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect();
        if config.query_masked {
            debug!("Executing the masked query.");
        } else {
            debug!(sql = %sql, "Executing.");
        }
        client
            .execute(
                &format!("DECLARE {CURSOR} NO SCROLL CURSOR FOR {sql}"),
                &refs,
            )
            .await?;
        let fetch = client
            .prepare(&format!(
                "FETCH FORWARD {} FROM {CURSOR}",
                config.batch_max_rows
            ))
            .await?;
        let mapping = self.mapping_for(client, config, fetch.columns()).await?;
        let find = |name: &str| -> Option<usize> {
            let fields = &mapping.schema.fields;
            fields.iter().position(|f| f.name == name).or_else(|| {
                let matches: Vec<usize> = fields
                    .iter()
                    .filter(|f| f.name.eq_ignore_ascii_case(name))
                    .map(|f| f.index)
                    .collect();
                (matches.len() == 1).then(|| matches[0])
            })
        };
        let field_names = || {
            mapping
                .schema
                .fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let incrementing_field = match &criteria.incrementing {
            Some(c) => Some(find(c).ok_or_else(|| {
                ConnectError::data(format!(
                    "Incrementing column {c} not found in {}",
                    field_names()
                ))
            })?),
            None => None,
        };
        let mut timestamp_fields = Vec::new();
        for c in &criteria.timestamps {
            let idx = find(c).ok_or_else(|| {
                ConnectError::data(format!(
                    "Timestamp column {c} not found in {}",
                    field_names()
                ))
            })?;
            if !mapping.columns[idx].1.is_timestamp() {
                return Err(ConnectError::data(format!(
                    "Timestamp column {c} is not a timestamp or timestamptz column"
                ))
                .into());
            }
            timestamp_fields.push(idx);
        }
        self.running = Some(Running {
            fetch,
            fetch_size: config.batch_max_rows,
            mapping,
            buffer: VecDeque::new(),
            exhausted: false,
            incrementing_field,
            timestamp_fields,
        });
        Ok(())
    }

    async fn mapping_for(
        &mut self,
        client: &Client,
        config: &SourceConfig,
        columns: &[tokio_postgres::Column],
    ) -> Result<RowMapping, QueryError> {
        let key: Vec<ColumnKey> = columns
            .iter()
            .map(|c| {
                (
                    c.name().to_string(),
                    c.type_().oid(),
                    c.type_modifier(),
                    c.table_oid().unwrap_or(0),
                    c.column_id().unwrap_or(0),
                )
            })
            .collect();
        if let Some((k, m)) = &self.cached_columns {
            if *k == key {
                return Ok(m.clone());
            }
        }
        let refs: Vec<(u32, i16)> = key
            .iter()
            .filter(|c| c.3 != 0 && c.4 > 0)
            .map(|c| (c.3, c.4))
            .collect();
        let flags = not_null_flags(client, &refs).await?;
        let infos: Vec<ColumnInfo> = columns
            .iter()
            .zip(&key)
            .map(|(c, k)| ColumnInfo {
                name: c.name().to_string(),
                ty: c.type_().clone(),
                typmod: c.type_modifier(),
                nullable: flags.get(&(k.3, k.4)).map(|nn| !nn),
            })
            .collect();
        let mapping = RowMapping::new(
            self.schema_name.as_deref(),
            &infos,
            config.numeric_mapping,
            config.zone.clone(),
            config.granularity,
            config.legacy_calendar,
        )?;
        self.cached_columns = Some((key, mapping.clone()));
        Ok(mapping)
    }

    /// Fills the buffer to at least `want` rows unless the cursor is exhausted.
    async fn fill(&mut self, client: &Client, want: usize) -> Result<(), QueryError> {
        let Some(run) = self.running.as_mut() else {
            return Ok(());
        };
        while run.buffer.len() < want && !run.exhausted {
            let rows = client.query(&run.fetch, &[]).await?;
            if rows.len() < run.fetch_size {
                run.exhausted = true;
            }
            for row in &rows {
                run.buffer.push_back(run.mapping.decode(row)?);
            }
        }
        Ok(())
    }

    /// Up to `max` records (`maybeStartQuery` + `next`/`extractRecord`). When the result is
    /// exhausted the transaction is committed and the querier goes back to waiting.
    pub async fn poll(
        &mut self,
        client: &Client,
        config: &SourceConfig,
        max: usize,
    ) -> Result<Vec<SourceRecord>, QueryError> {
        if self.running.is_none() {
            self.start(client, config).await?;
        }
        // The records returned by earlier calls are with the worker: their offset holds.
        self.committed = self.offset;
        let timestamp_only = self.mode == Mode::Timestamp;
        let mut out = Vec::new();
        while out.len() < max {
            self.fill(client, if timestamp_only { 2 } else { 1 })
                .await?;
            let Some(run) = self.running.as_mut() else {
                break;
            };
            let Some(row) = run.buffer.pop_front() else {
                break;
            };
            let ts = run.timestamp_fields.iter().find_map(|&i| row.instants[i]);
            let record_offset = match self.mode {
                Mode::Bulk | Mode::Unspecified => None,
                Mode::Timestamp => {
                    let next_ts = run
                        .buffer
                        .front()
                        .map(|n| run.timestamp_fields.iter().find_map(|&i| n.instants[i]));
                    let commit = match (ts, next_ts) {
                        (_, None) | (None, _) | (_, Some(None)) => true,
                        (Some(cur), Some(Some(next))) => cur < next,
                    };
                    if commit {
                        self.offset = Offset {
                            timestamp: ts,
                            incrementing: None,
                        };
                    }
                    Some(self.offset)
                }
                Mode::Incrementing | Mode::TimestampIncrementing => {
                    let incrementing = match run.incrementing_field {
                        Some(i) => {
                            let schema = &run.mapping.schema.fields[i].schema;
                            Some(incrementing_value(
                                row.value.get_index(i),
                                schema.schema_type.java_name(),
                            )?)
                        }
                        None => None,
                    };
                    self.offset = Offset {
                        timestamp: if run.timestamp_fields.is_empty() {
                            None
                        } else {
                            ts
                        },
                        incrementing,
                    };
                    Some(self.offset)
                }
            };
            out.push(self.record(row, record_offset));
        }
        let done = self
            .running
            .as_ref()
            .is_some_and(|r| r.exhausted && r.buffer.is_empty());
        if done {
            client.batch_execute("COMMIT").await?;
            self.reset(false);
            self.retries = 0;
        }
        Ok(out)
    }

    fn record(&self, row: DecodedRow, offset: Option<Offset>) -> SourceRecord {
        let schema = row.value.schema().clone();
        ConnectRecord {
            topic: Some(self.topic.clone()),
            kafka_partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: Some(schema),
            value: Value::Struct(row.value),
            timestamp: None,
            headers: Headers::new(),
            origin: Origin::Source {
                partition: Some(self.partition.clone()),
                offset: offset.map(|o| o.to_map().into()),
            },
        }
    }
}

/// `SELECT CURRENT_TIMESTAMP` (timestamptz) as an instant.
struct DbNow(Instant);

impl<'a> tokio_postgres::types::FromSql<'a> for DbNow {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let us = i64::from_be_bytes(raw.try_into()?);
        Ok(DbNow(Instant::from_micros(us + 946_684_800_000_000)))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMESTAMPTZ
    }
}
