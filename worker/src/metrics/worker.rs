//! Java's worker-level groups: `connect-worker-metrics` (connector and task counts,
//! startup attempts, successes and failures, and per connector its tasks by state),
//! `connect-worker-rebalance-metrics` and `connect-coordinator-metrics`
//! (`assigned-connectors`, `assigned-tasks`).
//!
//! A standalone worker has no group: it reports `rebalancing` 0 and its own connectors
//! and tasks as assigned, so the dashboards' panels show the worker instead of nothing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use super::names::{Group, Naming};
use super::render::Families;
use super::window::{Window, WindowConfig};

const CONNECTOR_SUCCESS: usize = 0;
const CONNECTOR_FAILURE: usize = 1;
const TASK_SUCCESS: usize = 2;
const TASK_FAILURE: usize = 3;
const TOTALS: usize = 4;

/// The states a connector's tasks are counted by (`connector-<state>-task-count`).
pub const TASK_STATES: [&str; 6] = [
    "running",
    "paused",
    "failed",
    "unassigned",
    "destroyed",
    "restarting",
];

#[derive(Debug, Default)]
struct Rebalance {
    rebalancing: bool,
    completed: u64,
    epoch: i64,
    started: Option<Instant>,
    last_completed: Option<Instant>,
    total_ms: f64,
    max_ms: f64,
}

/// Startup counters and rebalance state of the worker.
#[derive(Debug)]
pub struct WorkerGroup {
    totals: [AtomicU64; TOTALS],
    window: Mutex<Window>,
    rebalance: Mutex<Rebalance>,
}

/// What a scrape knows about the connectors and tasks running here.
#[derive(Debug, Default)]
pub struct Assignment {
    /// Connectors running on this worker.
    pub connectors: usize,
    /// Tasks running on this worker.
    pub tasks: usize,
    /// Per connector, its tasks here by state (in [`TASK_STATES`] order).
    pub task_states: BTreeMap<String, [u64; TASK_STATES.len()]>,
    /// The worker's client id (the coordinator's `client-id` tag).
    pub client_id: String,
}

impl WorkerGroup {
    /// Counters from zero, windows starting `now`.
    pub fn new(window: WindowConfig, now: Instant) -> Self {
        WorkerGroup {
            totals: Default::default(),
            window: Mutex::new(Window::new(window, now, vec![0; TOTALS])),
            rebalance: Mutex::new(Rebalance::default()),
        }
    }

    /// A connector start that succeeded or failed.
    pub fn record_connector_startup(&self, succeeded: bool) {
        let i = if succeeded {
            CONNECTOR_SUCCESS
        } else {
            CONNECTOR_FAILURE
        };
        self.totals[i].fetch_add(1, Ordering::Relaxed);
    }

