//! The bulk processor: batches actions per `batch.size`/`bulk.size.bytes`/`linger.ms`, keeps up
//! to `max.in.flight.requests` bulk requests in flight, retries, and applies each item's
//! outcome (acknowledged, ignored, reported to the dead letter queue, or fatal) to the offset
//! tracker.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use sluice_api::{ConnectError, ErrantRecordReporter};
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::Instrument;

use super::actions::{Actions, Entry};
use super::client::{EsClient, ItemResult};
use super::config::{EsSinkConfig, MalformedBehavior};
use super::offsets::OffsetTracker;
use super::retry::jittered_backoff;

/// Item error types that mean the document itself is bad.
pub const MALFORMED_DOC_ERRORS: &[&str] = &[
    "strict_dynamic_mapping_exception",
    "mapper_parsing_exception",
    "illegal_argument_exception",
    "action_request_validation_exception",
    "document_parsing_exception",
];

/// The message a task fails with when an item could not be indexed.
pub const INDEXING_FAILED: &str = "Indexing record failed. Please check DLQ topic for errors.";

/// State shared by the task, the dispatcher and the request tasks.
#[derive(Debug, Default)]
pub struct Shared {
    /// Committable offsets.
    pub tracker: Mutex<OffsetTracker>,
    /// Records handed to the processor and not yet finished.
    pub buffered: AtomicUsize,
    /// Signalled whenever `buffered` decreases or an error is set.
    pub changed: Notify,
    /// The first fatal error.
    pub error: Mutex<Option<ConnectError>>,
}

/// Locks a mutex even if a panicking thread poisoned it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Records the first fatal error.
    pub fn fail(&self, e: ConnectError) {
        let mut slot = lock(&self.error);
        if slot.is_none() {
            tracing::error!(error = %e, "Elasticsearch sink task failed.");
            *slot = Some(e);
        }
        drop(slot);
        self.changed.notify_waiters();
    }

    /// The fatal error, if any.
    pub fn error(&self) -> Option<ConnectError> {
        lock(&self.error).clone()
    }

    fn finished(&self, n: usize) {
        self.buffered.fetch_sub(n, Ordering::SeqCst);
        self.changed.notify_waiters();
    }
}

enum Command {
    /// The actions of one `put`, in order.
    Add(Actions),
    Flush,
}

/// Settings of the processor.
#[derive(Debug, Clone)]
struct Settings {
    batch_size: usize,
    bulk_bytes: Option<usize>,
    linger: Duration,
    max_retries: u32,
    backoff: Duration,
    malformed: MalformedBehavior,
    data_stream: bool,
}

impl Settings {
    /// What a new batch reserves: a batch's entries, at most 10,000 up front.
    fn batch_capacity(&self) -> usize {
        self.batch_size.min(10_000)
    }
}

/// Bulk request tasks in flight (each one sends a batch with its retries).
type InFlight = Arc<Mutex<Vec<JoinHandle<()>>>>;

/// The bulk processor of one task.
pub struct BulkProcessor {
    tx: Option<mpsc::UnboundedSender<Command>>,
    shared: Arc<Shared>,
    dispatcher: Option<JoinHandle<()>>,
    in_flight: InFlight,
}

