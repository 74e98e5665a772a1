//! Confluent's `JdbcDbWriter`: records prepared (validated, their columns extracted, their
//! values bound) before any SQL runs, then written per destination table inside one
//! transaction that is committed once per `put`.
//!
//! Batching: INSERT and upsert batches go out as multi-row `INSERT … VALUES (…),(…)`
//! statements (at most 65,535 parameters each); an upsert batch keeps only the last record of
//! each key (one statement may not touch a row twice; the table ends up as after executing
//! the records one by one). UPDATE and DELETE statements run once per record, pipelined.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use sluice_api::{SchemaRef, SinkRecord};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};
use tracing::{debug, info, warn};

use super::bind::{BindSettings, Declared, SqlValue};
use super::buffer::{same_schema, TableBuffer};
use super::config::{InsertMode, JdbcSinkConfig, PkMode, DB_TIMEZONE};
use super::dialect::{Dialect, Placeholders};
use super::error::WriteError;
use super::fields::{FieldRules, FieldsMetadata};
use super::structure::{DbStructure, TableDefinition};
use super::validate::validate_record;
use crate::jdbc::connection::{describe, redact};
use crate::jdbc::identifier::{QuoteMode, TableId};

/// PostgreSQL's limit of parameters per statement.
pub const MAX_PARAMETERS: usize = 65_535;

/// A record ready to be written.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The destination as `table.name.format` gives it (schema filled in when written).
    pub table: TableId,
    /// Its columns.
    pub fields: Arc<FieldsMetadata>,
    /// Key schema.
    pub key_schema: Option<SchemaRef>,
    /// Value schema (`None` for a tombstone).
    pub value_schema: Option<SchemaRef>,
    /// The statement parameters.
    pub row: Vec<SqlValue>,
    /// A tombstone that becomes a DELETE.
    pub delete: bool,
}

struct Session {
    client: Client,
    schema: Option<String>,
    max_identifier_length: usize,
}

struct FieldsCacheEntry {
    table: String,
    key: Option<SchemaRef>,
    value: Option<SchemaRef>,
    fields: Arc<FieldsMetadata>,
}

/// The writer of one task.
pub struct JdbcWriter {
    config: Arc<JdbcSinkConfig>,
    dialect: Dialect,
    bind: BindSettings,
    structure: DbStructure,
    session: Option<Session>,
    statements: HashMap<(String, Vec<Declared>), Statement>,
    fields_cache: Option<FieldsCacheEntry>,
    /// The last topic's destination table (most puts hold records of one topic).
    last_destination: Option<(String, TableId)>,
}

struct TableState {
    table: TableId,
    buffer: TableBuffer,
    fields: Option<Arc<FieldsMetadata>>,
    defn: Option<TableDefinition>,
}

impl JdbcWriter {
    /// A writer that connects on first use.
    pub fn new(config: Arc<JdbcSinkConfig>) -> JdbcWriter {
        JdbcWriter {
            dialect: Dialect::new(config.quote, config.timestamp_fields.clone()),
            bind: BindSettings::from_config(&config),
            config,
            structure: DbStructure::new(),
            session: None,
            statements: HashMap::new(),
            fields_cache: None,
            last_destination: None,
        }
    }

    /// Drops the connection and every cache (`closeQuietly` + a new writer).
    pub fn close(&mut self) {
        self.session = None;
        self.statements.clear();
        self.structure.clear();
    }

    /// `destinationTable` without the schema: `table.name.format` with `${topic}` replaced.
    pub fn destination(&self, topic: &str) -> Result<TableId, WriteError> {
        let name = self.config.table_name_format.replace("${topic}", topic);
        if name.is_empty() {
            return Err(WriteError::Connect(format!(
                "Destination table name for topic '{topic}' is empty using the format string '{}'",
                self.config.table_name_format
            )));
        }
        let mut id = TableId::parse(&name);
        if self.config.quote == QuoteMode::Never {
            id.table = id.table.to_lowercase();
        }
        Ok(id)
    }

