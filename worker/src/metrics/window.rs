//! Java's sampled statistics (`SampledStat`: `Rate`, `Avg`, `Max`, `Frequencies`) over
//! `metrics.num.samples` windows of `metrics.sample.window.ms`, kept off the record path.
//!
//! The record path only adds to monotonic totals and raises per-window maxima (atomics). A
//! sampler snapshots the totals at each window boundary ([`Window::rotate`]); a scrape
//! compares the totals now with the snapshot at the start of the oldest window kept
//! ([`Window::view`]). As Java's `Rate`, the elapsed time is at least `num.samples - 1` full
//! windows, so a rate does not jump when a task has just started.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// `metrics.sample.window.ms` and `metrics.num.samples`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowConfig {
    /// The length of one window.
    pub window: Duration,
    /// How many windows a value covers (the current one included).
    pub samples: usize,
}

#[derive(Debug)]
struct Snapshot {
    at: Instant,
    totals: Vec<u64>,
}

/// The window boundaries of one set of totals and maxima.
#[derive(Debug)]
pub struct Window {
    config: WindowConfig,
    /// Totals at the start of each window kept, oldest first (the last is the current one's).
    starts: VecDeque<Snapshot>,
    /// The maxima of the completed windows kept, oldest first.
    maxima: VecDeque<Vec<u64>>,
}

/// Values over the windows, as of one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowView {
    deltas: Vec<u64>,
    elapsed_s: f64,
    maxima: Vec<u64>,
}

impl Window {
    /// Windows starting at `start` with `totals`.
    pub fn new(config: WindowConfig, start: Instant, totals: Vec<u64>) -> Self {
        let mut starts = VecDeque::with_capacity(config.samples.max(1) + 1);
        starts.push_back(Snapshot { at: start, totals });
        Window {
            config,
            starts,
            maxima: VecDeque::new(),
        }
    }

    /// True when the current window has lasted a full window length at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.starts
            .back()
            .is_none_or(|s| now.saturating_duration_since(s.at) >= self.config.window)
    }

    /// Ends the current window at `now`: `totals` are the totals now, `ended_maxima` the
    /// maxima of the window that ends. Windows older than `num.samples` are dropped.
    pub fn rotate(&mut self, now: Instant, totals: Vec<u64>, ended_maxima: Vec<u64>) {
        self.starts.push_back(Snapshot { at: now, totals });
        while self.starts.len() > self.config.samples.max(1) {
            self.starts.pop_front();
        }
        self.maxima.push_back(ended_maxima);
        while self.maxima.len() > self.config.samples.max(1) - 1 {
            self.maxima.pop_front();
        }
    }

    /// The values at `now`, from the current `totals` and the current window's maxima.
    pub fn view(&self, now: Instant, totals: &[u64], current_maxima: &[u64]) -> WindowView {
        let (oldest_at, oldest) = match self.starts.front() {
            Some(s) => (s.at, s.totals.as_slice()),
            None => (now, &[][..]),
        };
        let deltas = totals
            .iter()
            .enumerate()
            .map(|(i, t)| t.saturating_sub(oldest.get(i).copied().unwrap_or(0)))
            .collect();
        // Java's `Rate.windowSize`: at least `samples - 1` full windows, never zero.
        let window_ms = self.config.window.as_millis().max(1);
        let mut elapsed_ms = now.saturating_duration_since(oldest_at).as_millis();
        let full = elapsed_ms / window_ms;
        let min_full = (self.config.samples.max(1) - 1) as u128;
        if full < min_full {
            elapsed_ms += (min_full - full) * window_ms;
        }
        let elapsed_s = elapsed_ms.max(1) as f64 / 1000.0;
        let mut maxima = current_maxima.to_vec();
        for ended in &self.maxima {
            for (m, e) in maxima.iter_mut().zip(ended) {
                *m = (*m).max(*e);
            }
        }
        WindowView {
            deltas,
            elapsed_s,
            maxima,
        }
    }
}

impl WindowView {
    /// How much total `i` grew within the windows.
    pub fn delta(&self, i: usize) -> u64 {
        self.deltas.get(i).copied().unwrap_or(0)
    }

    /// Java's `Rate`: the growth of total `i` per second.
    pub fn rate(&self, i: usize) -> f64 {
        self.delta(i) as f64 / self.elapsed_s
    }

    /// Java's `Avg`: the growth of total `sum` over the growth of total `count`, times
    /// `scale`; NaN when nothing was recorded in the windows.
    pub fn avg(&self, sum: usize, count: usize, scale: f64) -> f64 {
        match self.delta(count) {
            0 => f64::NAN,
            n => self.delta(sum) as f64 / n as f64 * scale,
        }
    }

