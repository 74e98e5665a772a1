//! The sink's configuration: every key of Confluent's `JdbcSinkConfig` (10.x) with its
//! default, validator, documentation and group, and the typed [`JdbcSinkConfig`] read once
//! from them.

use std::collections::BTreeSet;
use std::time::Duration;

use sluice_api::config::{ConfigErrors, Width};
use sluice_api::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConfigValue, Importance, ParsedConfig, Props,
    ValidatedKey, Validator,
};

use super::timezone::Zone;
use crate::jdbc::connection::{self, ConnectionConfig};
use crate::jdbc::identifier::QuoteMode;

pub use crate::jdbc::connection::{
    CONNECTION_ATTEMPTS, CONNECTION_BACKOFF_MS, CONNECTION_PASSWORD, CONNECTION_URL,
    CONNECTION_USER,
};

/// `jdbc.credentials.provider.class`.
pub const CREDENTIALS_PROVIDER_CLASS: &str = "jdbc.credentials.provider.class";
/// `dialect.name`.
pub const DIALECT_NAME: &str = "dialect.name";
/// `insert.mode`.
pub const INSERT_MODE: &str = "insert.mode";
/// `batch.size`.
pub const BATCH_SIZE: &str = "batch.size";
/// `delete.enabled`.
pub const DELETE_ENABLED: &str = "delete.enabled";
/// `table.types`.
pub const TABLE_TYPES: &str = "table.types";
/// `replace.null.with.default`.
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";
/// `table.name.format`.
pub const TABLE_NAME_FORMAT: &str = "table.name.format";
/// `pk.mode`.
pub const PK_MODE: &str = "pk.mode";
/// `pk.fields`.
pub const PK_FIELDS: &str = "pk.fields";
/// `fields.whitelist`.
pub const FIELDS_WHITELIST: &str = "fields.whitelist";
/// `db.timezone`.
pub const DB_TIMEZONE: &str = "db.timezone";
/// `date.timezone`.
pub const DATE_TIMEZONE: &str = "date.timezone";
/// `timestamp.fields.list`.
pub const TIMESTAMP_FIELDS_LIST: &str = "timestamp.fields.list";
/// `timestamp.precision.mode`.
pub const TIMESTAMP_PRECISION_MODE: &str = "timestamp.precision.mode";
/// `date.calendar.system`.
pub const DATE_CALENDAR_SYSTEM: &str = "date.calendar.system";
/// `string.output.value.column.name`.
pub const STRING_OUTPUT_VALUE_COLUMN_NAME: &str = "string.output.value.column.name";
/// `auto.create`.
pub const AUTO_CREATE: &str = "auto.create";
/// `auto.evolve`.
pub const AUTO_EVOLVE: &str = "auto.evolve";
/// `quote.sql.identifiers`.
pub const QUOTE_SQL_IDENTIFIERS: &str = "quote.sql.identifiers";
/// `mssql.use.merge.holdlock`.
pub const MSSQL_USE_MERGE_HOLDLOCK: &str = "mssql.use.merge.holdlock";
/// `max.retries`.
pub const MAX_RETRIES: &str = "max.retries";
/// `retry.backoff.ms`.
pub const RETRY_BACKOFF_MS: &str = "retry.backoff.ms";
/// `trim.sensitive.log` (internal).
pub const TRIM_SENSITIVE_LOG: &str = "trim.sensitive.log";

/// Confluent's default credentials provider, the only one Sluice has.
pub const DEFAULT_CREDENTIALS_PROVIDER: &str =
    "io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider";
/// The one dialect this sink speaks.
pub const POSTGRES_DIALECT: &str = "PostgreSqlDatabaseDialect";
/// The Kafka-coordinate key columns of `pk.mode=kafka` (`DEFAULT_KAFKA_PK_NAMES`).
pub const DEFAULT_KAFKA_PK_NAMES: [&str; 3] =
    ["__connect_topic", "__connect_partition", "__connect_offset"];
/// The message of Confluent's `TimeZoneValidator`.
pub const INVALID_TIME_ZONE: &str = "Invalid time zone. See the list of valid time zones at \
     https://docs.oracle.com/javase/8/docs/api/java/time/ZoneId.html#shortIds";
/// `JdbcSinkConfig`'s message when deletes are enabled without `pk.mode=record_key`.
pub const DELETE_NEEDS_RECORD_KEY: &str =
    "Primary key mode must be 'record_key' when delete support is enabled";
