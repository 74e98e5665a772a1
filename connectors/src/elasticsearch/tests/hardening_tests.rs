//! Fault paths of issue 9: timeouts, non-retriable statuses, the connection pool, stopping with
//! requests in flight, failures surfacing between records, bounded validation, and late
//! answers after a revoke.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice_api::{Connector, SinkTask, TopicPartition};
use sluice_testkit::{EsTestServer, ItemFault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::support::{delivered, position, props, start};
use crate::elasticsearch::client::EsClient;
use crate::elasticsearch::config::EsSinkConfig;
use crate::elasticsearch::connector::{ElasticsearchSinkConnector, VALIDATION_CALL_CAP};
use crate::elasticsearch::processor::INDEXING_FAILED;

fn positions(n: i64) -> Vec<sluice_api::SinkRecord> {
    (0..n).map(|o| position("position", 0, o, o)).collect()
}

fn keyless(url: &str, extra: &[(&str, &str)]) -> sluice_api::Props {
    let mut pairs = vec![("key.ignore", "true"), ("schema.ignore", "true")];
    pairs.extend_from_slice(extra);
    props(url, &pairs)
}

fn client(url: &str, extra: &[(&str, &str)]) -> EsClient {
    let cfg = EsSinkConfig::parse(&props(url, extra)).expect("valid config");
    EsClient::new(&cfg).expect("client")
}

/// Calls `put([])` (what the runtime does on an idle poll) until it fails, for up to 10 s.
async fn empty_put_error(task: &mut crate::elasticsearch::ElasticsearchSinkTask) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Err(e) = task.put(&Vec::new()).await {
            return e.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "put([]) never reported the failure"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A bare HTTP/1.1 server answering every request `200` with an empty body on kept-alive
/// connections, counting the connections it accepted.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                loop {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        let answer = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, accepted)
}

// ----- item 7: the client -----

#[tokio::test]
async fn read_timeout_bounds_the_wait_for_an_answer_whatever_the_connect_timeout() {
    let es = EsTestServer::start().await.unwrap();
    es.set_delay(Duration::from_millis(800));
    // Connect budget 2 s, read budget 300 ms: an answer after 800 ms is a read timeout (the
    // two used to be added into one 2.3 s deadline).
    let slow = client(
        es.url(),
        &[
            ("connection.timeout.ms", "2000"),
            ("read.timeout.ms", "300"),
        ],
    );
    let started = Instant::now();
    let err = slow.ping().await.expect_err("read timeout");
    assert!(started.elapsed() < Duration::from_millis(750), "{err}");
    // With a read budget above the delay the same call succeeds.
    let patient = client(
        es.url(),
        &[
            ("connection.timeout.ms", "100"),
            ("read.timeout.ms", "3000"),
        ],
    );
    patient.ping().await.expect("answer within read.timeout.ms");
}

#[tokio::test]
async fn connection_timeout_bounds_connecting_whatever_the_read_timeout() {
    // A listener whose accept queue is full: the kernel drops further SYNs, so connecting
    // hangs until the connect timeout.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(s);
        }
    }
    let c = client(
        &format!("http://{addr}"),
        &[
            ("connection.timeout.ms", "300"),
            ("read.timeout.ms", "60000"),
        ],
    );
    let started = Instant::now();
    let err = c.ping().await.expect_err("connect timeout");
    assert!(started.elapsed() < Duration::from_secs(5), "{err}");
    drop((fillers, listener));
}

#[tokio::test]
async fn idle_pooled_connections_are_closed_after_max_connection_idle_time() {
    let (url, accepted) = counting_server().await;
    let keep = client(&url, &[]);
    keep.ping().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    keep.ping().await.unwrap();
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "default 60 s: reused");

    let (url, accepted) = counting_server().await;
    let short = client(&url, &[("max.connection.idle.time.ms", "100")]);
    short.ping().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    short.ping().await.unwrap();
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "idle longer than max.connection.idle.time.ms: a new connection"
    );
}

