//! The status cache of [`super::KafkaStatusBackingStore`]: what was read from the status
//! topic, plus Java's write bookkeeping (per-entry sequence numbers, the last generation
//! written, the `putSafe` rule). Pure: no Kafka I/O.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::herder::ConnectorTaskId;
use crate::storage::kafka_log::LogRecord;
use crate::storage::status_records::{Status, StatusRecord, StatusState, TopicStatus};

/// Which cache entry a write belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntryKey {
    /// A connector's status.
    Connector(String),
    /// A task's status.
    Task(ConnectorTaskId),
}

/// One cached status with Java's `CacheEntry` bookkeeping. `id` stands for the entry's
/// identity: an entry removed by a tombstone and added again is a new entry, and writes
/// queued for the old one see it as deleted.
#[derive(Debug, Clone)]
struct Entry {
    value: Option<Status>,
    sequence: u64,
    id: u64,
}

impl Entry {
    /// Java's `canWriteSafely`: nothing cached, or cached by the same worker, or by an
    /// older or the same generation.
    fn can_write_safely(&self, status: &Status) -> bool {
        self.value
            .as_ref()
            .is_none_or(|v| v.worker_id == status.worker_id || v.generation <= status.generation)
    }
}

/// A write admitted by [`StatusCache::admit`]: what the retry check needs.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    pub(crate) entry: EntryKey,
    id: u64,
    sequence: u64,
    pub(crate) safe: bool,
}

/// Told of each topic status removed by a tombstone read from the topic: (connector, topic).
pub(crate) type TopicRemoved = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// The statuses read from the topic.
#[derive(Default)]
pub(crate) struct StatusCache {
    connectors: BTreeMap<String, Entry>,
    tasks: BTreeMap<String, BTreeMap<u32, Entry>>,
    topics: HashMap<String, BTreeMap<String, TopicStatus>>,
    /// The generation of the last status written through this store (Java's `generation`).
    generation: i32,
    next_id: u64,
    /// Called, under the cache's lock, for each topic tombstone read.
    pub(crate) on_topic_removed: Option<TopicRemoved>,
}

