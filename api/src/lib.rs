//! Sluice's plugin SPI: the Kafka Connect data model (schemas, values, structs, records,
//! headers), the plugin traits (connectors and tasks, converters, transformations,
//! predicates) and the typed config definitions every plugin uses.
//!
//! This crate depends on no other crate of the workspace; `converters`, `transforms` and
//! `connectors` depend on it alone, and the `worker` runs what they implement.

pub mod config;
pub mod connector;
pub mod converter;
pub mod error;
pub mod header;
pub mod logical;
pub mod plugin;
pub mod record;
pub mod schema;
pub mod transform;
pub mod value;
pub mod values;

pub use bigdecimal::BigDecimal;
pub use num_bigint::BigInt;

pub use config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, ParsedConfig, Password, Props,
    ValidatedKey, Validator,
};
pub use connector::{
    Connector, ConnectorContext, ConnectorTransactionBoundaries, ErrantRecordReporter,
    ExactlyOnceSupport, OffsetStorageReader, RecordMetadata, SinkConnector, SinkTask,
    SinkTaskContext, SourceConnector, SourceTask, SourceTaskContext,
};
pub use converter::{Converter, HeaderConverter};
pub use error::{ConfigError, ConnectError, ConnectResult};
pub use header::{Header, Headers};
pub use plugin::{Plugin, PluginDesc, PluginFactory, PluginType};
pub use record::{
    ConnectRecord, OffsetMap, Origin, SinkRecord, SourceOffset, SourceRecord, TimestampType,
    TopicPartition,
};
pub use schema::{schemas, Field, Schema, SchemaBuilder, SchemaRef, Type};
pub use transform::{Predicate, Transformation};
pub use value::{SchemaAndValue, Struct, Value};

/// The version every built-in plugin reports.
pub const SLUICE_VERSION: &str = env!("CARGO_PKG_VERSION");