#[tokio::test]
async fn non_retriable_bulk_statuses_fail_at_once_and_others_are_retried() {
    for status in [400u16, 401, 403, 404, 500] {
        let es = EsTestServer::start().await.unwrap();
        es.fail_next_bulks(status, 100);
        let config = keyless(es.url(), &[("max.retries", "3")]);
        let mut h = start(config, &[("position", 0)], None).await.unwrap();
        h.task.put(&positions(2)).await.unwrap();
        let err = empty_put_error(&mut h.task).await;
        assert!(
            err.starts_with(&format!(
                "Failed to execute bulk request due to 'status {status}"
            )),
            "{status}: {err}"
        );
        let attempts = if status == 500 { 4 } else { 1 };
        assert!(
            err.ends_with(&format!("after {attempts} attempt(s)")),
            "{status}: {err}"
        );
        assert_eq!(es.stats().bulk_requests, attempts, "{status}");
    }
}

#[tokio::test]
async fn stop_aborts_bulk_requests_waiting_to_be_retried() {
    let es = EsTestServer::start().await.unwrap();
    let config = keyless(
        es.url(),
        &[
            ("max.retries", "100000"),
            ("retry.backoff.ms", "0"),
            ("flush.timeout.ms", "1000"),
        ],
    );
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    es.fail_next_bulks(500, u64::MAX);
    es.set_delay(Duration::from_millis(20));
    h.task.put(&positions(3)).await.unwrap();
    h.task.stop().await.unwrap();
    let after_stop = es.stats().bulk_requests;
    assert!(
        after_stop >= 2,
        "the request was being retried: {after_stop}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        es.stats().bulk_requests,
        after_stop,
        "no request after stop returned"
    );
}

#[tokio::test]
async fn stop_cuts_off_a_slow_bulk_request_so_it_never_lands() {
    let es = EsTestServer::start().await.unwrap();
    let config = keyless(
        es.url(),
        &[("read.timeout.ms", "60000"), ("flush.timeout.ms", "1000")],
    );
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    h.task.put(&positions(1)).await.unwrap(); // creates the index
    h.task.flush(&HashMap::new()).await.unwrap();
    assert_eq!(es.count("position"), 1);
    es.set_delay(Duration::from_millis(2000));
    h.task.put(&[position("position", 0, 1, 1)]).await.unwrap();
    let started = Instant::now();
    h.task.stop().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(1900));
    assert_eq!(
        es.stats().bulk_requests,
        2,
        "the second bulk request was sent"
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        es.count("position"),
        1,
        "the request cut off on stop never lands"
    );
}

// ----- item 8: failures surface between records -----

#[tokio::test]
async fn a_failed_item_surfaces_in_empty_put_and_in_pre_commit() {
    for sync in ["false", "true"] {
        let es = EsTestServer::start().await.unwrap();
        es.fail_items("+0+3", ItemFault::MapperParsing, None);
        let config = keyless(es.url(), &[("flush.synchronously", sync)]);
        let mut h = start(config, &[("position", 0)], None).await.unwrap();
        let records = positions(6);
        h.task.put(&records.clone()).await.unwrap();
        assert_eq!(
            empty_put_error(&mut h.task).await,
            INDEXING_FAILED,
            "{sync}"
        );
        let err = h
            .task
            .pre_commit(&delivered(&records))
            .await
            .expect_err("pre_commit reports the stored failure");
        assert_eq!(err.to_string(), INDEXING_FAILED, "{sync}");
        let err = h
            .task
            .flush(&delivered(&records))
            .await
            .expect_err("flush reports it too");
        assert_eq!(err.to_string(), INDEXING_FAILED, "{sync}");
    }
}

