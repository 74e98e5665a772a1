//! The group membership client (`sluice_worker::distributed::membership`) against real
//! coordinators:
//!
//! * tansu (`SLUICE_BOOTSTRAP_SERVERS`, default 127.0.0.1:9092): joining a `connect` group,
//!   the leader's view of every member's metadata, per-member assignments, the rebalance a
//!   third member triggers, the rebalance a LeaveGroup triggers; and the same through a
//!   TLS-terminating proxy (rustls, certificates from rcgen), so the SSL transport is used.
//! * librdkafka's in-process mock cluster: crash failover (tansu never reassigns a member
//!   that died without LeaveGroup) and injected coordinator errors.
//!
//! Every test uses its own group id; an unreachable broker fails the tests.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rdkafka::mocking::MockCluster;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sluice_worker::distributed::membership::connection::{Connection, ConnectionError};
use sluice_worker::distributed::membership::{
    spawn, GroupHandler, GroupMember, JoinedMember, MembershipConfig, SecurityConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One completed generation as a member's handler saw it.
#[derive(Debug, Clone)]
struct Completion {
    generation: i32,
    member_id: String,
    leader_id: String,
    protocol: String,
    assignment: Bytes,
}

/// A handler that offers `meta-<name>-<epoch>`, assigns `for <member id> (<its metadata>)` to every
/// member, and records what it sees.
struct Recorder {
    name: String,
    completions: Mutex<Vec<Completion>>,
    leader_views: Mutex<Vec<Vec<JoinedMember>>>,
    prepares: AtomicUsize,
    /// Part of the metadata, as a worker's config offset is: a new value asks for a
    /// rebalance.
    epoch: AtomicUsize,
    /// How long `on_join_complete` takes (ms).
    complete_delay_ms: AtomicUsize,
}

impl Recorder {
    fn new(name: &str) -> Arc<Self> {
        Arc::new(Recorder {
            name: name.to_string(),
            completions: Mutex::new(Vec::new()),
            leader_views: Mutex::new(Vec::new()),
            prepares: AtomicUsize::new(0),
            epoch: AtomicUsize::new(0),
            complete_delay_ms: AtomicUsize::new(0),
        })
    }

    fn metadata(&self) -> Bytes {
        Bytes::from(format!(
            "meta-{}-{}",
            self.name,
            self.epoch.load(Ordering::SeqCst)
        ))
    }

    fn last(&self) -> Option<Completion> {
        self.completions.lock().expect("lock").last().cloned()
    }

    fn last_leader_view(&self) -> Option<Vec<JoinedMember>> {
        self.leader_views.lock().expect("lock").last().cloned()
    }
}

#[async_trait]
impl GroupHandler for Recorder {
    fn join_protocols(&self) -> Vec<(String, Bytes)> {
        vec![("default".to_string(), self.metadata())]
    }

    async fn on_join_prepare(&self, _generation: i32, _member_id: &str) {
        self.prepares.fetch_add(1, Ordering::SeqCst);
    }

    async fn assign(
        &self,
        _generation: i32,
        _leader_id: &str,
        _protocol: &str,
        members: &[JoinedMember],
    ) -> BTreeMap<String, Bytes> {
        // librdkafka's mock cluster completes a sync as soon as the leader's SyncGroup
        // arrives and answers a follower's later SyncGroup with INVALID_REQUEST (a real
        // broker hands it the stored assignment). A leader that assigns instantly can win
        // that race every round under load; a real leader reads the config topic first.
        tokio::time::sleep(Duration::from_millis(LEADER_ASSIGN_MS)).await;
        self.leader_views
            .lock()
            .expect("lock")
            .push(members.to_vec());
        members
            .iter()
            .map(|m| (m.member_id.clone(), expected_assignment(m)))
            .collect()
    }

    async fn on_join_complete(
        &self,
        generation: i32,
        member_id: &str,
        leader_id: &str,
        protocol: &str,
        assignment: Bytes,
    ) {
        let delay = self.complete_delay_ms.load(Ordering::SeqCst) as u64;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        self.completions.lock().expect("lock").push(Completion {
            generation,
            member_id: member_id.to_string(),
            leader_id: leader_id.to_string(),
            protocol: protocol.to_string(),
            assignment,
        });
    }
}

/// How long the test leader takes to assign (see `Recorder::assign`).
const LEADER_ASSIGN_MS: u64 = 200;

fn expected_assignment(m: &JoinedMember) -> Bytes {
    Bytes::from(format!(
        "for {} ({})",
        m.member_id,
        String::from_utf8_lossy(&m.metadata)
    ))
}

/// Logs of the membership client in the test output (`RUST_LOG` overrides).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "sluice_worker::distributed=debug".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

fn config(bootstrap: &str, group: &str, client: &str, extra: &[(&str, &str)]) -> MembershipConfig {
    let mut props: BTreeMap<String, String> = [
        ("bootstrap.servers", bootstrap),
        ("group.id", group),
        ("client.id", client),
        ("session.timeout.ms", "10000"),
        ("heartbeat.interval.ms", "1000"),
        ("rebalance.timeout.ms", "20000"),
        ("request.timeout.ms", "30000"),
        ("retry.backoff.ms", "200"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        props.insert(k.to_string(), v.to_string());
    }
    MembershipConfig::from_worker_props(&props).expect("membership config")
}

/// Polls `probe` every 100 ms until it gives a value; fails the test after `timeout`.
async fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every member completed the same generation, newer than `after`, with
/// `members.len()` members in it; gives that generation.
async fn wait_for_common_generation(
    what: &str,
    members: &[(&GroupMember, &Arc<Recorder>)],
    after: i32,
    timeout: Duration,
) -> i32 {
    wait_for(what, timeout, || {
        let gens: Vec<(i32, String)> = members
            .iter()
            .map(|(m, _)| m.generation())
            .collect::<Option<Vec<_>>>()?;
        let g = gens[0].0;
        if g <= after || gens.iter().any(|(x, _)| *x != g) {
            return None;
        }
        // The leader saw every member in this generation.
        let leader = members
            .iter()
            .find(|(_, r)| r.last().is_some_and(|c| c.member_id == c.leader_id))?;
        let view = leader.1.last_leader_view()?;
        (view.len() == members.len()).then_some(g)
    })
    .await
}

/// Checks the generation `g` of `members`: one leader, the leader saw every member's
/// metadata, each member got exactly its own assignment.
fn check_generation(members: &[(&GroupMember, &Arc<Recorder>)], g: i32) {
    let completions: Vec<Completion> = members
        .iter()
        .map(|(_, r)| r.last().expect("a completion"))
        .collect();
    let leader_id = completions[0].leader_id.clone();
    let mut leaders = 0;
    let mut ids = HashSet::new();
    for ((_, recorder), c) in members.iter().zip(&completions) {
        assert_eq!(c.generation, g);
        assert_eq!(c.leader_id, leader_id, "one leader for everyone");
        assert_eq!(c.protocol, "default");
        assert!(ids.insert(c.member_id.clone()), "distinct member ids");
        let own = JoinedMember {
            member_id: c.member_id.clone(),
            group_instance_id: None,
            metadata: recorder.metadata(),
        };
        assert_eq!(c.assignment, expected_assignment(&own), "{}", recorder.name);
        if c.member_id == leader_id {
            leaders += 1;
            let view = recorder.last_leader_view().expect("leader view");
            let mut seen: Vec<(String, Bytes)> = view
                .iter()
                .map(|m| (m.member_id.clone(), m.metadata.clone()))
                .collect();
            seen.sort();
            let mut expected: Vec<(String, Bytes)> = members
                .iter()
                .zip(&completions)
                .map(|((_, r), c)| (c.member_id.clone(), r.metadata()))
                .collect();
            expected.sort();
            assert_eq!(seen, expected, "the leader sees every member's metadata");
        }
    }
    assert_eq!(leaders, 1, "exactly one member leads");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_join_rebalance_and_leave_on_tansu() {
    init_logs();
    let bootstrap = common::bootstrap_servers();
    let group = common::unique_name("membership");
    let (ra, rb, rc) = (Recorder::new("a"), Recorder::new("b"), Recorder::new("c"));
    let a = spawn(config(&bootstrap, &group, "a", &[]), ra.clone());
    let b = spawn(config(&bootstrap, &group, "b", &[]), rb.clone());

    let two = [(&a, &ra), (&b, &rb)];
    let g1 = wait_for_common_generation("two members", &two, 0, Duration::from_secs(60)).await;
    check_generation(&two, g1);

    // A third member: a new generation for everyone.
    let c = spawn(config(&bootstrap, &group, "c", &[]), rc.clone());
    let three = [(&a, &ra), (&b, &rb), (&c, &rc)];
    let g2 = wait_for_common_generation("three members", &three, g1, Duration::from_secs(60)).await;
    check_generation(&three, g2);
    assert!(
        ra.prepares.load(Ordering::SeqCst) >= 2,
        "a prepared to rejoin"
    );

    // One leaves: the other two rebalance without it.
    c.leave().await;
    let g3 = wait_for_common_generation(
        "two members after a leave",
        &two,
        g2,
        Duration::from_secs(60),
    )
    .await;
    check_generation(&two, g3);

    // New metadata (as a worker's config offset moves) and a rejoin request: a new
    // generation in which the leader sees the new metadata.
    ra.epoch.store(1, Ordering::SeqCst);
    a.request_rejoin();
    let g4 =
        wait_for_common_generation("a requested rejoin", &two, g3, Duration::from_secs(60)).await;
    check_generation(&two, g4);

    a.leave().await;
    b.leave().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashed_member_is_dropped_after_the_session_timeout_on_mock_cluster() {
    init_logs();
    let mock = MockCluster::new(1).expect("mock cluster");
    let bootstrap = mock.bootstrap_servers();
    let group = common::unique_name("membership-crash");
    let short = [
        ("session.timeout.ms", "6000"),
        ("heartbeat.interval.ms", "500"),
        ("rebalance.timeout.ms", "10000"),
    ];
    let (ra, rb) = (Recorder::new("a"), Recorder::new("b"));
    let a = spawn(config(&bootstrap, &group, "a", &short), ra.clone());
    let b = spawn(config(&bootstrap, &group, "b", &short), rb.clone());
    let two = [(&a, &ra), (&b, &rb)];
    let g1 = wait_for_common_generation("two members", &two, 0, Duration::from_secs(60)).await;
    check_generation(&two, g1);

    // b crashes: no LeaveGroup, no more heartbeats, its socket is closed.
    let started = std::time::Instant::now();
    b.stop();
    let one = [(&a, &ra)];
    let g2 = wait_for_common_generation(
        "the survivor alone in a new generation",
        &one,
        g1,
        Duration::from_secs(60),
    )
    .await;
    check_generation(&one, g2);
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "the coordinator waits for the session timeout ({:?})",
        started.elapsed()
    );
    a.leave().await;
    drop(mock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coordinator_errors_end_in_a_rejoin_on_mock_cluster() {
    init_logs();
    let mock = MockCluster::new(1).expect("mock cluster");
    let bootstrap = mock.bootstrap_servers();
    let group = common::unique_name("membership-errors");
    // The first JoinGroups fail with errors of every recovery kind, then succeed.
    mock.request_errors(
        RDKafkaApiKey::JoinGroup,
        &[
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_INVALID_REQUEST,
        ],
    );
    let ra = Recorder::new("a");
    let a = spawn(
        config(&bootstrap, &group, "a", &[("heartbeat.interval.ms", "300")]),
        ra.clone(),
    );
    let one = [(&a, &ra)];
    let g1 =
        wait_for_common_generation("a joined despite errors", &one, 0, Duration::from_secs(30))
            .await;
    check_generation(&one, g1);

    // A heartbeat answered REBALANCE_IN_PROGRESS makes the member rejoin: a new generation.
    mock.request_errors(
        RDKafkaApiKey::Heartbeat,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS],
    );
    let g2 =
        wait_for_common_generation("rejoin after heartbeat", &one, g1, Duration::from_secs(30))
            .await;
    check_generation(&one, g2);

    // UNKNOWN_MEMBER_ID on a heartbeat: the member id is forgotten and a new one is given.
    let old_id = a.generation().expect("generation").1;
    mock.request_errors(
        RDKafkaApiKey::Heartbeat,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID],
    );
    let new_id = wait_for("a new member id", Duration::from_secs(30), || {
        a.generation()
            .filter(|(_, id)| *id != old_id)
            .map(|(_, id)| id)
    })
    .await;
    assert!(!new_id.is_empty());
    a.leave().await;
    drop(mock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_continue_while_a_callback_runs_on_mock_cluster() {
    init_logs();
    let mock = MockCluster::new(1).expect("mock cluster");
    let bootstrap = mock.bootstrap_servers();
    let group = common::unique_name("membership-slow");
    let short = [
        ("session.timeout.ms", "6000"),
        ("heartbeat.interval.ms", "500"),
    ];
    let ra = Recorder::new("a");
    // on_join_complete takes longer than the session timeout: only heartbeats sent while
    // it runs keep the member in the group.
    ra.complete_delay_ms.store(9000, Ordering::SeqCst);
    let a = spawn(config(&bootstrap, &group, "a", &short), ra.clone());
    let one = [(&a, &ra)];
    let g1 = wait_for_common_generation("a slow join", &one, 0, Duration::from_secs(60)).await;
    let id = a.generation().expect("generation").1;
    ra.complete_delay_ms.store(0, Ordering::SeqCst);
    // Another session timeout later the member is still in the same generation with the
    // same member id (an expired session would have been answered UNKNOWN_MEMBER_ID).
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(a.generation(), Some((g1, id)));
    assert_eq!(ra.completions.lock().expect("lock").len(), 1);
    a.leave().await;
    drop(mock);
}

// ---------------------------------------------------------------------------------------
// TLS: a rustls proxy in front of tansu.

/// A certificate and its PEM, for the SANs given.
fn certificate(sans: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>, String) {
    let key = rcgen::generate_simple_self_signed(
        sans.iter().map(|s| s.to_string()).collect::<Vec<String>>(),
    )
    .expect("certificate");
    (
        key.cert.der().clone(),
        PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into()),
        key.cert.pem(),
    )
}

/// A TLS-terminating proxy to `upstream` on 127.0.0.1; FindCoordinator responses are
/// patched so the coordinator's port is the proxy's (the broker advertises its own port).
/// Gives the port and a counter of completed TLS handshakes.
async fn tls_proxy(
    upstream: String,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> (u16, Arc<AtomicUsize>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let count = handshakes.clone();
    let upstream_port: i32 = upstream
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .expect("upstream port");
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let upstream = upstream.clone();
            let count = count.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let Ok(broker) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut client_r, mut client_w) = tokio::io::split(tls);
                let (mut broker_r, mut broker_w) = broker.into_split();
                let find_coordinator = Arc::new(Mutex::new(HashSet::<i32>::new()));
                let requests = find_coordinator.clone();
                let up = tokio::spawn(async move {
                    while let Some(frame) = read_frame(&mut client_r).await {
                        // Request header: api key (i16), version (i16), correlation id (i32).
                        if frame.len() >= 8 && i16::from_be_bytes([frame[0], frame[1]]) == 10 {
                            let id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
                            requests.lock().expect("lock").insert(id);
                        }
                        if write_frame(&mut broker_w, &frame).await.is_err() {
                            return;
                        }
                    }
                });
                while let Some(mut frame) = read_frame(&mut broker_r).await {
                    let id = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
                    if find_coordinator.lock().expect("lock").remove(&id) {
                        let from = upstream_port.to_be_bytes();
                        let to = i32::from(port).to_be_bytes();
                        for i in 4..frame.len().saturating_sub(3) {
                            if frame[i..i + 4] == from {
                                frame[i..i + 4].copy_from_slice(&to);
                            }
                        }
                    }
                    if write_frame(&mut client_w, &frame).await.is_err() {
                        break;
                    }
                }
                up.abort();
            });
        }
    });
    (port, handshakes)
}

