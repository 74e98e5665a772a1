//! `sluice standalone --config-dir DIR`: connectors created over REST survive a restart of
//! the worker, with their config and target state; deleted ones do not.

mod common;
mod rest_util;

use std::path::Path;

use serde_json::{json, Value};

use common::{create_topic, unique_name, unique_topic, TestDir};
use rest_util::{connector_state, task_states, RestWorker};

#[test]
fn rest_created_connectors_survive_a_restart() {
    let dir = TestDir::new();
    let topic = unique_topic("rest-cfgdir", 1);
    create_topic(&topic, 1);
    let input = dir.write("in.txt", "").to_string_lossy().to_string();
    let store = dir.file("connectors");
    let args = [Path::new("--config-dir"), store.as_path()];
    let kept = unique_name("kept");
    let paused = unique_name("paused");
    let gone = unique_name("gone");

    let mut w = RestWorker::start(&dir, "first", &[], &args);
    for name in [&kept, &paused, &gone] {
        let body = json!({"name": name, "config": {
            "connector.class": "FileStreamSource", "file": input, "topic": topic}});
        let r = w.call("POST", "/connectors", Some(&body.to_string()));
        assert_eq!(r.status, 201, "{:?}", r.json);
    }
    let r = w.call(
        "PATCH",
        &format!("/connectors/{kept}/config"),
        Some(r#"{"batch.size": "7"}"#),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(
        w.call("PUT", &format!("/connectors/{paused}/pause"), None)
            .status,
        202
    );
    assert_eq!(
        w.call("DELETE", &format!("/connectors/{gone}"), None)
            .status,
        204
    );
    let mut files: Vec<String> = std::fs::read_dir(&store)
        .expect("config dir")
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    let mut expected = vec![format!("{kept}.json"), format!("{paused}.json")];
    expected.sort();
    assert_eq!(files, expected);
    assert!(w.sluice.terminate().success());

    let w = RestWorker::start(&dir, "second", &[], &args);
    let mut names = vec![kept.clone(), paused.clone()];
    names.sort();
    assert_eq!(w.call("GET", "/connectors", None).json, json!(names));
    let r = w.call("GET", &format!("/connectors/{kept}/config"), None);
    assert_eq!(r.json["batch.size"], "7");
    assert_eq!(r.json["file"], Value::String(input.clone()));
    w.wait_status(&paused, "PAUSED after the restart", |s| {
        connector_state(s) == "PAUSED"
    });
    w.wait_status(&kept, "RUNNING after the restart", |s| {
        connector_state(s) == "RUNNING"
    });
}

/// Writes a stored connector file as a previous worker would have.
fn store(dir: &Path, name: &str, config: Value) {
    let body = json!({"name": name, "config": config});
    std::fs::write(dir.join(format!("{name}.json")), body.to_string()).expect("stored config");
}

#[test]
fn stored_connectors_whose_destination_is_down_come_up_and_restart() {
    let dir = TestDir::new();
    let topic = unique_topic("rest-cfgdir-down", 1);
    create_topic(&topic, 1);
    let store_dir = dir.file("connectors");
    std::fs::create_dir_all(&store_dir).expect("config dir");
    // An Elasticsearch sink whose cluster is down: validating it on restore would fail
    // (connection refused) and stop the worker.
    let es = unique_name("es-down");
    let closed = rest_util::free_port();
    store(
        &store_dir,
        &es,
        json!({"name": es, "connector.class": "ElasticsearchSinkConnector", "topics": topic,
               "connection.url": format!("http://127.0.0.1:{closed}"),
               "key.ignore": "true", "schema.ignore": "true"}),
    );
    // A file sink whose destination directory does not exist yet: its task cannot start.
    let out_dir = dir.file("out");
    let out = out_dir.join("sink.txt");
    let file = unique_name("file-down");
    store(
        &store_dir,
        &file,
        json!({"name": file, "connector.class": "FileStreamSink", "topics": topic,
               "file": out.to_string_lossy()}),
    );

    let args = [Path::new("--config-dir"), store_dir.as_path()];
    let w = RestWorker::start(&dir, "restored", &[], &args);
    let mut names = vec![es.clone(), file.clone()];
    names.sort();
    assert_eq!(w.call("GET", "/connectors", None).json, json!(names));
    w.wait_status(&es, "the Elasticsearch sink restored", |s| {
        !connector_state(s).is_empty()
    });
    let failed = w.wait_status(&file, "the file sink's task FAILED", |s| {
        task_states(s) == ["FAILED"]
    });
    let trace = failed["tasks"][0]["trace"].as_str().unwrap_or("");
    assert!(
        trace.contains("sink.txt"),
        "the trace does not say why: {failed}"
    );

    // The cause goes away: a restart of the failed instances works.
    std::fs::create_dir_all(&out_dir).expect("output dir");
    let r = w.call(
        "POST",
        &format!("/connectors/{file}/restart?includeTasks=true&onlyFailed=true"),
        None,
    );
    assert_eq!(r.status, 202, "{:?}", r.json);
    w.wait_status(&file, "the file sink RUNNING after the restart", |s| {
        connector_state(s) == "RUNNING" && task_states(s) == ["RUNNING"]
    });
}

#[test]
fn a_name_too_long_for_a_file_is_refused_before_anything_runs() {
    let dir = TestDir::new();
    let store_dir = dir.file("connectors");
    let input = dir.write("in.txt", "").to_string_lossy().to_string();
    let args = [Path::new("--config-dir"), store_dir.as_path()];
    let w = RestWorker::start(&dir, "long", &[], &args);
    let name = "n".repeat(300);
    let body = json!({"name": name, "config": {
        "connector.class": "FileStreamSource", "file": input, "topic": "t"}});
    let r = w.call("POST", "/connectors", Some(&body.to_string()));
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert!(
        r.json["message"]
            .as_str()
            .unwrap_or("")
            .contains("too long"),
        "{:?}",
        r.json
    );
    assert_eq!(w.call("GET", "/connectors", None).json, json!([]));
    // A stored config is readable by its owner only.
    let ok = unique_name("ok");
    let body = json!({"name": ok, "config": {
        "connector.class": "FileStreamSource", "file": input, "topic": "t"}});
    assert_eq!(
        w.call("POST", "/connectors", Some(&body.to_string()))
            .status,
        201
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(store_dir.join(format!("{ok}.json"))).expect("stored file");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
}
