//! The Elasticsearch sink, configuration-compatible with Confluent's
//! `io.confluent.connect.elasticsearch.ElasticsearchSinkConnector` (15.x).
//!
//! * [`config`]: every key, its default and validation, legacy keys.
//! * [`resource`]: topic → index or data stream name.
//! * [`document`]: record value → JSON document ([`direct`]: the schemaless one written
//!   without a JSON tree); [`mapping`]: Connect schema → mapping.
//! * [`bulk`]: record → bulk action (id, versioning, tombstones, upserts); [`actions`]: actions
//!   kept as the NDJSON lines of their request.
//! * [`client`]: HTTP calls through the `elasticsearch` crate; [`retry`]: backoff.
//! * [`processor`]: batching, in-flight requests, per-item outcomes; [`offsets`]: what may be
//!   committed.
//! * [`task`] and [`connector`]: the SPI implementations.

pub mod actions;
pub mod bulk;
pub mod bulk_response;
pub mod client;
pub mod config;
pub mod connector;
pub mod direct;
pub mod document;
pub mod mapping;
pub mod offsets;
pub mod processor;
pub mod resource;
pub mod retry;
pub mod task;

#[cfg(test)]
mod tests;

pub use connector::{ElasticsearchSinkConnector, CLASS};
pub use task::ElasticsearchSinkTask;

use sluice_api::{Plugin, PluginFactory, SinkConnector};

fn create() -> Box<dyn SinkConnector> {
    Box::new(ElasticsearchSinkConnector::new())
}

/// The plugins of this module (the worker derives the `ElasticsearchSinkConnector` and
/// `ElasticsearchSink` aliases from the class name).
pub fn plugins() -> Vec<Plugin> {
    vec![Plugin {
        class: CLASS,
        version: sluice_api::SLUICE_VERSION,
        factory: PluginFactory::Sink(create),
    }]
}