    /// Java's `Max`: the largest value recorded in the windows (maximum `max`), times
    /// `scale`; NaN when nothing was recorded (total `count` did not grow).
    pub fn max(&self, max: usize, count: usize, scale: f64) -> f64 {
        if self.delta(count) == 0 {
            return f64::NAN;
        }
        self.maxima.get(max).copied().unwrap_or(0) as f64 * scale
    }

    /// Java's `Frequencies` of a boolean: the share of total `part` in totals `part` and
    /// `other` within the windows (0 when neither grew).
    pub fn fraction(&self, part: usize, other: usize) -> f64 {
        let p = self.delta(part);
        match p + self.delta(other) {
            0 => 0.0,
            n => p as f64 / n as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(window_ms: u64, samples: usize) -> WindowConfig {
        WindowConfig {
            window: Duration::from_millis(window_ms),
            samples,
        }
    }

    #[test]
    fn a_rate_counts_at_least_samples_minus_one_full_windows() {
        let t0 = Instant::now();
        let w = Window::new(config(30_000, 2), t0, vec![0]);
        // 300 records in the first 3 s: Java divides by 30 s + 3 s, not 3 s.
        let v = w.view(t0 + Duration::from_secs(3), &[300], &[0]);
        assert!((v.rate(0) - 300.0 / 33.0).abs() < 1e-9, "{}", v.rate(0));
    }

    #[test]
    fn old_windows_leave_the_rate() {
        let t0 = Instant::now();
        let mut w = Window::new(config(1_000, 2), t0, vec![0]);
        // 1000 records in the first second, then nothing.
        w.rotate(t0 + Duration::from_secs(1), vec![1000], vec![0]);
        let v = w.view(t0 + Duration::from_millis(1500), &[1000], &[0]);
        assert!((v.rate(0) - 1000.0 / 1.5).abs() < 1e-9, "{}", v.rate(0));
        w.rotate(t0 + Duration::from_secs(2), vec![1000], vec![0]);
        // The first window is gone: no growth since 1 s.
        let v = w.view(t0 + Duration::from_millis(2500), &[1000], &[0]);
        assert_eq!(v.rate(0), 0.0);
        // 50 more in the current window, over the 1.5 s since the oldest kept start.
        let v = w.view(t0 + Duration::from_millis(2500), &[1050], &[0]);
        assert!((v.rate(0) - 50.0 / 1.5).abs() < 1e-9, "{}", v.rate(0));
    }

    #[test]
    fn averages_and_maxima_cover_the_kept_windows_and_are_nan_when_empty() {
        let t0 = Instant::now();
        let mut w = Window::new(config(1_000, 2), t0, vec![0, 0]);
        // totals: [sum, count]; maxima: [max]
        assert!(w.view(t0, &[0, 0], &[0]).avg(0, 1, 1.0).is_nan());
        assert!(w.view(t0, &[0, 0], &[0]).max(0, 1, 1.0).is_nan());
        w.rotate(t0 + Duration::from_secs(1), vec![30, 2], vec![20]);
        let v = w.view(t0 + Duration::from_millis(1200), &[34, 3], &[4]);
        assert_eq!(v.avg(0, 1, 1.0), 34.0 / 3.0);
        assert_eq!(v.max(0, 1, 0.5), 10.0);
        w.rotate(t0 + Duration::from_secs(2), vec![34, 3], vec![4]);
        let v = w.view(t0 + Duration::from_millis(2100), &[40, 4], &[6]);
        // Only the window since 1 s counts now: (40-30)/(4-2); max(4, 6).
        assert_eq!(v.avg(0, 1, 1.0), 5.0);
        assert_eq!(v.max(0, 1, 1.0), 6.0);
    }

    #[test]
    fn percentages_are_the_share_within_the_windows() {
        let t0 = Instant::now();
        let mut w = Window::new(config(1_000, 2), t0, vec![0, 0]);
        assert_eq!(w.view(t0, &[0, 0], &[]).fraction(0, 1), 0.0);
        let v = w.view(t0, &[3, 1], &[]);
        assert_eq!(v.fraction(0, 1), 0.75);
        assert_eq!(v.fraction(1, 0), 0.25);
        w.rotate(t0 + Duration::from_secs(1), vec![3, 1], vec![]);
        w.rotate(t0 + Duration::from_secs(2), vec![3, 1], vec![]);
        // The successes aged out; one new failure.
        assert_eq!(
            w.view(t0 + Duration::from_secs(2), &[3, 2], &[])
                .fraction(0, 1),
            0.0
        );
        assert!(w.due(t0 + Duration::from_secs(3)));
        assert!(!w.due(t0 + Duration::from_millis(2500)));
    }
}
