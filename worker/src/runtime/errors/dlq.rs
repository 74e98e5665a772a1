//! The dead-letter queue of a sink task (Java's `DeadLetterQueueReporter`).
//!
//! * At task start the topic `errors.deadletterqueue.topic.name` is created when missing, with
//!   one partition and `errors.deadletterqueue.topic.replication.factor` replicas, exactly as
//!   configured (a replication factor the cluster cannot satisfy fails the task).
//! * Each failed record is written as the *original* consumed record: the same key and value
//!   bytes, headers and timestamp, the partition left to the producer.
//! * With `errors.deadletterqueue.context.headers.enable=true` the `__connect.errors.*` headers
//!   are appended (UTF-8 strings); a header already present in the record is not added twice.
//! * [`DeadLetterQueueReporter::report`] returns once the broker acknowledged the record, so
//!   offsets are only committed past records that are durable in the queue.
//! * Nothing here blocks the async runtime: the topic check runs on the blocking pool, and
//!   [`DeadLetterQueueReporter::flush`] / [`DeadLetterQueueReporter::close`] wait for the
//!   producer's in-flight records by polling its count on the tokio timer (librdkafka's
//!   `flush` would block a runtime thread for up to its timeout).

use std::time::Duration;

use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use tracing::{debug, error, warn};

use super::context::{stack_trace, ProcessingContext};
use crate::model::ConnectorTaskId;

/// The prefix of the context headers (`ConnectHeaders.HEADER_PREFIX + ".errors"`).
pub const ERROR_HEADER_PREFIX: &str = "__connect.errors.";
/// Original topic.
pub const HEADER_ORIG_TOPIC: &str = "__connect.errors.topic";
/// Original partition.
pub const HEADER_ORIG_PARTITION: &str = "__connect.errors.partition";
/// Original offset.
pub const HEADER_ORIG_OFFSET: &str = "__connect.errors.offset";
/// Connector name.
pub const HEADER_CONNECTOR_NAME: &str = "__connect.errors.connector.name";
/// Task number.
pub const HEADER_TASK_ID: &str = "__connect.errors.task.id";
/// Stage (`VALUE_CONVERTER`, …).
pub const HEADER_STAGE: &str = "__connect.errors.stage";
/// The executing class.
pub const HEADER_EXECUTING_CLASS: &str = "__connect.errors.class.name";
/// The exception class.
pub const HEADER_EXCEPTION: &str = "__connect.errors.exception.class.name";
/// The exception message.
pub const HEADER_EXCEPTION_MESSAGE: &str = "__connect.errors.exception.message";
/// The stack trace.
pub const HEADER_EXCEPTION_STACK_TRACE: &str = "__connect.errors.exception.stacktrace";

/// Partitions of a dead-letter queue topic the worker creates.
pub const DLQ_PARTITIONS: i32 = 1;

/// Dead-letter queue failures.
#[derive(Debug, thiserror::Error)]
pub enum DlqError {
    /// The topic could not be looked up or created.
    #[error("Could not initialize dead letter queue with topic={topic}: {reason}")]
    Setup {
        /// The topic.
        topic: String,
        /// Why.
        reason: String,
    },
    /// A record could not be written.
    #[error("Could not produce message to dead letter queue. topic={topic}: {reason}")]
    Produce {
        /// The topic.
        topic: String,
        /// Why.
        reason: String,
    },
}

/// The context headers Java adds for `ctx`, in Java's order, as `(key, UTF-8 value)`.
/// `existing` are the record's own header keys: a context header already among them is left
/// out (and logged), as Java does.
pub fn context_headers(
    ctx: &ProcessingContext,
    id: &ConnectorTaskId,
    existing: &[&str],
) -> Vec<(&'static str, String)> {
    let (topic, partition, offset) = match ctx.consumed() {
        Some(c) => (c.topic.clone(), c.partition, c.offset),
        None => (String::new(), -1, -1),
    };
    let mut headers = vec![
        (HEADER_ORIG_TOPIC, topic),
        (HEADER_ORIG_PARTITION, partition.to_string()),
        (HEADER_ORIG_OFFSET, offset.to_string()),
        (HEADER_CONNECTOR_NAME, id.connector.clone()),
        (HEADER_TASK_ID, id.task.to_string()),
        (HEADER_STAGE, ctx.stage.java_name().to_string()),
        (HEADER_EXECUTING_CLASS, ctx.executing_class.clone()),
    ];
    if let Some(e) = &ctx.error {
        headers.push((HEADER_EXCEPTION, e.java_class().to_string()));
        headers.push((HEADER_EXCEPTION_MESSAGE, e.to_string()));
        headers.push((
            HEADER_EXCEPTION_STACK_TRACE,
            stack_trace(e, ctx.stage, &ctx.executing_class),
        ));
    }
    headers.retain(|(k, _)| {
        let clash = existing.contains(k);
        if clash {
            error!("Header already contains the '{k}' key.");
        }
        !clash
    });
    headers
}

