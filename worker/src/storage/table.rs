//! The in-memory table both offset stores keep: entries keyed by Java's key bytes, looked up
//! by (connector, partition) regardless of the partition map's key order.

use std::collections::BTreeMap;

use sluice_api::OffsetMap;

use super::{offset_key, parse_offset_key, OffsetEntry};

/// One stored entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredOffset {
    /// The key bytes as first written (Java's format).
    pub key: Vec<u8>,
    /// The connector (namespace).
    pub connector: String,
    /// The source partition.
    pub partition: OffsetMap,
    /// The offset.
    pub offset: OffsetMap,
}

/// Entries by canonical key (connector + partition with sorted keys).
#[derive(Debug, Default, Clone)]
pub(crate) struct OffsetTable {
    entries: BTreeMap<Vec<u8>, StoredOffset>,
}

pub(crate) fn canonical(connector: &str, partition: &OffsetMap) -> Vec<u8> {
    // `serde_json::Value` with sorted keys: collect into a BTreeMap first.
    let sorted: BTreeMap<&String, &serde_json::Value> = partition.iter().collect();
    let key = (connector, sorted);
    serde_json::to_vec(&key).unwrap_or_default()
}

impl OffsetTable {
    pub fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        self.entries
            .get(&canonical(connector, partition))
            .map(|e| e.offset.clone())
    }

    pub fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        self.entries
            .values()
            .filter(|e| e.connector == connector)
            .map(|e| (e.partition.clone(), e.offset.clone()))
            .collect()
    }

    pub fn apply(&mut self, connector: &str, entries: Vec<OffsetEntry>) {
        for (partition, offset) in entries {
            let canon = canonical(connector, &partition);
            match offset {
                None => {
                    self.entries.remove(&canon);
                }
                Some(offset) => {
                    let key = self
                        .entries
                        .get(&canon)
                        .map(|e| e.key.clone())
                        .unwrap_or_else(|| offset_key(connector, &partition));
                    self.entries.insert(
                        canon,
                        StoredOffset {
                            key,
                            connector: connector.to_string(),
                            partition,
                            offset,
                        },
                    );
                }
            }
        }
    }

    /// Inserts an entry read from storage by its key bytes; `false` if the key is not
    /// `["<connector>",{…}]`.
    pub fn insert_raw(&mut self, key: Vec<u8>, offset: OffsetMap) -> bool {
        match parse_offset_key(&key) {
            Some((connector, partition)) => {
                self.entries.insert(
                    canonical(&connector, &partition),
                    StoredOffset {
                        key,
                        connector,
                        partition,
                        offset,
                    },
                );
                true
            }
            None => false,
        }
    }

    /// The key bytes to write for a partition: the stored ones (as first written, perhaps
    /// by Java), else Java's format.
    pub fn key_of(&self, connector: &str, partition: &OffsetMap) -> Vec<u8> {
        self.entries
            .get(&canonical(connector, partition))
            .map(|e| e.key.clone())
            .unwrap_or_else(|| offset_key(connector, partition))
    }

    pub fn iter(&self) -> impl Iterator<Item = &StoredOffset> {
        self.entries.values()
    }
}
