//! REST basic authentication (`rest.extension.classes` = Kafka's
//! `BasicAuthSecurityRestExtension`, JAAS file with a `PropertyFileLoginModule`) against the
//! real `sluice` binary.

mod common;
mod rest_util;

use std::time::Duration;

use common::{wait_until, worker_properties, Sluice, TestDir};
use rest_util::free_port;

const EXTENSION: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";

#[test]
fn basic_auth_rejects_wrong_credentials_and_accepts_the_right_ones() {
    let dir = TestDir::new();
    let creds = dir.write("connect.password", "admin=s3cret\nops=pager\n");
    let jaas = dir.write(
        "connect_jaas.conf",
        &format!(
            "KafkaConnect {{\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"{}\";\n}};\n",
            creds.display()
        ),
    );
    let port = free_port();
    let listeners = format!("http://127.0.0.1:{port}");
    let jaas = jaas.display().to_string();
    let props = worker_properties(
        &dir,
        &[
            ("listeners", &listeners),
            ("rest.extension.classes", EXTENSION),
            ("java.security.auth.login.config", &jaas),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &props, &[]);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let url = |path: &str| format!("{listeners}{path}");
    wait_until("the REST API to answer", Duration::from_secs(30), || {
        client.get(url("/health")).send().is_ok()
    });

    // No credentials, a wrong password, an unknown user: 401 with Java's text.
    for auth in [None, Some(("admin", "wrong")), Some(("mallory", "s3cret"))] {
        for path in ["/connectors", "/health", "/"] {
            let mut req = client.get(url(path));
            if let Some((u, p)) = auth {
                req = req.basic_auth(u, Some(p));
            }
            let resp = req.send().expect("answer");
            assert_eq!(resp.status().as_u16(), 401, "{path} with {auth:?}");
            assert!(resp
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("Basic")));
            assert_eq!(
                resp.text().expect("body"),
                "User cannot access the resource."
            );
        }
    }
    // The right credentials: the API as usual.
    for (user, password) in [("admin", "s3cret"), ("ops", "pager")] {
        let resp = client
            .get(url("/connectors"))
            .basic_auth(user, Some(password))
            .send()
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.text().expect("body"), "[]");
    }
    let health = client
        .get(url("/health"))
        .basic_auth("admin", Some("s3cret"))
        .send()
        .expect("answer");
    assert_eq!(health.status().as_u16(), 200);
    assert!(sluice.terminate().success(), "{}", sluice.logs());
}

#[test]
fn an_unknown_rest_extension_stops_the_worker_with_a_clear_error() {
    let dir = TestDir::new();
    let props = worker_properties(
        &dir,
        &[("rest.extension.classes", "com.example.AuditRestExtension")],
    );
    let mut sluice = Sluice::standalone(&dir, "worker", &props, &[]);
    let status = sluice
        .wait_exit(Duration::from_secs(30))
        .expect("the worker exits");
    assert!(!status.success());
    let logs = sluice.logs();
    assert!(
        logs.contains("rest.extension.classes") && logs.contains("com.example.AuditRestExtension"),
        "{logs}"
    );
}
