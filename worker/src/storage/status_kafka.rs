//! [`KafkaStatusBackingStore`]: connector, task and topic statuses in the status topic
//! (`status.storage.topic`, Java's `KafkaStatusBackingStore`).
//!
//! * [`KafkaStatusBackingStore::start`] creates or checks the topic, reads it to the end and
//!   follows it: the cache holds every worker's statuses. A tombstone removes a status (a
//!   connector's tombstone removes its tasks' too); a record that cannot be decoded is
//!   logged and skipped; a task `UNASSIGNED` is ignored while the cache holds `RUNNING` of
//!   the same or a newer generation.
//! * Writes do not block the caller and do not touch the cache: it changes when the record
//!   is read back, as in Java. A write is sent in the background; a retriable failure is
//!   retried until it succeeds, unless the entry was deleted meanwhile, a status of another
//!   generation was written since, or (safe writes) a later write superseded it.
//! * Safe writes (`put_*_safe`, Java's `putSafe`, used for `FAILED` and `UNASSIGNED`) are
//!   skipped when the cached status was written by another worker with a newer generation.
//! * A `DESTROYED` status is written as a tombstone.
//!
//! [`KafkaStatusBackingStore::flush`] waits for every write sent so far, retries included.

mod cache;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::watch;

use cache::{EntryKey, StatusCache, Ticket};

use super::internal_topics::{ensure_topic, InternalTopic, TopicError};
use super::kafka_log::{ConsumeCallback, KafkaBasedLog, LogClients, LogError};
use super::status_records::{Status, StatusRecord, StatusState, TopicStatus};
use crate::herder::ConnectorTaskId;

/// The pause before a failed status write is sent again.
const RETRY_BACKOFF: Duration = Duration::from_millis(100);
/// How long [`KafkaStatusBackingStore::stop`] waits for writes in flight (Java waits 10 s
/// for its retry executor).
const STOP_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// A failure of the status store.
#[derive(Debug, thiserror::Error)]
pub enum StatusStoreError {
    /// The topic could not be created, or is not compacted.
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// The log could not be started or read.
    #[error(transparent)]
    Log(#[from] LogError),
    /// Writes were still in flight when the flush timed out.
    #[error("Timed out after {timeout:?} flushing {pending} status writes to topic '{topic}'")]
    FlushTimeout {
        /// The topic.
        topic: String,
        /// Writes still in flight.
        pending: usize,
        /// The budget.
        timeout: Duration,
    },
}

/// Where status records go: the log, or a test double.
#[async_trait::async_trait]
pub(crate) trait StatusSink: Send + Sync {
    /// Sends one record and waits for its acknowledgement.
    async fn send(&self, key: &[u8], value: Option<&[u8]>) -> Result<(), LogError>;
}

#[async_trait::async_trait]
impl StatusSink for KafkaBasedLog {
    async fn send(&self, key: &[u8], value: Option<&[u8]>) -> Result<(), LogError> {
        KafkaBasedLog::send(self, key, value).await.map(|_| ())
    }
}

/// The error codes Java's producer reports as a `RetriableException`.
const RETRIABLE: &[RDKafkaErrorCode] = &[
    RDKafkaErrorCode::MessageTimedOut,
    RDKafkaErrorCode::OperationTimedOut,
    RDKafkaErrorCode::RequestTimedOut,
    RDKafkaErrorCode::BrokerTransportFailure,
    RDKafkaErrorCode::AllBrokersDown,
    RDKafkaErrorCode::NetworkException,
    RDKafkaErrorCode::NotEnoughReplicas,
    RDKafkaErrorCode::NotEnoughReplicasAfterAppend,
    RDKafkaErrorCode::LeaderNotAvailable,
    RDKafkaErrorCode::NotLeaderForPartition,
    RDKafkaErrorCode::UnknownTopicOrPartition,
    RDKafkaErrorCode::KafkaStorageError,
    RDKafkaErrorCode::QueueFull,
];

/// Whether a failed send is worth sending again.
fn is_retriable(error: &LogError) -> bool {
    match error {
        LogError::Send { source, .. } => source
            .rdkafka_error_code()
            .is_some_and(|code| RETRIABLE.contains(&code)),
        _ => false,
    }
}

/// What the store and its background writes share.
struct Shared {
    topic: String,
    sink: Arc<dyn StatusSink>,
    cache: Arc<Mutex<StatusCache>>,
    in_flight: watch::Sender<usize>,
    stopping: AtomicBool,
    runtime: tokio::runtime::Handle,
    retry_backoff: Duration,
}

fn lock(cache: &Mutex<StatusCache>) -> std::sync::MutexGuard<'_, StatusCache> {
    cache.lock().unwrap_or_else(|p| p.into_inner())
}

