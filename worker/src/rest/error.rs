//! The one REST error type. Every failure, from a herder error to an unknown route or a
//! malformed body, leaves the server as Java's `ErrorMessage` body
//! `{"error_code": <status>, "message": "<text>"}` (`ConnectExceptionMapper`), never as bare
//! text.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::herder::HerderError;

/// Java's `ErrorMessage` entity: the body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorMessage {
    /// The HTTP status, repeated.
    pub error_code: u16,
    /// What went wrong, in Java's wording where Java has one.
    pub message: String,
}

/// Why a REST request failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum RestError {
    /// The herder refused the operation; its status is Java's.
    #[error(transparent)]
    Herder(#[from] HerderError),
    /// No route matches the path (Jersey's `NotFoundException`).
    #[error("HTTP 404 Not Found")]
    RouteNotFound,
    /// The path exists but not for this method.
    #[error("HTTP 405 Method Not Allowed")]
    MethodNotAllowed,
    /// A body with a `Content-Type` other than JSON was sent to a JSON resource.
    #[error("HTTP 415 Unsupported Media Type")]
    UnsupportedMediaType,
    /// The body is larger than the server accepts.
    #[error("HTTP 413 Request Entity Too Large")]
    PayloadTooLarge,
    /// The body is not JSON, or not JSON of the expected shape. Java lets Jackson's exception
    /// reach its generic mapper (a 500); a malformed request is the client's error, so Sluice
    /// answers 400 with the parser's explanation.
    #[error("{0}")]
    MalformedBody(String),
    /// A request Java rejects with `BadRequestException` in the resource itself.
    #[error("{0}")]
    BadRequest(String),
    /// A resource-level 404 (unknown plugin, logger, …).
    #[error("{0}")]
    NotFound(String),
    /// A herder call did not finish within the request timeout.
    #[error("Request timed out. {0}")]
    Timeout(String),
    /// A handler panicked; the details stay in the log.
    #[error("Unexpected error while handling the request; the worker log has the details")]
    Panic,
    /// Anything else: a 500 with Java's message.
    #[error("{0}")]
    Internal(String),
    /// Another worker's error answer to a forwarded request, passed through unchanged
    /// (status, `error_code` and `message`), as Java's `RestClient` does.
    #[error("{message}")]
    Remote {
        /// The remote HTTP status.
        status: u16,
        /// The remote body's `error_code`.
        error_code: u16,
        /// The remote body's `message`.
        message: String,
    },
}

impl RestError {
    /// The HTTP status Java answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            RestError::Herder(e) => {
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            RestError::RouteNotFound | RestError::NotFound(_) => StatusCode::NOT_FOUND,
            RestError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            RestError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RestError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            RestError::MalformedBody(_) | RestError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RestError::Timeout(_) | RestError::Panic | RestError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            RestError::Remote { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// The error body.
    pub fn body(&self) -> ErrorMessage {
        let error_code = match self {
            RestError::Remote { error_code, .. } => *error_code,
            _ => self.status().as_u16(),
        };
        ErrorMessage {
            error_code,
            message: self.to_string(),
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), error = %self, "REST request failed");
        } else {
            tracing::debug!(status = status.as_u16(), error = %self, "REST request rejected");
        }
        (status, Json(self.body())).into_response()
    }
}

/// Result alias for handlers.
pub type RestResult<T> = Result<T, RestError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_java() {
        let cases = [
            (
                RestError::Herder(HerderError::connector_not_found("x")),
                404,
            ),
            (
                RestError::Herder(HerderError::AlreadyExists("a".into())),
                409,
            ),
            (RestError::Herder(HerderError::BadRequest("b".into())), 400),
            (RestError::Herder(HerderError::Forbidden("f".into())), 403),
            (RestError::Herder(HerderError::Internal("i".into())), 500),
            (RestError::RouteNotFound, 404),
            (RestError::MethodNotAllowed, 405),
            (RestError::UnsupportedMediaType, 415),
            (RestError::PayloadTooLarge, 413),
            (RestError::MalformedBody("m".into()), 400),
            (RestError::Timeout("t".into()), 500),
            (RestError::Panic, 500),
            (
                RestError::Herder(HerderError::ServiceUnavailable("s".into())),
                503,
            ),
            (
                RestError::Herder(HerderError::NotLeader {
                    message: "Only the leader may write task configurations.".into(),
                    leader_url: Some("http://leader:8083/".into()),
                }),
                500,
            ),
            (RestError::Herder(HerderError::RebalanceNeeded), 500),
        ];
        for (err, status) in cases {
            assert_eq!(err.status().as_u16(), status, "{err:?}");
            assert_eq!(err.body().error_code, status);
        }
        assert_eq!(
            RestError::Herder(HerderError::connector_not_found("foo"))
                .body()
                .message,
            "Connector foo not found"
        );
        assert_eq!(
            RestError::Herder(HerderError::RebalanceNeeded)
                .body()
                .message,
            "Request cannot be completed because a rebalance is expected"
        );
        let remote = RestError::Remote {
            status: 409,
            error_code: 40901,
            message: "m".into(),
        };
        assert_eq!(remote.status().as_u16(), 409);
        assert_eq!(remote.body().error_code, 40901);
        assert_eq!(
            RestError::MethodNotAllowed.body().message,
            "HTTP 405 Method Not Allowed"
        );
    }
}
