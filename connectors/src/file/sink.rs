//! `FileStreamSinkConnector` and its task.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::sync::Arc;

use async_trait::async_trait;
use sluice_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectResult, Connector, ConnectorContext, Importance,
    Props, SinkConnector, SinkRecord, SinkTask, SinkTaskContext, TopicPartition, SLUICE_VERSION,
};

use super::java_string::write_java;
use super::{config_error, describe, FileStreamError, FILE_CONFIG};

/// Bytes buffered before a write to the file: Java's `PrintStream` buffers 8 KiB (8,192
/// chars), and an idle sink should not hold more (a worker may run a thousand of them).
const WRITE_BUFFER: usize = 8 * 1024;

/// The sink connector's keys (the framework adds `topics`/`topics.regex`).
pub fn sink_config_def() -> ConfigDef {
    ConfigDef::new().define(
        ConfigKey::new(
            FILE_CONFIG,
            ConfigType::String,
            Importance::High,
            "Destination filename. If not specified, the standard output will be used",
        )
        .default_null(),
    )
}

/// The configured file; `None` writes to standard output.
fn parse_file(props: &Props) -> ConnectResult<Option<String>> {
    let parsed = sink_config_def().parse(props).map_err(config_error)?;
    Ok(parsed
        .get_string(FILE_CONFIG)
        .filter(|f| !f.is_empty())
        .map(str::to_string))
}

/// `org.apache.kafka.connect.file.FileStreamSinkConnector`: appends record values to a file.
#[derive(Debug, Default)]
pub struct FileStreamSinkConnector {
    props: Props,
}

impl Connector for FileStreamSinkConnector {
    fn version(&self) -> String {
        SLUICE_VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        sink_config_def()
    }

    fn start(&mut self, props: &Props, _context: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
        parse_file(props)?;
        self.props = props.clone();
        Ok(())
    }

    /// `max_tasks` identical task configs.
    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.props.clone(); max_tasks])
    }

    fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

impl SinkConnector for FileStreamSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(FileStreamSinkTask::default())
    }

    /// As Java's: the sink keeps no offsets of its own and takes any.
    fn alter_offsets(
        &self,
        _props: &Props,
        _offsets: &[(TopicPartition, Option<i64>)],
    ) -> ConnectResult<bool> {
        Ok(true)
    }
}

/// `FileStreamSinkTask`: writes `String.valueOf(value)` and a newline per record, buffered
/// until `flush`.
#[derive(Default)]
pub struct FileStreamSinkTask {
    what: String,
    out: Option<BufWriter<Box<dyn Write + Send>>>,
    line: String,
}

impl FileStreamSinkTask {
    fn write_error(&self, source: std::io::Error) -> FileStreamError {
        FileStreamError::Write {
            what: self.what.clone(),
            source,
        }
    }
}

impl std::fmt::Debug for FileStreamSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStreamSinkTask")
            .field("output", &self.what)
            .finish()
    }
}

