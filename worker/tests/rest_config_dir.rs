//! `sluice standalone --config-dir DIR`: connectors created over REST survive a restart of
//! the worker, with their config and target state; deleted ones do not.

mod common;
mod rest_util;

use std::path::Path;

use serde_json::{json, Value};

use common::{create_topic, unique_name, unique_topic, TestDir};
use rest_util::{connector_state, RestWorker};

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
