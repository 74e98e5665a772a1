//! The sink task loop (Java's `WorkerSinkTask`): consume as group `connect-<connector>` →
//! convert → transform → put, and commit exactly the offsets `SinkTask::pre_commit` returns.
//!
//! * Auto-commit is off. Every `offset.flush.interval.ms`, or when the task asks through
//!   `SinkTaskContext::request_commit`, the loop calls `pre_commit` with the next offset to
//!   read of every partition put so far, and commits what it returns (asynchronously).
//! * On partition revocation, the offsets the task last made durable are committed
//!   synchronously before the partitions go; then `close` is called. `open` is called on
//!   assignment.
//! * A retriable `put` error pauses consumption and re-delivers the same batch; any other error
//!   fails the task. At shutdown, `pre_commit` runs once more and its offsets are committed
//!   synchronously.
//! * Conversion and transformation run per record through the task's
//!   [`RetryWithToleranceOperator`]: a failed record is reported (log, dead-letter queue, durable
//!   before the loop goes on) and skipped under `errors.tolerance=all`; its offset advances with
//!   the batch, so commits move past it only once the good records are flushed by the task.
//!   Under `none` the task fails and nothing of the batch is committed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::message::{BorrowedHeaders, Message};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use sluice_api::{
    ConnectRecord, ErrantRecordReporter, Origin, Props, SinkRecord, SinkTask, SinkTaskContext,
    TimestampType, TopicPartition,
};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::converters::RecordConverters;
use super::errors::context::{ConsumedRecord, OriginalRecord};
use super::errors::dlq::DeadLetterQueueReporter;
use super::errors::log_reporter::LogReporter;
use super::errors::{
    ErrorHandlingConfig, OriginalsIndex, Reporters, RetryWithToleranceOperator,
    WorkerErrantRecordReporter,
};
use super::source::TaskTarget;
use super::status::StatusStore;
use super::transforms::Transforms;
use super::{commit_ticker, report_target, Stage, TaskError};
use crate::herder::ConnectorTaskId;

/// Records handed to one `put` at most (Java's `max.poll.records` default).
pub const MAX_BATCH: usize = 500;

/// How long to back off before re-delivering a batch after a retriable `put` error.
pub const RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// librdkafka settings of a sink task's consumer that have no Java key (so no `consumer.*`
/// or `consumer.override.*` key reaches them). librdkafka prefetches
/// up to 64 MB per consumer by default, on top of what the task buffers itself; 4 MB keeps the
/// read-ahead at a few fetches, which on the Elasticsearch benchmark kept the same throughput
/// and cut the worker's peak RSS from 93 MB to 77 MB.
pub const LIBRDKAFKA_CONSUMER_SETTINGS: &[(&str, &str)] = &[("queued.max.messages.kbytes", "4096")];

/// Java's defaults for a sink task's consumer, before `consumer.*` and
/// `consumer.override.*`.
pub fn consumer_defaults(id: &ConnectorTaskId) -> Vec<(&'static str, String)> {
    vec![
        ("group.id", format!("connect-{}", id.connector)),
        ("enable.auto.commit", "false".to_string()),
        ("auto.offset.reset", "earliest".to_string()),
        (
            "client.id",
            format!("connector-consumer-{}-{}", id.connector, id.task),
        ),
    ]
}

enum RebalanceEvent {
    Assigned(Vec<TopicPartition>),
    Revoked(Vec<TopicPartition>),
}

fn tpl_to_vec(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

fn offsets_to_tpl(offsets: &HashMap<TopicPartition, i64>) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for (tp, off) in offsets {
        // Only fails for an invalid offset value, which `Offset::Offset` never is.
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*off));
    }
    tpl
}

fn partitions_to_tpl(partitions: &[TopicPartition]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for tp in partitions {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    tpl
}

/// Consumer context: reports rebalances to the loop and commits the durable offsets of
/// revoked partitions before they go.
pub struct SinkConsumerContext {
    events: mpsc::UnboundedSender<RebalanceEvent>,
    durable: Arc<Mutex<HashMap<TopicPartition, i64>>>,
}

impl ClientContext for SinkConsumerContext {}

impl ConsumerContext for SinkConsumerContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let revoked = tpl_to_vec(tpl);
            let to_commit: HashMap<TopicPartition, i64> = {
                let mut durable = self.durable.lock().unwrap_or_else(|p| p.into_inner());
                revoked
                    .iter()
                    .filter_map(|tp| durable.remove(tp).map(|o| (tp.clone(), o)))
                    .collect()
            };
            if !to_commit.is_empty() {
                if let Err(e) = consumer.commit(&offsets_to_tpl(&to_commit), CommitMode::Sync) {
                    warn!(error = %e, "Failed to commit offsets of revoked partitions.");
                }
            }
            let _ = self.events.send(RebalanceEvent::Revoked(revoked));
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let _ = self.events.send(RebalanceEvent::Assigned(tpl_to_vec(tpl)));
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => warn!(error = %e, "Consumer rebalance error."),
        }
    }
}

