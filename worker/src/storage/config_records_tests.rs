//! Fixtures: the key and value bytes a Java worker writes (docs/internal-topics.md, the
//! schemas and writers of `KafkaConfigBackingStore`), decoded and encoded back.

use super::*;

/// Decodes Java's bytes, checks the record, and encodes it back to the same bytes.
fn round_trip(key: &str, value: Option<&str>, expected: ConfigRecord) {
    crate::storage::record_json::assert_round_trip(
        key,
        value,
        expected,
        ConfigRecord::decode,
        ConfigRecord::encode,
    );
}

fn props(pairs: &[(&str, Option<&str>)]) -> ConfigProps {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
        .collect()
}

fn decode(key: &str, value: &str) -> Result<Option<ConfigRecord>, ConfigRecordError> {
    ConfigRecord::decode(key, Some(value.as_bytes()))
}

#[test]
fn connector_config() {
    round_trip(
        "connector-my-file-source",
        Some(
            r#"{"properties":{"connector.class":"FileStreamSource","tasks.max":"1","file":"in.txt","topic":"t","gone":null}}"#,
        ),
        ConfigRecord::ConnectorConfig {
            connector: "my-file-source".into(),
            props: props(&[
                ("connector.class", Some("FileStreamSource")),
                ("tasks.max", Some("1")),
                ("file", Some("in.txt")),
                ("topic", Some("t")),
                ("gone", None),
            ]),
        },
    );
}

#[test]
fn strings_are_escaped_as_jackson_does() {
    // Jackson: short escapes for \b \t \n \f \r, `\u00XX` with upper-case hex for the other
    // control characters, `/`, DEL and non-ASCII as they are.
    round_trip(
        "connector-c",
        Some("{\"properties\":{\"q\\\"\":\"a\\\\b/\\n\\t\\r\\b\\f\\u0001\\u001F\u{7f}é☃\"}}"),
        ConfigRecord::ConnectorConfig {
            connector: "c".into(),
            props: props(&[("q\"", Some("a\\b/\n\t\r\u{8}\u{c}\u{1}\u{1f}\u{7f}é☃"))]),
        },
    );
}

#[test]
fn connector_tombstone() {
    round_trip(
        "connector-my-file-source",
        None,
        ConfigRecord::ConnectorConfigRemoved {
            connector: "my-file-source".into(),
        },
    );
    // Java's converter reads empty bytes and the JSON null as a null value too.
    for value in ["", " ", "null"] {
        assert_eq!(
            decode("connector-c", value).unwrap(),
            Some(ConfigRecord::ConnectorConfigRemoved {
                connector: "c".into()
            })
        );
    }
}

