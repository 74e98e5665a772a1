//! `sluice distributed WORKER.properties`: the contract of `connect-distributed.sh`. The
//! worker creates or checks the three internal topics, reads them, serves the REST API and
//! joins the worker group named by `group.id`; connectors are created over REST.

use std::path::PathBuf;
use std::sync::atomic::AtomicI32;
use std::sync::Arc;

use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use sluice_api::Props;
use tracing::info;

use super::{
    check_worker_plugins, spawn_exit_watchdog, ServingRest, StartupError, StopSignal,
    SHUTDOWN_MARGIN,
};
use crate::config::distributed::DistributedConfig;
use crate::config::kafka_clients::{internal_client_config, ClientKind};
use crate::config::worker::WorkerMode;
use crate::config::WorkerConfig;
use crate::distributed::membership::MembershipConfig;
use crate::herder::distributed::status::TopicStatusWriter;
use crate::herder::distributed::{DistributedHerder, DistributedParts};
use crate::herder::starting::StartingHerder;
use crate::logging;
use crate::plugins::PluginRegistry;
use crate::rest::{Readiness, RestConfig, RestServeError, RestServer};
use crate::runtime::client_telemetry::{with_default, ClientTelemetry};
use crate::runtime::status::StatusStore;
use crate::runtime::worker::Worker;
use crate::storage::config_kafka::KafkaConfigBackingStore;
use crate::storage::connector_offsets::OffsetTopics;
use crate::storage::internal_topics::{ensure_topic, InternalTopic};
use crate::storage::kafka_log::LogClients;
use crate::storage::status_kafka::KafkaStatusBackingStore;
use crate::storage::{KafkaOffsetBackingStore, OffsetBackingStore};

fn invalid(file: &std::path::Path, message: impl std::fmt::Display) -> StartupError {
    StartupError::config(format!(
        "Invalid configuration in {}: {message}",
        file.display()
    ))
}

fn storage_error(message: impl std::fmt::Display) -> StartupError {
    StartupError {
        code: 1,
        message: message.to_string(),
    }
}

/// Runs a distributed worker until SIGINT/SIGTERM.
pub async fn run_distributed(
    worker_file: PathBuf,
    log: logging::LogHandle,
) -> Result<(), StartupError> {
    let stop = StopSignal::listen();
    let props: Props = WorkerConfig::load_props(&worker_file, None)
        .map_err(|e| StartupError::config(e.to_string()))?;
    let config = WorkerConfig::parse_for(props, WorkerMode::Distributed)
        .map_err(|e| invalid(&worker_file, e))?;
    // Every later reader sees the worker keys with config-provider references resolved.
    let props = config.originals.clone();
    let dist = DistributedConfig::parse(&props).map_err(|e| invalid(&worker_file, e))?;
    let registry = Arc::new(PluginRegistry::builtin());
    check_worker_plugins(&worker_file, &config, &registry)?;
    let rest_config =
        RestConfig::from_props(&config.originals).map_err(|e| invalid(&worker_file, e))?;
    let server = RestServer::bind(&rest_config).await.map_err(|e| match e {
        RestServeError::Tls(e) => invalid(&worker_file, e),
        e => StartupError {
            code: 1,
            message: format!("Could not start the REST server: {e}"),
        },
    })?;
    let worker_id = server.worker_id();
    let url = server.advertised_url();
    info!(worker_id = %worker_id, url = %url, group = %dist.group_id, "Starting distributed worker.");
    crate::memory::spawn_trimmer(config.memory_trim_interval);
    // REST serves from now on, as Java's: `/health` answers 503 until the worker has joined
    // the group, and other requests wait for the herder (up to the request timeout) while
    // the internal topics are read.
    let config = Arc::new(config);
    let metrics = Worker::new_metrics(&config);
    let readiness = Readiness::starting();
    let (api_herder, herder_slot) = StartingHerder::new(worker_id.clone(), config.clone());
    let rest = ServingRest::start(
        server,
        api_herder,
        &registry,
        log,
        &readiness,
        metrics.clone(),
        config.topic_tracking,
    );
    // A failed start returns at once: the process exits, REST with it.
    let herder = start_herder(
        &worker_file,
        config.clone(),
        dist,
        registry,
        worker_id,
        url,
        metrics,
        &readiness,
    )
    .await?;
    herder_slot.set(herder.clone());
    info!("Sluice distributed worker started; it is ready once it has joined the group.");

    stop.wait().await;
    info!("Shutting down: stopping tasks, leaving the group, flushing statuses.");
    spawn_exit_watchdog(config.task_shutdown_timeout + SHUTDOWN_MARGIN);
    herder.shutdown().await;
    rest.stop().await;
    info!("Sluice stopped.");
    Ok(())
}