/// The worker's side of [`SinkTaskContext`].
pub struct WorkerSinkTaskContext {
    config: Props,
    assignment: Mutex<Vec<TopicPartition>>,
    requests: Mutex<Vec<(TopicPartition, bool)>>,
    commit_requested: AtomicBool,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
}

impl WorkerSinkTaskContext {
    fn new(config: Props, reporter: Option<Arc<dyn ErrantRecordReporter>>) -> Self {
        WorkerSinkTaskContext {
            config,
            assignment: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            commit_requested: AtomicBool::new(false),
            reporter,
        }
    }

    fn take_requests(&self) -> Vec<(TopicPartition, bool)> {
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn set_assignment(&self, partitions: Vec<TopicPartition>) {
        *self.assignment.lock().unwrap_or_else(|p| p.into_inner()) = partitions;
    }
}

impl SinkTaskContext for WorkerSinkTaskContext {
    fn config(&self) -> &Props {
        &self.config
    }
    fn assignment(&self) -> Vec<TopicPartition> {
        self.assignment
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    fn pause(&self, partitions: &[TopicPartition]) {
        let mut r = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        r.extend(partitions.iter().map(|tp| (tp.clone(), true)));
    }
    fn resume(&self, partitions: &[TopicPartition]) {
        let mut r = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        r.extend(partitions.iter().map(|tp| (tp.clone(), false)));
    }
    fn request_commit(&self) {
        self.commit_requested.store(true, Ordering::SeqCst);
    }
    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        self.reporter.clone()
    }
}

/// Everything a sink task loop needs.
pub struct SinkTaskRun {
    /// Task id.
    pub id: ConnectorTaskId,
    /// The task instance (not started).
    pub task: Box<dyn SinkTask>,
    /// The task's config.
    pub task_config: Props,
    /// `topics` (empty when `topics.regex` is used).
    pub topics: Vec<String>,
    /// `topics.regex`.
    pub topics_regex: Option<String>,
    /// Converters.
    pub converters: RecordConverters,
    /// Transformations.
    pub transforms: Transforms,
    /// The consumer's librdkafka config.
    pub consumer_config: ClientConfig,
    /// Status table.
    pub status: Arc<StatusStore>,
    /// `offset.flush.interval.ms`.
    pub commit_interval: Duration,
    /// `offset.flush.timeout.ms`.
    pub commit_timeout: Duration,
    /// Error handling.
    pub errors: SinkErrorHandling,
}

/// The `errors.*` settings of a sink task and what it needs to build its reporters.
pub struct SinkErrorHandling {
    /// The parsed `errors.*` keys.
    pub config: ErrorHandlingConfig,
    /// The dead-letter queue's admin client config (used when a DLQ topic is set).
    pub dlq_admin: ClientConfig,
    /// The dead-letter queue's producer config.
    pub dlq_producer: ClientConfig,
    /// A second set of the task's converters, for the errant record reporter to serialize
    /// records it did not see consumed (`None`: no errant record reporter).
    pub reporter_converters: Option<RecordConverters>,
    /// The task class (`task.class`), named in errant record reports.
    pub task_class: String,
}

impl SinkErrorHandling {
    /// Defaults: `errors.tolerance=none`, no reporters.
    pub fn fail_fast() -> Self {
        SinkErrorHandling {
            config: ErrorHandlingConfig::default(),
            dlq_admin: ClientConfig::new(),
            dlq_producer: ClientConfig::new(),
            reporter_converters: None,
            task_class: String::new(),
        }
    }

