//! Which source offsets may be committed (Java's `SubmittedRecords`).
//!
//! Every record handed to the producer is submitted here, in poll order. An offset becomes
//! committable only when its record and every earlier record of the same source partition
//! were acknowledged by Kafka; so a crash never skips a record that was not written.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use sluice_api::{OffsetMap, SourceOffset};

/// Handle of one submitted record: its number and the slot of its source partition's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    seq: u64,
    slot: u32,
}

#[derive(Debug)]
struct Pending {
    seq: u64,
    offset: Option<SourceOffset>,
    acked: bool,
}

#[derive(Debug)]
struct PartitionQueue {
    partition: Option<Arc<OffsetMap>>,
    /// Its key in `SubmittedRecords::slot_by_key`.
    key: Arc<[u8]>,
    queue: VecDeque<Pending>,
    /// The offset of the newest record of the acknowledged prefix, not yet handed out by
    /// `committable`. Acknowledged records leave `queue` at once, so memory stays bounded by
    /// the records in flight, not by the flush interval.
    acked_offset: Option<SourceOffset>,
}

/// Submitted, not yet committable records, per source partition.
///
/// Each source partition with records in flight has a queue in a slot; a record's handle
/// names the slot, so acknowledging it neither hashes its partition nor touches a shared
/// reference count. A slot is freed (and may be reused) once its queue is empty and its
/// offset handed out; a handle kept past that finds no record with its number there.
#[derive(Debug, Default)]
pub struct SubmittedRecords {
    next_seq: u64,
    slots: Vec<Option<PartitionQueue>>,
    free: Vec<u32>,
    /// The slot of each source partition (by its key, the partition's JSON with sorted keys).
    slot_by_key: HashMap<Arc<[u8]>, u32, foldhash::fast::RandomState>,
    in_flight: usize,
    /// The source partition of the newest submitted record and its slot: most tasks submit
    /// long runs of records of one partition (usually sharing one map), so it is looked up
    /// once per run.
    last: Option<(Arc<OffsetMap>, u32)>,
    /// The slot of records without a source partition.
    none_slot: Option<u32>,
}

fn partition_key(partition: Option<&OffsetMap>) -> Vec<u8> {
    match partition {
        None => Vec::new(),
        Some(p) => {
            let sorted: BTreeMap<&String, &serde_json::Value> = p.iter().collect();
            let mut key = vec![b'p'];
            key.extend(serde_json::to_vec(&sorted).unwrap_or_default());
            key
        }
    }
}

/// The index of the record numbered `seq` in `queue` (ordered by number). A partition whose
/// records are numbered consecutively (a task with one source partition) is found directly,
/// others by binary search.
fn find_pending(queue: &VecDeque<Pending>, seq: u64) -> Result<usize, usize> {
    let guess = queue
        .front()
        .and_then(|first| usize::try_from(seq.checked_sub(first.seq)?).ok());
    match guess {
        Some(i) if queue.get(i).is_some_and(|p| p.seq == seq) => Ok(i),
        _ => queue.binary_search_by_key(&seq, |p| p.seq),
    }
}

impl SubmittedRecords {
    /// Nothing submitted.
    pub fn new() -> Self {
        Self::default()
    }

    /// The slot of `partition`'s queue, created if it has none.
    fn slot_of(&mut self, partition: Option<&Arc<OffsetMap>>) -> u32 {
        match (partition, &self.last, self.none_slot) {
            (None, _, Some(slot)) => return slot,
            (Some(p), Some((last, slot)), _) if Arc::ptr_eq(last, p) || last == p => return *slot,
            _ => {}
        }
        let key: Arc<[u8]> = Arc::from(partition_key(partition.map(|p| &**p)));
        let slot = match self.slot_by_key.get(&key) {
            Some(&slot) => slot,
            None => {
                let queue = PartitionQueue {
                    partition: partition.cloned(),
                    key: key.clone(),
                    queue: VecDeque::new(),
                    acked_offset: None,
                };
                let slot = match self.free.pop() {
                    Some(slot) => {
                        self.slots[slot as usize] = Some(queue);
                        slot
                    }
                    None => {
                        self.slots.push(Some(queue));
                        u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
                    }
                };
                self.slot_by_key.insert(key, slot);
                slot
            }
        };
        match partition {
            Some(p) => self.last = Some((p.clone(), slot)),
            None => self.none_slot = Some(slot),
        }
        slot
    }

    /// Submits a record with its source partition and offset (either may be absent: such
    /// records are tracked for completion but commit no offset).
    pub fn submit(
        &mut self,
        partition: Option<&Arc<OffsetMap>>,
        offset: Option<SourceOffset>,
    ) -> Submitted {
        let offset = if partition.is_some() { offset } else { None };
        self.submit_with(partition, offset)
    }