/// The settings of the internal topics' clients, as Java's worker makes them: every top-level
/// worker key the client defines (see [`internal_client_config`]; the `producer.`,
/// `consumer.` and `admin.` prefixes are the connectors' clients'), with
/// `enable.metrics.push=false` under them when the broker takes no client telemetry (asked
/// now, through `client_telemetry`, which the worker's tasks then share), and Java's client
/// ids over them.
struct InternalClients {
    /// The shared admin client (`<base>shared-admin`): creates and checks the topics.
    admin: rdkafka::ClientConfig,
    /// The logs' producer and consumer, without a client id of their own.
    logs: LogClients,
    /// Java's `ConnectUtils.clientIdBase`: `<group.id>-`, or `<group.id>-<client.id>-`.
    client_id_base: String,
}

impl InternalClients {
    async fn new(
        config: &WorkerConfig,
        dist: &DistributedConfig,
        client_telemetry: &ClientTelemetry,
    ) -> Self {
        let default = client_telemetry.client_default().await;
        let defaults = with_default(Vec::new(), &default);
        let of = |kind| internal_client_config(kind, &config.originals, &defaults);
        let client_id_base = if config.client_id.trim().is_empty() {
            format!("{}-", dist.group_id)
        } else {
            format!("{}-{}-", dist.group_id, config.client_id)
        };
        let mut admin = of(ClientKind::Admin);
        admin.set("client.id", format!("{client_id_base}shared-admin"));
        InternalClients {
            admin,
            logs: LogClients {
                producer: of(ClientKind::Producer),
                consumer: of(ClientKind::Consumer),
            },
            client_id_base,
        }
    }

    /// The clients of one internal topic's log: `<base><what>` (`configs`, `offsets`,
    /// `statuses`).
    fn log(&self, what: &str) -> LogClients {
        self.logs
            .with_client_id(&format!("{}{what}", self.client_id_base))
    }
}