    /// The operator (creating the dead-letter queue topic when missing), the errant record
    /// reporter when one is offered, and the index of originals it reads.
    async fn build(
        self,
        id: &ConnectorTaskId,
    ) -> Result<
        (
            RetryWithToleranceOperator,
            Option<Arc<dyn ErrantRecordReporter>>,
            Option<Arc<OriginalsIndex>>,
        ),
        TaskError,
    > {
        let config = self.config;
        let mut reporters = Reporters::default();
        if config.log_enable {
            reporters.log = Some(LogReporter::new(id.clone(), config.log_include_messages));
        }
        if let Some(topic) = &config.dlq_topic {
            let dlq = DeadLetterQueueReporter::create(
                id.clone(),
                topic.clone(),
                config.dlq_replication_factor,
                config.dlq_context_headers,
                &self.dlq_admin,
                &self.dlq_producer,
            )
            .await
            .map_err(|e| TaskError::Kafka(e.to_string()))?;
            info!(topic = %topic, "Dead letter queue ready.");
            reporters.dlq = Some(dlq);
        }
        let offer_reporter = config.has_reporters();
        let operator = RetryWithToleranceOperator::new(id.clone(), config, reporters);
        match self.reporter_converters {
            Some(converters) if offer_reporter => {
                let originals = Arc::new(OriginalsIndex::default());
                let reporter: Arc<dyn ErrantRecordReporter> =
                    Arc::new(WorkerErrantRecordReporter::new(
                        operator.clone(),
                        originals.clone(),
                        converters,
                        self.task_class,
                    ));
                Ok((operator, Some(reporter), Some(originals)))
            }
            _ => Ok((operator, None, None)),
        }
    }
}

/// Runs the task until `control` says [`TaskTarget::Stopping`] or it fails; FAILED is written
/// here, other final states by the caller.
pub async fn run_sink_task(run: SinkTaskRun, control: watch::Receiver<TaskTarget>) {
    let id = run.id.clone();
    let status = run.status.clone();
    super::supervise_task(id, status, "Sink", SinkLoop::start(run, control)).await
}

struct SinkLoop {
    id: ConnectorTaskId,
    task: Box<dyn SinkTask>,
    context: Arc<WorkerSinkTaskContext>,
    converters: RecordConverters,
    transforms: Transforms,
    consumer: Arc<StreamConsumer<SinkConsumerContext>>,
    events: mpsc::UnboundedReceiver<RebalanceEvent>,
    durable: Arc<Mutex<HashMap<TopicPartition, i64>>>,
    assignment: Vec<TopicPartition>,
    paused_by_task: HashSet<TopicPartition>,
    /// Next offset to read of every partition whose records were put.
    current: HashMap<TopicPartition, i64>,
    last_committed: HashMap<TopicPartition, i64>,
    retry: Option<Vec<SinkRecord>>,
    /// Offsets of the batch waiting in `retry`.
    pending_offsets: Vec<(TopicPartition, i64)>,
    status: Arc<StatusStore>,
    commit_interval: Duration,
    commit_timeout: Duration,
    errors: RetryWithToleranceOperator,
    /// The originals of records handed to `put`, when an errant record reporter is offered.
    originals: Option<Arc<OriginalsIndex>>,
}

fn to_ts(ts: rdkafka::Timestamp) -> (Option<i64>, TimestampType) {
    match ts {
        rdkafka::Timestamp::NotAvailable => (None, TimestampType::NoTimestampType),
        rdkafka::Timestamp::CreateTime(t) => (Some(t), TimestampType::CreateTime),
        rdkafka::Timestamp::LogAppendTime(t) => (Some(t), TimestampType::LogAppendTime),
    }
}

/// One consumed message, owned.
fn consumed_from_message<M: Message<Headers = BorrowedHeaders>>(m: &M) -> ConsumedRecord {
    let headers = m.headers().map(super::headers::decode).unwrap_or_default();
    let (timestamp, timestamp_type) = to_ts(m.timestamp());
    ConsumedRecord {
        topic: m.topic().to_string(),
        partition: m.partition(),
        offset: m.offset(),
        key: m.key().map(<[u8]>::to_vec),
        value: m.payload().map(<[u8]>::to_vec),
        headers,
        timestamp,
        timestamp_type,
    }
}

impl SinkLoop {
    async fn start(
        run: SinkTaskRun,
        control: watch::Receiver<TaskTarget>,
    ) -> Result<(), TaskError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let durable = Arc::new(Mutex::new(HashMap::new()));
        let mut consumer_config = run.consumer_config;
        for (key, value) in LIBRDKAFKA_CONSUMER_SETTINGS {
            consumer_config.set(*key, *value);
        }
        let consumer: StreamConsumer<SinkConsumerContext> = consumer_config
            .create_with_context(SinkConsumerContext {
                events: tx,
                durable: durable.clone(),
            })
            .map_err(|e| TaskError::Kafka(format!("Failed to create consumer: {e}")))?;
        let (errors, reporter, originals) = run.errors.build(&run.id).await?;
        errors.set_stop_signal(control.clone());
        let context = Arc::new(WorkerSinkTaskContext::new(run.task_config, reporter));
        let mut task = run.task;
        task.start(context.clone())
            .await
            .map_err(|error| TaskError::Task {
                call: "SinkTask.start",
                error,
            })?;
        let subscription: Vec<String> = match &run.topics_regex {
            Some(regex) => vec![format!("^{}", regex.trim_start_matches('^'))],
            None => run.topics.clone(),
        };
        let refs: Vec<&str> = subscription.iter().map(String::as_str).collect();
        consumer.subscribe(&refs).map_err(|e| {
            TaskError::Kafka(format!("Failed to subscribe to {subscription:?}: {e}"))
        })?;
        let mut this = SinkLoop {
            id: run.id,
            task,
            context,
            converters: run.converters,
            transforms: run.transforms,
            consumer: Arc::new(consumer),
            events: rx,
            durable,
            assignment: Vec::new(),
            paused_by_task: HashSet::new(),
            current: HashMap::new(),
            last_committed: HashMap::new(),
            retry: None,
            pending_offsets: Vec::new(),
            status: run.status,
            commit_interval: run.commit_interval.max(Duration::from_millis(1)),
            commit_timeout: run.commit_timeout,
            errors,
            originals,
        };
        let result = this.run(control).await;
        let closing = if result.is_ok() {
            this.close_all().await
        } else {
            Ok(())
        };
        let stop = this.task.stop().await;
        this.errors.close();
        result?;
        closing?;
        stop.map_err(|error| TaskError::Task {
            call: "SinkTask.stop",
            error,
        })
    }

