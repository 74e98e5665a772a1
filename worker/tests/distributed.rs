//! `sluice distributed`: worker processes forming a group, sharing connectors and tasks, and
//! keeping every piece of state in the three internal topics.
//!
//! Which broker each test uses, and why:
//! * Crash failover runs against librdkafka's mock cluster, hosted in this test process
//!   (`rdkafka::mocking::MockCluster`): tansu 0.6.0 never reassigns the work of a member that
//!   died without LeaveGroup (survivors rejoin into the same generation with the old
//!   assignment), while the mock cluster expires the member after its session timeout and
//!   rebalances, as Kafka does.
//! * Cluster-wide operations and a full restart (every worker stopped, state restored from
//!   the topics alone) run on the mock cluster too, which outlives the workers: on tansu a
//!   worker restarted into the group once waited over 90 s to join while tansu's
//!   coordinator raced generations for a member that had left during a rebalance.
//! * Topics pre-loaded in Java's format run against the real broker (tansu,
//!   `SLUICE_BOOTSTRAP_SERVERS`), which creates the internal topics as a worker asks.

mod common;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use serde_json::{json, Value};

use common::kafka::{read_all_keys_at, read_all_values_at};
use common::wait::{wait_for, wait_until_explained};
use common::{bootstrap_servers, create_topic, produce, unique_name, Sluice, TestDir};

const START: Duration = Duration::from_secs(90);
const SETTLE: Duration = Duration::from_secs(120);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One worker of a test cluster: its properties file, port and process.
struct Node {
    tag: String,
    port: u16,
    props: PathBuf,
    process: Option<Sluice>,
}

impl Node {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn worker_id(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn start(&mut self, dir: &TestDir) {
        self.process = Some(Sluice::distributed(dir, &self.tag, &self.props));
        // `/health` answers 200 once the worker joined the group.
        let url = self.url("/health");
        wait_until_explained(
            &format!("{} to join its group", self.tag),
            START,
            || reqwest::blocking::get(&url).is_ok_and(|r| r.status().is_success()),
            || self.logs(),
        );
    }

    fn logs(&self) -> String {
        self.process.as_ref().map(Sluice::logs).unwrap_or_default()
    }
}

/// A cluster of `n` workers in one group, over the broker at `bootstrap`.
struct Cluster {
    dir: TestDir,
    nodes: Vec<Node>,
}

impl Cluster {
    fn new(bootstrap: &str, prefix: &str, n: usize, extra: &[(&str, &str)]) -> Self {
        let dir = TestDir::new();
        let group = unique_name(prefix);
        let mut nodes = Vec::new();
        for i in 0..n {
            let port = free_port();
            let port_s = port.to_string();
            let listener = format!("http://127.0.0.1:{port}");
            let mut pairs: Vec<(&str, &str)> = vec![
                ("bootstrap.servers", bootstrap),
                ("group.id", &group),
                ("config.storage.topic", "configs"),
                ("offset.storage.topic", "offsets"),
                ("status.storage.topic", "status"),
                ("config.storage.replication.factor", "1"),
                ("offset.storage.replication.factor", "1"),
                ("status.storage.replication.factor", "1"),
                ("offset.storage.partitions", "3"),
                ("status.storage.partitions", "2"),
                (
                    "key.converter",
                    "org.apache.kafka.connect.storage.StringConverter",
                ),
                (
                    "value.converter",
                    "org.apache.kafka.connect.storage.StringConverter",
                ),
                ("listeners", &listener),
                ("rest.advertised.host.name", "127.0.0.1"),
                ("rest.advertised.port", &port_s),
                ("heartbeat.interval.ms", "1000"),
                ("session.timeout.ms", "6000"),
                ("scheduled.rebalance.max.delay.ms", "2000"),
                ("offset.flush.interval.ms", "500"),
                ("task.shutdown.graceful.timeout.ms", "5000"),
            ];
            for (k, v) in extra {
                pairs.retain(|(key, _)| key != k);
                pairs.push((k, v));
            }
            // Topic names carry the group's unique name.
            let topics: Vec<(String, String)> = ["configs", "offsets", "status"]
                .iter()
                .map(|t| (t.to_string(), format!("{group}-{t}")))
                .collect();
            let owned: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| {
                    let v = topics
                        .iter()
                        .find(|(t, _)| t == v)
                        .map_or(v.to_string(), |(_, name)| name.clone());
                    (k.to_string(), v)
                })
                .collect();
            let refs: Vec<(&str, &str)> = owned
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let props = dir.properties(&format!("worker{i}.properties"), &refs);
            nodes.push(Node {
                tag: format!("worker{i}"),
                port,
                props,
                process: None,
            });
        }
        Cluster { dir, nodes }
    }

