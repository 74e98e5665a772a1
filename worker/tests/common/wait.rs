//! Bounded waiting.

use std::time::{Duration, Instant};

/// How often [`wait_until`] checks its condition.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Polls `done` until it returns true; fails the test with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, done: impl FnMut() -> bool) {
    wait_until_explained(what, timeout, done, String::new);
}

/// Like [`wait_until`], with `context()` (worker logs, say) appended to the failure.
pub fn wait_until_explained(
    what: &str,
    timeout: Duration,
    mut done: impl FnMut() -> bool,
    context: impl FnOnce() -> String,
) {
    let deadline = Instant::now() + timeout;
    while !done() {
        if Instant::now() >= deadline {
            let context = context();
            let sep = if context.is_empty() { "" } else { "\n" };
            panic!("timed out after {timeout:?} waiting for {what}{sep}{context}");
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Polls `probe` until it returns `Some`; fails the test with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(POLL_INTERVAL);
    }
}