    async fn run(&mut self, mut control: watch::Receiver<TaskTarget>) -> Result<(), TaskError> {
        let mut ticker = commit_ticker(self.commit_interval);
        let mut reported: Option<TaskTarget> = None;
        loop {
            self.handle_rebalances().await?;
            let target = *control.borrow_and_update();
            if target == TaskTarget::Stopping {
                break;
            }
            report_target(&self.status, &self.id, target, &mut reported);
            self.apply_pauses(target == TaskTarget::Paused || self.retry.is_some());
            if self.context.commit_requested.swap(false, Ordering::SeqCst) {
                self.commit(CommitMode::Async).await?;
            }
            if target == TaskTarget::Running {
                if let Some(batch) = self.retry.take() {
                    self.put(batch).await?;
                    if self.retry.is_some() {
                        tokio::time::sleep(RETRY_BACKOFF).await;
                    }
                    continue;
                }
            }
            let consumer = self.consumer.clone();
            tokio::select! {
                changed = control.changed() => if changed.is_err() { break },
                _ = ticker.tick() => self.commit(CommitMode::Async).await?,
                msg = consumer.recv() => {
                    let first = msg.map_err(|e| TaskError::stage(
                        Stage::KafkaConsume, "consumer poll", sluice_api::ConnectError::connect(e.to_string())))?;
                    let mut batch = vec![consumed_from_message(&first)];
                    drop(first);
                    while batch.len() < MAX_BATCH {
                        match tokio::time::timeout(Duration::ZERO, consumer.recv()).await {
                            Ok(Ok(m)) => batch.push(consumed_from_message(&m)),
                            Ok(Err(e)) => return Err(TaskError::stage(
                                Stage::KafkaConsume, "consumer poll", sluice_api::ConnectError::connect(e.to_string()))),
                            Err(_) => break,
                        }
                    }
                    self.deliver(batch).await?;
                }
            }
        }
        Ok(())
    }

