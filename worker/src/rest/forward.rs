//! Request forwarding between workers in distributed mode (Java's `HerderRequestHandler`
//! and `RestClient`).
//!
//! * [`complete_or_forward`]: when a herder call on a forwardable endpoint fails with
//!   [`HerderError::NotLeader`], the request goes to `<leader URL><path>?forward=<bool>&…`
//!   with the same method and JSON body; only `Authorization` is copied, the user agent is
//!   `kafka-connect` and redirects are not followed. The `forward` query parameter bounds
//!   the hops: absent (a user's request) → `forward=true`; `true` → `forward=false`; `false`
//!   → 409. [`HerderError::RebalanceNeeded`] becomes a 409 too.
//! * [`RestClient`]: the HTTP client behind it. A remote answer ≥ 400 is passed through
//!   (status, `error_code`, `message`); a failure to get an answer is a 500 with Java's
//!   wording.
//! * [`RestClient::post_task_configs`] and [`RestClient::post_task_configs_with_retry`]: a
//!   follower sending its connector's task configs to the leader, signed (KIP-507), retried
//!   with exponential backoff; [`RestClient::request_zombie_fencing`] for `PUT …/fence`.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue, Method};
use serde::Deserialize;
use sluice_api::Props;

use super::connectors::encode_segment;
use super::error::{RestError, RestResult};
use super::signature::{self, SIGNATURE_ALGORITHM_HEADER, SIGNATURE_HEADER};
use crate::herder::HerderError;

/// The user agent of forwarded and internal requests.
pub const USER_AGENT: &str = "kafka-connect";

/// Java's 409 when a request was already forwarded twice (`forward=false`).
pub const CONFLICTING_OPERATION: &str =
    "Cannot complete request because of a conflicting operation (e.g. worker rebalance)";
/// Java's 409 when no leader is known.
pub const NO_KNOWN_LEADER: &str = "Cannot complete request momentarily due to no known leader \
                                   URL, likely because a rebalance was underway.";
/// Java's 409 on a forwardable endpoint when the herder expects a rebalance.
pub const STALE_CONFIGURATION: &str = "Cannot complete request momentarily due to stale \
                                       configuration (typically caused by a concurrent config \
                                       change)";

/// How long one request to another worker may take.
pub const FORWARD_TIMEOUT: Duration = super::REQUEST_TIMEOUT;

/// Why a request to another worker did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    /// The remote worker answered ≥ 400 with Java's error body: passed through unchanged.
    #[error("{message}")]
    Remote {
        /// The remote HTTP status.
        status: u16,
        /// The remote body's `error_code`.
        error_code: u16,
        /// The remote body's `message`.
        message: String,
    },
    /// No answer (connection refused, reset, timeout), or an answer that is not the JSON
    /// expected: Java's `IOException` case.
    #[error("IO Error trying to forward REST request: {0}")]
    Io(String),
    /// Anything else that stopped the request from being sent.
    #[error("Error trying to forward REST request: {0}")]
    Other(String),
    /// A status outside 2xx and ≥ 400 (redirects are not followed).
    #[error("Unexpected status code when handling forwarded request: {0}")]
    UnexpectedStatus(u16),
    /// The HTTP client could not be built.
    #[error("Failed to start RestClient: {0}")]
    ClientStart(String),
    /// An internal request could not be signed (unknown `inter.worker.signature.algorithm`).
    #[error("{0}")]
    Signing(String),
}

impl ForwardError {
    /// The HTTP status this error answers with: the remote's, else 500.
    pub fn status(&self) -> u16 {
        match self {
            ForwardError::Remote { status, .. } => *status,
            _ => 500,
        }
    }
}

impl From<ForwardError> for RestError {
    fn from(e: ForwardError) -> Self {
        match e {
            ForwardError::Remote {
                status,
                error_code,
                message,
            } => RestError::Remote {
                status,
                error_code,
                message,
            },
            other => RestError::Internal(other.to_string()),
        }
    }
}

/// A successful answer of another worker.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardedResponse {
    /// The remote status (2xx).
    pub status: u16,
    /// The JSON body; `None` for 204.
    pub body: Option<serde_json::Value>,
}

impl ForwardedResponse {
    /// The body, `null` when there was none.
    pub fn into_json(self) -> serde_json::Value {
        self.body.unwrap_or(serde_json::Value::Null)
    }
}

/// The session key and algorithm an internal request is signed with (KIP-507).
#[derive(Clone, PartialEq, Eq)]
pub struct Signing {
    /// The current session key's bytes.
    pub key: Vec<u8>,
    /// `inter.worker.signature.algorithm`, e.g. `HmacSHA256`.
    pub algorithm: String,
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signing")
            .field("key", &"<redacted>")
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

/// One request to another worker.
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    /// The method.
    pub method: Method,
    /// The complete URL.
    pub url: String,
    /// The `Authorization` header of the request being forwarded, if any.
    pub authorization: Option<HeaderValue>,
    /// The JSON body, as sent (and signed).
    pub body: Option<Vec<u8>>,
    /// Sign the body (an absent body is signed as empty input).
    pub signing: Option<Signing>,
}