    fn group_topics(&self) -> String {
        // Every node has the same group; read it back from the first file.
        let text = std::fs::read_to_string(&self.nodes[0].props).expect("props");
        text.lines()
            .find_map(|l| l.strip_prefix("group.id="))
            .expect("group.id")
            .to_string()
    }

    fn start_all(&mut self) {
        for node in &mut self.nodes {
            node.start(&self.dir);
        }
    }

    /// Waits up to `SETTLE` for `done`, printing every worker's log on a timeout.
    fn wait(&self, what: &str, done: impl FnMut() -> bool) {
        wait_until_explained(what, SETTLE, done, || self.logs());
    }

    fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("===== {} =====\n{}", n.tag, n.logs()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn get(url: &str) -> (u16, Value) {
    let r = reqwest::blocking::get(url).unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn send(method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(method.clone(), url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn file_source(name: &str, file: &std::path::Path, topic: &str) -> Value {
    json!({
        "name": name,
        "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "file": file.to_string_lossy(),
            "topic": topic,
            "tasks.max": "1",
        }
    })
}

/// The connector's status as seen by `node`, when the connector and its one task run.
fn running_on(node: &Node, name: &str) -> Option<(String, String)> {
    let (code, status) = get(&node.url(&format!("/connectors/{name}/status")));
    if code != 200 || status["connector"]["state"] != "RUNNING" {
        return None;
    }
    let task = status["tasks"].as_array()?.first()?.clone();
    if task["state"] != "RUNNING" {
        return None;
    }
    Some((
        status["connector"]["worker_id"].as_str()?.to_string(),
        task["worker_id"].as_str()?.to_string(),
    ))
}

fn lines(prefix: &str, range: std::ops::Range<usize>) -> String {
    range.map(|i| format!("{prefix}-{i}\n")).collect()
}

fn expected(prefix: &str, range: std::ops::Range<usize>) -> BTreeSet<String> {
    range.map(|i| format!("{prefix}-{i}")).collect()
}

fn missing(bootstrap: &str, topic: &str, want: &BTreeSet<String>) -> Vec<String> {
    let seen: BTreeSet<String> = read_all_values_at(bootstrap, topic).into_iter().collect();
    want.difference(&seen).cloned().collect()
}

/// The task-config records (`task-<c>-<n>` and `commit-<c>`) in the group's config topic.
/// Java writes task configs only when the connector generates ones that differ from those
/// stored: a worker joining or leaving, or a connector moving, writes none, and so triggers
/// no rebalance beyond the cooperative protocol's own rounds.
fn task_config_records(bootstrap: &str, group: &str) -> Vec<String> {
    read_all_keys_at(bootstrap, &format!("{group}-configs"))
        .into_iter()
        .filter(|k| k.starts_with("task-") || k.starts_with("commit-"))
        .collect()
}

/// The workers started by a mock-cluster test pause 200 ms before a leader's SyncGroup: the
/// mock cluster drops a follower whose SyncGroup arrives after the leader's (see
/// `MOCK_BROKER_SYNC_PAUSE_ENV` in the membership client). Set before any worker starts;
/// inherited by every worker process of this test binary.
fn mock_broker_sync_pause() {
    std::env::set_var(
        sluice_worker::distributed::membership::member::MOCK_BROKER_SYNC_PAUSE_ENV,
        "200",
    );
}

/// A cluster of `n` workers on a mock cluster hosted in this process, with the group's
/// internal topics and its `<group>-out` topic made up front (the mock cluster has no
/// CreateTopics). Returns the mock cluster (keep it: it must outlive the workers), its
/// bootstrap servers, the cluster and the out topic's name.
fn on_mock_cluster(
    prefix: &str,
    n: usize,
    extra: &[(&str, &str)],
) -> (
    MockCluster<'static, DefaultProducerContext>,
    String,
    Cluster,
    String,
) {
    mock_broker_sync_pause();
    let mock = MockCluster::new(1).unwrap_or_else(|e| panic!("mock cluster: {e}"));
    let bootstrap = mock.bootstrap_servers();
    let cluster = Cluster::new(&bootstrap, prefix, n, extra);
    let group = cluster.group_topics();
    for (t, p) in [
        ("configs", 1),
        ("offsets", 3),
        ("status", 2),
        ("out", 1),
        ("own-offsets", 3),
    ] {
        mock.create_topic(&format!("{group}-{t}"), p, 1)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    (mock, bootstrap, cluster, format!("{group}-out"))
}

#[test]
fn a_killed_worker_s_tasks_move_to_the_survivors_and_come_back_on_the_mock_cluster() {
    let (_mock, bootstrap, mut cluster, out) = on_mock_cluster("dist-crash", 3, &[]);
    let group = cluster.group_topics();
    cluster.start_all();

    // Three connectors, each created through a different worker (followers forward).
    let mut files = Vec::new();
    for i in 0..3 {
        let file = cluster
            .dir
            .write(&format!("in{i}.txt"), &lines(&format!("c{i}"), 0..50));
        let (code, body) = send(
            "POST",
            &cluster.nodes[i].url("/connectors"),
            Some(file_source(&format!("c{i}"), &file, &out)),
        );
        assert_eq!(code, 201, "create c{i} through worker {i}: {body}");
        files.push(file);
    }
    // A sink copies the topic into a file: its consumer-group offsets must carry on.
    let sink_file = cluster.dir.file("sink.txt");
    let (code, body) = send(
        "POST",
        &cluster.nodes[2].url("/connectors"),
        Some(json!({
            "name": "sink",
            "config": {
                "connector.class": "FileStreamSink",
                "file": sink_file.to_string_lossy(),
                "topics": out,
                "tasks.max": "1",
            }
        })),
    );
    assert_eq!(code, 201, "create the sink: {body}");
    let placement = wait_for("every connector and task RUNNING", SETTLE, || {
        (0..3)
            .map(|i| running_on(&cluster.nodes[0], &format!("c{i}")))
            .collect::<Option<Vec<_>>>()
            .filter(|_| running_on(&cluster.nodes[0], "sink").is_some())
    });
    // One set of task configs per connector, written when it was created.
    let task_configs = task_config_records(&bootstrap, &group);
    assert_eq!(
        task_configs.len(),
        8,
        "a task config and a commit per connector: {task_configs:?}"
    );
    let workers: BTreeSet<&String> = placement.iter().flat_map(|(c, t)| [c, t]).collect();
    assert!(
        workers.len() >= 2,
        "work spread over the workers: {placement:?}"
    );
    // Every worker answers with the same cluster view.
    for node in &cluster.nodes {
        let (_, list) = get(&node.url("/connectors"));
        assert_eq!(list, json!(["c0", "c1", "c2", "sink"]), "{}", node.tag);
    }

    // SIGKILL the worker that runs the task of c0.
    let victim_id = placement[0].1.clone();
    let victim = cluster
        .nodes
        .iter()
        .position(|n| n.worker_id() == victim_id)
        .expect("the victim is one of ours");
    cluster.nodes[victim]
        .process
        .as_mut()
        .expect("running")
        .kill();
    let survivor = (victim + 1) % 3;
    cluster.wait("the killed worker's tasks RUNNING on survivors", || {
        (0..3).all(|i| {
            running_on(&cluster.nodes[survivor], &format!("c{i}"))
                .is_some_and(|(c, t)| c != victim_id && t != victim_id)
        })
    });
    // No source record lost: lines written before and after the crash all arrive.
    for (i, file) in files.iter().enumerate() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(file)
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, lines(&format!("c{i}"), 50..80).as_bytes())
            })
            .expect("append");
    }
    let mut want = BTreeSet::new();
    for i in 0..3 {
        want.extend(expected(&format!("c{i}"), 0..80));
    }
    cluster.wait("every line in the output topic", || {
        missing(&bootstrap, &out, &want).is_empty()
    });
    cluster.wait("every line in the sink's file", || {
        let copied: BTreeSet<String> = std::fs::read_to_string(&sink_file)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        want.is_subset(&copied)
    });

    // The restarted worker rejoins and gets work back.
    cluster.nodes[victim].start(&cluster.dir);
    let deadline = std::time::Instant::now() + SETTLE;
    while !((0..3).all(|i| running_on(&cluster.nodes[victim], &format!("c{i}")).is_some())
        && running_on(&cluster.nodes[victim], "sink").is_some()
        // Which connector or task comes back is the assignor's choice (the balance is one
        // connector and one task per worker, and the sink is as good as a source).
        && ["c0", "c1", "c2", "sink"].iter().any(|name| {
            running_on(&cluster.nodes[victim], name)
                .is_some_and(|(c, t)| c == victim_id || t == victim_id)
        }))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the restarted worker never ran anything again; its log:\n{}\nthe others':\n{}\n{}",
            cluster.nodes[victim].logs(),
            cluster.nodes[survivor].logs(),
            cluster.nodes[(victim + 2) % 3].logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Connectors moved to the survivors and back to the rejoined worker, each started again
    // there: none wrote its (unchanged) task configs again.
    assert_eq!(
        task_config_records(&bootstrap, &group),
        task_configs,
        "task configs written again when work moved; the logs:\n{}",
        cluster.logs()
    );

    // All three stop and start again: everything comes back from the topics alone, and
    // the sources continue from their offsets. As Java's `halt`, a stopping worker stops
    // its tasks before it leaves the group (with a short scheduled.rebalance.max.delay.ms
    // the others would otherwise start them while they still run here).
    let mut stopped_tasks = 0;
    for node in &mut cluster.nodes {
        let process = node.process.as_mut().expect("running");
        process.terminate();
        let logs = process.logs();
        let shutdown = &logs[logs.rfind("Shutting down").unwrap_or(0)..];
        let left = shutdown.find("Left group.");
        assert!(
            left.is_some(),
            "{} did not leave the group:\n{logs}",
            node.tag
        );
        if let Some(stopped) = shutdown.rfind("task stopped.") {
            stopped_tasks += 1;
            assert!(
                Some(stopped) < left,
                "{}: its tasks stopped after it left the group:\n{logs}",
                node.tag
            );
        }
    }
    assert!(
        stopped_tasks > 0,
        "no worker stopped a task: {}",
        cluster.logs()
    );
    cluster.start_all();
    cluster.wait("every connector RUNNING after a full restart", || {
        (0..3).all(|i| running_on(&cluster.nodes[1], &format!("c{i}")).is_some())
            && running_on(&cluster.nodes[1], "sink").is_some()
    });
    for (i, file) in files.iter().enumerate() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(file)
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, lines(&format!("c{i}"), 80..90).as_bytes())
            })
            .expect("append");
        want.extend(expected(&format!("c{i}"), 80..90));
    }
    cluster.wait("the lines written after the restart", || {
        missing(&bootstrap, &out, &want).is_empty()
    });
    assert_eq!(
        task_config_records(&bootstrap, &group),
        task_configs,
        "task configs written again after a full restart"
    );
    drop(cluster);
}

