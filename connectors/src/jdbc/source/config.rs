//! The source's configuration: every key of Confluent's `JdbcSourceConnectorConfig` (10.x)
//! with its default, validator, documentation and display group, the task-only keys of
//! `JdbcSourceTaskConfig`, the cross-key checks of `JdbcSourceConnectorValidation`, and the
//! typed [`SourceConfig`] read once from them.

use std::time::Duration;

use regex::Regex;
use sluice_api::config::{ConfigErrors, Width};
use sluice_api::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConfigValue, Importance, ParsedConfig, Props,
    ValidatedKey, Validator,
};

use crate::jdbc::connection::{connection_keys, ConnectionConfig, DATABASE_GROUP};
use crate::jdbc::identifier::QuoteMode;
use crate::jdbc::zone::DbZone as Zone;

/// `jdbc.credentials.provider.class`.
pub const CREDENTIALS_PROVIDER_CLASS: &str = "jdbc.credentials.provider.class";
/// `table.whitelist`.
pub const TABLE_WHITELIST: &str = "table.whitelist";
/// `table.blacklist`.
pub const TABLE_BLACKLIST: &str = "table.blacklist";
/// `table.include.list`.
pub const TABLE_INCLUDE_LIST: &str = "table.include.list";
/// `table.exclude.list`.
pub const TABLE_EXCLUDE_LIST: &str = "table.exclude.list";
/// `catalog.pattern`.
pub const CATALOG_PATTERN: &str = "catalog.pattern";
/// `schema.pattern`.
pub const SCHEMA_PATTERN: &str = "schema.pattern";
/// `numeric.precision.mapping`.
pub const NUMERIC_PRECISION_MAPPING: &str = "numeric.precision.mapping";
/// `numeric.mapping`.
pub const NUMERIC_MAPPING: &str = "numeric.mapping";
/// `dialect.name`.
pub const DIALECT_NAME: &str = "dialect.name";
/// `date.calendar.system`.
pub const DATE_CALENDAR_SYSTEM: &str = "date.calendar.system";
/// `mode`.
pub const MODE: &str = "mode";
/// `incrementing.column.name`.
pub const INCREMENTING_COLUMN_NAME: &str = "incrementing.column.name";
/// `timestamp.column.name`.
pub const TIMESTAMP_COLUMN_NAME: &str = "timestamp.column.name";
/// `timestamp.columns.mapping`.
pub const TIMESTAMP_COLUMNS_MAPPING: &str = "timestamp.columns.mapping";
/// `incrementing.column.mapping`.
pub const INCREMENTING_COLUMN_MAPPING: &str = "incrementing.column.mapping";
/// `timestamp.initial`.
pub const TIMESTAMP_INITIAL: &str = "timestamp.initial";
/// `validate.non.null`.
pub const VALIDATE_NON_NULL: &str = "validate.non.null";
/// `query`.
pub const QUERY: &str = "query";
/// `query.masked`.
pub const QUERY_MASKED: &str = "query.masked";
/// `quote.sql.identifiers`.
pub const QUOTE_SQL_IDENTIFIERS: &str = "quote.sql.identifiers";
/// `query.suffix`.
pub const QUERY_SUFFIX: &str = "query.suffix";
/// `transaction.isolation.mode`.
pub const TRANSACTION_ISOLATION_MODE: &str = "transaction.isolation.mode";
/// `query.retry.attempts`.
pub const QUERY_RETRY_ATTEMPTS: &str = "query.retry.attempts";
/// `table.types`.
pub const TABLE_TYPES: &str = "table.types";
/// `poll.interval.ms`.
pub const POLL_INTERVAL_MS: &str = "poll.interval.ms";
/// `batch.max.rows`.
pub const BATCH_MAX_ROWS: &str = "batch.max.rows";
/// `max.buffer.size`.
pub const MAX_BUFFER_SIZE: &str = "max.buffer.size";
/// `poll.linger.ms`.
pub const POLL_LINGER_MS: &str = "poll.linger.ms";
/// `table.monitoring.startup.polling.limit.ms` (internal).
pub const TABLE_MONITORING_STARTUP_POLLING_LIMIT_MS: &str =
    "table.monitoring.startup.polling.limit.ms";
/// `table.poll.interval.ms`.
pub const TABLE_POLL_INTERVAL_MS: &str = "table.poll.interval.ms";
/// `topic.prefix`.
pub const TOPIC_PREFIX: &str = "topic.prefix";
/// `timestamp.delay.interval.ms`.
pub const TIMESTAMP_DELAY_INTERVAL_MS: &str = "timestamp.delay.interval.ms";
/// `db.timezone`.
pub const DB_TIMEZONE: &str = "db.timezone";
/// `timestamp.granularity`.
pub const TIMESTAMP_GRANULARITY: &str = "timestamp.granularity";
/// `tables` (task config: the tables of one task, rendered with quoting).
pub const TABLES: &str = "tables";
/// `tables.fetched` (task config: whether the connector had read the table list).
pub const TABLES_FETCHED: &str = "tables.fetched";

/// The `Mode` display group.
pub const MODE_GROUP: &str = "Mode";
/// The `Connector` display group.
pub const CONNECTOR_GROUP: &str = "Connector";

const MODE_DEPENDENTS: &[&str] = &[
    INCREMENTING_COLUMN_NAME,
    TIMESTAMP_COLUMN_NAME,
    TIMESTAMP_COLUMNS_MAPPING,
    INCREMENTING_COLUMN_MAPPING,
    TIMESTAMP_INITIAL,
    VALIDATE_NON_NULL,
];

/// `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `""`: no mode (the task creates no queriers).
    Unspecified,
    /// `bulk`.
    Bulk,
    /// `incrementing`.
    Incrementing,
    /// `timestamp`.
    Timestamp,
    /// `timestamp+incrementing`.
    TimestampIncrementing,
}

impl Mode {
    fn parse(s: &str) -> Mode {
        match s {
            "bulk" => Mode::Bulk,
            "incrementing" => Mode::Incrementing,
            "timestamp" => Mode::Timestamp,
            "timestamp+incrementing" => Mode::TimestampIncrementing,
            _ => Mode::Unspecified,
        }
    }
    /// The mode reads an incrementing column.
    pub fn uses_incrementing(self) -> bool {
        matches!(self, Mode::Incrementing | Mode::TimestampIncrementing)
    }
    /// The mode reads timestamp columns.
    pub fn uses_timestamp(self) -> bool {
        matches!(self, Mode::Timestamp | Mode::TimestampIncrementing)
    }
}

/// `numeric.mapping` (with the deprecated `numeric.precision.mapping`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericMapping {
    /// `none`: every NUMERIC is a Decimal.
    None,
    /// `precision_only`.
    PrecisionOnly,
    /// `best_fit`.
    BestFit,
    /// `best_fit_eager_double`.
    BestFitEagerDouble,
}

const NUMERIC_MAPPINGS: &[&str] = &[
    "none",
    "precision_only",
    "best_fit",
    "best_fit_eager_double",
];

