//! [`KafkaBasedLog`]: a compacted topic used as a log (Java's `KafkaBasedLog`).
//!
//! * On [`KafkaBasedLog::start`] the topic's partitions are read from metadata and **all** of
//!   them are assigned (no consumer group, no commits: `enable.auto.commit=false`) from the
//!   beginning; start returns once everything up to the end offsets taken at start has been
//!   handed to the consumer callback.
//! * Afterwards a background thread follows new records and hands each one to the callback,
//!   serially, in the order of each partition.
//! * [`KafkaBasedLog::read_to_end`] (Java's `readToEnd`) takes the current end offsets and
//!   waits until the callback has seen every record before them.
//! * [`KafkaBasedLog::send`] writes with `acks=all` and `enable.idempotence=true` and
//!   partitions keys as Java's default partitioner does (`murmur2_random`), so a key written
//!   by Sluice lands on the partition a Java worker would write it to.
//!
//! "Read to end" compares the offset after the last consumed record with the end offsets
//! (high watermarks). When no record sits just before the end (compaction removed it, or it
//! is a transaction marker), the reader notices that it is idle, seeks the partition to its
//! own position, and takes the end-of-partition event that follows (a fetch made after the
//! request) as proof that it has read everything before the end offsets: librdkafka drops
//! events from before a seek.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::oneshot;

use crate::unreadable::{describe, is_unreadable_batch};

/// How long metadata and end-offset requests may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the reader waits for records before looking at its commands again.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Idle polls with a read-to-end pending before the reader probes for the partition's end.
const IDLE_POLLS_BEFORE_PROBE: u32 = 5;

/// One record of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Key bytes (`None`: a null key).
    pub key: Option<Vec<u8>>,
    /// Value bytes (`None`: a tombstone).
    pub value: Option<Vec<u8>>,
    /// Partition.
    pub partition: i32,
    /// Offset in the partition.
    pub offset: i64,
}

/// Called on the reader thread for every record, serially; it must not block for long.
pub type ConsumeCallback = Box<dyn FnMut(LogRecord) + Send>;

/// A failure of the log, naming its topic.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A Kafka client could not be created.
    #[error("Could not create the Kafka {client} for topic '{topic}': {source}")]
    Client {
        /// The topic.
        topic: String,
        /// "consumer" or "producer".
        client: &'static str,
        /// The client error.
        #[source]
        source: KafkaError,
    },
    /// The topic does not exist (or has no partitions).
    #[error("Topic '{topic}' does not exist or has no partitions")]
    MissingTopic {
        /// The topic.
        topic: String,
    },
    /// Metadata or end offsets could not be read.
    #[error("Could not read {what} of topic '{topic}': {source}")]
    Fetch {
        /// The topic.
        topic: String,
        /// What was being read.
        what: &'static str,
        /// The client error.
        #[source]
        source: KafkaError,
    },
    /// A record could not be written.
    #[error("Could not write to topic '{topic}': {source}")]
    Send {
        /// The topic.
        topic: String,
        /// The client error.
        #[source]
        source: KafkaError,
    },
    /// The reader met records it cannot read and stopped there (see [`crate::unreadable`]).
    #[error("Could not read topic '{topic}': {reason}; the log stops there")]
    Unreadable {
        /// The topic.
        topic: String,
        /// What the consumer reported.
        reason: String,
    },
    /// The log is stopped (or its reader thread ended).
    #[error("The log of topic '{topic}' is stopped")]
    Stopped {
        /// The topic.
        topic: String,
    },
}

/// Requests to the reader thread.
enum Command {
    ReadToEnd(oneshot::Sender<Result<(), LogError>>),
}

