//! The Sluice worker: a Kafka Connect compatible runtime.
//!
//! * [`config`]: worker and connector configuration files, environment overrides, client
//!   settings.
//! * [`runtime`]: the worker that runs connectors and tasks (source and sink loops).
//! * [`storage`]: source offset stores.
//! * [`herder`]: the one interface for cluster actions; [`herder::standalone`] implements it.
//! * [`plugins`]: the registry of built-in plugins by Java class name and alias.
//! * [`rest`]: the Kafka Connect REST API.
//! * [`logging`] and [`cli`]: the `sluice` binary's set-up; [`memory`]: freed heap handed
//!   back to the system.

pub mod cli;
pub mod config;
pub mod distributed;
pub mod herder;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod plugins;
pub mod rest;
pub mod runtime;
pub mod storage;
mod tls_files;
pub mod tools;
pub mod unreadable;
