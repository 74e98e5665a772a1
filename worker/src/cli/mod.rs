//! The `sluice` command line: `sluice standalone WORKER.properties [CONNECTOR…]`, the same
//! contract as `connect-standalone.sh`, and `sluice distributed WORKER.properties`, that of
//! `connect-distributed.sh` (`cli/distributed.rs`).
//!
//! Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 1 for an unusable worker config or
//! connector file (the message names the file and the key), 3 when a connector fails to be
//! created (as Java's `ConnectStandalone`), 4 when the shutdown after SIGINT/SIGTERM did not
//! finish within `task.shutdown.graceful.timeout.ms` plus [`SHUTDOWN_MARGIN`] and the process
//! was ended anyway.
//!
//! A task stuck in blocking code never keeps the process alive: the worker abandons it after
//! `task.shutdown.graceful.timeout.ms`, the async runtime is shut down without waiting for
//! such threads, and a watchdog ends the process if the shutdown itself hangs.

mod distributed;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tracing::{error, info};

use crate::config::connector::{load_connector_file, sink_config_def, source_config_def};
use crate::config::{ConnectorFile, WorkerConfig};
use crate::herder::standalone::StandaloneHerder;
use crate::herder::Herder;
use crate::logging;
use crate::plugins::PluginRegistry;
use crate::rest::config_dir::{restore, ConfigDir, PersistingHerder};
use crate::rest::{
    AppState, ConnectorBaseConfigs, LoggerLevels, Readiness, RestConfig, RestServeError, RestServer,
};
use crate::runtime::status::StatusStore;
use crate::runtime::worker::Worker;
use crate::storage::{FileOffsetBackingStore, OffsetBackingStore};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about = "A Kafka Connect compatible worker.")]
pub struct Cli {
    /// Log line format: human (default) or json; also `SLUICE_LOG_FORMAT`.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<logging::LogFormat>,
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs a standalone worker (like connect-standalone.sh).
    Standalone {
        /// The worker properties file.
        worker: PathBuf,
        /// Connector configs: `.properties`, a flat JSON map, or a JSON create request.
        connectors: Vec<PathBuf>,
        /// Keep connector configs created or updated over REST as JSON files in DIR, and
        /// recreate them at start (a Sluice addition; see `rest::config_dir`).
        #[arg(long, value_name = "DIR")]
        config_dir: Option<PathBuf>,
    },
    /// Runs a distributed worker (like connect-distributed.sh): it joins the worker group
    /// `group.id` and keeps connectors, offsets and statuses in Kafka topics.
    Distributed {
        /// The worker properties file.
        worker: PathBuf,
    },
    /// Applies a connector's transforms to JSON records on stdin, one per line.
    Transform(crate::tools::TransformArgs),
    /// Runs one converter on stdin: bytes to Connect data (`--to-connect`) or back.
    Convert(crate::tools::ConvertArgs),
    /// Validates a connector config offline, as `PUT /connector-plugins/{class}/config/validate`
    /// does: exit 0 valid, 1 invalid, 2 unreadable.
    Validate(crate::tools::ValidateArgs),
}

/// How long past `task.shutdown.graceful.timeout.ms` the shutdown may take (abandoned tasks
/// are cancelled, connectors stopped, the REST server drained) before the watchdog ends the
/// process with exit code [`EXIT_SHUTDOWN_TIMED_OUT`].
pub const SHUTDOWN_MARGIN: Duration = Duration::from_secs(5);

/// The exit code when the watchdog had to end a shutdown that did not finish in time.
pub const EXIT_SHUTDOWN_TIMED_OUT: i32 = 4;

/// How long the async runtime waits, once the worker has stopped, for threads still busy
/// (tasks abandoned in blocking code, blocking calls in flight) before the process exits
/// without them.
const RUNTIME_SHUTDOWN_WAIT: Duration = Duration::from_secs(1);

/// A start-up failure with its exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StartupError {
    /// The process exit code.
    pub code: u8,
    /// What went wrong, naming the file and key.
    pub message: String,
}