impl NumericMapping {
    /// Parses a value case-insensitively.
    pub fn parse(s: &str) -> Option<NumericMapping> {
        Some(match s.to_ascii_lowercase().as_str() {
            "none" => NumericMapping::None,
            "precision_only" => NumericMapping::PrecisionOnly,
            "best_fit" => NumericMapping::BestFit,
            "best_fit_eager_double" => NumericMapping::BestFitEagerDouble,
            _ => return None,
        })
    }
}

/// `timestamp.granularity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampGranularity {
    /// `connect_logical`: Connect's Timestamp.
    ConnectLogical,
    /// `micros_long`.
    MicrosLong,
    /// `micros_string`.
    MicrosString,
    /// `micros_iso_datetime_string`.
    MicrosIsoDatetimeString,
    /// `nanos_long`.
    NanosLong,
    /// `nanos_string`.
    NanosString,
    /// `nanos_iso_datetime_string`.
    NanosIsoDatetimeString,
}

const GRANULARITIES: &[&str] = &[
    "connect_logical",
    "micros_long",
    "micros_string",
    "micros_iso_datetime_string",
    "nanos_long",
    "nanos_string",
    "nanos_iso_datetime_string",
];

impl TimestampGranularity {
    fn parse(s: &str) -> Option<TimestampGranularity> {
        use TimestampGranularity::*;
        Some(match s.to_ascii_lowercase().as_str() {
            "connect_logical" => ConnectLogical,
            "micros_long" => MicrosLong,
            "micros_string" => MicrosString,
            "micros_iso_datetime_string" => MicrosIsoDatetimeString,
            "nanos_long" => NanosLong,
            "nanos_string" => NanosString,
            "nanos_iso_datetime_string" => NanosIsoDatetimeString,
            _ => return None,
        })
    }
}

/// `transaction.isolation.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationMode {
    /// `DEFAULT`: the server's default.
    Default,
    /// `READ_UNCOMMITTED`.
    ReadUncommitted,
    /// `READ_COMMITTED`.
    ReadCommitted,
    /// `REPEATABLE_READ`.
    RepeatableRead,
    /// `SERIALIZABLE`.
    Serializable,
    /// `SQL_SERVER_SNAPSHOT` (refused: SQL Server only).
    SqlServerSnapshot,
}

const ISOLATION_MODES: &[&str] = &[
    "DEFAULT",
    "READ_UNCOMMITTED",
    "READ_COMMITTED",
    "REPEATABLE_READ",
    "SERIALIZABLE",
    "SQL_SERVER_SNAPSHOT",
];

impl IsolationMode {
    fn parse(s: &str) -> Option<IsolationMode> {
        use IsolationMode::*;
        Some(match s {
            "DEFAULT" => Default,
            "READ_UNCOMMITTED" => ReadUncommitted,
            "READ_COMMITTED" => ReadCommitted,
            "REPEATABLE_READ" => RepeatableRead,
            "SERIALIZABLE" => Serializable,
            "SQL_SERVER_SNAPSHOT" => SqlServerSnapshot,
            _ => return None,
        })
    }
    /// The `SET TRANSACTION` clause, if any.
    pub fn sql(self) -> Option<&'static str> {
        match self {
            IsolationMode::Default | IsolationMode::SqlServerSnapshot => None,
            IsolationMode::ReadUncommitted => Some("READ UNCOMMITTED"),
            IsolationMode::ReadCommitted => Some("READ COMMITTED"),
            IsolationMode::RepeatableRead => Some("REPEATABLE READ"),
            IsolationMode::Serializable => Some("SERIALIZABLE"),
        }
    }
}

fn key(name: &str, ty: ConfigType, imp: Importance, doc: &str) -> ConfigKey {
    ConfigKey::new(name, ty, imp, doc)
}

fn regex_list_validator() -> Validator {
    Validator::custom(|_, v| {
        if let ConfigValue::List(items) = v {
            for r in items {
                if let Err(e) = full_match(r) {
                    return Err(format!(
                        "Must be a valid comma-separated list of regular expression patterns: {e}"
                    ));
                }
            }
        }
        Ok(())
    })
}

fn mapping_validator(multi: bool) -> Validator {
    Validator::custom(move |_, v| {
        let ConfigValue::List(items) = v else {
            return Ok(());
        };
        for m in items {
            let parts: Vec<&str> = m.trim().split(':').collect();
            if parts.len() != 2 {
                return Err(if multi {
                    "Invalid format. Expected 'regex:[col1|col2|...]'".into()
                } else {
                    "Invalid format. Expected 'regex:columnName'".into()
                });
            }
            if let Err(e) = full_match(parts[0].trim()) {
                return Err(format!("Invalid regular expression: {e}"));
            }
            let cols = parts[1].trim();
            if multi {
                if !cols.starts_with('[') || !cols.ends_with(']') || cols.len() < 2 {
                    return Err("Columns list must be enclosed in square brackets".into());
                }
                let inner = &cols[1..cols.len() - 1];
                if inner.trim().is_empty() {
                    return Err("Columns list cannot be empty".into());
                }
                if inner.split('|').any(|c| c.trim().is_empty()) {
                    return Err("Every column name should be non-empty string".into());
                }
            } else if cols.is_empty() {
                return Err("Column name cannot be empty".into());
            }
        }
        Ok(())
    })
}

/// A regex that must match a whole string (Java's `Pattern.matches`).
pub fn full_match(re: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{re})$"))
}

fn topic_prefix_validator() -> Validator {
    Validator::custom(|_, v| {
        let s = match v {
            ConfigValue::String(s) => s.trim(),
            _ => return Err("Topic prefix must not be null.".into()),
        };
        if s.chars().count() > 249 {
            return Err(
                "Topic prefix length must not exceed max topic name length, 249 chars".into(),
            );
        }
        if s.chars()
            .any(|c| !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'))
        {
            return Err("Topic prefix must not contain any character other than ASCII alphanumerics, '.', '_' and '-'.".into());
        }
        Ok(())
    })
}

fn enum_validator(values: &'static [&'static str]) -> Validator {
    // Confluent's EnumRecommender: the all-lower or all-upper spelling.
    Validator::custom(move |_, v| match v {
        ConfigValue::String(s)
            if values
                .iter()
                .any(|c| c.to_lowercase() == *s || c.to_uppercase() == *s) =>
        {
            Ok(())
        }
        ConfigValue::Null => Ok(()),
        _ => Err("Invalid enumerator".into()),
    })
}

