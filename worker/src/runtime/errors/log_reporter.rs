//! `errors.log.enable`: one ERROR line per failed operation, worded as Java's `LogReporter`:
//!
//! `Error encountered in task <connector>-<task> while performing <STAGE> operation with class
//! '<class>'[, with record = <source record>| , msg.topic='t', msg.partition=p,
//! msg.offset=o, msg.timestamp=ts, msg.timestampType=CreateTime].`
//!
//! The record details are only written with `errors.log.include.messages=true`. The error
//! itself follows, as Java logs the exception with the line.

use sluice_api::values::java_to_string;
use sluice_api::SourceRecord;
use tracing::error;

use super::context::{timestamp_type_name, OriginalRecord, ProcessingContext};
use crate::model::ConnectorTaskId;

/// Logs failures of one task.
#[derive(Debug, Clone)]
pub struct LogReporter {
    id: ConnectorTaskId,
    include_messages: bool,
}

/// Java's `SourceRecord.toString()` (schemas left out).
fn source_record_string(r: &SourceRecord) -> String {
    fn json(map: Option<&impl serde::Serialize>) -> String {
        map.and_then(|m| serde_json::to_string(m).ok())
            .unwrap_or_else(|| "null".to_string())
    }
    format!(
        "SourceRecord{{sourcePartition={}, sourceOffset={}}} ConnectRecord{{topic='{}', kafkaPartition={}, key={}, value={}, timestamp={}}}",
        json(r.source_partition()),
        json(r.source_offset()),
        r.topic.as_deref().unwrap_or("null"),
        r.kafka_partition.map_or("null".to_string(), |p| p.to_string()),
        java_to_string(&r.key),
        java_to_string(&r.value),
        r.timestamp.map_or("null".to_string(), |t| t.to_string()),
    )
}

impl LogReporter {
    /// A reporter for task `id`; `include_messages` is `errors.log.include.messages`.
    pub fn new(id: ConnectorTaskId, include_messages: bool) -> Self {
        LogReporter {
            id,
            include_messages,
        }
    }

    /// The line Java logs for `ctx`.
    pub fn message(&self, ctx: &ProcessingContext) -> String {
        let mut line = format!(
            "Error encountered in task {}-{} while performing {} operation with class 'class {}'",
            self.id.connector, self.id.task, ctx.stage, ctx.executing_class
        );
        if self.include_messages {
            match &ctx.record {
                OriginalRecord::Source(r) => {
                    line.push_str(", with record = ");
                    line.push_str(&source_record_string(r));
                }
                OriginalRecord::Consumed(m) => {
                    line.push_str(&format!(
                        ", msg.topic='{}', msg.partition={}, msg.offset={}, msg.timestamp={}, msg.timestampType={}",
                        m.topic,
                        m.partition,
                        m.offset,
                        m.timestamp.unwrap_or(-1),
                        timestamp_type_name(m.timestamp_type)
                    ));
                }
            }
        }
        line.push('.');
        line
    }

    /// Logs the failure at ERROR, with the error.
    pub fn report(&self, ctx: &ProcessingContext) {
        let line = self.message(ctx);
        match &ctx.error {
            Some(e) => error!(
                connector = %self.id.connector,
                task = self.id.task,
                error = %format!("{}: {}", e.java_class(), e),
                "{line}"
            ),
            None => error!(connector = %self.id.connector, task = self.id.task, "{line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sluice_api::{schemas, ConnectError, ConnectRecord, OffsetMap, TimestampType, Value};

    use super::*;
    use crate::runtime::errors::context::ConsumedRecord;
    use crate::runtime::Stage;

    fn id() -> ConnectorTaskId {
        ConnectorTaskId {
            connector: "my-sink".into(),
            task: 2,
        }
    }

    fn consumed() -> ProcessingContext {
        ProcessingContext::new(
            OriginalRecord::Consumed(Arc::new(ConsumedRecord {
                topic: "orders".into(),
                partition: 1,
                offset: 42,
                key: None,
                value: Some(b"{oops".to_vec()),
                headers: Vec::new(),
                timestamp: Some(1_700_000_000_000),
                timestamp_type: TimestampType::CreateTime,
            })),
            Stage::ValueConverter,
            "org.apache.kafka.connect.json.JsonConverter",
            Some(ConnectError::data(
                "Converting byte[] to Kafka Connect data failed",
            )),
        )
    }

    #[test]
    fn lines_are_worded_as_java_log_reporter() {
        let quiet = LogReporter::new(id(), false);
        assert_eq!(
            quiet.message(&consumed()),
            "Error encountered in task my-sink-2 while performing VALUE_CONVERTER operation with \
             class 'class org.apache.kafka.connect.json.JsonConverter'."
        );
        let verbose = LogReporter::new(id(), true);
        assert_eq!(
            verbose.message(&consumed()),
            "Error encountered in task my-sink-2 while performing VALUE_CONVERTER operation with \
             class 'class org.apache.kafka.connect.json.JsonConverter', msg.topic='orders', \
             msg.partition=1, msg.offset=42, msg.timestamp=1700000000000, \
             msg.timestampType=CreateTime."
        );
    }

    #[test]
    fn source_records_are_printed_with_their_offsets() {
        let mut partition = OffsetMap::new();
        partition.insert("file".into(), "a.txt".into());
        let mut offset = OffsetMap::new();
        offset.insert("position".into(), 7.into());
        let record = ConnectRecord::source(
            partition,
            offset,
            "lines",
            Some(schemas::string()),
            Value::String("hello".into()),
        );
        let ctx = ProcessingContext::new(
            OriginalRecord::Source(Box::new(record)),
            Stage::Transformation,
            "org.apache.kafka.connect.transforms.Cast$Value",
            None,
        );
        let line = LogReporter::new(id(), true).message(&ctx);
        assert_eq!(
            line,
            "Error encountered in task my-sink-2 while performing TRANSFORMATION operation with \
             class 'class org.apache.kafka.connect.transforms.Cast$Value', with record = \
             SourceRecord{sourcePartition={\"file\":\"a.txt\"}, sourceOffset={\"position\":7}} \
             ConnectRecord{topic='lines', kafkaPartition=null, key=null, value=hello, \
             timestamp=null}."
        );
    }
}