#[test]
fn cluster_operations_and_a_full_restart_keep_everything_in_the_topics() {
    // On the mock cluster, which outlives the workers: tansu's coordinator can keep a
    // member that left during a rebalance and then race generations for it, so a worker
    // restarted into the group was once seen waiting over 90 s to join.
    let (_mock, bootstrap, mut cluster, out) = on_mock_cluster("dist-restart", 2, &[]);
    cluster.start_all();
    let nodes = &cluster.nodes;

    let file_a = cluster.dir.write("a.txt", &lines("a", 0..40));
    let file_b = cluster.dir.write("b.txt", &lines("b", 0..5));
    // Created through the second worker: a follower forwards it to the leader.
    let (code, body) = send(
        "POST",
        &nodes[1].url("/connectors"),
        Some(file_source("a", &file_a, &out)),
    );
    assert_eq!(code, 201, "{body}\n{}", cluster.logs());
    let (code, body) = send(
        "POST",
        &nodes[0].url("/connectors"),
        Some(file_source("b", &file_b, &out)),
    );
    assert_eq!(code, 201, "{body}");
    // A source with its own offsets topic (KIP-618): its offsets are written there and copied
    // to the worker's topic, and the offsets endpoint reads them.
    let group = cluster.group_topics();
    let file_o = cluster.dir.write("o.txt", &lines("o", 0..3));
    let mut own = file_source("own", &file_o, &out);
    own["config"]["offsets.storage.topic"] = json!(format!("{group}-own-offsets"));
    let (code, body) = send("POST", &nodes[0].url("/connectors"), Some(own));
    assert_eq!(code, 201, "{body}");
    let key = format!(
        "[\"own\",{{\"filename\":{}}}]",
        serde_json::to_string(&file_o.to_string_lossy()).expect("json")
    );
    cluster.wait("own's offset in its own topic and the worker's", || {
        read_all_keys_at(&bootstrap, &format!("{group}-own-offsets")).contains(&key)
            && read_all_keys_at(&bootstrap, &format!("{group}-offsets")).contains(&key)
    });
    cluster.wait("own's offset through the offsets endpoint", || {
        let (_, body) = get(&nodes[1].url("/connectors/own/offsets"));
        body["offsets"][0]["offset"]["position"] == json!(lines("o", 0..3).len())
    });
    let (code, body) = send("DELETE", &nodes[1].url("/connectors/own"), None);
    assert_eq!(code, 204, "{body}");
    // A distributed worker has no exactly-once source support and says so, as Java's does
    // when it is disabled (tools read this answer to learn what the cluster can do).
    let mut eos = file_source("eos", &file_a, &out);
    eos["config"]["exactly.once.support"] = json!("required");
    eos["config"]["name"] = json!("eos");
    let (code, body) = send(
        "PUT",
        &nodes[0].url("/connector-plugins/FileStreamSource/config/validate"),
        Some(eos["config"].clone()),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["error_count"], 1, "{body}");
    let (code, body) = send("POST", &nodes[1].url("/connectors"), Some(eos));
    assert_eq!(code, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("This worker does not have exactly-once source support enabled."),
        "{body}"
    );
    // A duplicate is refused cluster-wide.
    let (code, _) = send(
        "POST",
        &nodes[1].url("/connectors"),
        Some(file_source("a", &file_a, &out)),
    );
    assert_eq!(code, 409);
    cluster.wait("a and b RUNNING", || {
        running_on(&nodes[0], "a").is_some() && running_on(&nodes[1], "b").is_some()
    });
    cluster.wait("a's lines in the topic", || {
        missing(&bootstrap, &out, &expected("a", 0..40)).is_empty()
    });

    // Active topics (KIP-558), from the status topic on every worker; an unknown connector
    // has none, as in Java.
    let topics_of_a = |node: &Node| get(&node.url("/connectors/a/topics")).1["a"]["topics"].clone();
    cluster.wait("a's topic among its active topics on both workers", || {
        nodes.iter().all(|n| topics_of_a(n) == json!([&out]))
    });
    let (code, body) = get(&nodes[1].url("/connectors/nope/topics"));
    assert_eq!((code, body), (200, json!({"nope": {"topics": []}})));
    // A reset through either worker (one runs a's task, the other does not) clears them on
    // both; the task records the topic again with its next record.
    for (i, node) in nodes.iter().enumerate() {
        let (code, body) = send("PUT", &node.url("/connectors/a/topics/reset"), None);
        assert_eq!(code, 202, "{}: {body}", node.tag);
        cluster.wait("a's active topics reset on both workers", || {
            nodes.iter().all(|n| topics_of_a(n) == json!([]))
        });
        let more = 40 + i * 5..45 + i * 5;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&file_a)
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, lines("a", more.clone()).as_bytes())
            })
            .expect("append");
        cluster.wait("a's topic active again on both workers", || {
            nodes.iter().all(|n| topics_of_a(n) == json!([&out]))
        });
    }

    // Restarts reach the worker that runs the connector, whichever worker gets them.
    for node in nodes {
        let (code, body) = send(
            "POST",
            &node.url("/connectors/a/restart?includeTasks=true"),
            None,
        );
        assert_eq!(code, 202, "{}: {body}", node.tag);
        assert_eq!(body["connector"]["state"], "RESTARTING", "{body}");
        assert_eq!(body["tasks"][0]["state"], "RESTARTING", "{body}");
        cluster.wait("a RUNNING after the restart", || {
            running_on(&nodes[0], "a").is_some()
        });
        let (code, body) = send("POST", &node.url("/connectors/a/tasks/0/restart"), None);
        assert_eq!(code, 204, "{}: {body}", node.tag);
        let (code, body) = send("POST", &node.url("/connectors/a/restart"), None);
        assert_eq!(code, 204, "{}: {body}", node.tag);
    }
    cluster.wait("a RUNNING after the restarts", || {
        running_on(&nodes[1], "a").is_some()
    });

    // Pause through one worker, seen on the other.
    let (code, _) = send("PUT", &nodes[1].url("/connectors/a/pause"), None);
    assert_eq!(code, 202);
    cluster.wait("a PAUSED", || {
        let (_, s) = get(&nodes[0].url("/connectors/a/status"));
        s["connector"]["state"] == "PAUSED" && s["tasks"][0]["state"] == "PAUSED"
    });
    // Stop b: STOPPED, no tasks.
    let (code, body) = send("PUT", &nodes[1].url("/connectors/b/stop"), None);
    assert_eq!(code, 204, "{body}");
    cluster.wait("b STOPPED without tasks", || {
        let (_, s) = get(&nodes[0].url("/connectors/b/status"));
        s["connector"]["state"] == "STOPPED" && s["tasks"] == json!([])
    });
    // Create and delete c.
    let (code, _) = send(
        "POST",
        &nodes[0].url("/connectors"),
        Some(file_source("c", &file_b, &out)),
    );
    assert_eq!(code, 201);
    let topics_of_c = |node: &Node| get(&node.url("/connectors/c/topics")).1["c"]["topics"].clone();
    cluster.wait("c's topic among its active topics", || {
        nodes.iter().all(|n| topics_of_c(n) == json!([&out]))
    });
    let (code, body) = send("DELETE", &nodes[1].url("/connectors/c"), None);
    assert_eq!(code, 204, "{body}");
    cluster.wait("c gone everywhere", || {
        nodes.iter().all(|n| get(&n.url("/connectors/c")).0 == 404)
    });
    // As in Java, the deleted connector's active topics are reset once its task stopped.
    cluster.wait("c's active topics reset", || {
        nodes.iter().all(|n| topics_of_c(n) == json!([]))
    });

    // Every worker stops; the cluster restarts from the topics alone.
    for node in &mut cluster.nodes {
        node.process.as_mut().expect("running").terminate();
    }
    cluster.start_all();
    let nodes = &cluster.nodes;
    cluster.wait("a PAUSED and b STOPPED after the restart", || {
        let (_, a) = get(&nodes[1].url("/connectors/a/status"));
        let (_, b) = get(&nodes[1].url("/connectors/b/status"));
        a["connector"]["state"] == "PAUSED" && b["connector"]["state"] == "STOPPED"
    });
    let (_, list) = get(&nodes[0].url("/connectors"));
    assert_eq!(list, json!(["a", "b"]));
    // The listing with statuses (all read from one copy of the config state) says the same.
    let (code, expanded) = get(&nodes[1].url("/connectors?expand=status"));
    assert_eq!(code, 200, "{expanded}");
    assert_eq!(expanded["a"]["status"]["connector"]["state"], "PAUSED");
    assert_eq!(expanded["b"]["status"]["connector"]["state"], "STOPPED");
    assert_eq!(expanded["b"]["status"]["tasks"], json!([]));
    assert_eq!(expanded["a"]["status"]["type"], "source");
    // Resume a: it continues from its committed offset (nothing read twice).
    let (code, _) = send("PUT", &nodes[0].url("/connectors/a/resume"), None);
    assert_eq!(code, 202);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file_a)
        .and_then(|mut f| std::io::Write::write_all(&mut f, lines("a", 50..60).as_bytes()))
        .expect("append");
    cluster.wait("a's new lines in the topic", || {
        missing(&bootstrap, &out, &expected("a", 0..60)).is_empty()
    });
    let values = read_all_values_at(&bootstrap, &out);
    let a_count = values.iter().filter(|v| v.starts_with("a-")).count();
    assert_eq!(a_count, 60, "each line of a once: {values:?}");
}

