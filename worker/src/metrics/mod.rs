//! Prometheus metrics: Java Connect's JMX metric groups, the Kafka clients' librdkafka
//! statistics and the process, served at `GET /metrics`.
//!
//! * [`config`]: the worker keys (`sluice.metrics.*`, `metrics.sample.window.ms`,
//!   `metrics.num.samples`).
//! * [`names`]: the Strimzi and Confluent naming styles.
//! * [`window`]: Java's windowed rates, averages, maxima and percentages.
//! * [`worker`]: `connect-worker-metrics`, `-rebalance-metrics`, `connect-coordinator-metrics`.
//! * [`task`]: `connector-task-metrics`, `source-task-metrics`, `sink-task-metrics`,
//!   `task-error-metrics`.
//! * [`clients`]: `kafka.producer` / `kafka.consumer` / `kafka.admin.client` from librdkafka
//!   statistics.
//! * [`process`]: `process_*` from `/proc`.
//! * [`render`]: the text exposition.
//!
//! [`Metrics`] is the registry of one worker. Per-task handles ([`TaskMetrics`]) are made
//! once when a task starts and removed when it stops, so updates on the record path are
//! atomic adds only; everything else (status, ratios, windows) is computed when scraped.

pub mod clients;
pub mod config;
pub mod names;
pub mod process;
pub mod render;
pub mod task;
pub mod window;
pub mod worker;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;

use rdkafka::config::ClientConfig;

pub use self::clients::{ClientStatsHandle, ClientSummary, StatsContext};
pub use self::config::MetricsConfig;
pub use self::names::{ClientType, Naming};
pub use self::task::{RunState, TaskKind, TaskMetrics};

use self::window::WindowConfig;
use self::worker::{Assignment, WorkerGroup, TASK_STATES};
use crate::model::{ConnectorTaskId, State};
use crate::runtime::errors::ErrorMetrics;
use crate::runtime::status::StatusStore;

/// `connector-metrics` of one connector: its static attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorInfo {
    /// `connector-class`.
    pub class: String,
    /// `connector-type`: `source` or `sink`.
    pub kind: &'static str,
    /// `connector-version`.
    pub version: String,
}

/// The metrics registry of one worker.
#[derive(Debug)]
pub struct Metrics {
    config: MetricsConfig,
    client_id: String,
    worker: WorkerGroup,
    tasks: Mutex<BTreeMap<ConnectorTaskId, Arc<TaskMetrics>>>,
    connectors: Mutex<BTreeMap<String, ConnectorInfo>>,
    clients: Mutex<BTreeMap<u64, (ClientType, Arc<ClientSummary>)>>,
    next_client: AtomicU64,
    status: OnceLock<Arc<StatusStore>>,
    this: Weak<Metrics>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Java's lower-case state names (`status` label values).
pub fn state_name(state: State) -> &'static str {
    match state {
        State::Unassigned => "unassigned",
        State::Running => "running",
        State::Paused => "paused",
        State::Failed => "failed",
        State::Restarting => "restarting",
        State::Stopped => "stopped",
    }
}

