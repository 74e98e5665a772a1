//! `FileStreamSourceConnector` and its task.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value as Json;
use sluice_api::{
    schemas, ConfigDef, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Connector,
    ConnectorContext, ExactlyOnceSupport, Importance, OffsetMap, Props, SourceConnector,
    SourceOffset, SourceRecord, SourceTask, SourceTaskContext, Validator, Value, SLUICE_VERSION,
};
use tokio::io::AsyncReadExt;

use super::lines::{Line, LineBuffer, LineTooLong, DEFAULT_MAX_LINE_BYTES};
use super::reader::{self, FileReader, Next, READ_CHUNK};
use super::{
    config_error, describe, FileStreamError, BATCH_SIZE_CONFIG, DEFAULT_BATCH_SIZE, FILENAME_FIELD,
    FILE_CONFIG, MAX_LINE_BYTES_CONFIG, POSITION_FIELD, TOPIC_CONFIG,
};

/// How long one `poll` waits for data before returning an empty batch (Java's task waits a
/// second, too). The worker does not need `poll` to return to stop or pause the task, so a
/// longer wait only saves wake-ups of idle tasks.
const MAX_IDLE: Duration = Duration::from_millis(1000);
/// How long to wait before trying again to open a file that cannot be opened.
const OPEN_RETRY: Duration = Duration::from_millis(100);
/// The most input bytes one `poll` takes in: a poll over a long line still in progress
/// returns (empty) after this much, so it never runs unbounded.
const MAX_POLL_BYTES: usize = 16 * READ_CHUNK;

/// The source connector's keys.
pub fn source_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(
                FILE_CONFIG,
                ConfigType::String,
                Importance::High,
                "Source filename. If not specified, the standard input will be used",
            )
            .default_null(),
        )
        .define(
            ConfigKey::new(
                TOPIC_CONFIG,
                ConfigType::String,
                Importance::High,
                "The topic to publish data to",
            )
            .validator(Validator::NonEmptyString),
        )
        .define(
            ConfigKey::new(
                BATCH_SIZE_CONFIG,
                ConfigType::Int,
                Importance::Low,
                "The maximum number of records the source task can read from the file each \
                 time it is polled",
            )
            .default(DEFAULT_BATCH_SIZE.to_string()),
        )
        .define(
            ConfigKey::new(
                MAX_LINE_BYTES_CONFIG,
                ConfigType::Int,
                Importance::Low,
                "Sluice only (Java has no limit): the longest line, in bytes without its \
                 terminator, the task accepts. A longer line fails the task with an error naming \
                 the file and the line's byte offset; nothing is skipped or split.",
            )
            .default(DEFAULT_MAX_LINE_BYTES.to_string())
            .validator(Validator::Range {
                min: Some(1.0),
                max: None,
            }),
        )
}

/// The source settings, parsed once.
#[derive(Debug, Clone, PartialEq)]
struct SourceConfig {
    /// `None` reads standard input.
    file: Option<String>,
    topic: String,
    batch_size: usize,
    /// `sluice.max.line.bytes`.
    max_line: usize,
    /// The source partition of every record: built once, shared by the records.
    partition: Arc<OffsetMap>,
}

impl SourceConfig {
    fn parse(props: &Props) -> ConnectResult<Self> {
        let parsed = source_config_def().parse(props).map_err(config_error)?;
        let file = parsed
            .get_string(FILE_CONFIG)
            .filter(|f| !f.is_empty())
            .map(str::to_string);
        let topic = parsed.require_string(TOPIC_CONFIG)?.to_string();
        // Java accepts any int; a batch of fewer than one record would never return.
        let batch_size = usize::try_from(parsed.get_int(BATCH_SIZE_CONFIG)?)
            .unwrap_or(1)
            .max(1);
        let max_line = usize::try_from(parsed.get_int(MAX_LINE_BYTES_CONFIG)?)
            .unwrap_or(1)
            .max(1);
        let partition = Arc::new(partition(file.as_deref()));
        Ok(SourceConfig {
            file,
            topic,
            batch_size,
            max_line,
            partition,
        })
    }
}

