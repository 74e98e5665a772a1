//! Listeners and serving: `listeners` (`proto://[host]:port`, comma-separated; default
//! `http://:8083`), `admin.listeners`, `rest.advertised.host.name` / `rest.advertised.port` /
//! `rest.advertised.listener`, the advertised URL and the worker id (`<host>:<port>`).
//!
//! * `http` and `https` listeners may be mixed; the TLS settings of https listeners are read
//!   by [`super::tls`] (prefix `listeners.https.`, `admin.listeners.https.` for admin
//!   listeners).
//! * `admin.listeners` decides where `/admin/loggers` is served: unset, on the main
//!   listeners; empty, nowhere; a list, only there (the main listeners then answer 404).
//!   Admin listeners serve nothing else.
//! * `access.control.allow.origin` / `access.control.allow.methods` and
//!   `response.http.headers.config` install the filters of [`super::filters`] on the main
//!   listeners (as Java, not on separate admin listeners).

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use axum::extract::Request;
use axum::{Router, ServiceExt};
use sluice_api::Props;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};

use super::filters::{self, CorsConfig, FilterConfigError, HeaderRule};
use super::tls::{TlsError, TlsListener, TlsSettings};
use super::{app_for, AppState, Resources};

/// The default of `listeners`.
pub const DEFAULT_LISTENERS: &str = "http://:8083";

/// `admin.listeners`: where `/admin/loggers` is served (unset: the main listeners; empty:
/// nowhere).
pub const ADMIN_LISTENERS: &str = "admin.listeners";

/// `access.control.allow.origin`: the origins allowed cross-origin access (blank: no
/// cross-origin filter).
pub const ACCESS_CONTROL_ALLOW_ORIGIN: &str = "access.control.allow.origin";

/// `access.control.allow.methods`: the methods allowed cross-origin (blank: `GET,POST,HEAD`).
pub const ACCESS_CONTROL_ALLOW_METHODS: &str = "access.control.allow.methods";

/// `response.http.headers.config`: header rules applied to every response.
pub const RESPONSE_HTTP_HEADERS_CONFIG: &str = "response.http.headers.config";

/// A listener's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTPS (rustls; settings from [`super::tls`]).
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
    /// The cross-origin or response header settings are invalid.
    #[error(transparent)]
    Filter(#[from] FilterConfigError),
    /// `rest.extension.classes` or the basic-auth JAAS setup cannot be used.
    #[error(transparent)]
    BasicAuth(#[from] super::basic_auth::BasicAuthError),
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
    /// `admin.listeners`: `None` serves `/admin/loggers` on the main listeners, an empty list
    /// disables it, a list serves it only there.
    pub admin_listeners: Option<Vec<ListenerUrl>>,
    /// TLS settings of the https main listeners (`listeners.https.` or unprefixed `ssl.*`).
    pub tls: TlsSettings,
    /// TLS settings of the https admin listeners (`admin.listeners.https.` or unprefixed
    /// `ssl.*`).
    pub admin_tls: TlsSettings,
    /// The cross-origin filter, when `access.control.allow.origin` is set.
    pub cors: Option<CorsConfig>,
    /// `response.http.headers.config`.
    pub response_headers: Vec<HeaderRule>,
    /// Basic authentication of the main listeners (`rest.extension.classes`).
    pub basic_auth: Option<super::basic_auth::BasicAuth>,
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
            admin_listeners: None,
            tls: TlsSettings::default(),
            admin_tls: TlsSettings::default(),
            cors: None,
            response_headers: Vec::new(),
            basic_auth: None,
        }
    }
}

/// Parses a comma-separated listener list (blank entries skipped).
fn parse_listeners(list: &str) -> Result<Vec<ListenerUrl>, RestConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(ListenerUrl::parse)
        .collect()
}

impl RestConfig {
    /// Reads `listeners`, `admin.listeners`, `rest.advertised.*`, the TLS settings, the
    /// cross-origin settings and `response.http.headers.config` from the worker properties.
    /// TLS stores are only read when the server binds.
    pub fn from_props(props: &Props) -> Result<Self, RestConfigError> {
        let listeners = props
            .get("listeners")
            .map(String::as_str)
            .unwrap_or(DEFAULT_LISTENERS);
        let listeners = parse_listeners(listeners)?;
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
        let admin_listeners = props
            .get(ADMIN_LISTENERS)
            .map(|l| parse_listeners(l))
            .transpose()?;
        let setting = |k: &str| props.get(k).map(String::as_str).unwrap_or("");
        let cors = CorsConfig::from_settings(
            setting(ACCESS_CONTROL_ALLOW_ORIGIN),
            setting(ACCESS_CONTROL_ALLOW_METHODS),
        )?;
        let response_headers = filters::parse_header_rules(setting(RESPONSE_HTTP_HEADERS_CONFIG))?;
        let basic_auth = super::basic_auth::BasicAuth::from_props(
            props,
            std::env::var("KAFKA_OPTS").ok().as_deref(),
        )?;
        Ok(RestConfig {
            listeners,
            advertised_host: non_empty("rest.advertised.host.name"),
            advertised_port,
            advertised_scheme,
            admin_listeners,
            tls: TlsSettings::from_props(props, super::tls::LISTENERS_HTTPS_PREFIX),
            admin_tls: TlsSettings::from_props(props, super::tls::ADMIN_LISTENERS_HTTPS_PREFIX),
            cors,
            response_headers,
            basic_auth,
        })
    }