    /// Applies rebalance events: `open` for assigned partitions, `close` for revoked ones.
    async fn handle_rebalances(&mut self) -> Result<(), TaskError> {
        while let Ok(event) = self.events.try_recv() {
            match event {
                RebalanceEvent::Assigned(parts) => {
                    debug!(partitions = ?parts, "Partitions assigned.");
                    for tp in &parts {
                        if !self.assignment.contains(tp) {
                            self.assignment.push(tp.clone());
                        }
                    }
                    self.context.set_assignment(self.assignment.clone());
                    self.task
                        .open(&parts)
                        .await
                        .map_err(|error| TaskError::Task {
                            call: "SinkTask.open",
                            error,
                        })?;
                }
                RebalanceEvent::Revoked(parts) => {
                    debug!(partitions = ?parts, "Partitions revoked.");
                    self.assignment.retain(|tp| !parts.contains(tp));
                    self.context.set_assignment(self.assignment.clone());
                    for tp in &parts {
                        self.current.remove(tp);
                        self.last_committed.remove(tp);
                        self.paused_by_task.remove(tp);
                    }
                    if let Some(originals) = &self.originals {
                        originals.revoked(&parts);
                    }
                    if let Some(batch) = self.retry.as_mut() {
                        batch.retain(|r| {
                            !parts.contains(&TopicPartition::new(
                                r.topic.clone(),
                                r.kafka_partition.unwrap_or(-1),
                            ))
                        });
                    }
                    self.task
                        .close(&parts)
                        .await
                        .map_err(|error| TaskError::Task {
                            call: "SinkTask.close",
                            error,
                        })?;
                }
            }
        }
        Ok(())
    }

    /// Pauses everything while the task is paused (or a batch is being retried), otherwise
    /// exactly the partitions the task paused.
    fn apply_pauses(&mut self, pause_all: bool) {
        for (tp, pause) in self.context.take_requests() {
            if pause {
                self.paused_by_task.insert(tp);
            } else {
                self.paused_by_task.remove(&tp);
            }
        }
        if self.assignment.is_empty() {
            return;
        }
        let (paused, running): (Vec<TopicPartition>, Vec<TopicPartition>) = self
            .assignment
            .iter()
            .cloned()
            .partition(|tp| pause_all || self.paused_by_task.contains(tp));
        if !paused.is_empty() {
            if let Err(e) = self.consumer.pause(&partitions_to_tpl(&paused)) {
                debug!(error = %e, "Could not pause partitions.");
            }
        }
        if !running.is_empty() {
            if let Err(e) = self.consumer.resume(&partitions_to_tpl(&running)) {
                debug!(error = %e, "Could not resume partitions.");
            }
        }
    }

    async fn deliver(&mut self, batch: Vec<ConsumedRecord>) -> Result<(), TaskError> {
        let mut records = Vec::with_capacity(batch.len());
        let mut offsets = Vec::with_capacity(batch.len());
        for m in batch {
            let tp = TopicPartition::new(m.topic.clone(), m.partition);
            offsets.push((tp, m.offset + 1));
            self.status.add_topic(&self.id.connector, &m.topic);
            let m = Arc::new(m);
            if let Some(record) = self.convert_and_transform(&m).await? {
                if let Some(originals) = &self.originals {
                    originals.insert(&record, m);
                }
                records.push(record);
            }
        }
        self.put(records).await?;
        if self.retry.is_none() {
            for (tp, next) in offsets {
                self.current.insert(tp, next);
            }
        } else {
            // The offsets advance when the retried batch is finally put.
            self.pending_offsets = offsets;
        }
        Ok(())
    }

    /// Headers, key and value conversion, then the transformations, each stage through the
    /// error handler. `Ok(None)`: the record was dropped by a transformation or failed and
    /// was skipped under `errors.tolerance=all`.
    async fn convert_and_transform(
        &mut self,
        m: &Arc<ConsumedRecord>,
    ) -> Result<Option<SinkRecord>, TaskError> {
        let original = || OriginalRecord::Consumed(m.clone());
        let converters = &mut self.converters;
        let classes = converters.classes();
        let Some(headers) = self
            .errors
            .execute(
                Stage::HeaderConverter,
                || classes.header.clone(),
                original,
                || converters.headers_from_kafka(&m.topic, &m.headers),
            )
            .await?
        else {
            return Ok(None);
        };
        let Some(key) = self
            .errors
            .execute(
                Stage::KeyConverter,
                || classes.key.clone(),
                original,
                || converters.key_from_kafka(&m.topic, &headers, m.key.as_deref()),
            )
            .await?
        else {
            return Ok(None);
        };
        let Some(value) = self
            .errors
            .execute(
                Stage::ValueConverter,
                || classes.value.clone(),
                original,
                || converters.value_from_kafka(&m.topic, &headers, m.value.as_deref()),
            )
            .await?
        else {
            return Ok(None);
        };
        let record = ConnectRecord {
            topic: m.topic.clone(),
            kafka_partition: Some(m.partition),
            key_schema: key.schema,
            key: key.value,
            value_schema: value.schema,
            value: value.value,
            timestamp: m.timestamp,
            headers,
            origin: Origin::Sink {
                kafka_offset: m.offset,
                timestamp_type: m.timestamp_type,
            },
        };
        if self.transforms.is_empty() {
            return Ok(Some(record));
        }
        let failed_class = Mutex::new(String::new());
        let transforms = &mut self.transforms;
        let may_retry = self.errors.may_retry();
        let mut slot = Some(record);
        let out = self
            .errors
            .execute(
                Stage::Transformation,
                || std::mem::take(&mut *failed_class.lock().unwrap_or_else(|p| p.into_inner())),
                original,
                || {
                    let input = if may_retry { slot.clone() } else { slot.take() };
                    let input = input.ok_or_else(|| {
                        sluice_api::ConnectError::connect("record already transformed")
                    })?;
                    transforms.apply(input).map_err(|e| {
                        *failed_class.lock().unwrap_or_else(|p| p.into_inner()) = e.class;
                        e.error
                    })
                },
            )
            .await?;
        Ok(out.flatten())
    }