impl std::fmt::Debug for BulkProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkProcessor")
            .field("buffered", &self.shared.buffered.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl BulkProcessor {
    /// Starts the dispatcher.
    pub fn start(
        cfg: &EsSinkConfig,
        client: EsClient,
        reporter: Option<Arc<dyn ErrantRecordReporter>>,
        shared: Arc<Shared>,
        span: tracing::Span,
    ) -> BulkProcessor {
        let settings = Settings {
            batch_size: cfg.batch_size,
            bulk_bytes: cfg.bulk_size_bytes,
            linger: cfg.linger,
            max_retries: cfg.max_retries,
            backoff: cfg.retry_backoff,
            malformed: cfg.behavior_on_malformed_documents,
            data_stream: cfg.is_data_stream(),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let semaphore = Arc::new(Semaphore::new(cfg.max_in_flight_requests));
        let in_flight = InFlight::default();
        let dispatcher = Dispatcher {
            batch: Actions::with_capacity(settings.batch_capacity(), 0),
            settings: Arc::new(settings),
            client,
            reporter,
            shared: shared.clone(),
            semaphore,
            in_flight: in_flight.clone(),
            span: span.clone(),
            bytes: 0,
            deadline: None,
        };
        let dispatcher = tokio::spawn(dispatch(dispatcher, rx).instrument(span));
        BulkProcessor {
            tx: Some(tx),
            shared,
            dispatcher: Some(dispatcher),
            in_flight,
        }
    }

    /// Hands actions over, in order (each counted as buffered until finished).
    pub fn add_all(&self, actions: Actions) -> Result<(), ConnectError> {
        let n = actions.len();
        if n == 0 {
            return Ok(());
        }
        self.shared.buffered.fetch_add(n, Ordering::SeqCst);
        let sent = self
            .tx
            .as_ref()
            .map(|tx| tx.send(Command::Add(actions)).is_ok())
            .unwrap_or(false);
        if sent {
            Ok(())
        } else {
            self.shared.finished(n);
            Err(ConnectError::connect(
                "The Elasticsearch bulk processor has stopped.",
            ))
        }
    }

    /// Sends the partial batch now.
    pub fn flush(&self) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Command::Flush);
        }
    }

    /// Flushes and waits until every buffered record is finished, or `timeout`.
    pub async fn flush_and_wait(&self, timeout: Duration) -> Result<(), ConnectError> {
        self.flush();
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            if let Some(e) = self.shared.error() {
                return Err(e);
            }
            if self.shared.buffered.load(Ordering::SeqCst) == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ConnectError::connect(format!(
                    "Timed out after {} ms waiting for {} buffered records to be written to Elasticsearch.",
                    timeout.as_millis(),
                    self.shared.buffered.load(Ordering::SeqCst)
                )));
            }
            let _ = tokio::time::timeout_at(
                deadline.min(Instant::now() + Duration::from_millis(50)),
                notified,
            )
            .await;
        }
    }

    /// Stops: sends what is pending and waits up to `timeout` for it to be written, then
    /// aborts the dispatcher and every bulk request still in flight or waiting to be retried
    /// (their offsets were never committable) and waits until they are gone. Once this
    /// returns, no request of this processor is sent any more: a request cut off while on the
    /// wire has its connection closed, so the server never receives it whole.
    pub async fn shutdown(&mut self, timeout: Duration) {
        if let Err(e) = self.flush_and_wait(timeout).await {
            tracing::warn!(error = %e, "Abandoning the bulk requests not written on stop.");
        }
        self.tx = None;
        if let Some(d) = self.dispatcher.take() {
            d.abort();
            // The dispatcher spawns no request once it is gone.
            let _ = d.await;
        }
        let handles = std::mem::take(&mut *lock(&self.in_flight));
        for h in &handles {
            h.abort();
        }
        for h in handles {
            let _ = h.await;
        }
    }
}

impl Drop for BulkProcessor {
    fn drop(&mut self) {
        if let Some(d) = self.dispatcher.take() {
            d.abort();
        }
        for h in lock(&self.in_flight).drain(..) {
            h.abort();
        }
    }
}

/// The dispatcher's state: the batch being filled and what sending one needs.
struct Dispatcher {
    settings: Arc<Settings>,
    client: EsClient,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
    shared: Arc<Shared>,
    semaphore: Arc<Semaphore>,
    in_flight: InFlight,
    span: tracing::Span,
    batch: Actions,
    /// The batch's size as `bulk.size.bytes` counts it.
    bytes: usize,
    deadline: Option<Instant>,
}

impl Dispatcher {
    /// Adds an entry whose lines are in `from`; sends the batch when it is full. False once
    /// the processor is closing.
    async fn push(&mut self, from: &[u8], entry: Entry) -> bool {
        self.bytes += entry.estimated_size;
        self.batch.push_entry(from, entry);
        if self.deadline.is_none() {
            self.deadline = Some(Instant::now() + self.settings.linger);
        }
        let full = self.batch.len() >= self.settings.batch_size
            || self
                .settings
                .bulk_bytes
                .is_some_and(|max| self.bytes >= max);
        !full || self.send().await
    }

    /// Sends the batch (if any) once a request slot is free. False once the processor is
    /// closing.
    async fn send(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let Ok(permit) = self.semaphore.clone().acquire_owned().await else {
            return false;
        };
        // The next batch reserves room for as many lines per action as this one has.
        let bytes_per_entry = self.batch.body_len().div_ceil(self.batch.len());
        let capacity = self.settings.batch_capacity();
        let actions = std::mem::replace(
            &mut self.batch,
            Actions::with_capacity(capacity, capacity * bytes_per_entry),
        );
        self.bytes = 0;
        self.deadline = None;
        let (client, reporter, shared, settings) = (
            self.client.clone(),
            self.reporter.clone(),
            self.shared.clone(),
            self.settings.clone(),
        );
        let request = tokio::spawn(
            async move {
                execute(actions, &settings, &client, reporter.as_deref(), &shared).await;
                drop(permit);
            }
            .instrument(self.span.clone()),
        );
        let mut tasks = lock(&self.in_flight);
        tasks.retain(|h| !h.is_finished());
        tasks.push(request);
        true
    }
}