/// Every key of the source connector, in Confluent's order.
pub fn config_def() -> ConfigDef {
    let mut d = ConfigDef::new();
    for k in connection_keys(false) {
        d.add(k);
    }
    let db = DATABASE_GROUP;
    d.add(
        key(CREDENTIALS_PROVIDER_CLASS, ConfigType::Class, Importance::Low,
            "Credentials provider or provider chain to use for authentication to database. By default the connector uses ``io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider`` (connection.user and connection.password); no other provider is available in Sluice.")
        .default("io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider")
        .validator(Validator::custom(|_, v| match v {
            ConfigValue::Class(c) if c == "io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider" => Ok(()),
            _ => Err("Class is not available: only io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider is supported".into()),
        }))
        .display(db, 4, Width::Long, "JDBC Credentials Provider Class"),
    );
    let defs = vec![
        key(TABLE_WHITELIST, ConfigType::List, Importance::Medium,
            "List of tables to include in copying. If specified, ``table.blacklist`` may not be set. Use a comma-separated list to specify multiple tables (for example, ``table.whitelist: \"User, Address, Email\"``).")
            .default("").display(db, 7, Width::Long, "Table Whitelist"),
        key(TABLE_BLACKLIST, ConfigType::List, Importance::Medium,
            "List of tables to exclude from copying. If specified, ``table.whitelist`` may not be set. Use a comma-separated list to specify multiple tables (for example, ``table.blacklist: \"User, Address, Email\"``).")
            .default("").display(db, 8, Width::Long, "Table Blacklist"),
        key(TABLE_INCLUDE_LIST, ConfigType::List, Importance::Medium,
            "A comma-separated list of regular expressions that match the fully-qualified names of tables to be copied. Use a comma-separated list to specify multiple regular expressions. Table names are case-sensitive. For example, ``table.include.list: \"schema1.customer.*,schema2.order.*\"``. If specified, the legacy configs of ``table.whitelist``, and ``table.blacklist`` cannot be set.")
            .default("").validator(regex_list_validator()).display(db, 9, Width::Long, "Tables Included (Regex)"),
        key(TABLE_EXCLUDE_LIST, ConfigType::List, Importance::Medium,
            "A comma-separated list of regular expressions that match the fully-qualified names of tables not to be copied. This only applies to tables that match the include list. REQUIRES ``table.include.list`` to be specified. Use a comma-separated list to specify multiple regular expressions. Table names are case-sensitive. For example, ``table.exclude.list: \".*.temp.*,.*.staging.*\"``. If specified, ``table.whitelist`` and ``table.blacklist`` cannot not be set.")
            .default("").validator(regex_list_validator()).display(db, 10, Width::Long, "Tables Excluded (Regex)"),
        key(CATALOG_PATTERN, ConfigType::String, Importance::Medium,
            "Catalog pattern to fetch table metadata from the database.\n  * ``\"\"`` retrieves those without a catalog \n  * null (default) indicates that the schema name is not used to narrow the search and that all table metadata is fetched, regardless of the catalog. (PostgreSQL sees one database per connection, so the catalog never narrows the search.)")
            .default_null().display(db, 11, Width::Short, "Schema pattern"),
        key(SCHEMA_PATTERN, ConfigType::String, Importance::High,
            "Schema pattern to fetch table metadata from the database.\n  * ``\"\"`` retrieves those without a schema.\n  * null (default) indicates that the schema name is not used to narrow the search and that all table metadata is fetched, regardless of the schema.")
            .default_null().display(db, 12, Width::Short, "Schema pattern"),
        key(NUMERIC_PRECISION_MAPPING, ConfigType::Boolean, Importance::Low,
            "Whether or not to attempt mapping NUMERIC values by precision to integral types. This option is now deprecated. A future version may remove it completely. Please use ``numeric.mapping`` instead.")
            .default("false").display(db, 13, Width::Short, "Map Numeric Values By Precision (deprecated)"),
        key(NUMERIC_MAPPING, ConfigType::String, Importance::Low,
            "Map NUMERIC values by precision and optionally scale to integral or decimal types.\n  * Use ``none`` if all NUMERIC columns are to be represented by Connect's DECIMAL logical type.\n  * Use ``best_fit`` if NUMERIC columns should be cast to Connect's INT8, INT16, INT32, INT64, or FLOAT64 based upon the column's precision and scale. This option may still represent the NUMERIC value as Connect DECIMAL if it cannot be cast to a native type without losing precision. For example, a NUMERIC(20) type with precision 20 would not be able to fit in a native INT64 without overflowing and thus would be retained as DECIMAL.\n  * Use ``best_fit_eager_double`` if in addition to the properties of ``best_fit`` described above, it is desirable to always cast NUMERIC columns with scale to Connect FLOAT64 type, despite potential of loss in accuracy.\n  * Use ``precision_only`` to map NUMERIC columns based only on the column's precision assuming that column's scale is 0.\n  * The ``none`` option is the default, but may lead to serialization issues with Avro since Connect's DECIMAL type is mapped to its binary representation, and ``best_fit`` will often be preferred since it maps to the most appropriate primitive type.")
            .default_null().validator(enum_validator(NUMERIC_MAPPINGS)).display(db, 14, Width::Short, "Map Numeric Values, Integral or Decimal, By Precision and Scale"),
        key(DIALECT_NAME, ConfigType::String, Importance::Low,
            "The name of the database dialect that should be used for this connector. By default this is empty, and the connector automatically determines the dialect based upon the JDBC connection URL. Use this if you want to override that behavior and use a specific dialect. Sluice provides ``PostgreSqlDatabaseDialect`` only.")
            .default("").validator(Validator::custom(|_, v| match v {
                ConfigValue::String(s) if s.is_empty() || s == "PostgreSqlDatabaseDialect" => Ok(()),
                _ => Err("Invalid value. Supported dialects: PostgreSqlDatabaseDialect".into()),
            }))
            .display(db, 15, Width::Long, "Database Dialect"),
        key(DATE_CALENDAR_SYSTEM, ConfigType::String, Importance::Low,
            "The time elapsed from epoch populated in the end table topic for DATE or TIMESTAMP type columns can have two different values based upon the Calendar used to interpret it. If LEGACY is used, it will use the hybrid Gregorian/Julian calendar which was the default in the older java date time APIs. However, if 'PROLEPTIC_GREGORIAN' is used, then it will use the proleptic gregorian calendar which extends the Gregorian rules backward indefinitely and does not apply the 1582 cutover. This matches the behavior of modern Java date/time APIs (java.time). This is defaulted to LEGACY for backward compatibility. Changing this configuration on an existing connector might lead to a drift in the kafka topic record values. (Sluice reads dates with the proleptic Gregorian calendar in both settings; they differ only for values before 1582-10-15.)")
            .default("LEGACY").validator(Validator::one_of(&["LEGACY", "PROLEPTIC_GREGORIAN"]))
            .display(db, 16, Width::Medium, "Date Calendar System"),
        // Mode group.
        key(MODE, ConfigType::String, Importance::High,
            "The mode for updating a table each time it is polled. Options include:\n  * bulk: perform a bulk load of the entire table each time it is polled\n  * incrementing: use a strictly incrementing column on each table to detect only new rows. Note that this will not detect modifications or deletions of existing rows.\n  * timestamp: use a timestamp (or timestamp-like) column to detect new and modified rows. This assumes the column is updated with each write, and that values are monotonically incrementing, but not necessarily unique.\n  * timestamp+incrementing: use two columns, a timestamp column that detects new and modified rows and a strictly incrementing column which provides a globally unique ID for updates so each row can be assigned a unique stream offset.")
            .default("").validator(Validator::one_of(&["", "bulk", "timestamp", "incrementing", "timestamp+incrementing"]))
            .display(MODE_GROUP, 1, Width::Medium, "Table Loading Mode").dependents(MODE_DEPENDENTS),
        key(INCREMENTING_COLUMN_NAME, ConfigType::String, Importance::Medium,
            "The name of the strictly incrementing column to use to detect new rows. Any empty value indicates the column should be autodetected by looking for an auto-incrementing column. This column may not be nullable.")
            .default("").display(MODE_GROUP, 2, Width::Medium, "Incrementing Column Name"),
        key(TIMESTAMP_COLUMN_NAME, ConfigType::List, Importance::Medium,
            "Comma separated list of one or more timestamp columns to detect new or modified rows using the COALESCE SQL function. Rows whose first non-null timestamp value is greater than the largest previous timestamp value seen will be discovered with each poll. At least one column should not be nullable.")
            .default("").display(MODE_GROUP, 3, Width::Medium, "Timestamp Column Name"),
        key(TIMESTAMP_COLUMNS_MAPPING, ConfigType::List, Importance::Medium,
            "A comma separated list of table regex to timestamp columns mappings. On specifying multiple timestamp columns, COALESCE SQL function would be used to find out the effective timestamp for a row. Expected format is ``regex1:[col1|col2],regex2:[col3]``. Regexes would be matched against the fully-qualified table names of tables. Every table included for capture should match exactly one of the provided mappings. An example for a valid input would be ``SCHEMA1.EMPLOYEES.SALARY.*:[UPDATED_AT|MODIFIED_AT],ACCOUNTS.*:[CHANGED_AT]``")
            .default("").validator(mapping_validator(true)).display(MODE_GROUP, 4, Width::Long, "Table to timestamp columns mappings"),
        key(INCREMENTING_COLUMN_MAPPING, ConfigType::List, Importance::Medium,
            "A comma separated list of table regex to incrementing column mappings. Expected format is ``regex1:col2,regex2:col1``. Regexes would be matched against the fully-qualified table names of tables. Every table included for capture should match exactly one of the provided mappings. An example for a valid input would be ``SCHEMA1.EMPLOYEES.SALARY*:EMP_ID,ACCOUNTS.*:ID``")
            .default("").validator(mapping_validator(false)).display(MODE_GROUP, 5, Width::Long, "Table to incrementing column mappings"),
        key(TIMESTAMP_INITIAL, ConfigType::Long, Importance::Low,
            "The epoch timestamp used for initial queries that use timestamp criteria. Use -1 to use the current time. If not specified, all data will be retrieved.")
            .default_null().display(MODE_GROUP, 6, Width::Medium, "Unix time value of initial timestamp"),
        key(VALIDATE_NON_NULL, ConfigType::Boolean, Importance::Low,
            "By default, the JDBC connector will validate that all incrementing and timestamp tables have NOT NULL set for the columns being used as their ID/timestamp. If the tables don't, JDBC connector will fail to start. Setting this to false will disable these checks.")
            .default("true").display(MODE_GROUP, 7, Width::Short, "Validate Non Null"),
        key(QUERY, ConfigType::String, Importance::Medium,
            "If specified, the query to perform to select new or updated rows. Use this setting if you want to join tables, select subsets of columns in a table, or filter data. If used, this connector will only copy data using this query -- whole-table copying will be disabled. Different query modes may still be used for incremental updates, but in order to properly construct the incremental query, it must be possible to append a WHERE clause to this query (i.e. no WHERE clauses may be used). If you use a WHERE clause, it must handle incremental queries itself.")
            .default("").display(MODE_GROUP, 8, Width::Short, "Query"),
        key(QUERY_MASKED, ConfigType::Password, Importance::Medium,
            "Same as 'query' configuration but the query string is maskedUse this config to prevent sensitive information from being logged.")
            .default("").display(MODE_GROUP, 9, Width::Short, "Query (Masked)"),
        key(QUOTE_SQL_IDENTIFIERS, ConfigType::String, Importance::Medium,
            "When to quote table names, column names, and other identifiers in SQL statements. For backward compatibility, the default is ``always``.")
            .default("ALWAYS").display(MODE_GROUP, 10, Width::Medium, "Quote Identifiers"),
        key(QUERY_SUFFIX, ConfigType::String, Importance::Low, "Suffix to append at the end of the generated query.")
            .default("").display(MODE_GROUP, 11, Width::Medium, "Query suffix"),
        key(TRANSACTION_ISOLATION_MODE, ConfigType::String, Importance::Low,
            "Mode to control which transaction isolation level is used when running queries against the database. By default no explicit transaction isolationmode is set. SQL_SERVER_SNAPSHOT will only workagainst a connector configured to write to Sql Server.  Options include:\n  * DEFAULT\n   * READ_UNCOMMITED\n  * READ_COMMITED\n  * REPEATABLE_READ\n  * SERIALIZABLE\n  * SQL_SERVER_SNAPSHOT\n")
            .default("DEFAULT").validator(enum_validator(ISOLATION_MODES)).display(MODE_GROUP, 12, Width::Medium, "Transaction Isolation Mode"),
        key(QUERY_RETRY_ATTEMPTS, ConfigType::Int, Importance::Low,
            "Number of times to retry SQL exceptions encountered when executing queries.")
            .default("-1").display(MODE_GROUP, 13, Width::Medium, "Query Retry Attempts"),
        // Connector group.
        key(TABLE_TYPES, ConfigType::List, Importance::Low,
            "By default, the JDBC connector will only detect tables with type TABLE from the source Database. This config allows a command separated list of table types to extract. Options include:\n  * TABLE\n  * VIEW\n  * SYSTEM TABLE\n  * GLOBAL TEMPORARY\n  * LOCAL TEMPORARY\n  * ALIAS\n  * SYNONYM\n  In most cases it only makes sense to have either TABLE or VIEW. (PostgreSQL also reports PARTITIONED TABLE, MATERIALIZED VIEW, FOREIGN TABLE, SYSTEM VIEW and TEMPORARY TABLE.)")
            .default("TABLE").display(CONNECTOR_GROUP, 1, Width::Medium, "Table Types"),
        key(POLL_INTERVAL_MS, ConfigType::Int, Importance::High, "Frequency in ms to poll for new data in each table.")
            .default("5000").display(CONNECTOR_GROUP, 2, Width::Short, "Poll Interval (ms)"),
        key(BATCH_MAX_ROWS, ConfigType::Int, Importance::Low,
            "Maximum number of rows to include in a single batch when polling for new data. This setting can be used to limit the amount of data buffered internally in the connector.")
            .default("1000").display(CONNECTOR_GROUP, 3, Width::Short, "Max Rows Per Batch"),
        key(MAX_BUFFER_SIZE, ConfigType::Int, Importance::Low,
            "The maximum number of records from the source database that can be buffered into memory. The default of 0 means a buffer size will be based on the maximum batch size.")
            .default("0").display(CONNECTOR_GROUP, 4, Width::Short, "Maximum Buffer Size"),
        key(POLL_LINGER_MS, ConfigType::Long, Importance::Low,
            "The maximum time to wait for a record before returning an empty batch. The default is 5 seconds.")
            .default("5000").display(CONNECTOR_GROUP, 5, Width::Short, "Poll Linger Milliseconds"),
        key(TABLE_MONITORING_STARTUP_POLLING_LIMIT_MS, ConfigType::Long, Importance::Low,
            "The amount of time to wait for the table monitoring thread to complete initial table read (internal).")
            .default("10000"),
        key(TABLE_POLL_INTERVAL_MS, ConfigType::Long, Importance::Low,
            "Frequency in ms to poll for new or removed tables, which may result in updated task configurations to start polling for data in added tables or stop polling for data in removed tables.")
            .default("60000").display(CONNECTOR_GROUP, 6, Width::Short, "Metadata Change Monitoring Interval (ms)"),
        key(TOPIC_PREFIX, ConfigType::String, Importance::High,
            "Prefix to prepend to table names to generate the name of the Kafka topic to publish data to, or in the case of a custom query, the full name of the topic to publish to.")
            .default("").validator(topic_prefix_validator()).display(CONNECTOR_GROUP, 7, Width::Medium, "Topic Prefix"),
        key(TIMESTAMP_DELAY_INTERVAL_MS, ConfigType::Long, Importance::High,
            "How long to wait after a row with certain timestamp appears before we include it in the result. You may choose to add some delay to allow transactions with earlier timestamp to complete. The first execution will fetch all available records (i.e. starting at timestamp 0) until current time minus the delay. Every following execution will get data from the last time we fetched until current time minus the delay.")
            .default("0").display(CONNECTOR_GROUP, 8, Width::Medium, "Delay Interval (ms)"),
        key(DB_TIMEZONE, ConfigType::String, Importance::Medium,
            "Name of the JDBC timezone used in the connector when querying with time-based criteria. Defaults to UTC.")
            .default("UTC").validator(Validator::custom(|_, v| match v {
                ConfigValue::String(s) if Zone::parse(s).is_err() => Err("Invalid time zone. See the list of valid time zones at https://docs.oracle.com/javase/8/docs/api/java/time/ZoneId.html#shortIds".into()),
                _ => Ok(()),
            }))
            .display(CONNECTOR_GROUP, 9, Width::Medium, "DB time zone"),
        key(TIMESTAMP_GRANULARITY, ConfigType::String, Importance::Low,
            "Define the granularity of the Timestamp column. Options include: \n  * connect_logical (default): represents timestamp values using Kafka Connect's built-in representations \n  * micros_long: represents timestamp values as micros since epoch\n  * micros_string: represents timestamp values as micros since epoch in string\n  * micros_iso_datetime_string: uses iso format 'yyyy-MM-dd'T'HH:mm:ss.SSSSSS'\n  * nanos_long: represents timestamp values as nanos since epoch\n  * nanos_string: represents timestamp values as nanos since epoch in string\n  * nanos_iso_datetime_string: uses iso format 'yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'\n")
            .default("connect_logical").validator(enum_validator(GRANULARITIES)).display(CONNECTOR_GROUP, 10, Width::Medium, "Timestamp granularity for timestamp columns"),
    ];
    for k in defs {
        d.add(k);
    }
    d
}