#[test]
fn a_cluster_starts_connectors_from_topics_written_in_java_s_format() {
    let bootstrap = bootstrap_servers();
    let mut cluster = Cluster::new(&bootstrap, "dist-java", 1, &[]);
    let group = cluster.group_topics();
    let out = format!("{group}-out");
    create_topic(&out, 1);
    create_topic(&format!("{group}-configs"), 1);
    create_topic(&format!("{group}-offsets"), 3);
    let file = cluster.dir.write("java.txt", &lines("j", 0..30));
    let path = file.to_string_lossy().to_string();
    // The byte offset after the first 10 lines ("j-0\n" … "j-9\n": 10 × 4 bytes).
    let position = 40;
    // Records exactly as a Java worker writes them (JsonConverter, schemas disabled).
    let connector = format!(
        r#"{{"properties":{{"connector.class":"org.apache.kafka.connect.file.FileStreamSourceConnector","file":"{path}","topic":"{out}","tasks.max":"1","name":"jsrc"}}}}"#
    );
    let task = format!(
        r#"{{"properties":{{"task.class":"org.apache.kafka.connect.file.FileStreamSourceTask","file":"{path}","topic":"{out}","batch.size":"2000"}}}}"#
    );
    produce(
        &format!("{group}-configs"),
        &[
            (Some(b"connector-jsrc"), Some(connector.as_bytes())),
            (Some(b"task-jsrc-0"), Some(task.as_bytes())),
            (Some(b"commit-jsrc"), Some(br#"{"tasks":1}"#)),
        ],
    );
    let key = format!(r#"["jsrc",{{"filename":"{path}"}}]"#);
    let value = format!(r#"{{"position":{position}}}"#);
    produce(
        &format!("{group}-offsets"),
        &[(Some(key.as_bytes()), Some(value.as_bytes()))],
    );
    cluster.start_all();
    let node = &cluster.nodes[0];
    cluster.wait("jsrc RUNNING", || running_on(node, "jsrc").is_some());
    cluster.wait("lines after the stored offset", || {
        missing(&bootstrap, &out, &expected("j", 10..30)).is_empty()
    });
    let values = read_all_values_at(&bootstrap, &out);
    assert!(
        !values.iter().any(|v| expected("j", 0..10).contains(v)),
        "lines before the Java offset were not read again: {values:?}"
    );
    let (_, offsets) = get(&node.url("/connectors/jsrc/offsets"));
    assert_eq!(
        offsets["offsets"][0]["partition"],
        json!({"filename": path}),
        "{offsets}"
    );
}

#[test]
fn the_eager_protocol_shares_work_on_the_mock_cluster() {
    let (_mock, bootstrap, mut cluster, out) =
        on_mock_cluster("dist-eager", 2, &[("connect.protocol", "eager")]);
    cluster.start_all();
    for i in 0..2 {
        let file = cluster
            .dir
            .write(&format!("e{i}.txt"), &lines(&format!("e{i}"), 0..20));
        let (code, body) = send(
            "POST",
            &cluster.nodes[i].url("/connectors"),
            Some(file_source(&format!("e{i}"), &file, &out)),
        );
        assert_eq!(code, 201, "{body}");
    }
    let placement = wait_for("both connectors RUNNING", SETTLE, || {
        (0..2)
            .map(|i| running_on(&cluster.nodes[1], &format!("e{i}")))
            .collect::<Option<Vec<_>>>()
    });
    let workers: BTreeSet<&String> = placement.iter().flat_map(|(c, t)| [c, t]).collect();
    assert_eq!(
        workers.len(),
        2,
        "both workers run something: {placement:?}"
    );
    let mut want = expected("e0", 0..20);
    want.extend(expected("e1", 0..20));
    cluster.wait("every line in the output topic", || {
        missing(&bootstrap, &out, &want).is_empty()
    });
}
