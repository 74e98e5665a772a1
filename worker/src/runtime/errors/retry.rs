//! Retrying retriable failures as Java's `RetryWithToleranceOperator` does.
//!
//! * Only a `RetriableException` ([`ConnectError::Retriable`]) is retried; any other error ends
//!   the attempts at once.
//! * Retries go on while less than `errors.retry.timeout` ms have passed since the first
//!   attempt (`-1`: forever; `0`, the default: no retry at all).
//! * Before retry *k* (k = 1, 2, …) the operation waits 300 ms × 2^(k−1). A wait above
//!   `errors.retry.delay.max.ms` becomes a random wait in `[0, max)`, and no wait goes past
//!   the retry deadline.
//! * A task that is stopping gives up waiting: the operation fails with its last error.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use sluice_api::ConnectError;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{debug, trace};

use super::ErrorMetrics;
use crate::runtime::source::TaskTarget;

/// The first backoff (Java's `RETRIES_DELAY_MIN_MS`).
pub const RETRIES_DELAY_MIN_MS: u64 = 300;

/// The wait before the retry that follows attempt `attempt` (1-based), as Java computes it:
/// `300 << (attempt - 1)`, replaced by `random(max)` (a value in `[0, max)`) when above
/// `max_delay_ms`, then cut to `remaining` (the time left before the deadline, if any).
pub fn backoff_delay(
    attempt: u32,
    max_delay_ms: i64,
    remaining: Option<Duration>,
    random: impl FnOnce(u64) -> u64,
) -> Duration {
    let shift = attempt.saturating_sub(1);
    let delay = if shift >= 64 - 9 {
        u64::MAX
    } else {
        RETRIES_DELAY_MIN_MS << shift
    };
    let max = u64::try_from(max_delay_ms).unwrap_or(0);
    let delay = if delay > max {
        if max == 0 {
            0
        } else {
            random(max) % max
        }
    } else {
        delay
    };
    let delay = Duration::from_millis(delay);
    match remaining {
        Some(left) => delay.min(left),
        None => delay,
    }
}

/// A random number in `[0, bound)` (`bound > 0`), from the standard library's per-process
/// random hash keys; good enough for jitter.
pub fn jitter(bound: u64) -> u64 {
    if bound == 0 {
        return 0;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(bound);
    h.finish() % bound
}

/// How an operation ended after its attempts.
#[derive(Debug)]
pub struct Attempted<T> {
    /// The value, or the last error.
    pub result: Result<T, ConnectError>,
    /// Attempts made (at least 1).
    pub attempts: u32,
}

/// `errors.retry.timeout` and `errors.retry.delay.max.ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `errors.retry.timeout` in ms (`-1`: forever).
    pub timeout_ms: i64,
    /// `errors.retry.delay.max.ms`.
    pub max_delay_ms: i64,
}

impl RetryPolicy {
    /// True when a failed attempt may be retried at all.
    pub fn may_retry(&self) -> bool {
        self.timeout_ms != 0
    }

    /// Runs `op` until it succeeds, fails with a non-retriable error, or the retry deadline
    /// passes; `stop` (the task's target) cuts the waiting short when it becomes
    /// [`TaskTarget::Stopping`].
    pub async fn run<T>(
        &self,
        mut op: impl FnMut() -> Result<T, ConnectError>,
        stop: Option<&watch::Receiver<TaskTarget>>,
        metrics: &ErrorMetrics,
    ) -> Attempted<T> {
        match op() {
            Ok(v) => Attempted {
                result: Ok(v),
                attempts: 1,
            },
            Err(first) => self.run_after(first, op, stop, metrics).await,
        }
    }

    /// [`Self::run`] when the first attempt was already made (synchronously, by the caller)
    /// and failed with `first`: the same retries, backoff, metrics and attempt count follow.
    pub async fn run_after<T>(
        &self,
        first: ConnectError,
        mut op: impl FnMut() -> Result<T, ConnectError>,
        stop: Option<&watch::Receiver<TaskTarget>>,
        metrics: &ErrorMetrics,
    ) -> Attempted<T> {
        // The clock is read at the first retriable failure, not before every operation (this
        // runs three times per record): the timeout counts from the end of the first attempt.
        let mut deadline: Option<Option<Instant>> = None;
        let mut attempts = 1u32;
        let mut error = first;
        loop {
            if !error.is_retriable() {
                return Attempted {
                    result: Err(error),
                    attempts,
                };
            }
            metrics.record_failure();
            let now = Instant::now();
            let deadline = *deadline.get_or_insert_with(|| {
                u64::try_from(self.timeout_ms)
                    .ok()
                    .map(|ms| now + Duration::from_millis(ms))
            });
            if deadline.is_some_and(|d| now >= d) {
                trace!(
                    attempts,
                    "Retriable error, but the retry timeout has passed."
                );
                return Attempted {
                    result: Err(error),
                    attempts,
                };
            }
            let delay = backoff_delay(
                attempts,
                self.max_delay_ms,
                deadline.map(|d| d.saturating_duration_since(now)),
                jitter,
            );
            debug!(attempt = attempts, delay_ms = delay.as_millis() as u64, error = %error,
                "Retriable error; retrying after a backoff.");
            if wait_unless_stopping(delay, stop).await {
                trace!("The task is stopping; the operation is failed.");
                return Attempted {
                    result: Err(error),
                    attempts,
                };
            }
            metrics.record_retry();
            attempts = attempts.saturating_add(1);
            error = match op() {
                Ok(v) => {
                    return Attempted {
                        result: Ok(v),
                        attempts,
                    }
                }
                Err(e) => e,
            };
        }
    }
}

