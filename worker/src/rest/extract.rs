//! Request-body handling with Java's error shapes: the [`JavaJson`] extractor, the
//! `Content-Type` check Jersey makes for `@Consumes(application/json)` resources
//! ([`require_json`]), and the request entities with Jackson's leniency (numbers and booleans
//! accepted where a string is expected, as `Map<String, String>` accepts them in Java).

use std::collections::BTreeMap;
use std::fmt;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::RestError;
use crate::herder::ConnectorOffset;

/// The largest request body accepted (413 above it). Java sets no limit; connector configs
/// are a few kilobytes, and even one embedding certificates stays far below this.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A JSON request body. Rejections are [`RestError`]s, so they leave as Java's error body:
/// 413 when too large, 400 with the parser's message when not JSON of the expected shape.
#[derive(Debug, Clone)]
pub struct JavaJson<T>(pub T);

impl<S, T> FromRequest<S> for JavaJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = RestError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                RestError::PayloadTooLarge
            } else {
                RestError::MalformedBody(format!(
                    "Could not read the request body: {}",
                    e.body_text()
                ))
            }
        })?;
        parse_body(&bytes).map(JavaJson)
    }
}

/// Parses a JSON body, with a message that says what was wrong and where.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, RestError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(RestError::MalformedBody(
            "Request body is missing: this endpoint expects a JSON document".to_string(),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let kind = if e.is_syntax() || e.is_eof() {
            "Malformed JSON in the request body"
        } else {
            "Unexpected JSON content in the request body"
        };
        RestError::MalformedBody(format!("{kind}: {e}"))
    })
}

/// Jersey's `@Consumes(application/json)` check: a request that declares a `Content-Type`
/// other than JSON gets 415 `HTTP 415 Unsupported Media Type`. A request without one is
/// read as JSON, as Jersey does.
pub async fn require_json(req: Request, next: Next) -> Response {
    if let Some(ct) = req.headers().get(CONTENT_TYPE) {
        let ok = ct.to_str().map(is_json_media_type).unwrap_or(false);
        if !ok {
            return RestError::UnsupportedMediaType.into_response();
        }
    }
    next.run(req).await
}

/// Whether a `Content-Type` value is compatible with `application/json`.
fn is_json_media_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/json" | "application/*" | "*/*" | ""
    )
}

/// A config value as Jackson reads it into `Map<String, String>`: a string, a number or a
/// boolean (stringified), or `null`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LenientString(pub Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(LenientString(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LenientString(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LenientString(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A connector config as sent in a body: key → value, where a value may be `null` (PATCH
/// removes such keys; create and PUT reject them as Java's validation does).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigBody(pub BTreeMap<String, Option<String>>);

impl<'de> Deserialize<'de> for ConfigBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConfigBody;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object of configuration keys to string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, LenientString>()? {
                    out.insert(k, v.0);
                }
                Ok(ConfigBody(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl ConfigBody {
    /// Splits into the non-null entries and the keys given as `null`.
    pub fn split_nulls(self) -> (sluice_api::Props, Vec<String>) {
        let mut props = sluice_api::Props::new();
        let mut nulls = Vec::new();
        for (k, v) in self.0 {
            match v {
                Some(v) => {
                    props.insert(k, v);
                }
                None => nulls.push(k),
            }
        }
        (props, nulls)
    }
}

/// Java's `initial_state` values (`RUNNING`, `PAUSED`, `STOPPED`, case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum InitialState {
    /// Start the connector (target state `STARTED`).
    Running,
    /// Create it paused.
    Paused,
    /// Create it stopped.
    Stopped,
}

impl<'de> Deserialize<'de> for InitialState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.to_ascii_uppercase().as_str() {
            "RUNNING" => Ok(InitialState::Running),
            "PAUSED" => Ok(InitialState::Paused),
            "STOPPED" => Ok(InitialState::Stopped),
            _ => Err(de::Error::custom(format!(
                "invalid initial_state '{s}': expected one of RUNNING, PAUSED, STOPPED"
            ))),
        }
    }
}

impl From<InitialState> for crate::herder::TargetState {
    fn from(s: InitialState) -> Self {
        match s {
            InitialState::Running => crate::herder::TargetState::Started,
            InitialState::Paused => crate::herder::TargetState::Paused,
            InitialState::Stopped => crate::herder::TargetState::Stopped,
        }
    }
}