/// The validation message put on `delete.enabled` and `pk.mode` for the same conflict.
pub const DELETE_CONFLICT: &str = "Deletes are only supported for pk.mode record_key";

const CONNECTION_GROUP: &str = "Connection";
const WRITES_GROUP: &str = "Writes";
const DATAMAPPING_GROUP: &str = "Data Mapping";
const DDL_GROUP: &str = "DDL Support";
const DML_GROUP: &str = "DML Support";
const RETRIES_GROUP: &str = "Retries";

/// `insert.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMode {
    /// Plain `INSERT`.
    Insert,
    /// `INSERT … ON CONFLICT … DO UPDATE`.
    Upsert,
    /// `UPDATE … WHERE <keys>`.
    Update,
}

/// `pk.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkMode {
    /// No key columns.
    None,
    /// The record's topic, partition and offset.
    Kafka,
    /// Field(s) of the record key.
    RecordKey,
    /// Field(s) of the record value.
    RecordValue,
}

impl PkMode {
    /// The Java enum name (`RECORD_KEY`), as messages print it.
    pub fn java_name(self) -> &'static str {
        match self {
            PkMode::None => "NONE",
            PkMode::Kafka => "KAFKA",
            PkMode::RecordKey => "RECORD_KEY",
            PkMode::RecordValue => "RECORD_VALUE",
        }
    }
    /// The lower-case spelling (`record_key`).
    pub fn lower(self) -> String {
        self.java_name().to_ascii_lowercase()
    }
}

/// `timestamp.precision.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampPrecision {
    /// Epoch microseconds.
    Microseconds,
    /// Epoch nanoseconds.
    Nanoseconds,
}

/// `date.calendar.system`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarSystem {
    /// Java's hybrid Julian/Gregorian calendar (dates before 1582-10-15 written in Julian).
    Legacy,
    /// The proleptic Gregorian calendar (PostgreSQL's own).
    ProlepticGregorian,
}

/// `table.types` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableType {
    /// `TABLE`.
    Table,
    /// `PARTITIONED TABLE`.
    PartitionedTable,
    /// `VIEW`.
    View,
}

impl TableType {
    /// The JDBC name (`PARTITIONED TABLE`).
    pub fn jdbc_name(self) -> &'static str {
        match self {
            TableType::Table => "TABLE",
            TableType::PartitionedTable => "PARTITIONED TABLE",
            TableType::View => "VIEW",
        }
    }
    /// Capitalised (`Partitioned Table`), as messages print it.
    pub fn capitalized(self) -> &'static str {
        match self {
            TableType::Table => "Table",
            TableType::PartitionedTable => "Partitioned Table",
            TableType::View => "View",
        }
    }
    /// Parses one entry case-insensitively.
    pub fn parse(s: &str) -> Option<TableType> {
        [
            TableType::Table,
            TableType::PartitionedTable,
            TableType::View,
        ]
        .into_iter()
        .find(|t| t.jdbc_name().eq_ignore_ascii_case(s.trim()))
    }
}

/// Confluent's `EnumValidator`: only the all-lower or all-upper spelling of a value.
fn enum_validator(values: &'static [&'static str]) -> Validator {
    Validator::custom(move |_, v| match v {
        ConfigValue::String(s)
            if values
                .iter()
                .any(|e| *s == e.to_ascii_lowercase() || *s == e.to_ascii_uppercase()) =>
        {
            Ok(())
        }
        _ => Err("Invalid enumerator".to_string()),
    })
}

fn key(name: &str, ty: ConfigType, importance: Importance, doc: &str) -> ConfigKey {
    ConfigKey::new(name, ty, importance, doc)
}