/// A compacted topic read from the beginning and followed, with a producer to append to it.
pub struct KafkaBasedLog {
    topic: String,
    producer: FutureProducer,
    commands: mpsc::Sender<Command>,
    stopping: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for KafkaBasedLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaBasedLog")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

/// The log consumer's context: the end of a partition is how the log knows it has read
/// everything (`enable.partition.eof`), not an error worth a log line; other client errors
/// are logged as warnings (librdkafka retries them itself).
pub struct LogConsumerContext;

impl ClientContext for LogConsumerContext {
    fn error(&self, error: KafkaError, reason: &str) {
        if matches!(error, KafkaError::PartitionEOF(_))
            || error.rdkafka_error_code() == Some(RDKafkaErrorCode::PartitionEOF)
        {
            return;
        }
        tracing::warn!(error = %error, reason, "Internal topic consumer error.");
    }
}

impl ConsumerContext for LogConsumerContext {}

/// The log's consumer.
type LogConsumer = BaseConsumer<LogConsumerContext>;

/// The settings of an internal topic's producer and consumer, before what the log itself
/// sets over them (see [`KafkaBasedLog::start`]).
#[derive(Clone)]
pub struct LogClients {
    /// The producer's settings.
    pub producer: ClientConfig,
    /// The consumer's settings.
    pub consumer: ClientConfig,
}

impl LogClients {
    /// Both clients with the same settings.
    pub fn uniform(base: &ClientConfig) -> Self {
        LogClients {
            producer: base.clone(),
            consumer: base.clone(),
        }
    }

