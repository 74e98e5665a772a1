//! Listeners and serving: `listeners` (`proto://[host]:port`, comma-separated; default
//! `http://:8083`), `rest.advertised.host.name` / `rest.advertised.port` /
//! `rest.advertised.listener`, the advertised URL and the worker id (`<host>:<port>`).
//!
//! Only `http` listeners are served; an `https` listener is refused with a clear error
//! (TLS is a documented gap).

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};

use axum::extract::Request;
use axum::ServiceExt;
use sluice_api::Props;
use tokio::net::TcpListener;

use super::{service, AppState};

/// The default of `listeners`.
pub const DEFAULT_LISTENERS: &str = "http://:8083";

/// A listener's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTPS (not served yet).
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// One entry of `listeners`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerUrl {
    /// Protocol.
    pub scheme: Scheme,
    /// Host to bind; empty binds every interface.
    pub host: String,
    /// Port (0 picks a free one).
    pub port: u16,
}

impl ListenerUrl {
    /// Parses `proto://[host]:port` as Java's `RestServer` does (IPv6 hosts in brackets).
    pub fn parse(s: &str) -> Result<Self, RestConfigError> {
        let bad = || RestConfigError::InvalidListener(s.to_string());
        let (proto, rest) = s.trim().split_once("://").ok_or_else(bad)?;
        let scheme = match proto.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(RestConfigError::UnsupportedProtocol(s.to_string())),
        };
        let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let valid_host = host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '%' | '.' | '_' | ':'));
        if !valid_host {
            return Err(bad());
        }
        let port = port
            .trim_end_matches('/')
            .parse::<u16>()
            .map_err(|_| bad())?;
        Ok(ListenerUrl {
            scheme,
            host: host.to_string(),
            port,
        })
    }
}

/// Why the REST configuration is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestConfigError {
    /// A `listeners` entry does not match `proto://[host]:port`.
    #[error("Could not parse listener '{0}': expected proto://[host]:port")]
    InvalidListener(String),
    /// A protocol other than http or https.
    #[error("Listener '{0}' has an unsupported protocol: only http and https are allowed")]
    UnsupportedProtocol(String),
    /// `listeners` is empty.
    #[error("Invalid value for configuration listeners: the list of listeners is empty")]
    NoListeners,
    /// `rest.advertised.port` is not a port.
    #[error("Invalid value {0} for configuration rest.advertised.port: not a port number")]
    InvalidAdvertisedPort(String),
    /// `rest.advertised.listener` is not http or https.
    #[error(
        "Invalid value {0} for configuration rest.advertised.listener: expected http or https"
    )]
    InvalidAdvertisedListener(String),
}

/// The worker's REST settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestConfig {
    /// Where to listen.
    pub listeners: Vec<ListenerUrl>,
    /// `rest.advertised.host.name`.
    pub advertised_host: Option<String>,
    /// `rest.advertised.port`.
    pub advertised_port: Option<u16>,
    /// `rest.advertised.listener`.
    pub advertised_scheme: Option<Scheme>,
}

impl Default for RestConfig {
    fn default() -> Self {
        RestConfig {
            listeners: vec![ListenerUrl {
                scheme: Scheme::Http,
                host: String::new(),
                port: 8083,
            }],
            advertised_host: None,
            advertised_port: None,
            advertised_scheme: None,
        }
    }
}