    /// A task start that succeeded or failed.
    pub fn record_task_startup(&self, succeeded: bool) {
        let i = if succeeded {
            TASK_SUCCESS
        } else {
            TASK_FAILURE
        };
        self.totals[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The worker left its group to rebalance.
    pub fn rebalance_started(&self, now: Instant) {
        let mut r = self.rebalance.lock().unwrap_or_else(|p| p.into_inner());
        r.rebalancing = true;
        r.started = Some(now);
    }

    /// A rebalance ended with generation `epoch`.
    pub fn rebalance_completed(&self, epoch: i64, now: Instant) {
        let mut r = self.rebalance.lock().unwrap_or_else(|p| p.into_inner());
        r.rebalancing = false;
        r.completed += 1;
        r.epoch = epoch;
        if let Some(started) = r.started.take() {
            let ms = now.saturating_duration_since(started).as_secs_f64() * 1000.0;
            r.total_ms += ms;
            r.max_ms = r.max_ms.max(ms);
        }
        r.last_completed = Some(now);
    }

    fn totals(&self) -> Vec<u64> {
        self.totals
            .iter()
            .map(|t| t.load(Ordering::Relaxed))
            .collect()
    }

    /// Starts a new sample window when the current one is over.
    pub fn sample(&self, now: Instant) {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if w.due(now) {
            w.rotate(now, self.totals(), Vec::new());
        }
    }

    /// Renders the three groups.
    pub fn render(&self, naming: Naming, a: &Assignment, now: Instant, out: &mut Families) {
        let totals = self.totals();
        let view = self
            .window
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .view(now, &totals, &[]);
        let extra = |g: Group| -> Vec<(&'static str, String)> {
            naming
                .extra_labels(g)
                .iter()
                .map(|(k, v)| (*k, v.to_string()))
                .collect()
        };
        let mut put = |attr: &str, help: &str, value: f64| {
            out.push(
                naming.connect(Group::Worker, attr),
                help,
                extra(Group::Worker),
                value,
            );
        };
        put(
            "connector-count",
            "The number of connectors run in this worker.",
            a.connectors as f64,
        );
        put(
            "task-count",
            "The number of tasks run in this worker.",
            a.tasks as f64,
        );
        for (kind, ok, failed) in [
            ("connector", CONNECTOR_SUCCESS, CONNECTOR_FAILURE),
            ("task", TASK_SUCCESS, TASK_FAILURE),
        ] {
            let attempts = totals[ok] + totals[failed];
            put(
                &format!("{kind}-startup-attempts-total"),
                &format!("The total number of {kind} starts that this worker has attempted."),
                attempts as f64,
            );
            put(
                &format!("{kind}-startup-success-total"),
                &format!("The total number of {kind} starts that succeeded."),
                totals[ok] as f64,
            );
            put(
                &format!("{kind}-startup-failure-total"),
                &format!("The total number of {kind} starts that failed."),
                totals[failed] as f64,
            );
            put(
                &format!("{kind}-startup-success-percentage"),
                &format!("The average percentage of this worker's {kind} starts that succeeded."),
                view.fraction(ok, failed),
            );
            put(
                &format!("{kind}-startup-failure-percentage"),
                &format!("The average percentage of this worker's {kind} starts that failed."),
                view.fraction(failed, ok),
            );
        }
        for (connector, counts) in &a.task_states {
            let labels = || vec![("connector", connector.clone())];
            out.push(
                naming.connect(Group::WorkerConnector, "connector-total-task-count"),
                "The number of tasks of the connector on the worker.",
                labels(),
                counts.iter().sum::<u64>() as f64,
            );
            for (state, n) in TASK_STATES.iter().zip(counts) {
                out.push(
                    naming.connect(
                        Group::WorkerConnector,
                        &format!("connector-{state}-task-count"),
                    ),
                    &format!("The number of {state} tasks of the connector on the worker."),
                    labels(),
                    *n as f64,
                );
            }
        }
        let r = self.rebalance.lock().unwrap_or_else(|p| p.into_inner());
        let mut reb = |attr: &str, help: &str, value: f64| {
            out.push(
                naming.connect(Group::Rebalance, attr),
                help,
                Vec::new(),
                value,
            );
        };
        reb(
            "rebalancing",
            "Whether this worker is currently rebalancing.",
            if r.rebalancing { 1.0 } else { 0.0 },
        );
        reb(
            "completed-rebalances-total",
            "The total number of rebalances completed by this worker.",
            r.completed as f64,
        );
        reb(
            "epoch",
            "The epoch or generation number of this worker.",
            r.epoch as f64,
        );
        reb(
            "rebalance-max-time-ms",
            "The maximum time in milliseconds spent by this worker to rebalance.",
            r.max_ms,
        );
        reb(
            "rebalance-avg-time-ms",
            "The average time in milliseconds spent by this worker to rebalance.",
            if r.completed == 0 {
                0.0
            } else {
                r.total_ms / r.completed as f64
            },
        );
        reb(
            "time-since-last-rebalance-ms",
            "The time in milliseconds since this worker completed the most recent rebalance.",
            r.last_completed.map_or(-1.0, |t| {
                now.saturating_duration_since(t).as_secs_f64() * 1000.0
            }),
        );
        drop(r);
        let coordinator = || vec![(naming.client_id_label(), a.client_id.clone())];
        out.push(
            naming.connect(Group::Coordinator, "assigned-connectors"),
            "The number of connector instances currently assigned to this consumer.",
            coordinator(),
            a.connectors as f64,
        );
        out.push(
            naming.connect(Group::Coordinator, "assigned-tasks"),
            "The number of tasks currently assigned to this consumer.",
            coordinator(),
            a.tasks as f64,
        );
    }
}
