//! Handing freed heap memory back to the operating system while the worker runs.
//!
//! glibc's allocator keeps memory that was freed inside its arenas (one per thread that
//! allocates, up to eight per core) and returns only the free top of each arena; after start-up
//! or a burst of records most of what a worker freed stays resident. `malloc_trim(0)` releases
//! every free page of every arena. The worker calls it every
//! `sluice.memory.trim.interval.ms` (Sluice's own key) from a blocking thread: it takes
//! microseconds to a few milliseconds, and the pages it releases are handed out again on demand.

use std::time::Duration;

use sluice_api::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Validator};
use tokio::task::JoinHandle;
use tracing::debug;

/// `sluice.memory.trim.interval.ms`: how often the worker returns freed heap memory to the
/// operating system; 0 never.
pub const TRIM_INTERVAL_MS: &str = "sluice.memory.trim.interval.ms";

/// The default of [`TRIM_INTERVAL_MS`].
pub const DEFAULT_TRIM_INTERVAL: Duration = Duration::from_secs(30);

/// Adds the memory keys to the worker's [`ConfigDef`].
pub fn define(def: ConfigDef) -> ConfigDef {
    def.define(
        ConfigKey::new(
            TRIM_INTERVAL_MS,
            ConfigType::Long,
            Importance::Low,
            "Sluice's own key: how often, in milliseconds, the worker hands heap memory that \
             was freed back to the operating system (glibc's malloc_trim), so that an idle \
             worker's resident memory falls back after start-up and bursts of records. 0 \
             never.",
        )
        .default(DEFAULT_TRIM_INTERVAL.as_millis().to_string())
        .validator(Validator::between(0.0, 86_400_000.0)),
    )
}

/// Reads [`TRIM_INTERVAL_MS`] from the parsed worker config (zero: never).
pub fn trim_interval(parsed: &ParsedConfig) -> Result<Duration, String> {
    let ms = parsed.get_long(TRIM_INTERVAL_MS).map_err(|e| e.message)?;
    Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

/// Returns the free pages of every allocator arena to the operating system. True when the
/// allocator released memory; always false where the allocator has no such call.
pub fn trim_now() -> bool {
    sys::trim()
}

/// Calls [`trim_now`] every `interval` until the runtime ends; nothing for a zero interval.
pub fn spawn_trimmer(interval: Duration) -> Option<JoinHandle<()>> {
    if interval.is_zero() || !sys::SUPPORTED {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match tokio::task::spawn_blocking(trim_now).await {
                Ok(released) => debug!(released, "Returned freed heap memory to the system."),
                Err(_) => return,
            }
        }
    }))
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod sys {
    pub const SUPPORTED: bool = true;

    #[allow(unsafe_code)]
    pub fn trim() -> bool {
        // SAFETY: malloc_trim takes no pointers and only locks and walks glibc's own arenas;
        // it is safe to call from any thread at any time.
        unsafe { libc::malloc_trim(0) == 1 }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod sys {
    pub const SUPPORTED: bool = false;

    pub fn trim() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::Props;

    fn parse(props: &[(&str, &str)]) -> Result<Duration, String> {
        let props: Props = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let parsed = define(ConfigDef::new()).parse(&props).map_err(|e| {
            e.errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        trim_interval(&parsed)
    }

    #[test]
    fn the_interval_defaults_to_thirty_seconds_and_zero_turns_it_off() {
        assert_eq!(parse(&[]).unwrap(), Duration::from_secs(30));
        assert_eq!(
            parse(&[(TRIM_INTERVAL_MS, "5000")]).unwrap(),
            Duration::from_secs(5)
        );
        assert_eq!(parse(&[(TRIM_INTERVAL_MS, "0")]).unwrap(), Duration::ZERO);
    }

    #[test]
    fn a_bad_interval_names_the_key() {
        let e = parse(&[(TRIM_INTERVAL_MS, "-1")]).unwrap_err();
        assert!(e.contains(TRIM_INTERVAL_MS), "{e}");
        let e = parse(&[(TRIM_INTERVAL_MS, "soon")]).unwrap_err();
        assert!(e.contains(TRIM_INTERVAL_MS), "{e}");
    }

    #[tokio::test]
    async fn no_trimmer_for_a_zero_interval() {
        assert!(spawn_trimmer(Duration::ZERO).is_none());
    }
}
