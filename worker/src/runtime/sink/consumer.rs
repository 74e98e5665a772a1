//! The sink task's consumer context: rebalances become events for the task loop, which
//! applies them in order with the records it consumed.
//!
//! librdkafka calls the rebalance callback from inside a consumer poll. Doing the work Java
//! does there (flush, commit and `close` the revoked partitions, `open` the new ones) would
//! block the async runtime and run the task's async methods from a sync callback, so the
//! callback only records the event and leaves the assignment pending: librdkafka waits for
//! the application's `assign`/`unassign` call (as in the Go client's application-handled
//! rebalances), which the loop makes once the task has committed and closed what it loses.
//!
//! Every callback bumps a rebalance *epoch*. The loop tags each consumed record with the
//! epoch current when it was received, so a record fetched under an earlier ownership of its
//! partition is recognised and never handed to `put` after that partition was closed, even
//! when the same partition is assigned back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaResult;
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use sluice_api::TopicPartition;
use tokio::sync::mpsc;
use tracing::warn;

/// What happened to the consumer, in the order librdkafka reported it.
#[derive(Debug)]
pub(crate) enum ConsumerEvent {
    /// Partitions to take over; librdkafka waits for [`apply_assign`].
    Assigned {
        /// The partitions, as librdkafka handed them.
        partitions: TopicPartitionList,
        /// The rebalance epoch this event started.
        epoch: u64,
    },
    /// Partitions to give up; librdkafka waits for [`apply_revoke`].
    Revoked {
        /// The partitions, as librdkafka handed them.
        partitions: TopicPartitionList,
    },
    /// A rebalance failed: everything is to be given up (librdkafka waits for `unassign`).
    Failed {
        /// librdkafka's error.
        error: String,
    },
}

/// The consumer context of a sink task.
pub struct SinkConsumerContext {
    events: mpsc::UnboundedSender<ConsumerEvent>,
    epoch: Arc<AtomicU64>,
    deferred: Arc<AtomicBool>,
    stats: Option<crate::metrics::ClientStatsHandle>,
}

/// The loop's handles on its consumer context.
pub(crate) struct ContextHandles {
    /// Events, in order.
    pub events: mpsc::UnboundedReceiver<ConsumerEvent>,
    /// The current rebalance epoch.
    pub epoch: Arc<AtomicU64>,
    /// While true, rebalances wait for the loop; set to false before the consumer is closed
    /// so that its final rebalance is applied at once.
    pub deferred: Arc<AtomicBool>,
}

impl SinkConsumerContext {
    /// A context and the loop's side of it.
    pub(crate) fn new(stats: Option<crate::metrics::ClientStatsHandle>) -> (Self, ContextHandles) {
        let (tx, rx) = mpsc::unbounded_channel();
        let epoch = Arc::new(AtomicU64::new(0));
        let deferred = Arc::new(AtomicBool::new(true));
        (
            SinkConsumerContext {
                events: tx,
                epoch: epoch.clone(),
                deferred: deferred.clone(),
                stats,
            },
            ContextHandles {
                events: rx,
                epoch,
                deferred,
            },
        )
    }
}

impl ClientContext for SinkConsumerContext {
    fn stats(&self, statistics: rdkafka::statistics::Statistics) {
        if let Some(s) = &self.stats {
            s.update(&statistics);
        }
    }
}

impl ConsumerContext for SinkConsumerContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let epoch = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        let event = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => ConsumerEvent::Assigned {
                partitions: tpl.clone(),
                epoch,
            },
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => ConsumerEvent::Revoked {
                partitions: tpl.clone(),
            },
            other => ConsumerEvent::Failed {
                error: format!("{other:?}"),
            },
        };
        if self.deferred.load(Ordering::SeqCst) {
            if let Err(mpsc::error::SendError(event)) = self.events.send(event) {
                apply_now(consumer, &event);
            }
        } else {
            apply_now(consumer, &event);
        }
    }
}

/// Applies a rebalance event without the loop (the loop is gone or closing).
fn apply_now<C: Consumer<SinkConsumerContext>>(consumer: &C, event: &ConsumerEvent) {
    let result = match event {
        ConsumerEvent::Assigned { partitions, .. } => apply_assign(consumer, partitions),
        ConsumerEvent::Revoked { partitions } => apply_revoke(consumer, partitions),
        ConsumerEvent::Failed { .. } => consumer.unassign(),
    };
    if let Err(e) = result {
        warn!(error = %e, "Could not apply a consumer rebalance.");
    }
}

/// Takes over `partitions` (incrementally under the cooperative protocol).
pub(crate) fn apply_assign<C: Consumer<SinkConsumerContext>>(
    consumer: &C,
    partitions: &TopicPartitionList,
) -> KafkaResult<()> {
    match consumer.rebalance_protocol() {
        RebalanceProtocol::Cooperative => consumer.incremental_assign(partitions),
        _ => consumer.assign(partitions),
    }
}

/// Gives up `partitions` (everything under the eager protocol).
pub(crate) fn apply_revoke<C: Consumer<SinkConsumerContext>>(
    consumer: &C,
    partitions: &TopicPartitionList,
) -> KafkaResult<()> {
    match consumer.rebalance_protocol() {
        RebalanceProtocol::Cooperative => consumer.incremental_unassign(partitions),
        _ => consumer.unassign(),
    }
}

/// The partitions of a list.
pub(crate) fn tpl_partitions(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

/// A list of partitions with offsets.
pub(crate) fn offsets_to_tpl(offsets: &HashMap<TopicPartition, i64>) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for (tp, off) in offsets {
        // Only fails for an invalid offset value, which `Offset::Offset` never is.
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*off));
    }
    tpl
}

/// A list of partitions.
pub(crate) fn partitions_to_tpl<'a>(
    partitions: impl IntoIterator<Item = &'a TopicPartition>,
) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for tp in partitions {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    tpl
}
