//! One connection to a broker: size-prefixed frames, correlation ids, a timeout per request
//! (`request.timeout.ms`), ApiVersions to pick the versions both sides support, and the
//! transport of `security.protocol` (TCP or TLS, then SASL PLAIN/SCRAM through
//! SaslHandshake v1 and SaslAuthenticate).
//!
//! Requests are sent one at a time (the broker answers a connection's requests in order).
//! After any error the connection is unusable and must be dropped, as Java's `NetworkClient`
//! closes a connection whose request timed out.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes, VersionRange};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::config::SecurityConfig;
use super::sasl::SaslExchange;

/// The largest response frame accepted (Java's clients have no limit; this guards against a
/// peer that is not a Kafka broker, such as a TLS listener answering a plaintext client).
pub const MAX_FRAME: usize = 100 * 1024 * 1024;

/// Error code UNSUPPORTED_VERSION.
const UNSUPPORTED_VERSION: i16 = 35;

/// Why a broker connection failed; the connection is unusable afterwards.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// Connecting, reading or writing failed.
    #[error("Connection to broker {addr} failed: {source}")]
    Io {
        /// The broker.
        addr: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No answer within the timeout.
    #[error("Request {api:?} to broker {addr} timed out after {timeout:?}")]
    Timeout {
        /// The broker.
        addr: String,
        /// The request (or connection setup step).
        api: ApiKey,
        /// The timeout.
        timeout: Duration,
    },
    /// The TLS handshake failed.
    #[error("TLS handshake with broker {addr} failed: {reason}")]
    Tls {
        /// The broker.
        addr: String,
        /// Why.
        reason: String,
    },
    /// SASL authentication failed.
    #[error("SASL authentication with broker {addr} failed: {reason}")]
    Sasl {
        /// The broker.
        addr: String,
        /// Why (the broker's message where it sent one).
        reason: String,
    },
    /// The broker supports no version of a request this client speaks.
    #[error("Broker {addr} supports no version of {api:?} this client speaks ({ours})")]
    UnsupportedVersion {
        /// The broker.
        addr: String,
        /// The request.
        api: ApiKey,
        /// The versions this client speaks.
        ours: VersionRange,
    },
    /// A frame could not be encoded or decoded.
    #[error("Protocol error with broker {addr}: {reason}")]
    Protocol {
        /// The broker.
        addr: String,
        /// Why.
        reason: String,
    },
}

/// A byte stream: TCP or TLS over TCP.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// An open, authenticated connection to one broker.
pub struct Connection {
    stream: Box<dyn Stream>,
    addr: String,
    client_id: StrBytes,
    next_correlation_id: i32,
    /// The broker's versions per API key.
    versions: HashMap<i16, VersionRange>,
    request_timeout: Duration,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// The host of `host:port` (IPv6 addresses without their brackets).
fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr);
    host.trim_start_matches('[').trim_end_matches(']')
}

impl Connection {
    /// Connects to `addr` (`host:port`), sets up TLS and SASL as `security` says, and reads
    /// the broker's API versions. Each step is bounded by `request_timeout`.
    pub async fn connect(
        addr: &str,
        client_id: &str,
        security: &SecurityConfig,
        request_timeout: Duration,
    ) -> Result<Self, ConnectionError> {
        let io_err = |source| ConnectionError::Io {
            addr: addr.to_string(),
            source,
        };
        let tcp = tokio::time::timeout(request_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ConnectionError::Timeout {
                addr: addr.to_string(),
                api: ApiKey::ApiVersions,
                timeout: request_timeout,
            })?
            .map_err(io_err)?;
        tcp.set_nodelay(true).map_err(io_err)?;
        let stream: Box<dyn Stream> = match &security.tls {
            Some(tls) => {
                let name = ServerName::try_from(host_of(addr).to_string()).map_err(|e| {
                    ConnectionError::Tls {
                        addr: addr.to_string(),
                        reason: format!("invalid host name: {e}"),
                    }
                })?;
                let connector = tokio_rustls::TlsConnector::from(tls.clone());
                let tls = tokio::time::timeout(request_timeout, connector.connect(name, tcp))
                    .await
                    .map_err(|_| ConnectionError::Timeout {
                        addr: addr.to_string(),
                        api: ApiKey::ApiVersions,
                        timeout: request_timeout,
                    })?
                    .map_err(|e| ConnectionError::Tls {
                        addr: addr.to_string(),
                        reason: e.to_string(),
                    })?;
                Box::new(tls)
            }
            None => Box::new(tcp),
        };
        let mut conn = Connection {
            stream,
            addr: addr.to_string(),
            client_id: StrBytes::from_string(client_id.to_string()),
            next_correlation_id: 0,
            versions: HashMap::new(),
            request_timeout,
        };
        conn.api_versions().await?;
        if let Some(credentials) = &security.sasl {
            conn.authenticate(credentials).await?;
        }
        tracing::debug!(broker = %addr, "Connected to broker.");
        Ok(conn)
    }

