//! HTTP basic authentication of the REST API, equivalent to Kafka's
//! `BasicAuthSecurityRestExtension` with its `PropertyFileLoginModule`.
//!
//! Enabled as in Java, with the extension's class name and a JAAS file:
//!
//! ```properties
//! rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension
//! # Java reads the JAAS file from -Djava.security.auth.login.config (KAFKA_OPTS); Sluice
//! # reads this worker key, or that option in the KAFKA_OPTS environment variable.
//! java.security.auth.login.config=/etc/kafka/connect_jaas.conf
//! ```
//!
//! where the JAAS file has a `KafkaConnect` section naming the credentials file (`user=password`
//! lines, a Java properties file):
//!
//! ```text
//! KafkaConnect {
//!   org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
//!   file="/etc/kafka/connect.password";
//! };
//! ```
//!
//! As in Java: every request of the main listeners needs valid credentials (`/health` too)
//! except the workers' internal requests (`POST /connectors/{name}/tasks` and
//! `PUT /connectors/{name}/fence`, which carry their own signature); a failure is answered
//! 401 with the text `User cannot access the resource.`; an empty credentials file lets every
//! request through (with a warning); separate `admin.listeners` are not authenticated. Sluice
//! adds a `WWW-Authenticate: Basic` header to the 401 so that browsers and curl prompt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::config::jaas::parse_jaas_file;

/// `rest.extension.classes`.
pub const REST_EXTENSION_CLASSES: &str = "rest.extension.classes";
/// The one REST extension Sluice has.
pub const BASIC_AUTH_EXTENSION: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
/// The worker key (Java's JVM system property) naming the JAAS file.
pub const JAAS_CONFIG: &str = "java.security.auth.login.config";
/// The JAAS section the extension logs in with.
pub const LOGIN_SECTION: &str = "KafkaConnect";
/// The login module the section must use.
pub const PROPERTY_FILE_LOGIN_MODULE: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";
/// The body of a 401, Java's.
pub const UNAUTHORIZED_MESSAGE: &str = "User cannot access the resource.";

/// Why basic authentication cannot be set up; the worker does not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BasicAuthError {
    /// A REST extension other than the basic-auth one.
    #[error(
        "Invalid value {0} for configuration rest.extension.classes: Sluice has no plugin loading; \
         its only REST extension is {BASIC_AUTH_EXTENSION}"
    )]
    UnknownExtension(String),
    /// No JAAS file named.
    #[error(
        "{BASIC_AUTH_EXTENSION} needs a JAAS file: set {JAAS_CONFIG} in the worker config \
         (or -D{JAAS_CONFIG}=… in KAFKA_OPTS)"
    )]
    NoJaasFile,
    /// The JAAS file cannot be read or parsed, or lacks what the extension needs.
    #[error("JAAS file {path}: {reason}")]
    Jaas {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The credentials file cannot be read.
    #[error("Error loading Property Credentials file {path}: {reason}")]
    Credentials {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The users allowed in, loaded once at start as Java's login module caches its file.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    credentials: Arc<BTreeMap<String, String>>,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("users", &self.credentials.len())
            .finish()
    }
}

impl BasicAuth {
    /// The authentication the worker config asks for: `None` without
    /// `rest.extension.classes`. `kafka_opts` is the `KAFKA_OPTS` environment variable.
    pub fn from_props(
        props: &BTreeMap<String, String>,
        kafka_opts: Option<&str>,
    ) -> Result<Option<BasicAuth>, BasicAuthError> {
        let classes = props
            .get(REST_EXTENSION_CLASSES)
            .map(|v| sluice_api::config::parse_list(v))
            .unwrap_or_default();
        if classes.is_empty() {
            return Ok(None);
        }
        if let Some(other) = classes.iter().find(|c| c.as_str() != BASIC_AUTH_EXTENSION) {
            return Err(BasicAuthError::UnknownExtension(other.clone()));
        }
        let jaas = props
            .get(JAAS_CONFIG)
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .or_else(|| kafka_opts.and_then(jaas_from_kafka_opts))
            .ok_or(BasicAuthError::NoJaasFile)?;
        let file = credentials_file(Path::new(&jaas))?;
        let credentials = load_credentials(&file)?;
        if credentials.is_empty() {
            tracing::warn!(file = %file.display(), "Credential properties file is empty; all requests will be permitted.");
        }
        Ok(Some(BasicAuth {
            credentials: Arc::new(credentials),
        }))
    }