    /// The resources the main listeners serve.
    fn main_resources(&self) -> Resources {
        match self.admin_listeners {
            None => Resources::All,
            Some(_) => Resources::Regular,
        }
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
    /// The TLS settings of an https listener cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
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

/// A bound socket, with the TLS configuration of an https listener.
enum Socket {
    Http(TcpListener),
    Https(TcpListener, Arc<rustls::ServerConfig>),
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Socket::Http(l) => f.debug_tuple("Http").field(l).finish(),
            Socket::Https(l, _) => f.debug_tuple("Https").field(l).finish(),
        }
    }
}

/// One bound listener.
#[derive(Debug)]
struct Bound {
    socket: Socket,
    scheme: Scheme,
    /// An `admin.listeners` entry (serves `/admin/loggers` only).
    admin: bool,
}

impl Bound {
    fn local_addr(&self) -> Option<SocketAddr> {
        match &self.socket {
            Socket::Http(l) | Socket::Https(l, _) => l.local_addr().ok(),
        }
    }

    /// `scheme://address/`, as Jetty shows a connector.
    fn url(&self) -> String {
        match self.local_addr() {
            Some(a) => format!("{}://{a}/", self.scheme.as_str()),
            None => format!("{}://?/", self.scheme.as_str()),
        }
    }
}

/// Bound listeners, ready to serve; the advertised URL is known once bound (port 0).
#[derive(Debug)]
pub struct RestServer {
    listeners: Vec<Bound>,
    advertised_host: String,
    advertised_port: u16,
    advertised_scheme: Scheme,
    main_resources: Resources,
    cors: Option<CorsConfig>,
    basic_auth: Option<super::basic_auth::BasicAuth>,
    response_headers: Vec<HeaderRule>,
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

/// Binds one listener.
async fn bind_one(
    l: &ListenerUrl,
    tls: Option<&Arc<rustls::ServerConfig>>,
    admin: bool,
) -> Result<(Bound, u16), RestServeError> {
    let shown = format!("{}://{}:{}", l.scheme.as_str(), l.host, l.port);
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
    let socket = match (l.scheme, tls) {
        (Scheme::Https, Some(config)) => Socket::Https(listener, config.clone()),
        _ => Socket::Http(listener),
    };
    tracing::info!(listener = %shown, port, admin, "REST listener bound");
    Ok((
        Bound {
            socket,
            scheme: l.scheme,
            admin,
        },
        port,
    ))
}

impl RestServer {
    /// Loads the TLS settings of https listeners, then binds every listener (main, then
    /// admin). A TLS problem fails before any port is taken.
    pub async fn bind(config: &RestConfig) -> Result<Self, RestServeError> {
        let admin_listeners: &[ListenerUrl] = config.admin_listeners.as_deref().unwrap_or(&[]);
        let https = |ls: &[ListenerUrl]| ls.iter().any(|l| l.scheme == Scheme::Https);
        let main_tls = if https(&config.listeners) {
            Some(config.tls.server_config()?)
        } else {
            None
        };
        let admin_tls = if https(admin_listeners) {
            Some(config.admin_tls.server_config()?)
        } else {
            None
        };
        let mut listeners = Vec::new();
        let mut advertised_port = None;
        let advertised = config.advertised_listener().cloned();
        for l in &config.listeners {
            let (bound, port) = bind_one(l, main_tls.as_ref(), false).await?;
            if advertised.as_ref() == Some(l) && advertised_port.is_none() {
                advertised_port = Some(port);
            }
            listeners.push(bound);
        }
        for l in admin_listeners {
            let (bound, _) = bind_one(l, admin_tls.as_ref(), true).await?;
            listeners.push(bound);
        }
        let listener = advertised.unwrap_or_else(|| config.listeners[0].clone());
        let advertised_host = config.advertised_host.clone().unwrap_or_else(|| {
            if listener.host.is_empty() {
                local_host()
            } else {
                listener.host.clone()
            }
        });
        let server = RestServer {
            listeners,
            advertised_host,
            advertised_port: config
                .advertised_port
                .or(advertised_port)
                .unwrap_or(listener.port),
            advertised_scheme: config.advertised_scheme.unwrap_or(listener.scheme),
            main_resources: config.main_resources(),
            cors: config.cors.clone(),
            response_headers: config.response_headers.clone(),
            basic_auth: config.basic_auth.clone(),
        };
        let urls = |admin: bool| {
            server
                .listeners
                .iter()
                .filter(|l| l.admin == admin)
                .map(Bound::url)
                .collect::<Vec<_>>()
                .join(", ")
        };
        tracing::info!(
            "REST server listening at {}, advertising URL {}",
            urls(false),
            server.advertised_url()
        );
        match &config.admin_listeners {
            None => tracing::info!("REST admin endpoints at {}", server.advertised_url()),
            Some(l) if l.is_empty() => {
                tracing::info!("REST admin endpoints are disabled (admin.listeners is empty)")
            }
            Some(_) => tracing::info!("REST admin endpoints at {}", urls(true)),
        }
        Ok(server)
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

    /// The bound addresses of the main listeners, in `listeners` order.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter(|l| !l.admin)
            .filter_map(Bound::local_addr)
            .collect()
    }

