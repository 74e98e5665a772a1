use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use sluice_api::{OffsetStorageReader, Type};

use super::*;
use sluice_api::ConnectError;

/// An offset store holding fixed offsets, recording what was asked.
#[derive(Default)]
struct FixedOffsets {
    offsets: HashMap<String, OffsetMap>,
    asked: Mutex<Vec<OffsetMap>>,
}

#[async_trait]
impl OffsetStorageReader for FixedOffsets {
    async fn offset(&self, partition: &OffsetMap) -> ConnectResult<Option<OffsetMap>> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push(partition.clone());
        }
        let key = serde_json::to_string(partition).unwrap_or_default();
        Ok(self.offsets.get(&key).cloned())
    }
}

fn props(pairs: &[(&str, &str)]) -> Props {
    sluice_api::config::props_of(pairs)
}

async fn started(
    file: &str,
    extra: &[(&str, &str)],
    reader: Arc<FixedOffsets>,
) -> FileStreamSourceTask {
    let mut config = props(&[("file", file), ("topic", "lines")]);
    config.extend(props(extra));
    let mut task = FileStreamSourceTask::default();
    task.start(SourceTaskContext {
        offset_reader: reader,
        config,
    })
    .await
    .expect("task starts");
    task
}

fn texts(records: &[SourceRecord]) -> Vec<&str> {
    records.iter().filter_map(|r| r.value.as_str()).collect()
}

fn positions(records: &[SourceRecord]) -> Vec<u64> {
    records
        .iter()
        .filter_map(|r| r.source_offset()?.to_map().get(POSITION_FIELD)?.as_u64())
        .collect()
}

fn append(path: &std::path::Path, data: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(data).expect("append");
}

#[tokio::test]
async fn reads_lines_with_java_partition_offset_and_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.txt");
    append(&path, b"one\ntwo\r\nthree\n");
    let file = path.to_string_lossy().to_string();
    let mut task = started(&file, &[], Arc::default()).await;
    let records = task.poll().await.expect("poll");
    assert_eq!(texts(&records), vec!["one", "two", "three"]);
    assert_eq!(positions(&records), vec![4, 9, 15]);
    let r = &records[0];
    assert_eq!(r.topic_name(), "lines");
    assert_eq!(r.kafka_partition, None);
    assert!(r.key.is_null() && r.key_schema.is_none());
    let schema = r.value_schema.as_ref().expect("a value schema");
    assert_eq!(schema.schema_type, Type::String);
    assert!(!schema.optional, "Java uses Schema.STRING_SCHEMA");
    assert!(r.timestamp.is_some());
    assert_eq!(
        serde_json::to_string(r.source_partition().expect("partition")).ok(),
        Some(format!("{{\"filename\":{}}}", Json::from(file.as_str())))
    );
    assert_eq!(
        serde_json::to_string(r.source_offset().expect("offset")).ok(),
        Some("{\"position\":4}".to_string())
    );
}

#[tokio::test]
async fn partial_last_line_waits_for_its_newline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.txt");
    append(&path, b"done\npart");
    let mut task = started(&path.to_string_lossy(), &[], Arc::default()).await;
    let records = task.poll().await.expect("poll");
    assert_eq!(texts(&records), vec!["done"]);
    assert!(
        task.poll().await.expect("poll").is_empty(),
        "fragment emitted early"
    );
    append(&path, b"ial\nnext\n");
    let records = task.poll().await.expect("poll");
    assert_eq!(texts(&records), vec!["partial", "next"]);
    assert_eq!(positions(&records), vec![13, 18]);
}