/// The HTTP client requests to other workers go through (Java's `RestClient`). Cheap to
/// clone; the underlying client is built on first use.
#[derive(Clone, Default)]
pub struct RestClient {
    client: Arc<OnceLock<Result<reqwest::Client, String>>>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient").finish_non_exhaustive()
    }
}

/// What [`RestClient::post_task_configs_with_retry`] should do next.
#[derive(Debug, Clone)]
pub enum NextAttempt {
    /// Send to this leader URL (`None` or blank: not known; the attempt fails and is
    /// retried), signed with `signing` when the `sessioned` protocol is in use.
    Send {
        /// The leader's advertised URL.
        leader_url: Option<String>,
        /// The current session key, if requests are signed.
        signing: Option<Signing>,
    },
    /// Stop retrying (the connector stopped, or its configs were superseded).
    GiveUp,
}

/// The backoff between task-config attempts: Java's `ExponentialBackoff(250, 2, 60000, 0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBackoff {
    /// The first wait.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Default for RetryBackoff {
    fn default() -> Self {
        RetryBackoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(60),
        }
    }
}

impl RetryBackoff {
    /// The wait after `attempts` failed retries (0 for the first failure): `initial · 2ⁿ`,
    /// capped at `max`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1u32.checked_shl(attempts.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// How long after the first attempt a 403 is taken for a rotated session key (Java's
/// `isPossibleExpiredKeyException`).
pub const KEY_ROTATION_WINDOW: Duration = Duration::from_secs(60);

/// `<target><path>?forward=<forward>&<query>`: the target's trailing `/` is dropped before
/// the path is appended, as JAX-RS's `UriBuilder` joins them.
pub fn forward_url(target: &str, path: &str, forward: bool, query: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![("forward", if forward { "true" } else { "false" })];
    pairs.extend(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}{}?{}", target.trim_end_matches('/'), path, query)
}

/// The `forward` query parameter as JAX-RS reads a `Boolean`: absent is `None`, `true` (any
/// case) is true, anything else false.
pub fn forward_param(raw_query: Option<&str>) -> Option<bool> {
    raw_query
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == "forward")
                .map(|(_, v)| v.eq_ignore_ascii_case("true"))
        })
}

/// Java's error body as read from a remote answer.
#[derive(Deserialize)]
struct RemoteError {
    error_code: Option<i64>,
    message: Option<String>,
}

/// An error's message with its causes, as Java prints an exception's message.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

