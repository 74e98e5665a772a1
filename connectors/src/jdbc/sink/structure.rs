//! Confluent's `DbStructure`: table definitions read from the PostgreSQL catalog (cached per
//! task, re-read after DDL), and CREATE TABLE / ALTER TABLE … ADD when `auto.create` /
//! `auto.evolve` allow them.
//!
//! DDL runs inside the `put`'s transaction under a savepoint (Confluent commits it at once): a
//! failed put rolls the DDL back with the rows, and the cache is cleared then.

use std::collections::HashMap;

use tokio_postgres::Client;
use tracing::{info, warn};

use super::config::{JdbcSinkConfig, TableType};
use super::dialect::{Dialect, LiteralOffsets};
use super::error::WriteError;
use super::fields::{FieldsMetadata, SinkField};
use super::timezone::Zone;
use crate::jdbc::identifier::TableId;

/// One column of an existing table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDefinition {
    /// Column name.
    pub name: String,
    /// PostgreSQL type name (`int4`, `uuid`, `_text`).
    pub type_name: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
}

/// An existing table, view or partitioned table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDefinition {
    /// The table.
    pub id: TableId,
    /// Its kind.
    pub table_type: TableType,
    /// Columns in order.
    pub columns: Vec<ColumnDefinition>,
}

impl TableDefinition {
    /// The column named exactly `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnDefinition> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const DESCRIBE_SQL: &str = "SELECT c.relkind::text, a.attname::text, t.typname::text, \
     NOT a.attnotnull \
     FROM pg_catalog.pg_class c \
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
     LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
     WHERE n.nspname = coalesce($1, current_schema()) AND c.relname = $2 \
     ORDER BY a.attnum";

/// Reads a table's definition; `None` when there is no relation of an allowed kind.
pub async fn describe_table(
    client: &Client,
    table: &TableId,
    allowed: &std::collections::BTreeSet<TableType>,
) -> Result<Option<TableDefinition>, tokio_postgres::Error> {
    let rows = client
        .query(DESCRIBE_SQL, &[&table.schema, &table.table])
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let kind: String = first.get(0);
    let table_type = match kind.as_str() {
        "r" => TableType::Table,
        "p" => TableType::PartitionedTable,
        "v" | "m" => TableType::View,
        _ => return Ok(None),
    };
    if !allowed.contains(&table_type) {
        return Ok(None);
    }
    let columns = rows
        .iter()
        .filter_map(|r| {
            let name: Option<String> = r.get(1);
            name.map(|name| ColumnDefinition {
                name,
                type_name: r.get::<_, Option<String>>(2).unwrap_or_default(),
                nullable: r.get::<_, Option<bool>>(3).unwrap_or(true),
            })
        })
        .collect();
    Ok(Some(TableDefinition {
        id: table.clone(),
        table_type,
        columns,
    }))
}

/// The cached table definitions of one task.
#[derive(Debug, Default)]
pub struct DbStructure {
    cache: HashMap<TableId, TableDefinition>,
}

impl DbStructure {
    /// An empty cache.
    pub fn new() -> DbStructure {
        DbStructure::default()
    }

    /// Forgets every definition (after a rollback, which may have undone DDL).
    pub fn clear(&mut self) {
        self.cache.clear();
    }

    /// The cached definition.
    pub fn cached(&self, table: &TableId) -> Option<&TableDefinition> {
        self.cache.get(table)
    }

    /// The definition, read when not cached.
    pub async fn table_definition(
        &mut self,
        client: &Client,
        config: &JdbcSinkConfig,
        table: &TableId,
    ) -> Result<Option<TableDefinition>, tokio_postgres::Error> {
        if let Some(d) = self.cache.get(table) {
            return Ok(Some(d.clone()));
        }
        self.refresh(client, config, table).await
    }

    /// Re-reads the definition.
    pub async fn refresh(
        &mut self,
        client: &Client,
        config: &JdbcSinkConfig,
        table: &TableId,
    ) -> Result<Option<TableDefinition>, tokio_postgres::Error> {
        let d = describe_table(client, table, &config.table_types).await?;
        match &d {
            Some(d) => {
                self.cache.insert(table.clone(), d.clone());
            }
            None => {
                self.cache.remove(table);
            }
        }
        Ok(d)
    }

    /// `createOrAmendIfNecessary`.
    pub async fn create_or_amend(
        &mut self,
        client: &Client,
        config: &JdbcSinkConfig,
        dialect: &Dialect,
        table: &TableId,
        fields: &FieldsMetadata,
    ) -> Result<(), WriteError> {
        if self
            .table_definition(client, config, table)
            .await?
            .is_none()
        {
            if !config.auto_create {
                return Err(WriteError::TableAlterOrCreate(format!(
                    "Table {table} is missing and auto-creation is disabled"
                )));
            }
            let offsets = literal_offsets(client, config, &fields.all_fields).await?;
            let sql = dialect
                .create_table(table, &fields.all_fields, offsets)
                .map_err(WriteError::Connect)?;
            info!(sql = %sql, "Creating table.");
            if let Err(e) = ddl(client, &sql).await {
                warn!(error = %e, "Create failed, will attempt amend if table already exists");
                if self.refresh(client, config, table).await?.is_none() {
                    return Err(e);
                }
            } else {
                self.refresh(client, config, table).await?;
            }
        }
        self.amend_if_necessary(client, config, dialect, table, fields, config.max_retries)
            .await
    }