/// Every key of the sink, in Confluent's order.
pub fn config_def() -> ConfigDef {
    let mut def = ConfigDef::new();
    let mut conn = connection::connection_keys(true);
    let mut connection_key = |name: &str, order: i32, display: &str| {
        conn.iter()
            .position(|k| k.name == name)
            .map(|i| conn.remove(i))
            .map(|k| {
                let width = k.width;
                k.display(CONNECTION_GROUP, order, width, display)
            })
    };
    let url = connection_key(CONNECTION_URL, 1, "JDBC URL");
    let user = connection_key(CONNECTION_USER, 2, "JDBC User");
    let password = connection_key(CONNECTION_PASSWORD, 3, "JDBC Password");
    let attempts = connection_key(CONNECTION_ATTEMPTS, 6, "JDBC connection attempts");
    let backoff = connection_key(
        CONNECTION_BACKOFF_MS,
        7,
        "JDBC connection backoff in milliseconds",
    );
    for k in [url, user, password].into_iter().flatten() {
        def.add(k);
    }
    def.add(
        key(
            CREDENTIALS_PROVIDER_CLASS,
            ConfigType::Class,
            Importance::Low,
            "Credentials provider or provider chain to use for authentication to the database. \
             Sluice supports the default provider only, which uses connection.user and \
             connection.password.",
        )
        .default(DEFAULT_CREDENTIALS_PROVIDER)
        .validator(Validator::custom(|_, v| match v {
            ConfigValue::Class(c) if c == DEFAULT_CREDENTIALS_PROVIDER => Ok(()),
            _ => Err(format!(
                "Class must extend: interface io.confluent.connect.jdbc.util.JdbcCredentialsProvider \
                 (Sluice supports {DEFAULT_CREDENTIALS_PROVIDER} only)"
            )),
        }))
        .display(CONNECTION_GROUP, 4, Width::Long, "JDBC Credentials Provider Class"),
    );
    def.add(
        key(
            DIALECT_NAME,
            ConfigType::String,
            Importance::Low,
            "The name of the database dialect that should be used for this connector. By default \
             this is empty, and the connector automatically determines the dialect based upon the \
             JDBC connection URL. Sluice speaks PostgreSQL only (PostgreSqlDatabaseDialect).",
        )
        .default("")
        .validator(Validator::custom(|_, v| match v {
            ConfigValue::String(s) if s.is_empty() || s == POSTGRES_DIALECT => Ok(()),
            _ => Err(format!("Sluice supports the {POSTGRES_DIALECT} only")),
        }))
        .display(CONNECTION_GROUP, 5, Width::Long, "Database Dialect"),
    );
    for k in [attempts, backoff].into_iter().flatten() {
        def.add(k);
    }
    def.add(
        key(
            INSERT_MODE,
            ConfigType::String,
            Importance::High,
            "The insertion mode to use. Supported modes are:\n``insert``\n    Use standard SQL \
             ``INSERT`` statements.\n``upsert``\n    Use the appropriate upsert semantics for the \
             target database if it is supported by the connector, e.g. ``INSERT OR IGNORE``.\n\
             ``update``\n    Use the appropriate update semantics for the target database if it is \
             supported by the connector, e.g. ``UPDATE``.",
        )
        .default("insert")
        .validator(enum_validator(&["INSERT", "UPSERT", "UPDATE"]))
        .display(WRITES_GROUP, 1, Width::Medium, "Insert Mode"),
    );
    def.add(
        key(
            BATCH_SIZE,
            ConfigType::Int,
            Importance::Medium,
            "Specifies how many records to attempt to batch together for insertion into the \
             destination table, when possible.",
        )
        .default("3000")
        .validator(Validator::at_least(0.0))
        .display(WRITES_GROUP, 2, Width::Short, "Batch Size"),
    );
    def.add(
        key(
            DELETE_ENABLED,
            ConfigType::Boolean,
            Importance::Medium,
            "Whether to treat ``null`` record values as deletes. Requires ``pk.mode`` to be \
             ``record_key``.",
        )
        .default("false")
        .display(WRITES_GROUP, 3, Width::Short, "Enable deletes"),
    );
    def.add(
        key(
            TABLE_TYPES,
            ConfigType::List,
            Importance::Low,
            "The comma-separated types of database tables to which the sink connector can write. \
             By default this is ``TABLE``, but any combination of ``TABLE``, ``PARTITIONED \
             TABLE`` and ``VIEW`` is allowed. Not all databases support writing to views, and \
             when they do the sink connector will fail if the view definition does not match the \
             records' schemas (regardless of ``auto.evolve``).",
        )
        .default("TABLE")
        .validator(Validator::custom(|_, v| {
            if let ConfigValue::List(items) = v {
                for i in items {
                    if TableType::parse(i).is_none() {
                        return Err(format!("No matching QuoteMethod found for '{i}'"));
                    }
                }
            }
            Ok(())
        }))
        .display(WRITES_GROUP, 4, Width::Medium, "Table Types"),
    );
    def.add(
        key(
            REPLACE_NULL_WITH_DEFAULT,
            ConfigType::Boolean,
            Importance::Low,
            "Whether to replace ``null`` value with default value",
        )
        .default("true")
        .display(
            WRITES_GROUP,
            5,
            Width::Medium,
            "Replace null value with default value",
        ),
    );
    def.add(
        key(
            TABLE_NAME_FORMAT,
            ConfigType::String,
            Importance::Medium,
            "A format string for the destination table name, which may contain '${topic}' as a \
             placeholder for the originating topic name.\nFor example, ``kafka_${topic}`` for the \
             topic 'orders' will map to the table name 'kafka_orders'.",
        )
        .default("${topic}")
        .validator(Validator::NonEmptyString)
        .display(DATAMAPPING_GROUP, 1, Width::Long, "Table Name Format"),
    );
    def.add(
        key(
            PK_MODE,
            ConfigType::String,
            Importance::High,
            "The primary key mode, also refer to ``pk.fields`` documentation for interplay. \
             Supported modes are:\n``none``\n    No keys utilized.\n``kafka``\n    Kafka \
             coordinates are used as the PK.\n``record_key``\n    Field(s) from the record key \
             are used, which may be a primitive or a struct.\n``record_value``\n    Field(s) from \
             the record value are used, which must be a struct.",
        )
        .default("none")
        .validator(enum_validator(&[
            "NONE",
            "KAFKA",
            "RECORD_KEY",
            "RECORD_VALUE",
        ]))
        .display(DATAMAPPING_GROUP, 2, Width::Medium, "Primary Key Mode"),
    );
    def.add(
        key(
            PK_FIELDS,
            ConfigType::List,
            Importance::Medium,
            "List of comma-separated primary key field names. The runtime interpretation of this \
             config depends on the ``pk.mode``:\n``none``\n    Ignored as no fields are used as \
             primary key in this mode.\n``kafka``\n    Must be a trio representing the Kafka \
             coordinates, defaults to ``__connect_topic,__connect_partition,__connect_offset`` if \
             empty.\n``record_key``\n    If empty, all fields from the key struct will be used, \
             otherwise used to extract the desired fields - for primitive key only a single field \
             name must be configured.\n``record_value``\n    If empty, all fields from the value \
             struct will be used, otherwise used to extract the desired fields.",
        )
        .default("")
        .display(DATAMAPPING_GROUP, 3, Width::Long, "Primary Key Fields"),
    );
    def.add(
        key(
            FIELDS_WHITELIST,
            ConfigType::List,
            Importance::Medium,
            "List of comma-separated record value field names. If empty, all fields from the \
             record value are utilized, otherwise used to filter to the desired fields.\nNote \
             that ``pk.fields`` is applied independently in the context of which field(s) form \
             the primary key columns in the destination database, while this configuration is \
             applicable for the other columns.",
        )
        .default("")
        .display(DATAMAPPING_GROUP, 4, Width::Long, "Fields Whitelist"),
    );
    def.add(
        key(
            DB_TIMEZONE,
            ConfigType::String,
            Importance::Medium,
            "Name of the JDBC timezone that should be used in the connector when inserting \
             time-based values. Defaults to UTC.",
        )
        .default("UTC")
        .validator(Validator::custom(|_, v| match v {
            ConfigValue::String(s) if Zone::parse(s).is_some() => Ok(()),
            ConfigValue::Null => Ok(()),
            _ => Err(INVALID_TIME_ZONE.to_string()),
        }))
        .display(DATAMAPPING_GROUP, 5, Width::Medium, "DB Time Zone"),
    );
    def.add(
        key(
            DATE_TIMEZONE,
            ConfigType::String,
            Importance::Low,
            "Name of the JDBC timezone that should be used in the connector when inserting DATE \
             type values. Defaults to DB_TIMEZONE that uses the timezone set for db.timzeone \
             configuration (to maintain backward compatibility). It is recommended to set this to \
             UTC to avoid conversion for DATE type values.",
        )
        .default("DB_TIMEZONE")
        .validator(enum_validator(&["DB_TIMEZONE", "UTC"]))
        .display(
            DATAMAPPING_GROUP,
            6,
            Width::Medium,
            "Time Zone used for Date",
        ),
    );
    def.add(
        key(
            TIMESTAMP_FIELDS_LIST,
            ConfigType::List,
            Importance::Medium,
            "List of comma-separated record value timestamp field names that should be converted \
             to timestamps. These fields will be converted based on precision mode specified in \
             timestamp.precision.mode(microseconds or nanoseconds). The timestamp fields included \
             here should be Long or String type and nested fields are not supported.",
        )
        .default("")
        .display(
            DATAMAPPING_GROUP,
            7,
            Width::Medium,
            "Timestamp Fields Whitelist",
        ),
    );
    def.add(
        key(
            TIMESTAMP_PRECISION_MODE,
            ConfigType::String,
            Importance::Low,
            "Convert the Timestamp with precision. If set to microseconds, the timestamp will be \
             converted to microsecond precision. If set to nanoseconds the timestamp will be \
             converted to nanoseconds precision.",
        )
        .default("MICROSECONDS")
        .validator(enum_validator(&["MICROSECONDS", "NANOSECONDS"]))
        .display(
            DATAMAPPING_GROUP,
            8,
            Width::Medium,
            "Sink Timestamp Precision mode",
        ),
    );
    def.add(
        key(
            DATE_CALENDAR_SYSTEM,
            ConfigType::String,
            Importance::Low,
            "Conversion of time since epoch value in kafka topic record to DATE or TIMESTAMP \
             depends on the calendar used to interpret it. If LEGACY is used, it will use the \
             hybrid Gregorian/Julian calendar which was the default in the older java date time \
             APIs. However, if 'PROLEPTIC_GREGORIAN' is used, then it will use the proleptic \
             gregorian calendar which extends the Gregorian rules backward indefinitely and does \
             not apply the 1582 cutover. This is defaulted to LEGACY for backward compatibility.",
        )
        .default("LEGACY")
        .validator(Validator::one_of(&["LEGACY", "PROLEPTIC_GREGORIAN"]))
        .display(DATAMAPPING_GROUP, 9, Width::Medium, "Date Calendar System"),
    );
    def.add(
        key(
            STRING_OUTPUT_VALUE_COLUMN_NAME,
            ConfigType::String,
            Importance::Low,
            "When the Kafka record value uses the String schema (e.g. records produced with \
             StringConverter), the connector writes the value into a single column with this \
             name. If the destination table is being auto-created, the column is created with \
             this name. If the table already exists and the column is missing, the column is \
             added via ALTER when 'auto.evolve' is true; otherwise the connector fails with the \
             standard auto-evolution-disabled error. Defaults to 'record_value'.",
        )
        .default("record_value")
        .validator(Validator::NonEmptyString)
        .display(
            DATAMAPPING_GROUP,
            10,
            Width::Medium,
            "String Value Column Name",
        ),
    );
    def.add(
        key(
            AUTO_CREATE,
            ConfigType::Boolean,
            Importance::Medium,
            "Whether to automatically create the destination table based on record schema if it \
             is found to be missing by issuing ``CREATE``.",
        )
        .default("false")
        .display(DDL_GROUP, 1, Width::Short, "Auto-Create"),
    );
    def.add(
        key(
            AUTO_EVOLVE,
            ConfigType::Boolean,
            Importance::Medium,
            "Whether to automatically add columns in the table schema when found to be missing \
             relative to the record schema by issuing ``ALTER``.",
        )
        .default("false")
        .display(DDL_GROUP, 2, Width::Short, "Auto-Evolve"),
    );
    def.add(
        key(
            QUOTE_SQL_IDENTIFIERS,
            ConfigType::String,
            Importance::Medium,
            "When to quote table names, column names, and other identifiers in SQL statements. \
             For backward compatibility, the default is ``always``.",
        )
        .default("always")
        .display(DDL_GROUP, 3, Width::Medium, "Quote Identifiers"),
    );
    def.add(
        key(
            MSSQL_USE_MERGE_HOLDLOCK,
            ConfigType::Boolean,
            Importance::Low,
            "Whether to use HOLDLOCK when performing a MERGE INTO upsert statement. Note that it \
             is only applicable to SQL Server (ignored by this PostgreSQL sink).",
        )
        .default("true")
        .display(
            DML_GROUP,
            1,
            Width::Medium,
            "SQL Server - Use HOLDLOCK in MERGE",
        ),
    );
    def.add(
        key(
            MAX_RETRIES,
            ConfigType::Int,
            Importance::Medium,
            "The maximum number of times to retry on errors before failing the task.",
        )
        .default("10")
        .validator(Validator::at_least(0.0))
        .display(RETRIES_GROUP, 1, Width::Short, "Maximum Retries"),
    );
    def.add(
        key(
            RETRY_BACKOFF_MS,
            ConfigType::Int,
            Importance::Medium,
            "The time in milliseconds to wait following an error before a retry attempt is made.",
        )
        .default("3000")
        .validator(Validator::at_least(0.0))
        .display(RETRIES_GROUP, 2, Width::Short, "Retry Backoff (millis)"),
    );
    def.add(
        key(
            TRIM_SENSITIVE_LOG,
            ConfigType::Boolean,
            Importance::Low,
            "Internal: leave SQL error details (row values) out of the logged errors.",
        )
        .default("false"),
    );
    def
}

