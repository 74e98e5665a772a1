//! Whether the brokers take KIP-714 client metrics, which decides the default of
//! `enable.metrics.push` for the worker's Kafka clients.
//!
//! Java's clients push metrics only to a broker that advertises GetTelemetrySubscriptions in
//! its ApiVersions answer, and Kafka's brokers advertise it only when a metrics reporter that
//! receives client telemetry is configured (`ClientMetricsManager.isTelemetryReceiverConfigured`);
//! elsewhere `enable.metrics.push=true`, Java's default, does nothing. librdkafka, with the same
//! default, allocates its telemetry histograms when the client is created, whatever the broker
//! (~320 KB per consumer, ~145 KB per producer). So before the first task's clients (and a
//! distributed worker's internal-topic clients) are made, the worker asks one bootstrap broker
//! for its ApiVersions: when it does not advertise the API, those clients get
//! `enable.metrics.push=false` unless the worker (`consumer.`, `producer.`, `admin.`) or the
//! connector (`*.override.`) sets the key. When no broker answers, Java's default stays. A
//! definite answer is kept for the worker's life (a broker given a telemetry receiver later
//! is seen after the worker restarts); a failed probe is tried again at a task start at least
//! [`RETRY_AFTER`] later.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kafka_protocol::messages::ApiKey;

use crate::distributed::membership::config::bootstrap_servers;
use crate::distributed::membership::connection::{Connection, ConnectionError};
use crate::distributed::membership::SecurityConfig;

/// The librdkafka (and Java) key this module defaults.
pub const KEY: &str = "enable.metrics.push";

/// How long one broker may take to connect and answer ApiVersions.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long after a failed probe task starts keep Java's default without asking again.
pub const RETRY_AFTER: Duration = Duration::from_secs(60);

/// The client id of the probe's connection.
const CLIENT_ID: &str = "sluice-broker-features";

/// What is known of the brokers.
#[derive(Debug, Clone, Copy)]
enum Known {
    /// Not asked yet.
    Nothing,
    /// The broker answered: whether it advertises GetTelemetrySubscriptions.
    Telemetry(bool),
    /// No broker answered at this time.
    Failed(Instant),
}

/// Where and how the probe connects, read once from the worker's settings.
struct Target {
    /// `bootstrap.servers`.
    servers: Vec<String>,
    /// `security.protocol`, `sasl.*`, `ssl.*`.
    security: SecurityConfig,
}

/// The worker's view of its brokers' client-telemetry support.
pub struct ClientTelemetry {
    /// The probe's target, or why the worker's settings give none (every probe fails so).
    target: Result<Target, String>,
    known: tokio::sync::Mutex<Known>,
}

impl std::fmt::Debug for ClientTelemetry {
    // The target's security settings hold the worker's secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTelemetry")
            .field("known", &self.known)
            .finish_non_exhaustive()
    }
}

impl ClientTelemetry {
    /// Probes with the worker's connection and security settings.
    pub fn new(worker: &BTreeMap<String, String>) -> Self {
        ClientTelemetry {
            target: read_target(worker),
            known: tokio::sync::Mutex::new(Known::Nothing),
        }
    }

    /// The default to add to a client's (below the worker's and the connector's settings):
    /// `enable.metrics.push=false` when the broker takes no client telemetry.
    /// Probes the broker the first time (and again after a failed probe, [`RETRY_AFTER`]
    /// later); tasks starting together wait for one probe.
    pub async fn client_default(&self) -> ClientDefault {
        let mut known = self.known.lock().await;
        let ask = match *known {
            Known::Nothing => true,
            Known::Failed(at) => at.elapsed() >= RETRY_AFTER,
            Known::Telemetry(_) => false,
        };
        if ask {
            let answer = match &self.target {
                Ok(target) => probe(target).await,
                Err(reason) => Err(reason.clone()),
            };
            *known = match answer {
                Ok(takes) => {
                    tracing::debug!(
                        telemetry = takes,
                        "Asked the broker whether it takes client metrics (KIP-714)."
                    );
                    Known::Telemetry(takes)
                }
                Err(reason) => {
                    tracing::debug!(%reason, "Could not ask a broker whether it takes client metrics; clients keep enable.metrics.push=true.");
                    Known::Failed(Instant::now())
                }
            };
        }
        match *known {
            Known::Telemetry(false) => Some((KEY, "false".to_string())),
            _ => None,
        }
    }
}