impl Metrics {
    /// A registry for a worker with `config`; `client_id` is the worker's `client.id` (the
    /// coordinator's tag). When `config.enabled`, a sampler closes the sample windows in
    /// the background (on the current tokio runtime, if any).
    pub fn new(config: MetricsConfig, client_id: impl Into<String>) -> Arc<Self> {
        let window = WindowConfig {
            window: config.sample_window,
            samples: config.num_samples,
        };
        let metrics = Arc::new_cyclic(|this| Metrics {
            worker: WorkerGroup::new(window, Instant::now()),
            config,
            client_id: client_id.into(),
            tasks: Mutex::new(BTreeMap::new()),
            connectors: Mutex::new(BTreeMap::new()),
            clients: Mutex::new(BTreeMap::new()),
            next_client: AtomicU64::new(0),
            status: OnceLock::new(),
            this: this.clone(),
        });
        if metrics.config.enabled {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(sampler(Arc::downgrade(&metrics)));
            }
        }
        metrics
    }

    /// A registry with the defaults, for tests and tools.
    pub fn disabled() -> Arc<Self> {
        Self::new(
            MetricsConfig {
                enabled: false,
                ..MetricsConfig::default()
            },
            "",
        )
    }

    /// The configuration.
    pub fn config(&self) -> &MetricsConfig {
        &self.config
    }

    /// Whether anything is measured and served.
    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// Sets the status table connector and task states are read from (once).
    pub fn set_status(&self, status: Arc<StatusStore>) {
        let _ = self.status.set(status);
    }

    fn window(&self) -> WindowConfig {
        WindowConfig {
            window: self.config.sample_window,
            samples: self.config.num_samples,
        }
    }

    /// The worker group (startup counts, rebalances).
    pub fn worker(&self) -> &WorkerGroup {
        &self.worker
    }

    /// Registers a starting task and gives its handle (`None` when metrics are off). A
    /// task started again replaces its former series.
    pub fn task_started(
        &self,
        id: &ConnectorTaskId,
        kind: TaskKind,
        errors: Arc<ErrorMetrics>,
    ) -> Option<Arc<TaskMetrics>> {
        if !self.enabled() {
            return None;
        }
        let m = Arc::new(TaskMetrics::new(
            id.clone(),
            kind,
            self.window(),
            errors,
            Instant::now(),
        ));
        lock(&self.tasks).insert(id.clone(), m.clone());
        Some(m)
    }

    /// Removes a stopped task's series.
    pub fn task_removed(&self, id: &ConnectorTaskId) {
        lock(&self.tasks).remove(id);
    }

    /// Registers a connector's attributes.
    pub fn connector_started(&self, name: &str, info: ConnectorInfo) {
        if self.enabled() {
            lock(&self.connectors).insert(name.to_string(), info);
        }
    }

    /// Removes a stopped or deleted connector's series.
    pub fn connector_removed(&self, name: &str) {
        lock(&self.connectors).remove(name);
    }

    /// Prepares a new Kafka client's config for statistics (sets `statistics.interval.ms`
    /// unless the client's own settings have it) and gives the handle its context reports
    /// to; `None` when client metrics are off.
    pub fn client(&self, kind: ClientType, config: &mut ClientConfig) -> Option<ClientStatsHandle> {
        let interval = self.config.statistics_interval_ms()?;
        if config.get("statistics.interval.ms").is_none() {
            config.set("statistics.interval.ms", interval);
        }
        Some(ClientStatsHandle {
            metrics: self.this.clone(),
            key: self.next_client.fetch_add(1, Ordering::Relaxed),
            kind,
        })
    }

    pub(crate) fn store_client(&self, key: u64, kind: ClientType, summary: ClientSummary) {
        lock(&self.clients).insert(key, (kind, Arc::new(summary)));
    }

    pub(crate) fn remove_client(&self, key: u64) {
        lock(&self.clients).remove(&key);
    }

    /// Closes the sample windows that are over.
    pub fn sample(&self, now: Instant) {
        self.worker.sample(now);
        let tasks: Vec<Arc<TaskMetrics>> = lock(&self.tasks).values().cloned().collect();
        for t in tasks {
            t.sample(now);
        }
    }

    /// The families of one scrape.
    pub fn families(&self) -> render::Families {
        let now = Instant::now();
        let naming = self.config.naming;
        let mut out = render::Families::default();
        let tasks: Vec<Arc<TaskMetrics>> = lock(&self.tasks).values().cloned().collect();
        let connectors = lock(&self.connectors).clone();
        let status = self.status.get();
        let task_state = |id: &ConnectorTaskId| status.and_then(|s| s.task(id)).map(|t| t.state);
        let mut assignment = Assignment {
            connectors: connectors.len(),
            tasks: tasks.len(),
            client_id: self.client_id.clone(),
            ..Assignment::default()
        };
        for name in connectors.keys() {
            assignment
                .task_states
                .insert(name.clone(), [0; TASK_STATES.len()]);
        }
        for t in &tasks {
            let state = task_state(t.id()).map_or("unassigned", state_name);
            let counts = assignment
                .task_states
                .entry(t.id().connector.clone())
                .or_insert([0; TASK_STATES.len()]);
            if let Some(i) = TASK_STATES.iter().position(|s| *s == state) {
                counts[i] += 1;
            }
        }
        self.worker.render(naming, &assignment, now, &mut out);
        for (name, info) in &connectors {
            let state = status
                .and_then(|s| s.connector(name))
                .map_or("unassigned", |c| state_name(c.state));
            connector_render(naming, name, info, state, &mut out);
        }
        for t in &tasks {
            let state = task_state(t.id()).map(state_name);
            task::render(t, naming, state, now, &mut out);
        }
        let clients: Vec<(ClientType, Arc<ClientSummary>)> =
            lock(&self.clients).values().cloned().collect();
        clients::render(naming, &clients, &mut out);
        if let Some(p) = process::ProcessStats::read() {
            p.render(&mut out);
        }
        out
    }

    /// The text exposition of one scrape.
    pub fn render(&self) -> String {
        self.families().encode()
    }
}