/// The typed sink configuration.
#[derive(Debug, Clone)]
pub struct JdbcSinkConfig {
    /// The connector's `name` (for messages).
    pub connector_name: String,
    /// `connection.*`.
    pub connection: ConnectionConfig,
    /// `insert.mode`.
    pub insert_mode: InsertMode,
    /// `batch.size`.
    pub batch_size: usize,
    /// `delete.enabled`.
    pub delete_enabled: bool,
    /// `table.types`.
    pub table_types: BTreeSet<TableType>,
    /// `replace.null.with.default`.
    pub replace_null_with_default: bool,
    /// `table.name.format` (trimmed).
    pub table_name_format: String,
    /// `pk.mode`.
    pub pk_mode: PkMode,
    /// `pk.fields`.
    pub pk_fields: Vec<String>,
    /// `fields.whitelist`.
    pub fields_whitelist: BTreeSet<String>,
    /// `db.timezone`.
    pub db_zone: Zone,
    /// The zone Date values are written in (`date.timezone`: UTC or `db.timezone`).
    pub date_zone: Zone,
    /// `timestamp.fields.list`.
    pub timestamp_fields: BTreeSet<String>,
    /// `timestamp.precision.mode`.
    pub timestamp_precision: TimestampPrecision,
    /// `date.calendar.system`.
    pub calendar: CalendarSystem,
    /// `string.output.value.column.name`.
    pub string_value_column: String,
    /// `auto.create`.
    pub auto_create: bool,
    /// `auto.evolve`.
    pub auto_evolve: bool,
    /// `quote.sql.identifiers`.
    pub quote: QuoteMode,
    /// `max.retries`.
    pub max_retries: u32,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
    /// `trim.sensitive.log`.
    pub trim_sensitive_log: bool,
}

