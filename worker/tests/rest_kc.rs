//! `kc` from the PyPI package kafka-connect-py, an independent client written against Java
//! Connect's REST API, drives a Sluice worker: list, create, status, pause, resume, restart,
//! delete. `bench/rest/python-tools` installs it (with pip) when missing; when it cannot,
//! this test fails with its message.

mod common;
mod rest_util;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

use common::{create_topic, unique_name, unique_topic, TestDir};
use rest_util::{connector_state, task_states, RestWorker};

/// The virtualenv bin directory holding `kc`, installed by the repository's script.
fn kc_bin() -> PathBuf {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/rest/python-tools");
    let out = Command::new(script)
        .arg("kafka-connect-py")
        .output()
        .unwrap_or_else(|e| panic!("running {script}: {e}"));
    assert!(
        out.status.success(),
        "could not install kafka-connect-py (kc) with {script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("kc");
    assert!(
        bin.exists(),
        "{} is missing after the install",
        bin.display()
    );
    bin
}

/// Runs `kc --url BASE ARGS…`, asserting success; returns stdout.
fn kc(bin: &PathBuf, base: &str, args: &[&str]) -> String {
    let out = Command::new(bin)
        .arg("--url")
        .arg(base)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running kc: {e}"));
    assert!(
        out.status.success(),
        "kc {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `kc` prints JSON; parse it.
fn json_of(text: &str) -> Value {
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("kc printed non-JSON ({e}): {text}"))
}

#[test]
fn kc_drives_the_connector_lifecycle() {
    let bin = kc_bin();
    let dir = TestDir::new();
    let topic = unique_topic("rest-kc", 1);
    create_topic(&topic, 1);
    let input = dir.write("in.txt", "a\n").to_string_lossy().to_string();
    let w = RestWorker::start(&dir, "worker", &[], &[]);
    let name = unique_name("kc");

    assert_eq!(json_of(&kc(&bin, &w.base, &["list"])), json!([]));
    let create = json!({"name": name, "config": {
        "connector.class": "FileStreamSource", "file": input, "topic": topic}});
    let created = json_of(&kc(&bin, &w.base, &["create", "-d", &create.to_string()]));
    assert_eq!(created["name"], name.as_str());
    assert_eq!(json_of(&kc(&bin, &w.base, &["list"])), json!([name]));
    let expanded = json_of(&kc(&bin, &w.base, &["list", "-e", "status"]));
    assert!(expanded[&name]["status"].is_object(), "{expanded}");

    w.wait_status(&name, "RUNNING", |s| {
        connector_state(s) == "RUNNING" && task_states(s) == ["RUNNING"]
    });
    let status = json_of(&kc(&bin, &w.base, &["status", &name]));
    assert_eq!(status["connector"]["state"], "RUNNING");

    kc(&bin, &w.base, &["pause", &name]);
    w.wait_status(&name, "PAUSED", |s| connector_state(s) == "PAUSED");
    assert_eq!(
        json_of(&kc(&bin, &w.base, &["status", &name]))["connector"]["state"],
        "PAUSED"
    );
    kc(&bin, &w.base, &["resume", &name]);
    w.wait_status(&name, "RUNNING after resume", |s| {
        connector_state(s) == "RUNNING"
    });
    kc(&bin, &w.base, &["restart", &name]);
    kc(&bin, &w.base, &["restart", "--include-tasks", &name]);
    w.wait_status(&name, "RUNNING after restart", |s| {
        connector_state(s) == "RUNNING" && task_states(s) == ["RUNNING"]
    });
    kc(&bin, &w.base, &["delete", &name]);
    assert_eq!(json_of(&kc(&bin, &w.base, &["list"])), json!([]));
    assert_eq!(
        w.call("GET", &format!("/connectors/{name}"), None).status,
        404
    );
}