/// Connector, task and topic statuses kept in the status topic.
pub struct KafkaStatusBackingStore {
    shared: Arc<Shared>,
    log: Option<Arc<KafkaBasedLog>>,
}

impl std::fmt::Debug for KafkaStatusBackingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaStatusBackingStore")
            .field("topic", &self.shared.topic)
            .finish_non_exhaustive()
    }
}

/// The status a deletion writes: `DESTROYED`, sent as a tombstone.
fn destroyed(worker_id: &str, generation: i32) -> Status {
    Status {
        state: StatusState::Destroyed,
        trace: None,
        worker_id: worker_id.to_string(),
        generation,
    }
}

impl KafkaStatusBackingStore {
    /// Starts the store: creates the topic if missing, else checks it is compacted; reads
    /// it to the end and follows it. Must be called within a Tokio runtime: background
    /// writes run on it. `clients` holds the log's client settings.
    pub async fn start(
        topic: &InternalTopic,
        clients: &LogClients,
        admin: &Arc<AdminClient<DefaultClientContext>>,
    ) -> Result<Self, StatusStoreError> {
        ensure_topic(admin, topic).await?;
        let cache = Arc::new(Mutex::new(StatusCache::default()));
        let callback: ConsumeCallback = {
            let cache = cache.clone();
            Box::new(move |record| lock(&cache).consume(&record))
        };
        let log = Arc::new(KafkaBasedLog::start(topic.name.as_str(), clients, callback).await?);
        Ok(Self::build(
            topic.name.clone(),
            log.clone(),
            cache,
            Some(log),
            RETRY_BACKOFF,
        ))
    }

    fn build(
        topic: String,
        sink: Arc<dyn StatusSink>,
        cache: Arc<Mutex<StatusCache>>,
        log: Option<Arc<KafkaBasedLog>>,
        retry_backoff: Duration,
    ) -> Self {
        let (in_flight, _) = watch::channel(0);
        KafkaStatusBackingStore {
            shared: Arc::new(Shared {
                topic,
                sink,
                cache,
                in_flight,
                stopping: AtomicBool::new(false),
                runtime: tokio::runtime::Handle::current(),
                retry_backoff,
            }),
            log,
        }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.shared.topic
    }

    /// Reads the topic to its current end, so the cache holds every status written so far.
    pub async fn read_to_end(&self) -> Result<(), StatusStoreError> {
        if let Some(log) = &self.log {
            log.read_to_end().await?;
        }
        Ok(())
    }

    /// Writes a connector's status (Java's `put`), in the background.
    pub fn put_connector(&self, connector: &str, status: Status) {
        self.send_status(EntryKey::Connector(connector.to_string()), status, false);
    }

    /// Writes a connector's status unless the cached one was written by another worker with
    /// a newer generation (Java's `putSafe`).
    pub fn put_connector_safe(&self, connector: &str, status: Status) {
        self.send_status(EntryKey::Connector(connector.to_string()), status, true);
    }

    /// Writes a task's status (Java's `put`), in the background.
    pub fn put_task(&self, id: &ConnectorTaskId, status: Status) {
        self.send_status(EntryKey::Task(id.clone()), status, false);
    }

    /// Writes a task's status unless the cached one was written by another worker with a
    /// newer generation (Java's `putSafe`).
    pub fn put_task_safe(&self, id: &ConnectorTaskId, status: Status) {
        self.send_status(EntryKey::Task(id.clone()), status, true);
    }

    /// Deletes a connector's status: a tombstone (Java writes `DESTROYED` through `put`).
    /// Readers drop the connector's task statuses with it.
    pub fn delete_connector(&self, connector: &str, worker_id: &str, generation: i32) {
        self.put_connector(connector, destroyed(worker_id, generation));
    }

    /// Deletes a task's status: a tombstone.
    pub fn delete_task(&self, id: &ConnectorTaskId, worker_id: &str, generation: i32) {
        self.put_task(id, destroyed(worker_id, generation));
    }

    /// Records a topic the connector uses (Java's `put(TopicStatus)`), in the background.
    pub fn put_topic(&self, status: &TopicStatus) {
        let record = StatusRecord::Topic {
            topic: status.topic.clone(),
            connector: status.connector.clone(),
            status: Some(status.clone()),
        };
        self.spawn_write(record, None);
    }

    /// Calls `removed(connector, topic)` for each topic status a tombstone removes as it is
    /// read from the topic, whichever worker reset it (the worker's own status table forgets
    /// it, so that the connector's tasks record the topic again with their next record, as
    /// Java's tasks look the topic up in this store). Called with the store's cache locked:
    /// `removed` must not call back into this store.
    pub fn on_topic_removed(&self, removed: impl Fn(&str, &str) + Send + Sync + 'static) {
        lock(&self.shared.cache).on_topic_removed = Some(Arc::new(removed));
    }

