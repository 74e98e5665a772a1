//! `PATCH /connectors/{c}/offsets` for a sink with `null` offsets against a scripted group
//! coordinator (neither librdkafka's mock cluster nor tansu answers OffsetDelete): the
//! request's exact bytes, the group it names, the retry on a moved coordinator and Java's
//! messages for a group that still has members and for other errors.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::json;
use sluice_api::{Props, TopicPartition};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use super::sink_offsets::{alter, list, parse};
use super::{ConnectorOffsets, HerderError};
use crate::config::WorkerConfig;
use crate::distributed::membership::fake_broker_tests::{api_versions, read, string};

const OFFSET_DELETE: i16 = 47;
const OFFSET_FETCH: i16 = 9;

/// A coordinator on every connection: ApiVersions (v0-2; v3 answered UNSUPPORTED_VERSION
/// as brokers do), FindCoordinator v0-2 naming itself, OffsetDelete v0 answering the next
/// `(group error, partition error)` of `answers`, and OffsetFetch v0-5 (a broker before
/// Kafka 3.0) answering `committed` (topic, partition, offset). Returns its address and the
/// OffsetDelete and OffsetFetch request bodies (after the request header).
async fn coordinator(answers: Vec<(i16, i16)>) -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    coordinator_with(answers, Vec::new()).await
}

