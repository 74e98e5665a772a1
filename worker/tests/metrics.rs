//! `GET /metrics` end to end (issue 13, "Must show"): the `sluice` binary runs FileStream
//! connectors over the real broker; every scrape is parsed with a strict text-format parser
//! (`common::prom`), and the counters are checked as records flow and fail.
//!
//! * `counters_follow_records_failures_and_deletes`: a FileStreamSource (poll/write totals =
//!   lines written, status and class labels, producer bytes) and a FileStreamSink fed
//!   malformed JSON with `errors.tolerance=all` and a dead-letter queue (read/send totals,
//!   the error handler's failure, skip, log and DLQ counters, consumer bytes and lag); a
//!   deleted connector's series disappear.
//! * `names_match_the_strimzi_dashboard`: every non-JVM metric the Strimzi Kafka Connect
//!   Grafana dashboard queries is in a live worker's `/metrics`, with the labels the queries
//!   join on; `/metrics` is served on `admin.listeners` too.
//! * `basic_auth_guards_metrics_on_the_main_listeners_only`: with basic auth, `/metrics` on
//!   the main listeners needs the credentials; admin listeners serve it without.
//!
//! Needs the broker of `scripts/services start` (or `SLUICE_BOOTSTRAP_SERVERS`); fails, never
//! skips, when it is unreachable.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::prom::{self, find, value, Sample};
use common::wait::wait_for;
use common::{produce, unique_name, unique_topic, worker_properties, Sluice, TestDir};