/// `org.apache.kafka.connect.file.FileStreamSourceConnector`: one task that reads a file.
#[derive(Debug, Default)]
pub struct FileStreamSourceConnector {
    props: Props,
}

impl Connector for FileStreamSourceConnector {
    fn version(&self) -> String {
        SLUICE_VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        source_config_def()
    }

    fn start(&mut self, props: &Props, _context: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
        SourceConfig::parse(props)?;
        self.props = props.clone();
        Ok(())
    }

    /// Always exactly one task, whatever `tasks.max` says; its config is the connector's.
    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.props.clone()])
    }

    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

impl SourceConnector for FileStreamSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(FileStreamSourceTask::default())
    }

    /// As Java's: exactly once when reading a file (appended to only), not standard input,
    /// whose position cannot be kept.
    fn exactly_once_support(&self, props: &Props) -> Option<ExactlyOnceSupport> {
        Some(if reads_stdin(props) {
            ExactlyOnceSupport::Unsupported
        } else {
            ExactlyOnceSupport::Supported
        })
    }

    /// As Java's: offsets can change only when reading a file; each new offset (removals are
    /// always allowed) is `{"position": <non-negative long>}` for a partition with a
    /// `filename`. Whether the position fits the file is the task's to check when it starts.
    fn alter_offsets(
        &self,
        props: &Props,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> ConnectResult<bool> {
        if reads_stdin(props) {
            return Err(FileStreamError::Offsets(format!(
                "Offsets cannot be modified if the '{FILE_CONFIG}' configuration is unspecified. \
                 This is because stdin is used for input and offsets are not tracked."
            ))
            .into());
        }
        for (partition, offset) in offsets {
            let Some(offset) = offset else { continue };
            let refuse = |message: String| Err(FileStreamError::Offsets(message).into());
            let Some(position) = offset.get(POSITION_FIELD) else {
                return refuse(format!(
                    "Offset objects should either be null or contain the key '{POSITION_FIELD}'"
                ));
            };
            let Some(position) = position.as_i64() else {
                return refuse(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset is expected to be a Long value"
                ));
            };
            if position < 0 {
                return refuse(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset should be a non-negative value"
                ));
            }
            if !partition.contains_key(FILENAME_FIELD) {
                return refuse(format!(
                    "Partition objects should contain the key '{FILENAME_FIELD}'"
                ));
            }
        }
        Ok(true)
    }
}

/// Whether the config names no `file`, so standard input is read (Java's test).
fn reads_stdin(props: &Props) -> bool {
    props.get(FILE_CONFIG).is_none_or(|f| f.trim().is_empty())
}

/// Where the task reads from. Either way `poll` only awaits while it holds no lines it has
/// not returned, and the awaited read is cancel-safe, so a dropped `poll` loses nothing.
enum Input {
    /// A file (or FIFO, or device), read by a background thread (see [`FileReader`]).
    File(FileReader),
    /// Standard input, read asynchronously (a read may wait for input indefinitely).
    Stdin(tokio::io::Stdin),
}

/// What one look at the input found.
enum Read {
    /// These bytes.
    Data(Vec<u8>),
    /// Nothing now; `poll` should return what it has.
    Nothing,
}

/// `FileStreamSourceTask`: reads lines and turns each into a record.
#[derive(Default)]
pub struct FileStreamSourceTask {
    config: Option<SourceConfig>,
    context: Option<SourceTaskContext>,
    input: Option<Input>,
    lines: LineBuffer,
    chunk: Vec<u8>,
    open_failure_logged: bool,
}

