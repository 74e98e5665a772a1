//! [`MemoryOffsetBackingStore`]: offsets kept in memory only (Java's
//! `MemoryOffsetBackingStore`); lost when the process exits.

use std::sync::Mutex;

use sluice_api::OffsetMap;

use super::table::OffsetTable;
use super::{OffsetBackingStore, OffsetEntry, OffsetStoreError};

/// Offsets in memory.
#[derive(Debug, Default)]
pub struct MemoryOffsetBackingStore {
    table: Mutex<OffsetTable>,
}

impl MemoryOffsetBackingStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl OffsetBackingStore for MemoryOffsetBackingStore {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        table.get(connector, partition)
    }

    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        table.connector_offsets(connector)
    }

    fn put(&self, connector: &str, entries: Vec<OffsetEntry>) -> Result<(), OffsetStoreError> {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        table.apply(connector, entries);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(json: &str) -> OffsetMap {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn put_get_and_tombstone() {
        let store = MemoryOffsetBackingStore::new();
        let p = map(r#"{"filename":"a","n":1}"#);
        store
            .put("c", vec![(p.clone(), Some(map(r#"{"position":5}"#)))])
            .unwrap();
        // Lookup is independent of the partition map's key order.
        assert_eq!(
            store.get("c", &map(r#"{"n":1,"filename":"a"}"#)),
            Some(map(r#"{"position":5}"#))
        );
        assert_eq!(store.get("other", &p), None);
        assert_eq!(store.connector_offsets("c").len(), 1);
        store.put("c", vec![(p.clone(), None)]).unwrap();
        assert_eq!(store.get("c", &p), None);
        assert!(store.connector_offsets("c").is_empty());
    }
}
