//! Source task producers, optionally shared by tasks with the same producer config.
//!
//! Java gives every source task its own producer, and so does Sluice by default. A
//! librdkafka producer is heavy for a task that is mostly idle: four threads (its main
//! thread and one per broker connection, the bootstrap one included), a socket to every
//! broker it produces to, its own metadata refreshes and statistics, and each of those
//! threads wakes up at least once a second. With `sluice.source.producer.shared=true`, tasks
//! whose effective producer configs are the same (worker `producer.*` keys, the connector's
//! `producer.override.*`, Java's defaults) share one producer; a connector with its own
//! overrides gets a producer of its own (shared with connectors that have the same
//! overrides).
//!
//! At-least-once is unchanged: a record's delivery report still goes to the task that sent
//! it (the top half of the delivery opaque names the task's route, the bottom half is the
//! task's own sequence number), and each task commits the offsets of its own acknowledged
//! records only. What tasks share is the producer's queue (`queue.buffering.max.*`) and its
//! connections; a shared producer's `client.id` is `connector-producer-shared-<n>` unless
//! the config sets one, and its client metrics are those of the shared producer.
//!
//! A shared producer lives while a task uses it; the last [`ProducerLease`] dropped stops
//! it, as a task's own producer stops when the task ends.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use tokio::sync::Notify;

use super::native_send::{Produce, TopicHandle};
use super::polled_producer::PolledProducer;
use crate::metrics::ClientStatsHandle;

/// An acknowledgement from a producer's delivery callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The task's sequence number of the record.
    pub sequence: usize,
    /// The partition and offset written, or why the record was not written. The task knows
    /// which topic it sent each record to, so a written record's ack does not carry it.
    pub outcome: Result<(i32, i64), Box<SendFailure>>,
}

/// Why the producer could not write a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// The topic the record was sent to.
    pub topic: String,
    /// The producer's error.
    pub error: String,
}

/// Bits of the delivery opaque that hold the task's sequence number; the bits above name
/// the route.
const SEQUENCE_BITS: u32 = usize::BITS / 2;
/// The sequence number part of an opaque.
pub const SEQUENCE_MASK: usize = (1 << SEQUENCE_BITS) - 1;

/// One task's acknowledgements in transit: the producer's polling thread appends them, the
/// task takes all that arrived at once. The task is woken once per batch (when the buffer
/// turns non-empty), not once per record.
#[derive(Default)]
struct AckQueue {
    buffer: Mutex<Vec<Ack>>,
    ready: Notify,
}

impl AckQueue {
    fn buffer(&self) -> std::sync::MutexGuard<'_, Vec<Ack>> {
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, ack: Ack) {
        let first = {
            let mut buffer = self.buffer();
            buffer.push(ack);
            buffer.len() == 1
        };
        if first {
            self.ready.notify_one();
        }
    }
}

/// The receiving end of a task's acknowledgements.
pub struct AckReceiver {
    queue: Arc<AckQueue>,
}

impl AckReceiver {
    /// Appends every acknowledgement received so far to `out`; how many.
    pub fn try_recv_into(&mut self, out: &mut VecDeque<Ack>) -> usize {
        let mut buffer = self.queue.buffer();
        let n = buffer.len();
        out.extend(buffer.drain(..));
        n
    }

    /// Waits until there is at least one acknowledgement, then appends every one received so
    /// far to `out`; how many. Cancel-safe: nothing is taken until it returns.
    pub async fn recv_into(&mut self, out: &mut VecDeque<Ack>) -> usize {
        loop {
            let n = self.try_recv_into(out);
            if n > 0 {
                return n;
            }
            self.queue.ready.notified().await;
        }
    }
}

/// The acknowledgement queue of each route (task), looked up once per delivery report.
type Routes = HashMap<usize, Arc<AckQueue>, foldhash::fast::RandomState>;

/// The producer context: delivery reports go to the route (task) named in their opaque,
/// statistics to the metrics.
pub struct RoutingContext {
    routes: RwLock<Routes>,
    stats: Option<ClientStatsHandle>,
}