/// Creates or checks the internal topics, reads them, and starts the herder (which joins
/// the group).
#[allow(clippy::too_many_arguments)]
async fn start_herder(
    worker_file: &std::path::Path,
    config: Arc<WorkerConfig>,
    dist: DistributedConfig,
    registry: Arc<PluginRegistry>,
    worker_id: String,
    url: String,
    metrics: Arc<crate::metrics::Metrics>,
    readiness: &Readiness,
) -> Result<Arc<DistributedHerder>, StartupError> {
    let worker_file = worker_file.to_path_buf();
    let props = config.originals.clone();

    // The internal topics: created compacted when missing, checked when present. Their
    // clients, like the tasks', push no client metrics to a broker that takes none.
    let client_telemetry = Arc::new(ClientTelemetry::new(&config.originals));
    let clients = InternalClients::new(&config, &dist, &client_telemetry).await;
    let admin: Arc<AdminClient<DefaultClientContext>> = Arc::new(
        clients
            .admin
            .create()
            .map_err(|e| invalid(&worker_file, format!("bootstrap.servers: {e}")))?,
    );
    let offsets_topic = InternalTopic::offsets(
        dist.offset_topic.clone(),
        dist.offset_partitions,
        dist.offset_replication_factor,
    );
    let status_topic = InternalTopic::status(
        dist.status_topic.clone(),
        dist.status_partitions,
        dist.status_replication_factor,
    );
    let config_topic =
        InternalTopic::config(dist.config_topic.clone(), dist.config_replication_factor);
    tokio::try_join!(
        ensure_topic(&admin, &offsets_topic),
        ensure_topic(&admin, &status_topic),
        ensure_topic(&admin, &config_topic),
    )
    .map_err(storage_error)?;
    // The three topics are read concurrently (each store returns once it has read its topic
    // to the end).
    let (updates_tx, config_updates) = tokio::sync::mpsc::unbounded_channel();
    let (offsets, statuses, configs) = tokio::try_join!(
        async {
            KafkaOffsetBackingStore::start(&dist.offset_topic, &clients.log("offsets"))
                .await
                .map_err(storage_error)
        },
        async {
            KafkaStatusBackingStore::start(&status_topic, &clients.log("statuses"), &admin)
                .await
                .map_err(storage_error)
        },
        async {
            KafkaConfigBackingStore::start(
                &config_topic,
                &clients.log("configs"),
                &admin,
                Arc::new(move |u| {
                    let _ = updates_tx.send(u);
                }),
            )
            .await
            .map_err(storage_error)
        },
    )?;
    let offsets: Arc<dyn OffsetBackingStore> = Arc::new(offsets);
    let statuses = Arc::new(statuses);
    let configs = Arc::new(configs);

    let generation = Arc::new(AtomicI32::new(-1));
    let status = Arc::new(
        StatusStore::new(worker_id.clone()).tracking_topics(config.topic_tracking.enabled),
    );
    {
        // A topic reset through any worker reaches this worker's table as it is read back.
        let status = status.clone();
        statuses.on_topic_removed(move |connector, topic| status.forget_topic(connector, topic));
    }
    status.set_listener(Arc::new(TopicStatusWriter::new(
        statuses.clone(),
        worker_id.clone(),
        generation.clone(),
    )));
    let (worker, worker_events) = Worker::with_metrics(
        config.clone(),
        registry,
        offsets.clone(),
        status,
        metrics,
        client_telemetry,
    );
    // Source connectors with `offsets.storage.topic` keep their offsets in that topic too.
    worker.set_offset_topics(Arc::new(OffsetTopics::new(
        admin,
        clients.logs,
        offsets_topic,
        offsets,
    )));
    let mut membership =
        MembershipConfig::from_worker_props(&props).map_err(|e| invalid(&worker_file, e))?;
    if config.client_id.is_empty() {
        membership.client_id = format!("connect-{worker_id}");
    }
    let herder = DistributedHerder::start(DistributedParts {
        worker,
        worker_events,
        dist,
        url,
        configs,
        config_updates,
        statuses,
        generation,
        membership,
        readiness: readiness.clone(),
    });
    Ok(herder)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::runtime::client_telemetry::tests::{broker, WITH, WITHOUT};

    fn worker(bootstrap: &str) -> WorkerConfig {
        WorkerConfig::parse_for(
            sluice_api::config::props_of(&[
                ("bootstrap.servers", bootstrap),
                ("group.id", "g"),
                ("key.converter", "StringConverter"),
                ("value.converter", "StringConverter"),
                ("config.storage.topic", "c"),
                ("offset.storage.topic", "o"),
                ("status.storage.topic", "s"),
            ]),
            WorkerMode::Distributed,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn dist(worker: &WorkerConfig) -> DistributedConfig {
        DistributedConfig::parse(&worker.originals).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The internal topics' clients push no metrics to a broker that takes none, and the
    /// answer is the worker's: its tasks do not ask again.
    #[tokio::test]
    async fn internal_clients_follow_the_brokers_telemetry() {
        let (addr, probes) = broker(WITHOUT).await;
        let w = worker(&addr);
        let telemetry = ClientTelemetry::new(&w.originals);
        let clients = InternalClients::new(&w, &dist(&w), &telemetry).await;
        let log = clients.log("offsets");
        for config in [&clients.admin, &log.producer, &log.consumer] {
            assert_eq!(config.get("enable.metrics.push"), Some("false"));
            assert_eq!(config.get("bootstrap.servers"), Some(addr.as_str()));
        }
        assert_eq!(
            telemetry.client_default().await,
            Some(("enable.metrics.push", "false".to_string()))
        );
        assert_eq!(probes.load(Ordering::SeqCst), 1);

        let (addr, _) = broker(WITH).await;
        let w = worker(&addr);
        let telemetry = ClientTelemetry::new(&w.originals);
        let clients = InternalClients::new(&w, &dist(&w), &telemetry).await;
        assert_eq!(clients.admin.get("enable.metrics.push"), None);
    }

    /// Java's client ids (`ConnectUtils.clientIdBase`) and its top-level keys.
    #[tokio::test]
    async fn internal_clients_take_javas_ids_and_the_top_level_keys() {
        let (addr, _) = broker(WITH).await;
        let mut w = worker(&addr);
        w.originals
            .insert("metadata.max.age.ms".into(), "60000".into());
        w.originals
            .insert("admin.metadata.max.age.ms".into(), "1000".into());
        w.originals.insert("compression.type".into(), "lz4".into());
        let telemetry = ClientTelemetry::new(&w.originals);
        let clients = InternalClients::new(&w, &dist(&w), &telemetry).await;
        assert_eq!(clients.admin.get("client.id"), Some("g-shared-admin"));
        assert_eq!(clients.admin.get("metadata.max.age.ms"), Some("60000"));
        assert_eq!(clients.admin.get("compression.type"), None);
        for (what, id) in [
            ("configs", "g-configs"),
            ("offsets", "g-offsets"),
            ("statuses", "g-statuses"),
        ] {
            let log = clients.log(what);
            assert_eq!(log.producer.get("client.id"), Some(id));
            assert_eq!(log.consumer.get("client.id"), Some(id));
            assert_eq!(log.producer.get("metadata.max.age.ms"), Some("60000"));
            assert_eq!(log.producer.get("compression.type"), Some("lz4"));
            assert_eq!(log.consumer.get("compression.type"), None);
        }
        w.client_id = "w1".into();
        w.originals.insert("client.id".into(), "w1".into());
        let clients = InternalClients::new(&w, &dist(&w), &telemetry).await;
        assert_eq!(clients.admin.get("client.id"), Some("g-w1-shared-admin"));
        assert_eq!(
            clients.log("statuses").producer.get("client.id"),
            Some("g-w1-statuses")
        );
    }
}