impl StartupError {
    fn config(message: impl Into<String>) -> Self {
        StartupError {
            code: 1,
            message: message.into(),
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // Before any thread starts (see `memory`).
    crate::memory::limit_arenas();
    let cli = Cli::parse();
    let format = match logging::LogFormat::resolve(cli.log_format) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let log = match logging::init(format) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    crate::runtime::panics::install_hook();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = match cli.command {
        Command::Transform(args) => return ExitCode::from(crate::tools::transform::run(&args)),
        Command::Convert(args) => return ExitCode::from(crate::tools::convert::run(&args)),
        Command::Validate(args) => {
            let code = runtime.block_on(crate::tools::validate::run(&args));
            runtime.shutdown_timeout(RUNTIME_SHUTDOWN_WAIT);
            return ExitCode::from(code);
        }
        Command::Standalone {
            worker,
            connectors,
            config_dir,
        } => runtime.block_on(run_standalone(worker, connectors, config_dir, log)),
        Command::Distributed { worker } => {
            runtime.block_on(distributed::run_distributed(worker, log))
        }
    };
    // Dropping the runtime would wait for every blocking thread, including one a stuck task
    // abandoned: shut it down with a bound instead.
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN_WAIT);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ERROR: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Checks that the worker's converters exist, naming the file and key otherwise.
fn check_worker_plugins(
    path: &std::path::Path,
    config: &WorkerConfig,
    registry: &PluginRegistry,
) -> Result<(), StartupError> {
    use sluice_api::PluginType;
    for (key, class, ty) in [
        (
            "key.converter",
            &config.key_converter,
            PluginType::Converter,
        ),
        (
            "value.converter",
            &config.value_converter,
            PluginType::Converter,
        ),
        (
            "header.converter",
            &config.header_converter,
            PluginType::HeaderConverter,
        ),
    ] {
        if registry.find(class, ty).is_none() {
            return Err(StartupError::config(format!(
                "Invalid configuration in {}: Invalid value {class} for configuration {key}: Class {class} could not be found.",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Runs the standalone worker until SIGINT/SIGTERM.
pub async fn run_standalone(
    worker_file: PathBuf,
    connector_files: Vec<PathBuf>,
    config_dir: Option<PathBuf>,
    log: logging::LogHandle,
) -> Result<(), StartupError> {
    let stop = StopSignal::listen();
    let config =
        WorkerConfig::load(&worker_file, None).map_err(|e| StartupError::config(e.to_string()))?;
    if !config.plugin_path.is_empty() {
        info!(plugin_path = ?config.plugin_path, "plugin.path is ignored: Sluice's plugins are built in.");
    }
    let registry = Arc::new(PluginRegistry::builtin());
    check_worker_plugins(&worker_file, &config, &registry)?;
    // Read every connector file before starting anything, so a bad file fails fast.
    let files: Vec<ConnectorFile> = connector_files
        .iter()
        .map(|p| load_connector_file(p))
        .collect::<Result<_, _>>()
        .map_err(|e| StartupError::config(e.to_string()))?;
    let offset_file = config.offset_file.clone().ok_or_else(|| {
        StartupError::config(format!(
            "Invalid configuration in {}: Missing required configuration \"offset.storage.file.filename\" which has no default value.",
            worker_file.display()
        ))
    })?;
    let offsets: Arc<dyn OffsetBackingStore> =
        Arc::new(FileOffsetBackingStore::open(&offset_file).map_err(|e| {
            StartupError::config(format!(
                "{e} (offset.storage.file.filename in {})",
                worker_file.display()
            ))
        })?);
    let rest_config = RestConfig::from_props(&config.originals).map_err(|e| {
        StartupError::config(format!(
            "Invalid configuration in {}: {e}",
            worker_file.display()
        ))
    })?;
    let server = RestServer::bind(&rest_config).await.map_err(|e| match e {
        // A keystore or truststore that cannot be used is a configuration error.
        RestServeError::Tls(e) => StartupError::config(format!(
            "Invalid configuration in {}: {e}",
            worker_file.display()
        )),
        e => StartupError {
            code: 1,
            message: format!("Could not start the REST server: {e}"),
        },
    })?;
    let worker_id = server.worker_id();
    info!(worker_id = %worker_id, url = %server.advertised_url(), "Starting standalone worker.");
    let status =
        Arc::new(StatusStore::new(worker_id).tracking_topics(config.topic_tracking.enabled));
    crate::memory::spawn_trimmer(config.memory_trim_interval);
    let config = Arc::new(config);
    let (worker, events) = Worker::new(config.clone(), registry.clone(), offsets, status);
    let metrics = worker.metrics().clone();
    let herder = StandaloneHerder::new(worker, events);
    let readiness = Readiness::starting();
    let config_dir = config_dir
        .map(ConfigDir::open)
        .transpose()
        .map_err(|e| StartupError::config(format!("--config-dir: {e}")))?;
    let api_herder: Arc<dyn Herder> = match &config_dir {
        Some(dir) => Arc::new(PersistingHerder::new(herder.clone(), dir.clone())),
        None => herder.clone(),
    };
    let rest = ServingRest::start(
        server,
        api_herder,
        &registry,
        log,
        &readiness,
        metrics,
        config.topic_tracking,
    );

    let file_names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    for file in files {
        let class = file
            .config
            .get("connector.class")
            .cloned()
            .unwrap_or_default();
        if !class.is_empty() && registry.find_connector(&class).is_none() {
            herder.shutdown().await;
            rest.stop().await;
            return Err(StartupError {
                code: 3,
                message: format!(
                    "Failed to create connector for {}: Invalid value {class} for configuration connector.class: Failed to find any class that implements Connector and which name matches {class}",
                    file.path.display()
                ),
            });
        }
        let result = herder
            .put_connector_config(&file.name, file.config.clone(), false, file.initial_state)
            .await;
        if let Err(e) = result {
            herder.shutdown().await;
            rest.stop().await;
            return Err(StartupError {
                code: 3,
                message: format!(
                    "Failed to create connector for {}: {e}",
                    file.path.display()
                ),
            });
        }
        info!(connector = %file.name, file = %file.path.display(), "Created connector.");
    }
    if let Some(dir) = &config_dir {
        if let Err(e) = restore(&*herder, dir, &file_names).await {
            herder.shutdown().await;
            rest.stop().await;
            return Err(StartupError {
                code: 3,
                message: e.to_string(),
            });
        }
    }
    readiness.set_ready();
    info!("Sluice standalone worker is ready.");

    stop.wait().await;
    info!("Shutting down: stopping tasks, flushing and committing offsets.");
    spawn_exit_watchdog(config.task_shutdown_timeout + SHUTDOWN_MARGIN);
    herder.shutdown().await;
    rest.stop().await;
    info!("Sluice stopped.");
    Ok(())
}

/// The REST API of a running worker, served on its own task until [`ServingRest::stop`].
struct ServingRest {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), RestServeError>>,
}

impl ServingRest {
    /// Serves `herder` on `server`, with the base connector configs, the log levels, the
    /// readiness of `/health`, the metrics of `/metrics` and the topic endpoints' switches.
    fn start(
        server: RestServer,
        herder: Arc<dyn Herder>,
        registry: &Arc<PluginRegistry>,
        log: logging::LogHandle,
        readiness: &Readiness,
        metrics: Arc<crate::metrics::Metrics>,
        topic_tracking: crate::config::worker::TopicTracking,
    ) -> Self {
        let state = AppState::new(herder, registry.clone())
            .with_base_configs(ConnectorBaseConfigs {
                source: source_config_def(),
                sink: sink_config_def(),
            })
            .with_loggers(Arc::new(LoggerLevels::with_reload_handle(
                &log.initial,
                log.reload,
            )))
            .with_readiness(readiness.clone())
            .with_metrics(metrics)
            .with_topic_tracking(topic_tracking);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(state, async move {
            let _ = stopped.await;
        }));
        ServingRest { stop, task }
    }

    /// Stops serving and waits for the server to drain.
    async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => error!(error = %e, "REST server failed."),
            Err(e) => error!(error = %e, "REST server task failed."),
        }
    }
}

/// Ends the process with [`EXIT_SHUTDOWN_TIMED_OUT`] if it is still running `after` from now
/// (a shutdown stuck on something that ignores cancellation). A plain thread, so that it
/// fires even when every runtime thread is blocked; it does not keep the process alive.
fn spawn_exit_watchdog(after: Duration) {
    let spawned = std::thread::Builder::new()
        .name("shutdown-watchdog".into())
        .spawn(move || {
            std::thread::sleep(after);
            error!(
                waited_ms = after.as_millis() as u64,
                "The worker did not shut down within task.shutdown.graceful.timeout.ms plus {} s; exiting without waiting further.",
                SHUTDOWN_MARGIN.as_secs()
            );
            std::process::exit(EXIT_SHUTDOWN_TIMED_OUT);
        });
    if let Err(e) = spawned {
        error!(error = %e, "Could not start the shutdown watchdog.");
    }
}

/// SIGINT and SIGTERM, listened for from the moment it is made (the first thing a worker
/// does): a signal that arrives while the worker starts is kept, and stops the worker as
/// soon as it is started, cleanly, instead of killing the process outright (the default
/// action of both signals before a handler is installed).
pub(crate) struct StopSignal {
    #[cfg(unix)]
    listeners: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignal {
    /// Starts listening. Must run within the tokio runtime.
    pub(crate) fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let listeners = match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(int), Ok(term)) => Some((int, term)),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(error = %e, "Cannot listen for SIGINT/SIGTERM; the worker stops on Ctrl-C only.");
                    None
                }
            };
            StopSignal { listeners }
        }
        #[cfg(not(unix))]
        {
            StopSignal {}
        }
    }

    /// Completes on SIGINT or SIGTERM, at once if one arrived since [`StopSignal::listen`].
    pub(crate) async fn wait(self) {
        #[cfg(unix)]
        {
            if let Some((mut int, mut term)) = self.listeners {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
                return;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::time::Duration;

    use super::StopSignal;

    #[tokio::test]
    async fn a_sigterm_that_arrives_while_starting_stops_the_worker_once_started() {
        let stop = StopSignal::listen();
        // SIGTERM to this test process, before anything waits for it (as while a worker
        // starts): without a listener it would end the process.
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        tokio::time::sleep(Duration::from_millis(200)).await;
        tokio::time::timeout(Duration::from_secs(5), stop.wait())
            .await
            .expect("the SIGTERM that came first ends the wait");
    }
}
