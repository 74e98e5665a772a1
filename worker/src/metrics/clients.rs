//! The Kafka clients' metrics, from librdkafka's statistics (`statistics.interval.ms`):
//! bytes, requests, connections, request latency, queue sizes and, for sink consumers, the
//! lag of every assigned partition.
//!
//! A client made by the worker carries a [`ClientStatsHandle`] in its context; librdkafka
//! calls the context with parsed [`Statistics`] on its own thread every interval, and the
//! handle stores a small summary. Dropping the client drops the handle, which removes the
//! client's series.

use std::sync::{Arc, Weak};

use rdkafka::statistics::Statistics;
use rdkafka::ClientContext;

use super::names::{ClientType, Naming};
use super::render::Families;
use super::Metrics;

/// What one statistics report says about a client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientSummary {
    /// `client.id`.
    pub client_id: String,
    /// Bytes sent to brokers.
    pub tx_bytes: i64,
    /// Bytes received from brokers.
    pub rx_bytes: i64,
    /// Requests sent.
    pub requests: i64,
    /// Responses received.
    pub responses: i64,
    /// Messages produced (producers) or consumed (consumers).
    pub messages: i64,
    /// Brokers with an open connection (state `UP`).
    pub connections: usize,
    /// Average round-trip time of requests, over the brokers that answered any (ms).
    pub request_latency_avg_ms: Option<f64>,
    /// Messages waiting in the client's queues (librdkafka `msg_cnt`).
    pub queue_messages: u64,
    /// Operations waiting for the application (librdkafka `replyq`).
    pub reply_queue: i64,
    /// Consumer lag per (topic, partition), where known.
    pub lag: Vec<(String, i32, i64)>,
}

impl ClientSummary {
    /// The summary of one report.
    pub fn from_statistics(s: &Statistics) -> Self {
        let brokers = s
            .brokers
            .values()
            .filter(|b| b.nodeid >= 0 || b.source != "internal");
        let mut rtts = Vec::new();
        let mut connections = 0;
        for b in brokers {
            if b.state == "UP" {
                connections += 1;
            }
            if let Some(rtt) = &b.rtt {
                if rtt.cnt > 0 {
                    rtts.push(rtt.avg as f64 / 1000.0);
                }
            }
        }
        let mut lag: Vec<(String, i32, i64)> = s
            .topics
            .iter()
            .flat_map(|(topic, t)| {
                t.partitions
                    .values()
                    .filter(|p| p.partition >= 0 && p.consumer_lag >= 0)
                    .map(move |p| (topic.clone(), p.partition, p.consumer_lag))
            })
            .collect();
        lag.sort();
        ClientSummary {
            client_id: s.client_id.clone(),
            tx_bytes: s.tx_bytes,
            rx_bytes: s.rx_bytes,
            requests: s.tx,
            responses: s.rx,
            messages: if s.client_type == "producer" {
                s.txmsgs
            } else {
                s.rxmsgs
            },
            connections,
            request_latency_avg_ms: (!rtts.is_empty())
                .then(|| rtts.iter().sum::<f64>() / rtts.len() as f64),
            queue_messages: s.msg_cnt,
            reply_queue: s.replyq,
            lag,
        }
    }
}

/// Where one client's statistics go; dropping it removes the client's series.
#[derive(Debug)]
pub struct ClientStatsHandle {
    pub(super) metrics: Weak<Metrics>,
    pub(super) key: u64,
    pub(super) kind: ClientType,
}

impl ClientStatsHandle {
    /// Stores the summary of a statistics report.
    pub fn update(&self, stats: &Statistics) {
        if let Some(metrics) = self.metrics.upgrade() {
            metrics.store_client(self.key, self.kind, ClientSummary::from_statistics(stats));
        }
    }
}

impl Drop for ClientStatsHandle {
    fn drop(&mut self) {
        if let Some(metrics) = self.metrics.upgrade() {
            metrics.remove_client(self.key);
        }
    }
}

/// A client context that does nothing but report statistics (for admin clients and
/// producers that need no other callback).
#[derive(Debug, Default)]
pub struct StatsContext {
    stats: Option<ClientStatsHandle>,
}

impl StatsContext {
    /// A context reporting to `stats` (none: statistics are ignored).
    pub fn new(stats: Option<ClientStatsHandle>) -> Self {
        StatsContext { stats }
    }
}

