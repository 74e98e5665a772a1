//! Tests of the whole sink: configuration validation of every key, and the task against the
//! in-process Elasticsearch test server (`sluice-testkit`).
//!
//! Tests marked "real" additionally run against a real Elasticsearch when `SLUICE_TEST_ES_URL`
//! is set (e.g. `http://localhost:9200`); without it they return early with a message on
//! stderr.

mod config_tests;
mod hardening_tests;
mod support;
mod task_tests;
