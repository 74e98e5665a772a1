//! The two response filters Java's `RestServer` installs on the main listeners:
//!
//! * the cross-origin filter (`access.control.allow.origin`, `access.control.allow.methods`),
//!   with the semantics and defaults of Jetty's `CrossOriginFilter`;
//! * the header filter (`response.http.headers.config`), with the rule syntax Kafka's
//!   `RestServerConfig` validates and the actions of Jetty's `HeaderFilter`.
//!
//! As in Java, both apply to the main listeners only, not to separate `admin.listeners`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// `access.control.allow.methods` when unset: Jetty's `CrossOriginFilter` default.
pub const DEFAULT_ALLOWED_METHODS: &str = "GET,POST,HEAD";

/// The request headers a cross-origin request may carry: Jetty's default `allowedHeaders`.
pub const DEFAULT_ALLOWED_HEADERS: &str = "X-Requested-With,Content-Type,Accept,Origin";

/// How long a browser may cache a preflight answer: Jetty's default `preflightMaxAge`.
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(1800);

/// The actions a `response.http.headers.config` rule may use, as Kafka lists them.
pub const HEADER_ACTIONS: [&str; 4] = ["set", "add", "setDate", "addDate"];

/// Why the cross-origin or response-header settings are invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterConfigError {
    /// A rule of `response.http.headers.config` is malformed; the message is Kafka's where
    /// Kafka has one.
    #[error("Invalid value {value} for configuration response.http.headers.config: {message}")]
    HeaderRule {
        /// The whole configured value.
        value: String,
        /// What is wrong with which rule.
        message: String,
    },
    /// An entry of `access.control.allow.methods` is not an HTTP method token.
    #[error(
        "Invalid value {value} for configuration access.control.allow.methods: '{method}' is \
         not an HTTP method"
    )]
    AllowMethod {
        /// The whole configured value.
        value: String,
        /// The bad entry.
        method: String,
    },
}

// ---------------------------------------------------------------------------------------
// Cross-origin filter
// ---------------------------------------------------------------------------------------

/// The cross-origin filter's settings (Jetty's `CrossOriginFilter` with Connect's init
/// parameters: allowed origins and, optionally, allowed methods; credentials allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsConfig {
    /// `access.control.allow.origin`, split on commas; `*` allows any origin, and `*` inside
    /// an entry (`https://*.example.com`) matches any run of characters.
    pub allowed_origins: Vec<String>,
    /// `access.control.allow.methods`, split on commas, else [`DEFAULT_ALLOWED_METHODS`].
    pub allowed_methods: Vec<String>,
}

impl CorsConfig {
    /// The filter for `access.control.allow.origin` / `access.control.allow.methods`, or
    /// `None` when the origin setting is blank (no filter, no CORS headers at all).
    pub fn from_settings(
        allow_origin: &str,
        allow_methods: &str,
    ) -> Result<Option<Self>, FilterConfigError> {
        if allow_origin.trim().is_empty() {
            return Ok(None);
        }
        let split = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let methods = if allow_methods.trim().is_empty() {
            DEFAULT_ALLOWED_METHODS
        } else {
            allow_methods
        };
        let allowed_methods = split(methods);
        for m in &allowed_methods {
            if Method::from_bytes(m.as_bytes()).is_err() {
                return Err(FilterConfigError::AllowMethod {
                    value: allow_methods.to_string(),
                    method: m.clone(),
                });
            }
        }
        Ok(Some(CorsConfig {
            allowed_origins: split(allow_origin),
            allowed_methods,
        }))
    }

    fn any_origin(&self) -> bool {
        self.allowed_origins.iter().any(|o| o == "*")
    }

    /// Whether `origin` (an `Origin` header, possibly several space-separated origins) is
    /// allowed, as Jetty's `originMatches`.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        if self.any_origin() {
            return true;
        }
        origin.split(' ').filter(|o| !o.trim().is_empty()).any(|o| {
            self.allowed_origins.iter().any(|allowed| {
                if allowed.contains('*') {
                    wildcard_match(allowed, o)
                } else {
                    allowed == o
                }
            })
        })
    }
}

/// `*` matches any run of characters (Jetty turns the entry into the regex `.*`); every other
/// character matches itself.
fn wildcard_match(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(x) => x,
        None => return s.is_empty(),
    };
    let Some(mut tail) = s.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return tail.is_empty();
    };
    for part in middle {
        match tail.find(part) {
            Some(i) => tail = &tail[i + part.len()..],
            None => return false,
        }
    }
    tail.len() >= last.len() && tail.ends_with(last)
}