/// The keys of a task config: the connector's plus `tables` and `tables.fetched`.
pub fn task_config_def() -> ConfigDef {
    config_def()
        .define(
            key(TABLES, ConfigType::List, Importance::High, "List of tables for this task to watch for changes.")
                .default(""),
        )
        .define(
            key(TABLES_FETCHED, ConfigType::Boolean, Importance::Low, "Whether the connector had read the list of tables when it made this task's config.")
                .default("false"),
        )
}

/// The typed source configuration.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// The `connection.*` settings.
    pub connection: ConnectionConfig,
    /// `table.whitelist`.
    pub whitelist: Vec<String>,
    /// `table.blacklist`.
    pub blacklist: Vec<String>,
    /// `table.include.list`.
    pub include: Vec<String>,
    /// `table.exclude.list`.
    pub exclude: Vec<String>,
    /// `schema.pattern` (a LIKE pattern; `None` = every schema).
    pub schema_pattern: Option<String>,
    /// `numeric.mapping` (or `numeric.precision.mapping`).
    pub numeric_mapping: NumericMapping,
    /// `mode`.
    pub mode: Mode,
    /// `incrementing.column.name`.
    pub incrementing_column: String,
    /// `timestamp.column.name`.
    pub timestamp_columns: Vec<String>,
    /// `timestamp.columns.mapping` as (regex, columns).
    pub timestamp_mapping: Vec<(String, Vec<String>)>,
    /// `incrementing.column.mapping` as (regex, column).
    pub incrementing_mapping: Vec<(String, String)>,
    /// `timestamp.initial`.
    pub timestamp_initial: Option<i64>,
    /// `validate.non.null`.
    pub validate_non_null: bool,
    /// `query` or `query.masked` (non-empty).
    pub query: Option<String>,
    /// The query came from `query.masked` (never logged).
    pub query_masked: bool,
    /// `quote.sql.identifiers`.
    pub quote: QuoteMode,
    /// `query.suffix` (trimmed).
    pub suffix: String,
    /// `transaction.isolation.mode`.
    pub isolation: IsolationMode,
    /// `query.retry.attempts` (-1 = unlimited).
    pub query_retry_attempts: i32,
    /// `table.types`.
    pub table_types: Vec<String>,
    /// `poll.interval.ms`.
    pub poll_interval: Duration,
    /// `batch.max.rows` (at least 1).
    pub batch_max_rows: usize,
    /// `poll.linger.ms`.
    pub poll_linger: Duration,
    /// `table.monitoring.startup.polling.limit.ms`.
    pub startup_limit: Duration,
    /// `table.poll.interval.ms`.
    pub table_poll_interval: Duration,
    /// `topic.prefix` (trimmed).
    pub topic_prefix: String,
    /// `timestamp.delay.interval.ms`.
    pub timestamp_delay_ms: i64,
    /// `db.timezone`.
    pub zone: Zone,
    /// `timestamp.granularity`.
    pub granularity: TimestampGranularity,
    /// `tables` (task configs only), as written.
    pub tables: Vec<String>,
    /// `tables.fetched` (task configs only).
    pub tables_fetched: bool,
}

