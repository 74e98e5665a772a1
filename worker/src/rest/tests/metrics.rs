//! `GET /metrics`: served when the worker measures, Java's 404 otherwise.

use super::TestApp;
use crate::metrics::{Metrics, MetricsConfig};

#[tokio::test]
async fn metrics_are_served_in_the_openmetrics_format() {
    let mut app = TestApp::new();
    app.state = app
        .state
        .clone()
        .with_metrics(Metrics::new(MetricsConfig::default(), "connect-1"));
    let reply = app.call("GET", "/metrics", None).await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(
        reply.headers["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = String::from_utf8(reply.raw).expect("utf-8");
    assert!(
        text.contains("\nkafka_connect_worker_connector_count 0\n")
            || text.contains("\nkafka_connect_worker_connector_count 0.0\n"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[tokio::test]
async fn metrics_turned_off_answer_404() {
    let app = TestApp::new();
    app.call("GET", "/metrics", None)
        .await
        .assert_error(404, "HTTP 404 Not Found");
    let mut app = TestApp::new();
    app.state = app.state.clone().with_metrics(Metrics::disabled());
    app.call("GET", "/metrics", None)
        .await
        .assert_error(404, "HTTP 404 Not Found");
}
