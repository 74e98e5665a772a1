//! The group coordinator's requests (FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
//! LeaveGroup) and what each error means for the member ([`Recovery`]), following Java's
//! `AbstractCoordinator`:
//!
//! * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and broken connections: find the
//!   coordinator again;
//! * UNKNOWN_MEMBER_ID: forget the member id and rejoin;
//! * ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS: rejoin;
//! * every other error: back off (`retry.backoff.ms`) and rejoin, so that a member never
//!   gets stuck.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiKey, FindCoordinatorRequest, FindCoordinatorResponse, GroupId, HeartbeatRequest,
    HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse,
    SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::{Decodable, StrBytes};

use super::config::MembershipConfig;
use super::connection::{Connection, ConnectionError};

/// The protocol type of Connect worker groups.
pub const PROTOCOL_TYPE: &str = "connect";

/// The highest JoinGroup version used when the broker supports it: v5 carries everything a
/// Connect member needs (later versions add flexible encoding, the reason and static
/// membership details), and librdkafka's mock cluster misreads the flexible v6.
pub const JOIN_GROUP_VERSION: i16 = 5;
/// The highest SyncGroup version used (v4 is the first flexible one, which librdkafka's
/// mock cluster misreads; v5 only adds the protocol type and name).
pub const SYNC_GROUP_VERSION: i16 = 3;
/// The highest LeaveGroup version used: versions 0 to 2 name one member, which is all a
/// dynamic member needs; librdkafka's mock cluster parses later versions as version 0.
pub const LEAVE_GROUP_VERSION: i16 = 2;

/// How many times JoinGroup is resent with the member id the coordinator handed out
/// (MEMBER_ID_REQUIRED) before the answer counts as an error.
const MEMBER_ID_RETRIES: usize = 3;

/// A failed coordinator request.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// The connection failed.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The coordinator answered an error.
    #[error("{api:?} failed: {error}{}", message.as_ref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Broker {
        /// The request.
        api: ApiKey,
        /// The error.
        error: ResponseError,
        /// The broker's message, where it sent one.
        message: Option<String>,
    },
    /// No bootstrap server could tell where the coordinator is.
    #[error("Could not find the coordinator of group {group}: {reason}")]
    NoCoordinator {
        /// The group.
        group: String,
        /// The last failure.
        reason: String,
    },
}

/// What the member does after a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Drop the coordinator connection, find the coordinator again (after the backoff),
    /// and rejoin.
    Rediscover,
    /// Forget the member id and rejoin at once.
    ResetMemberAndRejoin,
    /// Rejoin at once.
    Rejoin,
    /// Wait `retry.backoff.ms`, then rejoin.
    BackoffAndRejoin,
}

impl GroupError {
    /// The error a response's `code` stands for (`None` for no error).
    pub(super) fn broker(api: ApiKey, code: i16, message: Option<&StrBytes>) -> Option<Self> {
        ResponseError::try_from_code(code).map(|error| GroupError::Broker {
            api,
            error,
            message: message.map(|m| m.to_string()),
        })
    }

    /// The error code the coordinator answered, if it answered one.
    pub fn response_error(&self) -> Option<ResponseError> {
        match self {
            GroupError::Broker { error, .. } => Some(*error),
            _ => None,
        }
    }

    /// What to do next (see the module documentation).
    pub fn recovery(&self) -> Recovery {
        match self {
            GroupError::Connection(_) | GroupError::NoCoordinator { .. } => Recovery::Rediscover,
            GroupError::Broker { error, .. } => recovery_for(*error),
        }
    }
}

/// What an error code means for the member (see the module documentation).
pub fn recovery_for(error: ResponseError) -> Recovery {
    match error {
        ResponseError::NotCoordinator | ResponseError::CoordinatorNotAvailable => {
            Recovery::Rediscover
        }
        ResponseError::UnknownMemberId => Recovery::ResetMemberAndRejoin,
        ResponseError::IllegalGeneration | ResponseError::RebalanceInProgress => Recovery::Rejoin,
        _ => Recovery::BackoffAndRejoin,
    }
}