impl ClientContext for StatsContext {
    fn stats(&self, statistics: Statistics) {
        if let Some(s) = &self.stats {
            s.update(&statistics);
        }
    }
}

/// Renders the client groups; clients of one kind with the same `client.id` are summed
/// (Java names each client's MBean by its id too).
pub(crate) fn render(
    naming: Naming,
    clients: &[(ClientType, Arc<ClientSummary>)],
    out: &mut Families,
) {
    use std::collections::BTreeMap;
    let mut merged: BTreeMap<(ClientType, String), ClientSummary> = BTreeMap::new();
    for (kind, c) in clients {
        let m = merged
            .entry((*kind, c.client_id.clone()))
            .or_insert_with(|| ClientSummary {
                client_id: c.client_id.clone(),
                ..Default::default()
            });
        m.tx_bytes += c.tx_bytes;
        m.rx_bytes += c.rx_bytes;
        m.requests += c.requests;
        m.responses += c.responses;
        m.messages += c.messages;
        m.connections += c.connections;
        m.queue_messages += c.queue_messages;
        m.reply_queue += c.reply_queue;
        m.request_latency_avg_ms = match (m.request_latency_avg_ms, c.request_latency_avg_ms) {
            (Some(a), Some(b)) => Some((a + b) / 2.0),
            (a, b) => a.or(b),
        };
        m.lag.extend(c.lag.iter().cloned());
    }
    // Two clients with one id (a task restarting) may both report a partition: one series
    // each, the larger lag.
    for c in merged.values_mut() {
        c.lag
            .sort_by(|a, b| (&a.0, a.1, b.2).cmp(&(&b.0, b.1, a.2)));
        c.lag.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    }
    for ((kind, id), c) in &merged {
        let labels = || naming.client_labels(*kind, id);
        let mut put = |attr: &str, help: &str, value: f64| {
            out.push(naming.client(*kind, false, attr), help, labels(), value);
        };
        put(
            "outgoing-byte-total",
            "The total number of outgoing bytes sent to all servers.",
            c.tx_bytes as f64,
        );
        put(
            "incoming-byte-total",
            "The total number of bytes read off all sockets.",
            c.rx_bytes as f64,
        );
        put(
            "request-total",
            "The total number of requests sent.",
            c.requests as f64,
        );
        put(
            "response-total",
            "The total number of responses received.",
            c.responses as f64,
        );
        put(
            "connection-count",
            "The current number of active connections.",
            c.connections as f64,
        );
        if let Some(ms) = c.request_latency_avg_ms {
            put(
                "request-latency-avg",
                "The average request latency in ms (librdkafka's broker round-trip time).",
                ms,
            );
        }
        match kind {
            ClientType::Producer => put(
                "record-send-total",
                "The total number of records sent.",
                c.messages as f64,
            ),
            ClientType::Consumer => out.push(
                naming.client(*kind, true, "records-consumed-total"),
                "The total number of records consumed.",
                labels(),
                c.messages as f64,
            ),
            ClientType::Admin => {}
        }
        let mut sluice = |attr: &str, help: &str, value: f64| {
            let mut l = naming.client_labels(*kind, id);
            if naming == Naming::Strimzi {
                l.push(("client_type", kind.label().to_string()));
            }
            out.push(format!("sluice_client_{attr}"), help, l, value);
        };
        sluice(
            "queue_messages",
            "Sluice: messages waiting in the librdkafka client's queues (msg_cnt).",
            c.queue_messages as f64,
        );
        sluice(
            "reply_queue",
            "Sluice: operations waiting to be served by the application (librdkafka replyq).",
            c.reply_queue as f64,
        );
        // Only consumers have a fetch manager (a producer's statistics carry no real lag).
        let lag = if *kind == ClientType::Consumer {
            c.lag.as_slice()
        } else {
            &[]
        };
        for (topic, partition, lag) in lag {
            let mut l = labels();
            l.push(("topic", topic.clone()));
            l.push(("partition", partition.to_string()));
            out.push(
                naming.client(*kind, true, "records-lag"),
                "The latest lag of the partition (librdkafka consumer_lag).",
                l,
                *lag as f64,
            );
        }
    }
}