/// Writes failed records of one sink task to its dead-letter queue topic.
pub struct DeadLetterQueueReporter {
    id: ConnectorTaskId,
    topic: String,
    context_headers: bool,
    producer: FutureProducer,
}

impl DeadLetterQueueReporter {
    /// Creates the topic when missing (through an admin client built from `admin`), then the
    /// producer (from `producer`).
    pub async fn create(
        id: ConnectorTaskId,
        topic: String,
        replication_factor: i16,
        context_headers: bool,
        admin: &ClientConfig,
        producer: &ClientConfig,
    ) -> Result<Self, DlqError> {
        let setup = |reason: String| DlqError::Setup {
            topic: topic.clone(),
            reason,
        };
        let producer: FutureProducer = producer
            .create()
            .map_err(|e| setup(format!("producer: {e}")))?;
        let admin: AdminClient<DefaultClientContext> = admin
            .create()
            .map_err(|e| setup(format!("admin client: {e}")))?;
        ensure_topic(&std::sync::Arc::new(admin), &topic, replication_factor)
            .await
            .map_err(setup)?;
        Ok(DeadLetterQueueReporter {
            id,
            topic,
            context_headers,
            producer,
        })
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Writes the original record of `ctx` and waits for the acknowledgement. A context
    /// without a consumed record (a source record) is not written (Java does the same).
    pub async fn report(&self, ctx: &ProcessingContext) -> Result<bool, DlqError> {
        let Some(original) = ctx.consumed() else {
            return Ok(false);
        };
        let mut headers = OwnedHeaders::new_with_capacity(original.headers.len() + 10);
        for (key, value) in &original.headers {
            headers = headers.insert(Header {
                key,
                value: value.as_deref(),
            });
        }
        if self.context_headers {
            let existing: Vec<&str> = original.headers.iter().map(|(k, _)| k.as_str()).collect();
            for (key, value) in context_headers(ctx, &self.id, &existing) {
                headers = headers.insert(Header {
                    key,
                    value: Some(value.as_bytes()),
                });
            }
        }
        let mut record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(&self.topic).headers(headers);
        if let Some(k) = original.key.as_deref() {
            record = record.key(k);
        }
        if let Some(v) = original.value.as_deref() {
            record = record.payload(v);
        }
        if let Some(ts) = original.timestamp {
            record = record.timestamp(ts);
        }
        match self.producer.send(record, Duration::from_secs(0)).await {
            Ok(delivery) => {
                debug!(topic = %self.topic, partition = delivery.partition, offset = delivery.offset,
                    "Wrote a failed record to the dead letter queue.");
                Ok(true)
            }
            Err((e, _)) => {
                error!(topic = %self.topic, error = %e,
                    "Could not produce message to dead letter queue.");
                Err(DlqError::Produce {
                    topic: self.topic.clone(),
                    reason: e.to_string(),
                })
            }
        }
    }

    /// Waits, without blocking the runtime, until no record is in flight in the producer, at
    /// most `timeout`; false when some still were after it.
    pub async fn flush(&self, timeout: Duration) -> bool {
        flush_producer(&self.producer, timeout).await
    }

    /// Task shutdown: lets anything still queued in the producer (a report cancelled before
    /// its acknowledgement) be delivered for up to [`CLOSE_FLUSH_TIMEOUT`], in the background,
    /// so the caller (an async task loop) is never blocked. Outside a tokio runtime it
    /// flushes synchronously with the same bound.
    pub fn close(&self) {
        if self.producer.in_flight_count() == 0 {
            return;
        }
        let producer = self.producer.clone();
        let topic = self.topic.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if !flush_producer(&producer, CLOSE_FLUSH_TIMEOUT).await {
                        warn!(topic = %topic, in_flight = producer.in_flight_count(),
                            "Dead letter queue producer did not flush.");
                    }
                    // Dropping a producer purges and waits up to 500 ms in librdkafka.
                    drop(tokio::task::spawn_blocking(move || drop(producer)));
                });
            }
            Err(_) => {
                if let Err(e) = producer.flush(CLOSE_FLUSH_TIMEOUT) {
                    warn!(topic = %topic, error = %e, "Dead letter queue producer did not flush.");
                }
            }
        }
    }
}

/// How long a closing reporter's producer gets to deliver what it still holds.
pub const CLOSE_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// How often [`flush_producer`] looks at the in-flight count.
const FLUSH_POLL: Duration = Duration::from_millis(10);

/// Waits on the tokio timer until `producer` has nothing in flight (its background thread
/// delivers and acknowledges), at most `timeout`; false on timeout.
async fn flush_producer(producer: &FutureProducer, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while producer.in_flight_count() > 0 {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(FLUSH_POLL).await;
    }
    true
}

