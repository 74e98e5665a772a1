//! The Connect group protocol's bytes: which sub-protocols a worker offers in JoinGroup, the
//! member metadata it sends, and the assignment the leader sends back in SyncGroup.
//!
//! Matches Java's `ConnectProtocolCompatibility`, `ConnectProtocol` (v0),
//! `IncrementalCooperativeConnectProtocol` (v1/v2), `ExtendedWorkerState` and
//! `ExtendedAssignment`. All integers are big-endian; a `STRING` is an `INT16` length and UTF-8
//! bytes; an `ARRAY` is an `INT32` count (`-1` = null where nullable); `BYTES` is an `INT32`
//! length (`-1` = null). Decoding never panics: truncated or invalid input is a
//! [`ProtocolError`]. Like Java's readers, bytes after the last field are ignored.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::herder::ConnectorTaskId;

/// Version 0: the eager protocol (`default`).
pub const CONNECT_PROTOCOL_V0: i16 = 0;
/// Version 1: incremental cooperative rebalancing (`compatible`).
pub const CONNECT_PROTOCOL_V1: i16 = 1;
/// Version 2: version 1 plus session keys and signed internal requests (`sessioned`).
pub const CONNECT_PROTOCOL_V2: i16 = 2;
/// The group's `protocol_type` in JoinGroup.
pub const PROTOCOL_TYPE: &str = "connect";
/// The task number that stands for the connector instance itself in an assignment entry.
pub const CONNECTOR_TASK: i32 = -1;
/// The worker config key that picks the protocol.
pub const CONNECT_PROTOCOL_CONFIG: &str = "connect.protocol";

/// The value of `connect.protocol` (Java's `ConnectProtocolCompatibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConnectProtocol {
    /// `eager`: protocol `default`, version 0, stop-the-world rebalances.
    Eager,
    /// `compatible`: protocol `compatible`, version 1, incremental cooperative rebalances.
    Compatible,
    /// `sessioned` (the default): protocol `sessioned`, version 2, adds request signing.
    Sessioned,
}

/// An invalid `connect.protocol` value; the message is Java's `ConfigException`'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid value {value} for configuration connect.protocol: Invalid Connect protocol compatibility")]
pub struct InvalidConnectProtocol {
    /// The rejected value.
    pub value: String,
}

impl ConnectProtocol {
    /// All modes, in Java's declaration order.
    pub const ALL: [ConnectProtocol; 3] = [Self::Eager, Self::Compatible, Self::Sessioned];

    /// The sub-protocol version (0, 1 or 2).
    pub fn version(self) -> i16 {
        match self {
            Self::Eager => CONNECT_PROTOCOL_V0,
            Self::Compatible => CONNECT_PROTOCOL_V1,
            Self::Sessioned => CONNECT_PROTOCOL_V2,
        }
    }

    /// The protocol name used in JoinGroup (`default`, `compatible`, `sessioned`).
    pub fn protocol_name(self) -> &'static str {
        match self {
            Self::Eager => "default",
            Self::Compatible => "compatible",
            Self::Sessioned => "sessioned",
        }
    }

    /// The mode whose JoinGroup protocol name is `name` (case-insensitive, like Java's
    /// `fromProtocol`); `None` for an unknown name.
    pub fn from_protocol_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.protocol_name().eq_ignore_ascii_case(name))
    }

    /// The mode of a sub-protocol version (Java's `fromProtocolVersion`).
    pub fn from_version(version: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.version() == version)
    }

    /// The `(name, version)` pairs offered in JoinGroup, most preferred first: `sessioned`
    /// offers `sessioned`, `compatible`, `default`; `compatible` offers `compatible`,
    /// `default`; `eager` offers `default` only.
    pub fn offered(self) -> Vec<(&'static str, i16)> {
        let modes: &[ConnectProtocol] = match self {
            Self::Sessioned => &[Self::Sessioned, Self::Compatible, Self::Eager],
            Self::Compatible => &[Self::Compatible, Self::Eager],
            Self::Eager => &[Self::Eager],
        };
        modes
            .iter()
            .map(|m| (m.protocol_name(), m.version()))
            .collect()
    }
}

impl FromStr for ConnectProtocol {
    type Err = InvalidConnectProtocol;

    /// Parses `eager`, `compatible` or `sessioned`, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.to_string().eq_ignore_ascii_case(s))
            .ok_or_else(|| InvalidConnectProtocol {
                value: s.to_string(),
            })
    }
}