/// Jetty's `CrossOriginFilter`: a request whose `Origin` is allowed gets
/// `Access-Control-Allow-Origin: <origin>` and `Access-Control-Allow-Credentials: true`; a
/// preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin is
/// answered here with 200 and, when the method and headers asked for are allowed, the
/// allowed methods, headers and max age. Requests without an allowed origin pass untouched.
pub async fn cors(State(cors): State<Arc<CorsConfig>>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string);
    let Some(origin) = origin.filter(|o| cors.origin_allowed(o)) else {
        return next.run(req).await;
    };
    let preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let mut resp = StatusCode::OK.into_response();
        if preflight_allowed(&cors, &req) {
            let h = resp.headers_mut();
            add_origin_headers(&cors, &origin, h);
            h.insert(
                ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from(PREFLIGHT_MAX_AGE.as_secs()),
            );
            if let Ok(v) = HeaderValue::from_str(&cors.allowed_methods.join(",")) {
                h.insert(ACCESS_CONTROL_ALLOW_METHODS, v);
            }
            h.insert(
                ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(DEFAULT_ALLOWED_HEADERS),
            );
        }
        return resp;
    }
    let mut resp = next.run(req).await;
    add_origin_headers(&cors, &origin, resp.headers_mut());
    resp
}

/// The method asked for is allowed (exactly, as Jetty compares) and every header asked for is
/// allowed (ignoring case).
fn preflight_allowed(cors: &CorsConfig, req: &Request) -> bool {
    let method = req
        .headers()
        .get(ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        .unwrap_or("");
    if !cors.allowed_methods.iter().any(|m| m == method) {
        return false;
    }
    let requested = req
        .headers()
        .get_all(ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect::<Vec<_>>();
    requested.iter().all(|h| {
        DEFAULT_ALLOWED_HEADERS
            .split(',')
            .any(|allowed| allowed.eq_ignore_ascii_case(h))
    })
}

fn add_origin_headers(cors: &CorsConfig, origin: &str, h: &mut axum::http::HeaderMap) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    if !cors.any_origin() {
        h.append(VARY, HeaderValue::from_static("Origin"));
    }
    h.insert(
        ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
}

// ---------------------------------------------------------------------------------------
// Response header filter
// ---------------------------------------------------------------------------------------

/// What a header rule does with its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderAction {
    /// Replaces any value the response has.
    Set,
    /// Appends a value.
    Add,
    /// Replaces with the HTTP date `now + value` milliseconds.
    SetDate,
    /// Appends the HTTP date `now + value` milliseconds.
    AddDate,
}

/// One rule of `response.http.headers.config`: `[set|add|setDate|addDate] Name:Value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRule {
    /// The action.
    pub action: HeaderAction,
    /// The header.
    pub name: HeaderName,
    /// The value of `set`/`add` rules.
    pub value: Option<HeaderValue>,
    /// The offset from now, in milliseconds, of `setDate`/`addDate` rules.
    pub offset_ms: i64,
}

/// Splits a comma-separated list as Jetty's `StringUtil.csvSplit`: items are trimmed, and an
/// item in double quotes may hold commas (a backslash escapes the next character inside
/// quotes). Blank items are dropped.
fn csv_split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in s.chars() {
        if quoted {
            if escaped {
                cur.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            } else {
                cur.push(c);
            }
        } else if c == '"' {
            quoted = true;
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Java's `String.split(":")`: trailing empty strings are removed.
fn java_split_colon(s: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(':').collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

/// Parses and checks one rule; the messages are those of Kafka's
/// `RestServerConfig.validateHttpResponseHeaderConfig`, then Sluice's own for what Jetty would
/// only reject when the server starts (a name or value HTTP does not allow, a date offset
/// that is not a number).
pub fn parse_header_rule(rule: &str) -> Result<HeaderRule, String> {
    let trimmed = rule.trim();
    let Some((action, header)) = trimmed.split_once(char::is_whitespace) else {
        return Err(format!(
            "Invalid format of header config '{rule}'. Expected: '[action] [header name]:[header value]'"
        ));
    };
    let header = header.trim_start();
    let action = action.trim();
    if !HEADER_ACTIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(action))
    {
        return Err(format!(
            "Invalid header config action: '{action}'. Expected one of [{}]",
            HEADER_ACTIONS.join(", ")
        ));
    }
    if java_split_colon(header.trim()).len() != 2 {
        return Err(format!(
            "Invalid format of header name and header value pair '{header}'. Expected: '[header name]:[header value]'"
        ));
    }
    let (name, value) = header.trim().split_once(':').unwrap_or((header, ""));
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!(
            "Invalid header name '{name}'. The '[header name]' cannot contain whitespace"
        ));
    }
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("Invalid header name '{name}': not a valid HTTP header name"))?;
    // Jetty's HeaderFilter decides by prefix and suffix, case-sensitively.
    let (add, date) = (action.starts_with("add"), action.ends_with("Date"));
    let action = match (add, date) {
        (false, false) => HeaderAction::Set,
        (true, false) => HeaderAction::Add,
        (false, true) => HeaderAction::SetDate,
        (true, true) => HeaderAction::AddDate,
    };
    if date {
        let offset_ms = value.parse::<i64>().map_err(|_| {
            format!(
                "Invalid header config '{rule}': the value of a date rule must be a number of \
                 milliseconds from now"
            )
        })?;
        return Ok(HeaderRule {
            action,
            name,
            value: None,
            offset_ms,
        });
    }
    let value = HeaderValue::from_str(value)
        .map_err(|_| format!("Invalid header value '{value}': not a valid HTTP header value"))?;
    Ok(HeaderRule {
        action,
        name,
        value: Some(value),
        offset_ms: 0,
    })
}