#[async_trait]
impl SinkTask for FileStreamSinkTask {
    async fn start(&mut self, context: Arc<dyn SinkTaskContext>) -> ConnectResult<()> {
        let file = parse_file(context.config())?;
        self.what = describe(file.as_deref(), "stdout");
        let out: Box<dyn Write + Send> = match &file {
            None => Box::new(std::io::stdout()),
            Some(path) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| FileStreamError::OpenSink {
                        path: path.clone(),
                        source,
                    })?,
            ),
        };
        self.out = Some(BufWriter::with_capacity(WRITE_BUFFER, out));
        tracing::debug!(output = %self.what, "Opened FileStreamSinkTask output.");
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        let Some(out) = self.out.as_mut() else {
            return Err(FileStreamError::NotStarted("FileStreamSinkTask").into());
        };
        for record in records {
            self.line.clear();
            // Writing to a String cannot fail.
            let _ = write_java(&mut self.line, &record.value);
            self.line.push('\n');
            if let Err(e) = out.write_all(self.line.as_bytes()) {
                return Err(self.write_error(e).into());
            }
        }
        tracing::trace!(records = records.len(), output = %self.what, "Wrote records.");
        Ok(())
    }

    async fn flush(&mut self, _offsets: &HashMap<TopicPartition, i64>) -> ConnectResult<()> {
        let Some(out) = self.out.as_mut() else {
            return Err(FileStreamError::NotStarted("FileStreamSinkTask").into());
        };
        if let Err(e) = out.flush() {
            return Err(self.write_error(e).into());
        }
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(mut out) = self.out.take() {
            if let Err(e) = out.flush() {
                return Err(self.write_error(e).into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sluice_api::connector::sink_record;
    use sluice_api::{ConnectError, ErrantRecordReporter, Value};

    use super::*;

    struct Ctx(Props);
    impl SinkTaskContext for Ctx {
        fn config(&self) -> &Props {
            &self.0
        }
        fn assignment(&self) -> Vec<TopicPartition> {
            Vec::new()
        }
        fn pause(&self, _partitions: &[TopicPartition]) {}
        fn resume(&self, _partitions: &[TopicPartition]) {}
        fn request_commit(&self) {}
        fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
            None
        }
    }

    fn record(offset: i64, value: Value) -> SinkRecord {
        SinkRecord {
            value,
            ..sink_record("t", 0, offset)
        }
    }

    fn ctx(file: &std::path::Path) -> Arc<dyn SinkTaskContext> {
        let props = [("file".to_string(), file.to_string_lossy().to_string())]
            .into_iter()
            .collect();
        Arc::new(Ctx(props))
    }

    #[tokio::test]
    async fn writes_one_java_string_line_per_record_on_flush() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "existing\n").expect("seed");
        let mut task = FileStreamSinkTask::default();
        task.start(ctx(&path)).await.expect("start");
        task.put(&[
            record(0, Value::from("line one")),
            record(1, Value::Null),
            record(2, Value::Int32(7)),
            record(3, Value::Float64(2.5)),
            record(
                4,
                Value::Array(vec![Value::Boolean(true), Value::Float64(1e7)]),
            ),
            record(
                5,
                Value::string_map([("b", Value::Int64(1)), ("a", Value::from("x"))]),
            ),
        ])
        .await
        .expect("put");
        task.flush(&HashMap::new()).await.expect("flush");
        let written = std::fs::read_to_string(&path).expect("read back");
        assert_eq!(
            written, "existing\nline one\nnull\n7\n2.5\n[true, 1.0E7]\n{a=x, b=1}\n",
            "appends, one Java toString line per record"
        );
        task.put(&[record(6, Value::from("after"))])
            .await
            .expect("put");
        task.stop().await.expect("stop flushes");
        let written = std::fs::read_to_string(&path).expect("read back");
        assert!(written.ends_with("{a=x, b=1}\nafter\n"), "{written}");
    }

    #[tokio::test]
    async fn an_unwritable_file_fails_start_with_javas_message() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("no-such-dir").join("out.txt");
        let mut task = FileStreamSinkTask::default();
        let err: ConnectError = task.start(ctx(&path)).await.expect_err("must fail");
        assert!(
            err.to_string()
                .starts_with("Couldn't find or create file '"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn put_before_start_is_an_error_not_a_panic() {
        let mut task = FileStreamSinkTask::default();
        assert!(task.put(&[record(0, Value::from("x"))]).await.is_err());
    }

    #[test]
    fn connector_makes_max_tasks_identical_configs() {
        struct NoContext;
        impl ConnectorContext for NoContext {
            fn request_task_reconfiguration(&self) {}
            fn raise_error(&self, _error: ConnectError) {}
        }
        let mut connector = FileStreamSinkConnector::default();
        let props: Props = [("file", "out.txt"), ("topics", "t")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        connector.start(&props, Arc::new(NoContext)).expect("start");
        assert_eq!(connector.task_configs(3).expect("configs"), vec![props; 3]);
    }
}