    /// Submits a record whose offset is handed over later, when it is acknowledged
    /// ([`Self::ack_with_offset`]): the caller keeps the record until then anyway, so its
    /// offset need not be copied.
    pub fn submit_deferred(&mut self, partition: Option<&Arc<OffsetMap>>) -> Submitted {
        self.submit_with(partition, None)
    }

    fn submit_with(
        &mut self,
        partition: Option<&Arc<OffsetMap>>,
        offset: Option<SourceOffset>,
    ) -> Submitted {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = self.slot_of(partition);
        if let Some(Some(queue)) = self.slots.get_mut(slot as usize) {
            queue.queue.push_back(Pending {
                seq,
                offset,
                acked: false,
            });
        }
        self.in_flight += 1;
        Submitted { seq, slot }
    }

    /// Marks a record acknowledged; `false` if it was unknown (already acked or never
    /// submitted).
    pub fn ack(&mut self, id: &Submitted) -> bool {
        self.ack_with_offset(id, None)
    }

    /// Marks a record acknowledged, with its source offset when it was submitted without one
    /// ([`Self::submit_deferred`]; records without a source partition commit no offset, so
    /// theirs is dropped); `false` if it was unknown (already acked or never submitted).
    pub fn ack_with_offset(&mut self, id: &Submitted, offset: Option<SourceOffset>) -> bool {
        let Some(Some(queue)) = self.slots.get_mut(id.slot as usize) else {
            return false;
        };
        match find_pending(&queue.queue, id.seq) {
            Ok(i) if !queue.queue[i].acked => {
                queue.queue[i].acked = true;
                if offset.is_some() && queue.partition.is_some() {
                    queue.queue[i].offset = offset;
                }
                self.in_flight -= 1;
                while queue.queue.front().is_some_and(|p| p.acked) {
                    if let Some(p) = queue.queue.pop_front() {
                        if p.offset.is_some() {
                            queue.acked_offset = p.offset;
                        }
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// Removes the acknowledged prefix of every partition and returns the latest offset of
    /// each prefix: the offsets that are now safe to commit. Partitions with nothing left in
    /// flight give up their slots.
    pub fn committable(&mut self) -> Vec<(OffsetMap, OffsetMap)> {
        let mut out = Vec::new();
        for (slot, entry) in self.slots.iter_mut().enumerate() {
            let Some(q) = entry else { continue };
            if let (Some(partition), Some(offset)) = (&q.partition, q.acked_offset.take()) {
                out.push((OffsetMap::clone(partition), offset.into_map()));
            }
            if q.queue.is_empty() {
                self.slot_by_key.remove(&q.key);
                *entry = None;
                let slot = u32::try_from(slot).unwrap_or(u32::MAX);
                self.free.push(slot);
                if self.last.as_ref().is_some_and(|(_, s)| *s == slot) {
                    self.last = None;
                }
                if self.none_slot == Some(slot) {
                    self.none_slot = None;
                }
            }
        }
        out
    }

    /// Records submitted and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Records not yet acknowledged per source partition (`None` for records without one),
    /// most first: what a final commit leaves uncommitted.
    pub fn unacknowledged(&self) -> Vec<(Option<OffsetMap>, usize)> {
        let mut out: Vec<(Option<OffsetMap>, usize)> = self
            .slots
            .iter()
            .flatten()
            .map(|q| {
                (
                    q.partition.as_deref().cloned(),
                    q.queue.iter().filter(|p| !p.acked).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        out.sort_by_cached_key(|(p, n)| {
            let name = p
                .as_ref()
                .map(|p| serde_json::to_string(p).unwrap_or_default());
            (std::cmp::Reverse(*n), name)
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(json: &str) -> SourceOffset {
        map(json).into()
    }

    fn map(json: &str) -> OffsetMap {
        serde_json::from_str(json).unwrap()
    }

    fn shared(json: &str) -> Arc<OffsetMap> {
        Arc::new(map(json))
    }

    #[test]
    fn only_the_contiguous_acked_prefix_commits() {
        let a = shared(r#"{"f":"a"}"#);
        let b = shared(r#"{"f":"b"}"#);
        let mut s = SubmittedRecords::new();
        let a1 = s.submit(Some(&a), Some(offset(r#"{"p":1}"#)));
        let a2 = s.submit(Some(&a), Some(offset(r#"{"p":2}"#)));
        let b1 = s.submit(Some(&b), Some(offset(r#"{"p":10}"#)));
        // An equal map that is not the same allocation is the same source partition.
        let a_again = shared(r#"{"f":"a"}"#);
        let a3 = s.submit(Some(&a_again), Some(offset(r#"{"p":3}"#)));
        let none = s.submit(None, None);
        assert_eq!(s.in_flight(), 5);

        // a2 acked before a1: nothing of `a` may commit yet.
        assert!(s.ack(&a2));
        assert!(s.ack(&b1));
        assert!(!s.ack(&b1), "double ack is ignored");
        assert_eq!(s.committable(), vec![((*b).clone(), map(r#"{"p":10}"#))]);

        assert!(s.ack(&a1));
        assert_eq!(s.committable(), vec![((*a).clone(), map(r#"{"p":2}"#))]);
        assert!(s.committable().is_empty(), "already taken");

        assert_eq!(s.unacknowledged(), vec![(None, 1), (Some((*a).clone()), 1)]);
        assert!(s.ack(&none));
        assert!(s.ack(&a3));
        assert!(s.unacknowledged().is_empty());
        assert_eq!(s.committable(), vec![((*a).clone(), map(r#"{"p":3}"#))]);
        assert_eq!(s.in_flight(), 0);
    }

    #[test]
    fn deferred_offsets_commit_only_for_the_acked_prefix() {
        let a = shared(r#"{"f":"a"}"#);
        let b = shared(r#"{"f":"b"}"#);
        let mut s = SubmittedRecords::new();
        let a1 = s.submit_deferred(Some(&a));
        let b1 = s.submit_deferred(Some(&b));
        let a2 = s.submit_deferred(Some(&a));
        let none = s.submit_deferred(None);
        assert_eq!(s.in_flight(), 4);

        assert!(s.ack_with_offset(&a2, Some(offset(r#"{"p":2}"#))));
        assert!(s.committable().is_empty(), "a1 is not acknowledged yet");
        assert!(s.ack_with_offset(&a1, Some(offset(r#"{"p":1}"#))));
        assert!(
            !s.ack_with_offset(&a1, Some(offset(r#"{"p":9}"#))),
            "double ack is ignored"
        );
        assert!(s.ack_with_offset(&none, Some(offset(r#"{"p":5}"#))));
        assert_eq!(s.committable(), vec![((*a).clone(), map(r#"{"p":2}"#))]);

        // The partition key is cached per run of one partition; switching back and forth
        // still keeps the partitions apart.
        let b2 = s.submit_deferred(Some(&b));
        let a3 = s.submit_deferred(Some(&a));
        assert!(s.ack_with_offset(&b2, Some(offset(r#"{"p":20}"#))));
        assert!(s.committable().is_empty(), "b1 is not acknowledged yet");
        assert!(s.ack_with_offset(&b1, Some(offset(r#"{"p":10}"#))));
        assert!(s.ack_with_offset(&a3, Some(offset(r#"{"p":3}"#))));
        let mut committable = s.committable();
        committable.sort_by_key(|(p, _)| serde_json::to_string(p).unwrap());
        assert_eq!(
            committable,
            vec![
                ((*a).clone(), map(r#"{"p":3}"#)),
                ((*b).clone(), map(r#"{"p":20}"#))
            ]
        );
        assert_eq!(s.in_flight(), 0);
    }

    #[test]
    fn a_freed_slot_serves_another_partition_and_old_handles_miss() {
        let a = shared(r#"{"f":"a"}"#);
        let mut s = SubmittedRecords::new();
        // `a`'s queue empties and its offset is handed out: its slot is freed...
        let a1 = s.submit(Some(&a), Some(offset(r#"{"p":1}"#)));
        assert!(s.ack(&a1));
        assert_eq!(s.committable(), vec![((*a).clone(), map(r#"{"p":1}"#))]);
        // ...and serves the records without a partition next.
        let n1 = s.submit(None, None);
        assert!(!s.ack(&a1), "a handle of the freed slot finds nothing");
        // `a` gets a slot of its own again, not the one it last had.
        let a2 = s.submit(Some(&a), Some(offset(r#"{"p":2}"#)));
        assert_eq!(s.unacknowledged(), vec![(None, 1), (Some((*a).clone()), 1)]);
        // The same the other way round: the slot of the records without a partition is freed
        // and taken by `a`; such records then get another one.
        assert!(s.ack(&n1));
        assert!(s.ack(&a2));
        assert_eq!(s.committable(), vec![((*a).clone(), map(r#"{"p":2}"#))]);
        let n2 = s.submit(None, None);
        let a3 = s.submit(Some(&a), Some(offset(r#"{"p":3}"#)));
        let n3 = s.submit(None, None);
        assert_eq!(s.unacknowledged(), vec![(None, 2), (Some((*a).clone()), 1)]);
        assert!(s.ack(&n2) && s.ack(&n3) && s.ack(&a3));
        assert_eq!(s.committable(), vec![((*a).clone(), map(r#"{"p":3}"#))]);
        assert_eq!(s.in_flight(), 0);
    }
}
