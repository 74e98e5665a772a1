//! Source offset storage (Java's `OffsetBackingStore`).
//!
//! Offsets are stored per connector and source partition. The key of an entry is exactly the
//! byte string Java's internal key converter writes to the offsets topic: the compact JSON
//! array `["<connector>",{<source partition>}]`; the value is the compact JSON of the source
//! offset map (`{"position":1234}`). Keeping Java's bytes makes the stored keys comparable with
//! a Java worker's offsets topic.
//!
//! * [`offsets_file::FileOffsetBackingStore`]: `offset.storage.file.filename` (standalone).
//! * [`offsets_memory::MemoryOffsetBackingStore`]: in memory, for tests and tools.
//! * [`offsets_kafka::KafkaOffsetBackingStore`]: `offset.storage.topic` (distributed), on
//!   [`kafka_log::KafkaBasedLog`], the compacted topic read as a log.
//! * [`internal_topics`]: creating and checking the internal topics.
//! * [`java_serialization`]: the Java serialization codec of the offsets file.
//! * [`config_records`] / [`status_records`]: the byte-exact codecs of the config-topic and
//!   status-topic records (pure).
//! * [`config_kafka`] / [`status_kafka`]: the config and status stores of distributed mode
//!   (Java's `KafkaConfigBackingStore` and `KafkaStatusBackingStore`) on the log.

pub mod config_kafka;
pub mod config_records;
pub mod connector_offsets;
pub mod internal_topics;
pub mod java_serialization;
pub mod kafka_log;
pub mod offsets_file;
pub mod offsets_kafka;
pub mod offsets_memory;
mod record_json;
pub mod status_kafka;
pub mod status_records;
mod table;

use std::path::PathBuf;
use std::sync::Arc;

use sluice_api::OffsetMap;

pub use offsets_file::FileOffsetBackingStore;
pub use offsets_kafka::KafkaOffsetBackingStore;
pub use offsets_memory::MemoryOffsetBackingStore;

/// A failure to read or write stored offsets.
#[derive(Debug, thiserror::Error)]
pub enum OffsetStoreError {
    /// The offsets file could not be read or written.
    #[error("Offsets file {path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The offsets file exists but is not an offsets file (Java's format).
    #[error("Offsets file {path} is not a valid offsets file: {message}")]
    Corrupt {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An offset could not be serialized.
    #[error("Could not serialize source offsets: {0}")]
    Serialize(String),
    /// The background write task died.
    #[error("Offset store operation was interrupted: {0}")]
    Interrupted(String),
}

/// One partition's entry of a write batch; a `None` offset removes the partition (a
/// tombstone in Java's offsets topic).
pub type OffsetEntry = (OffsetMap, Option<OffsetMap>);

/// Durable storage of source offsets.
///
/// # Invariants
/// * `put` is atomic: after a crash, either every entry of the batch is visible or none.
/// * `put` returns only once the batch is durable.
/// * Methods block (file I/O); async callers use [`put_offsets`] / [`get_offset`].
pub trait OffsetBackingStore: Send + Sync {
    /// The committed offset of one source partition of `connector`.
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap>;
    /// Every partition of `connector` with its offset, in key order.
    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)>;
    /// Writes a batch of entries for `connector`.
    fn put(&self, connector: &str, entries: Vec<OffsetEntry>) -> Result<(), OffsetStoreError>;
}

/// Writes `entries` on a blocking thread.
pub async fn put_offsets(
    store: Arc<dyn OffsetBackingStore>,
    connector: String,
    entries: Vec<OffsetEntry>,
) -> Result<(), OffsetStoreError> {
    tokio::task::spawn_blocking(move || store.put(&connector, entries))
        .await
        .map_err(|e| OffsetStoreError::Interrupted(e.to_string()))?
}

/// The key bytes Java writes for a source partition: `["<connector>",{partition}]`, compact.
pub fn offset_key(connector: &str, partition: &OffsetMap) -> Vec<u8> {
    let key = serde_json::Value::Array(vec![
        serde_json::Value::String(connector.to_string()),
        serde_json::Value::Object(partition.clone()),
    ]);
    // Serializing a `Value` cannot fail: every key is a string.
    serde_json::to_vec(&key).unwrap_or_default()
}

/// Parses key bytes back into connector name and partition; `None` for a key that is not a
/// two-element array of a string and an object (Java ignores those too).
pub fn parse_offset_key(bytes: &[u8]) -> Option<(String, OffsetMap)> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut items = match value {
        serde_json::Value::Array(items) if items.len() == 2 => items,
        _ => return None,
    };
    let partition = match items.pop()? {
        serde_json::Value::Object(map) => map,
        _ => return None,
    };
    match items.pop()? {
        serde_json::Value::String(name) => Some((name, partition)),
        _ => None,
    }
}

/// Checks Java's rule that partition and offset maps hold only primitive values, with its
/// message (`OffsetUtils.validateFormat`, naming the Connect type of the value).
pub fn check_primitive(map: &OffsetMap) -> Result<(), String> {
    for (k, v) in map {
        if v.is_array() || v.is_object() {
            return Err(format!(
                "Offsets may only contain primitive types as values, but field {k} contains {}",
                if v.is_array() { "ARRAY" } else { "MAP" }
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(json: &str) -> OffsetMap {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn key_bytes_match_java() {
        let key = offset_key("my-file-source", &map(r#"{"filename":"in.txt"}"#));
        assert_eq!(key, br#"["my-file-source",{"filename":"in.txt"}]"#.to_vec());
        let (name, part) = parse_offset_key(&key).unwrap();
        assert_eq!(name, "my-file-source");
        assert_eq!(part, map(r#"{"filename":"in.txt"}"#));
    }

    #[test]
    fn malformed_keys_are_ignored() {
        assert!(parse_offset_key(b"[\"a\"]").is_none());
        assert!(parse_offset_key(b"[1,{}]").is_none());
        assert!(parse_offset_key(b"not json").is_none());
        assert!(parse_offset_key(b"[\"a\",null]").is_none());
    }

    #[test]
    fn non_primitive_values_are_rejected() {
        assert!(check_primitive(&map(r#"{"a":1,"b":"x","c":null}"#)).is_ok());
        assert_eq!(
            check_primitive(&map(r#"{"a":[1]}"#)),
            Err(
                "Offsets may only contain primitive types as values, but field a contains ARRAY"
                    .to_string()
            )
        );
        assert_eq!(
            check_primitive(&map(r#"{"m":{"x":1}}"#)),
            Err(
                "Offsets may only contain primitive types as values, but field m contains MAP"
                    .to_string()
            )
        );
    }
}