impl RoutingContext {
    fn routes(&self) -> std::sync::RwLockReadGuard<'_, Routes> {
        self.routes.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn routes_mut(&self) -> std::sync::RwLockWriteGuard<'_, Routes> {
        self.routes.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ClientContext for RoutingContext {
    fn stats(&self, statistics: rdkafka::statistics::Statistics) {
        if let Some(s) = &self.stats {
            s.update(&statistics);
        }
    }
}

impl ProducerContext for RoutingContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, opaque: usize) {
        let outcome = match result {
            Ok(m) => Ok((m.partition(), m.offset())),
            Err((e, m)) => Err(Box::new(SendFailure {
                topic: m.topic().to_string(),
                error: e.to_string(),
            })),
        };
        // A task that stopped has no route any more; nobody waits for its acks then (its
        // offsets past them are not committed).
        if let Some(route) = self.routes().get(&(opaque >> SEQUENCE_BITS)) {
            route.push(Ack {
                sequence: opaque & SEQUENCE_MASK,
                outcome,
            });
        }
    }
}

type Shared = PolledProducer<RoutingContext>;

/// A record a source task sends: raw key and value, the opaque from
/// [`ProducerLease::opaque`].
pub type TaskRecord<'a> = BaseRecord<'a, [u8], [u8], usize>;

/// A producer config as the pool compares them: every key and value, sorted by key.
type ConfigKey = Vec<(String, String)>;

/// One task's use of a producer: sends records tagged with the task's route and receives
/// their acknowledgements. Dropping it removes the route (and stops the producer when no
/// other task uses it).
pub struct ProducerLease {
    topics: Vec<TopicHandle<RoutingContext>>,
    producer: Arc<Shared>,
    route: usize,
}

/// How many topic handles a lease keeps (most recently used first): a task usually writes
/// to one topic; one routing records to many makes a handle again for a topic it has not
/// written to in a while.
const TOPIC_HANDLES: usize = 16;

impl ProducerLease {
    /// The delivery opaque of the task's record number `sequence` (wrapped to
    /// [`SEQUENCE_MASK`]); its acknowledgement carries `sequence & SEQUENCE_MASK`.
    pub fn opaque(&self, sequence: usize) -> usize {
        (self.route << SEQUENCE_BITS) | (sequence & SEQUENCE_MASK)
    }

    /// Enqueues a record as [`rdkafka::producer::BaseProducer::send`] does, through a
    /// handle on its topic kept between calls (no per-record topic lookup); its opaque must
    /// come from [`ProducerLease::opaque`]. A record that is not queued comes back with the
    /// error.
    #[allow(clippy::result_large_err)]
    pub fn send<'a>(
        &mut self,
        mut record: TaskRecord<'a>,
    ) -> Result<(), (KafkaError, TaskRecord<'a>)> {
        let topic = match self.topic(record.topic) {
            Ok(topic) => topic,
            Err(e) => return Err((e, record)),
        };
        let produce = Produce {
            partition: record.partition,
            key: record.key,
            payload: record.payload,
            timestamp: record.timestamp,
            opaque: record.delivery_opaque,
        };
        match topic.produce(&produce, record.headers.take()) {
            Ok(()) => Ok(()),
            Err((code, headers)) => {
                record.headers = headers;
                Err((KafkaError::MessageProduction(code), record))
            }
        }
    }

    /// The handle on `name`, made on first use and moved to the front when used.
    fn topic(&mut self, name: &str) -> KafkaResult<&TopicHandle<RoutingContext>> {
        match self.topics.iter().position(|t| t.name() == name) {
            Some(0) => {}
            Some(i) => self.topics[..=i].rotate_right(1),
            None => {
                let handle = TopicHandle::new(&self.producer, name)?;
                self.topics.truncate(TOPIC_HANDLES - 1);
                self.topics.insert(0, handle);
            }
        }
        Ok(&self.topics[0])
    }

    /// Whether another lease uses the same producer.
    pub fn same_producer(&self, other: &ProducerLease) -> bool {
        Arc::ptr_eq(&self.producer, &other.producer)
    }
}

