//! HTTPS listeners: the TLS settings of `listeners=https://…` and `admin.listeners=https://…`,
//! read as Java's `SSLUtils.createServerSideSslContextFactory` reads them, and a listener that
//! serves axum over rustls (the `ring` provider).
//!
//! **Which keys.** The main listeners read the `ssl.*` keys under the prefix
//! [`LISTENERS_HTTPS_PREFIX`], the admin listeners under [`ADMIN_LISTENERS_HTTPS_PREFIX`].
//! As Kafka's `valuesWithPrefixAllOrNothing`, the choice is all or nothing: if any key with
//! the prefix is set, only prefixed keys are read (unset ones take their defaults);
//! otherwise the unprefixed worker keys (`ssl.keystore.location`, …) are read.
//!
//! **Keys read.** `ssl.keystore.type`, `ssl.keystore.location`, `ssl.keystore.password`,
//! `ssl.key.password`, `ssl.keystore.certificate.chain`, `ssl.keystore.key`,
//! `ssl.truststore.type`, `ssl.truststore.location`, `ssl.truststore.password`,
//! `ssl.truststore.certificates`, `ssl.client.auth` (`none`, `requested`, `required`),
//! `ssl.enabled.protocols` (`TLSv1.2`, `TLSv1.3`) and `ssl.cipher.suites` (IANA names).
//!
//! **Store types.** `PKCS12` and `PEM` (a file with the certificate chain and the private
//! key, or the inline `ssl.keystore.certificate.chain` / `ssl.keystore.key` values; a
//! truststore file or `ssl.truststore.certificates` with CA certificates). The default type,
//! Java's `JKS`, is accepted for PKCS12 and PEM files (the content decides, as the JDK's
//! keystore compatibility mode does), but a real JKS or JCEKS file is refused with a message
//! saying how to convert it. Encrypted PKCS#8 keys (`ENCRYPTED PRIVATE KEY`) are decrypted
//! with `ssl.key.password`; legacy OpenSSL-encrypted PEM keys are refused.
//!
//! Every problem is a [`TlsError`] naming the key (with its prefix) and the file.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use sluice_api::Props;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::tls_files::{load_pkcs12, pem_certs, pem_key};

/// The prefix of the TLS settings of the main `listeners`.
pub const LISTENERS_HTTPS_PREFIX: &str = "listeners.https.";

/// The prefix of the TLS settings of the `admin.listeners`.
pub const ADMIN_LISTENERS_HTTPS_PREFIX: &str = "admin.listeners.https.";

/// `ssl.keystore.type`: PKCS12, PEM, or Java's default JKS (see the module documentation).
pub const SSL_KEYSTORE_TYPE: &str = "ssl.keystore.type";
/// `ssl.keystore.location`: the keystore file.
pub const SSL_KEYSTORE_LOCATION: &str = "ssl.keystore.location";
/// `ssl.keystore.password`: the PKCS12 keystore's password.
pub const SSL_KEYSTORE_PASSWORD: &str = "ssl.keystore.password";
/// `ssl.key.password`: the password of an encrypted PEM private key.
pub const SSL_KEY_PASSWORD: &str = "ssl.key.password";
/// `ssl.keystore.certificate.chain`: the certificate chain as inline PEM.
pub const SSL_KEYSTORE_CERTIFICATE_CHAIN: &str = "ssl.keystore.certificate.chain";
/// `ssl.keystore.key`: the private key as inline PEM.
pub const SSL_KEYSTORE_KEY: &str = "ssl.keystore.key";
/// `ssl.truststore.type`: PKCS12, PEM, or Java's default JKS.
pub const SSL_TRUSTSTORE_TYPE: &str = "ssl.truststore.type";
/// `ssl.truststore.location`: the truststore file (client certificates are checked
/// against its certificates).
pub const SSL_TRUSTSTORE_LOCATION: &str = "ssl.truststore.location";
/// `ssl.truststore.password`: the PKCS12 truststore's password.
pub const SSL_TRUSTSTORE_PASSWORD: &str = "ssl.truststore.password";
/// `ssl.truststore.certificates`: trusted certificates as inline PEM.
pub const SSL_TRUSTSTORE_CERTIFICATES: &str = "ssl.truststore.certificates";
/// `ssl.client.auth`: `none` (default), `requested` or `required`.
pub const SSL_CLIENT_AUTH: &str = "ssl.client.auth";
/// `ssl.enabled.protocols`: default `TLSv1.2,TLSv1.3`.
pub const SSL_ENABLED_PROTOCOLS: &str = "ssl.enabled.protocols";
/// `ssl.cipher.suites`: IANA cipher suite names; unset allows every suite rustls offers.
pub const SSL_CIPHER_SUITES: &str = "ssl.cipher.suites";

