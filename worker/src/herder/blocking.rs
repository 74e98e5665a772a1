//! Synchronous connector calls (`Connector::validate`, `start`, `task_configs`, `stop`) made
//! on the request path. Connectors may do network I/O in them (the Elasticsearch sink pings
//! `connection.url` in `validate`), so the herder never runs them on the async runtime's
//! threads: [`call_connector`] runs each on tokio's blocking pool under a hard cap
//! ([`CONNECTOR_CALL_TIMEOUT`]) and turns a panic into an error carrying the panic message.

use std::time::Duration;

/// The longest a synchronous connector call may take before the herder gives up on it:
/// 60 s, below the REST request timeout (90 s, Java's `DEFAULT_REST_REQUEST_TIMEOUT_MS`) so
/// that the caller gets this error rather than a bare request timeout. The call itself cannot
/// be interrupted: it keeps its blocking-pool thread until it returns, but nothing waits for
/// it any more.
pub const CONNECTOR_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a synchronous connector call gave no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorCallError {
    /// The call did not return within the cap.
    #[error("{call} did not complete within {} seconds", .timeout.as_secs())]
    TimedOut {
        /// What was called, e.g. `ElasticsearchSinkConnector.validate`.
        call: String,
        /// The cap.
        timeout: Duration,
    },
    /// The call panicked.
    #[error("{call} panicked: {message}")]
    Panicked {
        /// What was called.
        call: String,
        /// The panic message.
        message: String,
    },
}

/// Runs `f` on the blocking pool, waiting at most [`CONNECTOR_CALL_TIMEOUT`].
pub async fn call_connector<T: Send + 'static>(
    call: impl Into<String>,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ConnectorCallError> {
    call_connector_within(call, CONNECTOR_CALL_TIMEOUT, f).await
}

/// [`call_connector`] with another cap.
pub async fn call_connector_within<T: Send + 'static>(
    call: impl Into<String>,
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ConnectorCallError> {
    let call = call.into();
    match tokio::time::timeout(timeout, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(join)) => {
            let message = match join.try_into_panic() {
                Ok(panic) => crate::runtime::panics::payload_message(&*panic),
                Err(e) => e.to_string(),
            };
            tracing::error!(call = %call, panic = %message, "Connector call panicked.");
            Err(ConnectorCallError::Panicked { call, message })
        }
        Err(_) => {
            tracing::error!(call = %call, timeout_s = timeout.as_secs(), "Connector call timed out; it is left to finish on its own.");
            Err(ConnectorCallError::TimedOut { call, timeout })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn values_panics_and_timeouts() {
        assert_eq!(call_connector("x", || 7).await, Ok(7));
        let err = call_connector("C.validate", || -> u8 { panic!("boom {}", 1) })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "C.validate panicked: boom 1");
        let err = call_connector_within("C.start", Duration::from_millis(20), || {
            std::thread::sleep(Duration::from_millis(300))
        })
        .await
        .unwrap_err();
        assert!(matches!(err, ConnectorCallError::TimedOut { .. }), "{err}");
    }
}