#[tokio::test]
async fn bulk_size_bytes_splits_batches_where_java_splits() {
    let es = EsTestServer::start().await.unwrap();
    let records: Vec<_> = (0..10)
        .map(|o| {
            let mut r = position("position", 0, o, 1);
            r.value = sluice_api::Value::string_map([("courier", sluice_api::Value::Int64(1))]);
            r
        })
        .collect();
    // Java counts each index action as its source ({"courier":1}, 13 bytes) plus 50, not
    // the metadata line: a limit of 4 × 63 bytes sends batches of 4.
    let limit = (4 * (13 + 50)).to_string();
    let config = keyless(
        es.url(),
        &[
            ("bulk.size.bytes", limit.as_str()),
            ("linger.ms", "60000"),
            ("flush.timeout.ms", "120000"),
            ("max.in.flight.requests", "1"),
        ],
    );
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    h.task.put(&records.clone()).await.unwrap();
    h.task.flush(&delivered(&records)).await.unwrap();
    assert_eq!(es.count("position"), 10);
    // 4 + 4 + the 2 left over, sent by the flush.
    assert_eq!(es.stats().bulk_requests, 3);
}

// ----- item 3: validation is bounded -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_against_a_server_that_never_answers_returns_within_the_cap() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accepts (the kernel does) and never answers; a read timeout of a day would wait forever.
    let props = props(&url, &[("read.timeout.ms", "86400000")]);
    let started = Instant::now();
    let results =
        tokio::task::spawn_blocking(move || ElasticsearchSinkConnector::new().validate(&props))
            .await
            .unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed < VALIDATION_CALL_CAP + Duration::from_secs(3),
        "{elapsed:?}"
    );
    let url_errors = &results
        .iter()
        .find(|r| r.name == "connection.url")
        .unwrap()
        .errors;
    assert!(
        url_errors
            .iter()
            .any(|e| e.starts_with("Could not connect to Elasticsearch.")),
        "{url_errors:?}"
    );
    drop(listener);
}

#[test]
fn validate_outside_a_runtime_does_not_panic() {
    let props = props("http://127.0.0.1:9", &[]);
    let results = ElasticsearchSinkConnector::new().validate(&props);
    assert!(results
        .iter()
        .any(|r| r.name == "connection.url" && !r.errors.is_empty()));
}

#[test]
fn turning_off_host_name_verification_is_refused() {
    let props = props(
        "https://localhost:9200",
        &[
            ("elastic.security.protocol", "SSL"),
            ("elastic.https.ssl.endpoint.identification.algorithm", ""),
        ],
    );
    let err = EsSinkConfig::parse(&props).expect_err("refused");
    assert!(
        err.to_string()
            .contains("elastic.https.ssl.endpoint.identification.algorithm"),
        "{err}"
    );
}

// ----- item 1: revoke, reassign, late answer -----

#[tokio::test]
async fn a_late_answer_from_before_a_revoke_does_not_commit_the_new_ownership() {
    let es = EsTestServer::start().await.unwrap();
    let config = keyless(es.url(), &[("read.timeout.ms", "60000")]);
    let mut h = start(config, &[("position", 0)], None).await.unwrap();
    h.task.put(&positions(1)).await.unwrap(); // creates the index
    h.task.flush(&HashMap::new()).await.unwrap();
    let tp = TopicPartition::new("position", 0);
    // First ownership: offsets 1..3 sent, answered after 600 ms.
    es.set_delay(Duration::from_millis(600));
    let first: Vec<_> = (1..3).map(|o| position("position", 0, o, o)).collect();
    h.task.put(&first).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Revoked and assigned back; the same offsets come again, and the new ownership's
    // request is answered only after 10 s.
    h.task.close(std::slice::from_ref(&tp)).await.unwrap();
    es.set_delay(Duration::from_secs(10));
    let again: Vec<_> = (1..3).map(|o| position("position", 0, o, o)).collect();
    h.task.put(&again.clone()).await.unwrap();
    h.task.pre_commit(&delivered(&again)).await.unwrap(); // sends the batch
                                                          // The first ownership's answer arrives now; it must not release the new records.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let committed = h.task.pre_commit(&delivered(&again)).await.unwrap();
    assert!(
        committed.get(&tp).is_none_or(|&o| o <= 1),
        "offsets of the new ownership were never acknowledged: {committed:?}"
    );
}
