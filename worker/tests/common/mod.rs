//! Helpers shared by the worker's integration tests (`mod common;` in a `worker/tests/*.rs`).
//!
//! * [`kafka`]: the broker under test (`SLUICE_BOOTSTRAP_SERVERS`, default `127.0.0.1:9092`),
//!   unique topic names, topic creation with the admin client (tansu does not auto-create
//!   topics), and produce/consume helpers working on raw bytes.
//! * [`process`]: the `sluice` binary run as a subprocess in a temporary directory, with its
//!   output captured, stopped with SIGTERM or SIGKILL.
//! * [`wait`]: polling with a bounded timeout.
//! * [`memory`]: the test process's own resident memory (allocator tests).
//! * [`prom`]: a strict parser of the Prometheus / OpenMetrics text exposition.
//!
//! The helpers are blocking (rdkafka's base clients and `std::process`); call them from
//! plain `#[test]`s, or through `tokio::task::spawn_blocking` in async tests. Every helper
//! fails the test with a message saying what it waited for; none skips: an unreachable broker
//! is a test failure, never a silent pass.

// Each test binary uses a different subset of the helpers.
#![allow(dead_code, unused_imports)]

pub mod kafka;
pub mod memory;
pub mod process;
pub mod prom;
pub mod wait;

pub use kafka::{
    bootstrap_servers, consume, consume_values, create_topic, produce, produce_values,
    read_all_values_at, unique_name, unique_topic, Consumed,
};
pub use process::{worker_properties, Sluice, TestDir};
pub use wait::wait_until;
