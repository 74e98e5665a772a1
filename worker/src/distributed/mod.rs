//! Distributed mode: the pieces of Java Connect's `runtime.distributed` package.
//!
//! * [`protocol`]: the Connect group sub-protocols (`default`/`compatible`/`sessioned`), the
//!   member metadata sent in JoinGroup and the assignment sent in SyncGroup, byte for byte as
//!   Java's `ConnectProtocol`, `IncrementalCooperativeConnectProtocol` and `ExtendedAssignment`.
//! * [`assignor`]: the leader's assignors, Java's `IncrementalCooperativeAssignor` (protocol
//!   versions 1 and 2) and `EagerAssignor` (version 0), as pure code without I/O.
//! * [`membership`]: the group-membership client (FindCoordinator, JoinGroup, SyncGroup,
//!   Heartbeat, LeaveGroup over PLAINTEXT, SSL and SASL), Java's `AbstractCoordinator`.
//!
//! The distributed herder that uses them is [`crate::herder::distributed`].

pub mod assignor;
pub mod membership;
pub mod protocol;