    /// These settings with `client.id` set to `id` on both (Java names the clients of a
    /// distributed worker's topics `<group.id>-configs`, `-offsets` and `-statuses`).
    pub fn with_client_id(&self, id: &str) -> Self {
        let mut clients = self.clone();
        clients.producer.set("client.id", id);
        clients.consumer.set("client.id", id);
        clients
    }
}

/// Consumer settings of group membership, which the log's consumer does without (a
/// distributed worker's top-level keys include its own group's).
const GROUP_SETTINGS: &[&str] = &[
    "group.instance.id",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "partition.assignment.strategy",
    "auto.commit.interval.ms",
];

/// The consumer settings: `base` plus what the log needs (assign, no commits, no group).
fn consumer_config(base: &ClientConfig) -> ClientConfig {
    let mut config = base.clone();
    for key in GROUP_SETTINGS {
        config.remove(key);
    }
    config
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest");
    // Java's consumer checks CRCs (librdkafka does not by default): a corrupted batch stops
    // the log instead of being read as state.
    if config.get("check.crcs").is_none() {
        config.set("check.crcs", "true");
    }
    // rdkafka refuses to create a consumer without a group.id, even one that only assigns
    // partitions; this one never joins the group and commits nothing. (Java's is given the
    // worker's group.id, unused as well; librdkafka would look up that group's coordinator.)
    config.set("group.id", "sluice-kafka-based-log");
    config
}

/// The producer settings: `base` plus acks=all, idempotence and Java's partitioner.
fn producer_config(base: &ClientConfig) -> ClientConfig {
    let mut config = base.clone();
    config
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("partitioner", "murmur2_random");
    config
}

impl KafkaBasedLog {
    /// Starts the log: assigns every partition of `topic` from the beginning, reads up to
    /// the end offsets taken now (handing each record to `callback`), and keeps following
    /// the topic in the background. `clients` holds the producer's and consumer's settings
    /// (`bootstrap.servers`, security, `client.id`, ...).
    pub async fn start(
        topic: impl Into<String>,
        clients: &LogClients,
        callback: ConsumeCallback,
    ) -> Result<Self, LogError> {
        let topic = topic.into();
        let client_error = |client, source| LogError::Client {
            topic: topic.clone(),
            client,
            source,
        };
        let producer: FutureProducer = producer_config(&clients.producer)
            .create()
            .map_err(|e| client_error("producer", e))?;
        let consumer: LogConsumer = consumer_config(&clients.consumer)
            .create_with_context(LogConsumerContext)
            .map_err(|e| client_error("consumer", e))?;
        tracing::info!(topic = %topic, "Starting KafkaBasedLog");
        let consumer = {
            let name = topic.clone();
            tokio::task::spawn_blocking(move || assign_all(consumer, &name))
                .await
                .map_err(|_| LogError::Stopped {
                    topic: topic.clone(),
                })??
        };
        let (commands, receiver) = mpsc::channel();
        let stopping = Arc::new(AtomicBool::new(false));
        let reader = Reader {
            topic: topic.clone(),
            consumer: consumer.0,
            partitions: consumer.1,
            positions: HashMap::new(),
            pending: Vec::new(),
            requests: 0,
            probes: HashMap::new(),
            proven: HashMap::new(),
            idle_polls: 0,
            unreadable: None,
            callback,
            commands: receiver,
            stopping: stopping.clone(),
        };
        let handle = std::thread::Builder::new()
            .name(format!("kafka-log-{topic}"))
            .spawn(move || reader.run())
            .map_err(|_| LogError::Stopped {
                topic: topic.clone(),
            })?;
        let log = KafkaBasedLog {
            topic,
            producer,
            commands,
            stopping,
            reader: Some(handle),
        };
        log.read_to_end().await?;
        tracing::info!(topic = %log.topic, "Finished reading KafkaBasedLog");
        Ok(log)
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Waits until every record before the current end offsets has been handed to the
    /// callback (Java's `readToEnd`).
    pub async fn read_to_end(&self) -> Result<(), LogError> {
        let (tx, rx) = oneshot::channel();
        let stopped = || LogError::Stopped {
            topic: self.topic.clone(),
        };
        self.commands
            .send(Command::ReadToEnd(tx))
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Appends a record (`None` value: a tombstone) and waits for its acknowledgement;
    /// gives its partition and offset.
    pub async fn send(&self, key: &[u8], value: Option<&[u8]>) -> Result<(i32, i64), LogError> {
        let mut results = self.send_all(&[(key, value)]).await;
        results.pop().unwrap_or_else(|| {
            Err(LogError::Stopped {
                topic: self.topic.clone(),
            })
        })
    }

    /// Appends records in order (all queued before waiting) and waits for every
    /// acknowledgement; gives each record's partition and offset or error.
    pub async fn send_all(
        &self,
        records: &[(&[u8], Option<&[u8]>)],
    ) -> Vec<Result<(i32, i64), LogError>> {
        let send_error = |source| LogError::Send {
            topic: self.topic.clone(),
            source,
        };
        let mut queued = Vec::with_capacity(records.len());
        for (key, value) in records {
            let mut record = FutureRecord::<[u8], [u8]>::to(&self.topic).key(*key);
            if let Some(value) = value {
                record = record.payload(*value);
            }
            loop {
                match self.producer.send_result(record) {
                    Ok(delivery) => {
                        queued.push(Ok(delivery));
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        record = back;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err((e, _)) => {
                        queued.push(Err(send_error(e)));
                        break;
                    }
                }
            }
        }
        let mut results = Vec::with_capacity(queued.len());
        for delivery in queued {
            results.push(match delivery {
                Ok(future) => match future.await {
                    Ok(Ok(d)) => Ok((d.partition, d.offset)),
                    Ok(Err((e, _))) => Err(send_error(e)),
                    Err(_) => Err(send_error(KafkaError::Canceled)),
                },
                Err(e) => Err(e),
            });
        }
        results
    }

    /// Flushes the producer and stops the reader thread.
    pub async fn stop(mut self) {
        tracing::info!(topic = %self.topic, "Stopping KafkaBasedLog");
        self.stopping.store(true, Ordering::SeqCst);
        let producer = self.producer.clone();
        let reader = self.reader.take();
        let joined = tokio::task::spawn_blocking(move || {
            if let Err(e) = producer.flush(Timeout::After(REQUEST_TIMEOUT)) {
                tracing::warn!(error = %e, "Could not flush the KafkaBasedLog producer");
            }
            if let Some(reader) = reader {
                let _ = reader.join();
            }
        })
        .await;
        if joined.is_err() {
            tracing::warn!(topic = %self.topic, "Stopping the KafkaBasedLog reader failed");
        }
        tracing::info!(topic = %self.topic, "Stopped KafkaBasedLog");
    }
}

impl Drop for KafkaBasedLog {
    fn drop(&mut self) {
        // The reader thread notices within one poll interval; it is not joined here.
        self.stopping.store(true, Ordering::SeqCst);
    }
}

/// Looks up the topic's partitions and assigns all of them from the beginning.
fn assign_all(consumer: LogConsumer, topic: &str) -> Result<(LogConsumer, Vec<i32>), LogError> {
    let metadata = consumer
        .fetch_metadata(Some(topic), REQUEST_TIMEOUT)
        .map_err(|source| LogError::Fetch {
            topic: topic.to_string(),
            what: "the metadata",
            source,
        })?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return Err(LogError::MissingTopic {
            topic: topic.to_string(),
        });
    }
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        assignment
            .add_partition_offset(topic, *p, Offset::Beginning)
            .map_err(|source| LogError::Fetch {
                topic: topic.to_string(),
                what: "the assignment",
                source,
            })?;
    }
    consumer
        .assign(&assignment)
        .map_err(|source| LogError::Fetch {
            topic: topic.to_string(),
            what: "the assignment",
            source,
        })?;
    Ok((consumer, partitions))
}

/// The background reader: owns the consumer and the callback.
struct Reader {
    topic: String,
    consumer: LogConsumer,
    partitions: Vec<i32>,
    /// The offset after the last record handed to the callback, per partition.
    positions: HashMap<i32, i64>,
    /// Read-to-end requests: their number, the end offsets they wait for, the reply.
    pending: Vec<Pending>,
    /// Read-to-end requests registered so far.
    requests: u64,
    /// Partitions sought to their own position, with the last request registered before.
    probes: HashMap<i32, u64>,
    /// Per partition, the last request whose end offsets an end-of-partition event proved
    /// reached.
    proven: HashMap<i32, u64>,
    /// Polls in a row that returned nothing.
    idle_polls: u32,
    /// Set once the consumer reported records it could not read: nothing is read after them,
    /// and every read-to-end request fails with this reason.
    unreadable: Option<String>,
    callback: ConsumeCallback,
    commands: mpsc::Receiver<Command>,
    stopping: Arc<AtomicBool>,
}

/// One read-to-end request.
struct Pending {
    id: u64,
    ends: HashMap<i32, i64>,
    reply: oneshot::Sender<Result<(), LogError>>,
}

impl Reader {
    fn run(mut self) {
        while !self.stopping.load(Ordering::SeqCst) {
            loop {
                match self.commands.try_recv() {
                    Ok(Command::ReadToEnd(reply)) => self.register(reply),
                    Err(mpsc::TryRecvError::Empty) => break,
                    // Every handle is gone: nobody can ask for anything any more.
                    Err(mpsc::TryRecvError::Disconnected) => return,
                }
            }
            if let Some(reason) = &self.unreadable {
                for request in std::mem::take(&mut self.pending) {
                    let _ = request.reply.send(Err(LogError::Unreadable {
                        topic: self.topic.clone(),
                        reason: reason.clone(),
                    }));
                }
                std::thread::sleep(POLL_INTERVAL);
                continue;
            }
            self.complete_pending();
            if self.poll_batch() {
                self.idle_polls = 0;
            } else {
                self.idle_polls = self.idle_polls.saturating_add(1);
            }
            self.complete_pending();
            if self.idle_polls >= IDLE_POLLS_BEFORE_PROBE {
                self.probe_unreached();
            }
        }
    }