/// Java's default `ssl.enabled.protocols`.
pub const DEFAULT_ENABLED_PROTOCOLS: &str = "TLSv1.2,TLSv1.3";

/// How long a client has to finish the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Keys whose values are secrets, shown as `[hidden]`.
const SECRET_KEYS: [&str; 5] = [
    SSL_KEYSTORE_PASSWORD,
    SSL_KEY_PASSWORD,
    SSL_TRUSTSTORE_PASSWORD,
    SSL_KEYSTORE_KEY,
    SSL_KEYSTORE_CERTIFICATE_CHAIN,
];

/// Why an https listener's TLS settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// A key has a value that cannot be used (a file that cannot be read, a wrong password,
    /// an unsupported store type, …).
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    Invalid {
        /// The key, with its prefix.
        key: String,
        /// The value (`[hidden]` for secrets).
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A key an https listener needs is not set.
    #[error("Missing configuration {key}: {reason}")]
    Missing {
        /// The key, with its prefix.
        key: String,
        /// Why it is needed.
        reason: String,
    },
}

/// `ssl.client.auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// No client certificate is asked for.
    None,
    /// A client certificate is asked for; one that is sent must be valid.
    Requested,
    /// A valid client certificate is required.
    Required,
}

/// The TLS settings of one group of https listeners: the `ssl.*` keys, read with or without
/// the group's prefix (see the module documentation).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// The prefix the keys were read with: the group's prefix, or empty when the unprefixed
    /// worker keys are used.
    pub prefix: String,
    /// `ssl.*` key (without prefix) → trimmed value.
    values: BTreeMap<String, String>,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: BTreeMap<&str, &str> = self
            .values
            .iter()
            .map(|(k, v)| {
                let v = if SECRET_KEYS.contains(&k.as_str()) {
                    sluice_api::config::Password::HIDDEN
                } else {
                    v.as_str()
                };
                (k.as_str(), v)
            })
            .collect();
        f.debug_struct("TlsSettings")
            .field("prefix", &self.prefix)
            .field("values", &shown)
            .finish()
    }
}

/// A store file's format, by declared type and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreFormat {
    Pem,
    Pkcs12,
}

/// What a store file looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Jks,
    Jceks,
    Pem,
    Other,
}

fn sniff(bytes: &[u8]) -> Sniffed {
    match bytes.get(..4) {
        Some([0xFE, 0xED, 0xFE, 0xED]) => Sniffed::Jks,
        Some([0xCE, 0xCE, 0xCE, 0xCE]) => Sniffed::Jceks,
        _ if bytes.windows(11).any(|w| w == b"-----BEGIN ") => Sniffed::Pem,
        _ => Sniffed::Other,
    }
}

