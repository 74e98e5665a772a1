//! Retries with exponential backoff and full jitter (Confluent's `RetryUtil`): before retry
//! *n* (n ≥ 1) wait a uniformly random time in `[0, retry.backoff.ms × 2ⁿ)`, capped at 24 h.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The longest single backoff.
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 60 * 60);

/// The upper bound of the wait before retry `retry` (1-based): `base × 2^retry`, capped.
pub fn backoff_bound(base: Duration, retry: u32) -> Duration {
    let factor = 1u64.checked_shl(retry.min(40)).unwrap_or(u64::MAX);
    let millis = (base.as_millis() as u64).saturating_mul(factor);
    Duration::from_millis(millis).min(MAX_BACKOFF)
}

static SEED: AtomicU64 = AtomicU64::new(0x853c_49e6_748f_ea9b);

/// A uniformly random fraction in `[0, 1)` (splitmix64 over a shared counter seeded by the
/// clock: no cryptographic quality needed, only spread).
fn random_fraction() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let mut z = SEED
        .fetch_add(0x9e37_79b9_7f4a_7c15 ^ nanos, Ordering::Relaxed)
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The jittered wait before retry `retry` (1-based).
pub fn jittered_backoff(base: Duration, retry: u32) -> Duration {
    backoff_bound(base, retry).mul_f64(random_fraction())
}

/// The result of [`with_retries`] when every attempt failed: the last error and the number of
/// attempts made.
#[derive(Debug)]
pub struct Exhausted<E> {
    /// The last error.
    pub error: E,
    /// Attempts made (`max_retries + 1` unless the error was not retriable).
    pub attempts: u32,
}

/// Runs `op` up to `max_retries + 1` times, sleeping a jittered backoff between attempts, as
/// long as `retriable(&error)` says so.
pub async fn with_retries<T, E, F, Fut>(
    what: &str,
    max_retries: u32,
    base: Duration,
    retriable: impl Fn(&E) -> bool,
    mut op: F,
) -> Result<T, Exhausted<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt <= max_retries && retriable(&e) => {
                let wait = jittered_backoff(base, attempt);
                tracing::warn!(
                    operation = what,
                    attempt,
                    max_retries,
                    backoff_ms = wait.as_millis() as u64,
                    error = %e,
                    "Failed to execute {what}; retrying."
                );
                tokio::time::sleep(wait).await;
            }
            Err(e) => {
                return Err(Exhausted {
                    error: e,
                    attempts: attempt,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn bounds_double_and_cap() {
        let base = Duration::from_millis(100);
        assert_eq!(backoff_bound(base, 1), Duration::from_millis(200));
        assert_eq!(backoff_bound(base, 3), Duration::from_millis(800));
        assert_eq!(backoff_bound(base, 100), MAX_BACKOFF);
        for _ in 0..1000 {
            assert!(jittered_backoff(base, 2) < Duration::from_millis(400));
        }
    }

    #[test]
    fn jitter_spreads() {
        let waits: std::collections::BTreeSet<_> = (0..50)
            .map(|_| jittered_backoff(Duration::from_millis(1000), 4).as_millis())
            .collect();
        assert!(waits.len() > 40, "{waits:?}");
    }

    #[tokio::test]
    async fn retries_up_to_max_then_reports_attempts() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retries(
            "op",
            2,
            Duration::ZERO,
            |_: &String| true,
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), String>("boom".into()) }
            },
        )
        .await;
        let e = r.unwrap_err();
        assert_eq!((e.attempts, calls.load(Ordering::SeqCst)), (3, 3));

        let calls = AtomicU32::new(0);
        let r = with_retries(
            "op",
            5,
            Duration::ZERO,
            |_: &String| true,
            || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err("again".to_string())
                    } else {
                        Ok(n)
                    }
                }
            },
        )
        .await;
        assert_eq!(r.unwrap(), 2);
    }

    #[tokio::test]
    async fn non_retriable_errors_stop_at_once() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retries(
            "op",
            5,
            Duration::ZERO,
            |_: &String| false,
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), String>("fatal".into()) }
            },
        )
        .await;
        assert_eq!(r.unwrap_err().attempts, 1);
    }
}