    async fn put(&mut self, records: Vec<SinkRecord>) -> Result<(), TaskError> {
        if records.is_empty() {
            return Ok(());
        }
        let copy = records.clone();
        match self.task.put(records).await {
            Ok(()) => {
                if !self.pending_offsets.is_empty() {
                    for (tp, next) in std::mem::take(&mut self.pending_offsets) {
                        self.current.insert(tp, next);
                    }
                }
                Ok(())
            }
            Err(e) if e.is_retriable() => {
                warn!(error = %e, "Retriable error from SinkTask.put; the batch will be delivered again.");
                self.retry = Some(copy);
                Ok(())
            }
            Err(e) => Err(TaskError::stage(
                Stage::TaskPut,
                format!("{} records", copy.len()),
                e,
            )),
        }
    }

    /// `pre_commit`, then commits exactly what it returned (for assigned partitions).
    async fn commit(&mut self, mode: CommitMode) -> Result<(), TaskError> {
        if self.current.is_empty() {
            return Ok(());
        }
        let safe = self
            .task
            .pre_commit(&self.current)
            .await
            .map_err(|error| TaskError::Task {
                call: "SinkTask.preCommit",
                error,
            })?;
        let to_commit: HashMap<TopicPartition, i64> = safe
            .into_iter()
            .filter(|(tp, off)| {
                self.assignment.contains(tp) && self.last_committed.get(tp) != Some(off)
            })
            .collect();
        if to_commit.is_empty() {
            return Ok(());
        }
        {
            let mut durable = self.durable.lock().unwrap_or_else(|p| p.into_inner());
            durable.extend(to_commit.iter().map(|(k, v)| (k.clone(), *v)));
        }
        let tpl = offsets_to_tpl(&to_commit);
        let result = match mode {
            CommitMode::Async => self.consumer.commit(&tpl, CommitMode::Async),
            CommitMode::Sync => {
                let consumer = self.consumer.clone();
                let commit =
                    tokio::task::spawn_blocking(move || consumer.commit(&tpl, CommitMode::Sync));
                match tokio::time::timeout(
                    self.commit_timeout.max(Duration::from_millis(1)),
                    commit,
                )
                .await
                {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) => {
                        warn!(error = %e, "Offset commit was interrupted.");
                        return Ok(());
                    }
                    Err(_) => {
                        warn!("Timed out committing sink offsets.");
                        return Ok(());
                    }
                }
            }
        };
        match result {
            Ok(()) => {
                debug!(partitions = to_commit.len(), "Committed sink offsets.");
                if let Some(originals) = &self.originals {
                    originals.committed(&to_commit);
                }
                self.last_committed.extend(to_commit);
            }
            Err(e) => warn!(error = %e, "Failed to commit sink offsets; will retry."),
        }
        Ok(())
    }

    /// Final commit and `close` of every assigned partition.
    async fn close_all(&mut self) -> Result<(), TaskError> {
        self.commit(CommitMode::Sync).await?;
        let parts = std::mem::take(&mut self.assignment);
        if !parts.is_empty() {
            self.task
                .close(&parts)
                .await
                .map_err(|error| TaskError::Task {
                    call: "SinkTask.close",
                    error,
                })?;
        }
        Ok(())
    }
}
