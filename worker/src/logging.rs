//! Logging set-up: `tracing-subscriber` with a reloadable `EnvFilter`, so the log levels can be
//! changed at run time (`/admin/loggers`). The initial filter comes from `SLUICE_LOG` (or
//! `RUST_LOG`), default `info`.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

/// The environment variable holding the initial filter directives.
pub const LOG_ENV: &str = "SLUICE_LOG";

/// The handle to change the active filter, and the directives it started with.
pub struct LogHandle {
    /// The directives the filter was built from (e.g. `info,rdkafka=warn`).
    pub initial: String,
    /// Replaces the active `EnvFilter`.
    pub reload: reload::Handle<EnvFilter, Registry>,
}

/// The initial directives: `SLUICE_LOG`, else `RUST_LOG`, else `info`.
pub fn initial_directives() -> String {
    std::env::var(LOG_ENV)
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "info".to_string())
}

/// Installs the global subscriber (logs to stderr) and returns its reload handle.
pub fn init() -> Result<LogHandle, String> {
    let initial = initial_directives();
    let filter = EnvFilter::try_new(&initial)
        .map_err(|e| format!("Invalid log filter \"{initial}\" in {LOG_ENV}: {e}"))?;
    let (filter, reload) = reload::Layer::new(filter);
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_target(true),
        )
        .try_init()
        .map_err(|e| format!("Could not install the logger: {e}"))?;
    Ok(LogHandle { initial, reload })
}