    /// Validates a record, extracts its columns and binds its values: a [`WriteError::Record`]
    /// is about this record alone.
    pub fn prepare(&mut self, record: &SinkRecord) -> Result<Prepared, WriteError> {
        let topic = record.topic_name();
        let table = match &self.last_destination {
            Some((last, table)) if last == topic => table.clone(),
            _ => {
                let table = self.destination(topic)?;
                self.last_destination = Some((topic.to_string(), table.clone()));
                table
            }
        };
        validate_record(&self.config, record).map_err(WriteError::Record)?;
        let fields = self.fields_for(&table.table, record)?;
        let delete = record.value.is_null();
        if delete && !self.config.delete_enabled {
            return Err(WriteError::Record(
                "Tombstone records need delete.enabled=true".to_string(),
            ));
        }
        let row = self
            .bind
            .bind_record(
                record,
                &fields,
                self.config.pk_mode,
                self.config.insert_mode,
                delete,
            )
            .map_err(WriteError::Record)?;
        Ok(Prepared {
            table,
            fields,
            key_schema: record.key_schema.clone(),
            value_schema: record.value_schema.clone(),
            row,
            delete,
        })
    }

    fn fields_for(
        &mut self,
        table: &str,
        record: &SinkRecord,
    ) -> Result<Arc<FieldsMetadata>, WriteError> {
        if let Some(c) = &self.fields_cache {
            if c.table == table
                && same_schema(c.key.as_ref(), record.key_schema.as_ref())
                && same_schema(c.value.as_ref(), record.value_schema.as_ref())
            {
                return Ok(c.fields.clone());
            }
        }
        let rules = FieldRules {
            pk_mode: self.config.pk_mode,
            pk_fields: &self.config.pk_fields,
            whitelist: &self.config.fields_whitelist,
            string_value_column: &self.config.string_value_column,
        };
        let fields = Arc::new(
            FieldsMetadata::extract(
                table,
                rules,
                record.key_schema.as_ref(),
                record.value_schema.as_ref(),
            )
            .map_err(WriteError::Record)?,
        );
        self.fields_cache = Some(FieldsCacheEntry {
            table: table.to_string(),
            key: record.key_schema.clone(),
            value: record.value_schema.clone(),
            fields: fields.clone(),
        });
        Ok(fields)
    }

    async fn session(&mut self) -> Result<&Session, WriteError> {
        if self.session.as_ref().is_some_and(|s| s.client.is_closed()) {
            warn!(url = %redact(&self.config.connection.url), "The database connection was closed; reconnecting.");
            self.close();
        }
        if self.session.is_none() {
            let client = self
                .config
                .connection
                .connect()
                .await
                .map_err(|e| WriteError::Sql(e.to_string()))?;
            client
                .batch_execute(&self.config.db_zone.set_time_zone_sql())
                .await
                .map_err(|e| {
                    WriteError::Connect(format!(
                        "Invalid value {:?} for configuration {DB_TIMEZONE}: {}",
                        self.config.db_zone,
                        describe(&e)
                    ))
                })?;
            let row = client
                .query_one(
                    "SELECT current_schema()::text, length(repeat('1234567890', 1000)::NAME)",
                    &[],
                )
                .await?;
            let schema: Option<String> = row.get(0);
            let max: i32 = row.get(1);
            info!(schema = ?schema, max_identifier_length = max, "JdbcDbWriter Connected");
            self.session = Some(Session {
                client,
                schema,
                max_identifier_length: if max > 0 { max as usize } else { usize::MAX },
            });
        }
        self.session
            .as_ref()
            .ok_or_else(|| WriteError::Connect("no database session".into()))
    }

    /// Writes the records in one transaction; any error rolls it back.
    pub async fn write(&mut self, records: &[Prepared]) -> Result<(), WriteError> {
        if records.is_empty() {
            return Ok(());
        }
        self.session().await?;
        let result = self.write_in_transaction(records).await;
        if let Err(e) = &result {
            warn!(error = %e, "Error during write operation. Attempting rollback.");
            if let Some(s) = &self.session {
                if let Err(re) = s.client.batch_execute("ROLLBACK").await {
                    warn!(error = %describe(&re), "Failed to rollback transaction");
                }
            }
            // The rollback may have undone DDL of this put.
            self.structure.clear();
        }
        result
    }

    fn client(&self) -> Result<&Client, WriteError> {
        self.session
            .as_ref()
            .map(|s| &s.client)
            .ok_or_else(|| WriteError::Connect("no database session".into()))
    }

