//! A Schema Registry REST client for the converter: register, look up, fetch by id, latest.
//!
//! Converters are synchronous, and the worker calls them on its tokio threads. The client
//! therefore runs every HTTP request on one dedicated thread of its own (a blocking HTTP
//! client that never touches the caller's runtime) and waits for the answer; on a
//! multi-threaded runtime the wait is wrapped in `block_in_place`, so the runtime moves its
//! other tasks elsewhere. Only cache misses reach the client: one call per schema, never per
//! record. Connection failures are retried over every URL with exponential backoff.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value as Json};
use thiserror::Error;
use tracing::{debug, warn};

/// Content type of every registry request.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// How many rounds over the URLs before giving up on an unreachable registry.
const ATTEMPTS: u32 = 4;
/// The first backoff; doubled after each round.
const BACKOFF: Duration = Duration::from_millis(200);

/// A registry failure.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RegistryError {
    /// The registry answered with an error (`{"error_code":…,"message":…}`).
    #[error("{message}; error code: {code}")]
    Rest {
        /// HTTP status.
        status: u16,
        /// Registry error code (`40401`, `40403`, `409`, …).
        code: i64,
        /// Registry message.
        message: String,
    },
    /// No registry URL could be reached.
    #[error("Schema Registry unreachable at {urls} after {attempts} attempts: {cause}")]
    Unreachable {
        /// The URLs tried.
        urls: String,
        /// Attempts made.
        attempts: u32,
        /// The last cause.
        cause: String,
    },
    /// The answer was not what the API promises.
    #[error("Invalid Schema Registry response from {url}: {message}")]
    Invalid {
        /// The URL.
        url: String,
        /// What was wrong.
        message: String,
    },
}

/// A subject's version of a schema (`GET /subjects/{s}/versions/latest`, lookup).
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectSchema {
    /// Schema id.
    pub id: i32,
    /// Version in the subject.
    pub version: i32,
    /// Schema text.
    pub schema: String,
}

type Job = Box<dyn FnOnce(&reqwest::blocking::Client) + Send>;

/// The client. Cheap to share between a converter's caches.
pub struct RegistryClient {
    urls: Vec<String>,
    auth: Option<String>,
    jobs: mpsc::Sender<Job>,
    calls: Arc<AtomicU64>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("urls", &self.urls)
            .finish()
    }
}

/// Percent-encodes a path segment.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Splits `http://user:pass@host:port` into the URL without credentials and the credentials.
fn split_credentials(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((cred, host)) => (format!("{scheme}://{host}{path}"), Some(cred.to_string())),
        None => (url.to_string(), None),
    }
}