    /// The broker's `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The request timeout (`request.timeout.ms`).
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// Whether the broker advertised `api` in its ApiVersions answer (at any version).
    pub fn supports(&self, api: ApiKey) -> bool {
        self.versions.contains_key(&(api as i16))
    }

    /// The highest version of `api` both sides support, at most `cap` when given.
    pub fn version(&self, api: ApiKey, cap: Option<i16>) -> Result<i16, ConnectionError> {
        let mut ours = api.valid_versions();
        if let Some(cap) = cap {
            ours.max = ours.max.min(cap);
        }
        let unsupported = || ConnectionError::UnsupportedVersion {
            addr: self.addr.clone(),
            api,
            ours,
        };
        let theirs = self.versions.get(&(api as i16)).ok_or_else(unsupported)?;
        let both = ours.intersect(theirs);
        if both.is_empty() {
            return Err(unsupported());
        }
        Ok(both.max)
    }

    /// The highest common version of `api` up to `cap`; when the broker supports none that
    /// low, the highest common version.
    pub fn preferred_version(&self, api: ApiKey, cap: i16) -> Result<i16, ConnectionError> {
        self.version(api, Some(cap))
            .or_else(|_| self.version(api, None))
    }

    /// Sends `request` as `api` at `version` and waits for its response at most `timeout`.
    pub async fn send<Req: Encodable, Resp: Decodable>(
        &mut self,
        api: ApiKey,
        version: i16,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, ConnectionError> {
        let mut body = self.round_trip(api, version, request, timeout).await?;
        Resp::decode(&mut body, version)
            .map_err(|e| self.protocol(format!("{api:?} v{version}: {e}")))
    }

    /// A protocol error of this connection.
    pub(crate) fn protocol(&self, reason: String) -> ConnectionError {
        ConnectionError::Protocol {
            addr: self.addr.clone(),
            reason,
        }
    }

    /// Sends one request and returns the response body (after the response header).
    pub(crate) async fn round_trip<Req: Encodable>(
        &mut self,
        api: ApiKey,
        version: i16,
        request: &Req,
        timeout: Duration,
    ) -> Result<Bytes, ConnectionError> {
        let correlation_id = self.next_correlation_id;
        tracing::trace!(broker = %self.addr, ?api, version, correlation_id, "Sending request.");
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()));
        let mut frame = BytesMut::new();
        frame.put_i32(0);
        header
            .encode(&mut frame, api.request_header_version(version))
            .map_err(|e| self.protocol(format!("request header: {e}")))?;
        request
            .encode(&mut frame, version)
            .map_err(|e| self.protocol(format!("{api:?} v{version}: {e}")))?;
        let len = i32::try_from(frame.len() - 4)
            .map_err(|_| self.protocol("request too large".to_string()))?;
        frame[..4].copy_from_slice(&len.to_be_bytes());
        let addr = self.addr.clone();
        let io = async {
            self.stream.write_all(&frame).await?;
            self.stream.flush().await?;
            let mut size = [0u8; 4];
            self.stream.read_exact(&mut size).await?;
            let size = i32::from_be_bytes(size);
            let size = usize::try_from(size)
                .ok()
                .filter(|s| *s <= MAX_FRAME && *s >= 4)
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("invalid response size {size} (is this a Kafka listener of the configured security.protocol?)"),
                    )
                })?;
            let mut body = vec![0u8; size];
            self.stream.read_exact(&mut body).await?;
            Ok::<_, std::io::Error>(body)
        };
        let body = tokio::time::timeout(timeout, io)
            .await
            .map_err(|_| ConnectionError::Timeout {
                addr: addr.clone(),
                api,
                timeout,
            })?
            .map_err(|source| ConnectionError::Io { addr, source })?;
        let mut body = Bytes::from(body);
        let header = ResponseHeader::decode(&mut body, api.response_header_version(version))
            .map_err(|e| self.protocol(format!("response header: {e}")))?;
        if header.correlation_id != correlation_id {
            return Err(self.protocol(format!(
                "response correlation id {} does not match request {correlation_id}",
                header.correlation_id
            )));
        }
        Ok(body)
    }

    /// ApiVersions: the highest version this client speaks first; if the broker does not
    /// know it, again at the broker's highest (its error response is always v0).
    async fn api_versions(&mut self) -> Result<(), ConnectionError> {
        let ours = ApiKey::ApiVersions.valid_versions().max.min(3);
        let mut version = ours;
        for _ in 0..2 {
            let request = ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_static_str("sluice"))
                .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
            let mut body = self
                .round_trip(ApiKey::ApiVersions, version, &request, self.request_timeout)
                .await?;
            let copy = body.clone();
            let response = match ApiVersionsResponse::decode(&mut body, version) {
                Ok(r) => r,
                Err(_) => ApiVersionsResponse::decode(&mut copy.clone(), 0)
                    .map_err(|e| self.protocol(format!("ApiVersions: {e}")))?,
            };
            if response.error_code == UNSUPPORTED_VERSION {
                let theirs = response
                    .api_keys
                    .iter()
                    .find(|k| k.api_key == ApiKey::ApiVersions as i16)
                    .map(|k| k.max_version)
                    .unwrap_or(0);
                version = theirs.min(ours);
                continue;
            }
            if response.error_code != 0 {
                return Err(self.protocol(format!(
                    "ApiVersions answered error {}",
                    response.error_code
                )));
            }
            self.versions = response
                .api_keys
                .iter()
                .map(|k| {
                    (
                        k.api_key,
                        VersionRange {
                            min: k.min_version,
                            max: k.max_version,
                        },
                    )
                })
                .collect();
            return Ok(());
        }
        Err(self.protocol("ApiVersions: no common version".to_string()))
    }

    /// SaslHandshake v1, then SaslAuthenticate until the mechanism is done.
    async fn authenticate(
        &mut self,
        credentials: &super::config::SaslCredentials,
    ) -> Result<(), ConnectionError> {
        let addr = self.addr.clone();
        let sasl = |reason: String| ConnectionError::Sasl {
            addr: addr.clone(),
            reason,
        };
        let version = self.version(ApiKey::SaslHandshake, None)?;
        if version < 1 {
            return Err(sasl(
                "the broker does not support SaslHandshake v1 (SaslAuthenticate)".to_string(),
            ));
        }
        let mechanism = credentials.mechanism.name();
        let request =
            SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
        let response: SaslHandshakeResponse = self
            .send(
                ApiKey::SaslHandshake,
                version,
                &request,
                self.request_timeout,
            )
            .await?;
        if response.error_code != 0 {
            let enabled: Vec<&str> = response.mechanisms.iter().map(|m| m.as_str()).collect();
            return Err(sasl(format!(
                "the broker does not accept sasl.mechanism={mechanism} (error {}; enabled: {})",
                response.error_code,
                enabled.join(", ")
            )));
        }
        let auth_version = self.version(ApiKey::SaslAuthenticate, None)?;
        let mut exchange = SaslExchange::new(credentials).map_err(|e| sasl(e.to_string()))?;
        let mut server: Option<Bytes> = None;
        loop {
            let token = exchange
                .step(server.as_deref())
                .map_err(|e| sasl(e.to_string()))?;
            let Some(token) = token else {
                break;
            };
            let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(token));
            let response: SaslAuthenticateResponse = self
                .send(
                    ApiKey::SaslAuthenticate,
                    auth_version,
                    &request,
                    self.request_timeout,
                )
                .await?;
            if response.error_code != 0 {
                return Err(sasl(format!(
                    "error {}: {}",
                    response.error_code,
                    response
                        .error_message
                        .as_ref()
                        .map(|m| m.as_str())
                        .unwrap_or("authentication failed")
                )));
            }
            server = Some(response.auth_bytes);
            if matches!(exchange, SaslExchange::Plain { .. }) {
                break;
            }
        }
        tracing::debug!(broker = %self.addr, mechanism, "SASL authentication succeeded.");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(host_of("broker-1:9092"), "broker-1");
        assert_eq!(host_of("[::1]:9092"), "::1");
        assert_eq!(host_of("10.0.0.1:9093"), "10.0.0.1");
    }
}
