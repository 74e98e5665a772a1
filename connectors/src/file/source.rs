//! `FileStreamSourceConnector` and its task.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value as Json;
use sluice_api::{
    schemas, ConfigDef, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Connector,
    ConnectorContext, Importance, OffsetMap, Props, SourceConnector, SourceRecord, SourceTask,
    SourceTaskContext, Validator, Value, SLUICE_VERSION,
};
use tokio::io::AsyncReadExt;

use super::lines::{Line, LineBuffer};
use super::{
    config_error, describe, FileStreamError, BATCH_SIZE_CONFIG, DEFAULT_BATCH_SIZE, FILENAME_FIELD,
    FILE_CONFIG, POSITION_FIELD, TOPIC_CONFIG,
};

/// How soon a task that just read data looks again at the end of its input; each empty look
/// doubles the wait up to [`MAX_IDLE_CHECK`], so a busy file is followed closely and an idle one
/// costs a few wake-ups a second (a hundred idle connectors used to cost 10,000 a second).
const IDLE_CHECK: Duration = Duration::from_millis(10);
/// The longest wait between two looks at an idle input (Java's task waits a whole second).
const MAX_IDLE_CHECK: Duration = Duration::from_millis(200);
/// How long one `poll` waits for data before returning an empty batch.
const MAX_IDLE: Duration = Duration::from_millis(250);
/// How long to wait before trying again to open a file that cannot be opened.
const OPEN_RETRY: Duration = Duration::from_millis(100);
/// Bytes read from the input at a time.
const READ_CHUNK: usize = 64 * 1024;

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
}

/// The source settings, parsed once.
#[derive(Debug, Clone, PartialEq)]
struct SourceConfig {
    /// `None` reads standard input.
    file: Option<String>,
    topic: String,
    batch_size: usize,
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
        Ok(SourceConfig {
            file,
            topic,
            batch_size,
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
}

/// Where the task reads from.
enum Input {
    /// A regular file. Reads of a local file return at once (at the end of the file they
    /// return 0), so they are done synchronously: `poll` then has no await point while it
    /// holds lines it has not returned, which keeps it cancel-safe.
    File(std::fs::File),
    /// Standard input, read asynchronously (a read may wait for input indefinitely).
    Stdin(tokio::io::Stdin),
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
    /// The wait before the next look at the end of the input (see [`IDLE_CHECK`]).
    idle_check: Duration,
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
            self.lines = LineBuffer::at(0);
            return Ok(true);
        };
        let mut file = match std::fs::File::open(&path) {
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
        if position > 0 {
            file.seek(SeekFrom::Start(position))
                .map_err(|source| FileStreamError::Seek {
                    path: path.clone(),
                    position,
                    source,
                })?;
            tracing::debug!(file = %path, position, "Resumed at the committed position.");
        }
        tracing::debug!(file = %path, "Opened file for reading.");
        self.lines = LineBuffer::at(position);
        self.input = Some(Input::File(file));
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

    fn record(config: &SourceConfig, line: Line) -> SourceRecord {
        let position = match config.file {
            Some(_) => Json::from(line.next_position),
            None => Json::Null,
        };
        let mut offset = OffsetMap::new();
        offset.insert(POSITION_FIELD.to_string(), position);
        let mut record = ConnectRecord::source(
            partition(config.file.as_deref()),
            offset,
            config.topic.clone(),
            Some(schemas::string()),
            Value::String(line.text),
        );
        record.timestamp = Some(now_millis());
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
        self.chunk = vec![0; READ_CHUNK];
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
            idle_check,
            ..
        } = self;
        let config = config
            .as_ref()
            .ok_or(FileStreamError::NotStarted("FileStreamSourceTask"))?;
        let input = input
            .as_mut()
            .ok_or(FileStreamError::NotStarted("FileStreamSourceTask"))?;
        let what = describe(config.file.as_deref(), "stdin");
        let read_error = |source| FileStreamError::Read {
            what: what.clone(),
            source,
        };
        let deadline = Instant::now() + MAX_IDLE;
        let mut records = Vec::new();
        loop {
            while records.len() < config.batch_size {
                match lines.next_line() {
                    Some(line) => records.push(Self::record(config, line)),
                    None => break,
                }
            }
            if records.len() >= config.batch_size {
                return Ok(records);
            }
            let n = match input {
                Input::File(f) => f.read(chunk).map_err(read_error)?,
                Input::Stdin(stdin) => {
                    // Never hold lines across an await: return what we have first.
                    if !records.is_empty() {
                        return Ok(records);
                    }
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(remaining, stdin.read(chunk)).await {
                        Err(_elapsed) => return Ok(records),
                        Ok(read) => read.map_err(read_error)?,
                    }
                }
            };
            if n > 0 {
                lines.extend(&chunk[..n]);
                *idle_check = IDLE_CHECK;
                continue;
            }
            if !records.is_empty() || Instant::now() >= deadline {
                return Ok(records);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let wait = (*idle_check).max(IDLE_CHECK);
            tokio::time::sleep(wait.min(remaining)).await;
            *idle_check = (wait * 2).min(MAX_IDLE_CHECK);
        }
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
            .finish()
    }
}

#[cfg(test)]
mod tests;