impl RegistryClient {
    /// A client of `urls`. `user_info` (`user:password`) is sent as basic auth when given;
    /// otherwise credentials in the first URL that has some are used when `url_credentials`.
    pub fn new(
        urls: &[String],
        user_info: Option<&str>,
        url_credentials: bool,
    ) -> std::io::Result<Self> {
        let mut plain = Vec::with_capacity(urls.len());
        let mut from_url = None;
        for u in urls {
            let (p, c) = split_credentials(u);
            plain.push(p);
            if from_url.is_none() {
                from_url = c;
            }
        }
        let creds = match user_info {
            Some(u) => Some(u.to_string()),
            None if url_credentials => from_url,
            None => None,
        };
        let auth = creds.map(|c| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(c.as_bytes())
            )
        });
        let (tx, rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("schema-registry-client".into())
            .spawn(move || {
                let client = match reqwest::blocking::Client::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .timeout(Duration::from_secs(30))
                    .build()
                {
                    Ok(c) => c,
                    Err(e) => {
                        warn!("cannot build the Schema Registry HTTP client: {e}");
                        return;
                    }
                };
                while let Ok(job) = rx.recv() {
                    job(&client);
                }
            })?;
        Ok(RegistryClient {
            urls: plain,
            auth,
            jobs: tx,
            calls: Arc::new(AtomicU64::new(0)),
        })
    }

    /// How many requests this client sent (each retry counts).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The URLs (without credentials).
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// One request, tried on every URL in turn, rounds repeated with backoff while no URL is
    /// reachable. Returns the JSON body of a 2xx answer.
    fn request(
        &self,
        method: &'static str,
        path: &str,
        body: Option<Json>,
    ) -> Result<Json, RegistryError> {
        let mut backoff = BACKOFF;
        let mut last_cause = String::new();
        for attempt in 1..=ATTEMPTS {
            for base in &self.urls {
                let url = format!("{base}{path}");
                self.calls.fetch_add(1, Ordering::Relaxed);
                match self.send(method, &url, body.clone()) {
                    Ok((status, text)) => return parse_answer(&url, status, &text),
                    Err(cause) => {
                        debug!("Schema Registry request {method} {url} failed: {cause}");
                        last_cause = format!("{url}: {cause}");
                    }
                }
            }
            if attempt < ATTEMPTS {
                warn!(
                    "Schema Registry unreachable ({last_cause}); retrying in {} ms",
                    backoff.as_millis()
                );
                thread::sleep(backoff);
                backoff *= 2;
            }
        }
        Err(RegistryError::Unreachable {
            urls: self.urls.join(","),
            attempts: ATTEMPTS,
            cause: last_cause,
        })
    }

    /// Sends one HTTP request on the client thread; `Err` is a transport failure.
    fn send(
        &self,
        method: &'static str,
        url: &str,
        body: Option<Json>,
    ) -> Result<(u16, String), String> {
        let (tx, rx) = mpsc::channel();
        let url_owned = url.to_string();
        let auth = self.auth.clone();
        let job: Job = Box::new(move |client| {
            let mut req = match method {
                "POST" => client.post(&url_owned),
                "PUT" => client.put(&url_owned),
                _ => client.get(&url_owned),
            }
            .header("Accept", CONTENT_TYPE);
            if let Some(a) = auth {
                req = req.header("Authorization", a);
            }
            if let Some(b) = body {
                req = req.header("Content-Type", CONTENT_TYPE).body(b.to_string());
            }
            let answer = req
                .send()
                .and_then(|resp| {
                    let status = resp.status().as_u16();
                    resp.text().map(|t| (status, t))
                })
                .map_err(|e| {
                    let mut msg = e.to_string();
                    let mut src = std::error::Error::source(&e);
                    while let Some(s) = src {
                        msg.push_str(": ");
                        msg.push_str(&s.to_string());
                        src = s.source();
                    }
                    msg
                });
            let _ = tx.send(answer);
        });
        self.jobs
            .send(job)
            .map_err(|_| "the registry client thread has stopped".to_string())?;
        wait(rx).unwrap_or_else(|_| Err("the registry client thread has stopped".to_string()))
    }

    /// `POST /subjects/{subject}/versions`: registers a schema, returns its id.
    pub fn register(
        &self,
        subject: &str,
        schema: &str,
        normalize: bool,
    ) -> Result<i32, RegistryError> {
        let path = format!(
            "/subjects/{}/versions?normalize={normalize}",
            encode_segment(subject)
        );
        let body = json!({"schemaType": "AVRO", "schema": schema});
        let answer = self.request("POST", &path, Some(body))?;
        id_of(&path, &answer)
    }

    /// `POST /subjects/{subject}`: the id and version of a schema already in the subject.
    pub fn lookup(
        &self,
        subject: &str,
        schema: &str,
        normalize: bool,
    ) -> Result<SubjectSchema, RegistryError> {
        let path = format!(
            "/subjects/{}?normalize={normalize}&deleted=false",
            encode_segment(subject)
        );
        let body = json!({"schemaType": "AVRO", "schema": schema});
        let answer = self.request("POST", &path, Some(body))?;
        subject_schema(&path, &answer)
    }

    /// `GET /schemas/ids/{id}`: the schema text of an id.
    pub fn schema_by_id(&self, id: i32, subject: Option<&str>) -> Result<String, RegistryError> {
        let mut path = format!("/schemas/ids/{id}?fetchMaxId=false");
        if let Some(s) = subject {
            path.push_str("&subject=");
            path.push_str(&encode_segment(s));
        }
        let answer = self.request("GET", &path, None)?;
        if let Some(t) = answer.get("schemaType").and_then(Json::as_str) {
            if t != "AVRO" {
                return Err(RegistryError::Invalid {
                    url: path,
                    message: format!("schema {id} is of type {t}, not AVRO"),
                });
            }
        }
        answer
            .get("schema")
            .and_then(Json::as_str)
            .map(str::to_string)
            .ok_or_else(|| RegistryError::Invalid {
                url: path,
                message: "no \"schema\" member".into(),
            })
    }

    /// `GET /subjects/{subject}/versions/latest`.
    pub fn latest(&self, subject: &str) -> Result<SubjectSchema, RegistryError> {
        let path = format!("/subjects/{}/versions/latest", encode_segment(subject));
        let answer = self.request("GET", &path, None)?;
        subject_schema(&path, &answer)
    }
}

