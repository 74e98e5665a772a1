//! Which offsets are safe to commit (Confluent's `AsyncOffsetTracker`): per partition, every
//! record put is tracked until Elasticsearch acknowledged it (or it was skipped on purpose);
//! the committable offset is one past the highest offset such that it and every earlier
//! tracked record are done.

use std::collections::{BTreeMap, HashMap};

use sluice_api::TopicPartition;

/// The state of one partition.
#[derive(Debug, Default)]
struct PartitionState {
    /// Tracked offsets not yet released: offset → done.
    pending: BTreeMap<i64, bool>,
    /// The highest offset ever tracked.
    highest: Option<i64>,
    /// The next offset to commit, once anything was released.
    committable: Option<i64>,
}

/// Offsets of all assigned partitions.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<TopicPartition, PartitionState>,
    pending_total: usize,
}

impl OffsetTracker {
    /// Tracks a record about to be written. Returns false for a re-delivered offset at or
    /// below one already tracked: it is not tracked twice.
    pub fn add(&mut self, tp: &TopicPartition, offset: i64) -> bool {
        let state = self.partitions.entry(tp.clone()).or_default();
        if state.highest.is_some_and(|h| offset <= h) {
            return false;
        }
        state.highest = Some(offset);
        state.pending.insert(offset, false);
        self.pending_total += 1;
        true
    }

    /// Marks a tracked record done and releases every done record at the head.
    pub fn mark_done(&mut self, tp: &TopicPartition, offset: i64) {
        let Some(state) = self.partitions.get_mut(tp) else {
            return;
        };
        if let Some(done) = state.pending.get_mut(&offset) {
            *done = true;
        }
        while let Some(entry) = state.pending.first_entry() {
            if !*entry.get() {
                break;
            }
            let (o, _) = entry.remove_entry();
            state.committable = Some(o + 1);
            self.pending_total = self.pending_total.saturating_sub(1);
        }
    }

    /// The offsets safe to commit, for partitions with something released.
    pub fn committable(&self) -> HashMap<TopicPartition, i64> {
        self.partitions
            .iter()
            .filter_map(|(tp, s)| s.committable.map(|o| (tp.clone(), o)))
            .collect()
    }

    /// Tracked records not yet released (done or not), across partitions.
    pub fn pending(&self) -> usize {
        self.pending_total
    }

    /// Forgets revoked partitions.
    pub fn close(&mut self, partitions: &[TopicPartition]) {
        for tp in partitions {
            if let Some(s) = self.partitions.remove(tp) {
                self.pending_total = self.pending_total.saturating_sub(s.pending.len());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_only_the_acknowledged_prefix() {
        let tp = TopicPartition::new("t", 0);
        let mut t = OffsetTracker::default();
        for o in 0..5 {
            assert!(t.add(&tp, o));
        }
        assert!(t.committable().is_empty());
        t.mark_done(&tp, 1);
        t.mark_done(&tp, 2);
        assert!(t.committable().is_empty(), "offset 0 is not done yet");
        t.mark_done(&tp, 0);
        assert_eq!(t.committable()[&tp], 3);
        assert_eq!(t.pending(), 2);
        t.mark_done(&tp, 4);
        assert_eq!(t.committable()[&tp], 3);
        t.mark_done(&tp, 3);
        assert_eq!(t.committable()[&tp], 5);
        assert_eq!(t.pending(), 0);
    }

    #[test]
    fn redelivered_offsets_are_not_tracked_twice_and_close_forgets() {
        let tp = TopicPartition::new("t", 1);
        let mut t = OffsetTracker::default();
        assert!(t.add(&tp, 10));
        assert!(!t.add(&tp, 10));
        assert!(!t.add(&tp, 3));
        assert_eq!(t.pending(), 1);
        t.close(std::slice::from_ref(&tp));
        assert_eq!(t.pending(), 0);
        assert!(t.committable().is_empty());
    }
}