async fn read_frame<R: tokio::io::AsyncRead + Unpin>(r: &mut R) -> Option<Vec<u8>> {
    let mut size = [0u8; 4];
    r.read_exact(&mut size).await.ok()?;
    let mut frame = vec![0u8; usize::try_from(i32::from_be_bytes(size)).ok()?];
    r.read_exact(&mut frame).await.ok()?;
    Some(frame)
}

async fn write_frame<W: tokio::io::AsyncWrite + Unpin>(
    w: &mut W,
    frame: &[u8],
) -> std::io::Result<()> {
    let len = i32::try_from(frame.len()).map_err(std::io::Error::other)?;
    w.write_all(&len.to_be_bytes()).await?;
    w.write_all(frame).await?;
    w.flush().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_join_over_ssl_through_a_tls_proxy() {
    let upstream = common::bootstrap_servers()
        .split(',')
        .next()
        .expect("a bootstrap server")
        .trim()
        .to_string();
    let (cert, key, pem) = certificate(&["localhost", "127.0.0.1"]);
    let (port, handshakes) = tls_proxy(upstream.clone(), cert, key).await;
    let group = common::unique_name("membership-tls");
    let bootstrap = format!("localhost:{port}");
    let ssl = [
        ("security.protocol", "SSL"),
        ("ssl.truststore.certificates", pem.as_str()),
    ];
    let (ra, rb) = (Recorder::new("a"), Recorder::new("b"));
    let a = spawn(config(&bootstrap, &group, "a", &ssl), ra.clone());
    let b = spawn(config(&bootstrap, &group, "b", &ssl), rb.clone());
    let two = [(&a, &ra), (&b, &rb)];
    let g1 =
        wait_for_common_generation("two members over TLS", &two, 0, Duration::from_secs(60)).await;
    check_generation(&two, g1);
    // Bootstrap and coordinator connections of both members went through the proxy.
    assert!(handshakes.load(Ordering::SeqCst) >= 4, "TLS handshakes");
    a.leave().await;
    b.leave().await;

    // A client that trusts another certificate is refused by the TLS handshake.
    let (_, _, other_pem) = certificate(&["localhost"]);
    let other = MembershipConfig::from_worker_props(
        &[
            ("group.id", group.as_str()),
            ("security.protocol", "SSL"),
            ("ssl.truststore.certificates", other_pem.as_str()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    )
    .expect("config");
    let err = Connection::connect(&bootstrap, "x", &other.security, Duration::from_secs(10))
        .await
        .expect_err("untrusted certificate");
    assert!(matches!(err, ConnectionError::Tls { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostname_verification_follows_endpoint_identification() {
    let upstream = common::bootstrap_servers()
        .split(',')
        .next()
        .expect("a bootstrap server")
        .trim()
        .to_string();
    // A certificate for another host name.
    let (cert, key, pem) = certificate(&["broker.example"]);
    let (port, _) = tls_proxy(upstream, cert, key).await;
    let addr = format!("127.0.0.1:{port}");
    let security = |algorithm: Option<&str>| {
        let mut props: BTreeMap<String, String> = [
            ("security.protocol", "SSL"),
            ("ssl.truststore.certificates", pem.as_str()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if let Some(a) = algorithm {
            props.insert(
                "ssl.endpoint.identification.algorithm".to_string(),
                a.to_string(),
            );
        }
        SecurityConfig::from_props(&props).expect("security")
    };
    let err = Connection::connect(&addr, "x", &security(None), Duration::from_secs(10))
        .await
        .expect_err("the host name does not match");
    assert!(matches!(err, ConnectionError::Tls { .. }), "{err}");
    // Empty: the chain is checked, the name is not; ApiVersions then works through TLS.
    let conn = Connection::connect(&addr, "x", &security(Some("")), Duration::from_secs(10))
        .await
        .expect("connect without hostname verification");
    assert!(conn
        .version(kafka_protocol::messages::ApiKey::JoinGroup, None)
        .is_ok());
}
