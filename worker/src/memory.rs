//! The allocators, and handing freed heap memory back to the operating system while the
//! worker runs.
//!
//! The `sluice` binary's Rust code allocates through jemalloc (the default `jemalloc`
//! feature; tests and examples keep the system allocator). Its per-thread caches and size
//! classes cost ~20 % less CPU per record than glibc's malloc on the worker's record paths,
//! where a record's strings and maps are built on one thread and freed on another. jemalloc
//! returns freed pages on its own only while it allocates, which an idle worker hardly does;
//! so the worker purges every arena every `sluice.memory.trim.interval.ms` (Sluice's own
//! key). Its options are [`MALLOC_CONF`].
//!
//! C code (librdkafka) keeps glibc's malloc. glibc keeps memory that was freed inside its
//! arenas (one per thread that allocates, up to eight per core) and returns only the free top
//! of each arena; `malloc_trim(0)` releases every free page of every arena, and the worker
//! calls it at the same interval. Both run on a blocking thread: they take microseconds to a
//! few milliseconds, and the pages they release are handed out again on demand.
//!
//! At start the worker also caps glibc's arenas at one per core (at least two;
//! [`limit_arenas`]): memory freed in one arena cannot serve another, and with glibc's default
//! of eight per core a sink draining a backlog kept ~15 MB more resident across the arenas of
//! its librdkafka, runtime and HTTP threads. glibc's own `MALLOC_ARENA_MAX` overrides the cap.

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
             was freed back to the operating system (jemalloc's purge and glibc's \
             malloc_trim), so that an idle \
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

/// Returns the free pages of every allocator arena to the operating system (jemalloc's and
/// glibc's). True when an allocator released memory or may have (jemalloc does not say);
/// always false where no allocator has such a call.
pub fn trim_now() -> bool {
    let purged = jemalloc::purge();
    sys::trim() || purged
}

/// glibc's environment variable for the arena count; when set, [`limit_arenas`] leaves the
/// allocator alone.
pub const ARENA_MAX_ENV: &str = "MALLOC_ARENA_MAX";

/// The arena cap [`limit_arenas`] sets: one per core, at least two.
pub fn arena_cap() -> usize {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZeroUsize::get)
        .max(2)
}

/// Caps the allocator's arenas at [`arena_cap`] unless [`ARENA_MAX_ENV`] is set; call it
/// before any thread starts. Returns the cap set, `None` when nothing was changed (the
/// variable is set, or the allocator has no such setting).
pub fn limit_arenas() -> Option<usize> {
    if std::env::var_os(ARENA_MAX_ENV).is_some() {
        return None;
    }
    let cap = arena_cap();
    sys::arena_max(cap).then_some(cap)
}

/// Calls [`trim_now`] every `interval` until the runtime ends; nothing for a zero interval.
pub fn spawn_trimmer(interval: Duration) -> Option<JoinHandle<()>> {
    if interval.is_zero() || !(sys::SUPPORTED || jemalloc::ENABLED) {
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

/// jemalloc's options, read at its first allocation when it is the global allocator (the
/// `sluice` binary, with the `jemalloc` feature); `_RJEM_MALLOC_CONF` in the environment is
/// read after them and overrides them. Chosen for a small footprint at rest without giving up
/// the per-thread caches that make it fast (measured on the file source and an idle worker):
///
/// * `percpu_arena:percpu`: one arena per CPU, threads use the arena of the CPU they run on
///   (jemalloc's default is four arenas per CPU, each with its own partly used pages);
/// * `tcache_max:1024`, `tcache_nslots_small_max:32`: thread caches hold only small sizes,
///   at most 32 of each (default 32 KiB and 200): an idle thread keeps little in its cache,
///   and the record paths' allocations are small and freed soon;
/// * `dirty_decay_ms:1000`: freed pages are purged after about a second unused, not ten
///   (jemalloc's default): the Elasticsearch sink's peak RSS 48-50 MB against 51-53, for ~2 %
///   more CPU there and none measurable on the file source;
/// * `muzzy_decay_ms:0`: purged pages are returned at once (`MADV_DONTNEED`) rather than
///   lazily (`MADV_FREE`, which leaves them in the process's RSS until the system is short).
#[cfg(feature = "jemalloc")]
#[allow(unsafe_code, non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static MALLOC_CONF: Option<&'static u8> = Some(
    &b"percpu_arena:percpu,tcache_max:1024,tcache_nslots_small_max:32,dirty_decay_ms:1000,muzzy_decay_ms:0\0"[0],
);

#[cfg(feature = "jemalloc")]
mod jemalloc {
    pub const ENABLED: bool = true;

    /// A `size_t` option of the running jemalloc (`opt.tcache_max`, `opt.oversize_threshold`),
    /// or a non-negative `ssize_t` one (`opt.dirty_decay_ms`).
    #[cfg(test)]
    #[allow(unsafe_code)]
    pub fn option_usize(name: &std::ffi::CStr) -> Option<usize> {
        let mut value: usize = 0;
        let mut len = std::mem::size_of::<usize>();
        // SAFETY: `value` and `len` describe a writable `size_t`, which is what jemalloc
        // writes for these names; nothing is written to jemalloc.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                (&raw mut value).cast(),
                &raw mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        (rc == 0).then_some(value)
    }

    /// Purges the unused dirty pages of every arena (`arena.<MALLCTL_ARENAS_ALL>.purge`;
    /// `MALLCTL_ARENAS_ALL` is 4096).
    #[allow(unsafe_code)]
    pub fn purge() -> bool {
        // SAFETY: a NUL-terminated name and no old or new value: the call only reads the name
        // and purges jemalloc's own arenas; it is safe from any thread at any time.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                c"arena.4096.purge".as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            )
        };
        rc == 0
    }
}

#[cfg(not(feature = "jemalloc"))]
mod jemalloc {
    pub const ENABLED: bool = false;

    pub fn purge() -> bool {
        false
    }
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

    #[allow(unsafe_code)]
    pub fn arena_max(n: usize) -> bool {
        let n = libc::c_int::try_from(n).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt takes plain integers and only sets a parameter of glibc's allocator.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, n) == 1 }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod sys {
    pub const SUPPORTED: bool = false;

    pub fn trim() -> bool {
        false
    }

    pub fn arena_max(_n: usize) -> bool {
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

    #[test]
    fn arenas_are_capped_at_one_per_core_unless_glibc_is_told_otherwise() {
        assert!(arena_cap() >= 2);
        let expected = if std::env::var_os(ARENA_MAX_ENV).is_some() || !sys::SUPPORTED {
            None
        } else {
            Some(arena_cap())
        };
        assert_eq!(limit_arenas(), expected);
    }

    #[cfg(feature = "jemalloc")]
    #[test]
    fn jemalloc_reads_sluices_options_and_purges() {
        if std::env::var_os("_RJEM_MALLOC_CONF").is_some() {
            return; // the environment's options override the built-in ones
        }
        // Read by jemalloc at its initialization (which this first call triggers).
        assert_eq!(jemalloc::option_usize(c"opt.tcache_max"), Some(1024));
        assert_eq!(jemalloc::option_usize(c"opt.dirty_decay_ms"), Some(1000));
        assert_eq!(jemalloc::option_usize(c"opt.muzzy_decay_ms"), Some(0));
        assert!(jemalloc::purge());
        assert!(trim_now());
    }

    #[tokio::test]
    async fn no_trimmer_for_a_zero_interval() {
        assert!(spawn_trimmer(Duration::ZERO).is_none());
    }
}
