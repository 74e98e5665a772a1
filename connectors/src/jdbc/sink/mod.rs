//! The JDBC sink for PostgreSQL, configuration-compatible with Confluent's
//! `io.confluent.connect.jdbc.JdbcSinkConnector` (10.x).
//!
//! * [`config`]: every key with Confluent's defaults, validators and messages.
//! * [`validate`]: what a record must carry (`RecordValidator`); [`fields`]: its columns
//!   (`FieldsMetadata`).
//! * [`dialect`]: the SQL of Confluent's `PostgreSqlDatabaseDialect` (DML, DDL, types,
//!   literals); [`structure`]: table metadata, `auto.create` and `auto.evolve`.
//! * [`bind`]: record values as statement parameters; [`timezone`]: `db.timezone` and the
//!   legacy calendar.
//! * [`buffer`]: the flush rules of `BufferedRecords`; [`writer`]: one transaction per `put`,
//!   multi-row statements; [`task`] and [`connector`]: the SPI implementations.

pub mod bind;
pub mod buffer;
pub mod config;
pub mod connector;
pub mod dialect;
pub mod error;
pub mod fields;
pub mod structure;
pub mod task;
pub mod timezone;
pub mod validate;
pub mod writer;

pub use connector::{JdbcSinkConnector, CLASS};
pub use task::JdbcSinkTask;

use sluice_api::{Plugin, PluginFactory, SinkConnector};

fn create() -> Box<dyn SinkConnector> {
    Box::new(JdbcSinkConnector::new())
}

/// The plugins of this module (the worker derives the `JdbcSinkConnector` and `JdbcSink`
/// aliases from the class name).
pub fn plugins() -> Vec<Plugin> {
    vec![Plugin {
        class: CLASS,
        version: sluice_api::SLUICE_VERSION,
        factory: PluginFactory::Sink(create),
    }]
}