impl fmt::Display for ConnectProtocol {
    /// The config value: `eager`, `compatible` or `sessioned`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Eager => "eager",
            Self::Compatible => "compatible",
            Self::Sessioned => "sessioned",
        })
    }
}

/// Why bytes could not be decoded or encoded (Java's `SchemaException` cases).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The input ended inside a field.
    #[error(
        "Error reading field '{field}': needed {needed} bytes, only {available} bytes available"
    )]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// The input ended before a field that has no default.
    #[error("Missing value for field '{0}' which has no default value.")]
    MissingField(&'static str),
    /// A negative length for a field that cannot be null.
    #[error("Error reading field '{field}': length {length} cannot be negative")]
    NegativeLength {
        /// The field being read.
        field: &'static str,
        /// The length read.
        length: i32,
    },
    /// A negative version header.
    #[error("Unsupported subscription version: {0}")]
    UnsupportedVersion(i16),
    /// A task number below -1 (only -1, the connector itself, may be negative).
    #[error("Invalid task number {task} for connector {connector}")]
    InvalidTaskId {
        /// The connector of the entry.
        connector: String,
        /// The task number read.
        task: i32,
    },
    /// A string longer than 32767 bytes cannot be encoded.
    #[error("String field '{field}' is {len} bytes long, more than 32767")]
    StringTooLong {
        /// The field being written.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// An array or byte field longer than `i32::MAX` cannot be encoded.
    #[error("Field '{0}' is too long to encode")]
    TooLong(&'static str),
}

/// A set of connectors and tasks, in order (Java's `ConnectorsAndTasks`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectorsAndTasks {
    /// Connector names (the connector instances themselves).
    pub connectors: Vec<String>,
    /// Task ids.
    pub tasks: Vec<ConnectorTaskId>,
}

impl ConnectorsAndTasks {
    /// Both lists empty.
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }
}

/// `error` value of a successful assignment.
pub const NO_ERROR: i16 = 0;
/// `error` value telling members that the leader's config is behind: read the config topic
/// to the end and rejoin.
pub const CONFIG_MISMATCH: i16 = 1;

/// A member's assignment (Java's `ExtendedAssignment`; version 0 is `ConnectProtocol.Assignment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Sub-protocol version: 0 encodes the v0 layout, 1 and 2 the v1 layout.
    pub version: i16,
    /// [`NO_ERROR`] or [`CONFIG_MISMATCH`].
    pub error: i16,
    /// The leader's group member id.
    pub leader: String,
    /// The leader's advertised REST URL.
    pub leader_url: String,
    /// The config topic offset the assignment was computed at.
    pub config_offset: i64,
    /// With v1/v2 the newly assigned work; with v0 the full assignment.
    pub assigned: ConnectorsAndTasks,
    /// Work to stop now (v1/v2 only).
    pub revoked: ConnectorsAndTasks,
    /// Milliseconds until a follow-up rebalance is due; 0 for none (v1/v2 only).
    pub delay: i32,
}

impl Assignment {
    /// Whether `error` is not [`NO_ERROR`].
    pub fn failed(&self) -> bool {
        self.error != NO_ERROR
    }

    /// The member's full assignment after receiving `self` (Java's
    /// `WorkerCoordinator.onJoinComplete`). With v1/v2 the newly assigned items come first,
    /// then the items of `previous` that were not revoked; `revoked`, `delay` and the header
    /// fields stay those of `self`. With v0 the received assignment is already complete. The
    /// result is what the member reports as its allocation when it next joins.
    pub fn merged_with(&self, previous: Option<&Assignment>) -> Assignment {
        let mut out = self.clone();
        if self.version == CONNECT_PROTOCOL_V0 {
            return out;
        }
        if let Some(prev) = previous {
            out.assigned.connectors.extend(
                prev.assigned
                    .connectors
                    .iter()
                    .filter(|c| !self.revoked.connectors.contains(c))
                    .cloned(),
            );
            out.assigned.tasks.extend(
                prev.assigned
                    .tasks
                    .iter()
                    .filter(|t| !self.revoked.tasks.contains(t))
                    .cloned(),
            );
        }
        out
    }

