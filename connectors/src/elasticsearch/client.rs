//! The HTTP client: a `reqwest` client configured from the connector's settings (Java's
//! low-level REST client through `ConfigCallbackHandler`), with the calls the sink makes, each
//! retried per `max.retries`/`retry.backoff.ms`.
//!
//! Timeouts are Java's: `connection.timeout.ms` bounds establishing a connection and
//! `read.timeout.ms` bounds every wait for response bytes (a socket timeout), so a slow answer
//! fails after `read.timeout.ms` whatever the connect budget. `max.connection.idle.time.ms`
//! closes pooled connections idle for longer. Whole bulk requests answered 400, 401, 403 or 404
//! are not retried (see [`NON_RETRIABLE_BULK_STATUSES`]).

use std::io::Write;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value as Json;
use thiserror::Error;

use super::bulk_response;
use super::config::EsSinkConfig;
use super::retry::{with_retries, Exhausted};

/// Statuses of a whole `_bulk` answer that no retry can fix (bad request, authentication,
/// authorisation, no such endpoint): the task fails at once instead of retrying them
/// `max.retries` times as Confluent's connector does.
pub const NON_RETRIABLE_BULK_STATUSES: &[u16] = &[400, 401, 403, 404];

/// An error of one HTTP call.
#[derive(Debug, Error, Clone)]
pub enum EsError {
    /// The client could not be built from the configuration.
    #[error("{0}")]
    Build(String),
    /// Connection refused, timeout, broken body, …
    #[error("{0}")]
    Io(String),
    /// A non-2xx answer.
    #[error("status {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Response body (truncated).
        body: String,
    },
    /// A 2xx answer that is not the JSON expected.
    #[error("unexpected response: {0}")]
    Protocol(String),
}

impl EsError {
    /// The `type` of an Elasticsearch error body, if the answer carries one.
    pub fn error_type(&self) -> Option<String> {
        match self {
            EsError::Status { body, .. } => serde_json::from_str::<Json>(body).ok().and_then(|j| {
                j.pointer("/error/type")
                    .and_then(Json::as_str)
                    .map(str::to_string)
            }),
            _ => None,
        }
    }

    /// False for a whole bulk answer whose status is in [`NON_RETRIABLE_BULK_STATUSES`].
    pub fn is_retriable_bulk_error(&self) -> bool {
        !matches!(self, EsError::Status { status, .. } if NON_RETRIABLE_BULK_STATUSES.contains(status))
    }
}

/// One item of a bulk response.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemResult {
    /// Item status.
    pub status: u16,
    /// `(type, reason)` of a failed item.
    pub error: Option<(String, String)>,
}

/// The compatibility mode chosen from the server version.
const COMPAT_UNKNOWN: u8 = 0;
const COMPAT_OFF: u8 = 1;
const COMPAT_7: u8 = 7;
const COMPAT_8: u8 = 8;

/// The `User-Agent` of every call.
const AGENT: &str = concat!("sluice-elasticsearch-sink/", env!("CARGO_PKG_VERSION"));

/// The sink's Elasticsearch client. Clones share the connection pool.
#[derive(Clone)]
pub struct EsClient {
    http: reqwest::Client,
    /// Base URLs (ending with '/'), used round-robin.
    urls: Arc<[Url]>,
    next_url: Arc<AtomicUsize>,
    credentials: Option<(String, String)>,
    compression: bool,
    max_retries: u32,
    backoff: Duration,
    /// A bound on each whole call (connect, send, read), for validation.
    call_cap: Option<Duration>,
    compat: Arc<AtomicU8>,
}

impl std::fmt::Debug for EsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsClient")
            .field("urls", &self.urls)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

/// A `reqwest` error with its causes (its own message hides them).
fn io(e: reqwest::Error) -> EsError {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    EsError::Io(msg)
}

fn build_error(what: &str, e: impl std::fmt::Display) -> EsError {
    EsError::Build(format!("{what}: {e}"))
}

