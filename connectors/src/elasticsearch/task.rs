//! `ElasticsearchSinkTask`: turns records into bulk actions, creates indices and mappings on
//! first use, applies back-pressure, and returns from `pre_commit` only offsets Elasticsearch
//! acknowledged.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sluice_api::{
    ConnectError, ConnectResult, ErrantRecordReporter, SinkRecord, SinkTask, SinkTaskContext,
    TopicPartition,
};
use tokio::time::Instant;

use super::actions::{Actions, Origin};
use super::bulk::{convert, record_string, Converted};
use super::client::EsClient;
use super::config::EsSinkConfig;
use super::mapping::{build_mapping, is_empty_mapping};
use super::processor::{lock, BulkProcessor, Shared};
use super::resource::resource_for;

/// The message `put` fails with when the buffer stays full for `flush.timeout.ms`.
pub const BUFFER_FULL: &str = "Could not make space in the internal buffer fast enough. \
                               Consider increasing flush.timeout.ms or max.buffered.records.";

/// A running task's state.
struct Running {
    cfg: EsSinkConfig,
    client: EsClient,
    context: Arc<dyn SinkTaskContext>,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
    shared: Arc<Shared>,
    processor: BulkProcessor,
    /// Resources known to exist.
    resources: BTreeSet<String>,
    /// Resources whose mapping was checked.
    mapped: BTreeSet<String>,
    /// The last topic put and its resource.
    last_resource: Option<(String, Arc<str>)>,
    /// The partition of the last record put.
    last_partition: Option<Arc<TopicPartition>>,
    /// The partition last found in the assignment during the current `put`.
    last_assigned: Option<Arc<TopicPartition>>,
    /// Actions of the current `put` not yet handed to the processor (handed over together at
    /// its end, or before waiting for buffer space).
    pending: Actions,
    paused: bool,
    span: tracing::Span,
}

/// The Elasticsearch sink task.
#[derive(Default)]
pub struct ElasticsearchSinkTask {
    running: Option<Running>,
}

impl std::fmt::Debug for ElasticsearchSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElasticsearchSinkTask")
            .field("running", &self.running.is_some())
            .finish()
    }
}

fn config_error(e: impl std::fmt::Display) -> ConnectError {
    ConnectError::connect(format!(
        "Couldn't start ElasticsearchSinkTask due to configuration error: {e}"
    ))
}

impl ElasticsearchSinkTask {
    /// A new, unstarted task.
    pub fn new() -> Self {
        Self::default()
    }

    fn running(&mut self) -> ConnectResult<&mut Running> {
        self.running
            .as_mut()
            .ok_or_else(|| ConnectError::connect("The Elasticsearch sink task was not started."))
    }
}

impl Running {
    fn check_error(&self) -> ConnectResult<()> {
        match self.shared.error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Waits until fewer than `max.buffered.records` records are buffered (Java polls every
    /// 10 ms for at most `flush.timeout.ms`).
    async fn wait_for_space(&mut self) -> ConnectResult<()> {
        let max = self.cfg.max_buffered_records;
        if self.shared.buffered.load(Ordering::SeqCst) + self.pending.len() < max {
            return Ok(());
        }
        self.hand_over()?;
        self.processor.flush();
        let deadline = Instant::now() + self.cfg.flush_timeout;
        loop {
            let notified = self.shared.changed.notified();
            self.check_error()?;
            if self.shared.buffered.load(Ordering::SeqCst) < max {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ConnectError::connect(BUFFER_FULL));
            }
            let _ = tokio::time::timeout(Duration::from_millis(10), notified).await;
        }
    }

    /// Hands the entries converted so far to the bulk processor.
    fn hand_over(&mut self) -> ConnectResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        // The next put is most likely as large as this one.
        let capacity = Actions::with_capacity(self.pending.len(), self.pending.body_len());
        let actions = std::mem::replace(&mut self.pending, capacity);
        self.processor.add_all(actions)
    }

