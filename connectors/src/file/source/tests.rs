use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

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
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
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
        .filter_map(|r| r.source_offset()?.get(POSITION_FIELD)?.as_u64())
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
    assert_eq!(r.topic, "lines");
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
        .and_then(|r| r.source_offset().cloned())
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