/// The OpenAPI schema of a connector config body (`PUT /connectors/{c}/config`, validate,
/// the `config` of a create request): string values, `connector.class` required. The
/// document lists the installed connector classes and aliases as its values
/// ([`super::openapi::list_connector_classes`]).
#[derive(Debug, Clone, Copy)]
pub struct ConnectorConfigSchema;

/// The name of [`ConnectorConfigSchema`] in the document's components.
pub const CONNECTOR_CONFIG_SCHEMA: &str = "ConnectorConfig";

impl utoipa::PartialSchema for ConnectorConfigSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .description(Some(
                "Connector configuration: configuration keys to string values (numbers and \
                 booleans are accepted and stringified).",
            ))
            .property(
                "connector.class",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("The connector's Java class name or alias.")),
            )
            .required("connector.class")
            .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String)))
            .into()
    }
}

impl ToSchema for ConnectorConfigSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(CONNECTOR_CONFIG_SCHEMA)
    }
}

/// The body of `POST /connectors` (`CreateConnectorRequest`). Unknown fields are rejected,
/// as Jackson rejects them in Java.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConnectorRequest {
    /// The connector name (trimmed; missing means empty). The pattern is Java's rule:
    /// something remains after trimming, and no ISO control character appears.
    #[serde(default)]
    #[schema(value_type = String, required = true, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\u0000-\\u0020\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub name: LenientString,
    /// The connector config.
    #[serde(default)]
    #[schema(value_type = ConnectorConfigSchema, required = true)]
    pub config: Option<ConfigBody>,
    /// The state to create the connector in.
    #[serde(default)]
    pub initial_state: Option<InitialState>,
}

/// The body of `PUT /admin/loggers/{logger}`: Java reads it as `Map<String, String>`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LoggerLevelRequest {
    /// The level to set (`ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`, `OFF`, …).
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    pub level: LenientString,
}

/// The body of `PATCH /connectors/{c}/offsets`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OffsetsRequest {
    /// Partition/offset pairs; a `null` offset removes the partition's offset.
    #[serde(default)]
    #[schema(value_type = Vec<ConnectorOffset>, required = true, min_items = 1)]
    pub offsets: Option<Vec<ConnectorOffset>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values_are_read_like_jackson() {
        let body: ConfigBody =
            serde_json::from_str(r#"{"a":"x","b":1,"c":true,"d":null,"e":1.5}"#).unwrap();
        let (props, nulls) = body.split_nulls();
        assert_eq!(props["a"], "x");
        assert_eq!(props["b"], "1");
        assert_eq!(props["c"], "true");
        assert_eq!(props["e"], "1.5");
        assert_eq!(nulls, vec!["d".to_string()]);
        assert!(serde_json::from_str::<ConfigBody>(r#"{"a":{"x":1}}"#).is_err());
        assert!(serde_json::from_str::<ConfigBody>(r#"[]"#).is_err());
    }

    #[test]
    fn create_request_rejects_unknown_fields_and_reads_initial_state() {
        let r: CreateConnectorRequest =
            serde_json::from_str(r#"{"name":"a","config":{},"initial_state":"paused"}"#).unwrap();
        assert_eq!(r.initial_state, Some(InitialState::Paused));
        let err = serde_json::from_str::<CreateConnectorRequest>(r#"{"name":"a","tasks":[]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `tasks`"), "{err}");
        assert!(
            serde_json::from_str::<CreateConnectorRequest>(r#"{"initial_state":"gone"}"#).is_err()
        );
    }

    #[test]
    fn media_types() {
        for ok in ["application/json", "application/json; charset=UTF-8", "*/*"] {
            assert!(is_json_media_type(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/xml",
        ] {
            assert!(!is_json_media_type(bad), "{bad}");
        }
    }

    #[test]
    fn empty_and_malformed_bodies_are_400s() {
        let e = parse_body::<ConfigBody>(b"  ").unwrap_err();
        assert_eq!(e.status().as_u16(), 400);
        let e = parse_body::<ConfigBody>(b"{\"a\":").unwrap_err();
        assert!(e.to_string().starts_with("Malformed JSON"), "{e}");
        let e = parse_body::<ConfigBody>(b"[1]").unwrap_err();
        assert!(e.to_string().starts_with("Unexpected JSON content"), "{e}");
    }
}
