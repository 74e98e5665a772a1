//! A fake worker side for task tests: a `SinkTaskContext` that records pauses and a reporter
//! that records dead-letter reports.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use sluice_api::connector::sink_record;
use sluice_api::{
    ConnectError, ConnectResult, ErrantRecordReporter, Props, SinkRecord, SinkTask,
    SinkTaskContext, TopicPartition, Value,
};

use crate::elasticsearch::ElasticsearchSinkTask;

/// What the reporter received: record description and error message.
pub type Reports = Arc<Mutex<Vec<(String, String)>>>;

/// The Java exception class of each report, in order.
pub type ReportClasses = Arc<Mutex<Vec<&'static str>>>;

/// A DLQ reporter; `tolerate=false` behaves like `errors.tolerance=none`.
pub struct Reporter {
    pub reports: Reports,
    pub classes: ReportClasses,
    pub tolerate: bool,
}

#[async_trait]
impl ErrantRecordReporter for Reporter {
    async fn report(&self, record: &SinkRecord, error: ConnectError) -> ConnectResult<()> {
        self.classes.lock().unwrap().push(error.java_class());
        self.reports.lock().unwrap().push((
            format!(
                "{}-{}-{}",
                record.topic_name(),
                record.kafka_partition.unwrap_or(-1),
                record.kafka_offset().unwrap_or(-1)
            ),
            error.to_string(),
        ));
        if self.tolerate {
            Ok(())
        } else {
            Err(ConnectError::connect("Tolerance exceeded in error handler"))
        }
    }
}

/// The context given to the task.
pub struct Context {
    pub config: Props,
    pub assignment: Vec<TopicPartition>,
    pub paused: Mutex<Vec<TopicPartition>>,
    pub reporter: Option<Arc<Reporter>>,
}

impl SinkTaskContext for Context {
    fn config(&self) -> &Props {
        &self.config
    }
    fn assignment(&self) -> Vec<TopicPartition> {
        self.assignment.clone()
    }
    fn pause(&self, partitions: &[TopicPartition]) {
        self.paused.lock().unwrap().extend_from_slice(partitions);
    }
    fn resume(&self, partitions: &[TopicPartition]) {
        self.paused
            .lock()
            .unwrap()
            .retain(|p| !partitions.contains(p));
    }
    fn request_commit(&self) {}
    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        self.reporter
            .clone()
            .map(|r| r as Arc<dyn ErrantRecordReporter>)
    }
}

/// Props for a test server URL with short retries.
pub fn props(url: &str, pairs: &[(&str, &str)]) -> Props {
    let mut p: Props = [
        ("name", "es-test"),
        ("topics", "position"),
        ("connection.url", url),
        ("retry.backoff.ms", "1"),
        ("linger.ms", "5"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in pairs {
        p.insert(k.to_string(), v.to_string());
    }
    p
}

/// A started task with its context.
pub struct Harness {
    pub task: ElasticsearchSinkTask,
    pub reports: Reports,
    pub classes: ReportClasses,
}

/// Starts a task; `reporter`: `None` for no DLQ, `Some(tolerate)` for one.
pub async fn start(
    config: Props,
    assignment: &[(&str, i32)],
    reporter: Option<bool>,
) -> ConnectResult<Harness> {
    let reports: Reports = Arc::default();
    let classes: ReportClasses = Arc::default();
    let context = Arc::new(Context {
        config,
        assignment: assignment
            .iter()
            .map(|(t, p)| TopicPartition::new(*t, *p))
            .collect(),
        paused: Mutex::new(Vec::new()),
        reporter: reporter.map(|tolerate| {
            Arc::new(Reporter {
                reports: reports.clone(),
                classes: classes.clone(),
                tolerate,
            })
        }),
    });
    let mut task = ElasticsearchSinkTask::new();
    task.start(context).await?;
    Ok(Harness {
        task,
        reports,
        classes,
    })
}

/// A courier position record as JsonConverter (schemas disabled) produces it.
pub fn position(topic: &str, partition: i32, offset: i64, courier: i64) -> SinkRecord {
    let mut r = sink_record(topic, partition, offset);
    r.key = Value::from(format!("courier-{courier}"));
    r.value = Value::string_map([
        ("courier", Value::Int64(courier)),
        ("latitude", Value::Float64(52.0 + offset as f64 / 1e4)),
        ("longitude", Value::Float64(13.0 + offset as f64 / 1e4)),
    ]);
    r.timestamp = Some(1_700_000_000_000 + offset);
    r
}

/// Offsets delivered so far: the next offset per partition.
pub fn delivered(records: &[SinkRecord]) -> HashMap<TopicPartition, i64> {
    let mut m = HashMap::new();
    for r in records {
        let tp = TopicPartition::new(r.topic_name(), r.kafka_partition.unwrap_or(0));
        let next = r.kafka_offset().unwrap_or(0) + 1;
        let e = m.entry(tp).or_insert(next);
        *e = (*e).max(next);
    }
    m
}

/// Calls `pre_commit` until it returns `expected` or 10 s pass; returns the last answer.
pub async fn commit_until(
    task: &mut ElasticsearchSinkTask,
    delivered: &HashMap<TopicPartition, i64>,
    expected: &HashMap<TopicPartition, i64>,
) -> HashMap<TopicPartition, i64> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = task.pre_commit(delivered).await.unwrap_or_default();
        if &got == expected || tokio::time::Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
