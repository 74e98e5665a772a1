//! Test servers for Sluice's tests.
//!
//! * [`es`]: an HTTP server that behaves like Elasticsearch for what the Elasticsearch sink and
//!   its tests use (index management, mappings, `_bulk` with external versioning, `_count`,
//!   `_search`, `_doc`), with fault injection (whole-request 429/5xx, slow responses, per-item
//!   `mapper_parsing_exception`, rejections and version conflicts). Start it in-process with
//!   [`es::EsTestServer::start`], or run the `es-test-server` binary and drive its faults
//!   through the `/_testkit/*` admin endpoints.
//! * [`schema_registry`]: an HTTP server that behaves like Confluent's Schema Registry for what
//!   the AvroConverter and Confluent's clients use, with request counters. Start it in-process
//!   with [`schema_registry::SchemaRegistryTestServer::start`], or run the
//!   `schema-registry-test-server` binary.
//! * [`postgres`]: the real PostgreSQL of the JDBC tests, with a fresh schema per test.
//! * [`jdbc_bench`]: shared pieces of the JDBC benchmark's helper binaries.

pub mod es;
pub mod jdbc_bench;
pub mod postgres;
pub mod schema_registry;

pub use es::{EsTestServer, ItemFault, ServerStats};
pub use schema_registry::{RegistryStats, SchemaRegistryTestServer};
