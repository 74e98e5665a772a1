//! `sluice standalone` refuses unusable configuration files: it exits non-zero with a
//! message naming the file and the key (issue 2, "Must show").

mod common;

use std::path::Path;
use std::time::Duration;

use common::{unique_name, unique_topic, worker_properties, Sluice, TestDir};

/// Bound for a worker to give up on a bad configuration.
const EXIT: Duration = Duration::from_secs(30);

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs the worker, which must fail, and returns what it printed.
fn run_failing(dir: &TestDir, args: &[&Path]) -> String {
    let (status, output) = Sluice::run_to_exit(dir, "bad", args, EXIT);
    assert!(
        !status.success(),
        "sluice accepted a bad configuration (status {status}); it printed:\n{output}"
    );
    output
}

fn assert_names(output: &str, what: &[&str]) {
    for w in what {
        assert!(
            output.contains(w),
            "the message does not name {w:?}:\n{output}"
        );
    }
}

#[test]
fn malformed_worker_properties_syntax_names_the_file() {
    let dir = TestDir::new();
    let worker = dir.write(
        "broken-worker.properties",
        "bootstrap.servers=127.0.0.1:9092\nvalue.converter=bad\\u00zzescape\n",
    );
    let output = run_failing(&dir, &[&worker]);
    assert_names(&output, &[&file_name(&worker)]);
}

#[test]
fn invalid_worker_value_names_the_file_and_key() {
    let dir = TestDir::new();
    let worker = worker_properties(&dir, &[("offset.flush.interval.ms", "soon")]);
    let output = run_failing(&dir, &[&worker]);
    assert_names(&output, &[&file_name(&worker), "offset.flush.interval.ms"]);
}

#[test]
fn missing_required_worker_key_names_the_file_and_key() {
    let dir = TestDir::new();
    let worker = dir.properties(
        "no-offsets-worker.properties",
        &[
            ("bootstrap.servers", &common::bootstrap_servers()),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("listeners", "http://127.0.0.1:0"),
        ],
    );
    let output = run_failing(&dir, &[&worker]);
    assert_names(
        &output,
        &[&file_name(&worker), "offset.storage.file.filename"],
    );
}

#[test]
fn malformed_connector_json_names_the_file() {
    let dir = TestDir::new();
    let worker = worker_properties(&dir, &[]);
    let connector = dir.write("broken-connector.json", r#"{"name": "x", "config": {"#);
    let output = run_failing(&dir, &[&worker, &connector]);
    assert_names(&output, &[&file_name(&connector)]);
}

#[test]
fn unknown_connector_class_names_the_file_key_and_class() {
    let dir = TestDir::new();
    let worker = worker_properties(&dir, &[]);
    let connector = dir.properties(
        "unknown-class.properties",
        &[
            ("name", &unique_name("unknown")),
            ("connector.class", "com.example.NoSuchConnector"),
            ("topic", "t"),
        ],
    );
    let output = run_failing(&dir, &[&worker, &connector]);
    assert_names(
        &output,
        &[
            &file_name(&connector),
            "connector.class",
            "com.example.NoSuchConnector",
        ],
    );
}

#[test]
fn missing_required_connector_key_names_the_file_and_key() {
    let dir = TestDir::new();
    let worker = worker_properties(&dir, &[]);
    let input = dir.write("input.txt", "x\n");
    let connector = dir.properties(
        "no-topic-source.properties",
        &[
            ("name", &unique_name("no-topic")),
            ("connector.class", "FileStreamSource"),
            ("file", &input.to_string_lossy()),
        ],
    );
    let output = run_failing(&dir, &[&worker, &connector]);
    assert_names(&output, &[&file_name(&connector), "\"topic\""]);
}

#[test]
fn a_valid_configuration_is_accepted_and_stops_cleanly_on_sigterm() {
    // The counterpart of the tests above: the same kind of files, valid, start and stop.
    let dir = TestDir::new();
    let topic = unique_topic("config-ok", 1);
    let worker = worker_properties(&dir, &[]);
    let input = dir.write("input.txt", "x\n");
    let connector = dir.properties(
        "ok-source.properties",
        &[
            ("name", &unique_name("ok")),
            ("connector.class", "FileStreamSource"),
            ("file", &input.to_string_lossy()),
            ("topic", &topic),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "ok", &worker, &[&connector]);
    common::consume(&topic, 1, Duration::from_secs(60));
    assert!(sluice.is_running(), "worker exited:\n{}", sluice.logs());
    let status = sluice.terminate();
    assert!(status.success(), "exit status {status}:\n{}", sluice.logs());
}

#[test]
fn unreadable_https_keystore_names_the_file_key_and_keystore() {
    let dir = TestDir::new();
    let keystore = dir.file("missing-keystore.p12");
    let keystore = keystore.to_string_lossy();
    let worker = worker_properties(
        &dir,
        &[
            ("listeners", "https://127.0.0.1:0"),
            ("listeners.https.ssl.keystore.location", &keystore),
            ("listeners.https.ssl.keystore.password", "changeit"),
        ],
    );
    let output = run_failing(&dir, &[&worker]);
    assert_names(
        &output,
        &[
            &file_name(&worker),
            "listeners.https.ssl.keystore.location",
            &keystore,
        ],
    );
}

#[test]
fn invalid_response_header_rule_names_the_file_key_and_rule() {
    let dir = TestDir::new();
    let worker = worker_properties(
        &dir,
        &[(
            "response.http.headers.config",
            "set X-Frame-Options:DENY, frob X-A:b",
        )],
    );
    let output = run_failing(&dir, &[&worker]);
    assert_names(
        &output,
        &[
            &file_name(&worker),
            "response.http.headers.config",
            "Invalid header config action: 'frob'",
        ],
    );
}

#[test]
fn worker_client_settings_that_run_commands_are_refused_naming_the_file_and_key() {
    // Issue 9, item 9: librdkafka runs `sasl.kerberos.kinit.cmd` through a shell and loads
    // `plugin.library.paths`; neither may come in through the worker config, whatever the
    // prefix.
    for key in [
        "sasl.kerberos.kinit.cmd",
        "producer.sasl.kerberos.kinit.cmd",
        "consumer.plugin.library.paths",
        "admin.ssl.engine.location",
    ] {
        let dir = TestDir::new();
        let marker = dir.file("ran");
        let command = format!("touch {}", marker.display());
        let worker = worker_properties(&dir, &[(key, &command)]);
        let output = run_failing(&dir, &[&worker]);
        assert_names(&output, &[&file_name(&worker), key]);
        assert!(!marker.exists(), "{key}: the command ran");
    }
}

#[test]
fn connector_client_overrides_that_run_commands_are_refused_naming_the_file_and_key() {
    let dir = TestDir::new();
    let worker = worker_properties(&dir, &[]);
    let input = dir.write("input.txt", "x\n");
    let key = "producer.override.sasl.kerberos.kinit.cmd";
    let connector = dir.properties(
        "kinit-source.properties",
        &[
            ("name", &unique_name("kinit")),
            ("connector.class", "FileStreamSource"),
            ("file", &input.to_string_lossy()),
            ("topic", &unique_topic("kinit", 1)),
            (key, "touch /tmp/sluice-kinit-ran"),
        ],
    );
    let output = run_failing(&dir, &[&worker, &connector]);
    assert_names(&output, &[&file_name(&connector), key]);
}