#[tokio::test]
async fn batch_size_limits_each_poll() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.txt");
    let data: String = (0..7).map(|i| format!("l{i}\n")).collect();
    append(&path, data.as_bytes());
    let mut task = started(
        &path.to_string_lossy(),
        &[("batch.size", "3")],
        Arc::default(),
    )
    .await;
    let mut sizes = Vec::new();
    let mut all = Vec::new();
    for _ in 0..3 {
        let records = task.poll().await.expect("poll");
        sizes.push(records.len());
        all.extend(texts(&records).into_iter().map(str::to_string));
    }
    assert_eq!(sizes, vec![3, 3, 1]);
    assert_eq!(all, (0..7).map(|i| format!("l{i}")).collect::<Vec<_>>());
}

#[tokio::test]
async fn resumes_from_the_committed_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.txt");
    append(&path, b"old1\nold2\nnew1\nnew2\n");
    let file = path.to_string_lossy().to_string();
    let mut offsets = FixedOffsets::default();
    let key = serde_json::to_string(&partition(Some(&file))).expect("json");
    let mut committed = OffsetMap::new();
    committed.insert(POSITION_FIELD.into(), Json::from(10u64));
    offsets.offsets.insert(key, committed);
    let reader = Arc::new(offsets);
    let mut task = started(&file, &[], reader.clone()).await;
    let records = task.poll().await.expect("poll");
    assert_eq!(texts(&records), vec!["new1", "new2"]);
    assert_eq!(positions(&records), vec![15, 20]);
    let asked = reader.asked.lock().map(|a| a.clone()).unwrap_or_default();
    assert_eq!(asked, vec![partition(Some(&file))]);
}

#[tokio::test]
async fn a_position_that_is_not_a_number_fails_the_task() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.txt");
    append(&path, b"x\n");
    let file = path.to_string_lossy().to_string();
    let mut offsets = FixedOffsets::default();
    let key = serde_json::to_string(&partition(Some(&file))).expect("json");
    let mut committed = OffsetMap::new();
    committed.insert(POSITION_FIELD.into(), Json::from("ten"));
    offsets.offsets.insert(key, committed);
    let mut task = started(&file, &[], Arc::new(offsets)).await;
    let err = task.poll().await.expect_err("a bad offset must fail");
    assert!(
        err.to_string()
            .contains("Offset position is the incorrect type"),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_file_is_waited_for() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("later.txt");
    let mut task = started(&path.to_string_lossy(), &[], Arc::default()).await;
    assert!(task.poll().await.expect("poll").is_empty());
    append(&path, b"finally\n");
    let records = task.poll().await.expect("poll");
    assert_eq!(texts(&records), vec!["finally"]);
}

#[tokio::test]
async fn stop_then_restart_from_last_record_offset_loses_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.txt");
    append(&path, b"a\nb\nc\n");
    let file = path.to_string_lossy().to_string();
    let mut task = started(&file, &[("batch.size", "2")], Arc::default()).await;
    let first = task.poll().await.expect("poll");
    assert_eq!(texts(&first), vec!["a", "b"]);
    task.stop().await.expect("stop");
    // Commit the last returned offset, restart: the rest follows.
    let mut offsets = FixedOffsets::default();
    let last = first
        .last()
        .and_then(|r| r.source_offset().map(SourceOffset::to_map))
        .expect("offset");
    offsets.offsets.insert(
        serde_json::to_string(&partition(Some(&file))).expect("json"),
        last,
    );
    let mut task = started(&file, &[], Arc::new(offsets)).await;
    assert_eq!(texts(&task.poll().await.expect("poll")), vec!["c"]);
}

#[test]
fn connector_makes_exactly_one_task_with_its_config() {
    struct NoContext;
    impl ConnectorContext for NoContext {
        fn request_task_reconfiguration(&self) {}
        fn raise_error(&self, _error: ConnectError) {}
    }
    let mut connector = FileStreamSourceConnector::default();
    let config = props(&[("file", "/tmp/x"), ("topic", "t"), ("tasks.max", "4")]);
    connector
        .start(&config, Arc::new(NoContext))
        .expect("start");
    assert_eq!(connector.task_configs(4).expect("configs"), vec![config]);
}