    /// Encodes as Java does for `self.version`: the v0 layout (`ConnectProtocol
    /// .serializeAssignment`) or the v1 layout with a version-1/2 header
    /// (`IncrementalCooperativeConnectProtocol.serializeAssignment`).
    pub fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let mut w = Writer::default();
        w.i16(self.version);
        self.write_body(&mut w, self.version > CONNECT_PROTOCOL_V0)?;
        Ok(w.buf)
    }

    /// Encodes the v1 layout under the given header version (used for the allocation inside
    /// member metadata, whose header is the metadata's version).
    fn encode_v1_layout(&self, header_version: i16) -> Result<Vec<u8>, ProtocolError> {
        let mut w = Writer::default();
        w.i16(header_version);
        self.write_body(&mut w, true)?;
        Ok(w.buf)
    }

    fn write_body(&self, w: &mut Writer, extended: bool) -> Result<(), ProtocolError> {
        w.i16(self.error);
        w.string("leader", &self.leader)?;
        w.string("leader-url", &self.leader_url)?;
        w.i64(self.config_offset);
        write_entries(w, "assignment", &assigned_entries(&self.assigned))?;
        if extended {
            write_entries(w, "revoked", &revoked_entries(&self.revoked))?;
            w.i32(self.delay);
        }
        Ok(())
    }

    /// Decodes an assignment with Java's tolerant v1 reader
    /// (`IncrementalCooperativeConnectProtocol.deserializeAssignment`): fields missing at the
    /// end read as their defaults (no assignment, no revocation, delay 0), so a v0 payload
    /// decodes too. `version` is the header's.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(bytes);
        let version = read_version(&mut r)?;
        let error = r.required("error", |r| r.i16("error"))?;
        let leader = r.required("leader", |r| r.string("leader"))?;
        let leader_url = r.required("leader-url", |r| r.string("leader-url"))?;
        let config_offset = r.required("config-offset", |r| r.i64("config-offset"))?;
        let assigned = r.optional(|r| read_entries(r, "assignment"))?.flatten();
        let revoked = r.optional(|r| read_entries(r, "revoked"))?.flatten();
        let delay = r.optional(|r| r.i32("delay"))?.unwrap_or(0);
        Ok(Assignment {
            version,
            error,
            leader,
            leader_url,
            config_offset,
            assigned: assigned.unwrap_or_default(),
            revoked: revoked.unwrap_or_default(),
            delay,
        })
    }
}

/// What a member sends in JoinGroup (Java's `ConnectProtocol.WorkerState` and
/// `ExtendedWorkerState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerMetadata {
    /// The member's advertised REST URL.
    pub url: String,
    /// The member's config snapshot offset (last consumed offset + 1; -1 if none).
    pub config_offset: i64,
    /// The member's current full assignment; `None` before its first assignment. Only sent
    /// with versions 1 and 2.
    pub allocation: Option<Assignment>,
}

impl WorkerMetadata {
    /// Encodes for a sub-protocol version. Version 0: header, url, offset. Versions 1 and 2:
    /// the same plus the allocation as nullable bytes holding an assignment in the v1 layout
    /// whose header is `version` too.
    pub fn encode(&self, version: i16) -> Result<Vec<u8>, ProtocolError> {
        let mut w = Writer::default();
        w.i16(version);
        w.string("url", &self.url)?;
        w.i64(self.config_offset);
        if version > CONNECT_PROTOCOL_V0 {
            match &self.allocation {
                Some(a) => w.bytes("allocation", &a.encode_v1_layout(version)?)?,
                None => w.i32(-1),
            }
        }
        Ok(w.buf)
    }

    /// The JoinGroup protocols for `mode`, most preferred first: each offered protocol name
    /// with this metadata encoded in that protocol's version (Java's `metadataRequest`).
    pub fn join_protocols(
        &self,
        mode: ConnectProtocol,
    ) -> Result<Vec<(&'static str, Vec<u8>)>, ProtocolError> {
        mode.offered()
            .into_iter()
            .map(|(name, version)| Ok((name, self.encode(version)?)))
            .collect()
    }

    /// Decodes any version with Java's v1 reader (`IncrementalCooperativeConnectProtocol
    /// .deserializeMetadata`): a missing or null allocation reads as `None`.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(bytes);
        read_version(&mut r)?;
        let url = r.string("url")?;
        let config_offset = r.i64("config-offset")?;
        let allocation = match r.optional(|r| r.nullable_bytes("allocation"))?.flatten() {
            Some(b) => Some(Assignment::decode(b)?),
            None => None,
        };
        Ok(WorkerMetadata {
            url,
            config_offset,
            allocation,
        })
    }
}

/// One `{ STRING connector; ARRAY<INT32> tasks }` entry.
type Entry = (String, Vec<i32>);

