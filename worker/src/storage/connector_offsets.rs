//! A source connector's own offsets topic (KIP-618: `offsets.storage.topic` in the connector
//! config, distributed mode only), read and written beside the worker's offsets topic as
//! Java's `ConnectorOffsetBackingStore` does:
//!
//! * reads look in both topics, and the connector's topic wins;
//! * a write goes to the connector's topic first and is then copied to the worker's topic,
//!   whose failure is only logged; tombstones (offset resets) are written to the worker's
//!   topic first, and a failure there fails the write, so that no reset is lost behind an
//!   older offset in the worker's topic.
//!
//! [`OffsetTopics`] opens (and creates, with the worker's `offset.storage.*` settings) a
//! connector's topic once and keeps its store for the worker's lifetime; connectors naming
//! the worker's own offsets topic use the worker's store alone.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use sluice_api::{OffsetMap, Props};

use super::internal_topics::{ensure_topic, InternalTopic};
use super::kafka_log::LogClients;
use super::offsets_kafka::KafkaOffsetBackingStore;
use super::{OffsetBackingStore, OffsetEntry, OffsetStoreError};

/// The connector key naming its own offsets topic.
pub const OFFSETS_STORAGE_TOPIC: &str = "offsets.storage.topic";

/// The connector's own offsets topic named by its config, if any (blank counts as unset).
pub fn connector_offsets_topic(connector: &Props) -> Option<&str> {
    connector
        .get(OFFSETS_STORAGE_TOPIC)
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
}

/// A connector's offsets in its own topic, backed by the worker's topic.
pub struct ConnectorOffsetStore {
    /// The connector's topic: read first, written first.
    connector: Arc<dyn OffsetBackingStore>,
    /// The worker's topic.
    worker: Arc<dyn OffsetBackingStore>,
}

impl ConnectorOffsetStore {
    /// Offsets in `connector`'s store, backed by `worker`'s.
    pub fn new(
        connector: Arc<dyn OffsetBackingStore>,
        worker: Arc<dyn OffsetBackingStore>,
    ) -> Self {
        ConnectorOffsetStore { connector, worker }
    }
}

impl OffsetBackingStore for ConnectorOffsetStore {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        self.connector
            .get(connector, partition)
            .or_else(|| self.worker.get(connector, partition))
    }

    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        // Keyed by the partition's JSON, in key order as each store gives them.
        let mut merged: BTreeMap<String, (OffsetMap, OffsetMap)> = BTreeMap::new();
        for (partition, offset) in self
            .worker
            .connector_offsets(connector)
            .into_iter()
            .chain(self.connector.connector_offsets(connector))
        {
            let key = serde_json::to_string(&partition).unwrap_or_default();
            merged.insert(key, (partition, offset));
        }
        merged.into_values().collect()
    }

    fn put(&self, connector: &str, entries: Vec<OffsetEntry>) -> Result<(), OffsetStoreError> {
        let tombstones: Vec<OffsetEntry> = entries
            .iter()
            .filter(|(_, offset)| offset.is_none())
            .cloned()
            .collect();
        if !tombstones.is_empty() {
            self.worker.put(connector, tombstones)?;
        }
        self.connector.put(connector, entries.clone())?;
        if let Err(e) = self.worker.put(connector, entries) {
            tracing::error!(connector, error = %e, "Failed to write offsets to the worker's offsets topic after writing them to the connector's.");
        }
        Ok(())
    }
}

/// Opens connectors' own offsets topics on a distributed worker.
pub struct OffsetTopics {
    admin: Arc<AdminClient<DefaultClientContext>>,
    clients: LogClients,
    /// The worker's offsets topic: its name, partitions and replication factor are the
    /// settings a connector's topic is created with.
    worker_topic: InternalTopic,
    worker_store: Arc<dyn OffsetBackingStore>,
    opened: tokio::sync::Mutex<HashMap<String, Arc<dyn OffsetBackingStore>>>,
}

