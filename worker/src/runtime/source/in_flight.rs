//! The records a source task sent and Kafka has not acknowledged yet, by sequence number.

use std::collections::VecDeque;

/// Entries by sequence number. Sequences are handed out consecutively (wrapping at a mask)
/// and acknowledgements arrive roughly in order, so a ring of slots starting at the oldest
/// unacknowledged sequence does the job of a hash map without hashing.
pub(super) struct InFlightTable<T> {
    /// The sequence of `slots[0]`.
    base: usize,
    /// One slot per sequence from `base`; `None` once removed (or never sent).
    slots: VecDeque<Option<T>>,
    mask: usize,
}

impl<T> InFlightTable<T> {
    /// An empty table for sequences that wrap at `mask` (a power of two minus one).
    pub(super) fn new(mask: usize) -> Self {
        InFlightTable {
            base: 0,
            slots: VecDeque::new(),
            mask,
        }
    }

    fn index(&self, sequence: usize) -> usize {
        sequence.wrapping_sub(self.base) & self.mask
    }

    /// Adds the entry of `sequence`, which comes after every sequence inserted before (a
    /// sequence skipped, of a record that was not sent, leaves an empty slot).
    pub(super) fn insert(&mut self, sequence: usize, value: T) {
        if self.slots.is_empty() {
            self.base = sequence & self.mask;
        }
        let index = self.index(sequence);
        if index < self.slots.len() {
            self.slots[index] = Some(value);
            return;
        }
        while self.slots.len() < index {
            self.slots.push_back(None);
        }
        self.slots.push_back(Some(value));
    }

    /// Takes the entry of `sequence` out; `None` when there is none (unknown, or already
    /// removed).
    pub(super) fn remove(&mut self, sequence: usize) -> Option<T> {
        let index = self.index(sequence);
        let value = self.slots.get_mut(index)?.take()?;
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base = self.base.wrapping_add(1) & self.mask;
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_out_by_sequence_in_any_order_across_gaps_and_wrap_around() {
        let mask = (1 << 4) - 1;
        let mut t = InFlightTable::new(mask);
        // 14, 15, then 0, 1 after wrapping; 2 is skipped (not sent); 3 follows.
        for s in [14, 15, 0, 1, 3] {
            t.insert(s, s * 10);
        }
        assert_eq!(t.remove(0), Some(0));
        assert_eq!(t.remove(0), None, "already removed");
        assert_eq!(t.remove(2), None, "never inserted");
        assert_eq!(t.remove(15), Some(150));
        assert_eq!(t.remove(14), Some(140));
        assert_eq!(t.remove(14), None, "behind the oldest entry");
        assert_eq!(t.remove(3), Some(30));
        assert_eq!(t.remove(1), Some(10));
        assert!(t.slots.is_empty(), "every slot is released");
        // Empty again: the next sequence starts a new run wherever it is.
        t.insert(9, 90);
        assert_eq!(t.remove(9), Some(90));
        assert!(t.slots.is_empty());
    }
}