impl FileStreamSourceTask {
    /// Opens the input and positions it at the committed offset; `false` when the file
    /// cannot be opened yet (it is retried on the next poll).
    async fn open(&mut self) -> ConnectResult<bool> {
        let config = self
            .config
            .as_ref()
            .ok_or(FileStreamError::NotStarted("FileStreamSourceTask"))?;
        let Some(path) = config.file.clone() else {
            // Offsets are not tracked for standard input.
            self.input = Some(Input::Stdin(tokio::io::stdin()));
            self.chunk = vec![0; READ_CHUNK];
            self.lines = LineBuffer::at(0).limit(config.max_line);
            return Ok(true);
        };
        let max_line = config.max_line;
        // Opening never waits (not even for a FIFO's writer): see `reader::open`.
        let mut file = match reader::open(&path) {
            Ok(f) => f,
            Err(e) => {
                if !self.open_failure_logged {
                    tracing::warn!(
                        file = %path,
                        error = %e,
                        "Couldn't open file for FileStreamSourceTask, waiting for it to be created."
                    );
                    self.open_failure_logged = true;
                }
                return Ok(false);
            }
        };
        let position = self.committed_position(&path).await?;
        reader::seek(&mut file, position).map_err(|source| FileStreamError::Seek {
            path: path.clone(),
            position,
            source,
        })?;
        if position > 0 {
            tracing::debug!(file = %path, position, "Resumed at the committed position.");
        }
        let reader = FileReader::start(file, &self.thread_name()).map_err(|source| {
            FileStreamError::Read {
                what: path.clone(),
                source,
            }
        })?;
        tracing::debug!(file = %path, "Opened file for reading.");
        self.lines = LineBuffer::at(position).limit(max_line);
        self.input = Some(Input::File(reader));
        Ok(true)
    }

    /// The committed `position` of this file's partition, 0 when there is none.
    async fn committed_position(&self, path: &str) -> ConnectResult<u64> {
        let context = self
            .context
            .as_ref()
            .ok_or(FileStreamError::NotStarted("FileStreamSourceTask"))?;
        let offset = context.offset_reader.offset(&partition(Some(path))).await?;
        match offset.as_ref().and_then(|o| o.get(POSITION_FIELD)) {
            None | Some(Json::Null) => Ok(0),
            Some(Json::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64().unwrap_or(0)),
            Some(other) => Err(FileStreamError::BadOffset(other.clone()).into()),
        }
    }