async fn ensure_topic(
    admin: &std::sync::Arc<AdminClient<DefaultClientContext>>,
    topic: &str,
    replication_factor: i16,
) -> Result<(), String> {
    if crate::runtime::topic_admin::topic_exists(admin, topic).await? {
        return Ok(());
    }
    error!("Topic {topic} doesn't exist. Will attempt to create topic.");
    let spec = crate::runtime::topic_admin::TopicSpec {
        name: topic.to_string(),
        partitions: DLQ_PARTITIONS,
        replication_factor: i32::from(replication_factor),
        configs: Vec::new(),
    };
    crate::runtime::topic_admin::find_or_create(admin, &spec)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sluice_api::{ConnectError, TimestampType};

    use super::*;
    use crate::runtime::errors::context::{ConsumedRecord, OriginalRecord};
    use crate::runtime::Stage;

    fn ctx(error: Option<ConnectError>) -> ProcessingContext {
        ProcessingContext::new(
            OriginalRecord::Consumed(Arc::new(ConsumedRecord {
                topic: "orders".into(),
                partition: 3,
                offset: 17,
                key: Some(b"k".to_vec()),
                value: Some(b"{bad".to_vec()),
                headers: vec![("trace".into(), Some(b"x".to_vec()))],
                timestamp: Some(5),
                timestamp_type: TimestampType::CreateTime,
            })),
            Stage::ValueConverter,
            "org.apache.kafka.connect.json.JsonConverter",
            error,
        )
    }

    fn id() -> ConnectorTaskId {
        ConnectorTaskId {
            connector: "snk".into(),
            task: 4,
        }
    }

    #[test]
    fn context_headers_have_java_names_order_and_values() {
        let headers = context_headers(
            &ctx(Some(ConnectError::data("Unexpected character"))),
            &id(),
            &["trace"],
        );
        let keys: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "__connect.errors.topic",
                "__connect.errors.partition",
                "__connect.errors.offset",
                "__connect.errors.connector.name",
                "__connect.errors.task.id",
                "__connect.errors.stage",
                "__connect.errors.class.name",
                "__connect.errors.exception.class.name",
                "__connect.errors.exception.message",
                "__connect.errors.exception.stacktrace",
            ]
        );
        let values: Vec<&str> = headers.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(
            &values[..9],
            [
                "orders",
                "3",
                "17",
                "snk",
                "4",
                "VALUE_CONVERTER",
                "org.apache.kafka.connect.json.JsonConverter",
                "org.apache.kafka.connect.errors.DataException",
                "Unexpected character",
            ]
        );
        assert!(values[9]
            .starts_with("org.apache.kafka.connect.errors.DataException: Unexpected character\n"));
    }

    #[test]
    fn without_an_error_no_exception_headers_and_clashes_are_skipped() {
        let headers = context_headers(&ctx(None), &id(), &["__connect.errors.stage"]);
        let keys: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys.len(), 6);
        assert!(!keys.contains(&"__connect.errors.stage"));
        assert!(!keys.iter().any(|k| k.contains("exception")));
        assert!(keys.iter().all(|k| k.starts_with(ERROR_HEADER_PREFIX)));
    }

    /// A record still queued when the task closes (the broker is down) must not block the
    /// async runtime: `close` returns at once and another task on the same single-threaded
    /// runtime keeps running.
    #[tokio::test(flavor = "current_thread")]
    async fn close_with_records_in_flight_does_not_block_the_runtime() {
        let mock = rdkafka::mocking::MockCluster::new(1).unwrap_or_else(|e| panic!("{e}"));
        mock.create_topic("dlq-close", 1, 1)
            .unwrap_or_else(|e| panic!("{e}"));
        let bootstrap = mock.bootstrap_servers();
        let mut admin = ClientConfig::new();
        admin.set("bootstrap.servers", &bootstrap);
        let mut producer = ClientConfig::new();
        producer
            .set("bootstrap.servers", &bootstrap)
            .set("message.timeout.ms", "60000");
        let reporter =
            DeadLetterQueueReporter::create(id(), "dlq-close".into(), 1, false, &admin, &producer)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        mock.broker_down(1).unwrap_or_else(|e| panic!("{e}"));
        // A report cut off before its acknowledgement leaves its record queued.
        let failed = ctx(None);
        let cut = tokio::time::timeout(Duration::from_millis(200), reporter.report(&failed));
        assert!(cut.await.is_err(), "the broker is down: no acknowledgement");
        assert!(reporter.producer.in_flight_count() > 0);

        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let ticker = {
            let ticks = ticks.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
        };
        let started = std::time::Instant::now();
        reporter.close();
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "close blocked for {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(ticks.load(std::sync::atomic::Ordering::SeqCst) >= 10);
        // The bounded async flush reports what is still in flight.
        assert!(!reporter.flush(Duration::from_millis(100)).await);
        ticker.abort();
    }
}
