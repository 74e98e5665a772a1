//! Running async work from a synchronous plugin call (`Connector::validate` testing a
//! connection): on a thread of its own with a current-thread runtime, so it works inside
//! (from `spawn_blocking`) and outside a Tokio runtime and never nests one, bounded in time.

use std::future::Future;
use std::time::Duration;

/// Why the work gave no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IsolatedError {
    /// The thread or its runtime could not be started.
    #[error("{0}")]
    Start(String),
    /// The work did not finish within the cap.
    #[error("did not finish within {} s", .0.as_secs())]
    TimedOut(Duration),
}

/// Runs the future `work` makes to completion, or gives up after `cap`. Work left behind
/// (a slow DNS lookup) is not waited for.
pub fn run_isolated<T, F, Fut>(name: &str, cap: Duration, work: F) -> Result<T, IsolatedError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T>,
    T: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let result = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => {
                    let out = rt.block_on(async move { tokio::time::timeout(cap, work()).await });
                    rt.shutdown_background();
                    out.map_err(|_| IsolatedError::TimedOut(cap))
                }
                Err(e) => Err(IsolatedError::Start(e.to_string())),
            };
            let _ = tx.send(result);
        })
        .map_err(|e| IsolatedError::Start(e.to_string()))?;
    rx.recv_timeout(cap + Duration::from_secs(1))
        .unwrap_or(Err(IsolatedError::TimedOut(cap)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_and_slow_work_is_cut_off() {
        assert_eq!(
            run_isolated("t", Duration::from_secs(5), || async { 7 }),
            Ok(7)
        );
        let slow = run_isolated("t", Duration::from_millis(50), || async {
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        assert_eq!(
            slow,
            Err(IsolatedError::TimedOut(Duration::from_millis(50)))
        );
    }

    #[tokio::test]
    async fn it_works_from_inside_a_runtime() {
        let got = tokio::task::spawn_blocking(|| {
            run_isolated("t", Duration::from_secs(5), || async { "ok" })
        })
        .await
        .expect("join");
        assert_eq!(got, Ok("ok"));
    }
}
