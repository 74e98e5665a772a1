//! What is known about one failed operation (Java's `ProcessingContext`): the record being
//! processed (the raw consumed record of a sink, or the source record before transformation),
//! the stage and class that were executing, and the error.

use std::sync::Arc;

use sluice_api::{ConnectError, SourceRecord, TimestampType};

use crate::runtime::Stage;

/// A record as consumed from Kafka, with its raw bytes (Java's `ConsumerRecord<byte[],
/// byte[]>`). Dead-letter queue records are written from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Key bytes (`None`: null key).
    pub key: Option<Vec<u8>>,
    /// Value bytes (`None`: tombstone).
    pub value: Option<Vec<u8>>,
    /// Headers in order.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Timestamp in epoch ms (`None`: no timestamp).
    pub timestamp: Option<i64>,
    /// Timestamp type.
    pub timestamp_type: TimestampType,
}

impl ConsumedRecord {
    /// `<topic> partition <p> offset <o>`, used in task traces.
    pub fn whereabouts(&self) -> String {
        format!(
            "topic {} partition {} offset {}",
            self.topic, self.partition, self.offset
        )
    }
}

/// Java's `TimestampType.toString()` (`CreateTime`, …).
pub fn timestamp_type_name(t: TimestampType) -> &'static str {
    match t {
        TimestampType::NoTimestampType => "NoTimestampType",
        TimestampType::CreateTime => "CreateTime",
        TimestampType::LogAppendTime => "LogAppendTime",
    }
}

/// The record an error concerns.
#[derive(Debug, Clone)]
pub enum OriginalRecord {
    /// A sink's consumed record.
    Consumed(Arc<ConsumedRecord>),
    /// A source task's record, before transformation.
    Source(Box<SourceRecord>),
}

/// One failed operation, as handed to the error reporters.
#[derive(Debug, Clone)]
pub struct ProcessingContext {
    /// The record being processed.
    pub record: OriginalRecord,
    /// The stage that failed.
    pub stage: Stage,
    /// The Java class name that was executing (converter, transformation, task class).
    pub executing_class: String,
    /// The error (`None` for a failure without an exception).
    pub error: Option<ConnectError>,
    /// How many attempts were made.
    pub attempts: u32,
}

impl ProcessingContext {
    /// A failure of `stage` on `record`.
    pub fn new(
        record: OriginalRecord,
        stage: Stage,
        executing_class: impl Into<String>,
        error: Option<ConnectError>,
    ) -> Self {
        ProcessingContext {
            record,
            stage,
            executing_class: executing_class.into(),
            error,
            attempts: 1,
        }
    }

    /// The consumed record, for sinks.
    pub fn consumed(&self) -> Option<&ConsumedRecord> {
        match &self.record {
            OriginalRecord::Consumed(c) => Some(c),
            OriginalRecord::Source(_) => None,
        }
    }

    /// Where the record is, for task traces and logs.
    pub fn whereabouts(&self) -> String {
        match &self.record {
            OriginalRecord::Consumed(c) => c.whereabouts(),
            OriginalRecord::Source(r) => match r.source_partition() {
                Some(p) => format!(
                    "topic {}, source partition {}",
                    r.topic_name(),
                    serde_json::Value::Object(p.clone())
                ),
                None => format!("topic {}", r.topic_name()),
            },
        }
    }
}

/// The text Java puts in `__connect.errors.exception.stacktrace` and status traces for an
/// error: the exception line, then where it was raised.
pub fn stack_trace(error: &ConnectError, stage: Stage, executing_class: &str) -> String {
    format!(
        "{}: {}\n\tat {executing_class} ({stage})\n",
        error.java_class(),
        error
    )
}
