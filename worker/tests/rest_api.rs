//! The REST API end to end: a `sluice standalone` worker on the real broker, every endpoint
//! and error path through real HTTP, with status codes and exact JSON field names.

mod common;
mod rest_util;

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use common::wait::{wait_for, wait_until_explained};
use common::{create_topic, produce_values, unique_name, unique_topic, TestDir};
use rest_util::{connector_state, task_states, RestWorker};

const SOURCE: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn connector_lifecycle_over_http() {
    let dir = TestDir::new();
    let topic = unique_topic("rest-life", 1);
    create_topic(&topic, 1);
    let input = dir.write("in.txt", "one\ntwo\n");
    let input = input.to_string_lossy().to_string();
    let w = RestWorker::start(&dir, "worker", &[], &[]);
    let name = unique_name("src");
    let worker_id = format!("127.0.0.1:{}", w.port);

    // Create: 201, Location, ConnectorInfo.
    let body = json!({"name": name, "config": {
        "connector.class": "FileStreamSource", "file": input, "topic": topic, "tasks.max": 1}});
    let r = w.call("POST", "/connectors", Some(&body.to_string()));
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("{}/connectors/{name}", w.base).as_str())
    );
    assert_eq!(keys(&r.json), ["name", "config", "tasks", "type"]);
    assert_eq!(r.json["name"], name.as_str());
    assert_eq!(r.json["config"]["name"], name.as_str());
    assert_eq!(r.json["config"]["tasks.max"], "1");
    assert_eq!(r.json["type"], "source");
    w.call("POST", "/connectors", Some(&body.to_string()))
        .assert_error(409, &format!("Connector {name} already exists"));

    // Listing, plain and expanded.
    assert_eq!(w.call("GET", "/connectors", None).json, json!([name]));
    let status = w.wait_status(&name, "the connector and its task RUNNING", |s| {
        connector_state(s) == "RUNNING" && task_states(s) == ["RUNNING"]
    });
    assert_eq!(keys(&status), ["name", "connector", "tasks", "type"]);
    assert_eq!(keys(&status["connector"]), ["state", "worker_id"]);
    assert_eq!(status["connector"]["worker_id"], worker_id.as_str());
    assert_eq!(keys(&status["tasks"][0]), ["id", "state", "worker_id"]);
    let r = w.call("GET", "/connectors?expand=status&expand=info", None);
    assert_eq!(keys(&r.json[&name]), ["status", "info"]);
    assert_eq!(
        r.json[&name]["info"]["tasks"][0],
        json!({"connector": name, "task": 0})
    );

    // Reads.
    let r = w.call("GET", &format!("/connectors/{name}"), None);
    assert_eq!(keys(&r.json), ["name", "config", "tasks", "type"]);
    let r = w.call("GET", &format!("/connectors/{name}/config"), None);
    assert_eq!(r.json["connector.class"], "FileStreamSource");
    assert_eq!(r.json["file"], input.as_str());
    let r = w.call("GET", &format!("/connectors/{name}/tasks"), None);
    assert_eq!(keys(&r.json[0]), ["id", "config"]);
    assert_eq!(r.json[0]["id"], json!({"connector": name, "task": 0}));
    let r = w.call("GET", &format!("/connectors/{name}/tasks-config"), None);
    assert_eq!(keys(&r.json), [format!("{name}-0").as_str()]);
    let r = w.call("GET", &format!("/connectors/{name}/tasks/0/status"), None);
    assert_eq!(r.json["id"], 0);
    assert_eq!(r.json["state"], "RUNNING");
    assert_eq!(r.json["worker_id"], worker_id.as_str());

    // Active topics: the source wrote to its topic.
    wait_for(
        "the topic among the active topics",
        Duration::from_secs(30),
        || {
            let r = w.call("GET", &format!("/connectors/{name}/topics"), None);
            (r.json == json!({&name: {"topics": [&topic]}})).then_some(())
        },
    );
    let r = w.call("PUT", &format!("/connectors/{name}/topics/reset"), None);
    assert_eq!(r.status, 202, "{:?}", r.json);
    let r = w.call("GET", &format!("/connectors/{name}/topics"), None);
    assert_eq!(r.json, json!({&name: {"topics": []}}));

    // Pause, resume, restarts.
    let r = w.call("PUT", &format!("/connectors/{name}/pause"), None);
    assert_eq!((r.status, r.json.clone()), (202, Value::Null));
    w.wait_status(&name, "PAUSED", |s| {
        connector_state(s) == "PAUSED" && task_states(s) == ["PAUSED"]
    });
    let r = w.call("PUT", &format!("/connectors/{name}/resume"), None);
    assert_eq!(r.status, 202);
    w.wait_status(&name, "RUNNING after resume", |s| {
        connector_state(s) == "RUNNING" && task_states(s) == ["RUNNING"]
    });
    let r = w.call("POST", &format!("/connectors/{name}/restart"), None);
    assert_eq!((r.status, r.json.clone()), (204, Value::Null));
    let r = w.call(
        "POST",
        &format!("/connectors/{name}/restart?includeTasks=true&onlyFailed=false"),
        None,
    );
    assert_eq!(r.status, 202, "{:?}", r.json);
    assert_eq!(keys(&r.json), ["name", "connector", "tasks", "type"]);
    let r = w.call("POST", &format!("/connectors/{name}/tasks/0/restart"), None);
    assert_eq!(r.status, 204, "{:?}", r.json);
    w.wait_status(&name, "RUNNING after restarts", |s| {
        connector_state(s) == "RUNNING" && task_states(s) == ["RUNNING"]
    });

    // Offsets: readable while running, changeable only when stopped.
    let offsets = wait_for("a committed source offset", Duration::from_secs(30), || {
        let r = w.call("GET", &format!("/connectors/{name}/offsets"), None);
        let has = r.json["offsets"].as_array().is_some_and(|o| !o.is_empty());
        has.then_some(r.json)
    });
    assert_eq!(keys(&offsets["offsets"][0]), ["partition", "offset"]);
    assert_eq!(
        offsets["offsets"][0]["partition"],
        json!({"filename": input})
    );
    let patch = json!({"offsets": [{"partition": {"filename": input}, "offset": {"position": 0}}]});
    w.call("PATCH", &format!("/connectors/{name}/offsets"), Some(&patch.to_string()))
        .assert_error(400, &format!("Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"));
    let r = w.call("PUT", &format!("/connectors/{name}/stop"), None);
    assert_eq!(r.status, 204, "{:?}", r.json);
    let stopped = w.wait_status(&name, "STOPPED", |s| connector_state(s) == "STOPPED");
    assert_eq!(stopped["tasks"], json!([]));
    // FileStreamSource checks the offsets (Java's `alterOffsets`) and, keeping none of its
    // own, gets the answer without the "manually altered" caveat.
    let negative =
        json!({"offsets": [{"partition": {"filename": input}, "offset": {"position": -1}}]});
    w.call(
        "PATCH",
        &format!("/connectors/{name}/offsets"),
        Some(&negative.to_string()),
    )
    .assert_error(
        500,
        "The value for the 'position' key in the offset should be a non-negative value",
    );
    let r = w.call(
        "PATCH",
        &format!("/connectors/{name}/offsets"),
        Some(&patch.to_string()),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(
        r.json,
        json!({"message": "The offsets for this connector have been altered successfully"})
    );
    let r = w.call("DELETE", &format!("/connectors/{name}/offsets"), None);
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(
        r.json,
        json!({"message": "The offsets for this connector have been reset successfully"})
    );

    // Updates: PUT existing 200, PUT new 201, PATCH.
    let cfg = json!({"connector.class": SOURCE, "file": input, "topic": topic});
    let r = w.call(
        "PUT",
        &format!("/connectors/{name}/config"),
        Some(&cfg.to_string()),
    );
    assert_eq!((r.status, r.location.clone()), (200, None), "{:?}", r.json);
    assert_eq!(r.json["config"]["connector.class"], SOURCE);
    let other = unique_name("other");
    let r = w.call(
        "PUT",
        &format!("/connectors/{other}/config"),
        Some(&cfg.to_string()),
    );
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("{}/connectors/{other}", w.base).as_str())
    );
    let r = w.call(
        "PATCH",
        &format!("/connectors/{other}/config"),
        Some(r#"{"batch.size": 10}"#),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["config"]["batch.size"], "10");

    // Delete.
    for c in [&name, &other] {
        let r = w.call("DELETE", &format!("/connectors/{c}"), None);
        assert_eq!((r.status, r.json.clone()), (204, Value::Null));
        w.call("GET", &format!("/connectors/{c}"), None)
            .assert_error(404, &format!("Connector {c} not found"));
    }
    assert_eq!(w.call("GET", "/connectors", None).json, json!([]));
}

/// A sink's offsets endpoints read, alter and reset the group its tasks consume in: the
/// worker's `consumer.group.id` for one sink, `consumer.override.group.id` for the other.
#[test]
fn sink_offsets_follow_the_tasks_consumer_group() {
    let dir = TestDir::new();
    let topic = unique_topic("rest-sink-offsets", 1);
    create_topic(&topic, 1);
    produce_values(&topic, &["a", "b", "c"]);
    let worker_group = unique_name("worker-consumer-group");
    let w = RestWorker::start(&dir, "worker", &[("consumer.group.id", &worker_group)], &[]);
    let plain = unique_name("plain-sink");
    let overridden = unique_name("override-sink");
    let own_group = unique_name("own-group");
    for (name, extra) in [
        (&plain, json!({})),
        (
            &overridden,
            json!({"consumer.override.group.id": own_group}),
        ),
    ] {
        let mut config = json!({"connector.class": "FileStreamSink", "topics": topic,
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "file": dir.file(&format!("{name}.txt")).to_string_lossy()});
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let body = json!({"name": name, "config": config});
        let r = w.call("POST", "/connectors", Some(&body.to_string()));
        assert_eq!(r.status, 201, "{:?}", r.json);
    }
    let offsets_of = |name: &str| {
        let r = w.call("GET", &format!("/connectors/{name}/offsets"), None);
        assert_eq!(r.status, 200, "{:?}", r.json);
        r.json
    };
    let at = |offset: i64| {
        json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0},
            "offset": {"kafka_offset": offset}}]})
    };
    for name in [&plain, &overridden] {
        wait_until_explained(
            &format!("{name} to write the three records"),
            Duration::from_secs(60),
            || dir.lines(&format!("{name}.txt")).len() == 3,
            || w.sluice.logs(),
        );
        let r = w.call("PUT", &format!("/connectors/{name}/stop"), None);
        assert_eq!(r.status, 204, "{:?}", r.json);
        w.wait_status(name, "STOPPED", |s| connector_state(s) == "STOPPED");
        assert_eq!(offsets_of(name), at(3), "{name}");
    }

    // Alter one, reset the other: each answer is about its own group.
    let r = w.call(
        "PATCH",
        &format!("/connectors/{plain}/offsets"),
        Some(&at(1).to_string()),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(
        r.json,
        json!({"message": "The offsets for this connector have been altered successfully"})
    );
    assert_eq!(offsets_of(&plain), at(1));
    // The listing is the group's, also of topics the connector does not read (Java's
    // listConsumerGroupOffsets), as a reset deletes them all.
    let other = unique_topic("rest-sink-offsets-other", 1);
    create_topic(&other, 1);
    produce_values(&other, &["x", "y", "z"]);
    let elsewhere = json!({"offsets": [{"partition": {"kafka_topic": other, "kafka_partition": "0"},
        "offset": {"kafka_offset": "2"}}]});
    let r = w.call(
        "PATCH",
        &format!("/connectors/{overridden}/offsets"),
        Some(&elsewhere.to_string()),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    let mut both = at(3)["offsets"].as_array().cloned().unwrap_or_default();
    both.push(
        json!({"partition": {"kafka_topic": other, "kafka_partition": 0},
        "offset": {"kafka_offset": 2}}),
    );
    both.sort_by_key(|o| o["partition"]["kafka_topic"].as_str().map(str::to_string));
    assert_eq!(offsets_of(&overridden), json!({ "offsets": both }));
    // A null offset deletes the partition's committed offset (OffsetDelete), which a broker
    // without that request (tansu) refuses: Java's error, and the offset stays.
    let remove = json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0},
        "offset": null}]});
    let r = w.call(
        "PATCH",
        &format!("/connectors/{plain}/offsets"),
        Some(&remove.to_string()),
    );
    if r.status == 200 {
        assert_eq!(offsets_of(&plain), json!({"offsets": []}));
        let r = w.call(
            "PATCH",
            &format!("/connectors/{plain}/offsets"),
            Some(&at(1).to_string()),
        );
        assert_eq!(r.status, 200, "{:?}", r.json);
    } else {
        r.assert_error(
            500,
            &format!("Failed to alter consumer group offsets for connector {plain}"),
        );
        assert_eq!(offsets_of(&plain), at(1));
    }
    let r = w.call("DELETE", &format!("/connectors/{overridden}/offsets"), None);
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(
        r.json,
        json!({"message": "The offsets for this connector have been reset successfully"})
    );
    assert_eq!(offsets_of(&overridden), json!({"offsets": []}));
    assert_eq!(offsets_of(&plain), at(1));

    // Resumed, each task starts where its group now points.
    for name in [&plain, &overridden] {
        let r = w.call("PUT", &format!("/connectors/{name}/resume"), None);
        assert_eq!(r.status, 202, "{:?}", r.json);
    }
    for (name, lines) in [(&plain, 5), (&overridden, 6)] {
        wait_for(
            &format!("{name} to write {lines} lines in all"),
            Duration::from_secs(60),
            || (dir.lines(&format!("{name}.txt")).len() == lines).then_some(()),
        );
    }
}