/// Waits for an answer from the client thread, letting a multi-threaded tokio runtime move
/// its other tasks off this thread meanwhile.
fn wait<T>(rx: mpsc::Receiver<T>) -> Result<T, mpsc::RecvError> {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| rx.recv())
        }
        _ => rx.recv(),
    }
}

fn parse_answer(url: &str, status: u16, text: &str) -> Result<Json, RegistryError> {
    let json: Option<Json> = serde_json::from_str(text).ok();
    if (200..300).contains(&status) {
        return json.ok_or_else(|| RegistryError::Invalid {
            url: url.to_string(),
            message: format!("not JSON: {text}"),
        });
    }
    let code = json
        .as_ref()
        .and_then(|j| j.get("error_code"))
        .and_then(Json::as_i64)
        .unwrap_or(i64::from(status) * 100);
    let message = json
        .as_ref()
        .and_then(|j| j.get("message"))
        .and_then(Json::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("HTTP {status} from {url}: {text}"));
    Err(RegistryError::Rest {
        status,
        code,
        message,
    })
}

fn id_of(path: &str, answer: &Json) -> Result<i32, RegistryError> {
    answer
        .get("id")
        .and_then(Json::as_i64)
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| RegistryError::Invalid {
            url: path.to_string(),
            message: format!("no \"id\" in {answer}"),
        })
}

fn subject_schema(path: &str, answer: &Json) -> Result<SubjectSchema, RegistryError> {
    Ok(SubjectSchema {
        id: id_of(path, answer)?,
        version: answer
            .get("version")
            .and_then(Json::as_i64)
            .and_then(|i| i32::try_from(i).ok())
            .ok_or_else(|| RegistryError::Invalid {
                url: path.to_string(),
                message: format!("no \"version\" in {answer}"),
            })?,
        schema: answer
            .get("schema")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_split_from_urls() {
        assert_eq!(
            split_credentials("http://u:p@reg:8081/x"),
            ("http://reg:8081/x".to_string(), Some("u:p".to_string()))
        );
        assert_eq!(
            split_credentials("http://reg:8081"),
            ("http://reg:8081".to_string(), None)
        );
        assert_eq!(encode_segment("a b/c-value"), "a%20b%2Fc-value");
    }

    #[test]
    fn unreachable_registry_names_the_url_after_retries() {
        // Port 9 (discard) on localhost is closed: connections are refused at once.
        let c = RegistryClient::new(&["http://127.0.0.1:9".to_string()], None, true).unwrap();
        let e = c.schema_by_id(1, None).unwrap_err();
        assert!(matches!(e, RegistryError::Unreachable { .. }), "{e}");
        assert!(e.to_string().contains("http://127.0.0.1:9"), "{e}");
        assert_eq!(c.calls(), u64::from(ATTEMPTS));
    }

    #[test]
    fn error_answers_keep_the_registry_code() {
        let e = parse_answer(
            "u",
            404,
            r#"{"error_code":40403,"message":"Schema 7 not found"}"#,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "Schema 7 not found; error code: 40403");
        assert!(parse_answer("u", 200, r#"{"id":1}"#).is_ok());
    }
}