    /// Forgets a topic of the connector (a topic reset): a tombstone.
    pub fn delete_topic(&self, connector: &str, topic: &str) {
        let record = StatusRecord::Topic {
            topic: topic.to_string(),
            connector: connector.to_string(),
            status: None,
        };
        self.spawn_write(record, None);
    }

    /// A connector's status as last read.
    pub fn get_connector(&self, connector: &str) -> Option<Status> {
        lock(&self.shared.cache).connector(connector)
    }

    /// A task's status as last read.
    pub fn get_task(&self, id: &ConnectorTaskId) -> Option<Status> {
        lock(&self.shared.cache).task(id)
    }

    /// The statuses of the connector's tasks, by task number.
    pub fn get_all(&self, connector: &str) -> Vec<(ConnectorTaskId, Status)> {
        lock(&self.shared.cache).all_tasks(connector)
    }

    /// The connectors the cache has an entry for (Java's `connectors()`).
    pub fn connectors(&self) -> Vec<String> {
        lock(&self.shared.cache).connectors()
    }

    /// One topic the connector used.
    pub fn get_topic(&self, connector: &str, topic: &str) -> Option<TopicStatus> {
        lock(&self.shared.cache).topic(connector, topic)
    }

    /// Every topic the connector used, by topic name.
    pub fn get_all_topics(&self, connector: &str) -> Vec<TopicStatus> {
        lock(&self.shared.cache).all_topics(connector)
    }

    /// Waits until every write sent so far (and its retries) is done (Java's `flush`,
    /// called before a rebalance's revocation completes).
    pub async fn flush(&self, timeout: Duration) -> Result<(), StatusStoreError> {
        let mut pending = self.shared.in_flight.subscribe();
        let done = tokio::time::timeout(timeout, pending.wait_for(|n| *n == 0)).await;
        match done {
            Ok(_) => Ok(()),
            Err(_) => Err(StatusStoreError::FlushTimeout {
                topic: self.shared.topic.clone(),
                pending: *self.shared.in_flight.borrow(),
                timeout,
            }),
        }
    }

    /// Waits (bounded) for writes in flight, stops retrying, and stops following the topic.
    pub async fn stop(self) {
        if let Err(e) = self.flush(STOP_FLUSH_TIMEOUT).await {
            tracing::warn!(error = %e, "Status writes still pending at stop");
        }
        self.shared.stopping.store(true, Ordering::SeqCst);
        let KafkaStatusBackingStore { shared, log } = self;
        drop(shared);
        if let Some(log) = log {
            match Arc::try_unwrap(log) {
                Ok(log) => log.stop().await,
                Err(_) => tracing::debug!(
                    "Status writes still retrying; the status log stops when they end"
                ),
            }
        }
    }

    fn send_status(&self, key: EntryKey, status: Status, safe: bool) {
        let Some(ticket) = lock(&self.shared.cache).admit(key, &status, safe) else {
            return;
        };
        let record = match &ticket.entry {
            EntryKey::Connector(connector) => StatusRecord::Connector {
                connector: connector.clone(),
                status: Some(status.clone()),
            },
            EntryKey::Task(id) => StatusRecord::Task {
                connector: id.connector.clone(),
                task: i32::try_from(id.task).unwrap_or(i32::MAX),
                status: Some(status.clone()),
            },
        };
        self.spawn_write(record, Some((ticket, status)));
    }

    /// Sends `record` on the runtime, retrying retriable failures while `guard` allows.
    fn spawn_write(&self, record: StatusRecord, guard: Option<(Ticket, Status)>) {
        let (key, value) = record.encode();
        let shared = self.shared.clone();
        shared.in_flight.send_modify(|n| *n += 1);
        self.shared.runtime.spawn(async move {
            deliver(&shared, key, value, guard).await;
            shared.in_flight.send_modify(|n| *n = n.saturating_sub(1));
        });
    }
}

async fn deliver(
    shared: &Shared,
    key: String,
    value: Option<Vec<u8>>,
    guard: Option<(Ticket, Status)>,
) {
    loop {
        let error = match shared.sink.send(key.as_bytes(), value.as_deref()).await {
            Ok(()) => return,
            Err(e) => e,
        };
        if !is_retriable(&error) {
            tracing::error!(key, error = %error, "Failed to write status update");
            return;
        }
        if shared.stopping.load(Ordering::SeqCst) {
            tracing::warn!(key, error = %error, "Status store stopping; not retrying the write");
            return;
        }
        if let Some((ticket, status)) = &guard {
            if !lock(&shared.cache).should_retry(ticket, status) {
                tracing::debug!(key, error = %error, "Not retrying a superseded status write");
                return;
            }
        }
        tracing::warn!(key, error = %error, "Retrying a failed status write");
        tokio::time::sleep(shared.retry_backoff).await;
    }
}

#[cfg(test)]
mod tests;
