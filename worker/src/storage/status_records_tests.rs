//! Fixtures: the key and value bytes a Java worker writes (docs/internal-topics.md, the
//! schemas and writers of `KafkaStatusBackingStore`; key cases from upstream's
//! `KafkaStatusBackingStoreFormatTest`), decoded and encoded back.

use super::*;

/// Decodes Java's bytes, checks the record, and encodes it back to the same bytes.
fn round_trip(key: &str, value: Option<&str>, expected: StatusRecord) {
    crate::storage::record_json::assert_round_trip(
        key,
        value,
        expected,
        StatusRecord::decode,
        StatusRecord::encode,
    );
}

fn status(state: StatusState, trace: Option<&str>, generation: i32) -> Status {
    Status {
        state,
        trace: trace.map(str::to_string),
        worker_id: "10.0.0.5:8083".into(),
        generation,
    }
}

#[test]
fn connector_status() {
    round_trip(
        "status-connector-my-file-source",
        Some(r#"{"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":7}"#),
        StatusRecord::Connector {
            connector: "my-file-source".into(),
            status: Some(status(StatusState::Running, None, 7)),
        },
    );
    for state in [
        StatusState::Unassigned,
        StatusState::Paused,
        StatusState::Restarting,
        StatusState::Stopped,
    ] {
        let value = format!(
            r#"{{"state":"{}","trace":null,"worker_id":"10.0.0.5:8083","generation":0}}"#,
            state.name()
        );
        round_trip(
            "status-connector-c",
            Some(&value),
            StatusRecord::Connector {
                connector: "c".into(),
                status: Some(status(state, None, 0)),
            },
        );
    }
}

#[test]
fn failed_task_status_with_trace() {
    round_trip(
        "status-task-my-file-source-3",
        Some(r#"{"state":"FAILED","trace":"org.apache.kafka.connect.errors.ConnectException: boom\n\tat Foo.bar(Foo.java:1)\n","worker_id":"10.0.0.5:8083","generation":12}"#),
        StatusRecord::Task {
            connector: "my-file-source".into(),
            task: 3,
            status: Some(status(
                StatusState::Failed,
                Some("org.apache.kafka.connect.errors.ConnectException: boom\n\tat Foo.bar(Foo.java:1)\n"),
                12,
            )),
        },
    );
}

#[test]
fn tombstones() {
    round_trip(
        "status-connector-c",
        None,
        StatusRecord::Connector {
            connector: "c".into(),
            status: None,
        },
    );
    round_trip(
        "status-task-a-b-0",
        None,
        StatusRecord::Task {
            connector: "a-b".into(),
            task: 0,
            status: None,
        },
    );
    round_trip(
        "status-topic-foo:connector-bar",
        None,
        StatusRecord::Topic {
            topic: "foo".into(),
            connector: "bar".into(),
            status: None,
        },
    );
    // DESTROYED is written as a tombstone.
    let destroyed = StatusRecord::Task {
        connector: "c".into(),
        task: 1,
        status: Some(status(StatusState::Destroyed, None, 3)),
    };
    assert_eq!(destroyed.encode(), ("status-task-c-1".to_string(), None));
    // Java's reader does accept a DESTROYED value.
    let read = StatusRecord::decode(
        "status-connector-c",
        Some(br#"{"state":"DESTROYED","trace":null,"worker_id":"w:1","generation":1}"#),
    )
    .unwrap();
    assert!(matches!(
        read,
        Some(StatusRecord::Connector {
            status: Some(Status {
                state: StatusState::Destroyed,
                ..
            }),
            ..
        })
    ));
}

#[test]
fn topic_status() {
    round_trip(
        "status-topic-foo-topic:connector-foo-source",
        Some(
            r#"{"topic":{"name":"foo-topic","connector":"foo-source","task":0,"discoverTimestamp":1700000000123}}"#,
        ),
        StatusRecord::Topic {
            topic: "foo-topic".into(),
            connector: "foo-source".into(),
            status: Some(TopicStatus {
                topic: "foo-topic".into(),
                connector: "foo-source".into(),
                task: 0,
                discover_timestamp: 1_700_000_000_123,
            }),
        },
    );
    // A connector name may contain `:`: only the first `:` ends the topic.
    let record = StatusRecord::decode("status-topic-t:connector-a:b", None).unwrap();
    assert!(matches!(
        record,
        Some(StatusRecord::Topic { topic, connector, .. }) if topic == "t" && connector == "a:b"
    ));
    // Java skips the separator's length without checking its text.
    let record = StatusRecord::decode("status-topic-t:xxxxxxxxxxbar", None).unwrap();
    assert!(matches!(
        record,
        Some(StatusRecord::Topic { connector, .. }) if connector == "bar"
    ));
}

#[test]
fn task_keys_with_dashes() {
    let read = |key: &str| match StatusRecord::decode(key, None) {
        Ok(Some(StatusRecord::Task {
            connector, task, ..
        })) => Some((connector, task)),
        _ => None,
    };
    assert_eq!(read("status-task-a-0"), Some(("a".into(), 0)));
    assert_eq!(read("status-task-a-b-c-10"), Some(("a-b-c".into(), 10)));
    assert_eq!(read("status-task-a--1"), Some(("a-".into(), 1)));
}

#[test]
fn invalid_keys_like_upstream() {
    // KafkaStatusBackingStoreFormatTest.readInvalidStatus, with its empty value.
    assert_eq!(
        StatusRecord::decode("status-unknown", Some(b"")).unwrap(),
        None
    );
    for key in [
        "status-connector-",
        "status-task-",
        "status-task-foo-source-#",
        "status-task-0",
        "status-topic-",
        "status-topic-:connector-",
        "status-topic-foo-topic:",
        "status-topic-foo-topic:connector-",
        "status-topic-:connector-c",
        "status-topic-t:short",
    ] {
        assert!(
            matches!(
                StatusRecord::decode(key, Some(b"")),
                Err(StatusRecordError::InvalidKey { .. })
            ),
            "{key}"
        );
    }
}

#[test]
fn invalid_values() {
    // KafkaStatusBackingStoreFormatTest.readInvalidStatusValue.
    for key in [
        "status-connector-foo-source",
        "status-task-foo-source-0",
        "status-topic-foo-topic:connector-foo-source",
    ] {
        assert!(
            matches!(
                StatusRecord::decode(key, Some(b"invalid")),
                Err(StatusRecordError::Json { .. })
            ),
            "{key}"
        );
        // Only a missing value is a tombstone here.
        for value in [&b""[..], b"null", b"[]"] {
            assert!(
                matches!(
                    StatusRecord::decode(key, Some(value)),
                    Err(StatusRecordError::Invalid { .. })
                ),
                "{key}"
            );
        }
    }
    let bad = |value: &str| {
        matches!(
            StatusRecord::decode("status-connector-c", Some(value.as_bytes())),
            Err(StatusRecordError::Invalid { .. })
        )
    };
    assert!(bad(
        r#"{"state":"running","trace":null,"worker_id":"w","generation":1}"#
    ));
    assert!(bad(r#"{"trace":null,"worker_id":"w","generation":1}"#));
    assert!(bad(
        r#"{"state":"RUNNING","trace":1,"worker_id":"w","generation":1}"#
    ));
    assert!(bad(r#"{"state":"RUNNING","trace":null,"worker_id":"w"}"#));
    assert!(bad(
        r#"{"state":"RUNNING","trace":null,"worker_id":"w","generation":1.0}"#
    ));
    assert!(bad(r#"{"state":"RUNNING","trace":null,"generation":1}"#));
    let bad_topic = |value: &str| {
        matches!(
            StatusRecord::decode("status-topic-t:connector-c", Some(value.as_bytes())),
            Err(StatusRecordError::Invalid { .. })
        )
    };
    assert!(bad_topic(r#"{"topic":null}"#));
    assert!(bad_topic(r#"{"name":"t"}"#));
    assert!(bad_topic(
        r#"{"topic":{"name":"t","connector":"c","task":0}}"#
    ));
}

#[test]
fn missing_trace_and_long_generation_read_like_java() {
    // A missing trace is null; a generation beyond int is narrowed (`Long.intValue()`).
    let read = StatusRecord::decode(
        "status-task-c-0",
        Some(br#"{"state":"RUNNING","worker_id":"w:1","generation":4294967301}"#),
    )
    .unwrap();
    assert_eq!(
        read,
        Some(StatusRecord::Task {
            connector: "c".into(),
            task: 0,
            status: Some(Status {
                state: StatusState::Running,
                trace: None,
                worker_id: "w:1".into(),
                generation: 5,
            }),
        })
    );
}