impl Drop for ProducerLease {
    fn drop(&mut self) {
        self.producer.context().routes_mut().remove(&self.route);
    }
}

/// The worker's source task producers: one per task, or one per distinct config when
/// shared.
pub struct ProducerPool {
    shared: bool,
    producers: Mutex<HashMap<ConfigKey, Weak<Shared>>>,
    next_route: AtomicUsize,
    next_shared: AtomicUsize,
}

impl ProducerPool {
    /// A pool; `shared` is `sluice.source.producer.shared`.
    pub fn new(shared: bool) -> Self {
        ProducerPool {
            shared,
            producers: Mutex::new(HashMap::new()),
            next_route: AtomicUsize::new(0),
            next_shared: AtomicUsize::new(0),
        }
    }

    /// Whether tasks with the same config share a producer.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// How many shared producers are in use (0 when not shared).
    pub fn live_producers(&self) -> usize {
        self.producers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|p| p.strong_count() > 0)
            .count()
    }

    /// A producer for a task: its own, made from `config` with `stats` as its statistics
    /// handle, or (when shared) the live producer made from an equal config, where a
    /// `client.id` equal to `task_client_id` (the task's default) does not count. `name`
    /// names the polling thread of a new producer.
    pub fn lease(
        &self,
        config: &ClientConfig,
        task_client_id: &str,
        stats: Option<ClientStatsHandle>,
        name: &str,
    ) -> KafkaResult<(ProducerLease, AckReceiver)> {
        let queue = Arc::new(AckQueue::default());
        let route = self.next_route.fetch_add(1, Ordering::Relaxed) & (usize::MAX >> SEQUENCE_BITS);
        let producer = if self.shared {
            // `config_map` hides passwords; the key takes every value as set.
            let key: ConfigKey = config
                .config_map()
                .keys()
                .filter_map(|k| {
                    let v = config.get(k).unwrap_or_default();
                    let task_default = *k == "client.id" && v == task_client_id;
                    (!task_default).then(|| (k.to_string(), v.to_string()))
                })
                .collect();
            let mut producers = self
                .producers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            producers.retain(|_, p| p.strong_count() > 0);
            match producers.get(&key).and_then(Weak::upgrade) {
                Some(p) => p,
                None => {
                    let mut config = config.clone();
                    if config.get("client.id") == Some(task_client_id) {
                        let n = self.next_shared.fetch_add(1, Ordering::Relaxed);
                        config.set("client.id", format!("connector-producer-shared-{n}"));
                    }
                    let p = Arc::new(Self::create(&config, stats, "producer-shared")?);
                    producers.insert(key, Arc::downgrade(&p));
                    p
                }
            }
        } else {
            Arc::new(Self::create(config, stats, name)?)
        };
        producer.context().routes_mut().insert(route, queue.clone());
        Ok((
            ProducerLease {
                topics: Vec::new(),
                producer,
                route,
            },
            AckReceiver { queue },
        ))
    }

    fn create(
        config: &ClientConfig,
        stats: Option<ClientStatsHandle>,
        name: &str,
    ) -> KafkaResult<Shared> {
        PolledProducer::create(
            config,
            RoutingContext {
                routes: RwLock::new(Routes::default()),
                stats,
            },
            name,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::mocking::MockCluster;
    use std::time::Duration;

    fn config(bootstrap: &str, client_id: &str) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", bootstrap)
            .set("client.id", client_id)
            .set("acks", "all");
        c
    }

    async fn ack(rx: &mut AckReceiver) -> Ack {
        let mut out = VecDeque::new();
        tokio::time::timeout(Duration::from_secs(10), rx.recv_into(&mut out))
            .await
            .expect("an acknowledgement within 10 s");
        assert_eq!(out.len(), 1, "one record sent, one ack: {out:?}");
        out.pop_front().expect("an ack")
    }

    fn send(lease: &mut ProducerLease, topic: &str, sequence: usize, value: &str) {
        send_to(lease, topic, 0, sequence, value);
    }

    fn send_to(
        lease: &mut ProducerLease,
        topic: &str,
        partition: i32,
        sequence: usize,
        value: &str,
    ) {
        let record = BaseRecord::<[u8], [u8], usize>::with_opaque_to(topic, lease.opaque(sequence))
            .partition(partition)
            .payload(value.as_bytes());
        lease.send(record).map_err(|(e, _)| e).expect("enqueued");
    }

    #[tokio::test]
    async fn shared_leases_route_each_ack_to_the_task_that_sent_the_record() {
        let mock = MockCluster::new(1).expect("mock cluster");
        mock.create_topic("ta", 1, 1).expect("topic");
        mock.create_topic("tb", 2, 1).expect("topic");
        let bootstrap = mock.bootstrap_servers();
        let pool = ProducerPool::new(true);
        let a_id = "connector-producer-a-0";
        let b_id = "connector-producer-b-0";
        let (mut a, mut a_acks) = pool
            .lease(&config(&bootstrap, a_id), a_id, None, "p-a")
            .expect("lease a");
        let (mut b, mut b_acks) = pool
            .lease(&config(&bootstrap, b_id), b_id, None, "p-b")
            .expect("lease b");
        assert!(a.same_producer(&b), "equal configs share one producer");
        assert_eq!(pool.live_producers(), 1);
        // Both tasks use the same sequence numbers; each gets its own acks back.
        for seq in [7, SEQUENCE_MASK] {
            send(&mut a, "ta", seq, "from a");
            send_to(&mut b, "tb", 1, seq, "from b");
            let got_a = ack(&mut a_acks).await;
            let got_b = ack(&mut b_acks).await;
            assert_eq!((got_a.sequence, got_b.sequence), (seq, seq));
            // b writes to partition 1 of tb, a to partition 0 of ta: an ack's partition shows
            // whose record it acknowledges.
            assert!(matches!(got_a.outcome, Ok((0, _))), "{got_a:?}");
            assert!(matches!(got_b.outcome, Ok((1, _))), "{got_b:?}");
        }
        let mut rest = VecDeque::new();
        assert_eq!(
            a_acks.try_recv_into(&mut rest) + b_acks.try_recv_into(&mut rest),
            0
        );
        // A stopped task's route is gone: the other task's acks still arrive.
        drop(a);
        send_to(&mut b, "tb", 1, 1, "again");
        assert_eq!(ack(&mut b_acks).await.sequence, 1);
        assert_eq!(pool.live_producers(), 1);
        drop(b);
        assert_eq!(
            pool.live_producers(),
            0,
            "the last lease stops the producer"
        );
    }

    #[tokio::test]
    async fn acks_arrive_in_batches_with_the_topic_name_shared() {
        let mock = MockCluster::new(1).expect("mock cluster");
        mock.create_topic("tc", 1, 1).expect("topic");
        let id = "connector-producer-c-0";
        let pool = ProducerPool::new(false);
        let (mut lease, mut acks) = pool
            .lease(&config(&mock.bootstrap_servers(), id), id, None, "p-c")
            .expect("lease");
        let n = 500;
        for seq in 0..n {
            send(&mut lease, "tc", seq, "v");
        }
        // Acks pile up while the task is not looking (how many wake-ups a busy task needs
        // depends on the scheduler; that one wake-up takes all that arrived does not).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while acks.queue.buffer().len() < n {
            assert!(
                std::time::Instant::now() < deadline,
                "acknowledgements within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut got = VecDeque::new();
        let taken = tokio::time::timeout(Duration::from_secs(10), acks.recv_into(&mut got))
            .await
            .expect("the acknowledgements at once");
        assert_eq!(
            taken, n,
            "one wake-up takes every ack that arrived: {got:?}"
        );
        assert_eq!(got.len(), n, "one ack per record");
        let mut sequences: Vec<usize> = got.iter().map(|a| a.sequence).collect();
        sequences.sort_unstable();
        assert_eq!(sequences, (0..n).collect::<Vec<_>>());
        let mut offsets: Vec<i64> = got
            .iter()
            .map(|a| a.outcome.as_ref().map(|&(_, o)| o).expect("written"))
            .collect();
        offsets.sort_unstable();
        assert_eq!(offsets, (0..n as i64).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn other_configs_and_unshared_pools_get_producers_of_their_own() {
        let mock = MockCluster::new(1).expect("mock cluster");
        let bootstrap = mock.bootstrap_servers();
        let shared = ProducerPool::new(true);
        let (a, _a) = shared
            .lease(&config(&bootstrap, "c-a"), "c-a", None, "p")
            .expect("lease");
        let mut overridden = config(&bootstrap, "c-b");
        overridden.set("linger.ms", "50");
        let (b, _b) = shared.lease(&overridden, "c-b", None, "p").expect("lease");
        assert!(
            !a.same_producer(&b),
            "a producer.override.* key makes another producer"
        );
        // A client.id the config sets (not the task's default) is part of the config.
        let (c, _c) = shared
            .lease(&config(&bootstrap, "chosen"), "c-c", None, "p")
            .expect("lease");
        let (d, _d) = shared
            .lease(&config(&bootstrap, "chosen"), "c-d", None, "p")
            .expect("lease");
        assert!(!c.same_producer(&a));
        assert!(c.same_producer(&d));
        assert_eq!(shared.live_producers(), 3);

        let own = ProducerPool::new(false);
        let (e, _e) = own
            .lease(&config(&bootstrap, "c-e"), "c-e", None, "p")
            .expect("lease");
        let (f, _f) = own
            .lease(&config(&bootstrap, "c-e"), "c-e", None, "p")
            .expect("lease");
        assert!(
            !e.same_producer(&f),
            "without sharing every task has its own producer"
        );
    }

    #[tokio::test]
    async fn records_land_on_their_topics_through_more_topics_than_the_lease_keeps_handles_for() {
        let mock = MockCluster::new(1).expect("mock cluster");
        let topics: Vec<String> = (0..TOPIC_HANDLES + 4).map(|i| format!("t{i}")).collect();
        for t in &topics {
            mock.create_topic(t, 1, 1).expect("topic");
        }
        let id = "connector-producer-h-0";
        let pool = ProducerPool::new(false);
        let (mut lease, mut acks) = pool
            .lease(&config(&mock.bootstrap_servers(), id), id, None, "p-h")
            .expect("lease");
        // Topic i gets i + 1 records, sent round-robin over the topics: more topics than
        // handles, so handles are dropped and made again between a topic's records.
        let mut seq = 0;
        for round in 0..topics.len() {
            for (i, t) in topics.iter().enumerate().filter(|(i, _)| round <= *i) {
                send(&mut lease, t, seq, &format!("{i}"));
                seq += 1;
            }
        }
        let mut got = VecDeque::new();
        while got.len() < seq {
            tokio::time::timeout(Duration::from_secs(10), acks.recv_into(&mut got))
                .await
                .expect("acknowledgements within 10 s");
        }
        assert!(got.iter().all(|a| a.outcome.is_ok()), "{got:?}");
        assert!(lease.topics.len() <= TOPIC_HANDLES);
        let client = &lease.producer.client();
        for (i, t) in topics.iter().enumerate() {
            let (low, high) = client
                .fetch_watermarks(t, 0, Duration::from_secs(10))
                .expect("watermarks");
            assert_eq!(high - low, i as i64 + 1, "records on {t}");
        }
        // A name librdkafka refuses (over 512 bytes), or one with a NUL byte, fails that
        // record alone.
        for bad in ["x".repeat(513), "a\0b".to_string()] {
            let record = BaseRecord::<[u8], [u8], usize>::with_opaque_to(&bad, lease.opaque(1))
                .payload(b"x".as_slice());
            let (error, back) = lease.send(record).expect_err("refused");
            assert_eq!(back.payload, Some(b"x".as_slice()), "{bad:?}: {error}");
        }
        send(&mut lease, "t0", 2, "after");
        let mut more = VecDeque::new();
        tokio::time::timeout(Duration::from_secs(10), acks.recv_into(&mut more))
            .await
            .expect("the next record is sent");
        assert!(more[0].outcome.is_ok(), "{more:?}");
    }
}