/// Bound for records to travel through the worker and the broker.
const ARRIVAL: Duration = Duration::from_secs(90);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `GET /metrics` on `port`, parsed; panics on a malformed exposition (`None` until the
/// worker answers 200).
fn scrape(port: u16) -> Option<Vec<Sample>> {
    let reply = reqwest::blocking::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .timeout(Duration::from_secs(10))
        .send()
        .ok()?;
    if !reply.status().is_success() {
        return None;
    }
    let content_type = reply
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = reply.text().ok()?;
    Some(prom::parse(&text).unwrap_or_else(|e| panic!("malformed /metrics: {e}\n{text}")))
}

/// Waits until a scrape satisfies `done`, and gives it.
fn scrape_until(port: u16, what: &str, done: impl Fn(&[Sample]) -> bool) -> Vec<Sample> {
    wait_for(what, ARRIVAL, || scrape(port).filter(|s| done(s)))
}

fn send(method: &str, port: u16, path: &str) -> u16 {
    let client = reqwest::blocking::Client::new();
    let url = format!("http://127.0.0.1:{port}{path}");
    let request = match method {
        "DELETE" => client.delete(url),
        _ => client.get(url),
    };
    request
        .timeout(Duration::from_secs(30))
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

fn lines(n: std::ops::Range<usize>) -> String {
    n.map(|i| format!("line-{i}\n")).collect()
}

#[test]
fn counters_follow_records_failures_and_deletes() {
    let dir = TestDir::new();
    let port = free_port();
    let listeners = format!("http://127.0.0.1:{port}");
    let worker = worker_properties(
        &dir,
        &[
            ("listeners", &listeners),
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            ("value.converter.schemas.enable", "false"),
            ("sluice.metrics.client.statistics.interval.ms", "500"),
        ],
    );
    let source_topic = unique_topic("metrics-src", 1);
    let sink_topic = unique_topic("metrics-sink", 1);
    let dlq = unique_name("metrics-dlq");
    let src = unique_name("msrc");
    let sink = unique_name("msink");
    let input = dir.write("input.txt", &lines(0..20));
    let output = dir.file("output.txt");
    let source = dir.properties(
        "source.properties",
        &[
            ("name", &src),
            ("connector.class", "FileStreamSource"),
            ("tasks.max", "1"),
            ("file", &input.to_string_lossy()),
            ("topic", &source_topic),
        ],
    );
    let sink_props = dir.properties(
        "sink.properties",
        &[
            ("name", &sink),
            ("connector.class", "FileStreamSink"),
            ("tasks.max", "1"),
            ("file", &output.to_string_lossy()),
            ("topics", &sink_topic),
            ("errors.tolerance", "all"),
            ("errors.log.enable", "true"),
            ("errors.deadletterqueue.topic.name", &dlq),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
        ],
    );
    // Three good JSON values, two malformed.
    produce(
        &sink_topic,
        &[
            (None, Some(br#""a""#.as_slice())),
            (None, Some(b"{bad".as_slice())),
            (None, Some(br#""b""#.as_slice())),
            (None, Some(b"nope".as_slice())),
            (None, Some(br#""c""#.as_slice())),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&source, &sink_props]);

    let s0 = [("connector", src.as_str()), ("task", "0")];
    let k0 = [("connector", sink.as_str()), ("task", "0")];
    let first = scrape_until(port, "source and sink counters to move", |s| {
        value(
            s,
            "kafka_connect_source_task_source_record_write_total",
            &s0,
        ) == Some(20.0)
            && value(s, "kafka_connect_sink_task_sink_record_read_total", &k0) == Some(5.0)
            // The put comes after the dead-letter queue acknowledged the two bad records.
            && value(s, "kafka_connect_sink_task_sink_record_send_total", &k0) == Some(3.0)
            && value(
                s,
                "kafka_connect_task_error_deadletterqueue_produce_requests",
                &k0,
            ) == Some(2.0)
    });
    let v = |name: &str, labels: &[(&str, &str)]| value(&first, name, labels);
    // Source: every line polled and written.
    assert_eq!(
        v("kafka_connect_source_task_source_record_poll_total", &s0),
        Some(20.0)
    );
    assert!(v("kafka_connect_source_task_source_record_poll_rate", &s0).is_some_and(|r| r > 0.0));
    assert!(v("kafka_connect_connector_task_batch_size_max", &s0).is_some_and(|m| m >= 1.0));
    // Sink: five read, the three good ones put, the two bad ones failed, skipped, logged and
    // sent to the dead-letter queue by the error handler.
    assert_eq!(
        v("kafka_connect_sink_task_sink_record_send_total", &k0),
        Some(3.0)
    );
    assert_eq!(
        v("kafka_connect_task_error_total_record_failures", &k0),
        Some(2.0)
    );
    assert_eq!(
        v("kafka_connect_task_error_total_record_errors", &k0),
        Some(2.0)
    );
    assert_eq!(
        v("kafka_connect_task_error_total_records_skipped", &k0),
        Some(2.0)
    );
    assert_eq!(
        v("kafka_connect_task_error_total_errors_logged", &k0),
        Some(2.0)
    );
    assert_eq!(
        v(
            "kafka_connect_task_error_deadletterqueue_produce_failures",
            &k0
        ),
        Some(0.0)
    );
    assert!(v("kafka_connect_task_error_last_error_timestamp", &k0).is_some_and(|t| t > 1.6e12));
    assert_eq!(
        v("kafka_connect_task_error_total_record_failures", &s0),
        Some(0.0)
    );
    assert_eq!(v("kafka_connect_sink_task_partition_count", &k0), Some(1.0));
    // States and connector attributes as labels.
    for (c, class, kind) in [
        (
            &src,
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "source",
        ),
        (
            &sink,
            "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "sink",
        ),
    ] {
        let c = c.as_str();
        assert_eq!(
            v(
                "kafka_connect_connector_status",
                &[("connector", c), ("status", "running")]
            ),
            Some(1.0)
        );
        assert_eq!(
            v(
                "kafka_connect_connector_task_status",
                &[("connector", c), ("task", "0"), ("status", "running")]
            ),
            Some(1.0)
        );
        assert_eq!(
            v(
                "kafka_connect_connector_connector_class",
                &[("connector", c), ("connector_class", class)]
            ),
            Some(1.0)
        );
        assert_eq!(
            v(
                "kafka_connect_connector_connector_type",
                &[("connector", c), ("connector_type", kind)]
            ),
            Some(1.0)
        );
        assert_eq!(
            v(
                "kafka_connect_worker_connector_running_task_count",
                &[("connector", c)]
            ),
            Some(1.0)
        );
    }
    assert_eq!(v("kafka_connect_worker_connector_count", &[]), Some(2.0));
    assert_eq!(v("kafka_connect_worker_task_count", &[]), Some(2.0));
    assert_eq!(
        v("kafka_connect_worker_connector_startup_success_total", &[]),
        Some(2.0)
    );
    assert_eq!(
        v("kafka_connect_worker_task_startup_success_total", &[]),
        Some(2.0)
    );
    assert!(v("process_resident_memory_bytes", &[]).is_some_and(|b| b > 1e6));

    // librdkafka statistics: the task's producer and consumer, and the sink's lag.
    let producer_id = format!("connector-producer-{src}-0");
    let consumer_id = format!("connector-consumer-{sink}-0");
    let clients = scrape_until(port, "client statistics", |s| {
        value(
            s,
            "kafka_producer_outgoing_byte_total",
            &[("clientId", &producer_id)],
        )
        .is_some_and(|b| b > 0.0)
            && value(
                s,
                "kafka_consumer_incoming_byte_total",
                &[("clientId", &consumer_id)],
            )
            .is_some_and(|b| b > 0.0)
            && value(
                s,
                "kafka_consumer_fetch_manager_records_lag",
                &[
                    ("clientId", &consumer_id),
                    ("topic", &sink_topic),
                    ("partition", "0"),
                ],
            ) == Some(0.0)
    });
    assert!(value(
        &clients,
        "kafka_producer_connection_count",
        &[("clientId", &producer_id)]
    )
    .is_some_and(|n| n >= 1.0));
    assert!(value(
        &clients,
        "kafka_producer_record_send_total",
        &[("clientId", &producer_id)]
    )
    .is_some_and(|n| n >= 20.0));

    // More lines: the counters move with them.
    dir.append("input.txt", &lines(20..30));
    scrape_until(port, "the ten new lines to be counted", |s| {
        value(s, "kafka_connect_source_task_source_record_poll_total", &s0) == Some(30.0)
            && value(
                s,
                "kafka_connect_source_task_source_record_write_total",
                &s0,
            ) == Some(30.0)
    });

    // A deleted connector's series are gone.
    assert_eq!(send("DELETE", port, &format!("/connectors/{src}")), 204);
    let after = scrape_until(port, "the deleted connector's series to disappear", |s| {
        !s.iter().any(|x| x.labels.get("connector") == Some(&src))
    });
    assert_eq!(
        value(&after, "kafka_connect_worker_connector_count", &[]),
        Some(1.0)
    );
    assert!(!find(
        &after,
        "kafka_connect_sink_task_sink_record_read_total",
        &k0
    )
    .is_empty());
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );
}

/// The metric names the Strimzi Kafka Connect Grafana dashboard queries
/// (strimzi/strimzi-kafka-operator,
/// `packaging/examples/metrics/prometheus-jmx-exporter/grafana-dashboards/strimzi-kafka-connect.json`),
/// each with the labels its query selects, groups or joins on. The queries, with the
/// `strimzi_io_*`/`namespace` selectors Prometheus relabelling adds left out:
///
/// * `sum(kafka_connect_worker_connector_count)`, `sum(kafka_connect_worker_task_count)`
/// * `sum(kafka_consumer_connection_count)`, `sum(kafka_producer_connection_count)`,
///   `sum(kafka_admin_client_connection_count)`
/// * `sum(rate(kafka_producer_outgoing_byte_total[5m])) by (kubernetes_pod_name)`,
///   `sum(rate(kafka_consumer_incoming_byte_total[5m])) by (kubernetes_pod_name)`
/// * `sum(kafka_connect_coordinator_assigned_connectors) by (kubernetes_pod_name)`,
///   `sum(kafka_connect_coordinator_assigned_tasks) by (kubernetes_pod_name)`
/// * `sum(kafka_connect_worker_rebalance_rebalancing)`
/// * `sum(kafka_connect_worker_connector_{paused,failed,unassigned,destroyed}_task_count) by
///   (connector) != 0` and `sum(kafka_connect_worker_connector_{running,…}_task_count)`
/// * `sum(kafka_connect_connector_status * on(connector) group_left(connector_class)
///   kafka_connect_connector_connector_class * on (connector) group_left(connector_version)
///   kafka_connect_connector_connector_version * on (connector) group_left(connector_type)
///   kafka_connect_connector_connector_type) by (connector, status, connector_class,
///   kubernetes_pod_name, connector_version, connector_type)`
/// * `sum(kafka_connect_task_error_total_record_failures * on(connector, task)
///   group_left(status) kafka_connect_connector_task_status) by (connector, status,
///   kubernetes_pod_name, task)`
///
/// Not emitted: the JVM panels' `jvm_memory_used_bytes`, `jvm_gc_collection_seconds_sum`,
/// `jvm_threads_current` (there is no JVM), cAdvisor's `container_cpu_usage_seconds_total`
/// (not an exporter metric), and `kafka_admin_client_connection_count`: rdkafka's
/// `AdminClient` never serves the queue librdkafka delivers statistics on, so admin clients
/// report none (the panel's admin line stays empty; its consumer and producer lines work).
const STRIMZI_DASHBOARD: &[(&str, &[&str])] = &[
    ("kafka_connect_worker_connector_count", &[]),
    ("kafka_connect_worker_task_count", &[]),
    ("kafka_consumer_connection_count", &["clientId"]),
    ("kafka_producer_connection_count", &["clientId"]),
    ("kafka_producer_outgoing_byte_total", &["clientId"]),
    ("kafka_consumer_incoming_byte_total", &["clientId"]),
    ("kafka_connect_coordinator_assigned_connectors", &[]),
    ("kafka_connect_coordinator_assigned_tasks", &[]),
    ("kafka_connect_worker_rebalance_rebalancing", &[]),
    (
        "kafka_connect_worker_connector_running_task_count",
        &["connector"],
    ),
    (
        "kafka_connect_worker_connector_paused_task_count",
        &["connector"],
    ),
    (
        "kafka_connect_worker_connector_failed_task_count",
        &["connector"],
    ),
    (
        "kafka_connect_worker_connector_unassigned_task_count",
        &["connector"],
    ),
    (
        "kafka_connect_worker_connector_destroyed_task_count",
        &["connector"],
    ),
    ("kafka_connect_connector_status", &["connector", "status"]),
    (
        "kafka_connect_connector_connector_class",
        &["connector", "connector_class"],
    ),
    (
        "kafka_connect_connector_connector_version",
        &["connector", "connector_version"],
    ),
    (
        "kafka_connect_connector_connector_type",
        &["connector", "connector_type"],
    ),
    (
        "kafka_connect_task_error_total_record_failures",
        &["connector", "task"],
    ),
    (
        "kafka_connect_connector_task_status",
        &["connector", "task", "status"],
    ),
];

#[test]
fn names_match_the_strimzi_dashboard() {
    let dir = TestDir::new();
    let port = free_port();
    let admin_port = free_port();
    let listeners = format!("http://127.0.0.1:{port}");
    let admin = format!("http://127.0.0.1:{admin_port}");
    let worker = worker_properties(
        &dir,
        &[
            ("listeners", &listeners),
            ("admin.listeners", &admin),
            ("value.converter.schemas.enable", "false"),
            ("sluice.metrics.client.statistics.interval.ms", "500"),
        ],
    );
    // The source creates its topic (KIP-158) before the sink reads it.
    let topic = unique_name("metrics-strimzi");
    let input = dir.write("input.txt", &lines(0..5));
    let output = dir.file("output.txt");
    let source = dir.properties(
        "source.properties",
        &[
            ("name", "strimzi-src"),
            ("connector.class", "FileStreamSource"),
            ("file", &input.to_string_lossy()),
            ("topic", &topic),
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.default.partitions", "1"),
        ],
    );
    let sink = dir.properties(
        "sink.properties",
        &[
            ("name", "strimzi-sink"),
            ("connector.class", "FileStreamSink"),
            ("file", &output.to_string_lossy()),
            ("topics", &topic),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&source, &sink]);
    let has = |s: &[Sample], name: &str, labels: &[&str]| {
        s.iter()
            .any(|x| x.name == name && labels.iter().all(|l| x.labels.contains_key(*l)))
    };
    let missing = |s: &[Sample]| -> Vec<&str> {
        STRIMZI_DASHBOARD
            .iter()
            .filter(|(name, labels)| !has(s, name, labels))
            .map(|(name, _)| *name)
            .collect()
    };
    let deadline = std::time::Instant::now() + ARRIVAL;
    let samples = loop {
        let s = scrape(port).unwrap_or_default();
        let gone = missing(&s);
        if gone.is_empty() && dir.lines("output.txt").len() == 5 {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "missing from /metrics: {gone:?}; sink lines {}\n{}",
            dir.lines("output.txt").len(),
            sluice.logs()
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    for (name, labels) in STRIMZI_DASHBOARD {
        assert!(has(&samples, name, labels), "{name} {labels:?}");
    }
    // The joins of the status tables match: same connector (and task) labels on both sides.
    assert!(!find(
        &samples,
        "kafka_connect_connector_connector_class",
        &[("connector", "strimzi-src")]
    )
    .is_empty());
    assert!(!find(
        &samples,
        "kafka_connect_connector_task_status",
        &[
            ("connector", "strimzi-sink"),
            ("task", "0"),
            ("status", "running")
        ]
    )
    .is_empty());
    // Admin listeners serve /metrics too.
    let on_admin = scrape(admin_port).expect("/metrics on admin.listeners");
    assert!(has(&on_admin, "kafka_connect_worker_connector_count", &[]));
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );
}

#[test]
fn the_test_parser_refuses_malformed_expositions() {
    let ok = "# HELP a_total x\n# TYPE a counter\na_total{l=\"v\\\"\"} 1\n# TYPE g gauge\ng NaN\n# EOF\n";
    assert_eq!(prom::parse(ok).expect("valid").len(), 2);
    for bad in [
        "# TYPE g gauge\ng 1\n",                    // no EOF
        "# TYPE g gauge\ng{l=\"v} 1\n# EOF\n",      // unterminated label
        "# TYPE g gauge\ng{l=v} 1\n# EOF\n",        // unquoted
        "# TYPE g gauge\ng one\n# EOF\n",           // bad value
        "# TYPE g gauge\nh 1\n# EOF\n",             // outside its family
        "# TYPE g gauge\ng 1\ng 2\n# EOF\n",        // duplicate series
        "g 1\n# EOF\n",                             // no TYPE
        "# TYPE g gauge\ng{l=\"a\\x\"} 1\n# EOF\n", // bad escape
        "# TYPE g gauge\ng 1\n# EOF\ng 2\n",        // after EOF
        "# TYPE 1g gauge\n1g 1\n# EOF\n",           // bad name
    ] {
        assert!(prom::parse(bad).is_err(), "accepted: {bad:?}");
    }
}

#[test]
fn basic_auth_guards_metrics_on_the_main_listeners_only() {
    let dir = TestDir::new();
    let creds = dir.write("connect.password", "prometheus=scrape\n");
    let jaas = dir.write(
        "connect_jaas.conf",
        &format!(
            "KafkaConnect {{\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"{}\";\n}};\n",
            creds.display()
        ),
    );
    let port = free_port();
    let admin_port = free_port();
    let listeners = format!("http://127.0.0.1:{port}");
    let admin = format!("http://127.0.0.1:{admin_port}");
    let jaas = jaas.display().to_string();
    let props = worker_properties(
        &dir,
        &[
            ("listeners", &listeners),
            ("admin.listeners", &admin),
            (
                "rest.extension.classes",
                "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
            ),
            ("java.security.auth.login.config", &jaas),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &props, &[]);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let get = |base: &str, auth: Option<(&str, &str)>| {
        let mut req = client.get(format!("{base}/metrics"));
        if let Some((u, p)) = auth {
            req = req.basic_auth(u, Some(p));
        }
        req.send().ok().map(|r| r.status().as_u16())
    };
    wait_for("the REST API to answer", ARRIVAL, || get(&listeners, None));
    assert_eq!(get(&listeners, None), Some(401));
    assert_eq!(get(&listeners, Some(("prometheus", "wrong"))), Some(401));
    assert_eq!(get(&listeners, Some(("prometheus", "scrape"))), Some(200));
    // Admin listeners have no authentication, as for /admin/loggers.
    assert_eq!(get(&admin, None), Some(200));
    assert!(sluice.terminate().success(), "{}", sluice.logs());
}