/// Java's `Assignment.asMap()`: the connectors in `HashSet` iteration order, each with `-1`,
/// then the tasks appended in list order under their connector (new connectors in order of
/// first appearance).
fn assigned_entries(ct: &ConnectorsAndTasks) -> Vec<Entry> {
    let mut distinct: Vec<&String> = Vec::new();
    for c in &ct.connectors {
        if !distinct.contains(&c) {
            distinct.push(c);
        }
    }
    // Java sizes `new HashSet<>(connectorIds)` by the list's size, repeats included.
    let cap = java_order::copy_capacity(ct.connectors.len());
    let ordered = java_order::hash_order(&distinct, |c| java_order::string_hash(c), cap);
    group_entries(ordered.into_iter().map(|c| c.as_str()), &ct.tasks)
}

/// Java's `ExtendedAssignment.revokedAsMap()`: distinct connectors in list order, then tasks.
fn revoked_entries(ct: &ConnectorsAndTasks) -> Vec<Entry> {
    let mut distinct: Vec<&str> = Vec::new();
    for c in &ct.connectors {
        if !distinct.contains(&c.as_str()) {
            distinct.push(c);
        }
    }
    group_entries(distinct.into_iter(), &ct.tasks)
}

fn group_entries<'a>(
    connectors: impl Iterator<Item = &'a str>,
    tasks: &[ConnectorTaskId],
) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut slot = |entries: &mut Vec<Entry>, name: &str| -> usize {
        *index.entry(name.to_string()).or_insert_with(|| {
            entries.push((name.to_string(), Vec::new()));
            entries.len() - 1
        })
    };
    for c in connectors {
        let i = slot(&mut entries, c);
        entries[i].1.push(CONNECTOR_TASK);
    }
    for t in tasks {
        let i = slot(&mut entries, &t.connector);
        // Task numbers above i32::MAX cannot exist in Java; they wrap like a Java int cast.
        entries[i].1.push(t.task as i32);
    }
    entries
}

fn write_entries(
    w: &mut Writer,
    field: &'static str,
    entries: &[Entry],
) -> Result<(), ProtocolError> {
    w.len(field, entries.len())?;
    for (connector, tasks) in entries {
        w.string("connector", connector)?;
        w.len("tasks", tasks.len())?;
        for t in tasks {
            w.i32(*t);
        }
    }
    Ok(())
}

/// Reads a nullable array of entries; `None` for null.
fn read_entries(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<Option<ConnectorsAndTasks>, ProtocolError> {
    let count = r.i32(field)?;
    if count < 0 {
        return Ok(None);
    }
    // Each entry takes at least 6 bytes; Java checks the count against the bytes left.
    r.check_count(field, count)?;
    let mut out = ConnectorsAndTasks::default();
    for _ in 0..count {
        let connector = r.string("connector")?;
        let n = r.i32("tasks")?;
        if n < 0 {
            return Err(ProtocolError::NegativeLength {
                field: "tasks",
                length: n,
            });
        }
        r.check_count("tasks", n)?;
        for _ in 0..n {
            let task = r.i32("tasks")?;
            if task == CONNECTOR_TASK {
                out.connectors.push(connector.clone());
            } else {
                let number = u32::try_from(task).map_err(|_| ProtocolError::InvalidTaskId {
                    connector: connector.clone(),
                    task,
                })?;
                out.tasks.push(ConnectorTaskId {
                    connector: connector.clone(),
                    task: number,
                });
            }
        }
    }
    Ok(Some(out))
}

fn read_version(r: &mut Reader<'_>) -> Result<i16, ProtocolError> {
    let version = r.i16("version")?;
    if version < CONNECT_PROTOCOL_V0 {
        return Err(ProtocolError::UnsupportedVersion(version));
    }
    Ok(version)
}

/// A big-endian writer of Kafka protocol primitives.
#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn len(&mut self, field: &'static str, n: usize) -> Result<(), ProtocolError> {
        let n = i32::try_from(n).map_err(|_| ProtocolError::TooLong(field))?;
        self.i32(n);
        Ok(())
    }
    fn string(&mut self, field: &'static str, s: &str) -> Result<(), ProtocolError> {
        let n = i16::try_from(s.len()).map_err(|_| ProtocolError::StringTooLong {
            field,
            len: s.len(),
        })?;
        self.i16(n);
        self.buf.extend_from_slice(s.as_bytes());
        Ok(())
    }
    fn bytes(&mut self, field: &'static str, b: &[u8]) -> Result<(), ProtocolError> {
        self.len(field, b.len())?;
        self.buf.extend_from_slice(b);
        Ok(())
    }
}

