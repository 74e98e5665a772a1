//! Errors of the plugin SPI, mirroring Connect's exception hierarchy
//! (`ConnectException`, `DataException`, `RetriableException`, `ConfigException`, …).

use thiserror::Error;

/// An error raised by a plugin or by the data model.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ConnectError {
    /// `DataException`: a value does not fit its schema, or bytes cannot be converted.
    #[error("{0}")]
    Data(String),
    /// `ConfigException`: a configuration value is invalid or missing.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// `RetriableException`: the operation may succeed if retried.
    #[error("{0}")]
    Retriable(String),
    /// `NotFoundException`.
    #[error("{0}")]
    NotFound(String),
    /// `IllegalArgumentException` (some transformations raise it, e.g. ExtractField).
    #[error("{0}")]
    IllegalArgument(String),
    /// Any other `ConnectException`.
    #[error("{0}")]
    Connect(String),
}

impl ConnectError {
    /// A `DataException`.
    pub fn data(msg: impl Into<String>) -> Self {
        ConnectError::Data(msg.into())
    }
    /// A generic `ConnectException`.
    pub fn connect(msg: impl Into<String>) -> Self {
        ConnectError::Connect(msg.into())
    }
    /// A `RetriableException`.
    pub fn retriable(msg: impl Into<String>) -> Self {
        ConnectError::Retriable(msg.into())
    }
    /// True for retriable errors.
    pub fn is_retriable(&self) -> bool {
        matches!(self, ConnectError::Retriable(_))
    }
    /// The Java exception class this error corresponds to (used in status traces).
    pub fn java_class(&self) -> &'static str {
        match self {
            ConnectError::Data(_) => "org.apache.kafka.connect.errors.DataException",
            ConnectError::Config(_) => "org.apache.kafka.common.config.ConfigException",
            ConnectError::Retriable(_) => "org.apache.kafka.connect.errors.RetriableException",
            ConnectError::NotFound(_) => "org.apache.kafka.connect.errors.NotFoundException",
            ConnectError::IllegalArgument(_) => "java.lang.IllegalArgumentException",
            ConnectError::Connect(_) => "org.apache.kafka.connect.errors.ConnectException",
        }
    }
}

/// A `ConfigException`, with the key it concerns when there is one.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("{message}")]
pub struct ConfigError {
    /// The configuration key, when the error concerns one.
    pub key: Option<String>,
    /// The full message, in Java's wording.
    pub message: String,
}

impl ConfigError {
    /// `new ConfigException(name, value, message)`:
    /// `Invalid value <value> for configuration <name>: <message>`.
    pub fn invalid(key: &str, value: impl std::fmt::Display, message: impl AsRef<str>) -> Self {
        let message = message.as_ref();
        let message = if message.is_empty() {
            format!("Invalid value {value} for configuration {key}")
        } else {
            format!("Invalid value {value} for configuration {key}: {message}")
        };
        ConfigError {
            key: Some(key.to_string()),
            message,
        }
    }
    /// `Missing required configuration "<key>" which has no default value.`
    pub fn missing(key: &str) -> Self {
        ConfigError {
            key: Some(key.to_string()),
            message: format!(
                "Missing required configuration \"{key}\" which has no default value."
            ),
        }
    }
    /// A message about a key, used verbatim.
    pub fn key(key: &str, message: impl Into<String>) -> Self {
        ConfigError {
            key: Some(key.to_string()),
            message: message.into(),
        }
    }
    /// A message not tied to one key.
    pub fn general(message: impl Into<String>) -> Self {
        ConfigError {
            key: None,
            message: message.into(),
        }
    }
}

/// Result alias for the SPI.
pub type ConnectResult<T> = Result<T, ConnectError>;
