//! `/admin/loggers…`, including that a level set over REST changes what is logged.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{reload, EnvFilter};

use super::TestApp;
use crate::rest::LoggerLevels;

#[tokio::test]
async fn get_put_and_errors() {
    let app = TestApp::new();
    let r = app.call("GET", "/admin/loggers", None).await;
    assert_eq!(
        r.json,
        json!({"root": {"level": "INFO", "last_modified": null}})
    );
    let r = app
        .call(
            "PUT",
            "/admin/loggers/sluice_worker::rest",
            Some(r#"{"level":"debug"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json, json!(["sluice_worker::rest"]));
    let r = app
        .call("GET", "/admin/loggers/sluice_worker::rest", None)
        .await;
    assert_eq!(r.json["level"], "DEBUG");
    assert!(r.json["last_modified"].as_i64().unwrap() > 1_600_000_000_000);

    let r = app
        .call(
            "PUT",
            "/admin/loggers/sluice_worker",
            Some(r#"{"level":"WARN"}"#),
        )
        .await;
    assert_eq!(r.json, json!(["sluice_worker", "sluice_worker::rest"]));

    let r = app
        .call(
            "PUT",
            "/admin/loggers/root?scope=cluster",
            Some(r#"{"level":"ERROR"}"#),
        )
        .await;
    assert_eq!((r.status, r.raw.len()), (StatusCode::NO_CONTENT, 0));
    let r = app.call("GET", "/admin/loggers/root", None).await;
    assert_eq!(r.json["level"], "ERROR");

    app.call("GET", "/admin/loggers/nope", None)
        .await
        .assert_error(404, "Logger nope not found.");
    app.call("PUT", "/admin/loggers/x", Some(r#"{"lvl":"INFO"}"#))
        .await
        .assert_error(
            400,
            "Desired 'level' parameter was not specified in request.",
        );
    app.call("PUT", "/admin/loggers/x", Some(r#"{"level":"LOUD"}"#))
        .await
        .assert_error(404, "invalid log level 'LOUD'.");
}

/// A writer into a shared buffer, for capturing formatted log lines.
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn setting_a_level_changes_what_is_logged() {
    let buf = Buf::default();
    let (filter, handle) = reload::Layer::new(EnvFilter::new("info"));
    let writer = buf.clone();
    let subscriber = tracing_subscriber::registry().with(filter).with(
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(move || writer.clone()),
    );
    let mut app = TestApp::new();
    app.state = app
        .state
        .clone()
        .with_loggers(Arc::new(LoggerLevels::with_reload_handle("info", handle)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        tracing::debug!(target: "sluice_test::probe", "before-change");
        let r = rt.block_on(app.call(
            "PUT",
            "/admin/loggers/sluice_test",
            Some(r#"{"level":"DEBUG"}"#),
        ));
        assert_eq!(r.status, StatusCode::OK);
        tracing::debug!(target: "sluice_test::probe", "after-change");
        tracing::debug!(target: "other::probe", "unrelated-debug");
        rt.block_on(app.call(
            "PUT",
            "/admin/loggers/sluice_test",
            Some(r#"{"level":"OFF"}"#),
        ));
        tracing::error!(target: "sluice_test::probe", "after-off");
    });
    let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(!out.contains("before-change"), "{out}");
    assert!(out.contains("after-change"), "{out}");
    assert!(!out.contains("unrelated-debug"), "{out}");
    assert!(!out.contains("after-off"), "{out}");
}