impl EsClient {
    /// Builds the client (no request is made).
    pub fn new(cfg: &EsSinkConfig) -> Result<EsClient, EsError> {
        let urls: Vec<Url> = cfg
            .connection_urls
            .iter()
            .map(|u| {
                // Request paths are joined onto the URL: it must end with '/'.
                Url::parse(&format!("{}/", u.trim_end_matches('/'))).map_err(|e| build_error(u, e))
            })
            .collect::<Result<_, _>>()?;
        if urls.is_empty() {
            return Err(EsError::Build("no connection.url".into()));
        }
        // Java's pool keeps max(10, 2 × max.in.flight.requests) connections per route.
        let mut builder = reqwest::Client::builder()
            .pool_max_idle_per_host(cfg.max_in_flight_requests.saturating_mul(2).max(10));
        if !cfg.connection_timeout.is_zero() {
            builder = builder.connect_timeout(cfg.connection_timeout);
        }
        if !cfg.read_timeout.is_zero() {
            builder = builder.read_timeout(cfg.read_timeout);
        }
        builder = match cfg.max_connection_idle {
            Some(d) if d.is_zero() => builder.pool_max_idle_per_host(0),
            Some(d) => builder.pool_idle_timeout(d),
            None => builder.pool_idle_timeout(None),
        };
        builder = match &cfg.proxy {
            Some(p) => {
                let mut proxy = reqwest::Proxy::all(&p.url).map_err(|e| build_error(&p.url, e))?;
                if let Some((u, pw)) = &p.credentials {
                    proxy = proxy.basic_auth(u, pw.value());
                }
                builder.proxy(proxy)
            }
            // Like the Java client: no proxy unless configured (ignore HTTP_PROXY).
            None => builder.no_proxy(),
        };
        if let Some(tls) = &cfg.tls {
            if let Some(pem) = &tls.trusted_pem {
                for cert in reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| build_error("trusted certificates", e))?
                {
                    builder = builder.add_root_certificate(cert);
                }
            }
            if let Some(pem) = &tls.identity_pem {
                builder = builder.identity(
                    reqwest::Identity::from_pem(pem)
                        .map_err(|e| build_error("client certificate", e))?,
                );
            }
        }
        let http = builder.build().map_err(|e| build_error("HTTP client", e))?;
        Ok(EsClient {
            http,
            urls: urls.into(),
            next_url: Arc::new(AtomicUsize::new(0)),
            credentials: cfg
                .credentials
                .as_ref()
                .map(|(u, p)| (u.clone(), p.value().to_string())),
            compression: cfg.compression,
            max_retries: cfg.max_retries,
            backoff: cfg.retry_backoff,
            call_cap: None,
            compat: Arc::new(AtomicU8::new(COMPAT_UNKNOWN)),
        })
    }

    /// This client with every call (connect, send and read together) bounded by `cap`.
    pub fn with_call_cap(mut self, cap: Duration) -> EsClient {
        self.call_cap = Some(cap);
        self
    }

    /// Headers of every call: plain JSON, or the compatibility media type for 8.x (as the Java
    /// client's compatibility mode sends it) and 9.x servers.
    fn headers(&self) -> HeaderMap {
        let media = match self.compat.load(Ordering::Relaxed) {
            COMPAT_7 => "application/vnd.elasticsearch+json; compatible-with=7",
            COMPAT_8 => "application/vnd.elasticsearch+json; compatible-with=8",
            _ => "application/json",
        };
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(media));
        h.insert(ACCEPT, HeaderValue::from_static(media));
        h.insert(USER_AGENT, HeaderValue::from_static(AGENT));
        h
    }

    /// The base URL of the next call (round-robin).
    fn base_url(&self) -> &Url {
        let i = self.next_url.fetch_add(1, Ordering::Relaxed);
        &self.urls[i % self.urls.len()]
    }

    /// One attempt of a call; non-2xx answers are errors, except the statuses in `accept`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: Option<&[(&str, &str)]>,
        body: Option<Bytes>,
        accept: &[u16],
    ) -> Result<(StatusCode, Bytes), EsError> {
        let url = self
            .base_url()
            .join(path.trim_start_matches('/'))
            .map_err(|e| EsError::Protocol(format!("{path}: {e}")))?;
        let mut request = self.http.request(method, url).headers(self.headers());
        if let Some((user, password)) = &self.credentials {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(q) = query {
            request = request.query(q);
        }
        if let Some(body) = body {
            request = if self.compression {
                request
                    .header(CONTENT_ENCODING, "gzip")
                    .body(gzip(&body).map_err(|e| EsError::Io(e.to_string()))?)
            } else {
                request.body(body)
            };
        }
        let exchange = async {
            let resp = request.send().await.map_err(io)?;
            let status = resp.status();
            let bytes = resp.bytes().await.map_err(io)?;
            Ok::<_, EsError>((status, bytes))
        };
        let (status, bytes) = match self.call_cap {
            Some(cap) => tokio::time::timeout(cap, exchange)
                .await
                .map_err(|_| EsError::Io(format!("no answer within {} ms", cap.as_millis())))??,
            None => exchange.await?,
        };
        if status.is_success() || accept.contains(&status.as_u16()) {
            Ok((status, bytes))
        } else {
            let mut body = String::from_utf8_lossy(&bytes).into_owned();
            truncate(&mut body, 2000);
            Err(EsError::Status {
                status: status.as_u16(),
                body,
            })
        }
    }

    /// A call with retries of every error `retriable` accepts.
    #[allow(clippy::too_many_arguments)]
    async fn retried(
        &self,
        what: &str,
        method: Method,
        path: &str,
        query: Option<&[(&str, &str)]>,
        body: Option<Bytes>,
        accept: &[u16],
        retriable: impl Fn(&EsError) -> bool,
    ) -> Result<(StatusCode, Bytes), Exhausted<EsError>> {
        with_retries(what, self.max_retries, self.backoff, retriable, || {
            self.call(method.clone(), path, query, body.clone(), accept)
        })
        .await
    }

    /// `GET /`: the server version; switches compatibility mode on for 8.x and later. `None`
    /// when the call fails (the version is then "Unknown" and compatibility mode stays off).
    pub async fn detect_version(&self) -> Option<String> {
        let version = match self.call(Method::GET, "/", None, None, &[]).await {
            Ok((_, body)) => serde_json::from_slice::<Json>(&body).ok().and_then(|j| {
                j.pointer("/version/number")
                    .and_then(Json::as_str)
                    .map(str::to_string)
            }),
            Err(e) => {
                tracing::warn!(error = %e, "Could not read the Elasticsearch version; compatibility mode is off.");
                None
            }
        };
        let major = version.as_deref().map_or(0, major_version);
        self.compat.store(
            match major {
                0..=7 => COMPAT_OFF,
                8 => COMPAT_7,
                _ => COMPAT_8,
            },
            Ordering::Relaxed,
        );
        version
    }

    /// `HEAD /` (a 403 counts as reachable: the server is up).
    pub async fn ping(&self) -> Result<(), EsError> {
        self.call(Method::HEAD, "/", None, None, &[403])
            .await
            .map(|_| ())
    }

    /// `HEAD /{index}`.
    pub async fn index_exists(&self, index: &str) -> Result<bool, Exhausted<EsError>> {
        let path = format!("/{}", encode(index));
        let (status, _) = self
            .retried(
                "index exists",
                Method::HEAD,
                &path,
                None,
                None,
                &[404],
                |_| true,
            )
            .await?;
        Ok(status.is_success())
    }

    /// `PUT /{index}` or `PUT /_data_stream/{name}`; `false` when it already existed.
    pub async fn create_resource(
        &self,
        name: &str,
        data_stream: bool,
    ) -> Result<bool, Exhausted<EsError>> {
        let path = if data_stream {
            format!("/_data_stream/{}", encode(name))
        } else {
            format!("/{}", encode(name))
        };
        let result = self
            .retried("create index", Method::PUT, &path, None, None, &[], |e| {
                e.error_type().as_deref() != Some(ALREADY_EXISTS)
            })
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.error.error_type().as_deref() == Some(ALREADY_EXISTS) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET /{index}/_mapping`.
    pub async fn get_mapping(&self, index: &str) -> Result<Json, Exhausted<EsError>> {
        let path = format!("/{}/_mapping", encode(index));
        let (_, body) = self
            .retried("get mapping", Method::GET, &path, None, None, &[], |_| true)
            .await?;
        serde_json::from_slice(&body).map_err(|e| Exhausted {
            error: EsError::Protocol(e.to_string()),
            attempts: 1,
        })
    }

    /// `PUT /{index}/_mapping`.
    pub async fn put_mapping(&self, index: &str, mapping: &Json) -> Result<(), Exhausted<EsError>> {
        let path = format!("/{}/_mapping", encode(index));
        let body = serde_json::to_vec(mapping).map_err(|e| Exhausted {
            error: EsError::Protocol(e.to_string()),
            attempts: 1,
        })?;
        self.retried(
            "put mapping",
            Method::PUT,
            &path,
            None,
            Some(Bytes::from(body)),
            &[],
            |_| true,
        )
        .await
        .map(|_| ())
    }

    /// `POST /_bulk?timeout=1m` with retries (none for [`NON_RETRIABLE_BULK_STATUSES`]); the
    /// per-item results in request order.
    pub async fn bulk(
        &self,
        body: Bytes,
        items: usize,
    ) -> Result<Vec<ItemResult>, Exhausted<EsError>> {
        let query: &[(&str, &str)] = &[("timeout", "1m")];
        with_retries(
            "bulk request",
            self.max_retries,
            self.backoff,
            EsError::is_retriable_bulk_error,
            || async {
                let (_, bytes) = self
                    .call(Method::POST, "/_bulk", Some(query), Some(body.clone()), &[])
                    .await?;
                bulk_response::parse(&bytes, items)
            },
        )
        .await
    }
}

/// The error type of a create call for a resource that exists already.
const ALREADY_EXISTS: &str = "resource_already_exists_exception";

/// Gzips a request body (`connection.compression`).
fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body)?;
    encoder.finish()
}

/// Cuts `s` to at most `max` bytes, on a character boundary.
fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// Percent-encodes a path segment (index names are lower-case and mostly plain).
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+' | b'@' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The major version of `7.17.0`, `8.0.0-rc2`, …
pub fn major_version(v: &str) -> u32 {
    v.split('.')
        .next()
        .and_then(|m| m.split('-').next())
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// Compares versions by numeric prefix per component (`7.0.0-rc2` ≥ `7.0.0`), as Confluent's
/// validator does.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| -> Vec<u64> {
        v.split('.')
            .map(|p| {
                p.split('-')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            })
            .collect()
    };
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        match x.cmp(y) {
            std::cmp::Ordering::Equal => {}
            o => return o,
        }
    }
    pa.len().cmp(&pb.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(major_version("8.15.0"), 8);
        assert_eq!(major_version("7.0.0-rc2"), 7);
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("6.8.1", "7.0.0"), Less);
        assert_eq!(compare_versions("7.0.0-rc2", "7.0.0"), Equal);
        assert_eq!(compare_versions("7.10.0", "7.9.0"), Greater);
    }

    #[test]
    fn path_encoding() {
        assert_eq!(encode("logs-a_b-c"), "logs-a_b-c");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