/// Parses `response.http.headers.config` (blank: no rules); the error names the key and the
/// first bad rule.
pub fn parse_header_rules(config: &str) -> Result<Vec<HeaderRule>, FilterConfigError> {
    if config.trim().is_empty() {
        return Ok(Vec::new());
    }
    csv_split(config)
        .iter()
        .map(|r| parse_header_rule(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|message| FilterConfigError::HeaderRule {
            value: config.to_string(),
            message,
        })
}

/// `now + offset_ms` as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(offset_ms: i64) -> Option<HeaderValue> {
    let offset = Duration::from_millis(offset_ms.unsigned_abs());
    let now = SystemTime::now();
    let at = if offset_ms >= 0 {
        now.checked_add(offset)?
    } else {
        now.checked_sub(offset)?
    };
    HeaderValue::from_str(&httpdate::fmt_http_date(at)).ok()
}

/// Jetty's `HeaderFilter`: applies every rule, in order, to each response.
pub async fn response_headers(
    State(rules): State<Arc<[HeaderRule]>>,
    mut resp: Response,
) -> Response {
    let h = resp.headers_mut();
    for rule in rules.iter() {
        let value = match rule.action {
            HeaderAction::Set | HeaderAction::Add => rule.value.clone(),
            HeaderAction::SetDate | HeaderAction::AddDate => http_date(rule.offset_ms),
        };
        let Some(value) = value else { continue };
        match rule.action {
            HeaderAction::Set | HeaderAction::SetDate => {
                h.insert(rule.name.clone(), value);
            }
            HeaderAction::Add | HeaderAction::AddDate => {
                h.append(rule.name.clone(), value);
            }
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rules_parse_with_kafkas_messages() {
        let rules = parse_header_rules(
            "set X-Frame-Options:DENY, add Cache-Control: no-cache ,\"add Cache-Control:no-store, private\", setDate Expires:3600000",
        )
        .unwrap();
        assert_eq!(rules.len(), 4);
        assert_eq!(rules[0].action, HeaderAction::Set);
        assert_eq!(rules[0].name, "x-frame-options");
        assert_eq!(rules[0].value.as_ref().unwrap(), "DENY");
        assert_eq!(rules[1].value.as_ref().unwrap(), "no-cache");
        assert_eq!(rules[2].value.as_ref().unwrap(), "no-store, private");
        assert_eq!(rules[3].action, HeaderAction::SetDate);
        assert_eq!(rules[3].offset_ms, 3_600_000);
        assert!(parse_header_rules("  ").unwrap().is_empty());

        let err = |c: &str| parse_header_rule(c).unwrap_err();
        assert_eq!(
            err("put X-A:b"),
            "Invalid header config action: 'put'. Expected one of [set, add, setDate, addDate]"
        );
        assert_eq!(
            err("set"),
            "Invalid format of header config 'set'. Expected: '[action] [header name]:[header value]'"
        );
        assert_eq!(
            err("set X-A"),
            "Invalid format of header name and header value pair 'X-A'. Expected: '[header name]:[header value]'"
        );
        assert_eq!(
            err("set X-A:b:c"),
            "Invalid format of header name and header value pair 'X-A:b:c'. Expected: '[header name]:[header value]'"
        );
        assert_eq!(
            err("set :b"),
            "Invalid header name ''. The '[header name]' cannot contain whitespace"
        );
        assert!(err("setDate Expires:soon").contains("number of milliseconds"));
        assert!(err("set X(A):b").contains("not a valid HTTP header name"));

        let e = parse_header_rules("set X-A:b, frob X-B:c").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value set X-A:b, frob X-B:c for configuration response.http.headers.config: \
             Invalid header config action: 'frob'. Expected one of [set, add, setDate, addDate]"
        );
    }

    #[test]
    fn origins_match_as_jetty() {
        let c = CorsConfig::from_settings("https://a.example, http://*.b.example", "")
            .unwrap()
            .unwrap();
        assert_eq!(c.allowed_methods, ["GET", "POST", "HEAD"]);
        assert!(c.origin_allowed("https://a.example"));
        assert!(c.origin_allowed("http://x.b.example"));
        assert!(c.origin_allowed("http://x.y.b.example"));
        assert!(!c.origin_allowed("http://b.example"));
        assert!(!c.origin_allowed("https://a.example.evil"));
        assert!(!c.origin_allowed("https://c.example"));
        let any = CorsConfig::from_settings("*", "GET, PUT").unwrap().unwrap();
        assert!(any.origin_allowed("http://anything"));
        assert_eq!(any.allowed_methods, ["GET", "PUT"]);
        assert_eq!(CorsConfig::from_settings(" ", "GET").unwrap(), None);
        assert!(CorsConfig::from_settings("*", "GET,P UT").is_err());
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("a*c", "abc"));
        assert!(wildcard_match("a*c", "ac"));
        assert!(!wildcard_match("a*c", "ab"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b*c", "a-b-c"));
        assert!(!wildcard_match("ab*b", "ab"));
    }
}
