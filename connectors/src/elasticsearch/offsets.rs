//! Which offsets are safe to commit (Confluent's `AsyncOffsetTracker`): per partition, every
//! record put is tracked until Elasticsearch acknowledged it (or it was skipped on purpose);
//! the committable offset is one past the highest offset such that it and every earlier
//! tracked record are done.
//!
//! Each partition's state carries an *epoch*, fresh every time the partition is (re)tracked
//! after `close`. Every tracked record gets its partition's epoch, and a completion whose epoch
//! is not the partition's current one (a late answer to a bulk request sent before the
//! partition was revoked) is ignored: it cannot release records of the new ownership.

use std::collections::{HashMap, VecDeque};

use sluice_api::TopicPartition;

/// The generation of a partition's tracking state (see the module documentation).
pub type Epoch = u64;

/// The state of one partition.
#[derive(Debug, Default)]
struct PartitionState {
    /// This state's epoch.
    epoch: Epoch,
    /// Tracked offsets not yet released, ascending (offsets are tracked in increasing
    /// order), each with whether it is done.
    pending: VecDeque<(i64, bool)>,
    /// The highest offset ever tracked.
    highest: Option<i64>,
    /// The next offset to commit, once anything was released.
    committable: Option<i64>,
}

/// Offsets of all assigned partitions.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<TopicPartition, PartitionState, foldhash::fast::RandomState>,
    pending_total: usize,
    /// The epoch of the last partition state created.
    last_epoch: Epoch,
}

impl OffsetTracker {
    /// Tracks a record about to be written; returns the epoch to complete it with. `None` for
    /// a re-delivered offset at or below one already tracked: it is not tracked twice.
    pub fn add(&mut self, tp: &TopicPartition, offset: i64) -> Option<Epoch> {
        if !self.partitions.contains_key(tp) {
            self.last_epoch += 1;
            self.partitions.insert(
                tp.clone(),
                PartitionState {
                    epoch: self.last_epoch,
                    ..PartitionState::default()
                },
            );
        }
        let state = self.partitions.get_mut(tp)?;
        if state.highest.is_some_and(|h| offset <= h) {
            return None;
        }
        state.highest = Some(offset);
        state.pending.push_back((offset, false));
        self.pending_total += 1;
        Some(state.epoch)
    }

    /// Marks a record tracked in `epoch` done and releases every done record at the head. A
    /// completion from an earlier epoch of the partition (tracked before `close`) is ignored.
    pub fn mark_done(&mut self, tp: &TopicPartition, offset: i64, epoch: Epoch) {
        let Some(state) = self.partitions.get_mut(tp) else {
            return;
        };
        if state.epoch != epoch {
            tracing::debug!(topic = %tp.topic, partition = tp.partition, offset,
                "Ignoring the completion of a record tracked before its partition was closed.");
            return;
        }
        if let Ok(i) = find_offset(&state.pending, offset) {
            state.pending[i].1 = true;
        }
        while let Some(&(o, true)) = state.pending.front() {
            state.pending.pop_front();
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

    /// Forgets revoked partitions; completions of their records still in flight are ignored
    /// from now on, even if the partition is assigned again.
    pub fn close(&mut self, partitions: &[TopicPartition]) {
        for tp in partitions {
            if let Some(s) = self.partitions.remove(tp) {
                self.pending_total = self.pending_total.saturating_sub(s.pending.len());
            }
        }
    }
}

/// The index of `offset` in `pending` (ordered by offset). A partition's records usually have
/// consecutive offsets, so the offset's distance from the first one is tried before a binary
/// search (compacted topics and transactions leave gaps).
fn find_offset(pending: &VecDeque<(i64, bool)>, offset: i64) -> Result<usize, usize> {
    let guess = pending
        .front()
        .and_then(|&(first, _)| usize::try_from(offset.checked_sub(first)?).ok());
    match guess {
        Some(i) if pending.get(i).is_some_and(|&(o, _)| o == offset) => Ok(i),
        _ => pending.binary_search_by_key(&offset, |&(o, _)| o),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_only_the_acknowledged_prefix() {
        let tp = TopicPartition::new("t", 0);
        let mut t = OffsetTracker::default();
        let mut e = 0;
        for o in 0..5 {
            e = t.add(&tp, o).expect("tracked");
        }
        assert!(t.committable().is_empty());
        t.mark_done(&tp, 1, e);
        t.mark_done(&tp, 2, e);
        assert!(t.committable().is_empty(), "offset 0 is not done yet");
        t.mark_done(&tp, 0, e);
        assert_eq!(t.committable()[&tp], 3);
        assert_eq!(t.pending(), 2);
        t.mark_done(&tp, 4, e);
        assert_eq!(t.committable()[&tp], 3);
        t.mark_done(&tp, 3, e);
        assert_eq!(t.committable()[&tp], 5);
        assert_eq!(t.pending(), 0);
    }

    #[test]
    fn offsets_with_gaps_are_found_too() {
        // A compacted topic: offsets 10, 11, 15, 16, 20.
        let tp = TopicPartition::new("t", 0);
        let mut t = OffsetTracker::default();
        let mut e = 0;
        for o in [10, 11, 15, 16, 20] {
            e = t.add(&tp, o).expect("tracked");
        }
        // 15 is at index 2, not at 15 - 10; 12 was never tracked.
        t.mark_done(&tp, 15, e);
        t.mark_done(&tp, 12, e);
        t.mark_done(&tp, 10, e);
        t.mark_done(&tp, 11, e);
        assert_eq!(t.committable()[&tp], 16, "10, 11 and 15 are done");
        t.mark_done(&tp, 20, e);
        t.mark_done(&tp, 16, e);
        assert_eq!(t.committable()[&tp], 21);
        assert_eq!(t.pending(), 0);
    }

    #[test]
    fn redelivered_offsets_are_not_tracked_twice_and_close_forgets() {
        let tp = TopicPartition::new("t", 1);
        let mut t = OffsetTracker::default();
        assert!(t.add(&tp, 10).is_some());
        assert!(t.add(&tp, 10).is_none());
        assert!(t.add(&tp, 3).is_none());
        assert_eq!(t.pending(), 1);
        t.close(std::slice::from_ref(&tp));
        assert_eq!(t.pending(), 0);
        assert!(t.committable().is_empty());
    }

    #[test]
    fn late_completion_from_before_a_revoke_does_not_release_the_new_ownership() {
        let tp = TopicPartition::new("t", 2);
        let mut t = OffsetTracker::default();
        // First ownership: offsets 5 and 6 sent in one bulk request, still in flight.
        let old = t.add(&tp, 5).expect("tracked");
        assert_eq!(t.add(&tp, 6), Some(old));
        // Revoked, then assigned back: 5 and 6 are delivered again and sent again.
        t.close(std::slice::from_ref(&tp));
        let new = t.add(&tp, 5).expect("tracked again after close");
        assert_ne!(new, old);
        assert_eq!(t.add(&tp, 6), Some(new));
        // The first request answers late: it must not release the new records.
        t.mark_done(&tp, 5, old);
        t.mark_done(&tp, 6, old);
        assert!(t.committable().is_empty(), "{:?}", t.committable());
        assert_eq!(t.pending(), 2);
        // The new request's answers do.
        t.mark_done(&tp, 5, new);
        t.mark_done(&tp, 6, new);
        assert_eq!(t.committable()[&tp], 7);
        assert_eq!(t.pending(), 0);
    }
}
