//! [`ConnectorLocks`]: one async lock per connector name, so that the operations on one
//! connector (create, update, patch, delete, lifecycle changes, restarts, task
//! reconfiguration, and the config-dir writes that follow them) run one at a time, in the
//! order they were requested, while operations on other connectors proceed. This is the
//! herder's ordering; Java gets the same from its single herder thread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OwnedMutexGuard;

/// Held while an operation on one connector runs; dropping it lets the next one in.
pub type ConnectorGuard = OwnedMutexGuard<()>;

/// Per-connector locks; entries nobody holds or waits for are pruned as new ones are made.
#[derive(Debug, Default)]
pub struct ConnectorLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl ConnectorLocks {
    /// No locks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits until no other operation on `name` runs (waiters are served first come, first
    /// served) and returns the guard.
    pub async fn lock(&self, name: &str) -> ConnectorGuard {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            // Only the map holds an idle lock: nobody holds or waits for it.
            locks.retain(|_, l| Arc::strong_count(l) > 1);
            locks.entry(name.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_operation_per_connector_at_a_time() {
        let locks = Arc::new(ConnectorLocks::new());
        let a = locks.lock("a").await;
        // Another connector is not held up.
        let _b = tokio::time::timeout(Duration::from_secs(1), locks.lock("b"))
            .await
            .expect("b is free");
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.lock("a").await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        drop(a);
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("a is released")
            .expect("no panic");
    }
}
