//! The listeners end to end over real sockets: the real [`RestServer`] bound on 127.0.0.1
//! port 0 and driven by reqwest (rustls) — HTTPS with PEM, PKCS12, inline and encrypted
//! keys, client certificates, `admin.listeners`, the cross-origin filter and
//! `response.http.headers.config`. Certificates are made by rcgen in a temporary directory.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{json, Value};
use sluice_api::Props;

use super::TestApp;
use crate::rest::{RestConfig, RestServeError, RestServer};

/// A test CA with a server certificate (for 127.0.0.1 and localhost) and a client
/// certificate, all PEM.
struct Pki {
    ca_cert: String,
    ca_der: Vec<u8>,
    server_cert: String,
    server_der: Vec<u8>,
    server_key: String,
    server_key_der: Vec<u8>,
    client_cert: String,
    client_key: String,
}

fn ca(name: &str) -> (CertificateParams, KeyPair, rcgen::Certificate) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).unwrap();
    (params, key, cert)
}

/// A certificate signed by `issuer`: a server certificate for 127.0.0.1, or a client one.
fn leaf(issuer: &Issuer<'_, KeyPair>, server: bool) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let names = if server {
        vec!["127.0.0.1".to_string(), "localhost".to_string()]
    } else {
        Vec::new()
    };
    let mut params = CertificateParams::new(names).unwrap();
    params.distinguished_name.push(
        DnType::CommonName,
        if server {
            "sluice-test-server"
        } else {
            "sluice-test-client"
        },
    );
    params.extended_key_usages = vec![if server {
        ExtendedKeyUsagePurpose::ServerAuth
    } else {
        ExtendedKeyUsagePurpose::ClientAuth
    }];
    (params.signed_by(&key, issuer).unwrap(), key)
}

impl Pki {
    fn new() -> Self {
        let (params, key, ca_cert) = ca("Sluice test CA");
        let issuer = Issuer::new(params, key);
        let (server, server_key) = leaf(&issuer, true);
        let (client, client_key) = leaf(&issuer, false);
        Pki {
            ca_cert: ca_cert.pem(),
            ca_der: ca_cert.der().to_vec(),
            server_cert: server.pem(),
            server_der: server.der().to_vec(),
            server_key: server_key.serialize_pem(),
            server_key_der: server_key.serialize_der(),
            client_cert: client.pem(),
            client_key: client_key.serialize_pem(),
        }
    }

    /// The server's certificate chain and key in one PEM file.
    fn server_pem(&self) -> String {
        format!("{}{}{}", self.server_cert, self.ca_cert, self.server_key)
    }

    /// A PKCS12 keystore with the server's key and chain.
    fn server_p12(&self, password: &str) -> Vec<u8> {
        let chain = p12_keystore::PrivateKeyChain::new(
            "server-key",
            p12_keystore::PrivateKey::from_der(&self.server_key_der).unwrap(),
            [
                p12_keystore::Certificate::from_der(&self.server_der).unwrap(),
                p12_keystore::Certificate::from_der(&self.ca_der).unwrap(),
            ],
        );
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "server",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        store.writer(password).write().unwrap()
    }

    /// A PKCS12 truststore with the CA.
    fn ca_p12(&self, password: &str) -> Vec<u8> {
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "ca",
            p12_keystore::KeyStoreEntry::Certificate(
                p12_keystore::Certificate::from_der(&self.ca_der).unwrap(),
            ),
        );
        store.writer(password).write().unwrap()
    }

    /// The server key as an encrypted PKCS#8 PEM (PBES2, PBKDF2-SHA256, AES-256-CBC), as
    /// `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it.
    fn encrypted_server_key(&self, password: &str) -> String {
        use pkcs8::pkcs5::pbes2;
        let info = pkcs8::PrivateKeyInfoRef::try_from(self.server_key_der.as_slice()).unwrap();
        let params =
            pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(2048, b"sluice-salt", [7; 16])
                .unwrap();
        let doc = info.encrypt_with_params(params, password).unwrap();
        doc.to_pem("ENCRYPTED PRIVATE KEY", pkcs8::LineEnding::LF)
            .unwrap()
            .to_string()
    }
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_string_lossy().into_owned()
}

fn props(kv: &[(&str, &str)]) -> Props {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A REST server over a [`TestApp`] herder, serving until dropped.
struct Running {
    main: Vec<SocketAddr>,
    admin: Vec<SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), RestServeError>>,
}