    async fn write_in_transaction(&mut self, records: &[Prepared]) -> Result<(), WriteError> {
        self.client()?.batch_execute("BEGIN").await?;
        let mut tables: Vec<TableState> = Vec::new();
        for (i, p) in records.iter().enumerate() {
            let table = self.resolve(&p.table)?;
            let pos = match tables.iter().position(|t| t.table == table) {
                Some(pos) => pos,
                None => {
                    tables.push(TableState {
                        table,
                        buffer: TableBuffer::new(
                            self.config.batch_size,
                            self.config.delete_enabled,
                        ),
                        fields: None,
                        defn: None,
                    });
                    tables.len() - 1
                }
            };
            let before = tables[pos]
                .buffer
                .before(p.key_schema.as_ref(), p.value_schema.as_ref());
            if let Some(batch) = before.flush {
                self.flush(&tables[pos], records, &batch).await?;
            }
            if before.reinit {
                let state = &mut tables[pos];
                self.check_modes(&state.table, &p.fields)?;
                let client = &self
                    .session
                    .as_ref()
                    .ok_or_else(|| WriteError::Connect("no database session".into()))?
                    .client;
                self.structure
                    .create_or_amend(client, &self.config, &self.dialect, &state.table, &p.fields)
                    .await?;
                state.defn = self
                    .structure
                    .table_definition(client, &self.config, &state.table)
                    .await?;
                state.fields = Some(p.fields.clone());
            }
            if let Some(batch) = tables[pos].buffer.push(i, p.delete) {
                self.flush(&tables[pos], records, &batch).await?;
            }
        }
        for t in &mut tables {
            if let Some(batch) = t.buffer.take() {
                debug!(table = %t.table, records = batch.len(), "Flushing records.");
                let state: &TableState = t;
                self.flush(state, records, &batch).await?;
            }
        }
        self.client()?.batch_execute("COMMIT").await?;
        debug!(records = records.len(), "Completed write operation.");
        Ok(())
    }

    /// The destination with the session's schema filled in and the name truncated to the
    /// server's identifier length.
    fn resolve(&self, table: &TableId) -> Result<TableId, WriteError> {
        let s = self
            .session
            .as_ref()
            .ok_or_else(|| WriteError::Connect("no database session".into()))?;
        let mut t = table.clone();
        if t.table.len() > s.max_identifier_length {
            t.table = t.table.chars().take(s.max_identifier_length).collect();
        }
        if t.schema.is_none() {
            t.schema = s.schema.clone();
        }
        Ok(t)
    }

    fn check_modes(&self, table: &TableId, fields: &FieldsMetadata) -> Result<(), WriteError> {
        if self.config.insert_mode == InsertMode::Upsert && fields.key_field_names.is_empty() {
            return Err(WriteError::Connect(format!(
                "Write to table '{table}' in UPSERT mode requires key field names to be known, \
                 check the primary key configuration"
            )));
        }
        if self.config.delete_enabled {
            if self.config.pk_mode != PkMode::RecordKey {
                return Err(WriteError::Connect(
                    "Deletes are only supported for pk.mode record_key".into(),
                ));
            }
            if fields.key_field_names.is_empty() {
                return Err(WriteError::Connect(
                    "Require primary keys to support delete".into(),
                ));
            }
        }
        Ok(())
    }

    async fn statement(
        &mut self,
        sql: String,
        types: Vec<Declared>,
    ) -> Result<Statement, WriteError> {
        let key = (sql, types);
        if let Some(s) = self.statements.get(&key) {
            return Ok(s.clone());
        }
        if self.statements.len() >= 64 {
            self.statements.clear();
        }
        let pg_types: Vec<_> = key.1.iter().map(|d| d.pg_type()).collect();
        let stmt = self.client()?.prepare_typed(&key.0, &pg_types).await?;
        self.statements.insert(key, stmt.clone());
        Ok(stmt)
    }

    fn declared(&self, fields: &FieldsMetadata, names: &[String]) -> Vec<Declared> {
        names
            .iter()
            .map(|n| match fields.field(n) {
                Some(f) if self.config.pk_mode != PkMode::Kafka || !f.is_pk => {
                    self.bind.declared(n, &f.schema)
                }
                _ => Declared::Inferred,
            })
            .collect()
    }

