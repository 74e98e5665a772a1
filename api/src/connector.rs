//! Connectors and tasks: `SourceConnector`/`SourceTask`, `SinkConnector`/`SinkTask`, and the
//! contexts the worker hands them.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{ConfigDef, Props, ValidatedKey};
use crate::error::ConnectResult;
use crate::record::{ConnectRecord, OffsetMap, SinkRecord, SourceRecord, TopicPartition};

/// What a connector can ask of the worker (`ConnectorContext`).
pub trait ConnectorContext: Send + Sync {
    /// Asks the worker to call `task_configs` again and restart tasks if they changed.
    fn request_task_reconfiguration(&self);
    /// Reports an unrecoverable error: the connector goes FAILED.
    fn raise_error(&self, error: crate::ConnectError);
}

/// Behaviour shared by source and sink connectors (`Connector`).
///
/// # Invariants
/// * `start` is called once with the full connector config, before `task_configs`.
/// * `task_configs(max_tasks)` returns at most `max_tasks` configs, one per task.
/// * `stop` is called once; the connector must release what `start` acquired.
pub trait Connector: Send {
    /// The plugin version reported by the REST API.
    fn version(&self) -> String;
    /// The connector's own keys.
    fn config_def(&self) -> ConfigDef;
    /// `Connector.validate`: one result per key. The default validates against
    /// [`Connector::config_def`]; override to add checks across keys.
    fn validate(&self, props: &Props) -> Vec<ValidatedKey> {
        self.config_def().validate(props)
    }
    /// Starts the connector.
    fn start(&mut self, props: &Props, context: Arc<dyn ConnectorContext>) -> ConnectResult<()>;
    /// Splits the work into at most `max_tasks` task configs.
    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<Props>>;
    /// Stops the connector.
    fn stop(&mut self) -> ConnectResult<()>;
}

/// Whether a source connector can deliver exactly once with a config (Java's
/// `ExactlyOnceSupport`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactlyOnceSupport {
    /// It can.
    Supported,
    /// It cannot.
    Unsupported,
}

/// Whether a source connector can define its own transaction boundaries with a config (Java's
/// `ConnectorTransactionBoundaries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorTransactionBoundaries {
    /// It can.
    Supported,
    /// It cannot.
    Unsupported,
}

/// A source connector: creates [`SourceTask`]s.
pub trait SourceConnector: Connector {
    /// A new, unstarted task instance.
    fn create_task(&self) -> Box<dyn SourceTask>;

    /// Java's `SourceConnector.exactlyOnceSupport`, asked by a distributed worker validating a
    /// config with `exactly.once.support=required`. `None` (the default, as Java's `null`):
    /// the connector does not say.
    fn exactly_once_support(&self, _props: &Props) -> Option<ExactlyOnceSupport> {
        None
    }

    /// Java's `SourceConnector.canDefineTransactionBoundaries`, asked by a distributed worker
    /// validating a config with `transaction.boundary=connector`; unsupported by default.
    fn can_define_transaction_boundaries(&self, _props: &Props) -> ConnectorTransactionBoundaries {
        ConnectorTransactionBoundaries::Unsupported
    }

    /// Java's `SourceConnector.alterOffsets`: called on a fresh, unstarted instance with the
    /// connector's config before the worker writes `offsets` (source partition, new offset or
    /// `None` to remove it) for `PATCH` or `DELETE /connectors/{c}/offsets`. An error refuses
    /// the change (its message is the answer); `Ok(true)` says the connector keeps no offsets
    /// of its own elsewhere, so the answer drops the "manually altered" caveat. The default
    /// (`Ok(false)`) accepts any offsets.
    fn alter_offsets(
        &self,
        _props: &Props,
        _offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> ConnectResult<bool> {
        Ok(false)
    }
}

/// A sink connector: creates [`SinkTask`]s.
pub trait SinkConnector: Connector {
    /// A new, unstarted task instance.
    fn create_task(&self) -> Box<dyn SinkTask>;

    /// Java's `SinkConnector.alterOffsets`: as [`SourceConnector::alter_offsets`], with the
    /// consumer group's partitions and their new offsets (`None`: the committed offset is
    /// removed; a reset passes every committed partition with `None`).
    fn alter_offsets(
        &self,
        _props: &Props,
        _offsets: &[(TopicPartition, Option<i64>)],
    ) -> ConnectResult<bool> {
        Ok(false)
    }
}

/// Read access to committed source offsets (`OffsetStorageReader`).
#[async_trait]
pub trait OffsetStorageReader: Send + Sync {
    /// The last committed offset of one source partition.
    async fn offset(&self, partition: &OffsetMap) -> ConnectResult<Option<OffsetMap>>;
}

/// What a source task gets from the worker (`SourceTaskContext`).
#[derive(Clone)]
pub struct SourceTaskContext {
    /// Committed offsets of this connector.
    pub offset_reader: Arc<dyn OffsetStorageReader>,
    /// The task's config.
    pub config: Props,
}

/// Metadata of a record the producer acknowledged (`RecordMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    /// Topic written.
    pub topic: String,
    /// Partition written.
    pub partition: i32,
    /// Offset assigned.
    pub offset: i64,
}

