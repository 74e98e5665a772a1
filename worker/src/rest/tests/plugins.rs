//! `/connector-plugins…`.

use axum::http::StatusCode;
use serde_json::json;

use super::{TestApp, SINK_CLASS, SOURCE_CLASS};

#[tokio::test]
async fn list_connectors_only_by_default_in_java_order() {
    let app = TestApp::new();
    let r = app.call("GET", "/connector-plugins", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json,
        json!([
            {"class": SINK_CLASS, "type": "sink", "version": "1.0"},
            {"class": SOURCE_CLASS, "type": "source", "version": "1.0"},
        ])
    );
    // Anything but "false"-ish `true` is false, as Boolean.valueOf reads it.
    let r = app
        .call("GET", "/connector-plugins?connectorsOnly=false", None)
        .await;
    assert_eq!(
        r.json,
        json!([
            {"class": SINK_CLASS, "type": "sink", "version": "1.0"},
            {"class": SOURCE_CLASS, "type": "source", "version": "1.0"},
            {"class": "org.example.Zed", "type": "transformation"},
            {"class": "org.example.HasField", "type": "predicate", "version": "2.0"},
        ])
    );
    let r = app
        .call("GET", "/connector-plugins/?connectorsOnly=TRUE", None)
        .await;
    assert_eq!(r.json.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn plugin_config_lists_own_keys_then_base_keys() {
    let app = TestApp::new();
    for name in [SINK_CLASS, "TestSink", "TestSinkConnector"] {
        let r = app
            .call("GET", &format!("/connector-plugins/{name}/config"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{name}");
        let names: Vec<&str> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["topic", "topics"]);
    }
    let r = app
        .call("GET", "/connector-plugins/org.example.Zed/config", None)
        .await;
    assert_eq!(
        r.json,
        json!([{"name": "field", "type": "STRING", "required": true, "default_value": null,
                "importance": "MEDIUM", "documentation": "A field.", "group": null, "order": -1,
                "width": "NONE", "display_name": "field", "dependents": []}])
    );
    app.call("GET", "/connector-plugins/nope/config", None)
        .await
        .assert_error(404, "Unknown plugin nope.");
}

#[tokio::test]
async fn validate_returns_a_result_for_every_key() {
    let app = TestApp::new();
    let body = json!({"connector.class": SOURCE_CLASS, "tasks.max": "x", "extra": null});
    let r = app
        .call(
            "PUT",
            "/connector-plugins/TestSource/config/validate",
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["name"], SOURCE_CLASS);
    assert_eq!(r.json["groups"], json!(["Common"]));
    // name and topic missing, tasks.max invalid, extra null.
    assert_eq!(r.json["error_count"], 4);
    let configs = r.json["configs"].as_array().unwrap();
    let names: Vec<&str> = configs
        .iter()
        .map(|c| c["value"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["name", "connector.class", "tasks.max", "topic", "extra"]
    );
    let value = &configs[2]["value"];
    assert_eq!(
        value.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["name", "value", "recommended_values", "errors", "visible"]
    );
    assert_eq!(configs[2]["definition"]["name"], "tasks.max");
    assert_eq!(configs[4]["definition"], serde_json::Value::Null);
    assert_eq!(
        configs[4]["value"]["errors"],
        json!(["Null value can not be supplied as the configuration value."])
    );
}

#[tokio::test]
async fn validate_checks_the_plugin_in_the_path() {
    let app = TestApp::new();
    let body = json!({"connector.class": SINK_CLASS});
    app.call(
        "PUT",
        "/connector-plugins/TestSource/config/validate",
        Some(&body.to_string()),
    )
    .await
    .assert_error(
        400,
        "Included connector type org.example.TestSinkConnector does not match request type TestSource",
    );
    app.call(
        "PUT",
        "/connector-plugins/TestSource/config/validate",
        Some(r#"{"topic":"t"}"#),
    )
    .await
    .assert_error(400, "Connector config {topic=t} contains no connector type");
    app.call(
        "PUT",
        "/connector-plugins/Missing/config/validate",
        Some(r#"{"connector.class":"a.Missing"}"#),
    )
    .await
    .assert_error(
        500,
        "Failed to find any class that implements Connector and which name matches a.Missing, available connectors are: org.example.TestSinkConnector, org.example.TestSourceConnector",
    );
}