    /// Creates the resource on first use (not in external resource mode).
    async fn ensure_resource(&mut self, resource: &str) -> ConnectResult<()> {
        if self.resources.contains(resource) || !self.cfg.topic_to_resource.is_empty() {
            return Ok(());
        }
        let exists = self.client.index_exists(resource).await.map_err(|e| {
            ConnectError::connect(format!(
                "Failed to check if index '{resource}' exists due to '{}' after {} attempt(s)",
                e.error, e.attempts
            ))
        })?;
        if !exists {
            let created = self
                .client
                .create_resource(resource, self.cfg.is_data_stream())
                .await
                .map_err(|e| {
                    ConnectError::connect(format!(
                        "Failed to create index '{resource}' due to '{}' after {} attempt(s)",
                        e.error, e.attempts
                    ))
                })?;
            if created {
                tracing::info!(index = resource, "Created Elasticsearch resource.");
            }
        }
        self.resources.insert(resource.to_string());
        Ok(())
    }

    /// Puts a mapping from the value schema when the index has none yet.
    async fn ensure_mapping(&mut self, resource: &str, record: &SinkRecord) -> ConnectResult<()> {
        if self.mapped.contains(resource) {
            return Ok(());
        }
        let current = self.client.get_mapping(resource).await.map_err(|e| {
            ConnectError::connect(format!(
                "Failed to get mapping for index '{resource}' due to '{}' after {} attempt(s)",
                e.error, e.attempts
            ))
        })?;
        if is_empty_mapping(&current, resource) {
            let mapping = build_mapping(record.value_schema.as_deref())?;
            self.client.put_mapping(resource, &mapping).await.map_err(|e| {
                ConnectError::connect(format!(
                    "Failed to create mapping for index '{resource}' due to '{}' after {} attempt(s)",
                    e.error, e.attempts
                ))
            })?;
            tracing::info!(index = resource, "Created mapping from the record schema.");
        }
        self.mapped.insert(resource.to_string());
        Ok(())
    }

    async fn report(&self, record: &SinkRecord, error: ConnectError) -> ConnectResult<()> {
        match &self.reporter {
            Some(r) => r.report(record, error).await,
            None => Ok(()),
        }
    }

    /// Tracks an offset that needs no request (skipped on purpose).
    fn done_now(&self, tp: &TopicPartition, offset: Option<i64>) {
        if let Some(o) = offset {
            let mut t = lock(&self.shared.tracker);
            if let Some(epoch) = t.add(tp, o) {
                t.mark_done(tp, o, epoch);
            }
        }
    }

    /// The resource of `topic` ([`resource_for`]), remembered for the last topic seen.
    fn resource_of(&mut self, topic: &str) -> Option<Arc<str>> {
        if let Some((t, r)) = &self.last_resource {
            if t == topic {
                return Some(r.clone());
            }
        }
        let resource: Arc<str> = resource_for(&self.cfg, topic)?.into();
        self.last_resource = Some((topic.to_string(), resource.clone()));
        Some(resource)
    }

    /// The record's partition, shared with the entries of the last partition seen.
    fn partition_of(&mut self, record: &SinkRecord) -> Arc<TopicPartition> {
        let partition = record.kafka_partition.unwrap_or(0);
        if let Some(tp) = &self.last_partition {
            if tp.partition == partition && tp.topic == record.topic_name() {
                return tp.clone();
            }
        }
        let tp = Arc::new(TopicPartition::new(
            record.topic_name().to_string(),
            partition,
        ));
        self.last_partition = Some(tp.clone());
        tp
    }

    /// Whether `tp` is in `assignment` (or the assignment is empty), looked up once per run of
    /// records of one partition.
    fn is_assigned(&mut self, tp: &Arc<TopicPartition>, assignment: &[TopicPartition]) -> bool {
        if assignment.is_empty()
            || self
                .last_assigned
                .as_ref()
                .is_some_and(|t| Arc::ptr_eq(t, tp))
        {
            return true;
        }
        let assigned = assignment.contains(tp);
        if assigned {
            self.last_assigned = Some(tp.clone());
        }
        assigned
    }