/// A member of the group as the leader sees it in the JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    /// Its member id.
    pub member_id: String,
    /// Its static instance id (Connect workers have none).
    pub group_instance_id: Option<String>,
    /// Its metadata for the chosen protocol.
    pub metadata: Bytes,
}

/// A successful JoinGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The new generation.
    pub generation_id: i32,
    /// This member's id.
    pub member_id: String,
    /// The leader's member id.
    pub leader_id: String,
    /// The protocol the coordinator chose.
    pub protocol: String,
    /// Every member with its metadata (the leader only; empty for followers).
    pub members: Vec<JoinedMember>,
}

impl Joined {
    /// Whether this member leads the generation.
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader_id
    }
}

/// Asks the bootstrap servers, in order, where the group's coordinator is and connects to
/// it.
pub async fn find_coordinator(config: &MembershipConfig) -> Result<Connection, GroupError> {
    let mut last = String::from("no bootstrap server");
    for server in &config.bootstrap_servers {
        let located = async {
            let mut conn = Connection::connect(
                server,
                &config.client_id,
                &config.security,
                config.request_timeout,
            )
            .await?;
            locate(&mut conn, &config.group_id).await
        };
        match located.await {
            Ok((host, port)) => {
                let addr = if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                };
                let conn = Connection::connect(
                    &addr,
                    &config.client_id,
                    &config.security,
                    config.request_timeout,
                )
                .await?;
                tracing::info!(group = %config.group_id, coordinator = %addr,
                    "Discovered group coordinator.");
                return Ok(conn);
            }
            Err(e) => {
                tracing::debug!(group = %config.group_id, server = %server, error = %e,
                    "FindCoordinator failed.");
                last = e.to_string();
            }
        }
    }
    Err(GroupError::NoCoordinator {
        group: config.group_id.clone(),
        reason: last,
    })
}

/// FindCoordinator (key type group) on `conn`: the coordinator's host and port.
pub async fn locate(conn: &mut Connection, group: &str) -> Result<(String, i32), GroupError> {
    let version = conn.version(ApiKey::FindCoordinator, None)?;
    let key = StrBytes::from_string(group.to_string());
    let mut request = FindCoordinatorRequest::default();
    if version >= 4 {
        request = request.with_coordinator_keys(vec![key]);
    } else {
        request = request.with_key(key);
    }
    let timeout = conn.request_timeout();
    let response: FindCoordinatorResponse = conn
        .send(ApiKey::FindCoordinator, version, &request, timeout)
        .await?;
    let (code, message, host, port) = if version >= 4 {
        let Some(c) = response.coordinators.first() else {
            return Err(GroupError::Broker {
                api: ApiKey::FindCoordinator,
                error: ResponseError::CoordinatorNotAvailable,
                message: Some("the response names no coordinator".to_string()),
            });
        };
        (
            c.error_code,
            c.error_message.clone(),
            c.host.clone(),
            c.port,
        )
    } else {
        (
            response.error_code,
            response.error_message.clone(),
            response.host.clone(),
            response.port,
        )
    };
    if let Some(e) = GroupError::broker(ApiKey::FindCoordinator, code, message.as_ref()) {
        return Err(e);
    }
    Ok((host.to_string(), port))
}

/// The timeout of JoinGroup and SyncGroup: they wait for the rebalance, so Java gives them
/// the rebalance timeout plus 5 s when that is longer than `request.timeout.ms`.
pub fn rebalance_request_timeout(config: &MembershipConfig) -> Duration {
    config
        .request_timeout
        .max(config.rebalance_timeout + Duration::from_secs(5))
}