impl RestConfig {
    /// Reads `listeners` and `rest.advertised.*` from the worker properties.
    pub fn from_props(props: &Props) -> Result<Self, RestConfigError> {
        let listeners = props
            .get("listeners")
            .map(String::as_str)
            .unwrap_or(DEFAULT_LISTENERS);
        let listeners = listeners
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(ListenerUrl::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if listeners.is_empty() {
            return Err(RestConfigError::NoListeners);
        }
        let non_empty = |k: &str| {
            props
                .get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let advertised_port = non_empty("rest.advertised.port")
            .map(|p| {
                p.parse::<u16>()
                    .map_err(|_| RestConfigError::InvalidAdvertisedPort(p.clone()))
            })
            .transpose()?;
        let advertised_scheme = non_empty("rest.advertised.listener")
            .map(|s| match s.to_ascii_lowercase().as_str() {
                "http" => Ok(Scheme::Http),
                "https" => Ok(Scheme::Https),
                _ => Err(RestConfigError::InvalidAdvertisedListener(s.clone())),
            })
            .transpose()?;
        Ok(RestConfig {
            listeners,
            advertised_host: non_empty("rest.advertised.host.name"),
            advertised_port,
            advertised_scheme,
        })
    }

    /// The listener the advertised URL is built from: the first of the advertised scheme,
    /// which is `rest.advertised.listener`, else `http` if any listener is http.
    fn advertised_listener(&self) -> Option<&ListenerUrl> {
        let scheme = self.advertised_scheme.unwrap_or(
            if self.listeners.iter().any(|l| l.scheme == Scheme::Http) {
                Scheme::Http
            } else {
                Scheme::Https
            },
        );
        self.listeners.iter().find(|l| l.scheme == scheme)
    }
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RestServeError {
    /// An https listener was configured.
    #[error("https listener {0} is not supported yet: use http listeners")]
    HttpsUnsupported(String),
    /// Binding failed.
    #[error("could not bind REST listener {addr}: {source}")]
    Bind {
        /// The listener.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("REST server failed: {0}")]
    Serve(std::io::Error),
}

/// Bound listeners, ready to serve; the advertised URL is known once bound (port 0).
#[derive(Debug)]
pub struct RestServer {
    listeners: Vec<TcpListener>,
    advertised_host: String,
    advertised_port: u16,
    advertised_scheme: Scheme,
}

/// This machine's address for an empty listener host, as Jetty reports it in its URI.
fn local_host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    name.and_then(|n| {
        (n.as_str(), 0)
            .to_socket_addrs()
            .ok()?
            .find(|a| a.is_ipv4())
            .map(|a| a.ip().to_string())
    })
    .unwrap_or_else(|| "127.0.0.1".to_string())
}

impl RestServer {
    /// Binds every listener.
    pub async fn bind(config: &RestConfig) -> Result<Self, RestServeError> {
        let mut listeners = Vec::new();
        let mut advertised_port = None;
        let advertised = config.advertised_listener().cloned();
        for l in &config.listeners {
            let shown = format!("{}://{}:{}", l.scheme.as_str(), l.host, l.port);
            if l.scheme == Scheme::Https {
                return Err(RestServeError::HttpsUnsupported(shown));
            }
            let host = if l.host.is_empty() {
                "0.0.0.0"
            } else {
                l.host.as_str()
            };
            let listener =
                TcpListener::bind((host, l.port))
                    .await
                    .map_err(|source| RestServeError::Bind {
                        addr: shown.clone(),
                        source,
                    })?;
            let port = listener
                .local_addr()
                .map_err(|source| RestServeError::Bind {
                    addr: shown.clone(),
                    source,
                })?
                .port();
            if advertised.as_ref() == Some(l) && advertised_port.is_none() {
                advertised_port = Some(port);
            }
            tracing::info!(listener = %shown, port, "REST listener bound");
            listeners.push(listener);
        }
        let listener = advertised.unwrap_or_else(|| config.listeners[0].clone());
        let advertised_host = config.advertised_host.clone().unwrap_or_else(|| {
            if listener.host.is_empty() {
                local_host()
            } else {
                listener.host.clone()
            }
        });
        Ok(RestServer {
            listeners,
            advertised_host,
            advertised_port: config
                .advertised_port
                .or(advertised_port)
                .unwrap_or(listener.port),
            advertised_scheme: config.advertised_scheme.unwrap_or(listener.scheme),
        })
    }

    /// `<advertised host>:<advertised port>`, the `worker_id` in statuses.
    pub fn worker_id(&self) -> String {
        format!("{}:{}", self.advertised_host, self.advertised_port)
    }

    /// The URL other workers use, with Jetty's trailing slash (`http://10.0.0.5:8083/`).
    pub fn advertised_url(&self) -> String {
        let host = if self.advertised_host.contains(':') {
            format!("[{}]", self.advertised_host)
        } else {
            self.advertised_host.clone()
        };
        format!(
            "{}://{}:{}/",
            self.advertised_scheme.as_str(),
            host,
            self.advertised_port
        )
    }

    /// The bound addresses.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves the API on every listener until `shutdown` completes, then drains in-flight
    /// requests.
    pub async fn serve(
        self,
        state: AppState,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RestServeError> {
        // Look the cluster id up now, as Java does at start, so `GET /` answers at once.
        let lookup = state.clone();
        tokio::spawn(async move {
            lookup.kafka_cluster_id().await;
        });
        let svc = service(state);
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = tx.send(true);
        });
        let mut servers = tokio::task::JoinSet::new();
        for listener in self.listeners {
            let app = svc.clone();
            let mut rx = rx.clone();
            servers.spawn(async move {
                axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
                    .with_graceful_shutdown(async move {
                        let _ = rx.wait_for(|stop| *stop).await;
                    })
                    .await
            });
        }
        while let Some(done) = servers.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(RestServeError::Serve(e)),
                Err(e) => return Err(RestServeError::Serve(std::io::Error::other(e.to_string()))),
            }
        }
        tracing::info!("REST server stopped");
        Ok(())
    }
}

