//! Config providers end to end: `${file:…}`, `${dir:…}` and `${env:…}` references in a
//! connector config created over REST reach the connector and its tasks resolved, while the
//! REST API, the config dir and the logs only ever show the references.
//!
//! Needs the broker of `scripts/services start` (or `SLUICE_BOOTSTRAP_SERVERS`).

mod common;
mod rest_util;

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use common::{consume_values, create_topic, unique_name, unique_topic, TestDir};
use rest_util::{connector_state, task_states, RestWorker};

#[test]
fn provider_references_resolve_at_start_and_never_show_resolved() {
    let dir = TestDir::new();
    let topic = unique_topic("providers", 1);
    create_topic(&topic, 1);
    // The secret: only the records may carry it (the transformation inserts it).
    let secret = format!("tok-{}", unique_name("s"));
    let input = dir.write("in.txt", "alpha\nbeta\n");
    let secrets = dir.properties(
        "secrets.properties",
        &[("input.file", &input.to_string_lossy())],
    );
    let secret_dir = dir.file("secret-dir");
    std::fs::create_dir_all(&secret_dir).expect("secret dir");
    std::fs::write(secret_dir.join("token"), &secret).expect("token file");
    let env_var = format!("SLUICE_PROVIDER_TOPIC_{}", std::process::id());
    std::env::set_var(&env_var, &topic);

    let store = dir.file("connectors");
    // JSON log lines, checked below for the connector context.
    let args = [
        Path::new("--config-dir"),
        store.as_path(),
        Path::new("--log-format"),
        Path::new("json"),
    ];
    let w = RestWorker::start(
        &dir,
        "worker",
        &[
            ("config.providers", "file,dir,env"),
            (
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
            ),
            (
                "config.providers.dir.class",
                "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
            ),
            (
                "config.providers.env.class",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
            ),
            ("value.converter.schemas.enable", "false"),
        ],
        &args,
    );
    let name = unique_name("prov");
    let file_ref = format!("${{file:{}:input.file}}", secrets.display());
    let dir_ref = format!("${{dir:{}:token}}", secret_dir.display());
    let env_ref = format!("${{env:{env_var}}}");
    let config = json!({
        "connector.class": "FileStreamSource",
        "file": file_ref,
        "topic": env_ref,
        "transforms": "hoist,tag",
        "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
        "transforms.hoist.field": "line",
        "transforms.tag.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.tag.static.field": "token",
        "transforms.tag.static.value": dir_ref,
    });
    let r = w.call(
        "POST",
        "/connectors",
        Some(&json!({"name": name, "config": config}).to_string()),
    );
    assert_eq!(r.status, 201, "{:?}", r.json);
    w.wait_status(&name, "connector and task RUNNING", |s| {
        connector_state(s) == "RUNNING" && task_states(s) == ["RUNNING"]
    });

    // Resolved where it is used: the file is read, the topic is the env var's, and the
    // transformation inserts the directory provider's value.
    let values = consume_values(&topic, 2, Duration::from_secs(60));
    assert_eq!(
        values,
        [
            json!({"line": "alpha", "token": secret}).to_string(),
            json!({"line": "beta", "token": secret}).to_string()
        ]
    );

    // Shown and stored with the references only.
    let stored = w.call("GET", &format!("/connectors/{name}/config"), None);
    assert_eq!(stored.json["file"], file_ref);
    assert_eq!(stored.json["topic"], env_ref);
    assert_eq!(stored.json["transforms.tag.static.value"], dir_ref);
    let tasks = w.call("GET", &format!("/connectors/{name}/tasks"), None);
    assert_eq!(
        tasks.json[0]["config"]["file"], file_ref,
        "task configs get the references back: {:?}",
        tasks.json
    );
    let mut shown = String::new();
    for path in [
        format!("/connectors/{name}"),
        format!("/connectors/{name}/config"),
        format!("/connectors/{name}/tasks"),
        format!("/connectors/{name}/status"),
        "/connectors?expand=info&expand=status".to_string(),
    ] {
        shown.push_str(&w.call("GET", &path, None).json.to_string());
    }
    for entry in std::fs::read_dir(&store).expect("config dir") {
        let path = entry.expect("entry").path();
        shown.push_str(&std::fs::read_to_string(&path).expect("stored config"));
    }
    let mut w = w;
    assert!(w.sluice.terminate().success());
    let logs = w.sluice.logs();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["connector"] == name.as_str() && l["task"] == 0),
        "a JSON log line for the task carries connector and task:\n{logs}"
    );
    shown.push_str(&logs);
    assert!(
        !shown.contains(&secret),
        "the resolved secret leaked into REST output, the config dir or the logs"
    );
    assert!(shown.contains(&dir_ref), "the reference is what is shown");
}