    /// Takes the end offsets for a read-to-end request.
    fn register(&mut self, reply: oneshot::Sender<Result<(), LogError>>) {
        let mut ends = HashMap::new();
        for &p in &self.partitions {
            match self
                .consumer
                .fetch_watermarks(&self.topic, p, REQUEST_TIMEOUT)
            {
                Ok((_, high)) => {
                    ends.insert(p, high);
                }
                Err(source) => {
                    let _ = reply.send(Err(LogError::Fetch {
                        topic: self.topic.clone(),
                        what: "the end offsets",
                        source,
                    }));
                    return;
                }
            }
        }
        tracing::trace!(topic = %self.topic, ?ends, "Reading to the end offsets");
        self.requests += 1;
        self.pending.push(Pending {
            id: self.requests,
            ends,
            reply,
        });
    }

    /// Whether `request` has read partition `p` up to `end`.
    fn reached(&self, request: u64, p: i32, end: i64) -> bool {
        end <= 0
            || self.positions.get(&p).copied().unwrap_or(0) >= end
            || self.proven.get(&p).is_some_and(|proven| *proven >= request)
    }

    fn complete_pending(&mut self) {
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|r| r.ends.iter().all(|(p, end)| self.reached(r.id, *p, *end)));
        self.pending = waiting;
        for request in done {
            let _ = request.reply.send(Ok(()));
        }
    }

    /// Seeks every partition a pending request still waits for (and that is not being
    /// probed) to the reader's own position, so that an end-of-partition event follows.
    fn probe_unreached(&mut self) {
        let mut unreached: Vec<i32> = Vec::new();
        for request in &self.pending {
            for (p, end) in &request.ends {
                if !self.reached(request.id, *p, *end)
                    && !self.probes.contains_key(p)
                    && !unreached.contains(p)
                {
                    unreached.push(*p);
                }
            }
        }
        for p in unreached {
            let offset = self
                .positions
                .get(&p)
                .map_or(Offset::Beginning, |o| Offset::Offset(*o));
            match self
                .consumer
                .seek(&self.topic, p, offset, Timeout::After(REQUEST_TIMEOUT))
            {
                Ok(()) => {
                    tracing::debug!(topic = %self.topic, partition = p, ?offset, "Probing for the end of the partition");
                    self.probes.insert(p, self.requests);
                }
                Err(e) => {
                    tracing::warn!(topic = %self.topic, partition = p, error = %e, "Could not seek");
                }
            }
        }
        self.idle_polls = 0;
    }