/// Sleeps `delay`; true when the task started stopping meanwhile (or already was).
async fn wait_unless_stopping(delay: Duration, stop: Option<&watch::Receiver<TaskTarget>>) -> bool {
    let Some(stop) = stop else {
        tokio::time::sleep(delay).await;
        return false;
    };
    let mut stop = stop.clone();
    if *stop.borrow_and_update() == TaskTarget::Stopping {
        return true;
    }
    tokio::select! {
        () = tokio::time::sleep(delay) => false,
        r = stop.wait_for(|t| *t == TaskTarget::Stopping) => r.is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn backoff_doubles_from_300ms_then_jitters_under_the_max_and_stops_at_the_deadline() {
        let no_random = |_: u64| -> u64 { panic!("no jitter expected") };
        let ms = |attempt| backoff_delay(attempt, 60_000, None, no_random).as_millis();
        assert_eq!(
            [ms(1), ms(2), ms(3), ms(4), ms(5)],
            [300, 600, 1200, 2400, 4800]
        );
        // 300 << 8 = 76800 > 60000: a random wait below the max.
        assert_eq!(
            backoff_delay(9, 60_000, None, |bound| {
                assert_eq!(bound, 60_000);
                12_345
            }),
            Duration::from_millis(12_345)
        );
        // Never past the deadline.
        assert_eq!(
            backoff_delay(3, 60_000, Some(Duration::from_millis(500)), no_random),
            Duration::from_millis(500)
        );
        // Huge attempt numbers do not overflow.
        assert!(backoff_delay(200, 1000, None, jitter) < Duration::from_millis(1000));
        assert_eq!(backoff_delay(2, 0, None, jitter), Duration::ZERO);
        for _ in 0..100 {
            assert!(jitter(7) < 7);
        }
    }

    fn failing_n_times(n: u32, error: ConnectError) -> impl FnMut() -> Result<u32, ConnectError> {
        let mut calls = 0;
        move || {
            calls += 1;
            if calls <= n {
                Err(error.clone())
            } else {
                Ok(calls)
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_with_exponential_backoff_until_success() {
        let metrics = ErrorMetrics::default();
        let policy = RetryPolicy {
            timeout_ms: 10_000,
            max_delay_ms: 60_000,
        };
        let start = Instant::now();
        let out = policy
            .run(
                failing_n_times(3, ConnectError::retriable("later")),
                None,
                &metrics,
            )
            .await;
        assert_eq!(out.result.ok(), Some(4));
        assert_eq!(out.attempts, 4);
        // 300 + 600 + 1200 ms of backoff, on the paused clock.
        assert_eq!(start.elapsed(), Duration::from_millis(2100));
        assert_eq!(metrics.snapshot().retries, 3);
        assert_eq!(metrics.snapshot().record_failures, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_retry_timeout_with_the_last_error() {
        let metrics = ErrorMetrics::default();
        let policy = RetryPolicy {
            timeout_ms: 1000,
            max_delay_ms: 60_000,
        };
        let start = Instant::now();
        let out = policy
            .run(
                failing_n_times(100, ConnectError::retriable("down")),
                None,
                &metrics,
            )
            .await;
        assert_eq!(out.result.err(), Some(ConnectError::retriable("down")));
        // Attempts at 0, 300, 900 and 1000 ms (the last wait cut to the deadline).
        assert_eq!(out.attempts, 4);
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn default_timeout_never_retries_and_other_errors_are_not_retried() {
        let metrics = ErrorMetrics::default();
        let never = RetryPolicy {
            timeout_ms: 0,
            max_delay_ms: 60_000,
        };
        assert!(!never.may_retry());
        let start = Instant::now();
        let out = never
            .run(
                failing_n_times(1, ConnectError::retriable("x")),
                None,
                &metrics,
            )
            .await;
        assert_eq!(out.attempts, 1);
        assert!(out.result.is_err());
        let forever = RetryPolicy {
            timeout_ms: -1,
            max_delay_ms: 1000,
        };
        let out = forever
            .run(
                failing_n_times(5, ConnectError::data("bad")),
                None,
                &metrics,
            )
            .await;
        assert_eq!(out.attempts, 1);
        assert_eq!(out.result.err(), Some(ConnectError::data("bad")));
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_forever_uses_jittered_waits_under_the_max() {
        let metrics = ErrorMetrics::default();
        let policy = RetryPolicy {
            timeout_ms: -1,
            max_delay_ms: 1000,
        };
        let times = RefCell::new(Vec::new());
        let mut calls = 0;
        let out = policy
            .run(
                || {
                    times.borrow_mut().push(Instant::now());
                    calls += 1;
                    if calls < 12 {
                        Err(ConnectError::retriable("again"))
                    } else {
                        Ok(())
                    }
                },
                None,
                &metrics,
            )
            .await;
        assert!(out.result.is_ok());
        let times = times.into_inner();
        let waits: Vec<u128> = times
            .windows(2)
            .map(|w| (w[1] - w[0]).as_millis())
            .collect();
        assert_eq!(&waits[..2], &[300, 600]);
        assert!(waits[2..].iter().all(|w| *w < 1000), "{waits:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stopping_task_stops_waiting() {
        let metrics = ErrorMetrics::default();
        let policy = RetryPolicy {
            timeout_ms: -1,
            max_delay_ms: 60_000,
        };
        let (tx, rx) = watch::channel(TaskTarget::Running);
        let stopper = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1000)).await;
            let _ = tx.send(TaskTarget::Stopping);
            tx
        });
        let start = Instant::now();
        let out = policy
            .run(
                failing_n_times(u32::MAX, ConnectError::retriable("x")),
                Some(&rx),
                &metrics,
            )
            .await;
        assert!(out.result.is_err());
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
        drop(stopper.await);
    }
}