impl TlsSettings {
    /// Reads the settings for listeners whose keys use `prefix`
    /// ([`LISTENERS_HTTPS_PREFIX`] or [`ADMIN_LISTENERS_HTTPS_PREFIX`]).
    pub fn from_props(props: &Props, prefix: &str) -> Self {
        let prefixed: Vec<(&str, &String)> = props
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(prefix)
                    .filter(|rest| !rest.is_empty())
                    .map(|rest| (rest, v))
            })
            .collect();
        let (prefix, pairs) = if prefixed.is_empty() {
            let plain = props.iter().map(|(k, v)| (k.as_str(), v)).collect();
            (String::new(), plain)
        } else {
            (prefix.to_string(), prefixed)
        };
        let values = pairs
            .into_iter()
            .filter(|(k, _)| k.starts_with("ssl."))
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect();
        TlsSettings { prefix, values }
    }

    /// `key` as the user wrote it: with the prefix the settings were read with.
    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// A non-blank value.
    fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn shown(&self, key: &str, value: &str) -> String {
        if SECRET_KEYS.contains(&key) {
            sluice_api::config::Password::HIDDEN.to_string()
        } else {
            value.to_string()
        }
    }

    fn invalid(&self, key: &str, value: &str, reason: impl Into<String>) -> TlsError {
        TlsError::Invalid {
            key: self.key(key),
            value: self.shown(key, value),
            reason: reason.into(),
        }
    }

    /// `ssl.client.auth` (Java's values, lower case).
    pub fn client_auth(&self) -> Result<ClientAuth, TlsError> {
        match self.get(SSL_CLIENT_AUTH).unwrap_or("none") {
            "none" => Ok(ClientAuth::None),
            "requested" => Ok(ClientAuth::Requested),
            "required" => Ok(ClientAuth::Required),
            other => Err(self.invalid(
                SSL_CLIENT_AUTH,
                other,
                "String must be one of: required, requested, none",
            )),
        }
    }

    /// The ring provider, limited to `ssl.cipher.suites` when set.
    fn provider(&self) -> Result<Arc<CryptoProvider>, TlsError> {
        let mut provider = rustls::crypto::ring::default_provider();
        let Some(list) = self.get(SSL_CIPHER_SUITES) else {
            return Ok(Arc::new(provider));
        };
        let wanted: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if wanted.is_empty() {
            return Ok(Arc::new(provider));
        }
        let all: Vec<String> = provider
            .cipher_suites
            .iter()
            .map(|s| suite_name(*s))
            .collect();
        provider
            .cipher_suites
            .retain(|s| wanted.contains(&suite_name(*s).as_str()));
        if provider.cipher_suites.is_empty() {
            return Err(self.invalid(
                SSL_CIPHER_SUITES,
                list,
                format!(
                    "none of these cipher suites is supported; supported: {}",
                    all.join(", ")
                ),
            ));
        }
        for w in &wanted {
            if !all.iter().any(|a| a == w) {
                tracing::warn!(key = %self.key(SSL_CIPHER_SUITES), suite = %w,
                    "Unsupported cipher suite ignored.");
            }
        }
        Ok(Arc::new(provider))
    }

    /// `ssl.enabled.protocols`: TLSv1.2 and TLSv1.3 (older protocols are ignored with a
    /// warning; none left is an error).
    fn protocol_versions(&self) -> Result<Vec<&'static SupportedProtocolVersion>, TlsError> {
        let list = self
            .get(SSL_ENABLED_PROTOCOLS)
            .unwrap_or(DEFAULT_ENABLED_PROTOCOLS);
        let mut versions: Vec<&'static SupportedProtocolVersion> = Vec::new();
        for p in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let v = match p.to_ascii_uppercase().as_str() {
                "TLSV1.2" => &rustls::version::TLS12,
                "TLSV1.3" => &rustls::version::TLS13,
                _ => {
                    tracing::warn!(key = %self.key(SSL_ENABLED_PROTOCOLS), protocol = %p,
                        "Unsupported TLS protocol ignored: HTTPS listeners speak TLSv1.2 and TLSv1.3.");
                    continue;
                }
            };
            if !versions.iter().any(|x| x.version == v.version) {
                versions.push(v);
            }
        }
        if versions.is_empty() {
            return Err(self.invalid(
                SSL_ENABLED_PROTOCOLS,
                list,
                "none of these protocols is supported: HTTPS listeners speak TLSv1.2 and TLSv1.3",
            ));
        }
        Ok(versions)
    }

    /// Reads the file of `location_key`.
    fn read(&self, location_key: &str, location: &str, what: &str) -> Result<Vec<u8>, TlsError> {
        std::fs::read(location).map_err(|e| {
            self.invalid(
                location_key,
                location,
                format!("could not read the {what}: {e}"),
            )
        })
    }

    /// The format of a store file: the declared type (`type_key`), else the content.
    fn store_format(
        &self,
        type_key: &str,
        location_key: &str,
        location: &str,
        bytes: &[u8],
    ) -> Result<StoreFormat, TlsError> {
        let declared = self.get(type_key).map(str::to_ascii_uppercase);
        let sniffed = sniff(bytes);
        if matches!(sniffed, Sniffed::Jks | Sniffed::Jceks) {
            let kind = if sniffed == Sniffed::Jks {
                "JKS"
            } else {
                "JCEKS"
            };
            return Err(self.invalid(
                location_key,
                location,
                format!(
                    "the file is a {kind} keystore, which Sluice cannot read; convert it to PKCS12 \
                     (keytool -importkeystore -srckeystore {location} -destkeystore store.p12 \
                     -deststoretype PKCS12) or to PEM, and set {} to PKCS12 or PEM",
                    self.key(type_key)
                ),
            ));
        }
        match declared.as_deref() {
            Some("PEM") => Ok(StoreFormat::Pem),
            Some("PKCS12") => Ok(StoreFormat::Pkcs12),
            // Java's default type: the JDK reads PKCS12 files under it too; PEM is
            // recognised by its content.
            None | Some("JKS") => Ok(if sniffed == Sniffed::Pem {
                StoreFormat::Pem
            } else {
                StoreFormat::Pkcs12
            }),
            Some(_) => Err(self.invalid(
                type_key,
                self.get(type_key).unwrap_or(""),
                "unsupported store type: HTTPS listeners read PKCS12 and PEM stores (convert JKS \
                 stores to PKCS12 or PEM)",
            )),
        }
    }

    /// The certificate chain and private key.
    fn keystore(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
        let chain = self.get(SSL_KEYSTORE_CERTIFICATE_CHAIN);
        let key = self.get(SSL_KEYSTORE_KEY);
        let location = self.get(SSL_KEYSTORE_LOCATION);
        if chain.is_some() || key.is_some() {
            if let Some(ty) = self.get(SSL_KEYSTORE_TYPE) {
                if !ty.eq_ignore_ascii_case("PEM") {
                    return Err(self.invalid(
                        SSL_KEYSTORE_TYPE,
                        ty,
                        format!(
                            "{} and {} hold PEM: the keystore type must be PEM",
                            self.key(SSL_KEYSTORE_CERTIFICATE_CHAIN),
                            self.key(SSL_KEYSTORE_KEY)
                        ),
                    ));
                }
            }
            if let Some(location) = location {
                return Err(self.invalid(
                    SSL_KEYSTORE_LOCATION,
                    location,
                    format!(
                        "set either a keystore file or {} and {}, not both",
                        self.key(SSL_KEYSTORE_CERTIFICATE_CHAIN),
                        self.key(SSL_KEYSTORE_KEY)
                    ),
                ));
            }
            let (Some(chain), Some(key)) = (chain, key) else {
                let (missing, set) = if chain.is_none() {
                    (SSL_KEYSTORE_CERTIFICATE_CHAIN, SSL_KEYSTORE_KEY)
                } else {
                    (SSL_KEYSTORE_KEY, SSL_KEYSTORE_CERTIFICATE_CHAIN)
                };
                return Err(TlsError::Missing {
                    key: self.key(missing),
                    reason: format!("it is needed with {}", self.key(set)),
                });
            };
            let certs = pem_certs(chain.as_bytes())
                .map_err(|r| self.invalid(SSL_KEYSTORE_CERTIFICATE_CHAIN, chain, r))?;
            let key = pem_key(
                key.as_bytes(),
                self.get(SSL_KEY_PASSWORD),
                &self.key(SSL_KEY_PASSWORD),
            )
            .map_err(|r| self.invalid(SSL_KEYSTORE_KEY, key, r))?;
            return Ok((certs, key));
        }
        let Some(location) = location else {
            return Err(TlsError::Missing {
                key: self.key(SSL_KEYSTORE_LOCATION),
                reason: format!(
                    "an https listener needs a keystore with its certificate and private key (or \
                     {} and {})",
                    self.key(SSL_KEYSTORE_CERTIFICATE_CHAIN),
                    self.key(SSL_KEYSTORE_KEY)
                ),
            });
        };
        let bytes = self.read(SSL_KEYSTORE_LOCATION, location, "keystore")?;
        match self.store_format(SSL_KEYSTORE_TYPE, SSL_KEYSTORE_LOCATION, location, &bytes)? {
            StoreFormat::Pem => {
                let certs = pem_certs(&bytes)
                    .map_err(|r| self.invalid(SSL_KEYSTORE_LOCATION, location, r))?;
                let key = pem_key(
                    &bytes,
                    self.get(SSL_KEY_PASSWORD),
                    &self.key(SSL_KEY_PASSWORD),
                )
                .map_err(|r| self.invalid(SSL_KEYSTORE_LOCATION, location, r))?;
                Ok((certs, key))
            }
            StoreFormat::Pkcs12 => {
                let store = load_pkcs12(
                    &bytes,
                    self.get(SSL_KEYSTORE_PASSWORD).unwrap_or(""),
                    &self.key(SSL_KEYSTORE_PASSWORD),
                    p12_keystore::Pkcs12ImportPolicy::Strict,
                )
                .map_err(|r| self.invalid(SSL_KEYSTORE_LOCATION, location, r))?;
                let Some((_, chain)) = store.private_key_chain() else {
                    return Err(self.invalid(
                        SSL_KEYSTORE_LOCATION,
                        location,
                        "the keystore has no private key entry with its certificate",
                    ));
                };
                let certs: Vec<CertificateDer<'static>> = chain
                    .certs()
                    .iter()
                    .map(|c| CertificateDer::from(c.as_der().to_vec()))
                    .collect();
                let key = PrivateKeyDer::Pkcs8(chain.key().as_der().to_vec().into());
                Ok((certs, key))
            }
        }
    }

    /// The trusted certificates, if a truststore is configured.
    fn truststore(&self) -> Result<Option<RootCertStore>, TlsError> {
        let inline = self.get(SSL_TRUSTSTORE_CERTIFICATES);
        let location = self.get(SSL_TRUSTSTORE_LOCATION);
        let (key, shown, certs) = match (inline, location) {
            (None, None) => return Ok(None),
            (Some(_), Some(location)) => {
                return Err(self.invalid(
                    SSL_TRUSTSTORE_LOCATION,
                    location,
                    format!(
                        "set either a truststore file or {}, not both",
                        self.key(SSL_TRUSTSTORE_CERTIFICATES)
                    ),
                ))
            }
            (Some(pem), None) => (
                SSL_TRUSTSTORE_CERTIFICATES,
                pem,
                pem_certs(pem.as_bytes())
                    .map_err(|r| self.invalid(SSL_TRUSTSTORE_CERTIFICATES, pem, r))?,
            ),
            (None, Some(location)) => {
                let bytes = self.read(SSL_TRUSTSTORE_LOCATION, location, "truststore")?;
                let certs = match self.store_format(
                    SSL_TRUSTSTORE_TYPE,
                    SSL_TRUSTSTORE_LOCATION,
                    location,
                    &bytes,
                )? {
                    StoreFormat::Pem => pem_certs(&bytes)
                        .map_err(|r| self.invalid(SSL_TRUSTSTORE_LOCATION, location, r))?,
                    StoreFormat::Pkcs12 => {
                        let store = load_pkcs12(
                            &bytes,
                            self.get(SSL_TRUSTSTORE_PASSWORD).unwrap_or(""),
                            &self.key(SSL_TRUSTSTORE_PASSWORD),
                            p12_keystore::Pkcs12ImportPolicy::Raw,
                        )
                        .map_err(|r| self.invalid(SSL_TRUSTSTORE_LOCATION, location, r))?;
                        store
                            .entries()
                            .filter_map(|(_, e)| match e {
                                p12_keystore::KeyStoreEntry::Certificate(c) => {
                                    Some(CertificateDer::from(c.as_der().to_vec()))
                                }
                                _ => None,
                            })
                            .collect()
                    }
                };
                (SSL_TRUSTSTORE_LOCATION, location, certs)
            }
        };
        if certs.is_empty() {
            return Err(self.invalid(key, shown, "the truststore holds no certificate"));
        }
        let mut roots = RootCertStore::empty();
        for (i, cert) in certs.into_iter().enumerate() {
            roots.add(cert).map_err(|e| {
                self.invalid(
                    key,
                    shown,
                    format!("certificate {} cannot be trusted: {e}", i + 1),
                )
            })?;
        }
        Ok(Some(roots))
    }

    /// Loads the stores and builds the rustls configuration of these listeners.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, TlsError> {
        let provider = self.provider()?;
        let versions = self.protocol_versions()?;
        let client_auth = self.client_auth()?;
        let (certs, key) = self.keystore()?;
        let roots = self.truststore()?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| {
                self.invalid(
                    SSL_ENABLED_PROTOCOLS,
                    self.get(SSL_ENABLED_PROTOCOLS)
                        .unwrap_or(DEFAULT_ENABLED_PROTOCOLS),
                    format!("no usable protocol and cipher suite combination: {e}"),
                )
            })?;
        let builder = match client_auth {
            ClientAuth::None => builder.with_no_client_auth(),
            ClientAuth::Requested | ClientAuth::Required => {
                let Some(roots) = roots else {
                    return Err(TlsError::Missing {
                        key: self.key(SSL_TRUSTSTORE_LOCATION),
                        reason: format!(
                            "{}={} needs a truststore with the certificates client certificates \
                             are checked against (or {})",
                            self.key(SSL_CLIENT_AUTH),
                            self.get(SSL_CLIENT_AUTH).unwrap_or(""),
                            self.key(SSL_TRUSTSTORE_CERTIFICATES)
                        ),
                    });
                };
                let mut verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                if client_auth == ClientAuth::Requested {
                    verifier = verifier.allow_unauthenticated();
                }
                let verifier = verifier.build().map_err(|e| {
                    self.invalid(
                        SSL_CLIENT_AUTH,
                        self.get(SSL_CLIENT_AUTH).unwrap_or(""),
                        format!("cannot check client certificates: {e}"),
                    )
                })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_single_cert(certs, key).map_err(|e| {
            let (key, value) = match self.get(SSL_KEYSTORE_LOCATION) {
                Some(l) => (SSL_KEYSTORE_LOCATION, l),
                None => (SSL_KEYSTORE_KEY, ""),
            };
            self.invalid(
                key,
                value,
                format!("the private key cannot be used with the certificate: {e}"),
            )
        })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// The IANA name of a cipher suite (rustls spells TLS 1.3 suites `TLS13_…`).
fn suite_name(suite: rustls::SupportedCipherSuite) -> String {
    let name = format!("{:?}", suite.suite());
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

/// An https listener for [`axum::serve`]: TCP connections are accepted in a background task
/// and their TLS handshakes run in tasks of their own (bounded by [`HANDSHAKE_TIMEOUT`]), so a
/// slow or failing client cannot hold up the others. A failed handshake (such as a client
/// without the required certificate) is logged at debug level and dropped.
#[derive(Debug)]
pub struct TlsListener {
    connections: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accept_task: tokio::task::AbortHandle,
}

impl TlsListener {
    /// Starts accepting on `listener` with `config`.
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, connections) = mpsc::channel(64);
        let task = tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), tx));
        Ok(TlsListener {
            connections,
            local,
            accept_task: task.abort_handle(),
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: back off as axum's listener does.
                tracing::debug!(error = %e, "accepting an https connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if tx.is_closed() {
            return;
        }
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.connections.recv().await {
            Some(conn) => conn,
            // The accept loop only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
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
    fn prefixed_keys_are_all_or_nothing() {
        let p = props(&[
            ("ssl.keystore.location", "/plain.p12"),
            ("ssl.client.auth", "required"),
            ("listeners.https.ssl.keystore.location", "/main.p12"),
        ]);
        let main = TlsSettings::from_props(&p, LISTENERS_HTTPS_PREFIX);
        assert_eq!(main.prefix, LISTENERS_HTTPS_PREFIX);
        assert_eq!(main.get(SSL_KEYSTORE_LOCATION), Some("/main.p12"));
        // Not taken from the unprefixed keys once a prefixed key is set.
        assert_eq!(main.client_auth(), Ok(ClientAuth::None));
        let admin = TlsSettings::from_props(&p, ADMIN_LISTENERS_HTTPS_PREFIX);
        assert_eq!(admin.prefix, "");
        assert_eq!(admin.get(SSL_KEYSTORE_LOCATION), Some("/plain.p12"));
        assert_eq!(admin.client_auth(), Ok(ClientAuth::Required));
        assert_eq!(admin.key(SSL_CLIENT_AUTH), "ssl.client.auth");
    }

    #[test]
    fn bad_values_name_the_key() {
        let s = TlsSettings::from_props(
            &props(&[
                ("listeners.https.ssl.client.auth", "always"),
                ("listeners.https.ssl.keystore.password", "secret"),
            ]),
            LISTENERS_HTTPS_PREFIX,
        );
        let e = s.client_auth().unwrap_err().to_string();
        assert!(e.contains("listeners.https.ssl.client.auth"), "{e}");
        assert!(!format!("{s:?}").contains("secret"));

        let s = TlsSettings::from_props(
            &props(&[("ssl.enabled.protocols", "TLSv1,SSLv3")]),
            LISTENERS_HTTPS_PREFIX,
        );
        let e = s.protocol_versions().unwrap_err().to_string();
        assert!(e.contains("ssl.enabled.protocols"), "{e}");

        let s = TlsSettings::from_props(
            &props(&[("ssl.cipher.suites", "TLS_NOPE")]),
            LISTENERS_HTTPS_PREFIX,
        );
        let e = s.provider().unwrap_err().to_string();
        assert!(e.contains("TLS_AES_128_GCM_SHA256"), "{e}");
        let s = TlsSettings::from_props(
            &props(&[(
                "ssl.cipher.suites",
                "TLS_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            )]),
            LISTENERS_HTTPS_PREFIX,
        );
        assert_eq!(s.provider().unwrap().cipher_suites.len(), 2);

        let s = TlsSettings::from_props(&Props::new(), LISTENERS_HTTPS_PREFIX);
        let e = s.server_config().unwrap_err().to_string();
        assert!(
            e.starts_with("Missing configuration ssl.keystore.location"),
            "{e}"
        );
    }

    #[test]
    fn jks_files_are_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.jks");
        std::fs::write(&path, [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]).unwrap();
        let location = path.to_string_lossy().to_string();
        let s = TlsSettings::from_props(
            &props(&[
                ("listeners.https.ssl.keystore.type", "JKS"),
                ("listeners.https.ssl.keystore.location", &location),
            ]),
            LISTENERS_HTTPS_PREFIX,
        );
        let e = s.server_config().unwrap_err().to_string();
        assert!(e.contains("listeners.https.ssl.keystore.location"), "{e}");
        assert!(e.contains(&location), "{e}");
        assert!(
            e.contains("JKS") && e.contains("PKCS12") && e.contains("PEM"),
            "{e}"
        );

        let s = TlsSettings::from_props(
            &props(&[
                ("ssl.keystore.type", "BCFKS"),
                ("ssl.keystore.location", &location),
            ]),
            LISTENERS_HTTPS_PREFIX,
        );
        let e = s.server_config().unwrap_err().to_string();
        assert!(e.contains("JKS"), "{e}");
        std::fs::write(&path, b"not a store").unwrap();
        let e = s.server_config().unwrap_err().to_string();
        assert!(
            e.contains("Invalid value BCFKS for configuration ssl.keystore.type"),
            "{e}"
        );
    }
}