/// JoinGroup with protocol type `connect` and `protocols` (preferred first). `member_id` is
/// empty for a new member; a MEMBER_ID_REQUIRED answer stores the given id in it and the
/// request is sent again with it.
pub async fn join_group(
    conn: &mut Connection,
    config: &MembershipConfig,
    member_id: &mut String,
    protocols: &[(String, Bytes)],
) -> Result<Joined, GroupError> {
    let version = conn.preferred_version(ApiKey::JoinGroup, JOIN_GROUP_VERSION)?;
    let protocols: Vec<JoinGroupRequestProtocol> = protocols
        .iter()
        .map(|(name, metadata)| {
            JoinGroupRequestProtocol::default()
                .with_name(StrBytes::from_string(name.clone()))
                .with_metadata(metadata.clone())
        })
        .collect();
    for _ in 0..=MEMBER_ID_RETRIES {
        let request = JoinGroupRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(config.group_id.clone())))
            .with_session_timeout_ms(config.session_timeout_ms())
            .with_rebalance_timeout_ms(config.rebalance_timeout_ms())
            .with_member_id(StrBytes::from_string(member_id.clone()))
            .with_protocol_type(StrBytes::from_static_str(PROTOCOL_TYPE))
            .with_protocols(protocols.clone());
        let response: JoinGroupResponse = conn
            .send(
                ApiKey::JoinGroup,
                version,
                &request,
                rebalance_request_timeout(config),
            )
            .await?;
        match ResponseError::try_from_code(response.error_code) {
            None => {
                return Ok(Joined {
                    generation_id: response.generation_id,
                    member_id: response.member_id.to_string(),
                    leader_id: response.leader.to_string(),
                    protocol: response
                        .protocol_name
                        .as_ref()
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    members: response
                        .members
                        .iter()
                        .map(|m| JoinedMember {
                            member_id: m.member_id.to_string(),
                            group_instance_id: m.group_instance_id.as_ref().map(|i| i.to_string()),
                            metadata: m.metadata.clone(),
                        })
                        .collect(),
                })
            }
            Some(ResponseError::MemberIdRequired) => {
                tracing::debug!(group = %config.group_id, member = %response.member_id,
                    "The coordinator assigned a member id; joining again with it.");
                *member_id = response.member_id.to_string();
            }
            Some(error) => {
                return Err(GroupError::Broker {
                    api: ApiKey::JoinGroup,
                    error,
                    message: None,
                })
            }
        }
    }
    Err(GroupError::Broker {
        api: ApiKey::JoinGroup,
        error: ResponseError::MemberIdRequired,
        message: Some("the coordinator kept asking for a member id".to_string()),
    })
}

/// SyncGroup: the leader sends every member's assignment (`assignments`), followers send
/// none; every member receives its own assignment.
pub async fn sync_group(
    conn: &mut Connection,
    config: &MembershipConfig,
    joined: &Joined,
    assignments: Vec<(String, Bytes)>,
) -> Result<Bytes, GroupError> {
    let version = conn.preferred_version(ApiKey::SyncGroup, SYNC_GROUP_VERSION)?;
    let mut request = SyncGroupRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(config.group_id.clone())))
        .with_generation_id(joined.generation_id)
        .with_member_id(StrBytes::from_string(joined.member_id.clone()))
        .with_assignments(
            assignments
                .into_iter()
                .map(|(member, bytes)| {
                    SyncGroupRequestAssignment::default()
                        .with_member_id(StrBytes::from_string(member))
                        .with_assignment(bytes)
                })
                .collect(),
        );
    if version >= 5 {
        request = request
            .with_protocol_type(Some(StrBytes::from_static_str(PROTOCOL_TYPE)))
            .with_protocol_name(Some(StrBytes::from_string(joined.protocol.clone())));
    }
    let mut body = conn
        .round_trip(
            ApiKey::SyncGroup,
            version,
            &request,
            rebalance_request_timeout(config),
        )
        .await?;
    // A failed SyncGroup may carry a null assignment, which the response type cannot hold
    // (librdkafka's mock cluster sends one): the error code comes first.
    if let Some(code) = sync_group_error_code(&body, version) {
        if let Some(e) = GroupError::broker(ApiKey::SyncGroup, code, None) {
            return Err(e);
        }
    }
    let response = SyncGroupResponse::decode(&mut body, version)
        .map_err(|e| conn.protocol(format!("SyncGroup v{version}: {e}")))?;
    if let Some(e) = GroupError::broker(ApiKey::SyncGroup, response.error_code, None) {
        return Err(e);
    }
    Ok(response.assignment)
}

/// The error code of a SyncGroup response body: after `throttle_time_ms` from version 1 on.
fn sync_group_error_code(body: &[u8], version: i16) -> Option<i16> {
    let at = if version >= 1 { 4 } else { 0 };
    body.get(at..at + 2)
        .map(|b| i16::from_be_bytes([b[0], b[1]]))
}