impl JdbcSinkConfig {
    /// Parses and checks every key, then the cross-key rule of `delete.enabled`.
    pub fn parse(props: &Props) -> Result<JdbcSinkConfig, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        Self::from_parsed(&parsed, props).map_err(ConfigErrors::from)
    }

    fn from_parsed(c: &ParsedConfig, props: &Props) -> Result<JdbcSinkConfig, ConfigError> {
        let upper = |k: &str| c.get_string(k).unwrap_or("").to_ascii_uppercase();
        let insert_mode = match upper(INSERT_MODE).as_str() {
            "UPSERT" => InsertMode::Upsert,
            "UPDATE" => InsertMode::Update,
            _ => InsertMode::Insert,
        };
        let pk_mode = match upper(PK_MODE).as_str() {
            "KAFKA" => PkMode::Kafka,
            "RECORD_KEY" => PkMode::RecordKey,
            "RECORD_VALUE" => PkMode::RecordValue,
            _ => PkMode::None,
        };
        let delete_enabled = c.get_bool(DELETE_ENABLED)?;
        if delete_enabled && pk_mode != PkMode::RecordKey {
            return Err(ConfigError::general(DELETE_NEEDS_RECORD_KEY));
        }
        let zone_raw = c.get_string(DB_TIMEZONE).unwrap_or("UTC");
        let db_zone = Zone::parse(zone_raw)
            .ok_or_else(|| ConfigError::invalid(DB_TIMEZONE, zone_raw, INVALID_TIME_ZONE))?;
        let date_zone = if upper(DATE_TIMEZONE) == "UTC" {
            Zone::Utc
        } else {
            db_zone.clone()
        };
        Ok(JdbcSinkConfig {
            connector_name: props.get("name").cloned().unwrap_or_default(),
            connection: ConnectionConfig::from_parsed(c)?,
            insert_mode,
            batch_size: c.get_int(BATCH_SIZE)?.max(0) as usize,
            delete_enabled,
            table_types: c
                .get_list(TABLE_TYPES)
                .iter()
                .filter_map(|t| TableType::parse(t))
                .collect(),
            replace_null_with_default: c.get_bool(REPLACE_NULL_WITH_DEFAULT)?,
            table_name_format: c
                .get_string(TABLE_NAME_FORMAT)
                .unwrap_or("")
                .trim()
                .to_string(),
            pk_mode,
            pk_fields: c.get_list(PK_FIELDS),
            fields_whitelist: c.get_list(FIELDS_WHITELIST).into_iter().collect(),
            db_zone,
            date_zone,
            timestamp_fields: c.get_list(TIMESTAMP_FIELDS_LIST).into_iter().collect(),
            timestamp_precision: if upper(TIMESTAMP_PRECISION_MODE) == "NANOSECONDS" {
                TimestampPrecision::Nanoseconds
            } else {
                TimestampPrecision::Microseconds
            },
            calendar: if c.get_string(DATE_CALENDAR_SYSTEM) == Some("PROLEPTIC_GREGORIAN") {
                CalendarSystem::ProlepticGregorian
            } else {
                CalendarSystem::Legacy
            },
            string_value_column: c
                .get_string(STRING_OUTPUT_VALUE_COLUMN_NAME)
                .unwrap_or("record_value")
                .to_string(),
            auto_create: c.get_bool(AUTO_CREATE)?,
            auto_evolve: c.get_bool(AUTO_EVOLVE)?,
            quote: QuoteMode::parse(c.get_string(QUOTE_SQL_IDENTIFIERS).unwrap_or("always")),
            max_retries: c.get_int(MAX_RETRIES)?.max(0) as u32,
            retry_backoff: Duration::from_millis(c.get_int(RETRY_BACKOFF_MS)?.max(0) as u64),
            trim_sensitive_log: c.get_bool(TRIM_SENSITIVE_LOG)?,
        })
    }
}

