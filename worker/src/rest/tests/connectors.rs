//! `/connectors/…`: every endpoint and its error paths.

use axum::http::StatusCode;
use serde_json::json;

use super::{MemHerder, TestApp, SOURCE_CLASS};

#[tokio::test]
async fn list_is_sorted_names_and_expands_status_and_info() {
    let app = TestApp::new();
    let r = app.call("GET", "/connectors", None).await;
    assert_eq!((r.status, r.json.clone()), (StatusCode::OK, json!([])));
    app.create("b").await;
    app.create("a").await;
    let r = app.call("GET", "/connectors", None).await;
    assert_eq!(r.json, json!(["a", "b"]));

    let r = app.call("GET", "/connectors?expand=status", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let a = &r.json["a"];
    assert_eq!(
        a.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["status"]
    );
    assert_eq!(a["status"]["name"], "a");
    assert_eq!(a["status"]["connector"]["state"], "RUNNING");
    assert_eq!(a["status"]["connector"]["worker_id"], "127.0.0.1:8083");
    assert_eq!(a["status"]["type"], "source");
    assert!(a["status"]["connector"].get("trace").is_none());

    let r = app
        .call("GET", "/connectors?expand=status&expand=info", None)
        .await;
    assert_eq!(r.json["b"]["info"]["name"], "b");
    assert_eq!(
        r.json["b"]["info"]["config"]["connector.class"],
        SOURCE_CLASS
    );
    assert_eq!(
        r.json["b"]["info"]["tasks"][1],
        json!({"connector": "b", "task": 1})
    );
    assert_eq!(r.json["b"]["status"]["tasks"][0]["id"], 0);

    // Unknown expansions are ignored; the connector is still listed.
    let r = app.call("GET", "/connectors?expand=bogus", None).await;
    assert_eq!(r.json, json!({"a": {}, "b": {}}));

    // A connector without status is left out altogether.
    app.herder.no_status.lock().unwrap().push("a".to_string());
    let r = app.call("GET", "/connectors?expand=status", None).await;
    assert_eq!(
        r.json.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["b"]
    );
}

#[tokio::test]
async fn create_answers_201_with_location_and_connector_info() {
    let app = TestApp::new();
    let body = json!({"name": "  my conn ", "config": {
        "connector.class": SOURCE_CLASS, "topic": "t", "tasks.max": 2}});
    let r = app
        .call("POST", "/connectors", Some(&body.to_string()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    assert_eq!(
        r.headers["location"],
        "http://localhost:8083/connectors/my%20conn"
    );
    assert_eq!(
        r.json,
        json!({"name": "my conn",
               "config": {"connector.class": SOURCE_CLASS, "topic": "t", "tasks.max": "2", "name": "my conn"},
               "tasks": [{"connector": "my conn", "task": 0}, {"connector": "my conn", "task": 1}],
               "type": "source"})
    );
    // Duplicate: 409.
    let r = app
        .call("POST", "/connectors", Some(&body.to_string()))
        .await;
    r.assert_error(409, "Connector my conn already exists");
}

#[tokio::test]
async fn create_with_initial_state_and_trailing_slash() {
    let app = TestApp::new();
    let body =
        json!({"name": "p", "config": MemHerder::source_config("p"), "initial_state": "paused"});
    let r = app
        .call("POST", "/connectors/", Some(&body.to_string()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app.call("GET", "/connectors/p/status", None).await;
    assert_eq!(r.json["connector"]["state"], "PAUSED");
}

#[tokio::test]
async fn create_rejects_bad_requests_with_java_messages() {
    let app = TestApp::new();
    let cases: Vec<(serde_json::Value, u16, String)> = vec![
        (
            json!({"name": "a", "config": {"name": "b", "connector.class": SOURCE_CLASS}}),
            400,
            "Connector name configuration (b) doesn't match connector name in the URL (a)".into(),
        ),
        (
            json!({"name": "a", "config": {"topic": "t"}}),
            400,
            "Connector config {name=a, topic=t} contains no connector type".into(),
        ),
        (
            json!({"name": "a", "config": {"connector.class": "nope.Missing"}}),
            500,
            "Failed to find any class that implements Connector and which name matches nope.Missing, available connectors are: org.example.TestSinkConnector, org.example.TestSourceConnector".into(),
        ),
        (
            json!({"name": "", "config": {"connector.class": SOURCE_CLASS, "topic": "t"}}),
            400,
            "Connector configuration is invalid and contains the following 1 error(s):\nInvalid value  for configuration name: String may not be empty\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`".into(),
        ),
        (
            json!({"name": "a", "config": {"connector.class": SOURCE_CLASS}}),
            400,
            "Connector configuration is invalid and contains the following 1 error(s):\nMissing required configuration \"topic\" which has no default value.\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`".into(),
        ),
        (
            json!({"name": "a", "config": {"connector.class": SOURCE_CLASS, "topic": "t", "x": null}}),
            400,
            "Connector configuration is invalid and contains the following 1 error(s):\nNull value can not be supplied as the configuration value.\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`".into(),
        ),
    ];
    for (body, status, message) in cases {
        let r = app
            .call("POST", "/connectors", Some(&body.to_string()))
            .await;
        r.assert_error(status, &message);
    }
    assert!(app.call("GET", "/connectors", None).await.json == json!([]));
}

#[tokio::test]
async fn create_rejects_malformed_bodies_as_json_400s() {
    let app = TestApp::new();
    for (body, prefix) in [
        ("{\"name\": \"a\", ", "Malformed JSON in the request body"),
        ("", "Request body is missing"),
        ("[1,2]", "Unexpected JSON content"),
        (
            "{\"name\":\"a\",\"config\":{},\"tasks\":[]}",
            "Unexpected JSON content",
        ),
        (
            "{\"name\":\"a\",\"config\":{\"k\":{\"nested\":1}}}",
            "Unexpected JSON content",
        ),
        (
            "{\"name\":\"a\",\"config\":{},\"initial_state\":\"LATER\"}",
            "Unexpected JSON content",
        ),
    ] {
        let r = app.call("POST", "/connectors", Some(body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {:?}", r.json);
        assert_eq!(r.json["error_code"], 400);
        let msg = r.json["message"].as_str().unwrap();
        assert!(msg.starts_with(prefix), "{body}: {msg}");
    }
    let r = app
        .call(
            "POST",
            "/connectors",
            Some("{\"name\":\"a\",\"config\":{},\"tasks\":[]}"),
        )
        .await;
    assert!(r.json["message"]
        .as_str()
        .unwrap()
        .contains("unknown field `tasks`"));
}

#[tokio::test]
async fn get_connector_and_its_config() {
    let app = TestApp::new();
    app.create("c").await;
    let r = app.call("GET", "/connectors/c", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["name"], "c");
    assert_eq!(r.json["type"], "source");
    let r = app.call("GET", "/connectors/c/config", None).await;
    assert_eq!(r.json, json!(MemHerder::source_config("c")));
    app.call("GET", "/connectors/nope", None)
        .await
        .assert_error(404, "Connector nope not found");
    app.call("GET", "/connectors/nope/config", None)
        .await
        .assert_error(404, "Connector nope not found");
}

#[tokio::test]
async fn put_config_creates_201_then_updates_200() {
    let app = TestApp::new();
    let cfg = json!({"connector.class": SOURCE_CLASS, "topic": "t"});
    let r = app
        .call("PUT", "/connectors/x/config", Some(&cfg.to_string()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.headers["location"], "http://localhost:8083/connectors/x");
    assert_eq!(r.json["config"]["name"], "x");
    let cfg = json!({"connector.class": SOURCE_CLASS, "topic": "t2", "name": "x"});
    let r = app
        .call("PUT", "/connectors/x/config", Some(&cfg.to_string()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get("location").is_none());
    assert_eq!(r.json["config"]["topic"], "t2");
    let cfg = json!({"connector.class": SOURCE_CLASS, "topic": "t", "name": "y"});
    app.call("PUT", "/connectors/x/config", Some(&cfg.to_string()))
        .await
        .assert_error(
            400,
            "Connector name configuration (y) doesn't match connector name in the URL (x)",
        );
}

#[tokio::test]
async fn patch_config_merges_and_removes_nulls() {
    let app = TestApp::new();
    app.create("c").await;
    let r = app
        .call(
            "PATCH",
            "/connectors/c/config",
            Some(r#"{"topic":"t9","tasks.max":null,"extra":1}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["config"]["topic"], "t9");
    assert_eq!(r.json["config"]["extra"], "1");
    assert!(r.json["config"].get("tasks.max").is_none());
    app.call("PATCH", "/connectors/nope/config", Some("{}"))
        .await
        .assert_error(404, "Connector nope not found");
}

#[tokio::test]
async fn status_tasks_and_task_status() {
    let app = TestApp::new();
    app.create("c").await;
    app.herder.fail_task("c", 1);
    let r = app.call("GET", "/connectors/c/status", None).await;
    assert_eq!(r.json["tasks"][0]["state"], "RUNNING");
    assert_eq!(r.json["tasks"][1]["state"], "FAILED");
    assert!(r.json["tasks"][1]["trace"]
        .as_str()
        .unwrap()
        .contains("RuntimeException"));
    assert!(r.json["tasks"][0].get("trace").is_none());

    let r = app.call("GET", "/connectors/c/tasks", None).await;
    assert_eq!(r.json[1]["id"], json!({"connector": "c", "task": 1}));
    assert_eq!(r.json[1]["config"]["task.class"], "org.example.TestTask");

    let r = app.call("GET", "/connectors/c/tasks-config", None).await;
    assert_eq!(
        r.json.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["c-0", "c-1"]
    );

    let r = app.call("GET", "/connectors/c/tasks/1/status", None).await;
    assert_eq!(r.json["id"], 1);
    assert_eq!(r.json["state"], "FAILED");
    assert_eq!(r.json["worker_id"], "127.0.0.1:8083");

    app.call("GET", "/connectors/c/tasks/7/status", None)
        .await
        .assert_error(404, "No status found for task c-7");
    app.call("GET", "/connectors/c/tasks/x/status", None)
        .await
        .assert_error(404, "HTTP 404 Not Found");
    app.call("GET", "/connectors/nope/status", None)
        .await
        .assert_error(404, "Connector nope not found");
    app.call("GET", "/connectors/nope/tasks", None)
        .await
        .assert_error(404, "Connector nope not found");
}

#[tokio::test]
async fn restart_is_204_alone_and_202_with_tasks() {
    let app = TestApp::new();
    app.create("c").await;
    let r = app.call("POST", "/connectors/c/restart", None).await;
    assert_eq!((r.status, r.raw.len()), (StatusCode::NO_CONTENT, 0));
    let r = app
        .call(
            "POST",
            "/connectors/c/restart?includeTasks=false&onlyFailed=nope",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    app.herder.fail_task("c", 0);
    let r = app
        .call(
            "POST",
            "/connectors/c/restart?includeTasks=TRUE&onlyFailed=true",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.json["connector"]["state"], "RUNNING");
    assert_eq!(r.json["tasks"][0]["state"], "RESTARTING");
    assert_eq!(r.json["tasks"][1]["state"], "RUNNING");

    let r = app
        .call("POST", "/connectors/c/restart?includeTasks=true", None)
        .await;
    assert_eq!(r.json["connector"]["state"], "RESTARTING");
    assert_eq!(r.json["tasks"][1]["state"], "RESTARTING");

    app.call("POST", "/connectors/nope/restart", None)
        .await
        .assert_error(404, "Unknown connector: nope");
    let r = app
        .call("POST", "/connectors/c/tasks/1/restart", None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    app.call("POST", "/connectors/c/tasks/5/restart", None)
        .await
        .assert_error(404, "Unknown task: c-5");
    app.call("POST", "/connectors/c/tasks/-1/restart", None)
        .await
        .assert_error(404, "Unknown task: c--1");
}

#[tokio::test]
async fn pause_resume_stop_delete() {
    let app = TestApp::new();
    app.create("c").await;
    let r = app.call("PUT", "/connectors/c/pause", None).await;
    assert_eq!((r.status, r.raw.len()), (StatusCode::ACCEPTED, 0));
    let r = app.call("GET", "/connectors/c/status", None).await;
    assert_eq!(r.json["connector"]["state"], "PAUSED");
    assert_eq!(r.json["tasks"][0]["state"], "PAUSED");
    let r = app.call("PUT", "/connectors/c/resume", None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = app.call("PUT", "/connectors/c/stop", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.call("GET", "/connectors/c/status", None).await;
    assert_eq!(r.json["connector"]["state"], "STOPPED");
    assert_eq!(r.json["tasks"], json!([]));
    for path in ["pause", "resume", "stop"] {
        app.call("PUT", &format!("/connectors/nope/{path}"), None)
            .await
            .assert_error(404, "Unknown connector nope");
    }
    let r = app.call("DELETE", "/connectors/c", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    app.call("DELETE", "/connectors/c", None)
        .await
        .assert_error(404, "Connector c not found");
}

#[tokio::test]
async fn topics_and_reset() {
    let mut app = TestApp::new();
    app.create("c").await;
    let r = app.call("GET", "/connectors/c/topics", None).await;
    assert_eq!(r.json, json!({"c": {"topics": ["t"]}}));
    let r = app.call("PUT", "/connectors/c/topics/reset", None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = app.call("GET", "/connectors/c/topics", None).await;
    assert_eq!(r.json, json!({"c": {"topics": []}}));
    // No existence check, as in Java.
    let r = app.call("GET", "/connectors/nope/topics", None).await;
    assert_eq!(r.json, json!({"nope": {"topics": []}}));

    // `topic.tracking.allow.reset=false`: the list still answers, the reset is refused.
    app.state.topic_tracking.allow_reset = false;
    let r = app.call("GET", "/connectors/c/topics", None).await;
    assert_eq!(r.json, json!({"c": {"topics": []}}));
    app.call("PUT", "/connectors/c/topics/reset", None)
        .await
        .assert_error(403, "Topic tracking reset is disabled.");
    // `topic.tracking.enable=false`: both are refused, whatever allow.reset says.
    app.state.topic_tracking.enabled = false;
    app.state.topic_tracking.allow_reset = true;
    for (method, path) in [
        ("GET", "/connectors/c/topics"),
        ("PUT", "/connectors/c/topics/reset"),
        ("GET", "/connectors/nope/topics"),
    ] {
        app.call(method, path, None)
            .await
            .assert_error(403, "Topic tracking is disabled.");
    }
}

#[tokio::test]
async fn offsets_need_a_stopped_connector() {
    let app = TestApp::new();
    app.create("c").await;
    let r = app.call("GET", "/connectors/c/offsets", None).await;
    assert_eq!(
        r.json,
        json!({"offsets": [{"partition": {"filename": "/tmp/in.txt"}, "offset": {"position": 42}}]})
    );
    let body = r#"{"offsets":[{"partition":{"filename":"/tmp/in.txt"},"offset":{"position":7}}]}"#;
    app.call("PATCH", "/connectors/c/offsets", Some(body))
        .await
        .assert_error(400, "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/c/stop' endpoint");
    for empty in ["{}", r#"{"offsets":[]}"#, r#"{"offsets":null}"#] {
        app.call("PATCH", "/connectors/c/offsets", Some(empty))
            .await
            .assert_error(
                400,
                "Partitions / offsets need to be provided for an alter offsets request",
            );
    }
    app.call("PUT", "/connectors/c/stop", None).await;
    let r = app.call("PATCH", "/connectors/c/offsets", Some(body)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json,
        json!({"message": "The offsets for this connector have been altered successfully"})
    );
    let r = app.call("GET", "/connectors/c/offsets", None).await;
    assert_eq!(r.json["offsets"][0]["offset"]["position"], 7);
    let r = app.call("DELETE", "/connectors/c/offsets", None).await;
    assert_eq!(
        r.json,
        json!({"message": "The offsets for this connector have been reset successfully"})
    );
    app.call("GET", "/connectors/nope/offsets", None)
        .await
        .assert_error(404, "Connector nope not found");
}