async fn coordinator_with(
    answers: Vec<(i16, i16)>,
    committed: Vec<(&'static str, i32, i64)>,
) -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            let answers = answers.clone();
            let committed = committed.clone();
            tokio::spawn(async move {
                while let Some(frame) = read(&mut socket).await {
                    let api = i16::from_be_bytes([frame[0], frame[1]]);
                    let version = i16::from_be_bytes([frame[2], frame[3]]);
                    let mut out = frame[4..8].to_vec(); // correlation id
                    let client_len = i16::from_be_bytes([frame[8], frame[9]]).max(0) as usize;
                    let body = &frame[10 + client_len..];
                    match api {
                        18 => api_versions(
                            &mut out,
                            version,
                            &[
                                (18, 0, 2),
                                (10, 0, 2),
                                (OFFSET_DELETE, 0, 0),
                                (OFFSET_FETCH, 0, 5),
                            ],
                        ),
                        10 => {
                            // FindCoordinator v1-2: throttle, error, message, node, host, port.
                            out.extend_from_slice(&0i32.to_be_bytes());
                            out.extend_from_slice(&0i16.to_be_bytes());
                            out.extend_from_slice(&(-1i16).to_be_bytes());
                            out.extend_from_slice(&1i32.to_be_bytes());
                            string(&mut out, &addr.ip().to_string());
                            out.extend_from_slice(&i32::from(addr.port()).to_be_bytes());
                        }
                        OFFSET_DELETE => {
                            seen.lock().expect("lock").push(body.to_vec());
                            let (group_error, partition_error) =
                                answers.lock().expect("lock").pop_front().unwrap_or((0, 0));
                            // v0: error, throttle, [name, [partition, error]] (one partition).
                            out.extend_from_slice(&group_error.to_be_bytes());
                            out.extend_from_slice(&0i32.to_be_bytes());
                            out.extend_from_slice(&1i32.to_be_bytes());
                            string(&mut out, "t");
                            out.extend_from_slice(&1i32.to_be_bytes());
                            out.extend_from_slice(&0i32.to_be_bytes());
                            out.extend_from_slice(&partition_error.to_be_bytes());
                        }
                        OFFSET_FETCH => {
                            seen.lock().expect("lock").push(body.to_vec());
                            // v5: throttle, [name, [partition, offset, leader epoch, metadata,
                            // error]], error; one topic entry per partition.
                            out.extend_from_slice(&0i32.to_be_bytes());
                            out.extend_from_slice(&(committed.len() as i32).to_be_bytes());
                            for (topic, partition, offset) in &committed {
                                string(&mut out, topic);
                                out.extend_from_slice(&1i32.to_be_bytes());
                                out.extend_from_slice(&partition.to_be_bytes());
                                out.extend_from_slice(&offset.to_be_bytes());
                                out.extend_from_slice(&(-1i32).to_be_bytes());
                                string(&mut out, "");
                                out.extend_from_slice(&0i16.to_be_bytes());
                            }
                            out.extend_from_slice(&0i16.to_be_bytes());
                        }
                        _ => return,
                    }
                    let mut reply = (out.len() as i32).to_be_bytes().to_vec();
                    reply.extend_from_slice(&out);
                    if socket.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr.to_string(), requests)
}

fn worker(bootstrap: &str, extra: &[(&str, &str)]) -> Arc<WorkerConfig> {
    let props: Props = [
        ("bootstrap.servers", bootstrap),
        ("offset.storage.file.filename", "/unused"),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Arc::new(WorkerConfig::parse(props).unwrap_or_else(|e| panic!("{e}")))
}

/// `None` offsets for `(topic, partition)` pairs.
fn removals(partitions: &[(&str, i32)]) -> Vec<(TopicPartition, Option<i64>)> {
    partitions
        .iter()
        .map(|(topic, partition)| (TopicPartition::new(*topic, *partition), None))
        .collect()
}

/// An OffsetDelete v0 body: group, then each topic with its partitions.
fn expected_body(group: &str, topics: &[(&str, &[i32])]) -> Vec<u8> {
    let mut out = Vec::new();
    string(&mut out, group);
    out.extend_from_slice(&(topics.len() as i32).to_be_bytes());
    for (topic, partitions) in topics {
        string(&mut out, topic);
        out.extend_from_slice(&(partitions.len() as i32).to_be_bytes());
        for p in *partitions {
            out.extend_from_slice(&p.to_be_bytes());
        }
    }
    out
}

fn message(e: HerderError) -> String {
    match e {
        HerderError::Internal(m) => m,
        other => panic!("expected an internal error, got {other:?}"),
    }
}

#[tokio::test]
async fn null_offsets_delete_the_partitions_offsets_of_the_tasks_group() {
    let (addr, requests) = coordinator(vec![]).await;
    let connector: Props = [(
        "consumer.override.group.id".to_string(),
        "own-group".to_string(),
    )]
    .into();
    alter(
        &worker(&addr, &[]),
        "s",
        &connector,
        &removals(&[("b", 2), ("a", 1), ("a", 0)]),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        *requests.lock().expect("lock"),
        vec![expected_body("own-group", &[("a", &[1, 0]), ("b", &[2])])]
    );

    // Without an override: the worker's consumer.group.id, else connect-<name>.
    let (addr, requests) = coordinator(vec![]).await;
    alter(
        &worker(&addr, &[("consumer.group.id", "shared")]),
        "s",
        &Props::new(),
        &removals(&[("a", 0)]),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let (addr2, requests2) = coordinator(vec![]).await;
    alter(
        &worker(&addr2, &[]),
        "s",
        &Props::new(),
        &removals(&[("a", 0)]),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        requests.lock().expect("lock")[0],
        expected_body("shared", &[("a", &[0])])
    );
    assert_eq!(
        requests2.lock().expect("lock")[0],
        expected_body("connect-s", &[("a", &[0])])
    );
}

/// Removes partition 0 of `t` from group `connect-s` at a coordinator answering `answers`:
/// the result and how many OffsetDelete requests were sent.
async fn remove_at(answers: Vec<(i16, i16)>) -> (Result<(), HerderError>, usize) {
    let (addr, requests) = coordinator(answers).await;
    let result = alter(
        &worker(&addr, &[]),
        "s",
        &Props::new(),
        &removals(&[("t", 0)]),
    )
    .await;
    let sent = requests.lock().expect("lock").len();
    (result, sent)
}

#[tokio::test]
async fn a_moved_coordinator_is_asked_again() {
    // NOT_COORDINATOR (16), then COORDINATOR_LOAD_IN_PROGRESS (14), then success.
    let (result, sent) = remove_at(vec![(16, 0), (14, 0), (0, 0)]).await;
    result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sent, 3);
}

#[tokio::test]
async fn errors_answer_with_javas_messages() {
    let failed = "Failed to alter consumer group offsets for connector s";
    for (answers, expected, sent) in [
        // GROUP_SUBSCRIBED_TO_TOPIC (86) on the partition: the tasks still consume.
        (
            vec![(0, 86)],
            "Failed to alter consumer group offsets for connector s either because its tasks \
             haven't stopped completely yet or the connector was resumed before the request to \
             alter its offsets could be successfully completed. If the connector is in a \
             stopped state, this operation can be safely retried. If it doesn't eventually \
             succeed, the Connect cluster may need to be restarted to get rid of the zombie \
             sink tasks.",
            1,
        ),
        // GROUP_ID_NOT_FOUND (69) for the group.
        (vec![(69, 0)], failed, 1),
        // Still NOT_COORDINATOR after every attempt.
        (vec![(16, 0); 5], failed, 3),
    ] {
        let (result, requests) = remove_at(answers).await;
        let e = result.expect_err("refused");
        assert_eq!(message(e), expected);
        assert_eq!(requests, sent, "{expected}");
    }
}

/// Java's `SinkUtils.parseSinkConnectorOffsets`: its messages (400), numbers or numeric
/// strings for partitions and offsets, `null` offsets kept as removals.
#[test]
fn sink_offsets_are_parsed_as_java_parses_them() {
    let offsets = |entries: serde_json::Value| -> ConnectorOffsets {
        serde_json::from_value(json!({ "offsets": entries })).unwrap_or_else(|e| panic!("{e}"))
    };
    let error = |entries: serde_json::Value| match parse(&offsets(entries)) {
        Err(HerderError::BadRequest(m)) => m,
        other => panic!("expected a 400, got {other:?}"),
    };
    assert_eq!(
        parse(&offsets(json!([
            {"partition": {"kafka_topic": "t", "kafka_partition": 1}, "offset": {"kafka_offset": 5}},
            {"partition": {"kafka_topic": "t", "kafka_partition": "2"}, "offset": {"kafka_offset": "-7"}},
            {"partition": {"kafka_topic": "u", "kafka_partition": 0}, "offset": null},
        ])))
        .unwrap_or_else(|e| panic!("{e}")),
        vec![
            (TopicPartition::new("t", 1), Some(5)),
            (TopicPartition::new("t", 2), Some(-7)),
            (TopicPartition::new("u", 0), None),
        ]
    );
    assert_eq!(
        error(json!([{"partition": {"kafka_topic": "t"}, "offset": null}])),
        "The partition for a sink connector offset must contain the keys 'kafka_topic' and \
         'kafka_partition'"
    );
    assert_eq!(
        error(json!([{"partition": {"kafka_topic": null, "kafka_partition": 1}, "offset": null}])),
        "Kafka topic names must be valid strings and may not be null"
    );
    assert_eq!(
        error(
            json!([{"partition": {"kafka_topic": "t", "kafka_partition": null}, "offset": null}])
        ),
        "Kafka partitions must be valid numbers and may not be null"
    );
    assert_eq!(
        error(json!([{"partition": {"kafka_topic": "t", "kafka_partition": "a"}, "offset": null}])),
        "Failed to parse the following Kafka partition value in the provided offsets: 'a'. \
         Partition values for sink connectors need to be integers."
    );
    assert_eq!(
        error(
            json!([{"partition": {"kafka_topic": "t", "kafka_partition": 4_000_000_000_i64},
            "offset": null}])
        ),
        "Failed to parse the following Kafka partition value in the provided offsets: \
         '4000000000'. Partition values for sink connectors need to be integers."
    );
    assert_eq!(
        error(json!([{"partition": {"kafka_topic": "t", "kafka_partition": 0}, "offset": {}}])),
        "The offset for a sink connector should either be null or contain the key 'kafka_offset'"
    );
    assert_eq!(
        error(
            json!([{"partition": {"kafka_topic": "t", "kafka_partition": 0},
            "offset": {"kafka_offset": "not a number"}}])
        ),
        "Failed to parse the following Kafka offset value in the provided offsets: \
         'not a number'. Offset values for sink connectors need to be integers."
    );
    assert_eq!(
        error(
            json!([{"partition": {"kafka_topic": "t", "kafka_partition": 0},
            "offset": {"kafka_offset": 1.5}}])
        ),
        "Failed to parse the following Kafka offset value in the provided offsets: '1.5'. \
         Offset values for sink connectors need to be integers."
    );
}

/// `GET /connectors/{c}/offsets` of a sink on a broker before Kafka 3.0: OffsetFetch v5 with
/// a null topic list (every partition of the group, as Java's listConsumerGroupOffsets),
/// partitions without an offset left out, sorted.
#[tokio::test]
async fn a_sinks_offsets_are_every_committed_offset_of_its_group() {
    let (addr, requests) = coordinator_with(
        vec![],
        vec![("b", 0, 9), ("a", 1, 4), ("a", 0, -1), ("a", 2, 0)],
    )
    .await;
    let offsets = list(&worker(&addr, &[]), "s", &Props::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let listed: Vec<_> = offsets
        .offsets
        .iter()
        .map(|o| {
            (
                o.partition["kafka_topic"].clone(),
                o.partition["kafka_partition"].clone(),
                o.offset.as_ref().map(|m| m["kafka_offset"].clone()),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (json!("a"), json!(1), Some(json!(4))),
            (json!("a"), json!(2), Some(json!(0))),
            (json!("b"), json!(0), Some(json!(9))),
        ]
    );
    // Group `connect-s`, topics null.
    let mut body = Vec::new();
    string(&mut body, "connect-s");
    body.extend_from_slice(&(-1i32).to_be_bytes());
    assert_eq!(*requests.lock().expect("lock"), vec![body]);
}
