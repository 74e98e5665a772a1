//! The JDBC source for PostgreSQL, configuration-compatible with Confluent's
//! `io.confluent.connect.jdbc.JdbcSourceConnector` (10.x).
//!
//! * [`config`]: every key, its default and validation, the cross-key rules of `validate`.
//! * [`discovery`]: listing tables, the table filters, the split across tasks.
//! * [`sql`]: the statement of each mode; [`params`]: how its parameters are bound.
//! * [`offsets`]: source partitions and offset maps in Confluent's format.
//! * [`types`]: PostgreSQL columns → Connect schemas and values (`db.timezone` is
//!   [`crate::jdbc::zone`]).
//! * [`querier`]: one table or query being read; [`task`] and [`connector`]: the SPI.

pub mod config;
pub mod connector;
pub mod discovery;
pub mod offsets;
pub mod params;
pub mod querier;
pub mod sql;
pub mod task;
pub mod types;

pub use connector::{JdbcSourceConnector, CLASS};
pub use task::JdbcSourceTask;

use sluice_api::{Plugin, PluginFactory, SourceConnector};

fn create() -> Box<dyn SourceConnector> {
    Box::new(JdbcSourceConnector::new())
}

/// The plugins of this module (the worker derives the `JdbcSourceConnector` and `JdbcSource`
/// aliases from the class name).
pub fn plugins() -> Vec<Plugin> {
    vec![Plugin {
        class: CLASS,
        version: sluice_api::SLUICE_VERSION,
        factory: PluginFactory::Source(create),
    }]
}