impl SourceConfig {
    /// Parses a connector (or task) config; every key's error is collected.
    pub fn parse(props: &Props) -> Result<SourceConfig, ConfigErrors> {
        let parsed = task_config_def().parse(props)?;
        Self::from_parsed(&parsed).map_err(ConfigErrors::from)
    }

    fn from_parsed(p: &ParsedConfig) -> Result<SourceConfig, ConfigError> {
        let s = |k: &str| p.get_string(k).unwrap_or_default().to_string();
        let numeric_mapping = match p.get_string(NUMERIC_MAPPING) {
            Some(m) => NumericMapping::parse(m).unwrap_or(NumericMapping::None),
            None if p.get_bool(NUMERIC_PRECISION_MAPPING)? => NumericMapping::PrecisionOnly,
            None => NumericMapping::None,
        };
        let masked = p
            .get_password(QUERY_MASKED)
            .map(|pw| pw.value().to_string())
            .filter(|q| !q.is_empty());
        let query = masked
            .clone()
            .or_else(|| Some(s(QUERY)).filter(|q| !q.is_empty()));
        let timestamp_mapping = p
            .get_list(TIMESTAMP_COLUMNS_MAPPING)
            .iter()
            .filter_map(|m| {
                let (re, cols) = m.split_once(':')?;
                let cols = cols.trim().trim_start_matches('[').trim_end_matches(']');
                Some((
                    re.trim().to_string(),
                    cols.split('|').map(|c| c.trim().to_string()).collect(),
                ))
            })
            .collect();
        let incrementing_mapping = p
            .get_list(INCREMENTING_COLUMN_MAPPING)
            .iter()
            .filter_map(|m| {
                let (re, col) = m.split_once(':')?;
                Some((re.trim().to_string(), col.trim().to_string()))
            })
            .collect();
        let ms = |k: &str| -> Result<Duration, ConfigError> {
            Ok(Duration::from_millis(p.get_long(k)?.max(0) as u64))
        };
        Ok(SourceConfig {
            connection: ConnectionConfig::from_parsed(p)?,
            whitelist: p.get_list(TABLE_WHITELIST),
            blacklist: p.get_list(TABLE_BLACKLIST),
            include: p.get_list(TABLE_INCLUDE_LIST),
            exclude: p.get_list(TABLE_EXCLUDE_LIST),
            schema_pattern: p.get_string(SCHEMA_PATTERN).map(str::to_string),
            numeric_mapping,
            mode: Mode::parse(&s(MODE)),
            incrementing_column: s(INCREMENTING_COLUMN_NAME),
            timestamp_columns: p
                .get_list(TIMESTAMP_COLUMN_NAME)
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect(),
            timestamp_mapping,
            incrementing_mapping,
            timestamp_initial: match p.get(TIMESTAMP_INITIAL) {
                Some(ConfigValue::Long(v)) => Some(*v),
                _ => None,
            },
            validate_non_null: p.get_bool(VALIDATE_NON_NULL)?,
            query_masked: masked.is_some(),
            query,
            quote: QuoteMode::parse(&s(QUOTE_SQL_IDENTIFIERS)),
            suffix: s(QUERY_SUFFIX).trim().to_string(),
            isolation: IsolationMode::parse(&s(TRANSACTION_ISOLATION_MODE))
                .unwrap_or(IsolationMode::Default),
            query_retry_attempts: p.get_int(QUERY_RETRY_ATTEMPTS)?,
            table_types: p.get_list(TABLE_TYPES),
            poll_interval: Duration::from_millis(p.get_int(POLL_INTERVAL_MS)?.max(0) as u64),
            batch_max_rows: p.get_int(BATCH_MAX_ROWS)?.max(1) as usize,
            poll_linger: ms(POLL_LINGER_MS)?,
            startup_limit: ms(TABLE_MONITORING_STARTUP_POLLING_LIMIT_MS)?,
            table_poll_interval: ms(TABLE_POLL_INTERVAL_MS)?,
            topic_prefix: s(TOPIC_PREFIX).trim().to_string(),
            timestamp_delay_ms: p.get_long(TIMESTAMP_DELAY_INTERVAL_MS)?,
            zone: Zone::parse(&s(DB_TIMEZONE)).unwrap_or_default(),
            granularity: TimestampGranularity::parse(&s(TIMESTAMP_GRANULARITY))
                .unwrap_or(TimestampGranularity::ConnectLogical),
            tables: p.get_list(TABLES),
            tables_fetched: p.get_bool(TABLES_FETCHED)?,
        })
    }