#[test]
fn missing_or_empty_topic_is_a_config_error_naming_the_key() {
    for bad in [
        props(&[("file", "x")]),
        props(&[("file", "x"), ("topic", "")]),
    ] {
        match SourceConfig::parse(&bad) {
            Err(ConnectError::Config(e)) => {
                assert_eq!(e.key.as_deref(), Some("topic"));
                assert!(e.message.contains("topic"), "{}", e.message);
            }
            other => panic!("expected a config error, got {other:?}"),
        }
    }
    let results = FileStreamSourceConnector::default().validate(&props(&[("batch.size", "x")]));
    let errors: Vec<_> = results
        .iter()
        .filter(|k| !k.errors.is_empty())
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(errors, vec!["topic", "batch.size"]);
}

#[test]
fn empty_file_means_stdin_and_batch_size_defaults_to_2000() {
    let config = SourceConfig::parse(&props(&[("file", ""), ("topic", "t")])).expect("config");
    assert_eq!(config.file, None);
    assert_eq!(config.batch_size, 2000);
}

/// Runs `scenario` on its own thread and runtime and waits at most `limit` for it, so that a
/// task blocking its runtime thread fails the test instead of hanging it.
fn within<T: Send + 'static>(
    limit: Duration,
    scenario: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(scenario());
    });
    rx.recv_timeout(limit)
        .map_err(|_| format!("the scenario did not finish within {limit:?}"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Takes the task's file reader, closes it and waits up to 2 s for its thread to end.
async fn reader_thread_ends(task: &mut FileStreamSourceTask) -> bool {
    let Some(Input::File(reader)) = task.input.take() else {
        return false;
    };
    let thread = reader.close();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while !thread.is_finished() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    thread.is_finished()
}

#[test]
fn a_line_over_the_limit_fails_the_task_after_the_lines_before_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("long.txt");
    let mut data = b"first\nsecond\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
    append(&path, &data);
    let file = path.to_string_lossy().to_string();
    let outcome = within(Duration::from_secs(20), move || {
        runtime().block_on(async move {
            let mut task =
                started(&file, &[(MAX_LINE_BYTES_CONFIG, "1048576")], Arc::default()).await;
            let mut delivered = Vec::new();
            for _ in 0..100 {
                match task.poll().await {
                    Ok(records) => {
                        delivered.extend(texts(&records).into_iter().map(str::to_string));
                    }
                    Err(e) => {
                        let pending = task.lines.pending();
                        task.stop().await.expect("stop");
                        return Ok((delivered, e.to_string(), pending));
                    }
                }
            }
            Err(format!("no error after 100 polls; delivered {delivered:?}"))
        })
    });
    let (delivered, error, pending) = outcome.and_then(|r| r).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(delivered, vec!["first", "second"]);
    assert!(
        error.contains(&format!(
            "Cannot read {}: the line starting at byte offset 13 is longer than 1048576 bytes (sluice.max.line.bytes",
            path.to_string_lossy()
        )),
        "{error}"
    );
    assert!(
        pending <= 1024 * 1024 + MAX_POLL_BYTES,
        "{pending} bytes buffered"
    );
}

#[test]
fn dev_zero_fails_quickly_with_bounded_memory_and_its_thread_ends() {
    let outcome = within(Duration::from_secs(20), || {
        runtime().block_on(async {
            let mut task = started(
                "/dev/zero",
                &[(MAX_LINE_BYTES_CONFIG, "1048576")],
                Arc::default(),
            )
            .await;
            let started_at = std::time::Instant::now();
            let mut max_pending = 0;
            let error = loop {
                let polled = task.poll().await;
                max_pending = max_pending.max(task.lines.pending());
                match polled {
                    Ok(records) if records.is_empty() => {}
                    Ok(records) => return Err(format!("{} records from /dev/zero", records.len())),
                    Err(e) => break e.to_string(),
                }
                if started_at.elapsed() > Duration::from_secs(10) {
                    return Err("no error within 10 s".to_string());
                }
            };
            let ended = reader_thread_ends(&mut task).await;
            Ok((error, max_pending, started_at.elapsed(), ended))
        })
    });
    let (error, max_pending, elapsed, ended) =
        outcome.and_then(|r| r).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        error.contains("Cannot read /dev/zero: the line starting at byte offset 0 is longer than 1048576 bytes"),
        "{error}"
    );
    assert!(
        max_pending <= 1024 * 1024 + MAX_POLL_BYTES,
        "{max_pending} bytes buffered"
    );
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(
        ended,
        "the reading thread kept running after the reader was closed"
    );
}