#[test]
fn task_config_with_dashes_in_the_connector_name() {
    round_trip(
        "task-my-file-source-12",
        Some(
            r#"{"properties":{"task.class":"org.apache.kafka.connect.file.FileStreamSourceTask","file":"in.txt"}}"#,
        ),
        ConfigRecord::TaskConfig {
            connector: "my-file-source".into(),
            task: 12,
            props: props(&[
                (
                    "task.class",
                    Some("org.apache.kafka.connect.file.FileStreamSourceTask"),
                ),
                ("file", Some("in.txt")),
            ]),
        },
    );
    // A name ending in `-`: Java's split keeps the empty segment before the number.
    round_trip(
        "task-c--0",
        Some(r#"{"properties":{}}"#),
        ConfigRecord::TaskConfig {
            connector: "c-".into(),
            task: 0,
            props: ConfigProps::new(),
        },
    );
}

#[test]
fn bad_task_keys_and_values() {
    for key in ["task-c", "task-c-x", "task-c-", "task-"] {
        assert!(
            matches!(
                decode(key, r#"{"properties":{}}"#),
                Err(ConfigRecordError::TaskKey { .. })
            ),
            "{key}"
        );
    }
    assert!(matches!(
        ConfigRecord::decode("task-c-0", None),
        Err(ConfigRecordError::UnexpectedTombstone { .. })
    ));
    assert!(matches!(
        decode("task-c-0", r#"{"properties":"x"}"#),
        Err(ConfigRecordError::Invalid { .. })
    ));
    assert!(matches!(
        decode("connector-c", r#"{"properties":{"a":1}}"#),
        Err(ConfigRecordError::Invalid { .. })
    ));
    assert!(matches!(
        decode("connector-c", r#"["properties"]"#),
        Err(ConfigRecordError::Invalid { .. })
    ));
    assert!(matches!(
        decode("connector-c", r#"{"properties":"#),
        Err(ConfigRecordError::Json { .. })
    ));
}

#[test]
fn commit() {
    round_trip(
        "commit-my-file-source",
        Some(r#"{"tasks":2}"#),
        ConfigRecord::Commit {
            connector: "my-file-source".into(),
            tasks: 2,
        },
    );
    round_trip(
        "commit-c",
        Some(r#"{"tasks":0}"#),
        ConfigRecord::Commit {
            connector: "c".into(),
            tasks: 0,
        },
    );
    // Java reads a long and narrows it with an `(int)` cast.
    assert_eq!(
        decode("commit-c", r#"{"tasks":4294967298}"#).unwrap(),
        Some(ConfigRecord::Commit {
            connector: "c".into(),
            tasks: 2
        })
    );
    for bad in [r#"{}"#, r#"{"tasks":"2"}"#, r#"{"tasks":2.0}"#, "3"] {
        assert!(
            matches!(
                decode("commit-c", bad),
                Err(ConfigRecordError::Invalid { .. })
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        ConfigRecord::decode("commit-c", None),
        Err(ConfigRecordError::UnexpectedTombstone { .. })
    ));
}

#[test]
fn target_state() {
    for (state, v1) in [
        (TargetState::Started, "STARTED"),
        (TargetState::Paused, "PAUSED"),
        (TargetState::Stopped, "PAUSED"),
    ] {
        let value = format!(r#"{{"state":"{v1}","state.v2":"{}"}}"#, state.name());
        round_trip(
            "target-state-my-file-source",
            Some(&value),
            ConfigRecord::TargetState {
                connector: "my-file-source".into(),
                state,
            },
        );
    }
    round_trip(
        "target-state-c",
        None,
        ConfigRecord::TargetStateRemoved {
            connector: "c".into(),
        },
    );
}

#[test]
fn target_state_v1_records_and_fallbacks() {
    let state = |value: &str| match decode("target-state-c", value) {
        Ok(Some(ConfigRecord::TargetState { state, .. })) => Ok(state),
        other => Err(format!("{other:?}")),
    };
    // Written by a pre-3.5 worker: only `state`.
    assert_eq!(state(r#"{"state":"PAUSED"}"#), Ok(TargetState::Paused));
    assert_eq!(state(r#"{"state":"STARTED"}"#), Ok(TargetState::Started));
    assert_eq!(
        state(r#"{"state":"PAUSED","state.v2":null}"#),
        Ok(TargetState::Paused)
    );
    // A non-string `state.v2` falls back on `state`; an unknown name does not.
    assert_eq!(
        state(r#"{"state":"PAUSED","state.v2":5}"#),
        Ok(TargetState::Paused)
    );
    assert!(state(r#"{"state":"PAUSED","state.v2":"BOGUS"}"#).is_err());
    assert!(state(r#"{"state":"paused"}"#).is_err());
    assert!(state(r#"{"state.v2":7}"#).is_err());
    assert_eq!(state(r#"{"state.v2":"STOPPED"}"#), Ok(TargetState::Stopped));
    // Re-encoded, a v1 record gets both fields.
    let record = decode("target-state-c", r#"{"state":"PAUSED"}"#)
        .unwrap()
        .unwrap();
    assert_eq!(
        record.encode().1.unwrap(),
        br#"{"state":"PAUSED","state.v2":"PAUSED"}"#.to_vec()
    );
}

#[test]
fn session_key() {
    round_trip(
        "session-key",
        Some(
            r#"{"key":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","algorithm":"HmacSHA256","creation-timestamp":1700000000000}"#,
        ),
        ConfigRecord::SessionKey {
            key: (0u8..32).collect(),
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1_700_000_000_000,
        },
    );
    // Java's decoder does not need the padding.
    assert!(matches!(
        decode(
            "session-key",
            r#"{"key":"AQIDBAU","algorithm":"HmacSHA256","creation-timestamp":1}"#
        ),
        Ok(Some(ConfigRecord::SessionKey { key, .. })) if key == [1, 2, 3, 4, 5]
    ));
    for bad in [
        r#"{"key":"AQIDBAU=","algorithm":"HmacSHA256","creation-timestamp":1.5}"#,
        r#"{"key":"AQIDBAU=","algorithm":"HmacSHA256"}"#,
        r#"{"key":"%%%","algorithm":"HmacSHA256","creation-timestamp":1}"#,
        r#"{"key":"AQIDBAU=","creation-timestamp":1}"#,
    ] {
        assert!(
            matches!(
                decode("session-key", bad),
                Err(ConfigRecordError::Invalid { .. })
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        ConfigRecord::decode("session-key", None),
        Err(ConfigRecordError::UnexpectedTombstone { .. })
    ));
}

#[test]
fn restart_request() {
    round_trip(
        "restart-connector-my-file-source",
        Some(r#"{"include-tasks":true,"only-failed":false}"#),
        ConfigRecord::RestartRequest {
            connector: "my-file-source".into(),
            include_tasks: true,
            only_failed: false,
        },
    );
    round_trip(
        "restart-connector-c",
        Some(r#"{"include-tasks":false,"only-failed":true}"#),
        ConfigRecord::RestartRequest {
            connector: "c".into(),
            include_tasks: false,
            only_failed: true,
        },
    );
}

#[test]
fn restart_request_fields_default_to_false() {
    let flags = |value: &str| match decode("restart-connector-c", value) {
        Ok(Some(ConfigRecord::RestartRequest {
            include_tasks,
            only_failed,
            ..
        })) => (include_tasks, only_failed),
        other => panic!("{value}: {other:?}"),
    };
    assert_eq!(flags("{}"), (false, false));
    assert_eq!(flags(r#"{"only-failed":true}"#), (false, true));
    assert_eq!(flags(r#"{"include-tasks":true}"#), (true, false));
    assert_eq!(
        flags(r#"{"include-tasks":"true","only-failed":1}"#),
        (false, false)
    );
    assert_eq!(
        flags(r#"{"include-tasks":null,"only-failed":true}"#),
        (false, true)
    );
    assert!(matches!(
        decode("restart-connector-c", "true"),
        Err(ConfigRecordError::Invalid { .. })
    ));
    assert!(matches!(
        ConfigRecord::decode("restart-connector-c", None),
        Err(ConfigRecordError::UnexpectedTombstone { .. })
    ));
}

#[test]
fn tasks_fencing() {
    round_trip(
        "tasks-fencing-my-file-source",
        Some(r#"{"task-count":3}"#),
        ConfigRecord::TasksFencing {
            connector: "my-file-source".into(),
            task_count: 3,
        },
    );
    assert!(matches!(
        decode("tasks-fencing-c", r#"{"task-count":"3"}"#),
        Err(ConfigRecordError::Invalid { .. })
    ));
}

#[test]
fn logger_level() {
    round_trip(
        "logger-cluster-org.apache.kafka.connect",
        Some(r#"{"level":"DEBUG"}"#),
        ConfigRecord::LoggerLevel {
            namespace: "org.apache.kafka.connect".into(),
            level: "DEBUG".into(),
        },
    );
    assert!(matches!(
        decode("logger-cluster-root", r#"{"level":null}"#),
        Err(ConfigRecordError::Invalid { .. })
    ));
    assert!(matches!(
        ConfigRecord::decode("logger-cluster-root", None),
        Err(ConfigRecordError::UnexpectedTombstone { .. })
    ));
}

#[test]
fn prefixes_are_matched_in_javas_order() {
    // `target-state-` is checked before `connector-`.
    assert_eq!(
        decode(
            "target-state-connector-x",
            r#"{"state":"STARTED","state.v2":"STARTED"}"#
        )
        .unwrap(),
        Some(ConfigRecord::TargetState {
            connector: "connector-x".into(),
            state: TargetState::Started
        })
    );
    // `tasks-fencing-` is not a `task-` key.
    assert!(matches!(
        decode("tasks-fencing-a-1", r#"{"task-count":1}"#),
        Ok(Some(ConfigRecord::TasksFencing { connector, task_count: 1 })) if connector == "a-1"
    ));
    // `session-key` must match exactly.
    assert_eq!(decode("session-key-2", r#"{"key":""}"#).unwrap(), None);
}

#[test]
fn unknown_keys_are_skipped() {
    for key in ["", "foo", "status-connector-c", "connectors-c", "logger-c"] {
        assert_eq!(decode(key, "{}").unwrap(), None, "{key}");
        assert_eq!(ConfigRecord::decode(key, None).unwrap(), None, "{key}");
    }
}