/// Heartbeat for `generation_id` and `member_id`.
pub async fn heartbeat(
    conn: &mut Connection,
    config: &MembershipConfig,
    generation_id: i32,
    member_id: &str,
) -> Result<(), GroupError> {
    let version = conn.version(ApiKey::Heartbeat, None)?;
    let request = HeartbeatRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(config.group_id.clone())))
        .with_generation_id(generation_id)
        .with_member_id(StrBytes::from_string(member_id.to_string()));
    let response: HeartbeatResponse = conn
        .send(ApiKey::Heartbeat, version, &request, config.request_timeout)
        .await?;
    match GroupError::broker(ApiKey::Heartbeat, response.error_code, None) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// LeaveGroup for `member_id` (see [`LEAVE_GROUP_VERSION`]).
pub async fn leave_group(
    conn: &mut Connection,
    config: &MembershipConfig,
    member_id: &str,
) -> Result<(), GroupError> {
    let version = conn.preferred_version(ApiKey::LeaveGroup, LEAVE_GROUP_VERSION)?;
    let group = GroupId(StrBytes::from_string(config.group_id.clone()));
    let member = StrBytes::from_string(member_id.to_string());
    let request = if version >= 3 {
        LeaveGroupRequest::default()
            .with_group_id(group)
            .with_members(vec![MemberIdentity::default()
                .with_member_id(member)
                .with_reason(if version >= 5 {
                    Some(StrBytes::from_static_str("the Connect worker is stopping"))
                } else {
                    None
                })])
    } else {
        LeaveGroupRequest::default()
            .with_group_id(group)
            .with_member_id(member)
    };
    let response: LeaveGroupResponse = conn
        .send(
            ApiKey::LeaveGroup,
            version,
            &request,
            config.request_timeout,
        )
        .await?;
    if let Some(e) = GroupError::broker(ApiKey::LeaveGroup, response.error_code, None) {
        return Err(e);
    }
    if let Some(m) = response.members.iter().find(|m| m.error_code != 0) {
        if let Some(e) = GroupError::broker(ApiKey::LeaveGroup, m.error_code, None) {
            return Err(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_error_rules() {
        assert_eq!(
            recovery_for(ResponseError::NotCoordinator),
            Recovery::Rediscover
        );
        assert_eq!(
            recovery_for(ResponseError::CoordinatorNotAvailable),
            Recovery::Rediscover
        );
        assert_eq!(
            recovery_for(ResponseError::UnknownMemberId),
            Recovery::ResetMemberAndRejoin
        );
        assert_eq!(
            recovery_for(ResponseError::IllegalGeneration),
            Recovery::Rejoin
        );
        assert_eq!(
            recovery_for(ResponseError::RebalanceInProgress),
            Recovery::Rejoin
        );
        for other in [
            ResponseError::InvalidRequest,
            ResponseError::CoordinatorLoadInProgress,
            ResponseError::InconsistentGroupProtocol,
            ResponseError::GroupAuthorizationFailed,
            ResponseError::Unknown(9999),
        ] {
            assert_eq!(recovery_for(other), Recovery::BackoffAndRejoin, "{other:?}");
        }
        let conn_err = GroupError::Connection(ConnectionError::Io {
            addr: "b:1".into(),
            source: std::io::Error::other("reset"),
        });
        assert_eq!(conn_err.recovery(), Recovery::Rediscover);
    }
}

#[cfg(test)]
mod sync_group_tests {
    use super::sync_group_error_code;

    #[test]
    fn the_error_code_is_read_before_a_null_assignment() {
        // v3: throttle_time_ms 5, REBALANCE_IN_PROGRESS (27), null assignment (-1).
        let body = [0, 0, 0, 5, 0x00, 0x1b, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(sync_group_error_code(&body, 3), Some(27));
        // v0: no throttle time; ILLEGAL_GENERATION (22).
        assert_eq!(sync_group_error_code(&[0x00, 0x16], 0), Some(22));
        // Too short to hold one.
        assert_eq!(sync_group_error_code(&[0, 0], 1), None);
    }
}
