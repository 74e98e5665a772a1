//! Distributed mode: workers that share connectors and tasks through a Kafka group.

pub mod membership;