    /// Any of the four table filters is set.
    pub fn uses_table_filters(&self) -> bool {
        !self.whitelist.is_empty()
            || !self.blacklist.is_empty()
            || !self.include.is_empty()
            || !self.exclude.is_empty()
    }

    /// The incrementing column of one table (`incrementing.column.mapping` when the include
    /// list is used, else `incrementing.column.name`).
    pub fn incrementing_column_for(&self, table_unquoted: &str) -> String {
        if self.include.is_empty() {
            return self.incrementing_column.clone();
        }
        self.incrementing_mapping
            .iter()
            .find(|(re, _)| full_match(re).is_ok_and(|r| r.is_match(table_unquoted)))
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }

    /// The timestamp columns of one table (`timestamp.columns.mapping` when the include list
    /// is used, else `timestamp.column.name`).
    pub fn timestamp_columns_for(&self, table_unquoted: &str) -> Vec<String> {
        if self.include.is_empty() {
            return self.timestamp_columns.clone();
        }
        self.timestamp_mapping
            .iter()
            .find(|(re, _)| full_match(re).is_ok_and(|r| r.is_match(table_unquoted)))
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }
}

fn add_error(results: &mut [ValidatedKey], key: &str, msg: &str) {
    if let Some(r) = results.iter_mut().find(|r| r.name == key) {
        r.errors.push(msg.to_string());
    }
}

/// The outcome of [`validate_rules`]: whether the connection should be tested next.
#[derive(Debug, PartialEq, Eq)]
pub enum RulesOutcome {
    /// Per-key errors were found; stop.
    Failed,
    /// The config is consistent; test the connection (and the query).
    TestConnection,
}