    /// `BufferedRecords.flush`: the batch's inserts/upserts/updates, then its deletes.
    async fn flush(
        &mut self,
        state: &TableState,
        records: &[Prepared],
        batch: &[usize],
    ) -> Result<(), WriteError> {
        let Some(fields) = state.fields.clone() else {
            return Ok(());
        };
        let (deletes, writes): (Vec<usize>, Vec<usize>) =
            batch.iter().partition(|&&i| records[i].delete);
        let keys = &fields.key_field_names;
        let non_keys = &fields.non_key_field_names;
        let defn = state.defn.as_ref();
        if !writes.is_empty() {
            match self.config.insert_mode {
                InsertMode::Update => {
                    let sql = self.dialect.update(
                        &state.table,
                        keys,
                        non_keys,
                        defn,
                        Placeholders::Numbered,
                    );
                    let order: Vec<String> = non_keys.iter().chain(keys).cloned().collect();
                    let types = self.declared(&fields, &order);
                    let stmt = self.statement(sql, types).await?;
                    self.execute_each(&stmt, writes.iter().map(|&i| &records[i].row))
                        .await?;
                }
                mode => {
                    let mut rows: Vec<&Vec<SqlValue>> =
                        writes.iter().map(|&i| &records[i].row).collect();
                    if mode == InsertMode::Upsert {
                        rows = last_per_key(rows, keys.len());
                    }
                    let order: Vec<String> = keys.iter().chain(non_keys).cloned().collect();
                    let one_row = self.declared(&fields, &order);
                    let per_chunk = (MAX_PARAMETERS / order.len().max(1)).max(1);
                    for chunk in rows.chunks(per_chunk) {
                        let sql = if mode == InsertMode::Upsert {
                            self.dialect.upsert(
                                &state.table,
                                keys,
                                non_keys,
                                defn,
                                chunk.len(),
                                Placeholders::Numbered,
                            )
                        } else {
                            self.dialect.insert(
                                &state.table,
                                keys,
                                non_keys,
                                defn,
                                chunk.len(),
                                Placeholders::Numbered,
                            )
                        };
                        let types: Vec<Declared> = (0..chunk.len())
                            .flat_map(|_| one_row.iter().copied())
                            .collect();
                        let stmt = self.statement(sql, types).await?;
                        let params: Vec<&(dyn ToSql + Sync)> = chunk
                            .iter()
                            .flat_map(|r| r.iter().map(|v| v as &(dyn ToSql + Sync)))
                            .collect();
                        self.client()?.execute_raw(&stmt, params).await?;
                    }
                }
            }
        }
        if !deletes.is_empty() {
            let sql = self
                .dialect
                .delete(&state.table, keys, Placeholders::Numbered);
            let types = self.declared(&fields, keys);
            let stmt = self.statement(sql, types).await?;
            self.execute_each(&stmt, deletes.iter().map(|&i| &records[i].row))
                .await?;
        }
        Ok(())
    }

    /// Executes the statement once per row, pipelined on the connection.
    async fn execute_each<'a>(
        &self,
        stmt: &Statement,
        rows: impl Iterator<Item = &'a Vec<SqlValue>>,
    ) -> Result<(), WriteError> {
        let client = self.client()?;
        let futures: Vec<_> = rows
            .map(|row| client.execute_raw(stmt, row.iter().map(|v| v as &(dyn ToSql + Sync))))
            .collect();
        join_all(futures).await.map_err(|e| WriteError::sql(&e))
    }
}

/// Keeps the last row of each key (the first `keys` parameters), in first-seen order.
pub fn last_per_key(rows: Vec<&Vec<SqlValue>>, keys: usize) -> Vec<&Vec<SqlValue>> {
    let mut index: HashMap<Vec<String>, usize> = HashMap::with_capacity(rows.len());
    let mut out: Vec<&Vec<SqlValue>> = Vec::with_capacity(rows.len());
    for row in rows {
        let key: Vec<String> = row
            .iter()
            .take(keys)
            .map(|v| match v {
                SqlValue::Null => "\u{0}NULL".to_string(),
                other => other.text(),
            })
            .collect();
        match index.get(&key) {
            Some(&pos) => out[pos] = row,
            None => {
                index.insert(key, out.len());
                out.push(row);
            }
        }
    }
    out
}

/// Drives every future to completion (they are pipelined by tokio-postgres in the order they
/// were created); the first error wins.
async fn join_all<F, T>(futures: Vec<F>) -> Result<(), tokio_postgres::Error>
where
    F: Future<Output = Result<T, tokio_postgres::Error>>,
{
    let mut futures: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut first_error = None;
    let mut next_pending = 0usize;
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for slot in futures.iter_mut().skip(next_pending) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    Poll::Ready(r) => {
                        *slot = None;
                        if let Err(e) = r {
                            first_error.get_or_insert(e);
                        }
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        while next_pending < futures.len() && futures[next_pending].is_none() {
            next_pending += 1;
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    first_error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_batches_keep_the_last_record_per_key() {
        let r = |k: i32, v: &str| vec![SqlValue::I32(k), SqlValue::Text(v.into())];
        let rows = [r(1, "a"), r(2, "b"), r(1, "c"), r(3, "d"), r(2, "e")];
        let kept = last_per_key(rows.iter().collect(), 1);
        assert_eq!(kept, vec![&r(1, "c"), &r(2, "e"), &r(3, "d")]);
    }
}
