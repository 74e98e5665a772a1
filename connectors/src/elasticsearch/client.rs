//! The HTTP client: the `elasticsearch` crate's transport configured from the connector's
//! settings, with the calls the sink makes, each retried per `max.retries`/`retry.backoff.ms`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use elasticsearch::auth::{ClientCertificate, Credentials};
use elasticsearch::cert::{Certificate, CertificateValidation};
use elasticsearch::http::headers::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use elasticsearch::http::transport::{
    MultiNodeConnectionPool, SingleNodeConnectionPool, TransportBuilder,
};
use elasticsearch::http::{Method, StatusCode, Url};
use elasticsearch::Elasticsearch;
use serde_json::Value as Json;
use thiserror::Error;

use super::bulk_response;
use super::config::EsSinkConfig;
use super::retry::{with_retries, Exhausted};

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

/// The sink's Elasticsearch client.
#[derive(Clone)]
pub struct EsClient {
    es: Elasticsearch,
    max_retries: u32,
    backoff: std::time::Duration,
    timeout: std::time::Duration,
    compat: Arc<AtomicU8>,
}

impl std::fmt::Debug for EsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsClient")
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

fn io(e: elasticsearch::Error) -> EsError {
    EsError::Io(e.to_string())
}

impl EsClient {
    /// Builds the client (no request is made).
    pub fn new(cfg: &EsSinkConfig) -> Result<EsClient, EsError> {
        let urls: Vec<Url> = cfg
            .connection_urls
            .iter()
            .map(|u| {
                // The transport joins request paths onto the URL: it must end with '/'.
                Url::parse(&format!("{u}/")).map_err(|e| EsError::Build(format!("{u}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let mut builder = match urls.as_slice() {
            [one] => TransportBuilder::new(SingleNodeConnectionPool::new(one.clone())),
            _ => TransportBuilder::new(MultiNodeConnectionPool::round_robin(urls, None)),
        };
        builder = builder
            .enable_meta_header(false)
            .request_body_compression(cfg.compression);
        if let Some((user, password)) = &cfg.credentials {
            builder = builder.auth(Credentials::Basic(
                user.clone(),
                password.value().to_string(),
            ));
        }
        builder = match &cfg.proxy {
            Some(p) => {
                let url = Url::parse(&p.url)
                    .map_err(|e| EsError::Build(format!("proxy {}: {e}", p.url)))?;
                match &p.credentials {
                    Some((u, pw)) => builder.proxy(url, Some(u), Some(pw.value())),
                    None => builder.proxy(url, None, None),
                }
            }
            // Like the Java client: no proxy unless configured (ignore HTTP_PROXY).
            None => builder.disable_proxy(),
        };
        if let Some(tls) = &cfg.tls {
            if let Some(pem) = &tls.trusted_pem {
                let cert = Certificate::from_pem(pem)
                    .map_err(|e| EsError::Build(format!("trusted certificates: {e}")))?;
                builder = builder.cert_validation(CertificateValidation::Full(cert));
            }
            if let Some(pem) = &tls.identity_pem {
                builder = builder.auth(Credentials::Certificate(ClientCertificate::Pem(
                    pem.clone(),
                )));
            }
        }
        let transport = builder.build().map_err(|e| EsError::Build(e.to_string()))?;
        Ok(EsClient {
            es: Elasticsearch::new(transport),
            max_retries: cfg.max_retries,
            backoff: cfg.retry_backoff,
            timeout: cfg.request_timeout(),
            compat: Arc::new(AtomicU8::new(COMPAT_UNKNOWN)),
        })
    }

    /// Headers of every call: plain JSON, or the compatibility media type for 8.x (as the Java
    /// client's compatibility mode sends it) and 9.x servers.
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        let media = match self.compat.load(Ordering::Relaxed) {
            COMPAT_7 => Some("application/vnd.elasticsearch+json; compatible-with=7"),
            COMPAT_8 => Some("application/vnd.elasticsearch+json; compatible-with=8"),
            _ => None,
        };
        if let Some(m) = media {
            h.insert(CONTENT_TYPE, HeaderValue::from_static(m));
            h.insert(ACCEPT, HeaderValue::from_static(m));
        }
        h
    }

    /// One attempt of a call; non-2xx answers are errors, except the statuses in `accept`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: Option<&[(&str, &str)]>,
        body: Option<Vec<u8>>,
        accept: &[u16],
    ) -> Result<(StatusCode, Vec<u8>), EsError> {
        let resp = self
            .es
            .send(
                method,
                path,
                self.headers(),
                query,
                body,
                Some(self.timeout),
            )
            .await
            .map_err(io)?;
        let status = resp.status_code();
        let bytes = resp.bytes().await.map_err(io)?.to_vec();
        if status.is_success() || accept.contains(&status.as_u16()) {
            Ok((status, bytes))
        } else {
            let mut body = String::from_utf8_lossy(&bytes).into_owned();
            body.truncate(2000);
            Err(EsError::Status {
                status: status.as_u16(),
                body,
            })
        }
    }

    /// A call with retries.
    async fn retried(
        &self,
        what: &str,
        method: Method,
        path: &str,
        query: Option<&[(&str, &str)]>,
        body: Option<Vec<u8>>,
        accept: &[u16],
    ) -> Result<(StatusCode, Vec<u8>), Exhausted<EsError>> {
        with_retries(
            what,
            self.max_retries,
            self.backoff,
            |_| true,
            || self.call(method, path, query, body.clone(), accept),
        )
        .await
    }

    /// `GET /`: the server version; switches compatibility mode on for 8.x and later. `None`
    /// when the call fails (the version is then "Unknown" and compatibility mode stays off).
    pub async fn detect_version(&self) -> Option<String> {
        let version = match self.call(Method::Get, "/", None, None, &[]).await {
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
        self.call(Method::Head, "/", None, None, &[403])
            .await
            .map(|_| ())
    }

    /// `HEAD /{index}`.
    pub async fn index_exists(&self, index: &str) -> Result<bool, Exhausted<EsError>> {
        let path = format!("/{}", encode(index));
        let (status, _) = self
            .retried("index exists", Method::Head, &path, None, None, &[404])
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
            .retried("create index", Method::Put, &path, None, None, &[])
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.error.error_type().as_deref() == Some("resource_already_exists_exception") =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// `GET /{index}/_mapping`.
    pub async fn get_mapping(&self, index: &str) -> Result<Json, Exhausted<EsError>> {
        let path = format!("/{}/_mapping", encode(index));
        let (_, body) = self
            .retried("get mapping", Method::Get, &path, None, None, &[])
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
        self.retried("put mapping", Method::Put, &path, None, Some(body), &[])
            .await
            .map(|_| ())
    }

    /// `POST /_bulk?timeout=1m` with retries; the per-item results in request order.
    pub async fn bulk(
        &self,
        body: Vec<u8>,
        items: usize,
    ) -> Result<Vec<ItemResult>, Exhausted<EsError>> {
        let query: &[(&str, &str)] = &[("timeout", "1m")];
        with_retries(
            "bulk request",
            self.max_retries,
            self.backoff,
            |_| true,
            || async {
                let (_, bytes) = self
                    .call(Method::Post, "/_bulk", Some(query), Some(body.clone()), &[])
                    .await?;
                bulk_response::parse(&bytes, items)
            },
        )
        .await
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
