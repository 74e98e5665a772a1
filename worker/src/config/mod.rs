//! Configuration: reading worker and connector files, environment overrides, the worker's
//! typed config, the connector-level common config, and the mapping of worker settings onto
//! librdkafka client settings.

pub mod connector;
pub mod distributed;
pub mod env;
pub mod jaas;
pub mod kafka_clients;
pub mod override_policy;
pub mod props_file;
pub mod providers;
pub mod worker;

use std::path::PathBuf;

pub use connector::{ConnectorConfig, ConnectorFile, ConnectorKind};
pub use worker::WorkerConfig;

/// A configuration file that could not be used. Every message names the file and, where there
/// is one, the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// The file could not be read.
    #[error("Could not read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid properties (or JSON) file.
    #[error("Malformed configuration file {path}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line where known.
        message: String,
    },
    /// A key is missing or invalid.
    #[error("Invalid configuration in {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Java's message, which names the key.
        message: String,
    },
}