fn add_error(results: &mut [ValidatedKey], key: &str, msg: &str) {
    if let Some(r) = results.iter_mut().find(|r| r.name == key) {
        r.errors.push(msg.to_string());
    }
}

/// `JdbcSinkConnectorValidation` without the connection check: every key, then the
/// `delete.enabled`/`pk.mode` conflict on both keys. Returns the typed config when nothing is
/// wrong (the caller then checks the connection).
pub fn validate(props: &Props) -> (Vec<ValidatedKey>, Option<JdbcSinkConfig>) {
    let def = config_def();
    let mut results = def.validate(props);
    let ok = |r: &[ValidatedKey], k: &str| r.iter().any(|v| v.name == k && v.errors.is_empty());
    let delete = results
        .iter()
        .find(|r| r.name == DELETE_ENABLED && r.errors.is_empty())
        .and_then(|r| r.value.clone());
    if delete.as_deref() == Some("true") && ok(&results, PK_MODE) {
        let pk = results
            .iter()
            .find(|r| r.name == PK_MODE)
            .and_then(|r| r.value.clone())
            .unwrap_or_default();
        if pk != "record_key" && pk != "RECORD_KEY" {
            add_error(&mut results, PK_MODE, DELETE_CONFLICT);
            add_error(&mut results, DELETE_ENABLED, DELETE_CONFLICT);
        }
    }
    if results.iter().any(|r| !r.errors.is_empty()) {
        return (results, None);
    }
    match JdbcSinkConfig::parse(props) {
        Ok(c) => (results, Some(c)),
        Err(e) => {
            for err in e.errors {
                let k = err
                    .key
                    .clone()
                    .unwrap_or_else(|| CONNECTION_URL.to_string());
                add_error(&mut results, &k, &err.message);
            }
            (results, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        let mut p: Props = [(CONNECTION_URL, "jdbc:postgresql://127.0.0.1:5432/postgres")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in pairs {
            p.insert(k.to_string(), v.to_string());
        }
        p
    }

    fn errors(results: &[ValidatedKey], key: &str) -> Vec<String> {
        results
            .iter()
            .find(|r| r.name == key)
            .map(|r| r.errors.clone())
            .unwrap_or_default()
    }

    #[test]
    fn defaults_are_confluents() {
        let c = JdbcSinkConfig::parse(&props(&[])).unwrap();
        assert_eq!(c.insert_mode, InsertMode::Insert);
        assert_eq!(c.pk_mode, PkMode::None);
        assert_eq!(c.batch_size, 3000);
        assert_eq!(c.max_retries, 10);
        assert_eq!(c.retry_backoff, Duration::from_millis(3000));
        assert_eq!(c.table_name_format, "${topic}");
        assert_eq!(c.string_value_column, "record_value");
        assert_eq!(c.db_zone, Zone::Utc);
        assert_eq!(c.quote, QuoteMode::Always);
        assert_eq!(c.calendar, CalendarSystem::Legacy);
        assert_eq!(
            c.table_types.iter().copied().collect::<Vec<_>>(),
            vec![TableType::Table]
        );
        let def = config_def();
        let names: Vec<_> = def.keys().iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            &names[..7],
            &[
                CONNECTION_URL,
                CONNECTION_USER,
                CONNECTION_PASSWORD,
                CREDENTIALS_PROVIDER_CLASS,
                DIALECT_NAME,
                CONNECTION_ATTEMPTS,
                CONNECTION_BACKOFF_MS
            ]
        );
        assert!(def.key(CONNECTION_URL).unwrap().required());
        assert_eq!(
            def.key(CONNECTION_URL).unwrap().group.as_deref(),
            Some("Connection")
        );
        for k in def.keys() {
            assert!(!k.documentation.is_empty(), "{}", k.name);
        }
    }

    #[test]
    fn enum_keys_take_only_lower_or_upper_case() {
        for ok in ["upsert", "UPSERT", "update", "insert"] {
            let (r, _) = validate(&props(&[(INSERT_MODE, ok)]));
            assert!(errors(&r, INSERT_MODE).is_empty(), "{ok}");
        }
        let (r, c) = validate(&props(&[(INSERT_MODE, "Upsert"), (PK_MODE, "Record_Key")]));
        assert!(c.is_none());
        assert_eq!(
            errors(&r, INSERT_MODE),
            vec!["Invalid value Upsert for configuration insert.mode: Invalid enumerator"]
        );
        assert_eq!(
            errors(&r, PK_MODE),
            vec!["Invalid value Record_Key for configuration pk.mode: Invalid enumerator"]
        );
        let c = JdbcSinkConfig::parse(&props(&[(PK_MODE, "RECORD_VALUE")])).unwrap();
        assert_eq!(c.pk_mode, PkMode::RecordValue);
    }

    #[test]
    fn deletes_need_record_key() {
        let (r, c) = validate(&props(&[(DELETE_ENABLED, "true"), (PK_MODE, "kafka")]));
        assert!(c.is_none());
        assert_eq!(errors(&r, PK_MODE), vec![DELETE_CONFLICT]);
        assert_eq!(errors(&r, DELETE_ENABLED), vec![DELETE_CONFLICT]);
        let e = JdbcSinkConfig::parse(&props(&[(DELETE_ENABLED, "true")])).unwrap_err();
        assert_eq!(e.first().unwrap().message, DELETE_NEEDS_RECORD_KEY);
        let (r, c) = validate(&props(&[(DELETE_ENABLED, "true"), (PK_MODE, "record_key")]));
        assert!(c.is_some(), "{r:?}");
    }

    #[test]
    fn ranges_zones_and_formats_are_checked() {
        let (r, _) = validate(&props(&[
            (BATCH_SIZE, "-1"),
            (MAX_RETRIES, "-1"),
            (DB_TIMEZONE, "Mars/Olympus Mons"),
            (TABLE_NAME_FORMAT, ""),
            (TABLE_TYPES, "TABLE,MATVIEW"),
        ]));
        assert_eq!(
            errors(&r, BATCH_SIZE),
            vec!["Invalid value -1 for configuration batch.size: Value must be at least 0"]
        );
        assert_eq!(errors(&r, MAX_RETRIES).len(), 1);
        assert_eq!(
            errors(&r, DB_TIMEZONE),
            vec![format!(
                "Invalid value Mars/Olympus Mons for configuration db.timezone: {INVALID_TIME_ZONE}"
            )]
        );
        assert_eq!(
            errors(&r, TABLE_NAME_FORMAT),
            vec!["Invalid value  for configuration table.name.format: String may not be empty"]
        );
        assert_eq!(errors(&r, TABLE_TYPES).len(), 1);
        let c = JdbcSinkConfig::parse(&props(&[
            (DB_TIMEZONE, "Europe/Berlin"),
            (DATE_TIMEZONE, "UTC"),
            (TABLE_TYPES, "table, partitioned table,VIEW"),
        ]))
        .unwrap();
        assert_eq!(c.db_zone, Zone::Region("Europe/Berlin".into()));
        assert_eq!(c.date_zone, Zone::Utc);
        assert_eq!(c.table_types.len(), 3);
    }

    #[test]
    fn a_missing_url_is_reported() {
        let mut p = props(&[]);
        p.remove(CONNECTION_URL);
        let (r, c) = validate(&p);
        assert!(c.is_none());
        assert_eq!(
            errors(&r, CONNECTION_URL),
            vec!["Missing required configuration \"connection.url\" which has no default value."]
        );
    }
}
