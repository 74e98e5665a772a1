//! The metrics of one task: Java's `connector-task-metrics`, `source-task-metrics` /
//! `sink-task-metrics` and `task-error-metrics` groups.
//!
//! A [`TaskMetrics`] is created once when the task starts and handed to its loop; every
//! update is an atomic add (per record at most; most are per batch), never a map lookup or
//! a lock. The error counters are the error handler's own
//! ([`crate::runtime::errors::ErrorMetrics`]), shared, so the values are those the real
//! error handling counts.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::window::{Window, WindowConfig, WindowView};
use crate::model::ConnectorTaskId;
use crate::runtime::errors::ErrorMetrics;

/// Source or sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// A source task (`source-task-metrics`).
    Source,
    /// A sink task (`sink-task-metrics`).
    Sink,
}

/// Indexes of the monotonic totals of a task.
pub mod totals {
    /// Batches handed on (`batch-size-*`: source batches polled, sink batches put).
    pub const BATCHES: usize = 0;
    /// Records in those batches.
    pub const BATCH_RECORDS: usize = 1;
    /// Offset commits that succeeded.
    pub const COMMIT_SUCCESS: usize = 2;
    /// Offset commits that failed.
    pub const COMMIT_FAILURE: usize = 3;
    /// Microseconds spent in successful offset commits.
    pub const COMMIT_TIME_US: usize = 4;
    /// `source-record-poll-total`.
    pub const POLLED: usize = 5;
    /// `poll` calls that returned records.
    pub const POLL_BATCHES: usize = 6;
    /// Microseconds spent in those `poll` calls.
    pub const POLL_TIME_US: usize = 7;
    /// `source-record-write-total`.
    pub const WRITTEN: usize = 8;
    /// `sink-record-read-total`.
    pub const READ: usize = 9;
    /// `sink-record-send-total`.
    pub const SENT: usize = 10;
    /// `put` calls.
    pub const PUT_BATCHES: usize = 11;
    /// Microseconds spent in `put`.
    pub const PUT_TIME_US: usize = 12;
    /// `offset-commit-completion-total`.
    pub const COMMIT_COMPLETIONS: usize = 13;
    /// `offset-commit-skip-total`.
    pub const COMMIT_SKIPS: usize = 14;
    /// How many totals there are.
    pub const COUNT: usize = 15;
}

/// Indexes of the per-window maxima of a task.
pub mod maxima {
    /// `batch-size-max`.
    pub const BATCH_SIZE: usize = 0;
    /// `offset-commit-max-time-ms` (µs).
    pub const COMMIT_TIME_US: usize = 1;
    /// `poll-batch-max-time-ms` (µs).
    pub const POLL_TIME_US: usize = 2;
    /// `put-batch-max-time-ms` (µs).
    pub const PUT_TIME_US: usize = 3;
    /// How many maxima there are.
    pub const COUNT: usize = 4;
}

/// The task states the ratios are kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RunState {
    /// Processing records.
    Running = 0,
    /// Paused.
    Paused = 1,
    /// Starting, stopping or failed.
    Other = 2,
}

/// Java's `StateTracker`: time spent in each state since the task was created.
#[derive(Debug)]
struct StateTracker {
    created: Instant,
    since: Instant,
    current: RunState,
    spent: [Duration; 3],
}

impl StateTracker {
    fn change(&mut self, to: RunState, now: Instant) {
        self.spent[self.current as usize] += now.saturating_duration_since(self.since);
        self.current = to;
        self.since = now;
    }

    fn ratio(&self, state: RunState, now: Instant) -> f64 {
        let total = now.saturating_duration_since(self.created).as_secs_f64();
        if total <= 0.0 {
            return 0.0;
        }
        let mut spent = self.spent[state as usize];
        if self.current == state {
            spent += now.saturating_duration_since(self.since);
        }
        spent.as_secs_f64() / total
    }
}