impl Running {
    /// Binds and serves `config`, or the bind error.
    async fn start(config: &[(&str, &str)]) -> Result<Running, RestServeError> {
        let config = RestConfig::from_props(&props(config)).expect("a valid REST config");
        let server = RestServer::bind(&config).await?;
        let (main, admin) = (server.local_addrs(), server.admin_addrs());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(TestApp::new().state, async move {
            let _ = stopped.await;
        }));
        Ok(Running {
            main,
            admin,
            stop: Some(stop),
            task,
        })
    }

    /// Stops the server and checks it stopped cleanly.
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let done = tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("the server stops");
        done.unwrap().unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A client trusting `ca`, presenting `identity` (PEM certificate and key) if given.
fn client(ca: Option<&str>, identity: Option<(&str, &str)>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .no_proxy()
        .timeout(Duration::from_secs(10));
    if let Some(ca) = ca {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap());
    }
    if let Some((cert, key)) = identity {
        let pem = format!("{cert}{key}");
        b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

/// GET `url`: status, headers and JSON body.
async fn get(client: &reqwest::Client, url: &str) -> reqwest::Result<(u16, HeaderMap, Value)> {
    request(client, reqwest::Method::GET, url, &[]).await
}

async fn request(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
) -> reqwest::Result<(u16, HeaderMap, Value)> {
    let mut req = client.request(method, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await?;
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Ok((status, headers, json))
}

fn assert_root_body(v: &Value) {
    assert_eq!(v["kafka_cluster_id"], "test-cluster", "{v}");
    assert!(v["version"].is_string(), "{v}");
    assert!(v["commit"].is_string(), "{v}");
}

fn not_found() -> Value {
    json!({"error_code": 404, "message": "HTTP 404 Not Found"})
}

#[tokio::test]
async fn https_and_http_listeners_together_with_a_pem_keystore() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let keystore = write(dir.path(), "server.pem", pki.server_pem());
    let server = Running::start(&[
        ("listeners", "https://127.0.0.1:0,http://127.0.0.1:0"),
        ("listeners.https.ssl.keystore.type", "PEM"),
        ("listeners.https.ssl.keystore.location", &keystore),
    ])
    .await
    .unwrap();
    let (https, http) = (server.main[0], server.main[1]);
    let c = client(Some(&pki.ca_cert), None);

    let (status, headers, body) = get(&c, &format!("https://{https}/")).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert_root_body(&body);
    let (status, _, body) = get(&c, &format!("https://{https}/connectors"))
        .await
        .unwrap();
    assert_eq!((status, body), (200, json!([])));

    let (status, _, body) = get(&c, &format!("http://{http}/")).await.unwrap();
    assert_eq!(status, 200);
    assert_root_body(&body);

    // Plain HTTP to the https port and an untrusting client both fail.
    assert!(get(&c, &format!("http://{https}/")).await.is_err());
    assert!(get(&client(None, None), &format!("https://{https}/"))
        .await
        .is_err());
    server.stop().await;
}

#[tokio::test]
async fn pkcs12_keystores_and_inline_pem() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let p12 = write(dir.path(), "server.p12", pki.server_p12("changeit"));
    let c = client(Some(&pki.ca_cert), None);

    // Unprefixed worker keys, Java's default type (JKS) holding a PKCS12 file.
    let server = Running::start(&[
        ("listeners", "https://127.0.0.1:0"),
        ("ssl.keystore.location", &p12),
        ("ssl.keystore.password", "changeit"),
    ])
    .await
    .unwrap();
    let (status, _, body) = get(&c, &format!("https://{}/", server.main[0]))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_root_body(&body);
    server.stop().await;

    // A wrong password names the key and the file.
    let err = Running::start(&[
        ("listeners", "https://127.0.0.1:0"),
        ("listeners.https.ssl.keystore.type", "PKCS12"),
        ("listeners.https.ssl.keystore.location", &p12),
        ("listeners.https.ssl.keystore.password", "wrong"),
    ])
    .await
    .err()
    .expect("a wrong keystore password fails the start")
    .to_string();
    assert!(
        err.contains("listeners.https.ssl.keystore.location") && err.contains(&p12),
        "{err}"
    );
    assert!(
        err.contains("listeners.https.ssl.keystore.password") && err.contains("wrong password"),
        "{err}"
    );

    // Inline PEM values.
    let chain = format!("{}{}", pki.server_cert, pki.ca_cert);
    let server = Running::start(&[
        ("listeners", "https://127.0.0.1:0"),
        ("listeners.https.ssl.keystore.type", "PEM"),
        ("listeners.https.ssl.keystore.certificate.chain", &chain),
        ("listeners.https.ssl.keystore.key", &pki.server_key),
    ])
    .await
    .unwrap();
    let (status, _, _) = get(&c, &format!("https://{}/", server.main[0]))
        .await
        .unwrap();
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test]
async fn encrypted_pem_keys_need_the_key_password() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let pem = format!(
        "{}{}",
        pki.server_cert,
        pki.encrypted_server_key("key-secret")
    );
    let keystore = write(dir.path(), "server-encrypted.pem", pem);
    let base = [
        ("listeners", "https://127.0.0.1:0"),
        ("ssl.keystore.type", "PEM"),
        ("ssl.keystore.location", keystore.as_str()),
    ];
    let server = Running::start(&[&base[..], &[("ssl.key.password", "key-secret")][..]].concat())
        .await
        .unwrap();
    let c = client(Some(&pki.ca_cert), None);
    let (status, _, _) = get(&c, &format!("https://{}/", server.main[0]))
        .await
        .unwrap();
    assert_eq!(status, 200);
    server.stop().await;

    let err = Running::start(&base).await.err().unwrap().to_string();
    assert!(
        err.contains("ssl.keystore.location") && err.contains(&keystore),
        "{err}"
    );
    assert!(err.contains("set ssl.key.password"), "{err}");
    let err = Running::start(&[&base[..], &[("ssl.key.password", "nope")][..]].concat())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("could not decrypt"), "{err}");
}

