//! A librdkafka producer served by its own polling thread, cheap when idle.
//!
//! rdkafka's `ThreadedProducer` polls every 100 ms, and each `poll` ends in a busy loop of
//! zero-timeout polls for the sub-millisecond rest of its deadline (the remaining time is
//! truncated to whole milliseconds). A worker with a hundred idle source tasks spent half a
//! core on that. Here the thread blocks for [`POLL_INTERVAL`] per call instead: delivery
//! reports still wake it at once (librdkafka signals the queue), the spin happens once a
//! second rather than ten times, and stopping only waits for the current call to return.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::{ClientConfig, FromClientConfigAndContext};
use rdkafka::error::KafkaResult;
use rdkafka::producer::{BaseProducer, ProducerContext};

/// How long one poll call blocks when there is nothing to deliver. Delivery reports end the
/// wait early, so this only bounds how long the thread outlives the producer's owner.
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// A [`BaseProducer`] with a background thread serving its delivery reports.
///
/// Dropping it stops the thread after the poll call in progress; the thread holds the last
/// reference and releases the producer then.
pub struct PolledProducer<C: ProducerContext + 'static> {
    producer: Arc<BaseProducer<C>>,
    stop: Arc<AtomicBool>,
}

impl<C: ProducerContext + 'static> PolledProducer<C> {
    /// Creates the producer from `config` with `context` and starts its polling thread,
    /// named `name` (shown by `top -H` and debuggers).
    pub fn create(config: &ClientConfig, context: C, name: &str) -> KafkaResult<Self> {
        let producer = Arc::new(BaseProducer::from_config_and_context(config, context)?);
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_producer, thread_stop) = (producer.clone(), stop.clone());
        std::thread::Builder::new()
            .name(name.chars().take(15).collect())
            .spawn(move || {
                while !thread_stop.load(Ordering::Relaxed) {
                    thread_producer.poll(POLL_INTERVAL);
                }
            })
            .map_err(|e| {
                rdkafka::error::KafkaError::ClientCreation(format!(
                    "cannot start the producer's polling thread: {e}"
                ))
            })?;
        Ok(PolledProducer { producer, stop })
    }
}

impl<C: ProducerContext + 'static> Deref for PolledProducer<C> {
    type Target = BaseProducer<C>;

    fn deref(&self) -> &BaseProducer<C> {
        &self.producer
    }
}

impl<C: ProducerContext + 'static> Drop for PolledProducer<C> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseRecord, DeliveryResult, Producer};
    use rdkafka::ClientContext;
    use std::sync::mpsc;
    use std::time::Instant;

    struct Acks(std::sync::Mutex<mpsc::Sender<bool>>);
    impl ClientContext for Acks {}
    impl ProducerContext for Acks {
        type DeliveryOpaque = ();
        fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
            let _ = self.0.lock().unwrap().send(result.is_ok());
        }
    }

    #[test]
    fn delivery_reports_arrive_without_waiting_for_the_poll_interval() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("t", 1, 1).unwrap();
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", cluster.bootstrap_servers());
        let (tx, rx) = mpsc::channel();
        let producer =
            PolledProducer::create(&config, Acks(std::sync::Mutex::new(tx)), "test-poller")
                .unwrap();
        // Let the thread settle into a blocking poll first.
        std::thread::sleep(Duration::from_millis(50));
        for i in 0..3 {
            let started = Instant::now();
            let payload = format!("v{i}");
            producer
                .send(BaseRecord::<(), str>::to("t").payload(&payload))
                .map_err(|(e, _)| e)
                .unwrap();
            assert!(rx.recv_timeout(Duration::from_secs(10)).unwrap());
            assert!(
                started.elapsed() < POLL_INTERVAL / 2,
                "the delivery report waited for the poll interval: {:?}",
                started.elapsed()
            );
        }
        // librdkafka counts a message out of its queue only after its delivery report
        // callback returned.
        let deadline = Instant::now() + Duration::from_secs(1);
        while producer.in_flight_count() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(producer.in_flight_count(), 0);
    }

    #[test]
    fn dropping_stops_the_polling_thread() {
        let cluster = MockCluster::new(1).unwrap();
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", cluster.bootstrap_servers());
        let (tx, _rx) = mpsc::channel();
        let producer =
            PolledProducer::create(&config, Acks(std::sync::Mutex::new(tx)), "test-poller")
                .unwrap();
        let weak = Arc::downgrade(&producer.producer);
        drop(producer);
        let deadline = Instant::now() + POLL_INTERVAL * 3;
        while weak.upgrade().is_some() {
            assert!(
                Instant::now() < deadline,
                "the polling thread kept the producer alive"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