/// A default the worker adds to its clients' ([`ClientTelemetry::client_default`]).
pub type ClientDefault = Option<(&'static str, String)>;

/// `defaults` with the worker's `extra` default, if any (Java's defaults come first; the
/// worker's and connector's client settings override both).
pub fn with_default(
    mut defaults: Vec<(&'static str, String)>,
    extra: &ClientDefault,
) -> Vec<(&'static str, String)> {
    if let Some((key, value)) = extra {
        if !defaults.iter().any(|(k, _)| k == key) {
            defaults.push((key, value.clone()));
        }
    }
    defaults
}

/// Whether a bootstrap broker advertises GetTelemetrySubscriptions: the first of
/// `bootstrap.servers` that answers ApiVersions within [`PROBE_TIMEOUT`] decides.
pub async fn broker_takes_telemetry(settings: &BTreeMap<String, String>) -> Result<bool, String> {
    probe(&read_target(settings)?).await
}

/// The probe's target from the worker's settings.
fn read_target(settings: &BTreeMap<String, String>) -> Result<Target, String> {
    Ok(Target {
        servers: bootstrap_servers(settings).map_err(|e| e.to_string())?,
        security: SecurityConfig::from_props(settings).map_err(|e| e.to_string())?,
    })
}

/// Asks the servers of `target` in turn; the first that answers decides.
async fn probe(target: &Target) -> Result<bool, String> {
    let mut last: Option<ConnectionError> = None;
    for server in &target.servers {
        match Connection::connect(server, CLIENT_ID, &target.security, PROBE_TIMEOUT).await {
            Ok(conn) => return Ok(conn.supports(ApiKey::GetTelemetrySubscriptions)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or_else(|| "no bootstrap server".to_string(), |e| e.to_string()))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    use super::*;
    use crate::distributed::membership::fake_broker_tests::{api_versions, read};

    /// A broker answering every request with ApiVersions' answer `apis`; counts the
    /// connections whose first request names the probe's client id.
    pub(crate) async fn broker(apis: &'static [(i16, i16, i16)]) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut first = true;
                    while let Some(frame) = read(&mut socket).await {
                        if std::mem::take(&mut first)
                            && frame
                                .windows(CLIENT_ID.len())
                                .any(|w| w == CLIENT_ID.as_bytes())
                        {
                            seen.fetch_add(1, Ordering::SeqCst);
                        }
                        let version = i16::from_be_bytes([frame[2], frame[3]]);
                        let mut out = frame[4..8].to_vec();
                        api_versions(&mut out, version, apis);
                        let mut sized = (out.len() as i32).to_be_bytes().to_vec();
                        sized.extend_from_slice(&out);
                        if socket.write_all(&sized).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (addr, connections)
    }

    /// ApiVersions 0-3, Metadata, Fetch: a broker without a telemetry receiver.
    pub(crate) const WITHOUT: &[(i16, i16, i16)] = &[(18, 0, 2), (3, 0, 12), (1, 0, 13)];
    /// The same with GetTelemetrySubscriptions (71) and PushTelemetry (72).
    pub(crate) const WITH: &[(i16, i16, i16)] =
        &[(18, 0, 2), (3, 0, 12), (1, 0, 13), (71, 0, 0), (72, 0, 0)];

    fn settings(servers: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("bootstrap.servers".to_string(), servers.to_string())])
    }

    #[tokio::test]
    async fn a_broker_without_telemetry_turns_push_off_once() {
        let (addr, connections) = broker(WITHOUT).await;
        let telemetry = ClientTelemetry::new(&settings(&addr));
        for _ in 0..3 {
            assert_eq!(
                telemetry.client_default().await,
                Some(("enable.metrics.push", "false".to_string()))
            );
        }
        // One probe for the worker's life.
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_broker_with_telemetry_keeps_javas_default() {
        let (addr, _) = broker(WITH).await;
        assert_eq!(broker_takes_telemetry(&settings(&addr)).await, Ok(true));
        let telemetry = ClientTelemetry::new(&settings(&addr));
        assert_eq!(telemetry.client_default().await, None);
    }

    #[tokio::test]
    async fn the_first_broker_that_answers_decides() {
        // A port nothing listens on, then the broker.
        let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let dead = closed.local_addr().expect("addr").to_string();
        drop(closed);
        let (addr, _) = broker(WITHOUT).await;
        assert_eq!(
            broker_takes_telemetry(&settings(&format!("{dead},{addr}"))).await,
            Ok(false)
        );
    }

    #[tokio::test]
    async fn no_broker_keeps_javas_default_and_is_not_asked_again_at_once() {
        let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let dead = closed.local_addr().expect("addr").to_string();
        drop(closed);
        let telemetry = ClientTelemetry::new(&settings(&dead));
        assert_eq!(telemetry.client_default().await, None);
        // Started within RETRY_AFTER: not asked again, so a broker that comes up now is not
        // seen yet.
        assert!(matches!(*telemetry.known.lock().await, Known::Failed(_)));
        let err = broker_takes_telemetry(&settings(&dead)).await.unwrap_err();
        assert!(err.contains(&dead), "{err}");
        // Settings the probe cannot use keep the default too, naming the key.
        let err = broker_takes_telemetry(&settings("nohost"))
            .await
            .unwrap_err();
        assert!(err.contains("bootstrap.servers"), "{err}");
    }

    /// A task start asks the broker (once for the worker) before the task's clients are made.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn starting_a_task_asks_the_broker() {
        use crate::herder::{ConnectorTaskId, Herder};
        use crate::runtime::test_harness::{herder, props, registry, NopSinkTask, OneTask};
        use crate::storage::MemoryOffsetBackingStore;
        use sluice_api::{Plugin, PluginFactory, SinkTask};

        let (addr, probes) = broker(WITHOUT).await;
        let h = herder(
            &addr,
            &[
                ("key.converter", "StringConverter"),
                ("value.converter", "StringConverter"),
            ],
            registry(vec![Plugin {
                class: "test.NullSinkConnector",
                version: "test",
                factory: PluginFactory::Sink(|| {
                    Box::new(OneTask::<Box<dyn SinkTask>>::new(|| Box::new(NopSinkTask)))
                }),
            }]),
            Arc::new(MemoryOffsetBackingStore::new()),
        );
        assert_eq!(probes.load(Ordering::SeqCst), 0, "asked before any task");
        for name in ["a", "b"] {
            let config = props(&[
                ("name", name),
                ("connector.class", "test.NullSinkConnector"),
                ("topics", "t"),
            ]);
            h.put_connector_config(name, config, false, None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let id = ConnectorTaskId {
                connector: name.into(),
                task: 0,
            };
            for _ in 0..200 {
                if h.worker().status().task(&id).is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        assert_eq!(probes.load(Ordering::SeqCst), 1);
        assert!(matches!(
            *h.worker().client_telemetry().known.lock().await,
            Known::Telemetry(false)
        ));
        h.shutdown().await;
    }

    #[tokio::test]
    async fn a_failed_probe_is_retried_after_the_pause() {
        let (addr, connections) = broker(WITHOUT).await;
        let telemetry = ClientTelemetry::new(&settings(&addr));
        *telemetry.known.lock().await = Known::Failed(Instant::now() - RETRY_AFTER);
        assert_eq!(
            telemetry.client_default().await,
            Some(("enable.metrics.push", "false".to_string()))
        );
        assert_eq!(connections.load(Ordering::SeqCst), 1);
        *telemetry.known.lock().await = Known::Failed(Instant::now());
        assert_eq!(telemetry.client_default().await, None);
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }

    /// The worker's `enable.metrics.push=false` (a broker without client telemetry) sits with
    /// Java's defaults: the worker's `consumer.` and the connector's `consumer.override.`
    /// settings still decide.
    #[test]
    fn the_telemetry_default_yields_to_worker_and_connector_settings() {
        let id = crate::model::ConnectorTaskId {
            connector: "c".into(),
            task: 0,
        };
        let off: ClientDefault = Some(("enable.metrics.push", "false".to_string()));
        let defaults = with_default(crate::runtime::sink::consumer_defaults(&id), &off);
        let effective = |worker: &[(&str, &str)], connector: &[(&str, &str)]| {
            crate::config::kafka_clients::java_settings(
                crate::config::kafka_clients::ClientKind::Consumer,
                &sluice_api::config::props_of(worker),
                &sluice_api::config::props_of(connector),
                &defaults,
            )
            .get("enable.metrics.push")
            .cloned()
        };
        assert_eq!(effective(&[], &[]).as_deref(), Some("false"));
        assert_eq!(
            effective(&[("consumer.enable.metrics.push", "true")], &[]).as_deref(),
            Some("true")
        );
        assert_eq!(
            effective(&[], &[("consumer.override.enable.metrics.push", "true")]).as_deref(),
            Some("true")
        );
        // Nothing added when the broker takes telemetry or was not reached.
        assert_eq!(
            with_default(crate::runtime::source::producer_defaults(&id), &None),
            crate::runtime::source::producer_defaults(&id)
        );
        // A default of the same key already there stays.
        assert_eq!(
            with_default(vec![("enable.metrics.push", "true".to_string())], &off),
            vec![("enable.metrics.push", "true".to_string())]
        );
    }
}
