//! The Sluice worker: a Kafka Connect compatible runtime.
//!
//! * [`herder`]: the one interface for cluster actions (standalone and distributed).
//! * [`plugins`]: the registry of built-in plugins by Java class name and alias.

pub mod herder;
pub mod plugins;