/// Binds the listeners of `config` and serves the API until `shutdown` completes.
pub async fn serve(
    config: &RestConfig,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RestServeError> {
    RestServer::bind(config).await?.serve(state, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> Props {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_java_listener_lists() {
        let c = RestConfig::from_props(&Props::new()).unwrap();
        assert_eq!(c, RestConfig::default());
        let c = RestConfig::from_props(&props(&[(
            "listeners",
            "http://127.0.0.1:8083, HTTPS://[::1]:8443,http://myhost:0",
        )]))
        .unwrap();
        assert_eq!(c.listeners[0].host, "127.0.0.1");
        assert_eq!(c.listeners[1].scheme, Scheme::Https);
        assert_eq!(c.listeners[1].host, "::1");
        assert_eq!(c.listeners[2].port, 0);
        for bad in [
            "ftp://:1",
            "http//:1",
            "http://h",
            "http://h:99999",
            "http://a b:1",
        ] {
            assert!(
                RestConfig::from_props(&props(&[("listeners", bad)])).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            RestConfig::from_props(&props(&[("listeners", " , ")])),
            Err(RestConfigError::NoListeners)
        );
    }

    #[tokio::test]
    async fn worker_id_uses_advertised_settings_and_bound_port() {
        let c = RestConfig::from_props(&props(&[("listeners", "http://127.0.0.1:0")])).unwrap();
        let s = RestServer::bind(&c).await.unwrap();
        let port = s.local_addrs()[0].port();
        assert_ne!(port, 0);
        assert_eq!(s.worker_id(), format!("127.0.0.1:{port}"));
        assert_eq!(s.advertised_url(), format!("http://127.0.0.1:{port}/"));

        let c = RestConfig::from_props(&props(&[
            ("listeners", "http://127.0.0.1:0"),
            ("rest.advertised.host.name", "connect-1.example"),
            ("rest.advertised.port", "18083"),
        ]))
        .unwrap();
        let s = RestServer::bind(&c).await.unwrap();
        assert_eq!(s.worker_id(), "connect-1.example:18083");
    }

    #[tokio::test]
    async fn https_is_refused_clearly() {
        let c = RestConfig::from_props(&props(&[("listeners", "https://127.0.0.1:0")])).unwrap();
        let err = RestServer::bind(&c).await.unwrap_err();
        assert!(matches!(err, RestServeError::HttpsUnsupported(_)), "{err}");
    }
}
