//! `io.confluent.connect.avro.AvroConverter`, wire-compatible with Confluent's: Connect data ↔
//! Avro binary framed with magic byte 0 and a Schema Registry id.
//!
//! Modules: [`config`] (the keys), [`schema`] (Avro schemas with every property),
//! [`from_connect`] and [`to_connect`] (the schema mapping of Confluent's `AvroData`),
//! [`codec`] (values ↔ Avro binary through a compiled plan), [`wire`] (the 5-byte prefix),
//! [`subject`] (subject name strategies), [`registry`] (the REST client) and `converter`
//! (caches and the `Converter` itself).

pub mod anything;
pub mod codec;
pub mod config;
mod converter;
pub mod from_connect;
pub mod names;
pub mod project;
pub mod registry;
pub mod schema;
pub mod subject;
pub mod to_connect;
pub mod wire;

pub use config::{AvroConverterConfig, AvroDataConfig};
pub use converter::{AvroConverter, CLASS};

#[cfg(test)]
mod tests;
