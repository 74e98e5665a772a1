//! [`FileOffsetBackingStore`]: source offsets in `offset.storage.file.filename`.
//!
//! # File format
//!
//! The same as Java's standalone worker: a Java Object Serialization stream of one
//! `java.util.HashMap<byte[],byte[]>` (see [`super::java_serialization`]), whose keys and values
//! are exactly the offsets-topic bytes:
//!
//! * key: the compact JSON array `["<connector name>",{<source partition>}]`,
//!   e.g. `["my-file-source",{"filename":"in.txt"}]`;
//! * value: the compact JSON of the source offset map, e.g. `{"position":1234}`; a null value
//!   (which Java keeps for a reset partition) means "no offset".
//!
//! So an offsets file written by `connect-standalone` is picked up by Sluice, and the other way
//! round. Entries are written sorted by connector and partition; a removed partition (an
//! offset reset, or a PATCH with a `null` offset) has no entry.
//!
//! The whole file is rewritten on every flush: written to `<file>.tmp`, fsynced, renamed over
//! the file, and the directory fsynced, so a crash leaves either the old or the new file.
//! A missing or empty file means "no offsets". A file in any other format is an error at
//! start-up rather than a silent reset of every connector's position.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sluice_api::OffsetMap;

use super::java_serialization::{read_byte_array_map, write_byte_array_map, RawEntry};
use super::table::OffsetTable;
use super::{OffsetBackingStore, OffsetEntry, OffsetStoreError};

/// Offsets persisted in one file.
#[derive(Debug)]
pub struct FileOffsetBackingStore {
    path: PathBuf,
    table: Mutex<OffsetTable>,
}

impl FileOffsetBackingStore {
    /// Opens the store, loading the file if it exists.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, OffsetStoreError> {
        let path = path.into();
        let table = load(&path)?;
        Ok(FileOffsetBackingStore {
            path,
            table: Mutex::new(table),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn load(path: &Path) -> Result<OffsetTable, OffsetStoreError> {
    let io = |source| OffsetStoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OffsetTable::default()),
        Err(e) => return Err(io(e)),
    };
    let corrupt = |message: String| OffsetStoreError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let entries = read_byte_array_map(&bytes).map_err(|e| {
        corrupt(format!(
            "expected Java's serialized HashMap<byte[],byte[]> of offsets: {e}"
        ))
    })?;
    let mut table = OffsetTable::default();
    for (key, value) in entries {
        let (Some(key), Some(value)) = (key, value) else {
            // A null key cannot name a partition; a null value is a reset partition.
            continue;
        };
        let shown = String::from_utf8_lossy(&key).into_owned();
        let offset: OffsetMap = match serde_json::from_slice(&value) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(serde_json::Value::Null) => continue,
            Ok(other) => {
                return Err(corrupt(format!(
                    "the value of key {shown} is not a JSON object: {other}"
                )))
            }
            Err(e) => {
                return Err(corrupt(format!(
                    "the value of key {shown} is not JSON: {e}"
                )))
            }
        };
        if !table.insert_raw(key, offset) {
            tracing::warn!(
                key = %shown,
                file = %path.display(),
                "Ignoring offset entry whose key is not [\"<connector>\",{{partition}}]."
            );
        }
    }
    Ok(table)
}

fn save(path: &Path, table: &OffsetTable) -> Result<(), OffsetStoreError> {
    let io = |source| OffsetStoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let entries = table
        .iter()
        .map(|e| {
            let value = serde_json::to_vec(&e.offset)
                .map_err(|err| OffsetStoreError::Serialize(err.to_string()))?;
            Ok((Some(e.key.clone()), Some(value)))
        })
        .collect::<Result<Vec<RawEntry>, OffsetStoreError>>()?;
    let bytes = write_byte_array_map(&entries);
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    {
        let mut file = fs::File::create(&tmp).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        // Make the rename durable; not every platform can open a directory, so a failure
        // here is not fatal.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

impl OffsetBackingStore for FileOffsetBackingStore {
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
        let mut next = table.clone();
        next.apply(connector, entries);
        save(&self.path, &next)?;
        *table = next;
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
    fn offsets_survive_reopen_in_documented_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offsets.json");
        let store = FileOffsetBackingStore::open(&path).unwrap();
        assert!(store.connector_offsets("src").is_empty());
        store
            .put(
                "src",
                vec![(
                    map(r#"{"filename":"in.txt"}"#),
                    Some(map(r#"{"position":12}"#)),
                )],
            )
            .unwrap();
        store
            .put(
                "other",
                vec![(map(r#"{"filename":"b"}"#), Some(map(r#"{"position":1}"#)))],
            )
            .unwrap();
        let raw = read_byte_array_map(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            raw,
            vec![
                (
                    Some(br#"["other",{"filename":"b"}]"#.to_vec()),
                    Some(br#"{"position":1}"#.to_vec())
                ),
                (
                    Some(br#"["src",{"filename":"in.txt"}]"#.to_vec()),
                    Some(br#"{"position":12}"#.to_vec())
                ),
            ]
        );
        assert!(!dir.path().join("offsets.json.tmp").exists());

        let reopened = FileOffsetBackingStore::open(&path).unwrap();
        assert_eq!(
            reopened.get("src", &map(r#"{"filename":"in.txt"}"#)),
            Some(map(r#"{"position":12}"#))
        );
        reopened
            .put("src", vec![(map(r#"{"filename":"in.txt"}"#), None)])
            .unwrap();
        let again = FileOffsetBackingStore::open(&path).unwrap();
        assert!(again.connector_offsets("src").is_empty());
        assert_eq!(again.connector_offsets("other").len(), 1);
    }

    #[test]
    fn missing_and_empty_files_are_no_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none");
        assert!(FileOffsetBackingStore::open(&path).is_ok());
        fs::write(&path, "").unwrap();
        assert!(FileOffsetBackingStore::open(&path).is_ok());
    }

    #[test]
    fn garbage_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad");
        fs::write(&path, "{not json").unwrap();
        let err = FileOffsetBackingStore::open(&path).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        fs::write(&path, [0xAC, 0xED, 0x00, 0x05]).unwrap();
        let err = FileOffsetBackingStore::open(&path).unwrap_err().to_string();
        assert!(err.contains("HashMap<byte[],byte[]>"), "{err}");
    }

    #[test]
    fn reads_a_file_written_by_java() {
        // What Java's FileOffsetBackingStore writes for one file-source partition plus a
        // reset partition (null value).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        let java = write_byte_array_map(&[
            (
                Some(br#"["local-file-source",{"filename":"/tmp/in.txt"}]"#.to_vec()),
                Some(br#"{"position":42}"#.to_vec()),
            ),
            (Some(br#"["gone",{"filename":"x"}]"#.to_vec()), None),
        ]);
        fs::write(&path, java).unwrap();
        let store = FileOffsetBackingStore::open(&path).unwrap();
        assert_eq!(
            store.get("local-file-source", &map(r#"{"filename":"/tmp/in.txt"}"#)),
            Some(map(r#"{"position":42}"#))
        );
        assert!(store.connector_offsets("gone").is_empty());
    }
}