    /// Puts one record; `assignment` is the task's assignment during this `put`.
    async fn put_one(
        &mut self,
        record: &SinkRecord,
        assignment: &[TopicPartition],
    ) -> ConnectResult<()> {
        let tp = self.partition_of(record);
        let offset = record.kafka_offset();
        if !self.cfg.flush_synchronously && !self.is_assigned(&tp, assignment) {
            return Err(ConnectError::connect(format!(
                "Found a topic name '{}' that doesn't match assigned partitions. Connector \
                 doesn't support topic mutating SMTs",
                record.topic_name()
            )));
        }
        if record.value.is_null()
            && self.cfg.behavior_on_null_values == super::config::NullValueBehavior::Ignore
        {
            // As Confluent's task: a trace line, the offset counts as processed, and the record
            // goes to the errant record reporter (when there is one) as a ConnectException.
            tracing::trace!("Ignoring {} with null value.", record_string(record));
            self.done_now(&tp, offset);
            self.report(
                record,
                ConnectError::connect("Cannot write null valued record."),
            )
            .await?;
            return Ok(());
        }
        self.wait_for_space().await?;
        let resource = self.resource_of(record.topic_name()).ok_or_else(|| {
            ConnectError::connect(format!(
                "Topic '{}' is not mapped to any resource. All configured topics must be mapped \
                 to a resource.",
                record.topic_name()
            ))
        })?;
        self.ensure_resource(&resource).await?;
        if !self.cfg.ignore_schema(record.topic_name()) && self.cfg.topic_to_resource.is_empty() {
            self.ensure_mapping(&resource, record).await?;
        }
        match convert(&self.cfg, record, resource) {
            Ok(Converted::Action(action)) => {
                let tracked = offset.and_then(|o| {
                    lock(&self.shared.tracker)
                        .add(&tp, o)
                        .map(|epoch| (o, epoch))
                });
                self.pending.push(
                    &action,
                    Origin {
                        tp,
                        offset: tracked,
                        kafka_offset: offset,
                        record: self.reporter.as_ref().map(|_| Box::new(record.clone())),
                    },
                );
                Ok(())
            }
            Ok(Converted::IgnoredNull) | Ok(Converted::NothingToDelete) => {
                self.done_now(&tp, offset);
                Ok(())
            }
            Err(e @ ConnectError::Data(_)) => {
                self.report(record, e.clone()).await?;
                if self.cfg.drop_invalid_message {
                    tracing::error!(record = %record_string(record), error = %e,
                        "Can't convert record; dropping it (drop.invalid.message=true).");
                    self.done_now(&tp, offset);
                    Ok(())
                } else {
                    tracing::error!(record = %record_string(record), error = %e,
                        "Can't convert record. To drop such records, set drop.invalid.message=true.");
                    Err(e)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Pauses every assigned partition while far too many records are tracked but not yet
    /// committable, and resumes them once half of that drained.
    fn apply_back_pressure(&mut self) {
        let pending = lock(&self.shared.tracker).pending();
        let max = self.cfg.max_buffered_records;
        if !self.paused && pending > max.saturating_mul(10) {
            let assignment = self.context.assignment();
            tracing::info!(
                pending,
                "Pausing all partitions: too many records awaiting acknowledgement."
            );
            self.context.pause(&assignment);
            self.paused = true;
        } else if self.paused && pending <= max.saturating_mul(5) {
            let assignment = self.context.assignment();
            tracing::info!(pending, "Resuming all partitions.");
            self.context.resume(&assignment);
            self.paused = false;
        }
    }
}

#[async_trait]
impl SinkTask for ElasticsearchSinkTask {
    async fn start(&mut self, context: Arc<dyn SinkTaskContext>) -> ConnectResult<()> {
        let props = context.config().clone();
        let cfg = EsSinkConfig::parse(&props).map_err(config_error)?;
        let span = tracing::info_span!(
            "elasticsearch_sink",
            connector = %props.get("name").map_or("", String::as_str),
            task = %props.get("taskId").map_or("0", String::as_str),
        );
        let client = EsClient::new(&cfg).map_err(config_error)?;
        let version = client.detect_version().await;
        span.in_scope(|| {
            tracing::info!(
                version = version.as_deref().unwrap_or("Unknown"),
                urls = ?cfg.connection_urls,
                "Started the Elasticsearch sink task."
            )
        });
        let reporter = context.errant_record_reporter();
        let shared = Arc::new(Shared::default());
        let processor = BulkProcessor::start(
            &cfg,
            client.clone(),
            reporter.clone(),
            shared.clone(),
            span.clone(),
        );
        self.running = Some(Running {
            cfg,
            client,
            context,
            reporter,
            shared,
            processor,
            resources: BTreeSet::new(),
            mapped: BTreeSet::new(),
            last_resource: None,
            last_assigned: None,
            last_partition: None,
            pending: Actions::default(),
            paused: false,
            span,
        });
        Ok(())
    }

    /// Writes records; an empty batch (the runtime sends one on every idle poll) only reports
    /// a failure of earlier bulk requests and resumes partitions paused by back-pressure.
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        let running = self.running()?;
        running.check_error()?;
        if records.is_empty() {
            running.apply_back_pressure();
            return Ok(());
        }
        let span = running.span.clone();
        // The assignment changes only between calls.
        let assignment = running.context.assignment();
        running.last_assigned = None;
        for record in records {
            let result = running.put_one(record, &assignment).await;
            if let Err(e) = result {
                // What was converted before the failure is written, as when added one by one.
                let _ = running.hand_over();
                span.in_scope(|| tracing::error!(error = %e, "Failed to put records."));
                return Err(e);
            }
        }
        running.hand_over()?;
        running.apply_back_pressure();
        running.check_error()
    }

    async fn flush(&mut self, _offsets: &HashMap<TopicPartition, i64>) -> ConnectResult<()> {
        let running = self.running()?;
        running.check_error()?;
        running
            .processor
            .flush_and_wait(running.cfg.flush_timeout)
            .await
    }

    async fn pre_commit(
        &mut self,
        offsets: &HashMap<TopicPartition, i64>,
    ) -> ConnectResult<HashMap<TopicPartition, i64>> {
        let running = self.running()?;
        // A failed bulk request or item fails the task here too, not only in the next `put`.
        running.check_error()?;
        if running.cfg.flush_synchronously {
            return match running
                .processor
                .flush_and_wait(running.cfg.flush_timeout)
                .await
            {
                Ok(()) => Ok(offsets.clone()),
                Err(e) => {
                    running.check_error()?;
                    tracing::warn!(error = %e, "Flush timed out; committing nothing.");
                    Ok(HashMap::new())
                }
            };
        }
        running.processor.flush();
        running.apply_back_pressure();
        let committable = lock(&running.shared.tracker).committable();
        // Never report more than the worker has delivered.
        Ok(committable
            .into_iter()
            .map(|(tp, o)| {
                let capped = offsets.get(&tp).map_or(o, |&delivered| o.min(delivered));
                (tp, capped)
            })
            .collect())
    }

    /// Forgets the revoked partitions' offsets; answers to their bulk requests still in flight
    /// are ignored by the offset tracker (see [`super::offsets`]).
    async fn close(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        if let Some(r) = self.running.as_mut() {
            lock(&r.shared.tracker).close(partitions);
        }
        Ok(())
    }

    /// Writes what is buffered for up to `flush.timeout.ms` (at most 30 s), then aborts every
    /// bulk request left: once this returns, no request of this task reaches Elasticsearch.
    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(mut r) = self.running.take() {
            r.processor
                .shutdown(r.cfg.flush_timeout.min(Duration::from_secs(30)))
                .await;
            r.span
                .in_scope(|| tracing::info!("Stopped the Elasticsearch sink task."));
        }
        Ok(())
    }
}