    /// The reading thread's name: the file's last path component.
    fn thread_name(&self) -> String {
        let file = self.config.as_ref().and_then(|c| c.file.as_deref());
        file.and_then(|f| std::path::Path::new(f).file_name())
            .map_or_else(
                || "source".to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
    }

    /// Moves complete lines into `records` up to the batch size; `true` when the poll should
    /// return them now (the batch is full, or an over-long line follows them). A line over
    /// the limit fails the poll only when no record precedes it, so the lines before it are
    /// still delivered (and their offsets committed) before the task fails.
    fn take_lines(
        config: &SourceConfig,
        lines: &mut LineBuffer,
        records: &mut Vec<SourceRecord>,
    ) -> ConnectResult<bool> {
        // One clock read for the lines already read: they all arrived by now.
        let now = now_millis();
        if records.capacity() == 0 {
            // At most one line per byte held, and at most a batch.
            records.reserve(config.batch_size.min(lines.pending()));
        }
        while records.len() < config.batch_size {
            match lines.next_line() {
                Ok(Some(line)) => records.push(Self::record(config, line, now)),
                Ok(None) => return Ok(false),
                Err(_) if !records.is_empty() => return Ok(true),
                Err(too_long) => return Err(Self::too_long(config, too_long).into()),
            }
        }
        Ok(true)
    }

    fn too_long(config: &SourceConfig, error: LineTooLong) -> FileStreamError {
        let what = describe(config.file.as_deref(), "stdin");
        tracing::error!(
            file = %what,
            position = error.position,
            limit = error.limit,
            "A line is longer than {MAX_LINE_BYTES_CONFIG}; failing the task rather than skipping or splitting it."
        );
        FileStreamError::LineTooLong {
            what,
            source: error,
        }
    }

    /// The record of one line, stamped `timestamp` (epoch ms; Java stamps the time it builds
    /// the record).
    fn record(config: &SourceConfig, line: Line, timestamp: i64) -> SourceRecord {
        // `{"position": N}`, held as the number (no map per record); null for standard input.
        let offset = match config.file {
            Some(_) => SourceOffset::int(
                POSITION_FIELD,
                i64::try_from(line.next_position).unwrap_or(i64::MAX),
            ),
            None => {
                let mut offset = OffsetMap::new();
                offset.insert(POSITION_FIELD.to_string(), Json::Null);
                SourceOffset::Map(offset)
            }
        };
        let mut record = ConnectRecord::source(
            config.partition.clone(),
            offset,
            config.topic.clone(),
            Some(schemas::string()),
            Value::String(line.text),
        );
        record.timestamp = Some(timestamp);
        record
    }
}

/// The source partition of a file: `{"filename": <file>}` (null for standard input).
fn partition(file: Option<&str>) -> OffsetMap {
    let mut p = OffsetMap::new();
    p.insert(
        FILENAME_FIELD.to_string(),
        file.map_or(Json::Null, |f| Json::String(f.to_string())),
    );
    p
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait]
impl SourceTask for FileStreamSourceTask {
    async fn start(&mut self, context: SourceTaskContext) -> ConnectResult<()> {
        self.config = Some(SourceConfig::parse(&context.config)?);
        self.context = Some(context);
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        if self.input.is_none() && !self.open().await? {
            tokio::time::sleep(OPEN_RETRY).await;
            return Ok(Vec::new());
        }
        let Self {
            config,
            input,
            lines,
            chunk,
            ..
        } = self;
        let config = config
            .as_ref()
            .ok_or(FileStreamError::NotStarted("FileStreamSourceTask"))?;
        let input = input
            .as_mut()
            .ok_or(FileStreamError::NotStarted("FileStreamSourceTask"))?;
        let read_error = |source| FileStreamError::Read {
            what: describe(config.file.as_deref(), "stdin"),
            source,
        };
        let deadline = tokio::time::Instant::now() + MAX_IDLE;
        let mut records = Vec::new();
        let mut taken = 0;
        loop {
            if Self::take_lines(config, lines, &mut records)? || taken >= MAX_POLL_BYTES {
                return Ok(records);
            }
            // Await only while holding no record: a dropped poll then loses nothing.
            let read = match input {
                Input::File(reader) => match reader.try_next().map_err(read_error)? {
                    Next::Data(data) => Read::Data(data),
                    Next::Empty if !records.is_empty() => Read::Nothing,
                    Next::Empty => match tokio::time::timeout_at(deadline, reader.next()).await {
                        Err(_elapsed) => Read::Nothing,
                        Ok(data) => Read::Data(data.map_err(read_error)?),
                    },
                },
                Input::Stdin(stdin) => {
                    if !records.is_empty() {
                        return Ok(records);
                    }
                    match tokio::time::timeout_at(deadline, stdin.read(chunk)).await {
                        Err(_elapsed) => Read::Nothing,
                        Ok(read) => match read.map_err(read_error)? {
                            0 => {
                                // End of standard input: look again later.
                                let wait = reader::MAX_IDLE_CHECK;
                                let until = tokio::time::Instant::now() + wait;
                                tokio::time::sleep_until(deadline.min(until)).await;
                                Read::Nothing
                            }
                            n => Read::Data(chunk[..n].to_vec()),
                        },
                    }
                }
            };
            match read {
                Read::Data(data) => {
                    taken += data.len();
                    lines.extend(&data);
                }
                Read::Nothing => return Ok(records),
            }
        }
    }

    /// Closes the input: the reading thread ends at once (see [`reader`]).
    /// Java's task does not override `commitRecord`.
    fn commits_records(&self) -> bool {
        false
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        tracing::trace!("Stopping FileStreamSourceTask.");
        self.input = None;
        Ok(())
    }
}

impl std::fmt::Debug for FileStreamSourceTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStreamSourceTask")
            .field("config", &self.config)
            .field("position", &self.lines.position())
            .field(
                "reading",
                &matches!(&self.input, Some(Input::File(r)) if !r.is_finished()),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests;