#[tokio::test]
async fn client_certificates_required_and_requested() {
    let pki = Pki::new();
    let other = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let keystore = write(dir.path(), "server.pem", pki.server_pem());
    let truststore = write(dir.path(), "ca.pem", &pki.ca_cert);
    let server = Running::start(&[
        ("listeners", "https://127.0.0.1:0"),
        ("listeners.https.ssl.keystore.location", &keystore),
        ("listeners.https.ssl.truststore.type", "PEM"),
        ("listeners.https.ssl.truststore.location", &truststore),
        ("listeners.https.ssl.client.auth", "required"),
    ])
    .await
    .unwrap();
    let url = format!("https://{}/", server.main[0]);

    let anonymous = client(Some(&pki.ca_cert), None);
    assert!(
        get(&anonymous, &url).await.is_err(),
        "a client without a certificate is refused"
    );
    let stranger = client(
        Some(&pki.ca_cert),
        Some((&other.client_cert, &other.client_key)),
    );
    assert!(
        get(&stranger, &url).await.is_err(),
        "a certificate of another CA is refused"
    );
    let trusted = client(
        Some(&pki.ca_cert),
        Some((&pki.client_cert, &pki.client_key)),
    );
    let (status, _, body) = get(&trusted, &url).await.unwrap();
    assert_eq!(status, 200);
    assert_root_body(&body);
    server.stop().await;

    // `requested`: no certificate is fine, a bad one is not. A PKCS12 truststore.
    let trust_p12 = write(dir.path(), "ca.p12", pki.ca_p12("trust-pw"));
    let server = Running::start(&[
        ("listeners", "https://127.0.0.1:0"),
        ("listeners.https.ssl.keystore.location", &keystore),
        ("listeners.https.ssl.truststore.type", "PKCS12"),
        ("listeners.https.ssl.truststore.location", &trust_p12),
        ("listeners.https.ssl.truststore.password", "trust-pw"),
        ("listeners.https.ssl.client.auth", "requested"),
    ])
    .await
    .unwrap();
    let url = format!("https://{}/", server.main[0]);
    assert_eq!(get(&anonymous, &url).await.unwrap().0, 200);
    assert_eq!(get(&trusted, &url).await.unwrap().0, 200);
    assert!(get(&stranger, &url).await.is_err());
    server.stop().await;

    // Client authentication without a truststore is a startup error naming the key.
    let err = Running::start(&[
        ("listeners", "https://127.0.0.1:0"),
        ("listeners.https.ssl.keystore.location", &keystore),
        ("listeners.https.ssl.client.auth", "required"),
    ])
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("listeners.https.ssl.truststore.location"),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_keystore_file_is_a_startup_error_naming_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir
        .path()
        .join("nowhere.p12")
        .to_string_lossy()
        .into_owned();
    let err = Running::start(&[
        ("listeners", "http://127.0.0.1:0,https://127.0.0.1:0"),
        ("listeners.https.ssl.keystore.location", &missing),
        ("listeners.https.ssl.keystore.password", "changeit"),
    ])
    .await
    .err()
    .expect("a missing keystore fails the start");
    assert!(matches!(err, RestServeError::Tls(_)), "{err}");
    let err = err.to_string();
    assert!(
        err.starts_with(&format!(
            "Invalid value {missing} for configuration listeners.https.ssl.keystore.location: \
             could not read the keystore:"
        )),
        "{err}"
    );

    // An https admin listener reads `admin.listeners.https.` keys, not `listeners.https.`.
    let err = Running::start(&[
        ("listeners", "http://127.0.0.1:0"),
        ("admin.listeners", "https://127.0.0.1:0"),
        ("admin.listeners.https.ssl.keystore.location", &missing),
    ])
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("admin.listeners.https.ssl.keystore.location") && err.contains(&missing),
        "{err}"
    );
}

