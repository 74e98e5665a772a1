//! Issue 9 over real HTTP: synchronous connector calls never stall the REST API (item 3,
//! herder side) and Kafka client settings that run commands are refused in connector configs
//! (item 9).

mod common;
mod rest_util;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use common::wait::wait_until;
use common::TestDir;
use rest_util::RestWorker;

/// A TCP server that accepts connections and never answers (a black-holed address); returns
/// its port and how many connections it accepted.
fn silent_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            open.push(stream);
        }
    });
    (port, accepted)
}

#[test]
fn validations_against_a_silent_server_do_not_stall_the_api() {
    let dir = TestDir::new();
    let (port, accepted) = silent_server();
    let w = Arc::new(RestWorker::start(&dir, "validate", &[], &[]));
    // Two validations, or one per runtime thread when there are more cores, so that a
    // validation run on a runtime thread would block all of them.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let n = cores.clamp(2, 8);
    let body = json!({
        "connector.class": "ElasticsearchSinkConnector",
        "name": "silent",
        "topics": "t",
        "connection.url": format!("http://127.0.0.1:{port}"),
        "connection.timeout.ms": "5000",
        "read.timeout.ms": "5000",
        "max.retries": "0",
    })
    .to_string();
    let validations: Vec<_> = (0..n)
        .map(|_| {
            let (w, body) = (w.clone(), body.clone());
            std::thread::spawn(move || {
                w.call(
                    "PUT",
                    "/connector-plugins/ElasticsearchSinkConnector/config/validate",
                    Some(&body),
                )
            })
        })
        .collect();
    wait_until(
        "every validation to reach the silent server",
        Duration::from_secs(20),
        || accepted.load(Ordering::SeqCst) >= n,
    );
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let r = w.call("GET", "/connectors", None);
        worst = worst.max(started.elapsed());
        assert_eq!(r.status, 200, "{:?}", r.json);
    }
    assert!(
        validations.iter().any(|v| !v.is_finished()),
        "the validations ended before the reads: the test proves nothing"
    );
    assert!(
        worst < Duration::from_millis(100),
        "GET /connectors took up to {worst:?} while {n} validations waited on a silent server"
    );
    for v in validations {
        let r = v.join().expect("validation thread");
        // The silent server makes connection.url invalid (or the call time out): an answer,
        // either way.
        assert!(r.status == 200 || r.status == 500, "{:?}", r.json);
    }
}

#[test]
fn connector_client_overrides_that_run_commands_are_refused() {
    let dir = TestDir::new();
    let w = RestWorker::start(&dir, "kinit", &[], &[]);
    let marker = dir.file("ran");
    for key in [
        "producer.override.sasl.kerberos.kinit.cmd",
        "consumer.override.plugin.library.paths",
        "admin.override.ssl.engine.location",
        "sasl.kerberos.kinit.cmd",
    ] {
        let config = json!({
            "name": "kinit",
            "connector.class": "FileStreamSource",
            "file": "/dev/null",
            "topic": "t",
            key: format!("touch {}", marker.display()),
        });
        let r = w.call(
            "PUT",
            "/connector-plugins/FileStreamSource/config/validate",
            Some(&config.to_string()),
        );
        assert_eq!(r.status, 200, "{:?}", r.json);
        assert_eq!(r.json["error_count"], 1, "{key}: {:?}", r.json);
        let entry = r.json["configs"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["value"]["name"] == key))
            .unwrap_or_else(|| panic!("{key} is not in the validation: {:?}", r.json));
        let errors = entry["value"]["errors"].to_string();
        assert!(errors.contains(key), "{key}: {errors}");

        let r = w.call("PUT", "/connectors/kinit/config", Some(&config.to_string()));
        assert_eq!(r.status, 400, "{key}: {:?}", r.json);
        let message = r.json["message"].as_str().unwrap_or("");
        assert!(message.contains(key), "{key}: {message}");
        assert_eq!(w.call("GET", "/connectors", None).json, json!([]));
    }
    assert!(!marker.exists(), "a refused command ran");
}