#[test]
fn dev_zero_task_stops_promptly_while_polling() {
    let outcome = within(Duration::from_secs(10), || {
        runtime().block_on(async {
            // The default 8 MiB limit: the task is still reading when it is stopped.
            let mut task = started("/dev/zero", &[], Arc::default()).await;
            // The worker drops a pending poll future to stop a task.
            let _ = tokio::time::timeout(Duration::from_millis(20), task.poll()).await;
            let at = std::time::Instant::now();
            let ended = reader_thread_ends(&mut task).await;
            task.stop().await.expect("stop");
            (ended, at.elapsed())
        })
    });
    let (ended, elapsed) = outcome.unwrap_or_else(|e| panic!("{e}"));
    assert!(ended, "the reading thread kept running");
    assert!(elapsed < Duration::from_secs(1), "stop took {elapsed:?}");
}

#[cfg(unix)]
#[test]
fn a_fifo_without_writer_neither_blocks_polls_nor_stop_and_is_read_once_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    let path = fifo.to_string_lossy().to_string();
    let outcome = within(Duration::from_secs(10), move || {
        runtime().block_on(async move {
            let mut task = started(&path, &[], Arc::default()).await;
            let at = std::time::Instant::now();
            let first = task.poll().await.expect("poll");
            let first_poll = at.elapsed();
            // A writer appears: its lines are read.
            let mut writer = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .expect("open the FIFO for writing");
            writer.write_all(b"a\nb\n").expect("write");
            let mut got = Vec::new();
            for _ in 0..20 {
                got.extend(
                    texts(&task.poll().await.expect("poll"))
                        .into_iter()
                        .map(str::to_string),
                );
                if got.len() >= 2 {
                    break;
                }
            }
            drop(writer);
            let _ = tokio::time::timeout(Duration::from_millis(20), task.poll()).await;
            let at = std::time::Instant::now();
            let ended = reader_thread_ends(&mut task).await;
            task.stop().await.expect("stop");
            (first.len(), first_poll, got, ended, at.elapsed())
        })
    });
    let (first, first_poll, got, ended, stop) = outcome.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first, 0);
    assert!(
        first_poll < Duration::from_secs(2),
        "first poll took {first_poll:?}"
    );
    assert_eq!(got, vec!["a", "b"]);
    assert!(ended, "the reading thread kept running");
    assert!(stop < Duration::from_secs(1), "stop took {stop:?}");
}

#[tokio::test]
async fn a_poll_dropped_while_waiting_loses_no_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.txt");
    append(&path, b"");
    let mut task = started(&path.to_string_lossy(), &[], Arc::default()).await;
    assert!(task.poll().await.expect("poll").is_empty());
    let cancelled = tokio::time::timeout(Duration::from_millis(30), task.poll()).await;
    assert!(cancelled.is_err(), "the poll should still be waiting");
    append(&path, b"one\ntwo\n");
    let mut got = Vec::new();
    for _ in 0..10 {
        // Drop some polls mid-wait again while the data arrives.
        if let Ok(polled) = tokio::time::timeout(Duration::from_millis(5), task.poll()).await {
            got.extend(
                texts(&polled.expect("poll"))
                    .into_iter()
                    .map(str::to_string),
            );
        }
    }
    for _ in 0..10 {
        got.extend(
            texts(&task.poll().await.expect("poll"))
                .into_iter()
                .map(str::to_string),
        );
        if got.len() >= 2 {
            break;
        }
    }
    assert_eq!(got, vec!["one", "two"]);
}