    /// Hands the records available now (up to a batch) to the callback; gives whether
    /// anything arrived.
    fn poll_batch(&mut self) -> bool {
        let mut timeout = POLL_INTERVAL;
        let mut any = false;
        for _ in 0..1000 {
            let Some(result) = self.consumer.poll(timeout) else {
                return any;
            };
            any = true;
            timeout = Duration::ZERO;
            match result {
                Ok(message) => {
                    let record = LogRecord {
                        key: message.key().map(<[u8]>::to_vec),
                        value: message.payload().map(<[u8]>::to_vec),
                        partition: message.partition(),
                        offset: message.offset(),
                    };
                    self.positions.insert(record.partition, record.offset + 1);
                    (self.callback)(record);
                }
                Err(KafkaError::PartitionEOF(p)) => {
                    // After a seek, this event comes from a fetch made after every request
                    // registered before the seek: their end offsets are reached.
                    if let Some(request) = self.probes.remove(&p) {
                        self.proven.insert(p, request);
                    }
                }
                Err(KafkaError::MessageConsumption(code)) if is_unreadable_batch(code) => {
                    let reason = describe(code);
                    tracing::error!(topic = %self.topic, %reason,
                        "KafkaBasedLog stops reading at records it cannot read.");
                    self.unreadable = Some(reason);
                    return any;
                }
                Err(e) => {
                    tracing::warn!(topic = %self.topic, error = %e, "Error reading KafkaBasedLog");
                }
            }
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::mocking::MockCluster;
    use std::sync::Mutex;

    fn collector() -> (Arc<Mutex<Vec<LogRecord>>>, ConsumeCallback) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let callback: ConsumeCallback =
            Box::new(move |r| sink.lock().unwrap_or_else(|p| p.into_inner()).push(r));
        (seen, callback)
    }

    #[test]
    fn required_client_settings_win() {
        let mut base = ClientConfig::new();
        base.set("enable.auto.commit", "true")
            .set("acks", "1")
            .set("group.id", "connect-cluster")
            .set("session.timeout.ms", "10000")
            .set("fetch.min.bytes", "10");
        let consumer = consumer_config(&base);
        assert_eq!(consumer.get("enable.auto.commit"), Some("false"));
        // The worker's group and its settings stay with the worker's group member.
        assert_eq!(consumer.get("group.id"), Some("sluice-kafka-based-log"));
        assert_eq!(consumer.get("session.timeout.ms"), None);
        assert_eq!(consumer.get("fetch.min.bytes"), Some("10"));
        let producer = producer_config(&base);
        assert_eq!(producer.get("acks"), Some("all"));
        assert_eq!(producer.get("enable.idempotence"), Some("true"));
        assert_eq!(producer.get("partitioner"), Some("murmur2_random"));
    }

    #[tokio::test]
    async fn mock_cluster_send_read_back_and_missing_topic() {
        let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
        mock.create_topic("log-a", 3, 1)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut base = ClientConfig::new();
        base.set("bootstrap.servers", mock.bootstrap_servers());
        let (seen, callback) = collector();
        let log = KafkaBasedLog::start("log-a", &LogClients::uniform(&base), callback)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(seen.lock().unwrap().is_empty());
        for key in ["k1", "k2", "k3", "k4"] {
            log.send(key.as_bytes(), Some(b"v"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        log.send(b"k1", None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        log.read_to_end().await.unwrap_or_else(|e| panic!("{e}"));
        let seen_now = seen.lock().unwrap().clone();
        assert_eq!(seen_now.len(), 5);
        // Java's partitioner: the same key always lands on the same partition.
        let k1: Vec<_> = seen_now
            .iter()
            .filter(|r| r.key.as_deref() == Some(b"k1".as_slice()))
            .collect();
        assert_eq!(k1.len(), 2);
        assert_eq!(k1[0].partition, k1[1].partition);
        assert_eq!(
            k1[0].partition,
            crate::runtime::partitioner::java_partition(b"k1", 3)
        );
        assert_eq!(k1[1].value, None);
        log.stop().await;

        let (_, callback) = collector();
        let err = KafkaBasedLog::start("no-such-topic", &LogClients::uniform(&base), callback)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("no-such-topic"), "{err}");
    }

    /// The probe for a partition whose last offset holds no record (compacted away, or a
    /// transaction marker): a request waiting for an end the records never reach is
    /// answered by the end-of-partition event after the reader seeks to its own position.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_end_beyond_the_last_record_is_reached_through_the_probe() {
        let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
        mock.create_topic("log-gap", 1, 1)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut base = ClientConfig::new();
        base.set("bootstrap.servers", mock.bootstrap_servers());
        let producer: FutureProducer = producer_config(&base)
            .create()
            .unwrap_or_else(|e| panic!("{e}"));
        for key in ["a", "b"] {
            producer
                .send(
                    FutureRecord::<str, str>::to("log-gap")
                        .key(key)
                        .payload("v"),
                    Timeout::Never,
                )
                .await
                .unwrap_or_else(|(e, _)| panic!("{e}"));
        }
        let consumer: LogConsumer = consumer_config(&base)
            .create_with_context(LogConsumerContext)
            .unwrap_or_else(|e| panic!("{e}"));
        let (consumer, partitions) =
            tokio::task::spawn_blocking(move || assign_all(consumer, "log-gap"))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
        let (seen, callback) = collector();
        let (reply, answer) = oneshot::channel();
        let (_commands, receiver) = mpsc::channel();
        let stopping = Arc::new(AtomicBool::new(false));
        // The records end at offset 2; the request waits for end offset 5, as when the
        // records at offsets 2..5 were compacted away or are transaction markers.
        let reader = Reader {
            topic: "log-gap".into(),
            consumer,
            partitions,
            positions: HashMap::new(),
            pending: vec![Pending {
                id: 1,
                ends: HashMap::from([(0, 5)]),
                reply,
            }],
            requests: 1,
            probes: HashMap::new(),
            proven: HashMap::new(),
            idle_polls: 0,
            unreadable: None,
            callback,
            commands: receiver,
            stopping: stopping.clone(),
        };
        let thread = std::thread::spawn(move || reader.run());
        let answered = tokio::time::timeout(Duration::from_secs(20), answer).await;
        stopping.store(true, Ordering::SeqCst);
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        assert!(matches!(answered, Ok(Ok(Ok(())))), "{answered:?}");
        // The seek to the reader's own position neither lost nor repeated a record.
        let keys: Vec<_> = seen.lock().unwrap().iter().map(|r| r.key.clone()).collect();
        assert_eq!(keys, [Some(b"a".to_vec()), Some(b"b".to_vec())]);
    }

    /// A batch librdkafka cannot read (it reports it and fetches it again, for ever) stops
    /// the log there: reading to the end fails, naming the topic, instead of waiting for
    /// ever, and nothing after the batch reaches the callback. So does a batch whose CRC does
    /// not match (the log checks CRCs as Java's consumer does; librdkafka's default would
    /// deliver the altered records).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_the_consumer_cannot_read_stops_the_log_there() {
        use crate::runtime::test_harness::{produce_bad_batch, BadBatch};
        for (kind, topic) in [
            (BadBatch::Zstd, "log-unreadable"),
            (BadBatch::Corrupted, "log-corrupted"),
        ] {
            let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
            mock.create_topic(topic, 1, 1)
                .unwrap_or_else(|e| panic!("{e}"));
            let bootstrap = mock.bootstrap_servers();
            let mut base = ClientConfig::new();
            base.set("bootstrap.servers", &bootstrap);
            let (seen, callback) = collector();
            let log = KafkaBasedLog::start(topic, &LogClients::uniform(&base), callback)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            log.send(b"before", Some(b"v"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            produce_bad_batch(&bootstrap, topic, 2, kind).await;
            log.send(b"after", Some(b"v"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let err = tokio::time::timeout(Duration::from_secs(20), log.read_to_end())
                .await
                .expect("an answer, not a wait for ever")
                .expect_err("the log cannot read past the batch");
            assert!(
                matches!(err, LogError::Unreadable { .. }),
                "{kind:?}: {err}"
            );
            assert!(err.to_string().contains(topic), "{err}");
            let keys: Vec<_> = seen.lock().unwrap().iter().map(|r| r.key.clone()).collect();
            assert_eq!(keys, [Some(b"before".to_vec())], "{kind:?}");
            log.stop().await;
        }
    }
}