    /// The bound addresses of the admin listeners, in `admin.listeners` order.
    pub fn admin_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter(|l| l.admin)
            .filter_map(Bound::local_addr)
            .collect()
    }

    /// The service of the main listeners: their resources behind the cross-origin and
    /// response header filters, when configured.
    fn main_service(&self, state: AppState) -> NormalizePath<Router> {
        let mut router = app_for(state, self.main_resources);
        // Inside the cross-origin filter, so preflight requests are answered without
        // credentials (Jetty's filter runs before Java's authentication filter).
        if let Some(auth) = &self.basic_auth {
            router = router.layer(axum::middleware::from_fn_with_state(
                auth.clone(),
                super::basic_auth::require,
            ));
        }
        if let Some(cors) = &self.cors {
            router = router.layer(axum::middleware::from_fn_with_state(
                Arc::new(cors.clone()),
                filters::cors,
            ));
        }
        if !self.response_headers.is_empty() {
            let rules: Arc<[HeaderRule]> = self.response_headers.clone().into();
            router = router.layer(axum::middleware::map_response_with_state(
                rules,
                filters::response_headers,
            ));
        }
        NormalizePathLayer::trim_trailing_slash().layer(router)
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
        let main = self.main_service(state.clone());
        let admin =
            NormalizePathLayer::trim_trailing_slash().layer(app_for(state, Resources::Admin));
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = tx.send(true);
        });
        let mut servers = tokio::task::JoinSet::new();
        for listener in self.listeners {
            let app = if listener.admin {
                admin.clone()
            } else {
                main.clone()
            };
            let make_service = ServiceExt::<Request>::into_make_service(app);
            let mut rx = rx.clone();
            let stopped = async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            match listener.socket {
                Socket::Http(tcp) => {
                    servers.spawn(async move {
                        axum::serve(tcp, make_service)
                            .with_graceful_shutdown(stopped)
                            .await
                    });
                }
                Socket::Https(tcp, config) => {
                    let tls = TlsListener::new(tcp, config).map_err(RestServeError::Serve)?;
                    servers.spawn(async move {
                        axum::serve(tls, make_service)
                            .with_graceful_shutdown(stopped)
                            .await
                    });
                }
            }
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
    async fn https_without_a_keystore_is_refused_clearly() {
        let c = RestConfig::from_props(&props(&[("listeners", "https://127.0.0.1:0")])).unwrap();
        let err = RestServer::bind(&c).await.unwrap_err();
        assert!(matches!(err, RestServeError::Tls(_)), "{err}");
        assert!(err.to_string().contains("ssl.keystore.location"), "{err}");
    }

    #[test]
    fn admin_listeners_cors_and_header_settings() {
        let c = RestConfig::from_props(&Props::new()).unwrap();
        assert_eq!(c.admin_listeners, None);
        assert_eq!(c.main_resources(), Resources::All);
        let c = RestConfig::from_props(&props(&[("admin.listeners", " ")])).unwrap();
        assert_eq!(c.admin_listeners, Some(vec![]));
        assert_eq!(c.main_resources(), Resources::Regular);
        let c = RestConfig::from_props(&props(&[(
            "admin.listeners",
            "http://127.0.0.1:0, https://:9443",
        )]))
        .unwrap();
        assert_eq!(c.admin_listeners.as_ref().map(Vec::len), Some(2));
        assert!(RestConfig::from_props(&props(&[("admin.listeners", "nope")])).is_err());

        let c = RestConfig::from_props(&props(&[
            ("access.control.allow.origin", "https://ui.example"),
            ("response.http.headers.config", "set X-Frame-Options:DENY"),
        ]))
        .unwrap();
        assert_eq!(c.cors.unwrap().allowed_methods, ["GET", "POST", "HEAD"]);
        assert_eq!(c.response_headers.len(), 1);
        let err = RestConfig::from_props(&props(&[(
            "response.http.headers.config",
            "sett X-Frame-Options:DENY",
        )]))
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("Invalid header config action: 'sett'"),
            "{err}"
        );
    }
}