/// The per-key and cross-key checks of `JdbcSourceConnector.validate`, in Confluent's order
/// (validator errors first, then the mode recommender, then the multi-key rules). Errors are
/// added to `results`.
pub fn validate_rules(props: &Props, results: &mut [ValidatedKey]) -> RulesOutcome {
    // The mode-dependent recommender: visibility, and "Query mode must be specified".
    let mode = props
        .get(MODE)
        .map(|m| m.trim().to_string())
        .unwrap_or_default();
    for r in results.iter_mut() {
        if !MODE_DEPENDENTS.contains(&r.name.as_str()) {
            continue;
        }
        match mode.as_str() {
            "" => r.errors.push("Query mode must be specified".to_string()),
            "bulk" => r.visible = false,
            "timestamp" => {
                r.visible = [
                    TIMESTAMP_COLUMN_NAME,
                    TIMESTAMP_COLUMNS_MAPPING,
                    VALIDATE_NON_NULL,
                ]
                .contains(&r.name.as_str())
            }
            "incrementing" => {
                r.visible = [
                    INCREMENTING_COLUMN_NAME,
                    INCREMENTING_COLUMN_MAPPING,
                    VALIDATE_NON_NULL,
                ]
                .contains(&r.name.as_str())
            }
            "timestamp+incrementing" => r.visible = r.name != TIMESTAMP_INITIAL,
            other => r.errors.push(format!("Invalid mode: {other}")),
        }
        if r.name == TIMESTAMP_INITIAL && mode.as_str() != "" {
            // timestamp.initial is shown for the timestamp modes.
            r.visible = mode.starts_with("timestamp");
        }
    }
    for r in results.iter_mut() {
        if r.name == QUERY_MASKED {
            r.visible = false;
        }
    }
    if results.iter().any(|r| !r.errors.is_empty()) {
        return RulesOutcome::Failed;
    }
    let cfg = match SourceConfig::parse(props) {
        Ok(c) => c,
        Err(e) => {
            for err in e.errors {
                if let Some(k) = &err.key {
                    add_error(results, k, &err.message);
                }
            }
            return RulesOutcome::Failed;
        }
    };
    if cfg.isolation == IsolationMode::SqlServerSnapshot {
        add_error(
            results,
            TRANSACTION_ISOLATION_MODE,
            "Isolation mode of `SQL_SERVER_SNAPSHOT` can only be configured with a Sql Server Dialect",
        );
        return RulesOutcome::Failed;
    }
    let legacy = !cfg.whitelist.is_empty()
        || !cfg.blacklist.is_empty()
        || !cfg.incrementing_column.trim().is_empty()
        || cfg
            .timestamp_columns
            .first()
            .is_some_and(|c| !c.trim().is_empty());
    let new = !cfg.include.is_empty()
        || !cfg.exclude.is_empty()
        || !cfg.incrementing_mapping.is_empty()
        || !cfg.timestamp_mapping.is_empty();
    if cfg.query.is_none() {
        if legacy && new {
            let msg = "Cannot mix legacy and new configuration approaches. Legacy configurations (table.whitelist, table.blacklist, timestamp.column.name, incrementing.column.name) cannot be used together with new configurations (table.include.list, table.exclude.list, timestamp.columns.mapping, incrementing.column.mapping). Please choose one approach: either use all legacy configurations or all new configurations.";
            let present = [
                (TABLE_WHITELIST, !cfg.whitelist.is_empty()),
                (TABLE_BLACKLIST, !cfg.blacklist.is_empty()),
                (TABLE_INCLUDE_LIST, !cfg.include.is_empty()),
                (TABLE_EXCLUDE_LIST, !cfg.exclude.is_empty()),
                (TIMESTAMP_COLUMN_NAME, !cfg.timestamp_columns.is_empty()),
                (TIMESTAMP_COLUMNS_MAPPING, !cfg.timestamp_mapping.is_empty()),
                (
                    INCREMENTING_COLUMN_NAME,
                    !cfg.incrementing_column.trim().is_empty(),
                ),
                (
                    INCREMENTING_COLUMN_MAPPING,
                    !cfg.incrementing_mapping.is_empty(),
                ),
            ];
            for (k, set) in present {
                if set {
                    add_error(results, k, msg);
                }
            }
            return RulesOutcome::Failed;
        }
        if !legacy && !new {
            let msg = "At least one table filtering configuration is required. Provide one of: table.whitelist, table.blacklist, table.include.list, or table.exclude.list.";
            for k in [
                TABLE_WHITELIST,
                TABLE_BLACKLIST,
                TABLE_INCLUDE_LIST,
                TABLE_EXCLUDE_LIST,
            ] {
                add_error(results, k, msg);
            }
            return RulesOutcome::Failed;
        }
    }
    let raw_query = props.get(QUERY).map(String::as_str).unwrap_or("");
    let raw_masked = props.get(QUERY_MASKED).map(String::as_str).unwrap_or("");
    if !raw_query.is_empty() && !raw_masked.is_empty() {
        let msg = "Both 'query' and 'query.masked' configs cannot be set at the same time. Please use only one of them.";
        add_error(results, QUERY, msg);
        add_error(results, QUERY_MASKED, msg);
        return RulesOutcome::Failed;
    }
    if cfg.query.is_some() && cfg.uses_table_filters() {
        let msg = "Do not specify table filtering configs with 'query'. Remove table.whitelist / table.blacklist / table.include.list / table.exclude.list when using query mode or 'query' when using table filtering mode.";
        add_error(results, QUERY, msg);
        add_error(results, QUERY_MASKED, msg);
        for (k, set) in [
            (TABLE_WHITELIST, !cfg.whitelist.is_empty()),
            (TABLE_BLACKLIST, !cfg.blacklist.is_empty()),
            (TABLE_INCLUDE_LIST, !cfg.include.is_empty()),
            (TABLE_EXCLUDE_LIST, !cfg.exclude.is_empty()),
        ] {
            if set {
                add_error(results, k, msg);
            }
        }
        return RulesOutcome::Failed;
    }
    let select = Regex::new(r"(?is)^SELECT\b").expect("static regex");
    for (k, q) in [(QUERY, raw_query), (QUERY_MASKED, raw_masked)] {
        if !q.is_empty() && !select.is_match(q.trim()) {
            add_error(
                results,
                k,
                &format!("Only SELECT statements are supported for '{k}'. Please provide a statement that starts with SELECT."),
            );
            return RulesOutcome::Failed;
        }
    }
    if cfg.query.is_some()
        && cfg.mode.uses_incrementing()
        && cfg.incrementing_column.trim().is_empty()
    {
        add_error(
            results,
            INCREMENTING_COLUMN_NAME,
            &query_needs_incrementing_message(),
        );
        return RulesOutcome::Failed;
    }
    if new && cfg.query.is_none() {
        if !cfg.exclude.is_empty() && cfg.include.is_empty() {
            add_error(
                results,
                TABLE_EXCLUDE_LIST,
                "table.exclude.list cannot be used without table.include.list. Exclude list only applies to tables that match the include list.",
            );
            return RulesOutcome::Failed;
        }
        let checks = [
            (cfg.mode.uses_timestamp() && cfg.timestamp_mapping.is_empty(),
             "Timestamp column configuration must be provided when using mode 'timestamp' or 'timestamp+incrementing'. Provide 'timestamp.columns.mapping'."),
            (!cfg.mode.uses_timestamp() && !cfg.timestamp_mapping.is_empty(),
             "Timestamp column configurations should not be provided if mode is not 'timestamp' or 'timestamp+incrementing'. Remove 'timestamp.columns.mapping'."),
            (cfg.mode.uses_incrementing() && cfg.incrementing_mapping.is_empty(),
             "Incrementing column configuration must be provided when using mode 'incrementing' or 'timestamp+incrementing'. Provide 'incrementing.column.mapping'."),
            (!cfg.mode.uses_incrementing() && !cfg.incrementing_mapping.is_empty(),
             "Incrementing column configurations should not be provided if mode is not 'incrementing' or 'timestamp+incrementing'. Remove 'incrementing.column.mapping'."),
        ];
        for (bad, msg) in checks {
            if bad {
                add_error(results, MODE, msg);
                return RulesOutcome::Failed;
            }
        }
    }
    RulesOutcome::TestConnection
}