/// `connector-metrics`: each string attribute as a label of a sample with the value 1.
fn connector_render(
    naming: Naming,
    name: &str,
    info: &ConnectorInfo,
    state: &str,
    out: &mut render::Families,
) {
    use self::names::Group;
    for (attr, value, help) in [
        ("status", state, "The status of the connector. One of 'unassigned', 'running', 'paused', 'stopped', 'failed', or 'restarting'."),
        ("connector-class", info.class.as_str(), "The name of the connector class."),
        ("connector-type", info.kind, "The type of the connector. One of 'source' or 'sink'."),
        ("connector-version", info.version.as_str(), "The version of the connector class, as reported by the connector."),
    ] {
        let label = match attr {
            "status" => "status",
            "connector-class" => "connector_class",
            "connector-type" => "connector_type",
            _ => "connector_version",
        };
        out.push(
            naming.connect(Group::Connector, attr),
            help,
            vec![("connector", name.to_string()), (label, value.to_string())],
            1.0,
        );
    }
}

/// Closes sample windows as they end, until the registry is dropped.
async fn sampler(metrics: Weak<Metrics>) {
    let period = match metrics.upgrade() {
        // Check often enough that a window closes at most 1/10 of its length late.
        Some(m) => (m.config.sample_window / 10).max(std::time::Duration::from_millis(10)),
        None => return,
    };
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match metrics.upgrade() {
            Some(m) => m.sample(Instant::now()),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(naming: Naming) -> Arc<Metrics> {
        Metrics::new(
            MetricsConfig {
                naming,
                ..MetricsConfig::default()
            },
            "connect-1",
        )
    }

    fn id(task: u32) -> ConnectorTaskId {
        ConnectorTaskId {
            connector: "files".into(),
            task,
        }
    }

    #[test]
    fn a_task_series_exist_while_it_runs() {
        let m = registry(Naming::Strimzi);
        let status = Arc::new(StatusStore::new("w:8083"));
        m.set_status(status.clone());
        m.connector_started(
            "files",
            ConnectorInfo {
                class: "FileStreamSource".into(),
                kind: "source",
                version: "1".into(),
            },
        );
        status.put_connector("files", State::Running, None);
        let errors = Arc::new(ErrorMetrics::default());
        let t = m
            .task_started(&id(0), TaskKind::Source, errors.clone())
            .expect("enabled");
        status.put_task(&id(0), State::Running, None);
        t.record_poll(7, std::time::Duration::from_millis(1));
        errors.record_failure();
        let text = m.render();
        for line in [
            "kafka_connect_source_task_source_record_poll_total{connector=\"files\",task=\"0\"} 7\n",
            "kafka_connect_task_error_total_record_failures{connector=\"files\",task=\"0\"} 1.0\n",
            "kafka_connect_connector_task_status{connector=\"files\",task=\"0\",status=\"running\"} 1.0\n",
            "kafka_connect_connector_status{connector=\"files\",status=\"running\"} 1.0\n",
            "kafka_connect_connector_connector_class{connector=\"files\",connector_class=\"FileStreamSource\"} 1.0\n",
            "kafka_connect_worker_connector_running_task_count{connector=\"files\"} 1.0\n",
            "kafka_connect_worker_task_count 1.0\n",
            "kafka_connect_coordinator_assigned_tasks{clientId=\"connect-1\"} 1.0\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        m.task_removed(&id(0));
        m.connector_removed("files");
        let text = m.render();
        assert!(!text.contains("connector=\"files\""), "{text}");
    }

    #[test]
    fn the_confluent_style_renames_every_group() {
        let m = registry(Naming::Confluent);
        m.task_started(&id(1), TaskKind::Sink, Arc::new(ErrorMetrics::default()))
            .expect("enabled")
            .record_read(3);
        let text = m.render();
        assert!(text.contains("kafka_connect_sink_task_metrics_sink_record_read_total{connector=\"files\",task=\"1\"} 3\n"), "{text}");
        assert!(
            text.contains(
                "kafka_connect_connect_worker_metrics_task_count{connector=\"aggregate\"} 1.0\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("kafka_connect_task_error_metrics_total_record_failures{"),
            "{text}"
        );
        assert!(
            !text.contains("kafka_connect_sink_task_sink_record_read_total"),
            "{text}"
        );
        assert!(
            !text.contains("kafka_connect_connector_task_status"),
            "{text}"
        );
    }

    #[test]
    fn disabled_metrics_hand_out_no_handles() {
        let m = Metrics::disabled();
        assert!(m
            .task_started(&id(0), TaskKind::Source, Arc::new(ErrorMetrics::default()))
            .is_none());
        let mut c = ClientConfig::new();
        assert!(m.client(ClientType::Producer, &mut c).is_none());
        assert!(c.get("statistics.interval.ms").is_none());
    }

    #[test]
    fn client_statistics_are_summarised_and_removed_with_the_client() {
        let m = registry(Naming::Strimzi);
        let mut c = ClientConfig::new();
        let handle = m.client(ClientType::Consumer, &mut c).expect("enabled");
        assert_eq!(c.get("statistics.interval.ms"), Some("10000"));
        let stats: rdkafka::statistics::Statistics =
            serde_json::from_str(STATS).expect("stats json");
        handle.update(&stats);
        let text = m.render();
        for line in [
            "kafka_consumer_incoming_byte_total{clientId=\"connector-consumer-s-0\"} 2000\n",
            "kafka_consumer_outgoing_byte_total{clientId=\"connector-consumer-s-0\"} 1000\n",
            "kafka_consumer_connection_count{clientId=\"connector-consumer-s-0\"} 1.0\n",
            "kafka_consumer_request_latency_avg{clientId=\"connector-consumer-s-0\"} 1.5\n",
            "kafka_consumer_fetch_manager_records_lag{clientId=\"connector-consumer-s-0\",topic=\"t\",partition=\"0\"} 42.0\n",
            "kafka_consumer_fetch_manager_records_consumed_total{clientId=\"connector-consumer-s-0\"} 10\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        // A second client with the same id (a task restarting): summed, one lag series.
        let again = m.client(ClientType::Consumer, &mut c).expect("enabled");
        again.update(&stats);
        let text = m.render();
        assert!(
            text.contains(
                "kafka_consumer_incoming_byte_total{clientId=\"connector-consumer-s-0\"} 4000\n"
            ),
            "{text}"
        );
        assert_eq!(
            text.matches("kafka_consumer_fetch_manager_records_lag{")
                .count(),
            1,
            "{text}"
        );
        drop(again);
        drop(handle);
        assert!(!m.render().contains("connector-consumer-s-0"));
    }

    /// Every series a busy worker renders is listed in the name index of docs/metrics.md,
    /// which the Grafana dashboard check of `scripts/check-compose` reads: a renamed metric
    /// fails here before it silently empties a dashboard panel.
    #[test]
    fn every_rendered_name_is_in_the_docs_name_index() {
        let doc = include_str!("../../../docs/metrics.md");
        let index: std::collections::HashSet<&str> = doc
            .split("## Name index")
            .nth(1)
            .expect("docs/metrics.md has a name index")
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        assert!(index.len() > 50, "{} names in the index", index.len());
        let m = registry(Naming::Strimzi);
        let status = Arc::new(StatusStore::new("w:8083"));
        m.set_status(status.clone());
        for (name, kind, task_kind) in [
            ("src", "source", TaskKind::Source),
            ("snk", "sink", TaskKind::Sink),
        ] {
            m.connector_started(
                name,
                ConnectorInfo {
                    class: "C".into(),
                    kind,
                    version: "1".into(),
                },
            );
            status.put_connector(name, State::Running, None);
            let task = ConnectorTaskId {
                connector: name.into(),
                task: 0,
            };
            let errors = Arc::new(ErrorMetrics::default());
            let t = m
                .task_started(&task, task_kind, errors.clone())
                .expect("enabled");
            status.put_task(&task, State::Running, None);
            t.record_poll(1, std::time::Duration::from_millis(1));
            t.record_read(1);
            errors.record_failure();
            std::mem::forget(t);
        }
        let stats: rdkafka::statistics::Statistics =
            serde_json::from_str(STATS).expect("stats json");
        let mut c = ClientConfig::new();
        let consumer = m.client(ClientType::Consumer, &mut c).expect("enabled");
        consumer.update(&stats);
        let producer = m.client(ClientType::Producer, &mut c).expect("enabled");
        producer.update(&stats);
        m.sample(Instant::now());
        let text = m.render();
        let rendered: std::collections::BTreeSet<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| l.split(['{', ' ']).next())
            .collect();
        assert!(rendered.len() > 40, "{text}");
        let missing: Vec<_> = rendered.iter().filter(|n| !index.contains(*n)).collect();
        assert!(
            missing.is_empty(),
            "not in docs/metrics.md's name index: {missing:?}"
        );
    }

    /// A trimmed librdkafka statistics report of a consumer.
    const STATS: &str = r#"{"name":"c#consumer-1","client_id":"connector-consumer-s-0","type":"consumer",
      "ts":1,"time":1,"age":1,"replyq":0,"msg_cnt":3,"msg_size":0,"msg_max":0,"msg_size_max":0,
      "simple_cnt":0,"metadata_cache_cnt":1,"tx":10,"tx_bytes":1000,"rx":9,"rx_bytes":2000,
      "txmsgs":0,"txmsg_bytes":0,"rxmsgs":10,"rxmsg_bytes":100,
      "brokers":{"localhost:9092/1":{"name":"localhost:9092/1","nodeid":1,"nodename":"localhost:9092",
        "source":"learned","state":"UP","stateage":1,"outbuf_cnt":0,"outbuf_msg_cnt":0,"waitresp_cnt":0,
        "waitresp_msg_cnt":0,"tx":10,"txbytes":1000,"txerrs":0,"txretries":0,"txidle":0,"req_timeouts":0,
        "rx":9,"rxbytes":2000,"rxerrs":0,"rxcorriderrs":0,"rxpartial":0,"rxidle":0,"zbuf_grow":0,
        "buf_grow":0,"wakeups":0,"connects":1,"disconnects":0,"req":{"Fetch":5},
        "rtt":{"min":1000,"max":2000,"avg":1500,"sum":3000,"cnt":2,"stddev":0,"hdrsize":0,"p50":0,"p75":0,"p90":0,"p95":0,"p99":0,"p99_99":0,"outofrange":0},
        "toppars":{}}},
      "topics":{"t":{"topic":"t","age":1,"metadata_age":1,"batchsize":{"min":0,"max":0,"avg":0,"sum":0,"cnt":0,"stddev":0,"hdrsize":0,"p50":0,"p75":0,"p90":0,"p95":0,"p99":0,"p99_99":0,"outofrange":0},
        "batchcnt":{"min":0,"max":0,"avg":0,"sum":0,"cnt":0,"stddev":0,"hdrsize":0,"p50":0,"p75":0,"p90":0,"p95":0,"p99":0,"p99_99":0,"outofrange":0},
        "partitions":{"0":{"partition":0,"broker":1,"leader":1,"desired":true,"unknown":false,
          "msgq_cnt":0,"msgq_bytes":0,"xmit_msgq_cnt":0,"xmit_msgq_bytes":0,"fetchq_cnt":0,"fetchq_size":0,
          "fetch_state":"active","query_offset":0,"next_offset":10,"app_offset":10,"stored_offset":10,
          "commited_offset":5,"committed_offset":5,"eof_offset":10,"lo_offset":0,"hi_offset":52,"ls_offset":52,
          "consumer_lag":42,"consumer_lag_stored":42,"txmsgs":0,"txbytes":0,"rxmsgs":10,"rxbytes":100,
          "msgs":10,"rx_ver_drops":0,"msgs_inflight":0,"next_ack_seq":0,"next_err_seq":0,"acked_msgid":0},
          "-1":{"partition":-1,"broker":-1,"leader":-1,"desired":false,"unknown":false,
          "msgq_cnt":0,"msgq_bytes":0,"xmit_msgq_cnt":0,"xmit_msgq_bytes":0,"fetchq_cnt":0,"fetchq_size":0,
          "fetch_state":"none","query_offset":0,"next_offset":0,"app_offset":0,"stored_offset":0,
          "commited_offset":0,"committed_offset":0,"eof_offset":0,"lo_offset":0,"hi_offset":0,"ls_offset":0,
          "consumer_lag":-1,"consumer_lag_stored":-1,"txmsgs":0,"txbytes":0,"rxmsgs":0,"rxbytes":0,
          "msgs":0,"rx_ver_drops":0,"msgs_inflight":0,"next_ack_seq":0,"next_err_seq":0,"acked_msgid":0}}}}}"#;
}