impl RestClient {
    /// A client built on first use with Java's settings (no redirects, user agent
    /// `kafka-connect`, [`FORWARD_TIMEOUT`]) and the public web PKI roots for `https`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A client over a preconfigured `reqwest` client (e.g. one trusting the cluster's
    /// `listeners.https.ssl.truststore`). It should not follow redirects.
    pub fn with_client(client: reqwest::Client) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(Ok(client));
        RestClient {
            client: Arc::new(cell),
        }
    }

    fn client(&self) -> Result<&reqwest::Client, ForwardError> {
        self.client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(USER_AGENT)
                    .timeout(FORWARD_TIMEOUT)
                    .build()
                    .map_err(|e| error_chain(&e))
            })
            .as_ref()
            .map_err(|e| ForwardError::ClientStart(e.clone()))
    }

    /// Sends one request to another worker and reads its answer as Java's `RestClient`:
    /// 204 → no body; other 2xx → its JSON; ≥ 400 → [`ForwardError::Remote`] with the
    /// remote error body; anything else → [`ForwardError::UnexpectedStatus`].
    pub async fn send(&self, request: OutgoingRequest) -> Result<ForwardedResponse, ForwardError> {
        let client = self.client()?;
        let url = reqwest::Url::parse(&request.url)
            .map_err(|e| ForwardError::Other(format!("{e}: {}", request.url)))?;
        let mut builder = client
            .request(request.method.clone(), url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(auth) = &request.authorization {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        if let Some(signing) = &request.signing {
            let body = request.body.as_deref().unwrap_or_default();
            let headers = signature::sign(&signing.key, &signing.algorithm, body)
                .map_err(|e| ForwardError::Signing(e.to_string()))?;
            builder = builder
                .header(SIGNATURE_HEADER, headers.signature)
                .header(SIGNATURE_ALGORITHM_HEADER, headers.algorithm);
        }
        if let Some(body) = request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        tracing::debug!(method = %request.method, url = %request.url, "Sending request to another worker");
        let response = builder.send().await.map_err(|e| {
            tracing::error!(url = %request.url, error = %error_chain(&e), "IO error forwarding REST request");
            if e.is_builder() {
                ForwardError::Other(error_chain(&e))
            } else {
                ForwardError::Io(error_chain(&e))
            }
        })?;
        let status = response.status().as_u16();
        tracing::debug!(status, "Forwarded request's response code");
        if status == 204 {
            return Ok(ForwardedResponse { status, body: None });
        }
        if !(200..300).contains(&status) && status < 400 {
            return Err(ForwardError::UnexpectedStatus(status));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ForwardError::Io(error_chain(&e)))?;
        if status >= 400 {
            let remote: RemoteError =
                serde_json::from_slice(&bytes).map_err(|e| ForwardError::Io(e.to_string()))?;
            let error_code = remote
                .error_code
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(status);
            return Err(ForwardError::Remote {
                status,
                error_code,
                message: remote.message.unwrap_or_default(),
            });
        }
        let body = serde_json::from_slice(&bytes).map_err(|e| ForwardError::Io(e.to_string()))?;
        Ok(ForwardedResponse {
            status,
            body: Some(body),
        })
    }

    /// `POST <leader>/connectors/<c>/tasks` once: the JSON array of task configs, signed
    /// when `signing` is given.
    pub async fn post_task_configs(
        &self,
        leader_url: &str,
        connector: &str,
        configs: &[Props],
        signing: Option<Signing>,
    ) -> Result<(), ForwardError> {
        let body = serde_json::to_vec(configs).map_err(|e| ForwardError::Other(e.to_string()))?;
        let url = format!(
            "{}/connectors/{}/tasks",
            leader_url.trim_end_matches('/'),
            encode_segment(connector)
        );
        self.send(OutgoingRequest {
            method: Method::POST,
            url,
            authorization: None,
            body: Some(body),
            signing,
        })
        .await
        .map(|_| ())
    }

    /// `PUT <leader>/connectors/<c>/fence` once, with no body (signed as empty input).
    pub async fn request_zombie_fencing(
        &self,
        leader_url: &str,
        connector: &str,
        signing: Option<Signing>,
    ) -> Result<(), ForwardError> {
        let url = format!(
            "{}/connectors/{}/fence",
            leader_url.trim_end_matches('/'),
            encode_segment(connector)
        );
        self.send(OutgoingRequest {
            method: Method::PUT,
            url,
            authorization: None,
            body: None,
            signing,
        })
        .await
        .map(|_| ())
    }

    /// Sends task configs to the leader until it accepts them, as Java's
    /// `reconfigureConnectorTasksWithRetry`: each attempt asks `next` for the current leader
    /// URL and session key, and failures are retried after `backoff` (250 ms doubling up to
    /// 60 s by default). A 403 within [`KEY_ROTATION_WINDOW`] of the first attempt is taken
    /// for a session key rotated under the request and logged quietly; other failures are
    /// logged as errors. Returns `Ok` once accepted, or the last error (`None` if no attempt
    /// was made) when `next` gives up.
    pub async fn post_task_configs_with_retry(
        &self,
        connector: &str,
        configs: &[Props],
        backoff: RetryBackoff,
        mut next: impl FnMut() -> NextAttempt,
    ) -> Result<(), Option<ForwardError>> {
        let first = Instant::now();
        let mut last = None;
        let mut attempts = 0u32;
        loop {
            let (leader_url, signing) = match next() {
                NextAttempt::Send {
                    leader_url,
                    signing,
                } => (leader_url, signing),
                NextAttempt::GiveUp => return Err(last),
            };
            let result = match leader_url.as_deref().map(str::trim) {
                Some(url) if !url.is_empty() => {
                    self.post_task_configs(url, connector, configs, signing)
                        .await
                }
                _ => Err(ForwardError::Other(
                    "Request to leader to reconfigure connector tasks failed because the URL \
                     of the leader's REST interface is empty!"
                        .to_string(),
                )),
            };
            let err = match result {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if err.status() == 403 && first.elapsed() <= KEY_ROTATION_WINDOW {
                tracing::debug!(connector, error = %err, "Failed to reconfigure connector's tasks, possibly due to expired session key. Retrying after backoff");
            } else {
                tracing::error!(connector, error = %err, "Failed to reconfigure connector's tasks, retrying after backoff.");
            }
            last = Some(err);
            tokio::time::sleep(backoff.backoff(attempts)).await;
            attempts = attempts.saturating_add(1);
        }
    }
}

/// A request that may be forwarded: what Java's resources pass to
/// `completeOrForwardRequest`.
#[derive(Debug)]
pub struct Forwardable<'a> {
    /// The method to forward with.
    pub method: Method,
    /// The path, its segments percent-encoded, e.g. `/connectors/foo/config`.
    pub path: String,
    /// Query parameters to carry after `forward` (only restart has some).
    pub query: Vec<(String, String)>,
    /// The incoming request's headers (`Authorization` is copied).
    pub headers: &'a HeaderMap,
    /// The JSON body to send.
    pub body: Option<Vec<u8>>,
    /// The incoming `forward` parameter ([`forward_param`]).
    pub forward: Option<bool>,
}

/// Where the answer of a forwardable request came from.
#[derive(Debug)]
pub enum Completion<T> {
    /// This worker's herder completed it.
    Local(T),
    /// Another worker did; this is its answer.
    Forwarded(ForwardedResponse),
}

/// Java's `completeOrForwardRequest`: passes a herder result through, forwards the request
/// when it failed with [`HerderError::NotLeader`], and turns
/// [`HerderError::RebalanceNeeded`] into a 409.
pub async fn complete_or_forward<T>(
    client: &RestClient,
    result: RestResult<T>,
    request: Forwardable<'_>,
) -> RestResult<Completion<T>> {
    let leader_url = match result {
        Ok(v) => return Ok(Completion::Local(v)),
        Err(RestError::Herder(HerderError::NotLeader { leader_url, .. })) => leader_url,
        Err(RestError::Herder(HerderError::RebalanceNeeded)) => {
            return Err(HerderError::Conflict(STALE_CONFIGURATION.to_string()).into())
        }
        Err(e) => return Err(e),
    };
    // Only a user's request (no `forward`) may take two hops.
    let next_forward = match request.forward {
        None => true,
        Some(true) => false,
        Some(false) => {
            tracing::error!(
                method = %request.method,
                path = %request.path,
                "Request failed because it couldn't find the target Connect worker within two \
                 hops (between workers)."
            );
            return Err(HerderError::Conflict(CONFLICTING_OPERATION.to_string()).into());
        }
    };
    let Some(target) = leader_url.filter(|u| !u.trim().is_empty()) else {
        return Err(HerderError::Conflict(NO_KNOWN_LEADER.to_string()).into());
    };
    let url = forward_url(&target, &request.path, next_forward, &request.query);
    tracing::debug!(%url, method = %request.method, "Forwarding request");
    let response = client
        .send(OutgoingRequest {
            method: request.method,
            url,
            authorization: request.headers.get(AUTHORIZATION).cloned(),
            body: request.body,
            signing: None,
        })
        .await?;
    Ok(Completion::Forwarded(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_as_uri_builder_does() {
        assert_eq!(
            forward_url("http://10.0.0.5:8083/", "/connectors", true, &[]),
            "http://10.0.0.5:8083/connectors?forward=true"
        );
        assert_eq!(
            forward_url(
                "https://leader:8443",
                "/connectors/a%20b/restart",
                false,
                &[
                    ("includeTasks".into(), "true".into()),
                    ("onlyFailed".into(), "false".into())
                ]
            ),
            "https://leader:8443/connectors/a%20b/restart?forward=false&includeTasks=true&onlyFailed=false"
        );
    }

    #[test]
    fn forward_is_read_as_a_jax_rs_boolean() {
        assert_eq!(forward_param(None), None);
        assert_eq!(forward_param(Some("expand=x")), None);
        assert_eq!(forward_param(Some("forward=true")), Some(true));
        assert_eq!(forward_param(Some("forward=TRUE")), Some(true));
        assert_eq!(forward_param(Some("forward=false")), Some(false));
        assert_eq!(forward_param(Some("forward=yes")), Some(false));
        assert_eq!(
            forward_param(Some("a=1&forward=true&forward=false")),
            Some(true)
        );
    }

    #[test]
    fn backoff_doubles_from_250ms_to_a_minute() {
        let b = RetryBackoff::default();
        let ms: Vec<u128> = (0..11).map(|n| b.backoff(n).as_millis()).collect();
        assert_eq!(
            ms,
            [250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]
        );
        assert_eq!(b.backoff(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn errors_map_to_javas_statuses() {
        let remote = ForwardError::Remote {
            status: 404,
            error_code: 404,
            message: "Connector x not found".into(),
        };
        let rest = RestError::from(remote);
        assert_eq!(rest.status().as_u16(), 404);
        assert_eq!(rest.body().message, "Connector x not found");
        let io = RestError::from(ForwardError::Io("refused".into()));
        assert_eq!(io.status().as_u16(), 500);
        assert_eq!(
            io.body().message,
            "IO Error trying to forward REST request: refused"
        );
        assert_eq!(
            RestError::from(ForwardError::UnexpectedStatus(307))
                .body()
                .message,
            "Unexpected status code when handling forwarded request: 307"
        );
    }
}