/// `SourceTask`.
///
/// # Invariants
/// * `poll` returns the next records, or an empty batch after waiting a little when there is
///   nothing; it must be cancel-safe: the worker may drop a pending `poll` future to stop the
///   task, and no record may be lost by that (records are only consumed when returned).
/// * The worker writes each returned record to Kafka and commits its source offset only after
///   the producer acknowledged it and every record before it.
#[async_trait]
pub trait SourceTask: Send {
    /// Starts the task with its config.
    async fn start(&mut self, context: SourceTaskContext) -> ConnectResult<()>;
    /// The next batch of records.
    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>>;
    /// Called after offsets were committed.
    async fn commit(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    /// Whether [`Self::commit_record`] does anything. A task that keeps the default
    /// (no-op) `commit_record` may return `false`: the worker then does not keep each record
    /// until Kafka acknowledged it, only its source offset, and does not call
    /// `commit_record`.
    fn commits_records(&self) -> bool {
        true
    }
    /// Called when one record was acknowledged by Kafka (`None` when it was filtered out).
    async fn commit_record(
        &mut self,
        _record: &SourceRecord,
        _metadata: Option<&RecordMetadata>,
    ) -> ConnectResult<()> {
        Ok(())
    }
    /// Stops the task.
    async fn stop(&mut self) -> ConnectResult<()>;
}

/// Reports a record the sink task could not process (`ErrantRecordReporter`): it goes to the
/// dead-letter queue and the error log per the connector's `errors.*` settings.
#[async_trait]
pub trait ErrantRecordReporter: Send + Sync {
    /// Reports the record; returns once the report is durable (or fails the task when
    /// `errors.tolerance=none`).
    async fn report(&self, record: &SinkRecord, error: crate::ConnectError) -> ConnectResult<()>;
}

/// What a sink task can ask of the worker (`SinkTaskContext`).
pub trait SinkTaskContext: Send + Sync {
    /// The task's config.
    fn config(&self) -> &Props;
    /// The partitions currently assigned.
    fn assignment(&self) -> Vec<TopicPartition>;
    /// Stops fetching from these partitions (back-pressure).
    fn pause(&self, partitions: &[TopicPartition]);
    /// Resumes fetching from these partitions.
    fn resume(&self, partitions: &[TopicPartition]);
    /// Asks for an offset commit as soon as possible.
    fn request_commit(&self);
    /// The errant record reporter, when error tolerance or a DLQ is configured.
    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>>;
}

/// `SinkTask`.
///
/// # Invariants
/// * `put` may buffer; records become durable at the latest when `pre_commit` returns.
/// * `pre_commit` receives the offsets of everything `put` so far (the next offset to read
///   per partition) and returns the offsets that are safe to commit. The default flushes and
///   returns them unchanged. The worker commits nothing a sink has not returned here.
/// * `open`/`close` bracket partition ownership across rebalances.
#[async_trait]
pub trait SinkTask: Send {
    /// Starts the task.
    async fn start(&mut self, context: Arc<dyn SinkTaskContext>) -> ConnectResult<()>;
    /// Partitions were assigned.
    async fn open(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        Ok(())
    }
    /// Delivers records (Java's `put(Collection<SinkRecord>)`: the task reads them and copies
    /// what it keeps). After a retriable error the runtime delivers the same batch again.
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()>;
    /// Makes everything put so far durable.
    async fn flush(&mut self, _offsets: &HashMap<TopicPartition, i64>) -> ConnectResult<()> {
        Ok(())
    }
    /// Returns the offsets safe to commit.
    async fn pre_commit(
        &mut self,
        offsets: &HashMap<TopicPartition, i64>,
    ) -> ConnectResult<HashMap<TopicPartition, i64>> {
        self.flush(offsets).await?;
        Ok(offsets.clone())
    }
    /// Partitions were revoked.
    async fn close(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        Ok(())
    }
    /// Stops the task.
    async fn stop(&mut self) -> ConnectResult<()>;
}

/// Convenience for records built in tests and tools.
pub fn sink_record(topic: &str, partition: i32, offset: i64) -> ConnectRecord {
    ConnectRecord {
        topic: Some(topic.to_string()),
        kafka_partition: Some(partition),
        key_schema: None,
        key: crate::Value::Null,
        value_schema: None,
        value: crate::Value::Null,
        timestamp: None,
        headers: crate::Headers::new(),
        origin: crate::Origin::Sink {
            kafka_offset: offset,
            timestamp_type: crate::TimestampType::CreateTime,
        },
    }
}
