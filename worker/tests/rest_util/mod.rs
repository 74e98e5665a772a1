//! A `sluice standalone` worker on the real broker, driven over real HTTP, for the
//! `rest_*.rs` end-to-end tests.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::common::wait::wait_for;
use crate::common::{worker_properties, Sluice, TestDir};

/// How long a worker gets to answer `GET /` after starting.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A free loopback port (the listener is closed before the worker binds it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A response: status, headers, and the body as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `Location`, if any.
    pub location: Option<String>,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body, parsed.
    pub json: Value,
}

impl Reply {
    /// Asserts Java's error body.
    #[track_caller]
    pub fn assert_error(&self, status: u16, message: &str) {
        assert_eq!(self.status, status, "{:?}", self.json);
        assert_eq!(
            self.json,
            serde_json::json!({"error_code": status, "message": message})
        );
    }
}

/// A running worker and its REST base URL.
pub struct RestWorker {
    /// The process.
    pub sluice: Sluice,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The REST port.
    pub port: u16,
    client: reqwest::blocking::Client,
}

impl RestWorker {
    /// Starts `sluice standalone` in `dir` with `extra` worker keys and extra command-line
    /// arguments, and waits until its REST API answers.
    pub fn start(dir: &TestDir, tag: &str, extra: &[(&str, &str)], args: &[&Path]) -> Self {
        let port = free_port();
        let listeners = format!("http://127.0.0.1:{port}");
        let mut keys: Vec<(&str, &str)> = vec![("listeners", listeners.as_str())];
        keys.extend_from_slice(extra);
        let props = worker_properties(dir, &keys);
        let sluice = Sluice::standalone(dir, tag, &props, args);
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        let worker = RestWorker {
            sluice,
            base: format!("http://127.0.0.1:{port}"),
            port,
            client,
        };
        wait_for("the REST API to answer GET /health", READY_TIMEOUT, || {
            worker
                .try_call("GET", "/health", None)
                .filter(|r| r.status == 200)
        });
        worker
    }

    /// Sends a request; `None` when the connection fails.
    pub fn try_call(&self, method: &str, path: &str, body: Option<&str>) -> Option<Reply> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().ok()?;
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let location = header("location");
        let content_type = header("content-type");
        let status = resp.status().as_u16();
        let text = resp.text().ok()?;
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Some(Reply {
            status,
            location,
            content_type,
            json,
        })
    }

    /// Sends a request; fails the test (with the worker's log) when the connection fails.
    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        self.try_call(method, path, body).unwrap_or_else(|| {
            panic!(
                "{method} {path}: no answer from the worker; it printed:\n{}",
                self.sluice.logs()
            )
        })
    }

    /// Sends a request with a raw body and content type.
    pub fn call_raw(&self, method: &str, path: &str, content_type: &str, body: &str) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let resp = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Content-Type", content_type)
            .body(body.to_string())
            .send()
            .expect("request");
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let json = resp.json().unwrap_or(Value::Null);
        Reply {
            status,
            location: None,
            content_type,
            json,
        }
    }

    /// Polls the connector status until `pred` holds (bounded), returning it.
    pub fn wait_status(&self, name: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        wait_for(what, Duration::from_secs(30), || {
            let r = self.try_call("GET", &format!("/connectors/{name}/status"), None)?;
            (r.status == 200 && pred(&r.json)).then_some(r.json)
        })
    }
}

/// The state of the connector in a status body.
pub fn connector_state(status: &Value) -> &str {
    status["connector"]["state"].as_str().unwrap_or("")
}

/// The states of the tasks in a status body.
pub fn task_states(status: &Value) -> Vec<String> {
    status["tasks"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| t["state"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}
