//! The FileStream connectors of Kafka Connect (`org.apache.kafka.connect.file`):
//!
//! * [`FileStreamSourceConnector`] reads lines from a file (or standard input) and writes one
//!   record per line to a topic. Its source partition is `{"filename": <file>}` and its offset
//!   `{"position": N}`, N being the byte position after the line's terminator; on restart it
//!   resumes at the committed position. New lines are picked up within a second (within
//!   tens of milliseconds while the file is busy). The file is read by a small thread per task,
//!   off the async runtime, and an idle regular file is watched by one thread for all tasks; a line may hold at most
//!   `sluice.max.line.bytes` bytes (Sluice only, 8 MiB by default; a longer line fails the
//!   task), so memory stays bounded even on `/dev/zero`.
//! * [`FileStreamSinkConnector`] appends each record value to a file (or standard output), one
//!   line per record, printed as Java's `String.valueOf(value)` would print it.
//!
//! Java counts the position in UTF-16 characters but skips bytes when it resumes, so the two
//! agree for ASCII files; Sluice counts bytes, which resumes correctly for any UTF-8 file.

mod java_string;
mod lines;
mod reader;
mod sink;
mod source;
mod watch;

pub use java_string::java_to_string;
pub use lines::{Line, LineBuffer, LineTooLong, DEFAULT_MAX_LINE_BYTES};
pub use sink::{FileStreamSinkConnector, FileStreamSinkTask};
pub use source::{FileStreamSourceConnector, FileStreamSourceTask};

use sluice_api::config::ConfigErrors;
use sluice_api::{ConfigError, ConnectError, Plugin, PluginFactory, SLUICE_VERSION};

/// Java class name of the source connector.
pub const SOURCE_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
/// Java class name of the sink connector.
pub const SINK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";

/// `file`: the file to read or write; empty or absent means standard input or output.
pub const FILE_CONFIG: &str = "file";
/// `topic`: the topic the source writes to.
pub const TOPIC_CONFIG: &str = "topic";
/// `batch.size`: the most records one source poll returns.
pub const BATCH_SIZE_CONFIG: &str = "batch.size";
/// Default of `batch.size`, as Java's.
pub const DEFAULT_BATCH_SIZE: i32 = 2000;
/// `sluice.max.line.bytes` (Sluice only; Java has no limit): the longest line the source
/// accepts, in bytes without its terminator; default [`DEFAULT_MAX_LINE_BYTES`] (8 MiB). A
/// longer line fails the task with [`FileStreamError::LineTooLong`], naming the file and the
/// line's byte offset; the line is never skipped or split, and the lines before it are
/// delivered and committed first.
pub const MAX_LINE_BYTES_CONFIG: &str = "sluice.max.line.bytes";

/// Key of the source partition map.
pub const FILENAME_FIELD: &str = "filename";
/// Key of the source offset map.
pub const POSITION_FIELD: &str = "position";

/// The two FileStream connectors, for the registry.
pub fn plugins() -> Vec<Plugin> {
    vec![
        Plugin {
            class: SOURCE_CLASS,
            version: SLUICE_VERSION,
            factory: PluginFactory::Source(|| Box::new(FileStreamSourceConnector::default())),
        },
        Plugin {
            class: SINK_CLASS,
            version: SLUICE_VERSION,
            factory: PluginFactory::Sink(|| Box::new(FileStreamSinkConnector::default())),
        },
    ]
}

/// What can go wrong in the FileStream connectors.
#[derive(Debug, thiserror::Error)]
pub enum FileStreamError {
    /// The sink could not open its output.
    #[error("Couldn't find or create file '{path}' for FileStreamSinkTask: {source}")]
    OpenSink {
        /// The configured file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Reading the source input failed.
    #[error("Error reading from {what}: {source}")]
    Read {
        /// The file name, or `stdin`.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Seeking to the committed position failed.
    #[error("Error while trying to seek to previous offset {position} in file {path}: {source}")]
    Seek {
        /// The file.
        path: String,
        /// The committed position.
        position: u64,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A source line is longer than `sluice.max.line.bytes`.
    #[error(
        "Cannot read {what}: the {source} ({MAX_LINE_BYTES_CONFIG}, a Sluice-only limit; \
         Java has none). The task stops rather than skip or split the line: raise the limit \
         or fix the input"
    )]
    LineTooLong {
        /// The file name, or `stdin`.
        what: String,
        /// Where the line starts and the limit.
        source: LineTooLong,
    },
    /// The committed offset's `position` is not a non-negative integer.
    #[error("Offset position is the incorrect type: {0}")]
    BadOffset(serde_json::Value),
    /// Writing or flushing the sink output failed.
    #[error("Error writing to {what}: {source}")]
    Write {
        /// The file name, or `stdout`.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Offsets given to `PATCH`/`DELETE /connectors/{c}/offsets` the source refuses.
    #[error("{0}")]
    Offsets(String),
    /// A task method was called before `start`.
    #[error("{0} was used before it was started")]
    NotStarted(&'static str),
}

impl From<FileStreamError> for ConnectError {
    fn from(e: FileStreamError) -> Self {
        ConnectError::connect(e.to_string())
    }
}

/// The first config error (what Java throws), keeping the key it names.
fn config_error(errors: ConfigErrors) -> ConnectError {
    let first = errors
        .first()
        .cloned()
        .unwrap_or_else(|| ConfigError::general(errors.to_string()));
    ConnectError::Config(first)
}

/// The display name of an optional file (`stdin`/`stdout` when absent).
fn describe(file: Option<&str>, stdio: &str) -> String {
    file.map_or_else(|| stdio.to_string(), str::to_string)
}