/// Fills batches from the processor's commands and sends them until the processor closes.
async fn dispatch(mut d: Dispatcher, mut rx: mpsc::UnboundedReceiver<Command>) {
    loop {
        let deadline = d.deadline;
        let open = tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Command::Add(actions)) => {
                    let mut open = true;
                    let (body, entries) = actions.into_parts();
                    for entry in entries {
                        if !d.push(&body, entry).await {
                            open = false;
                            break;
                        }
                    }
                    open
                }
                Some(Command::Flush) => d.send().await,
                None => false,
            },
            () = sleep_until(deadline) => d.send().await,
        };
        if !open {
            break;
        }
    }
    // Requests still in flight stay in `in_flight`, for `shutdown` to abort.
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Sends one batch with retries (whole-request failures inside the client; items rejected
/// with 429 are sent again here) and applies every item's outcome.
async fn execute(
    mut actions: Actions,
    settings: &Settings,
    client: &EsClient,
    reporter: Option<&dyn ErrantRecordReporter>,
    shared: &Shared,
) {
    let total = actions.len();
    let mut item_round = 0u32;
    while !actions.is_empty() {
        let (body, entries) = actions.into_parts();
        let body = Bytes::from(body);
        let results = match client.bulk(body.clone(), entries.len()).await {
            Ok(r) => r,
            Err(exhausted) => {
                shared.fail(ConnectError::connect(format!(
                    "Failed to execute bulk request due to '{}' after {} attempt(s)",
                    exhausted.error, exhausted.attempts
                )));
                break;
            }
        };
        let mut rejected = Actions::default();
        let mut failed = Vec::new();
        {
            // Acknowledged items are marked done under one lock for the whole response.
            let mut tracker = lock(&shared.tracker);
            for (entry, item) in entries.into_iter().zip(results) {
                let is_rejection = item.status == 429
                    || item
                        .error
                        .as_ref()
                        .is_some_and(|(t, _)| t == "es_rejected_execution_exception");
                if is_rejection && item_round < settings.max_retries {
                    rejected.push_entry(&body, entry);
                } else if item.error.is_none() {
                    if let Some((o, epoch)) = entry.origin.offset {
                        tracker.mark_done(&entry.origin.tp, o, epoch);
                    }
                } else {
                    failed.push((entry, item));
                }
            }
        }
        for (entry, item) in failed {
            handle_item(&entry, &body, &item, settings, reporter, shared).await;
        }
        actions = rejected;
        if !actions.is_empty() {
            item_round += 1;
            let wait = jittered_backoff(settings.backoff, item_round);
            tracing::warn!(
                rejected = actions.len(),
                attempt = item_round,
                backoff_ms = wait.as_millis() as u64,
                "Elasticsearch rejected bulk items (429); sending them again."
            );
            tokio::time::sleep(wait).await;
        }
    }
    shared.finished(total);
}

/// Applies one item's outcome (Confluent's `handleResponse`).
async fn handle_item(
    entry: &Entry,
    body: &[u8],
    item: &ItemResult,
    settings: &Settings,
    reporter: Option<&dyn ErrantRecordReporter>,
    shared: &Shared,
) {
    let done = || {
        if let Some((o, epoch)) = entry.origin.offset {
            lock(&shared.tracker).mark_done(&entry.origin.tp, o, epoch);
        }
    };
    let Some((ty, reason)) = &item.error else {
        done();
        return;
    };
    if MALFORMED_DOC_ERRORS.contains(&ty.as_str()) {
        report(entry, ty, reason, settings, reporter, shared).await;
        match settings.malformed {
            MalformedBehavior::Ignore => {
                tracing::debug!(record = %entry.describe(), error_type = %ty, reason = %reason,
                    "Encountered an illegal document error. Ignoring and will not index record. Please check DLQ topic for errors.");
                done();
            }
            MalformedBehavior::Warn => {
                tracing::warn!(record = %entry.describe(), error_type = %ty, reason = %reason,
                    "Encountered an illegal document error. Ignoring and will not index record. Please check DLQ topic for errors.");
                done();
            }
            MalformedBehavior::Fail => {
                tracing::error!(record = %entry.describe(), error_type = %ty, reason = %reason,
                    "Encountered an illegal document error. Please check DLQ topic for errors. To ignore future records like this, change the configuration 'behavior.on.malformed.documents' to 'IGNORE'.");
                shared.fail(ConnectError::connect(INDEXING_FAILED));
            }
        }
        return;
    }
    if ty == "version_conflict_engine_exception" {
        let (index, id) = entry.index_and_id(body);
        if entry.versioned {
            tracing::debug!(record = %entry.describe(), id = ?id,
                "Ignoring EXTERNAL version conflict (a repeated or older offset).");
        } else {
            tracing::warn!(record = %entry.describe(), id = ?id, index = index.as_deref().unwrap_or(""),
                "Version conflict for operation {} on document.", entry.op.name());
            report(entry, ty, reason, settings, reporter, shared).await;
        }
        done();
        return;
    }
    report(entry, ty, reason, settings, reporter, shared).await;
    tracing::error!(record = %entry.describe(), error_type = %ty, reason = %reason, status = item.status,
        "Elasticsearch failed to index the record.");
    shared.fail(ConnectError::connect(INDEXING_FAILED));
}

async fn report(
    entry: &Entry,
    ty: &str,
    reason: &str,
    settings: &Settings,
    reporter: Option<&dyn ErrantRecordReporter>,
    shared: &Shared,
) {
    if ty == "version_conflict_engine_exception" && settings.data_stream {
        return;
    }
    let (Some(reporter), Some(record)) = (reporter, entry.origin.record.as_ref()) else {
        return;
    };
    let error = ConnectError::connect(format!("Indexing failed: {ty}: {reason}"));
    if let Err(e) = reporter.report(record, error).await {
        shared.fail(e);
    }
}