/// The metrics of one running task.
#[derive(Debug)]
pub struct TaskMetrics {
    id: ConnectorTaskId,
    kind: TaskKind,
    totals: [AtomicU64; totals::COUNT],
    maxima: [AtomicU64; maxima::COUNT],
    active: AtomicU64,
    partitions: AtomicU64,
    state: AtomicU8,
    tracker: Mutex<StateTracker>,
    window: Mutex<Window>,
    errors: Arc<ErrorMetrics>,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl TaskMetrics {
    /// Metrics of task `id`, counting errors in `errors`.
    pub fn new(
        id: ConnectorTaskId,
        kind: TaskKind,
        window: WindowConfig,
        errors: Arc<ErrorMetrics>,
        now: Instant,
    ) -> Self {
        TaskMetrics {
            id,
            kind,
            totals: Default::default(),
            maxima: Default::default(),
            active: AtomicU64::new(0),
            partitions: AtomicU64::new(0),
            state: AtomicU8::new(RunState::Other as u8),
            tracker: Mutex::new(StateTracker {
                created: now,
                since: now,
                current: RunState::Other,
                spent: [Duration::ZERO; 3],
            }),
            window: Mutex::new(Window::new(window, now, vec![0; totals::COUNT])),
            errors,
        }
    }

    /// The task id.
    pub fn id(&self) -> &ConnectorTaskId {
        &self.id
    }

    /// Source or sink.
    pub fn kind(&self) -> TaskKind {
        self.kind
    }

    /// The error handler's counters.
    pub fn errors(&self) -> &ErrorMetrics {
        &self.errors
    }

    fn add(&self, i: usize, n: u64) {
        self.totals[i].fetch_add(n, Ordering::Relaxed);
    }

    fn raise(&self, i: usize, v: u64) {
        self.maxima[i].fetch_max(v, Ordering::Relaxed);
    }

    /// A batch of `size` records handed on (`batch-size-avg`/`-max`).
    pub fn record_batch(&self, size: usize) {
        let size = size as u64;
        self.add(totals::BATCHES, 1);
        self.add(totals::BATCH_RECORDS, size);
        self.raise(maxima::BATCH_SIZE, size);
    }

    /// An offset commit that took `took` (Java times successful commits only).
    pub fn record_commit(&self, succeeded: bool, took: Duration) {
        if succeeded {
            self.add(totals::COMMIT_SUCCESS, 1);
            self.add(totals::COMMIT_TIME_US, micros(took));
            self.raise(maxima::COMMIT_TIME_US, micros(took));
        } else {
            self.add(totals::COMMIT_FAILURE, 1);
        }
    }

    /// A source `poll` that returned `records` after `took`.
    pub fn record_poll(&self, records: usize, took: Duration) {
        self.add(totals::POLLED, records as u64);
        self.add(totals::POLL_BATCHES, 1);
        self.add(totals::POLL_TIME_US, micros(took));
        self.raise(maxima::POLL_TIME_US, micros(took));
    }

    /// `n` source records written (acknowledged by Kafka).
    pub fn record_write(&self, n: u64) {
        self.add(totals::WRITTEN, n);
    }

    /// `n` sink records read from Kafka.
    pub fn record_read(&self, n: usize) {
        self.add(totals::READ, n as u64);
    }

    /// A `put` of `n` records (after transformations) that took `took`.
    pub fn record_put(&self, n: usize, took: Duration) {
        self.add(totals::SENT, n as u64);
        self.add(totals::PUT_BATCHES, 1);
        self.add(totals::PUT_TIME_US, micros(took));
        self.raise(maxima::PUT_TIME_US, micros(took));
    }

    /// A sink offset commit completed (`offset-commit-completion`).
    pub fn record_commit_completion(&self) {
        self.add(totals::COMMIT_COMPLETIONS, 1);
    }

    /// A sink offset commit was skipped (`offset-commit-skip`).
    pub fn record_commit_skip(&self) {
        self.add(totals::COMMIT_SKIPS, 1);
    }

    /// Records polled or read and not yet written or committed (`*-record-active-count`).
    pub fn set_active(&self, n: usize) {
        self.active.store(n as u64, Ordering::Relaxed);
    }

    /// Partitions assigned to a sink task (`partition-count`).
    pub fn set_partitions(&self, n: usize) {
        self.partitions.store(n as u64, Ordering::Relaxed);
    }

    /// The task is now in `state` (cheap when it already was).
    pub fn set_state(&self, state: RunState) {
        if self.state.swap(state as u8, Ordering::Relaxed) != state as u8 {
            self.tracker
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .change(state, Instant::now());
        }
    }

    /// `running-ratio` or `pause-ratio` at `now`.
    pub fn ratio(&self, state: RunState, now: Instant) -> f64 {
        self.tracker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .ratio(state, now)
    }

    /// `source-record-active-count` / `sink-record-active-count`.
    pub fn active(&self) -> u64 {
        self.active.load(Ordering::Relaxed)
    }

    /// `partition-count`.
    pub fn partitions(&self) -> u64 {
        self.partitions.load(Ordering::Relaxed)
    }

    /// The totals now.
    pub fn totals(&self) -> Vec<u64> {
        self.totals
            .iter()
            .map(|t| t.load(Ordering::Relaxed))
            .collect()
    }

    /// Starts a new sample window when the current one is over.
    pub fn sample(&self, now: Instant) {
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if window.due(now) {
            let ended = self
                .maxima
                .iter()
                .map(|m| m.swap(0, Ordering::Relaxed))
                .collect();
            window.rotate(now, self.totals(), ended);
        }
    }

    /// The windowed values at `now`.
    pub fn view(&self, now: Instant) -> WindowView {
        let current: Vec<u64> = self
            .maxima
            .iter()
            .map(|m| m.load(Ordering::Relaxed))
            .collect();
        self.window
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .view(now, &self.totals(), &current)
    }
}

/// Renders the task groups of `task` (status from the status table, `None` when unknown).
pub(crate) fn render(
    task: &TaskMetrics,
    naming: super::names::Naming,
    status: Option<&str>,
    now: Instant,
    out: &mut super::render::Families,
) {
    use super::names::Group;
    let labels = || {
        vec![
            ("connector", task.id.connector.clone()),
            ("task", task.id.task.to_string()),
        ]
    };
    let mut put = |group: Group, attr: &str, help: &str, value: f64| {
        out.push(naming.connect(group, attr), help, labels(), value);
    };
    let v = task.view(now);
    let ct = Group::ConnectorTask;
    put(
        ct,
        "running-ratio",
        "The fraction of time this task has spent in the running state.",
        task.ratio(RunState::Running, now),
    );
    put(
        ct,
        "pause-ratio",
        "The fraction of time this task has spent in the pause state.",
        task.ratio(RunState::Paused, now),
    );
    put(
        ct,
        "batch-size-avg",
        "The average number of records in the batches the task has processed so far.",
        v.avg(totals::BATCH_RECORDS, totals::BATCHES, 1.0),
    );
    put(
        ct,
        "batch-size-max",
        "The number of records in the largest batch the task has processed so far.",
        v.max(maxima::BATCH_SIZE, totals::BATCHES, 1.0),
    );
    put(
        ct,
        "offset-commit-avg-time-ms",
        "The average time in milliseconds taken by this task to commit offsets.",
        v.avg(totals::COMMIT_TIME_US, totals::COMMIT_SUCCESS, 1e-3),
    );
    put(
        ct,
        "offset-commit-max-time-ms",
        "The maximum time in milliseconds taken by this task to commit offsets.",
        v.max(maxima::COMMIT_TIME_US, totals::COMMIT_SUCCESS, 1e-3),
    );
    put(
        ct,
        "offset-commit-success-percentage",
        "The average percentage of this task's offset commit attempts that succeeded.",
        v.fraction(totals::COMMIT_SUCCESS, totals::COMMIT_FAILURE),
    );
    put(
        ct,
        "offset-commit-failure-percentage",
        "The average percentage of this task's offset commit attempts that failed.",
        v.fraction(totals::COMMIT_FAILURE, totals::COMMIT_SUCCESS),
    );
    match task.kind {
        TaskKind::Source => {
            let g = Group::SourceTask;
            put(g, "source-record-poll-rate", "The average per-second number of records produced/polled (before transformation) by this task belonging to the named source connector in this worker.", v.rate(totals::POLLED));
            put(g, "source-record-poll-total", "The total number of records produced/polled (before transformation) by this task belonging to the named source connector in this worker.", v_total(task, totals::POLLED));
            put(g, "source-record-write-rate", "The average per-second number of records written to Kafka for this task belonging to the named source connector in this worker, since the task was last restarted. This is after transformations are applied, and excludes any records filtered out by the transformations.", v.rate(totals::WRITTEN));
            put(g, "source-record-write-total", "The number of records output written to Kafka for this task belonging to the named source connector in this worker, since the task was last restarted. This is after transformations are applied, and excludes any records filtered out by the transformations.", v_total(task, totals::WRITTEN));
            put(g, "poll-batch-avg-time-ms", "The average time in milliseconds taken by this task to poll for a batch of source records.", v.avg(totals::POLL_TIME_US, totals::POLL_BATCHES, 1e-3));
            put(g, "poll-batch-max-time-ms", "The maximum time in milliseconds taken by this task to poll for a batch of source records.", v.max(maxima::POLL_TIME_US, totals::POLL_BATCHES, 1e-3));
            put(g, "source-record-active-count", "The number of records that have been produced by this task but not yet completely written to Kafka.", task.active() as f64);
        }
        TaskKind::Sink => {
            let g = Group::SinkTask;
            put(g, "sink-record-read-rate", "The average per-second number of records read from Kafka for this task belonging to the named sink connector in this worker. This is before transformations are applied.", v.rate(totals::READ));
            put(g, "sink-record-read-total", "The total number of records read from Kafka by this task belonging to the named sink connector in this worker, since the task was last restarted.", v_total(task, totals::READ));
            put(g, "sink-record-send-rate", "The average per-second number of records output from the transformations and sent/put to this task belonging to the named sink connector in this worker. This is after transformations are applied and excludes any records filtered out by the transformations.", v.rate(totals::SENT));
            put(g, "sink-record-send-total", "The total number of records output from the transformations and sent/put to this task belonging to the named sink connector in this worker, since the task was last restarted.", v_total(task, totals::SENT));
            put(
                g,
                "put-batch-avg-time-ms",
                "The average time taken by this task to put a batch of sinks records.",
                v.avg(totals::PUT_TIME_US, totals::PUT_BATCHES, 1e-3),
            );
            put(
                g,
                "put-batch-max-time-ms",
                "The maximum time taken by this task to put a batch of sinks records.",
                v.max(maxima::PUT_TIME_US, totals::PUT_BATCHES, 1e-3),
            );
            put(g, "offset-commit-completion-rate", "The average per-second number of offset commit completions that were completed successfully.", v.rate(totals::COMMIT_COMPLETIONS));
            put(
                g,
                "offset-commit-completion-total",
                "The total number of offset commit completions that were completed successfully.",
                v_total(task, totals::COMMIT_COMPLETIONS),
            );
            put(g, "offset-commit-skip-rate", "The average per-second number of offset commit completions that were received too late and skipped/ignored.", v.rate(totals::COMMIT_SKIPS));
            put(g, "offset-commit-skip-total", "The total number of offset commit completions that were received too late and skipped/ignored.", v_total(task, totals::COMMIT_SKIPS));
            put(g, "partition-count", "The number of topic partitions assigned to this task belonging to the named sink connector in this worker.", task.partitions() as f64);
            put(g, "sink-record-active-count", "The number of records that have been read from Kafka but not yet completely committed/flushed/acknowledged by the sink task.", task.active() as f64);
        }
    }
    let e = task.errors.snapshot();
    let g = Group::TaskError;
    put(
        g,
        "total-record-errors",
        "The number of record processing errors in this task.",
        e.record_errors as f64,
    );
    put(
        g,
        "total-record-failures",
        "The number of record processing failures in this task.",
        e.record_failures as f64,
    );
    put(
        g,
        "total-records-skipped",
        "The number of records skipped due to errors.",
        e.records_skipped as f64,
    );
    put(
        g,
        "total-retries",
        "The number of operations retried.",
        e.retries as f64,
    );
    put(
        g,
        "total-errors-logged",
        "The number of errors that were logged.",
        e.errors_logged as f64,
    );
    put(
        g,
        "deadletterqueue-produce-requests",
        "The number of attempted writes to the dead letter queue.",
        e.dlq_produce_requests as f64,
    );
    put(
        g,
        "deadletterqueue-produce-failures",
        "The number of failed writes to the dead letter queue.",
        e.dlq_produce_failures as f64,
    );
    put(
        g,
        "last-error-timestamp",
        "The epoch timestamp when this task last encountered an error.",
        e.last_error_timestamp as f64,
    );
    if let (true, Some(status)) = (naming.exports_task_status(), status) {
        let mut l = labels();
        l.push(("status", status.to_string()));
        out.push(
            naming.connect(Group::ConnectorTask, "status"),
            "The status of the connector task. One of 'unassigned', 'running', 'paused', 'failed', or 'restarting'.",
            l,
            1.0,
        );
    }
}

fn v_total(task: &TaskMetrics, i: usize) -> f64 {
    task.totals[i].load(Ordering::Relaxed) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(now: Instant) -> TaskMetrics {
        TaskMetrics::new(
            ConnectorTaskId {
                connector: "c".into(),
                task: 0,
            },
            TaskKind::Source,
            WindowConfig {
                window: Duration::from_secs(30),
                samples: 2,
            },
            Arc::new(ErrorMetrics::default()),
            now,
        )
    }

    #[test]
    fn batches_commits_and_polls_feed_the_windowed_values() {
        let t0 = Instant::now();
        let m = metrics(t0);
        m.record_batch(10);
        m.record_batch(30);
        m.record_commit(true, Duration::from_millis(4));
        m.record_commit(true, Duration::from_millis(8));
        m.record_commit(false, Duration::from_millis(100));
        m.record_poll(40, Duration::from_millis(2));
        m.record_write(40);
        let v = m.view(t0 + Duration::from_secs(1));
        assert_eq!(v.avg(totals::BATCH_RECORDS, totals::BATCHES, 1.0), 20.0);
        assert_eq!(v.max(maxima::BATCH_SIZE, totals::BATCHES, 1.0), 30.0);
        assert_eq!(
            v.avg(totals::COMMIT_TIME_US, totals::COMMIT_SUCCESS, 1e-3),
            6.0
        );
        assert_eq!(
            v.max(maxima::COMMIT_TIME_US, totals::COMMIT_SUCCESS, 1e-3),
            8.0
        );
        assert!(
            (v.fraction(totals::COMMIT_SUCCESS, totals::COMMIT_FAILURE) - 2.0 / 3.0).abs() < 1e-12
        );
        assert_eq!(v.delta(totals::POLLED), 40);
        assert_eq!(v.delta(totals::WRITTEN), 40);
    }

    #[test]
    fn ratios_are_shares_of_the_task_lifetime() {
        let t0 = Instant::now();
        let m = metrics(t0);
        {
            let mut t = m.tracker.lock().expect("lock");
            t.change(RunState::Running, t0 + Duration::from_secs(1));
            t.change(RunState::Paused, t0 + Duration::from_secs(3));
        }
        let now = t0 + Duration::from_secs(4);
        assert!((m.ratio(RunState::Running, now) - 0.5).abs() < 1e-9);
        assert!((m.ratio(RunState::Paused, now) - 0.25).abs() < 1e-9);
    }
}