impl OffsetTopics {
    /// Opens topics through `admin` and log clients of `clients`, creating them as `worker_topic`
    /// is; `worker_store` holds the worker topic's offsets.
    pub fn new(
        admin: Arc<AdminClient<DefaultClientContext>>,
        clients: LogClients,
        worker_topic: InternalTopic,
        worker_store: Arc<dyn OffsetBackingStore>,
    ) -> Self {
        OffsetTopics {
            admin,
            clients,
            worker_topic,
            worker_store,
            opened: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The store a source connector with `connector` config reads and writes: the worker's,
    /// or the connector's own topic backed by the worker's. The first use of a topic creates
    /// it if missing and reads it to its end.
    pub async fn store_for(
        &self,
        connector: &Props,
    ) -> Result<Arc<dyn OffsetBackingStore>, OffsetStoreError> {
        let Some(topic) = connector_offsets_topic(connector) else {
            return Ok(self.worker_store.clone());
        };
        if topic == self.worker_topic.name {
            return Ok(self.worker_store.clone());
        }
        let mut opened = self.opened.lock().await;
        let store = match opened.get(topic) {
            Some(store) => store.clone(),
            None => {
                let fail = |e: String| {
                    OffsetStoreError::Interrupted(format!(
                        "opening the connector's offsets topic '{topic}' ({OFFSETS_STORAGE_TOPIC}): {e}"
                    ))
                };
                let definition = InternalTopic::offsets(
                    topic.to_string(),
                    self.worker_topic.partitions,
                    self.worker_topic.replication_factor,
                );
                ensure_topic(&self.admin, &definition)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                let store = KafkaOffsetBackingStore::start(topic, &self.clients)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                tracing::info!(topic, "Opened a connector's own offsets topic.");
                let store: Arc<dyn OffsetBackingStore> = Arc::new(store);
                opened.insert(topic.to_string(), store.clone());
                store
            }
        };
        Ok(Arc::new(ConnectorOffsetStore::new(
            store,
            self.worker_store.clone(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryOffsetBackingStore;

    fn map(json: &str) -> OffsetMap {
        serde_json::from_str(json).unwrap()
    }

    /// A store whose writes fail.
    struct Failing;

    impl OffsetBackingStore for Failing {
        fn get(&self, _: &str, _: &OffsetMap) -> Option<OffsetMap> {
            None
        }
        fn connector_offsets(&self, _: &str) -> Vec<(OffsetMap, OffsetMap)> {
            Vec::new()
        }
        fn put(&self, _: &str, _: Vec<OffsetEntry>) -> Result<(), OffsetStoreError> {
            Err(OffsetStoreError::Interrupted("down".into()))
        }
    }

    #[test]
    fn the_connector_topic_wins_and_writes_reach_both() {
        let own: Arc<dyn OffsetBackingStore> = Arc::new(MemoryOffsetBackingStore::new());
        let worker: Arc<dyn OffsetBackingStore> = Arc::new(MemoryOffsetBackingStore::new());
        let (a, b) = (map(r#"{"f":"a"}"#), map(r#"{"f":"b"}"#));
        worker
            .put("c", vec![(a.clone(), Some(map(r#"{"p":1}"#)))])
            .unwrap();
        worker
            .put("c", vec![(b.clone(), Some(map(r#"{"p":5}"#)))])
            .unwrap();
        own.put("c", vec![(a.clone(), Some(map(r#"{"p":2}"#)))])
            .unwrap();
        let store = ConnectorOffsetStore::new(own.clone(), worker.clone());
        assert_eq!(store.get("c", &a), Some(map(r#"{"p":2}"#)));
        assert_eq!(
            store.get("c", &b),
            Some(map(r#"{"p":5}"#)),
            "worker topic only"
        );
        assert_eq!(
            store.connector_offsets("c"),
            vec![
                (a.clone(), map(r#"{"p":2}"#)),
                (b.clone(), map(r#"{"p":5}"#))
            ]
        );

        store
            .put("c", vec![(b.clone(), Some(map(r#"{"p":6}"#)))])
            .unwrap();
        assert_eq!(own.get("c", &b), Some(map(r#"{"p":6}"#)));
        assert_eq!(worker.get("c", &b), Some(map(r#"{"p":6}"#)));
        // A reset removes the partition from both.
        store.put("c", vec![(a.clone(), None)]).unwrap();
        assert_eq!(store.get("c", &a), None);
        assert_eq!(worker.get("c", &a), None);
    }

    #[test]
    fn only_the_worker_topic_s_tombstones_and_the_connector_topic_must_succeed() {
        let own: Arc<dyn OffsetBackingStore> = Arc::new(MemoryOffsetBackingStore::new());
        let a = map(r#"{"f":"a"}"#);
        // The copy to the worker's topic may fail.
        let store = ConnectorOffsetStore::new(own.clone(), Arc::new(Failing));
        store
            .put("c", vec![(a.clone(), Some(map(r#"{"p":1}"#)))])
            .expect("the worker topic's failure is only logged");
        assert_eq!(own.get("c", &a), Some(map(r#"{"p":1}"#)));
        // Its tombstones may not.
        assert!(store.put("c", vec![(a.clone(), None)]).is_err());
        assert_eq!(own.get("c", &a), Some(map(r#"{"p":1}"#)), "nothing reset");
        // Nor may the connector's topic.
        let worker: Arc<dyn OffsetBackingStore> = Arc::new(MemoryOffsetBackingStore::new());
        let store = ConnectorOffsetStore::new(Arc::new(Failing), worker.clone());
        assert!(store
            .put("c", vec![(a.clone(), Some(map(r#"{"p":1}"#)))])
            .is_err());
        assert_eq!(worker.get("c", &a), None, "not copied after a failure");
    }

    #[test]
    fn the_topic_key() {
        let props = |v: &str| sluice_api::config::props_of(&[(OFFSETS_STORAGE_TOPIC, v)]);
        assert_eq!(connector_offsets_topic(&props(" own ")), Some("own"));
        assert_eq!(connector_offsets_topic(&props("  ")), None);
        assert_eq!(connector_offsets_topic(&Props::new()), None);
    }
}