    /// True when the `Authorization` header value names a user with that password (or the
    /// credentials file is empty).
    pub fn allows(&self, authorization: Option<&str>) -> bool {
        if self.credentials.is_empty() {
            return true;
        }
        match authorization.and_then(decode_basic) {
            Some((user, password)) => self.credentials.get(&user) == Some(&password),
            None => false,
        }
    }
}

/// `-Djava.security.auth.login.config=PATH` in a KAFKA_OPTS string.
fn jaas_from_kafka_opts(opts: &str) -> Option<String> {
    let prefix = format!("-D{JAAS_CONFIG}=");
    opts.split_whitespace()
        .find_map(|w| w.strip_prefix(&prefix))
        .map(|p| p.trim_matches('"').to_string())
        .filter(|p| !p.is_empty())
}

/// The `file` option of the `KafkaConnect` section's `PropertyFileLoginModule` entry.
fn credentials_file(jaas: &Path) -> Result<PathBuf, BasicAuthError> {
    let err = |reason: String| BasicAuthError::Jaas {
        path: jaas.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(jaas).map_err(|e| err(e.to_string()))?;
    let sections = parse_jaas_file(&text).map_err(err)?;
    let entries = sections
        .get(LOGIN_SECTION)
        .ok_or_else(|| err(format!("no {LOGIN_SECTION} section")))?;
    let entry = entries
        .iter()
        .find(|e| e.login_module == PROPERTY_FILE_LOGIN_MODULE)
        .ok_or_else(|| {
            err(format!(
                "the {LOGIN_SECTION} section has no {PROPERTY_FILE_LOGIN_MODULE} entry (the only \
                 login module Sluice has)"
            ))
        })?;
    entry
        .options
        .get("file")
        .filter(|f| !f.trim().is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| err("Property Credentials file must be specified".to_string()))
}

fn load_credentials(file: &Path) -> Result<BTreeMap<String, String>, BasicAuthError> {
    let err = |reason: String| BasicAuthError::Credentials {
        path: file.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(file).map_err(|e| err(e.to_string()))?;
    crate::config::props_file::parse_properties(&bytes).map_err(err)
}

/// `Basic base64(user:password)`; the user must be non-empty (Java's callback handler).
fn decode_basic(header: &str) -> Option<(String, String)> {
    let (method, rest) = header.split_once(' ')?;
    if !method.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    (!user.is_empty()).then(|| (user.to_string(), password.to_string()))
}

/// The workers' internal requests, which Java's filter lets through unauthenticated.
fn is_internal(method: &Method, path: &str) -> bool {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        (method, parts.as_slice()),
        (&Method::POST, ["connectors", name, "tasks"]) if !name.is_empty()
    ) || matches!(
        (method, parts.as_slice()),
        (&Method::PUT, ["connectors", name, "fence"]) if !name.is_empty()
    )
}

/// The middleware: 401 unless the request is internal or carries valid credentials.
pub async fn require(State(auth): State<BasicAuth>, request: Request, next: Next) -> Response {
    if is_internal(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if auth.allows(header) {
        return next.run(request).await;
    }
    tracing::debug!(path = %request.uri().path(), "Request failed authentication.");
    let mut response = (StatusCode::UNAUTHORIZED, UNAUTHORIZED_MESSAGE).into_response();
    let headers = response.headers_mut();
    headers.insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Kafka Connect\""),
    );
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(credentials: &str) -> (tempfile::TempDir, BTreeMap<String, String>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let creds = dir.path().join("connect.password");
        std::fs::write(&creds, credentials).expect("credentials");
        let jaas = dir.path().join("connect_jaas.conf");
        std::fs::write(
            &jaas,
            format!(
                "KafkaConnect {{\n  {PROPERTY_FILE_LOGIN_MODULE} required\n  file=\"{}\";\n}};\n",
                creds.display()
            ),
        )
        .expect("jaas");
        let props = [
            (
                REST_EXTENSION_CLASSES.to_string(),
                BASIC_AUTH_EXTENSION.to_string(),
            ),
            (JAAS_CONFIG.to_string(), jaas.display().to_string()),
        ]
        .into_iter()
        .collect();
        (dir, props)
    }

    fn basic(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    #[test]
    fn users_of_the_credentials_file_get_in() {
        let (_dir, props) = setup("alice=wonder\nbob: builder\n");
        let auth = BasicAuth::from_props(&props, None)
            .expect("ok")
            .expect("enabled");
        assert!(auth.allows(Some(&basic("alice", "wonder"))));
        assert!(auth.allows(Some(&basic("bob", "builder"))));
        assert!(auth.allows(Some(&basic("alice", "wonder").replace("Basic", "BASIC"))));
        assert!(!auth.allows(Some(&basic("alice", "wrong"))));
        assert!(!auth.allows(Some(&basic("mallory", "wonder"))));
        assert!(!auth.allows(Some(&basic("", ""))));
        assert!(!auth.allows(Some("Bearer abc")));
        assert!(!auth.allows(None));
    }

    #[test]
    fn an_empty_credentials_file_lets_everyone_in() {
        let (_dir, props) = setup("");
        let auth = BasicAuth::from_props(&props, None)
            .expect("ok")
            .expect("enabled");
        assert!(auth.allows(None));
    }

    #[test]
    fn the_jaas_file_may_come_from_kafka_opts() {
        let (_dir, mut props) = setup("a=b\n");
        let jaas = props.remove(JAAS_CONFIG).expect("jaas");
        let opts = format!("-Xmx1g -D{JAAS_CONFIG}={jaas} -Dfoo=bar");
        assert!(BasicAuth::from_props(&props, Some(&opts))
            .expect("ok")
            .is_some());
        assert_eq!(
            BasicAuth::from_props(&props, None).unwrap_err(),
            BasicAuthError::NoJaasFile
        );
    }

    #[test]
    fn other_extensions_and_broken_setups_are_refused_clearly() {
        assert_eq!(
            BasicAuth::from_props(&BTreeMap::new(), None).expect("ok"),
            None
        );
        let (_dir, mut props) = setup("a=b\n");
        props.insert(
            REST_EXTENSION_CLASSES.to_string(),
            format!("{BASIC_AUTH_EXTENSION},com.example.Audit"),
        );
        let e = BasicAuth::from_props(&props, None).unwrap_err();
        assert!(e.to_string().contains("com.example.Audit"), "{e}");
        props.insert(
            REST_EXTENSION_CLASSES.to_string(),
            BASIC_AUTH_EXTENSION.to_string(),
        );
        props.insert(JAAS_CONFIG.to_string(), "/no/such/jaas.conf".to_string());
        let e = BasicAuth::from_props(&props, None).unwrap_err();
        assert!(e.to_string().contains("/no/such/jaas.conf"), "{e}");
    }

    #[test]
    fn internal_requests_are_recognised() {
        assert!(is_internal(&Method::POST, "/connectors/c/tasks"));
        assert!(is_internal(&Method::POST, "/connectors/c/tasks/"));
        assert!(is_internal(&Method::PUT, "/connectors/c/fence"));
        assert!(!is_internal(&Method::GET, "/connectors/c/tasks"));
        assert!(!is_internal(&Method::POST, "/connectors"));
        assert!(!is_internal(&Method::POST, "/connectors/c/tasks/0/restart"));
    }
}