    async fn amend_if_necessary(
        &mut self,
        client: &Client,
        config: &JdbcSinkConfig,
        dialect: &Dialect,
        table: &TableId,
        fields: &FieldsMetadata,
        retries: u32,
    ) -> Result<(), WriteError> {
        let mut retries = retries;
        loop {
            let Some(defn) = self.table_definition(client, config, table).await? else {
                return Err(WriteError::TableAlterOrCreate(format!(
                    "Table {table} is missing and auto-creation is disabled"
                )));
            };
            let missing = missing_fields(&fields.all_fields, &defn);
            if missing.is_empty() {
                return Ok(());
            }
            let listed = format!(
                "[{}]",
                missing
                    .iter()
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if defn.table_type != TableType::Table {
                return Err(WriteError::TableAlterOrCreate(format!(
                    "{} {table} is missing fields ({listed}) and ALTER {} is unsupported",
                    defn.table_type.capitalized(),
                    defn.table_type.jdbc_name()
                )));
            }
            if let Some(f) = missing
                .iter()
                .find(|f| !f.is_optional() && f.schema.default.is_none())
            {
                return Err(WriteError::TableAlterOrCreate(format!(
                    "Cannot ALTER TABLE {table} to add missing field {f}, as the field is not \
                     optional and does not have a default value"
                )));
            }
            if !config.auto_evolve {
                return Err(WriteError::TableAlterOrCreate(format!(
                    "Table {table} is missing fields ({listed}) and auto-evolution is disabled"
                )));
            }
            let owned: Vec<SinkField> = missing.iter().map(|f| (*f).clone()).collect();
            let offsets = literal_offsets(client, config, &owned).await?;
            let sql = dialect
                .alter_table(table, &missing, offsets)
                .map_err(WriteError::Connect)?;
            info!(sql = %sql, retries, "Amending table to add missing fields.");
            match ddl(client, &sql).await {
                Ok(()) => {
                    self.refresh(client, config, table).await?;
                    return Ok(());
                }
                Err(e) if retries == 0 => {
                    return Err(WriteError::TableAlterOrCreate(format!(
                        "Failed to amend TABLE '{table}' to add missing fields: {listed}: {e}"
                    )));
                }
                Err(e) => {
                    warn!(error = %e, "Amend failed, re-attempting");
                    retries -= 1;
                    self.refresh(client, config, table).await?;
                }
            }
        }
    }
}

/// Fields without a column: matched by exact name, then ignoring case.
pub fn missing_fields<'a>(fields: &'a [SinkField], defn: &TableDefinition) -> Vec<&'a SinkField> {
    let lower: Vec<String> = defn.columns.iter().map(|c| c.name.to_lowercase()).collect();
    fields
        .iter()
        .filter(|f| defn.column(&f.name).is_none())
        .filter(|f| !lower.contains(&f.name.to_lowercase()))
        .collect()
}

/// Runs one DDL statement under a savepoint, so that its failure leaves the transaction
/// usable.
async fn ddl(client: &Client, sql: &str) -> Result<(), WriteError> {
    client.batch_execute("SAVEPOINT sluice_ddl").await?;
    match client.batch_execute(sql).await {
        Ok(()) => {
            client.batch_execute("RELEASE SAVEPOINT sluice_ddl").await?;
            Ok(())
        }
        Err(e) => {
            client
                .batch_execute("ROLLBACK TO SAVEPOINT sluice_ddl")
                .await?;
            Err(WriteError::sql(&e))
        }
    }
}

/// The offsets DEFAULT literals of temporal fields are written with: fixed zones directly,
/// region zones at the default's instant, asked of PostgreSQL (whose session zone is
/// `db.timezone`).
async fn literal_offsets(
    client: &Client,
    config: &JdbcSinkConfig,
    fields: &[SinkField],
) -> Result<LiteralOffsets, WriteError> {
    let mut offsets = LiteralOffsets {
        date: config.date_zone.fixed_offset().unwrap_or(0),
        time: config.db_zone.fixed_offset().unwrap_or(0),
    };
    if let Zone::Region(_) = config.db_zone {
        for f in fields {
            if let (Some(_), Some(sluice_api::Value::Date(ms))) =
                (f.schema.name.as_deref(), f.schema.default.as_ref())
            {
                let row = client
                    .query_one(
                        "SELECT EXTRACT(TIMEZONE FROM to_timestamp($1::float8 / 1000))::int4",
                        &[&(*ms as f64)],
                    )
                    .await?;
                let secs: i32 = row.get(0);
                offsets.time = secs;
                if !config.date_zone.is_utc() {
                    offsets.date = secs;
                }
            }
        }
    }
    Ok(offsets)
}
