//! The flush rules of Confluent's `BufferedRecords`, one buffer per destination table:
//! a batch holds records of one key/value schema pair and flushes when `batch.size` is
//! reached, when a schema changes (a tombstone's missing value schema is not a change), and
//! before a record that follows a tombstone (so that an insert after a delete of the same key
//! is not lost).

use sluice_api::SchemaRef;

/// Schema equality as Java's `Objects.equals` (pointer first, then deep).
pub fn same_schema(a: Option<&SchemaRef>, b: Option<&SchemaRef>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => std::sync::Arc::ptr_eq(x, y) || x == y,
        (None, None) => true,
        _ => false,
    }
}

/// What the buffer must do before taking a record.
#[derive(Debug, Default, PartialEq)]
pub struct Before {
    /// Records to flush first (in order).
    pub flush: Option<Vec<usize>>,
    /// Whether the statements must be rebuilt from this record's schemas.
    pub reinit: bool,
}

/// One table's buffered records (indices into the put's records).
#[derive(Debug)]
pub struct TableBuffer {
    batch_size: usize,
    delete_enabled: bool,
    key_schema: Option<SchemaRef>,
    value_schema: Option<SchemaRef>,
    initialized: bool,
    deletes_in_batch: bool,
    records: Vec<usize>,
}

impl TableBuffer {
    /// An empty buffer.
    pub fn new(batch_size: usize, delete_enabled: bool) -> TableBuffer {
        TableBuffer {
            batch_size,
            delete_enabled,
            key_schema: None,
            value_schema: None,
            initialized: false,
            deletes_in_batch: false,
            records: Vec::new(),
        }
    }

    /// The first half of `BufferedRecords.add`: which records to flush and whether to rebuild
    /// the statements before the record with these schemas goes in.
    pub fn before(
        &mut self,
        key_schema: Option<&SchemaRef>,
        value_schema: Option<&SchemaRef>,
    ) -> Before {
        let mut out = Before::default();
        let mut changed = false;
        if !same_schema(self.key_schema.as_ref(), key_schema) {
            self.key_schema = key_schema.cloned();
            changed = true;
        }
        match value_schema {
            None => {
                if self.delete_enabled {
                    self.deletes_in_batch = true;
                }
            }
            Some(v) if same_schema(self.value_schema.as_ref(), Some(v)) => {
                if self.delete_enabled && self.deletes_in_batch {
                    out.flush = self.take();
                }
            }
            Some(v) => {
                self.value_schema = Some(v.clone());
                changed = true;
            }
        }
        if changed || !self.initialized {
            if let Some(more) = self.take() {
                out.flush.get_or_insert_with(Vec::new).extend(more);
            }
            self.initialized = true;
            out.reinit = true;
        }
        out
    }

    /// The second half: buffers the record; returns the batch when `batch.size` is reached.
    pub fn push(&mut self, index: usize, is_delete: bool) -> Option<Vec<usize>> {
        if is_delete && self.delete_enabled {
            self.deletes_in_batch = true;
        }
        self.records.push(index);
        if self.records.len() >= self.batch_size {
            return self.take();
        }
        None
    }

    /// Everything buffered (`flush`), or `None` when empty.
    pub fn take(&mut self) -> Option<Vec<usize>> {
        if self.records.is_empty() {
            return None;
        }
        self.deletes_in_batch = false;
        Some(std::mem::take(&mut self.records))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::{schemas, SchemaBuilder};

    fn value_a() -> SchemaRef {
        SchemaBuilder::struct_()
            .field("a", schemas::int32())
            .unwrap()
            .build_ref()
    }

    fn value_b() -> SchemaRef {
        SchemaBuilder::struct_()
            .field("b", schemas::int32())
            .unwrap()
            .build_ref()
    }

    #[test]
    fn flushes_at_batch_size() {
        let mut b = TableBuffer::new(2, false);
        let v = value_a();
        assert!(b.before(None, Some(&v)).reinit);
        assert_eq!(b.push(0, false), None);
        assert_eq!(b.before(None, Some(&v)), Before::default());
        assert_eq!(b.push(1, false), Some(vec![0, 1]));
        b.before(None, Some(&v));
        assert_eq!(b.push(2, false), None);
        assert_eq!(b.take(), Some(vec![2]));
    }

    #[test]
    fn a_schema_change_flushes_and_rebuilds() {
        let mut b = TableBuffer::new(100, false);
        b.before(None, Some(&value_a()));
        b.push(0, false);
        // An equal schema in another Arc is no change.
        assert_eq!(b.before(None, Some(&value_a())), Before::default());
        b.push(1, false);
        let step = b.before(None, Some(&value_b()));
        assert_eq!(step.flush, Some(vec![0, 1]));
        assert!(step.reinit);
        b.push(2, false);
        let key = schemas::int64();
        let step = b.before(Some(&key), Some(&value_b()));
        assert_eq!(step.flush, Some(vec![2]));
        assert!(step.reinit);
    }

    #[test]
    fn a_record_after_a_tombstone_flushes_first() {
        let key = schemas::int64();
        let v = value_a();
        let mut b = TableBuffer::new(100, true);
        b.before(Some(&key), Some(&v));
        b.push(0, false);
        // The tombstone (no value schema) is not a schema change.
        assert_eq!(b.before(Some(&key), None), Before::default());
        b.push(1, true);
        let step = b.before(Some(&key), Some(&v));
        assert_eq!(step.flush, Some(vec![0, 1]));
        assert!(!step.reinit);
        b.push(2, false);
        assert_eq!(b.take(), Some(vec![2]));
        // Without deletes enabled a tombstone never forces a flush.
        let mut plain = TableBuffer::new(100, false);
        plain.before(Some(&key), Some(&v));
        plain.push(0, false);
        plain.before(Some(&key), None);
        plain.push(1, true);
        assert_eq!(plain.before(Some(&key), Some(&v)), Before::default());
    }
}
