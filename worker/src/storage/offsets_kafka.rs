//! [`KafkaOffsetBackingStore`]: source offsets in the offsets topic
//! (`offset.storage.topic`, Java's `KafkaOffsetBackingStore`).
//!
//! # Topic format
//!
//! * key: the compact JSON array `["<connector>",{<source partition>}]`;
//! * value: the compact JSON of the offset map, e.g. `{"position":1234}`;
//! * a tombstone (null value) removes the partition.
//!
//! The whole topic is read into the in-memory table at start and followed afterwards, so
//! offsets written by other workers (Java or Sluice) show up. A write is applied to the table
//! once the broker acknowledged it; a record read back later never replaces a newer
//! acknowledged one. A record whose key is not `["<connector>",{…}]` or whose value is not a
//! JSON object is ignored with a warning, as Java does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sluice_api::OffsetMap;

use super::kafka_log::{ConsumeCallback, KafkaBasedLog, LogClients, LogError, LogRecord};
use super::table::{canonical, OffsetTable};
use super::{parse_offset_key, OffsetBackingStore, OffsetEntry, OffsetStoreError};

/// How long a blocking [`OffsetBackingStore::put`] waits for the acknowledgements.
const PUT_TIMEOUT: Duration = Duration::from_secs(300);

/// The table and, per entry, the log position (partition, offset) it came from.
#[derive(Debug, Default)]
struct State {
    table: OffsetTable,
    positions: HashMap<Vec<u8>, (i32, i64)>,
}

impl State {
    /// Applies one entry unless the table already holds a newer one for it.
    fn apply(
        &mut self,
        connector: &str,
        partition: OffsetMap,
        offset: Option<OffsetMap>,
        at: (i32, i64),
    ) {
        let canon = canonical(connector, &partition);
        if let Some(known) = self.positions.get(&canon) {
            if known.0 == at.0 && known.1 > at.1 {
                return;
            }
        }
        self.positions.insert(canon, at);
        self.table.apply(connector, vec![(partition, offset)]);
    }

    /// Applies a record read from the topic.
    fn consume(&mut self, topic: &str, record: LogRecord) {
        let Some(key) = record.key else {
            tracing::warn!(
                topic,
                offset = record.offset,
                "Ignoring offset record without a key"
            );
            return;
        };
        let Some((connector, partition)) = parse_offset_key(&key) else {
            tracing::warn!(
                topic,
                key = %String::from_utf8_lossy(&key),
                "Ignoring offset record whose key is not [\"<connector>\",{{partition}}]"
            );
            return;
        };
        let offset = match record.value.as_deref().map(serde_json::from_slice) {
            None | Some(Ok(serde_json::Value::Null)) => None,
            Some(Ok(serde_json::Value::Object(map))) => Some(map),
            Some(_) => {
                tracing::warn!(
                    topic,
                    key = %String::from_utf8_lossy(&key),
                    "Ignoring offset record whose value is not a JSON object"
                );
                return;
            }
        };
        self.apply(
            &connector,
            partition,
            offset,
            (record.partition, record.offset),
        );
    }
}

/// Source offsets kept in a compacted Kafka topic.
#[derive(Debug)]
pub struct KafkaOffsetBackingStore {
    log: Arc<KafkaBasedLog>,
    state: Arc<Mutex<State>>,
    runtime: tokio::runtime::Handle,
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl KafkaOffsetBackingStore {
    /// Starts the store: reads `topic` to its end into the table and follows it. The topic
    /// must exist (see [`super::internal_topics::ensure_topic`]); `clients` holds the log's
    /// client settings.
    pub async fn start(topic: &str, clients: &LogClients) -> Result<Self, LogError> {
        let state = Arc::new(Mutex::new(State::default()));
        let callback: ConsumeCallback = {
            let state = state.clone();
            let topic = topic.to_string();
            Box::new(move |record| lock(&state).consume(&topic, record))
        };
        let log = KafkaBasedLog::start(topic, clients, callback).await?;
        Ok(KafkaOffsetBackingStore {
            log: Arc::new(log),
            state,
            runtime: tokio::runtime::Handle::current(),
        })
    }

    /// Waits until every offset written to the topic so far is in the table (Java reads to
    /// the end before answering reads).
    pub async fn read_to_end(&self) -> Result<(), LogError> {
        self.log.read_to_end().await
    }

    /// Writes a batch: every record is sent, and the table updated once all are
    /// acknowledged. Java's offsets producer is not transactional either: a failed batch may
    /// be partly written.
    pub async fn set(
        &self,
        connector: &str,
        entries: Vec<OffsetEntry>,
    ) -> Result<(), OffsetStoreError> {
        write(&self.log, &self.state, connector, entries).await
    }

    /// Stops following the topic.
    pub async fn stop(self) {
        match Arc::try_unwrap(self.log) {
            Ok(log) => log.stop().await,
            Err(_) => {
                tracing::debug!("KafkaOffsetBackingStore still in use; the log stops when dropped")
            }
        }
    }
}

async fn write(
    log: &KafkaBasedLog,
    state: &Mutex<State>,
    connector: &str,
    entries: Vec<OffsetEntry>,
) -> Result<(), OffsetStoreError> {
    let mut records = Vec::with_capacity(entries.len());
    for (partition, offset) in entries {
        let key = lock(state).table.key_of(connector, &partition);
        let value = offset
            .as_ref()
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| OffsetStoreError::Serialize(e.to_string()))?;
        records.push((partition, offset, key, value));
    }
    let to_send: Vec<(&[u8], Option<&[u8]>)> = records
        .iter()
        .map(|(_, _, key, value)| (key.as_slice(), value.as_deref()))
        .collect();
    let results = log.send_all(&to_send).await;
    let mut acknowledged = Vec::with_capacity(records.len());
    for ((partition, offset, _, _), result) in records.into_iter().zip(results) {
        let at = result.map_err(|e| OffsetStoreError::Interrupted(e.to_string()))?;
        acknowledged.push((partition, offset, at));
    }
    let mut state = lock(state);
    for (partition, offset, at) in acknowledged {
        state.apply(connector, partition, offset, at);
    }
    Ok(())
}