#[tokio::test]
async fn admin_listeners_decide_where_loggers_are_served() {
    let c = client(None, None);

    // Unset: on the main listeners.
    let server = Running::start(&[("listeners", "http://127.0.0.1:0")])
        .await
        .unwrap();
    let main = server.main[0];
    let (status, _, body) = get(&c, &format!("http://{main}/admin/loggers"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["root"]["level"], "INFO");
    server.stop().await;

    // Empty: nowhere; everything else still served.
    let server = Running::start(&[("listeners", "http://127.0.0.1:0"), ("admin.listeners", "")])
        .await
        .unwrap();
    let main = server.main[0];
    assert!(server.admin.is_empty());
    for path in ["/admin/loggers", "/admin/loggers/root"] {
        let (status, _, body) = get(&c, &format!("http://{main}{path}")).await.unwrap();
        assert_eq!((status, body), (404, not_found()), "{path}");
    }
    assert_eq!(get(&c, &format!("http://{main}/")).await.unwrap().0, 200);
    server.stop().await;

    // A list: only there, and those listeners serve nothing else.
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let keystore = write(dir.path(), "admin.pem", pki.server_pem());
    let server = Running::start(&[
        ("listeners", "http://127.0.0.1:0"),
        ("admin.listeners", "http://127.0.0.1:0, https://127.0.0.1:0"),
        ("admin.listeners.https.ssl.keystore.location", &keystore),
        // Read by the main listeners only (an admin listener has no filters, as in Java).
        ("response.http.headers.config", "set X-Frame-Options:DENY"),
    ])
    .await
    .unwrap();
    let (main, admin_http, admin_https) = (server.main[0], server.admin[0], server.admin[1]);
    let (status, _, body) = get(&c, &format!("http://{main}/admin/loggers"))
        .await
        .unwrap();
    assert_eq!((status, body), (404, not_found()));
    let (status, headers, body) = get(&c, &format!("http://{admin_http}/admin/loggers"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["root"]["level"], "INFO");
    assert!(!headers.contains_key("x-frame-options"));
    let tls = client(Some(&pki.ca_cert), None);
    let (status, _, body) = get(&tls, &format!("https://{admin_https}/admin/loggers/root"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["level"], "INFO");
    for path in ["/", "/connectors"] {
        let (status, _, body) = get(&c, &format!("http://{admin_http}{path}"))
            .await
            .unwrap();
        assert_eq!((status, body), (404, not_found()), "{path}");
    }
    let (status, headers, _) = get(&c, &format!("http://{main}/")).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(headers["x-frame-options"], "DENY");
    server.stop().await;
}

#[tokio::test]
async fn cors_filter_follows_jetty() {
    let c = client(None, None);
    let server = Running::start(&[
        ("listeners", "http://127.0.0.1:0"),
        ("access.control.allow.origin", "https://ui.example"),
        ("access.control.allow.methods", "GET,POST,PUT,DELETE"),
    ])
    .await
    .unwrap();
    let base = format!("http://{}", server.main[0]);

    let preflight = |origin: &'static str, method: &'static str| {
        let c = c.clone();
        let url = format!("{base}/connectors/x/config");
        async move {
            request(
                &c,
                reqwest::Method::OPTIONS,
                &url,
                &[
                    ("Origin", origin),
                    ("Access-Control-Request-Method", method),
                    ("Access-Control-Request-Headers", "content-type"),
                ],
            )
            .await
            .unwrap()
        }
    };
    let (status, h, _) = preflight("https://ui.example", "PUT").await;
    assert_eq!(status, 200);
    assert_eq!(h["access-control-allow-origin"], "https://ui.example");
    assert_eq!(h["access-control-allow-methods"], "GET,POST,PUT,DELETE");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert_eq!(
        h["access-control-allow-headers"],
        "X-Requested-With,Content-Type,Accept,Origin"
    );
    assert_eq!(h["access-control-max-age"], "1800");
    // A method that is not allowed gets no CORS headers.
    let (_, h, _) = preflight("https://ui.example", "PATCH").await;
    assert!(!h.contains_key("access-control-allow-origin"));
    // Nor does an origin that is not allowed.
    let (_, h, _) = preflight("https://evil.example", "PUT").await;
    assert!(!h.contains_key("access-control-allow-origin"));

    let (status, h, body) = request(
        &c,
        reqwest::Method::GET,
        &format!("{base}/connectors"),
        &[("Origin", "https://ui.example")],
    )
    .await
    .unwrap();
    assert_eq!((status, body), (200, json!([])));
    assert_eq!(h["access-control-allow-origin"], "https://ui.example");
    assert_eq!(h["vary"], HeaderValue::from_static("Origin"));
    let (_, h, _) = request(
        &c,
        reqwest::Method::GET,
        &format!("{base}/connectors"),
        &[("Origin", "https://evil.example")],
    )
    .await
    .unwrap();
    assert!(!h.contains_key("access-control-allow-origin"));
    server.stop().await;

    // `*` and the default methods.
    let server = Running::start(&[
        ("listeners", "http://127.0.0.1:0"),
        ("access.control.allow.origin", "*"),
    ])
    .await
    .unwrap();
    let (status, h, _) = request(
        &c,
        reqwest::Method::OPTIONS,
        &format!("http://{}/connectors", server.main[0]),
        &[
            ("Origin", "http://anywhere.example:3000"),
            ("Access-Control-Request-Method", "POST"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        h["access-control-allow-origin"],
        "http://anywhere.example:3000"
    );
    assert_eq!(h["access-control-allow-methods"], "GET,POST,HEAD");
    server.stop().await;

    // Unset: no CORS headers at all, and OPTIONS is not answered as a preflight.
    let server = Running::start(&[("listeners", "http://127.0.0.1:0")])
        .await
        .unwrap();
    let base = format!("http://{}", server.main[0]);
    let (status, h, _) = request(
        &c,
        reqwest::Method::OPTIONS,
        &format!("{base}/connectors"),
        &[
            ("Origin", "https://ui.example"),
            ("Access-Control-Request-Method", "GET"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(status, 405);
    let (status, h2, _) = request(
        &c,
        reqwest::Method::GET,
        &format!("{base}/connectors"),
        &[("Origin", "https://ui.example")],
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    for headers in [h, h2] {
        assert!(
            headers
                .keys()
                .all(|k| !k.as_str().starts_with("access-control-")),
            "{headers:?}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn response_header_rules_apply_to_every_response() {
    let c = client(None, None);
    let server = Running::start(&[
        ("listeners", "http://127.0.0.1:0"),
        (
            "response.http.headers.config",
            "set X-Frame-Options:DENY, add Cache-Control:no-store, \"add Cache-Control:no-cache, private\", setDate Expires:3600000, set Content-Type:application/json",
        ),
    ])
    .await
    .unwrap();
    let base = format!("http://{}", server.main[0]);
    for (path, expected) in [
        ("/", 200),
        ("/connectors/nope", 404),
        ("/no/such/route", 404),
    ] {
        let (status, h, _) = get(&c, &format!("{base}{path}")).await.unwrap();
        assert_eq!(status, expected, "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        let cache: Vec<_> = h.get_all("cache-control").iter().collect();
        assert_eq!(cache, ["no-store", "no-cache, private"], "{path}");
        let expires = h["expires"].to_str().unwrap();
        let expires = httpdate::parse_http_date(expires).unwrap();
        let ahead = expires
            .duration_since(std::time::SystemTime::now())
            .unwrap();
        assert!(
            ahead > Duration::from_secs(3500) && ahead <= Duration::from_secs(3600),
            "{ahead:?}"
        );
        assert_eq!(h.get_all("content-type").iter().count(), 1);
    }
    server.stop().await;

    // A bad rule is a startup error naming the key and the rule.
    let err = RestConfig::from_props(&props(&[(
        "response.http.headers.config",
        "set X-Frame-Options:DENY,sett X-A:b",
    )]))
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "Invalid value set X-Frame-Options:DENY,sett X-A:b for configuration \
         response.http.headers.config: Invalid header config action: 'sett'. Expected one of \
         [set, add, setDate, addDate]"
    );
}