/// Confluent's message for an incrementing mode with a query and no incrementing column.
pub fn query_needs_incrementing_message() -> String {
    "'incrementing.column.name' must be provided when using mode 'incrementing' or 'timestamp+incrementing' with a custom query. The incrementing column cannot be auto-discovered in query mode because there is no table to inspect. Note that 'incrementing.column.mapping' is not applied in query mode (it maps columns by table-name regex, and a custom query has no underlying table to match), so 'incrementing.column.name' must be set explicitly.".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn errors_of(pairs: &[(&str, &str)]) -> Vec<(String, Vec<String>)> {
        let p = props(pairs);
        let mut results = config_def().validate(&p);
        validate_rules(&p, &mut results);
        results
            .into_iter()
            .filter(|r| !r.errors.is_empty())
            .map(|r| (r.name, r.errors))
            .collect()
    }

    const URL: (&str, &str) = (
        "connection.url",
        "jdbc:postgresql://127.0.0.1:5432/postgres",
    );

    #[test]
    fn defaults_match_confluent() {
        let c = SourceConfig::parse(&props(&[URL])).unwrap();
        assert_eq!(c.mode, Mode::Unspecified);
        assert_eq!(c.poll_interval, Duration::from_millis(5000));
        assert_eq!(c.batch_max_rows, 1000);
        assert_eq!(c.table_poll_interval, Duration::from_millis(60_000));
        assert_eq!(c.table_types, vec!["TABLE"]);
        assert_eq!(c.quote, QuoteMode::Always);
        assert_eq!(c.numeric_mapping, NumericMapping::None);
        assert_eq!(c.query_retry_attempts, -1);
        assert_eq!(c.zone, Zone::utc());
        assert!(c.validate_non_null);
        assert_eq!(c.timestamp_initial, None);
        let def = config_def();
        let k = def.key(TOPIC_PREFIX).unwrap();
        assert_eq!(k.group.as_deref(), Some(CONNECTOR_GROUP));
        assert_eq!(k.order_in_group, 7);
        assert_eq!(def.key(MODE).unwrap().order_in_group, 1);
        assert_eq!(def.key(DATE_CALENDAR_SYSTEM).unwrap().order_in_group, 16);
    }

    #[test]
    fn numeric_precision_mapping_is_precision_only_unless_numeric_mapping_is_set() {
        let c = SourceConfig::parse(&props(&[URL, (NUMERIC_PRECISION_MAPPING, "true")])).unwrap();
        assert_eq!(c.numeric_mapping, NumericMapping::PrecisionOnly);
        let c = SourceConfig::parse(&props(&[
            URL,
            (NUMERIC_PRECISION_MAPPING, "true"),
            (NUMERIC_MAPPING, "BEST_FIT"),
        ]))
        .unwrap();
        assert_eq!(c.numeric_mapping, NumericMapping::BestFit);
        let e = SourceConfig::parse(&props(&[URL, (NUMERIC_MAPPING, "Best_Fit")])).unwrap_err();
        assert_eq!(
            e.errors[0].message,
            "Invalid value Best_Fit for configuration numeric.mapping: Invalid enumerator"
        );
    }

    #[test]
    fn topic_prefix_characters_are_checked() {
        let e = SourceConfig::parse(&props(&[URL, (TOPIC_PREFIX, "a b")])).unwrap_err();
        assert_eq!(e.errors[0].message, "Invalid value a b for configuration topic.prefix: Topic prefix must not contain any character other than ASCII alphanumerics, '.', '_' and '-'.");
        let long = "x".repeat(250);
        let e = SourceConfig::parse(&props(&[URL, (TOPIC_PREFIX, &long)])).unwrap_err();
        assert!(e.errors[0]
            .message
            .ends_with("Topic prefix length must not exceed max topic name length, 249 chars"));
        assert!(SourceConfig::parse(&props(&[URL, (TOPIC_PREFIX, " pg.x-y_ ")])).is_ok());
    }

    #[test]
    fn db_timezone_and_include_list_are_validated() {
        let e = SourceConfig::parse(&props(&[URL, (DB_TIMEZONE, "Mars/Olympus")])).unwrap_err();
        assert!(e.errors[0].message.contains("Invalid time zone"), "{e}");
        let e = SourceConfig::parse(&props(&[URL, (TABLE_INCLUDE_LIST, "public.(")])).unwrap_err();
        assert!(e.errors[0]
            .message
            .contains("Must be a valid comma-separated list of regular expression patterns"));
    }

    #[test]
    fn empty_mode_is_reported_on_the_mode_dependent_keys() {
        let errs = errors_of(&[URL, (TABLE_WHITELIST, "t")]);
        let names: Vec<_> = errs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, MODE_DEPENDENTS);
        assert!(errs
            .iter()
            .all(|(_, e)| e == &vec!["Query mode must be specified".to_string()]));
    }

    #[test]
    fn query_and_table_filters_are_exclusive() {
        let errs = errors_of(&[
            URL,
            (MODE, "bulk"),
            (QUERY, "SELECT 1"),
            (TABLE_WHITELIST, "t"),
        ]);
        let names: Vec<_> = errs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, vec![TABLE_WHITELIST, QUERY, QUERY_MASKED]);
        assert!(errs[1].1[0].starts_with("Do not specify table filtering configs with 'query'."));
    }

    #[test]
    fn a_table_filter_is_required_without_a_query() {
        let errs = errors_of(&[URL, (MODE, "bulk")]);
        assert_eq!(errs.len(), 4);
        assert!(errs[0].1[0].starts_with("At least one table filtering configuration is required."));
    }

    #[test]
    fn exclude_needs_include_and_legacy_and_new_do_not_mix() {
        let errs = errors_of(&[URL, (MODE, "bulk"), (TABLE_EXCLUDE_LIST, "x")]);
        assert_eq!(errs, vec![(TABLE_EXCLUDE_LIST.to_string(), vec!["table.exclude.list cannot be used without table.include.list. Exclude list only applies to tables that match the include list.".to_string()])]);
        let errs = errors_of(&[
            URL,
            (MODE, "bulk"),
            (TABLE_INCLUDE_LIST, "x"),
            (TABLE_WHITELIST, "y"),
        ]);
        assert_eq!(errs.len(), 2);
        assert!(errs[0].1[0].starts_with("Cannot mix legacy and new configuration approaches."));
    }

    #[test]
    fn incrementing_query_mode_needs_the_column() {
        let errs = errors_of(&[URL, (MODE, "incrementing"), (QUERY, "SELECT * FROM t")]);
        assert_eq!(
            errs,
            vec![(
                INCREMENTING_COLUMN_NAME.to_string(),
                vec![query_needs_incrementing_message()]
            )]
        );
        let errs = errors_of(&[URL, (MODE, "bulk"), (QUERY, "DELETE FROM t")]);
        assert_eq!(errs[0].1[0], "Only SELECT statements are supported for 'query'. Please provide a statement that starts with SELECT.");
    }

    #[test]
    fn a_valid_config_goes_on_to_the_connection_test() {
        let p = props(&[URL, (MODE, "incrementing"), (TABLE_WHITELIST, "orders")]);
        let mut results = config_def().validate(&p);
        assert_eq!(
            validate_rules(&p, &mut results),
            RulesOutcome::TestConnection
        );
        let ts = results
            .iter()
            .find(|r| r.name == TIMESTAMP_COLUMN_NAME)
            .unwrap();
        assert!(!ts.visible);
    }
}