#[test]
fn topic_tracking_switches_over_http() {
    let dir = TestDir::new();
    let w = RestWorker::start(
        &dir,
        "no-reset",
        &[("topic.tracking.allow.reset", "false")],
        &[],
    );
    let r = w.call("GET", "/connectors/any/topics", None);
    assert_eq!(
        (r.status, r.json.clone()),
        (200, json!({"any": {"topics": []}}))
    );
    w.call("PUT", "/connectors/any/topics/reset", None)
        .assert_error(403, "Topic tracking reset is disabled.");
    drop(w);
    let w = RestWorker::start(
        &dir,
        "untracked",
        &[("topic.tracking.enable", "false")],
        &[],
    );
    w.call("GET", "/connectors/any/topics", None)
        .assert_error(403, "Topic tracking is disabled.");
    w.call("PUT", "/connectors/any/topics/reset", None)
        .assert_error(403, "Topic tracking is disabled.");
}

#[test]
fn error_paths_over_http() {
    let dir = TestDir::new();
    let w = RestWorker::start(&dir, "worker", &[], &[]);
    let r = w.call("GET", "/no/such/route", None);
    r.assert_error(404, "HTTP 404 Not Found");
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    w.call("DELETE", "/connectors", None)
        .assert_error(405, "HTTP 405 Method Not Allowed");
    w.call_raw(
        "POST",
        "/connectors",
        "application/x-www-form-urlencoded",
        "name=a",
    )
    .assert_error(415, "HTTP 415 Unsupported Media Type");
    let r = w.call("POST", "/connectors", Some("{\"name\": \"a\", "));
    assert_eq!(r.status, 400);
    assert!(r.json["message"]
        .as_str()
        .unwrap()
        .starts_with("Malformed JSON"));

    // Unknown connectors, on every endpoint that names one.
    for (method, path) in [
        ("GET", "/connectors/nope"),
        ("GET", "/connectors/nope/config"),
        ("GET", "/connectors/nope/status"),
        ("GET", "/connectors/nope/tasks"),
        ("GET", "/connectors/nope/tasks-config"),
        ("DELETE", "/connectors/nope"),
        ("PATCH", "/connectors/nope/config"),
        ("GET", "/connectors/nope/offsets"),
    ] {
        let body = (method == "PATCH").then_some("{}");
        let r = w.call(method, path, body);
        assert_eq!(r.status, 404, "{method} {path}: {:?}", r.json);
        assert_eq!(keys(&r.json), ["error_code", "message"], "{method} {path}");
        assert_eq!(r.json["error_code"], 404);
    }
    for verb in ["pause", "resume", "stop"] {
        let r = w.call("PUT", &format!("/connectors/nope/{verb}"), None);
        assert_eq!(
            (r.status, keys(&r.json)),
            (404, vec!["error_code", "message"])
        );
    }
    let r = w.call("POST", "/connectors/nope/restart", None);
    assert_eq!(r.status, 404, "{:?}", r.json);
    w.call("GET", "/connectors/nope/tasks/x/status", None)
        .assert_error(404, "HTTP 404 Not Found");

    // Invalid names and configs.
    let topic = unique_topic("rest-err", 1);
    let input = dir.write("in.txt", "").to_string_lossy().to_string();
    let good = json!({"connector.class": "FileStreamSource", "file": input, "topic": topic});
    w.call(
        "POST",
        "/connectors",
        Some(
            &json!({"name": "a", "config": {"name": "b", "connector.class": "FileStreamSource"}})
                .to_string(),
        ),
    )
    .assert_error(
        400,
        "Connector name configuration (b) doesn't match connector name in the URL (a)",
    );
    w.call(
        "POST",
        "/connectors",
        Some(&json!({"name": "a", "config": {"topic": "t"}}).to_string()),
    )
    .assert_error(
        400,
        "Connector config {name=a, topic=t} contains no connector type",
    );
    for bad_name in ["", "   ", "bad\nname"] {
        let r = w.call(
            "POST",
            "/connectors",
            Some(&json!({"name": bad_name, "config": good}).to_string()),
        );
        assert_eq!(r.status, 400, "{bad_name:?}: {:?}", r.json);
        let msg = r.json["message"].as_str().unwrap();
        assert!(msg.contains("configuration name"), "{bad_name:?}: {msg}");
    }
    let r = w.call(
        "POST",
        "/connectors",
        Some(
            &json!({"name": "a", "config": {"connector.class": "FileStreamSource", "file": input}})
                .to_string(),
        ),
    );
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert!(r.json["message"]
        .as_str()
        .unwrap()
        .starts_with("Connector configuration is invalid and contains the following"));
    let r = w.call(
        "POST",
        "/connectors",
        Some(
            &json!({"name": "a", "config": {"connector.class": "com.example.Missing"}}).to_string(),
        ),
    );
    assert_eq!(r.status, 500, "{:?}", r.json);
    assert!(r.json["message"]
        .as_str()
        .unwrap()
        .starts_with("Failed to find any class that implements Connector and which name matches com.example.Missing"));
    let mut with_null = good.clone();
    with_null["batch.size"] = Value::Null;
    let r = w.call("PUT", "/connectors/a/config", Some(&with_null.to_string()));
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert!(r.json["message"]
        .as_str()
        .unwrap()
        .contains("Null value can not be supplied as the configuration value."));
    assert_eq!(w.call("GET", "/connectors", None).json, json!([]));

    // Offsets requests need partitions; tasks must exist.
    create_topic(&topic, 1);
    w.call("PUT", "/connectors/a/config", Some(&good.to_string()));
    w.call("PUT", "/connectors/a/stop", None);
    w.call("PATCH", "/connectors/a/offsets", Some(r#"{"offsets": []}"#))
        .assert_error(
            400,
            "Partitions / offsets need to be provided for an alter offsets request",
        );
    let r = w.call("GET", "/connectors/a/tasks/9/status", None);
    assert_eq!(
        (r.status, keys(&r.json)),
        (404, vec!["error_code", "message"])
    );
}

#[test]
fn root_plugins_loggers_and_openapi() {
    let dir = TestDir::new();
    let w = RestWorker::start(&dir, "worker", &[], &[]);
    let r = w.call("GET", "/", None);
    assert_eq!(keys(&r.json), ["version", "commit", "kafka_cluster_id"]);
    assert!(!r.json["kafka_cluster_id"].as_str().unwrap().is_empty());
    let r = w.call("GET", "/health", None);
    assert_eq!(r.json["status"], "healthy");

    // Plugins: connectors only by default; every kind in Java's order otherwise.
    let rank = |t: &str| {
        [
            "sink",
            "source",
            "transformation",
            "predicate",
            "converter",
            "header_converter",
        ]
        .iter()
        .position(|x| *x == t)
        .unwrap_or_else(|| panic!("unknown plugin type {t}"))
    };
    let r = w.call("GET", "/connector-plugins", None);
    let list = r.json.as_array().unwrap();
    assert!(list
        .iter()
        .all(|p| p["type"] == "sink" || p["type"] == "source"));
    assert!(list
        .iter()
        .any(|p| p["class"] == SOURCE && p["type"] == "source"));
    let r = w.call("GET", "/connector-plugins?connectorsOnly=false", None);
    let all = r.json.as_array().unwrap();
    let order: Vec<(usize, &str)> = all
        .iter()
        .map(|p| {
            (
                rank(p["type"].as_str().unwrap()),
                p["class"].as_str().unwrap(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    assert!(all
        .iter()
        .any(|p| p["type"] == "converter"
            && p["class"] == "org.apache.kafka.connect.json.JsonConverter"));
    for p in all {
        let k = keys(p);
        assert!(
            k == ["class", "type", "version"] || k == ["class", "type"],
            "{p}"
        );
    }

    let r = w.call("GET", "/connector-plugins/FileStreamSink/config", None);
    assert_eq!(r.status, 200, "{:?}", r.json);
    let names: Vec<&str> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"file") && names.contains(&"topics"),
        "{names:?}"
    );
    assert_eq!(
        keys(&r.json[0]),
        [
            "name",
            "type",
            "required",
            "default_value",
            "importance",
            "documentation",
            "group",
            "order",
            "width",
            "display_name",
            "dependents"
        ]
    );
    w.call("GET", "/connector-plugins/NoSuchPlugin/config", None)
        .assert_error(404, "Unknown plugin NoSuchPlugin.");

    let body = json!({"connector.class": "FileStreamSource", "name": "v", "tasks.max": "x"});
    let r = w.call(
        "PUT",
        "/connector-plugins/FileStreamSourceConnector/config/validate",
        Some(&body.to_string()),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(keys(&r.json), ["name", "error_count", "groups", "configs"]);
    assert!(r.json["error_count"].as_u64().unwrap() >= 2, "{:?}", r.json);
    let configs = r.json["configs"].as_array().unwrap();
    assert_eq!(keys(&configs[0]), ["definition", "value"]);
    assert_eq!(
        keys(&configs[0]["value"]),
        ["name", "value", "recommended_values", "errors", "visible"]
    );
    let validated: Vec<&str> = configs
        .iter()
        .filter_map(|c| c["value"]["name"].as_str())
        .collect();
    for key in ["name", "connector.class", "tasks.max", "file", "topic"] {
        assert!(validated.contains(&key), "{key} missing from {validated:?}");
    }
    w.call(
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        Some(&body.to_string()),
    )
    .assert_error(
        400,
        "Included connector type FileStreamSource does not match request type FileStreamSink",
    );

    // Loggers.
    let r = w.call("GET", "/admin/loggers", None);
    assert_eq!(keys(&r.json["root"]), ["level", "last_modified"]);
    let r = w.call(
        "PUT",
        "/admin/loggers/sluice_worker::rest",
        Some(r#"{"level": "DEBUG"}"#),
    );
    assert_eq!(
        (r.status, r.json.clone()),
        (200, json!(["sluice_worker::rest"]))
    );
    let r = w.call("GET", "/admin/loggers/sluice_worker::rest", None);
    assert_eq!(r.json["level"], "DEBUG");
    assert!(r.json["last_modified"].is_i64());
    w.call("PUT", "/admin/loggers/x", Some(r#"{"level": "LOUD"}"#))
        .assert_error(404, "invalid log level 'LOUD'.");
    w.call("GET", "/admin/loggers/never.set", None)
        .assert_error(404, "Logger never.set not found.");

    let r = w.call("GET", "/openapi.json", None);
    assert_eq!(r.status, 200);
    assert!(r.json["paths"]["/connectors/{connector}/status"]["get"].is_object());
}

/// The Confluent Elasticsearch sink quick start's `curl`, verbatim: accepted by the API,
/// answered with 201 or a validation 400, never a 500 or a crash.
#[test]
fn elasticsearch_tutorial_curl_is_accepted() {
    let dir = TestDir::new();
    let mut w = RestWorker::start(&dir, "worker", &[], &[]);
    let out = Command::new("curl")
        .args([
            "-s",
            "-w",
            "\n%{http_code}",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data",
            r#"{"name": "elasticsearch-sink", "config": {"connector.class":"io.confluent.connect.elasticsearch.ElasticsearchSinkConnector", "tasks.max":"1", "topics":"test-elasticsearch-sink", "key.ignore":"true", "connection.url":"http://localhost:9200", "type.name":"kafka-connect", "name":"elasticsearch-sink"}}"#,
            &format!("{}/connectors", w.base),
        ])
        .output()
        .expect("curl must be installed for this test");
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, code) = text.rsplit_once('\n').expect("curl output");
    let body: Value = serde_json::from_str(body).expect("a JSON body");
    match code {
        "400" => {
            assert_eq!(keys(&body), ["error_code", "message"]);
            assert!(!body["message"].as_str().unwrap().is_empty());
        }
        "201" => {
            assert_eq!(body["name"], "elasticsearch-sink");
            assert_eq!(body["type"], "sink");
            let s = w.wait_status("elasticsearch-sink", "RUNNING or FAILED", |s| {
                matches!(connector_state(s), "RUNNING" | "FAILED")
            });
            if connector_state(&s) == "FAILED" {
                assert!(s["connector"]["trace"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty()));
            }
        }
        other => panic!("expected 201 or 400, got {other}: {body}"),
    }
    assert!(w.sluice.is_running(), "the worker exited");
    assert_eq!(w.call("GET", "/", None).status, 200);
}