impl std::fmt::Debug for StatusCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusCache")
            .field("connectors", &self.connectors)
            .field("tasks", &self.tasks)
            .field("topics", &self.topics)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl StatusCache {
    fn entry_mut(&mut self, key: &EntryKey) -> &mut Entry {
        let next_id = &mut self.next_id;
        let fresh = || {
            *next_id += 1;
            Entry {
                value: None,
                sequence: 0,
                id: *next_id,
            }
        };
        match key {
            EntryKey::Connector(c) => self.connectors.entry(c.clone()).or_insert_with(fresh),
            EntryKey::Task(id) => self
                .tasks
                .entry(id.connector.clone())
                .or_default()
                .entry(id.task)
                .or_insert_with(fresh),
        }
    }

    fn entry(&self, key: &EntryKey) -> Option<&Entry> {
        match key {
            EntryKey::Connector(c) => self.connectors.get(c),
            EntryKey::Task(id) => self.tasks.get(&id.connector)?.get(&id.task),
        }
    }

    /// Java's `send` before the producer call: remembers the writer's generation, refuses a
    /// safe write the cached status forbids, and gives the write its sequence number.
    pub(crate) fn admit(&mut self, key: EntryKey, status: &Status, safe: bool) -> Option<Ticket> {
        self.generation = status.generation;
        let entry = self.entry_mut(&key);
        if safe && !entry.can_write_safely(status) {
            tracing::debug!(
                ?key,
                state = status.state.name(),
                generation = status.generation,
                "Skipping a status write: a newer generation of another worker wrote it"
            );
            return None;
        }
        entry.sequence += 1;
        Some(Ticket {
            id: entry.id,
            sequence: entry.sequence,
            entry: key,
            safe,
        })
    }

    /// Java's retry check after a retriable failure: retry unless the entry was deleted,
    /// a status of another generation was written since, or (safe writes) a later write of
    /// the entry superseded this one or the cached status now forbids it.
    pub(crate) fn should_retry(&self, ticket: &Ticket, status: &Status) -> bool {
        let Some(entry) = self.entry(&ticket.entry).filter(|e| e.id == ticket.id) else {
            return false;
        };
        if status.generation != self.generation {
            return false;
        }
        !ticket.safe || (entry.can_write_safely(status) && entry.sequence == ticket.sequence)
    }

    /// Applies a record read from the topic (Java's `read`); undecodable records are
    /// logged and skipped.
    pub(crate) fn consume(&mut self, record: &LogRecord) {
        let Some(key) = record.key.as_deref() else {
            tracing::warn!(
                offset = record.offset,
                "Discarding status record without a key"
            );
            return;
        };
        let key = String::from_utf8_lossy(key);
        match StatusRecord::decode(&key, record.value.as_deref()) {
            Ok(Some(decoded)) => self.apply(decoded),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "Failed to read status record"),
        }
    }

    /// Applies one decoded record.
    pub(crate) fn apply(&mut self, record: StatusRecord) {
        match record {
            StatusRecord::Connector {
                connector,
                status: None,
            } => {
                tracing::trace!(connector, "Removing status for connector");
                self.connectors.remove(&connector);
                self.tasks.remove(&connector);
            }
            StatusRecord::Connector {
                connector,
                status: Some(status),
            } => {
                self.entry_mut(&EntryKey::Connector(connector)).value = Some(status);
            }
            StatusRecord::Task {
                connector,
                task,
                status,
            } => {
                // Java's key parsing cannot produce a negative task number.
                let Ok(task) = u32::try_from(task) else {
                    tracing::warn!(
                        connector,
                        task,
                        "Discarding status of a negative task number"
                    );
                    return;
                };
                let id = ConnectorTaskId { connector, task };
                match status {
                    None => {
                        tracing::trace!(?id, "Removing task status");
                        if let Some(tasks) = self.tasks.get_mut(&id.connector) {
                            tasks.remove(&id.task);
                            if tasks.is_empty() {
                                self.tasks.remove(&id.connector);
                            }
                        }
                    }
                    Some(status) => {
                        let entry = self.entry_mut(&EntryKey::Task(id));
                        // An UNASSIGNED from a worker that had not yet read a newer RUNNING
                        // (frequent rebalances) is stale: Java ignores it.
                        let stale = status.state == StatusState::Unassigned
                            && entry.value.as_ref().is_some_and(|v| {
                                v.state == StatusState::Running && v.generation >= status.generation
                            });
                        if stale {
                            tracing::trace!("Ignoring stale UNASSIGNED task status");
                        } else {
                            entry.value = Some(status);
                        }
                    }
                }
            }
            StatusRecord::Topic {
                topic,
                connector,
                status: None,
            } => {
                if let Some(active) = self.topics.get_mut(&connector) {
                    active.remove(&topic);
                }
                if let Some(removed) = &self.on_topic_removed {
                    removed(&connector, &topic);
                }
            }
            StatusRecord::Topic {
                topic,
                connector,
                status: Some(status),
            } => {
                self.topics
                    .entry(connector)
                    .or_default()
                    .insert(topic, status);
            }
        }
    }

    /// A connector's cached status.
    pub(crate) fn connector(&self, connector: &str) -> Option<Status> {
        self.connectors.get(connector)?.value.clone()
    }

    /// A task's cached status.
    pub(crate) fn task(&self, id: &ConnectorTaskId) -> Option<Status> {
        self.tasks.get(&id.connector)?.get(&id.task)?.value.clone()
    }

    /// The connector's cached task statuses, by task number.
    pub(crate) fn all_tasks(&self, connector: &str) -> Vec<(ConnectorTaskId, Status)> {
        self.tasks
            .get(connector)
            .into_iter()
            .flatten()
            .filter_map(|(task, entry)| {
                let status = entry.value.clone()?;
                Some((
                    ConnectorTaskId {
                        connector: connector.to_string(),
                        task: *task,
                    },
                    status,
                ))
            })
            .collect()
    }

    /// The connectors with a cache entry (Java's `connectors()`).
    pub(crate) fn connectors(&self) -> Vec<String> {
        self.connectors.keys().cloned().collect()
    }

    /// One topic the connector used.
    pub(crate) fn topic(&self, connector: &str, topic: &str) -> Option<TopicStatus> {
        self.topics.get(connector)?.get(topic).cloned()
    }

    /// Every topic the connector used, by topic name.
    pub(crate) fn all_topics(&self, connector: &str) -> Vec<TopicStatus> {
        self.topics
            .get(connector)
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }
}