/// A big-endian reader of Kafka protocol primitives over a byte slice.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], ProtocolError> {
        if self.remaining() < n {
            return Err(ProtocolError::Truncated {
                field,
                needed: n,
                available: self.remaining(),
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ProtocolError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    fn i16(&mut self, field: &'static str) -> Result<i16, ProtocolError> {
        Ok(i16::from_be_bytes(self.array(field)?))
    }
    fn i32(&mut self, field: &'static str) -> Result<i32, ProtocolError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }
    fn i64(&mut self, field: &'static str) -> Result<i64, ProtocolError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    /// A non-nullable string; invalid UTF-8 is replaced like Java's decoder does.
    fn string(&mut self, field: &'static str) -> Result<String, ProtocolError> {
        let n = self.i16(field)?;
        let n = usize::try_from(n).map_err(|_| ProtocolError::NegativeLength {
            field,
            length: i32::from(n),
        })?;
        Ok(String::from_utf8_lossy(self.take(field, n)?).into_owned())
    }

    fn nullable_bytes(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, ProtocolError> {
        let n = self.i32(field)?;
        match usize::try_from(n) {
            Ok(n) => Ok(Some(self.take(field, n)?)),
            Err(_) => Ok(None),
        }
    }

    /// Java rejects an array count larger than the bytes left before reading it.
    fn check_count(&self, field: &'static str, count: i32) -> Result<(), ProtocolError> {
        let count = usize::try_from(count).unwrap_or(0);
        if count > self.remaining() {
            return Err(ProtocolError::Truncated {
                field,
                needed: count,
                available: self.remaining(),
            });
        }
        Ok(())
    }

    /// A field of a tolerant schema without a default: missing input is an error.
    fn required<T>(
        &mut self,
        field: &'static str,
        read: impl FnOnce(&mut Self) -> Result<T, ProtocolError>,
    ) -> Result<T, ProtocolError> {
        if self.remaining() == 0 {
            return Err(ProtocolError::MissingField(field));
        }
        read(self)
    }

    /// A field of a tolerant schema with a default: `None` when the input has ended.
    fn optional<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, ProtocolError>,
    ) -> Result<Option<T>, ProtocolError> {
        if self.remaining() == 0 {
            return Ok(None);
        }
        read(self).map(Some)
    }
}

/// Java's `HashMap`/`HashSet` iteration order, so that orders that Java takes from hashing
/// (the connector entries of an assignment, the member order of the assignor) match Java's.
///
/// Iteration goes bucket by bucket (`(h ^ (h >>> 16)) & (capacity - 1)`), and within a bucket
/// in insertion order. Tree bins (8+ keys in one bucket) are not modelled.
pub(crate) mod java_order {
    use crate::herder::ConnectorTaskId;

    /// Java's `String.hashCode()` over UTF-16 code units.
    pub fn string_hash(s: &str) -> i32 {
        s.encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
    }

    /// Java's `ConnectorTaskId.hashCode()`: `31 * connector.hashCode() + task`.
    pub fn task_hash(t: &ConnectorTaskId) -> i32 {
        string_hash(&t.connector)
            .wrapping_mul(31)
            .wrapping_add(t.task as i32)
    }

    /// The table size of a `HashMap`/`HashSet` filled by `n` one-by-one insertions from empty.
    pub fn sequential_capacity(n: usize) -> usize {
        let mut cap = 16usize;
        while n > cap / 4 * 3 {
            cap *= 2;
        }
        cap
    }

    /// The table size of `new HashSet<>(collection)` of `n` elements (JDK 19 and later:
    /// `HashMap.newHashMap(max(n, 12))`).
    pub fn copy_capacity(n: usize) -> usize {
        let m = n.max(12);
        (4 * m).div_ceil(3).next_power_of_two()
    }

    /// `items` (distinct, in insertion order) in the iteration order of a Java hash table of
    /// `capacity` buckets.
    pub fn hash_order<T: Clone>(items: &[T], hash: impl Fn(&T) -> i32, capacity: usize) -> Vec<T> {
        let mask = capacity.saturating_sub(1);
        let mut keyed: Vec<(usize, T)> = items
            .iter()
            .map(|i| {
                let h = hash(i);
                let spread = (h ^ ((h as u32) >> 16) as i32) as u32 as usize;
                (spread & mask, i.clone())
            })
            .collect();
        keyed.sort_by_key(|(bucket, _)| *bucket);
        keyed.into_iter().map(|(_, i)| i).collect()
    }
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
