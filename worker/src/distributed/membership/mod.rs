//! Kafka group membership for distributed workers: the classic JoinGroup/SyncGroup protocol
//! with protocol type `connect`, as Java's `AbstractCoordinator`, `WorkerCoordinator` and
//! `WorkerGroupMember` speak it (librdkafka has no generic membership API).
//!
//! * [`config`]: [`MembershipConfig`] and the security settings read from worker properties.
//! * [`connection`]: one broker connection (framing, correlation ids, ApiVersions, TLS, SASL).
//! * [`tls`]: the rustls client configuration from the `ssl.*` keys.
//! * [`scram`] and [`sasl`]: the SASL mechanisms PLAIN and SCRAM-SHA-256/512.
//! * [`coordinator`]: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup and what
//!   each error means for the member.
//! * [`member`]: the task that keeps a member in its group ([`spawn`], [`GroupMember`]).
//! * [`group_offsets`]: a consumer group's committed offsets, listed (OffsetFetch) and
//!   deleted (OffsetDelete) at its coordinator (the sink offsets endpoints use them).

pub mod config;
pub mod connection;
pub mod coordinator;
pub mod group_offsets;
pub mod member;
pub mod sasl;
pub mod scram;
pub mod tls;

pub use config::{ConfigError, MembershipConfig, SaslCredentials, SaslMechanism, SecurityConfig};
pub use member::{spawn, Generation, GroupHandler, GroupMember, JoinedMember};

#[cfg(test)]
pub(crate) mod fake_broker_tests;