impl OffsetBackingStore for KafkaOffsetBackingStore {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        lock(&self.state).table.get(connector, partition)
    }

    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        lock(&self.state).table.connector_offsets(connector)
    }

    /// Blocks until the batch is acknowledged; call it from a blocking thread
    /// ([`super::put_offsets`]), never from an async task.
    fn put(&self, connector: &str, entries: Vec<OffsetEntry>) -> Result<(), OffsetStoreError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let log = self.log.clone();
        let state = self.state.clone();
        let connector = connector.to_string();
        self.runtime.spawn(async move {
            let _ = tx.send(write(&log, &state, &connector, entries).await);
        });
        rx.recv_timeout(PUT_TIMEOUT).map_err(|e| {
            OffsetStoreError::Interrupted(format!(
                "writing offsets to topic '{}': {e}",
                self.log.topic()
            ))
        })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(json: &str) -> OffsetMap {
        serde_json::from_str(json).unwrap()
    }

    fn record(key: &str, value: Option<&str>, partition: i32, offset: i64) -> LogRecord {
        LogRecord {
            key: Some(key.as_bytes().to_vec()),
            value: value.map(|v| v.as_bytes().to_vec()),
            partition,
            offset,
        }
    }

    #[test]
    fn consumed_records_tombstones_and_stale_replays() {
        let mut state = State::default();
        state.consume(
            "t",
            record(r#"["c",{"f":"a"}]"#, Some(r#"{"position":1}"#), 0, 0),
        );
        state.consume(
            "t",
            record(r#"["c",{"f":"b"}]"#, Some(r#"{"position":2}"#), 1, 0),
        );
        state.consume("t", record(r#"["c",{"f":"b"}]"#, None, 1, 1));
        // Malformed keys and values are skipped.
        state.consume("t", record(r#"["c"]"#, Some("{}"), 0, 1));
        state.consume("t", record(r#"["c",{"f":"x"}]"#, Some("[1]"), 0, 2));
        assert_eq!(
            state.table.get("c", &map(r#"{"f":"a"}"#)),
            Some(map(r#"{"position":1}"#))
        );
        assert_eq!(state.table.connector_offsets("c").len(), 1);
        // An acknowledged write at offset 5 is not undone by reading offset 3 back.
        state.apply(
            "c",
            map(r#"{"f":"a"}"#),
            Some(map(r#"{"position":9}"#)),
            (0, 5),
        );
        state.consume(
            "t",
            record(r#"["c",{"f":"a"}]"#, Some(r#"{"position":3}"#), 0, 3),
        );
        assert_eq!(
            state.table.get("c", &map(r#"{"f":"a"}"#)),
            Some(map(r#"{"position":9}"#))
        );
        state.consume(
            "t",
            record(r#"["c",{"f":"a"}]"#, Some(r#"{"position":9}"#), 0, 5),
        );
        state.consume(
            "t",
            record(r#"["c",{"f":"a"}]"#, Some(r#"{"position":10}"#), 0, 6),
        );
        assert_eq!(
            state.table.get("c", &map(r#"{"f":"a"}"#)),
            Some(map(r#"{"position":10}"#))
        );
    }
}