#[test]
fn max_line_bytes_is_a_sluice_key_with_an_8_mib_default() {
    let config = SourceConfig::parse(&props(&[("file", "x"), ("topic", "t")])).expect("config");
    assert_eq!(config.max_line, 8 * 1024 * 1024);
    let config = SourceConfig::parse(&props(&[
        ("file", "x"),
        ("topic", "t"),
        (MAX_LINE_BYTES_CONFIG, "10"),
    ]))
    .expect("config");
    assert_eq!(config.max_line, 10);
    assert!(SourceConfig::parse(&props(&[
        ("file", "x"),
        ("topic", "t"),
        (MAX_LINE_BYTES_CONFIG, "0"),
    ]))
    .is_err());
}

#[test]
fn exactly_once_only_from_a_file() {
    let c = FileStreamSourceConnector::default();
    assert_eq!(
        c.exactly_once_support(&props(&[("file", "/var/log/in.txt"), ("topic", "t")])),
        Some(ExactlyOnceSupport::Supported)
    );
    for stdin in [
        props(&[("topic", "t")]),
        props(&[("file", " "), ("topic", "t")]),
    ] {
        assert_eq!(
            c.exactly_once_support(&stdin),
            Some(ExactlyOnceSupport::Unsupported)
        );
    }
}

/// Java's `FileStreamSourceConnector.alterOffsets`: only with a file, positions that are
/// non-negative longs under `position`, partitions with `filename`; removals always.
#[test]
fn offsets_are_checked_before_they_change_as_java_checks_them() {
    let connector = FileStreamSourceConnector::default();
    let map = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
    let file = props(&[("file", "/tmp/in.txt"), ("topic", "t")]);
    let partition = map(serde_json::json!({"filename": "/tmp/in.txt"}));
    let refusal = |config: &Props, offsets: &[(OffsetMap, Option<OffsetMap>)]| match connector
        .alter_offsets(config, offsets)
    {
        Err(e) => e.to_string(),
        Ok(agreed) => panic!("accepted ({agreed})"),
    };
    assert_eq!(
        connector.alter_offsets(
            &file,
            &[
                (
                    partition.clone(),
                    Some(map(serde_json::json!({"position": 42})))
                ),
                (map(serde_json::json!({"anything": 1})), None),
            ],
        ),
        Ok(true)
    );
    assert_eq!(
        refusal(&props(&[("topic", "t")]), &[(partition.clone(), None)]),
        "Offsets cannot be modified if the 'file' configuration is unspecified. This is \
         because stdin is used for input and offsets are not tracked."
    );
    let with = |offset: serde_json::Value| [(partition.clone(), Some(map(offset)))];
    assert_eq!(
        refusal(&file, &with(serde_json::json!({"pos": 1}))),
        "Offset objects should either be null or contain the key 'position'"
    );
    for not_long in [
        serde_json::json!({"position": "1"}),
        serde_json::json!({"position": 1.0}),
    ] {
        assert_eq!(
            refusal(&file, &with(not_long)),
            "The value for the 'position' key in the offset is expected to be a Long value"
        );
    }
    assert_eq!(
        refusal(&file, &with(serde_json::json!({"position": -1}))),
        "The value for the 'position' key in the offset should be a non-negative value"
    );
    assert_eq!(
        refusal(
            &file,
            &[(
                map(serde_json::json!({"file": "x"})),
                Some(map(serde_json::json!({"position": 1})))
            )]
        ),
        "Partition objects should contain the key 'filename'"
    );
}
