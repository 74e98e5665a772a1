//! The config topic's state machine fed with Java's record bytes (no broker).

use super::state::{ClusterConfigState, ConfigState, ConfigUpdate, SessionKey};
use super::to_config_props;
use crate::herder::{ConnectorTaskId, RestartRequest};
use crate::storage::config_records::{ConfigProps, TargetState};
use crate::storage::kafka_log::LogRecord;

/// Feeds records, as Java writes them, at offsets 0, 1, ...
struct Feed {
    state: ConfigState,
    next: i64,
}

impl Feed {
    fn new() -> Self {
        Feed {
            state: ConfigState::default(),
            next: 0,
        }
    }

    fn read(&mut self, key: &str, value: Option<&str>) -> Vec<ConfigUpdate> {
        self.read_bytes(Some(key.as_bytes()), value.map(str::as_bytes))
    }

    fn read_bytes(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) -> Vec<ConfigUpdate> {
        let record = LogRecord {
            key: key.map(<[u8]>::to_vec),
            value: value.map(<[u8]>::to_vec),
            partition: 0,
            offset: self.next,
        };
        self.next += 1;
        self.state.consume(&record)
    }

    fn snapshot(&self) -> &ClusterConfigState {
        &self.state.snapshot
    }
}

fn props(pairs: &[(&str, &str)]) -> ConfigProps {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

fn id(connector: &str, task: u32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: connector.to_string(),
        task,
    }
}

const FOO_CONFIG: &str = r#"{"properties":{"connector.class":"FileStreamSource","tasks.max":"2"}}"#;

#[test]
fn an_empty_snapshot_has_offset_minus_one() {
    let empty = ClusterConfigState::empty();
    assert_eq!(empty.offset(), -1);
    assert!(empty.connectors().is_empty());
    assert_eq!(empty.task_count("foo"), 0);
    assert!(empty.tasks("foo").is_empty());
    assert_eq!(empty.session_key(), None);
}

#[test]
fn task_configs_wait_for_their_commit() {
    let mut feed = Feed::new();
    let events = feed.read("connector-foo", Some(FOO_CONFIG));
    assert_eq!(events, [ConfigUpdate::ConnectorConfigUpdated("foo".into())]);
    assert_eq!(
        feed.snapshot().target_state("foo"),
        Some(TargetState::Started)
    );
    assert_eq!(feed.snapshot().offset(), 1);

    assert!(feed
        .read("task-foo-0", Some(r#"{"properties":{"file":"a"}}"#))
        .is_empty());
    assert!(feed
        .read("task-foo-1", Some(r#"{"properties":{"file":"b"}}"#))
        .is_empty());
    // Read but not applied: no commit yet.
    assert_eq!(feed.snapshot().task_count("foo"), 0);
    assert_eq!(feed.snapshot().task_config(&id("foo", 0)), None);
    assert_eq!(feed.snapshot().task_config_generation("foo"), None);
    assert_eq!(feed.snapshot().offset(), 3);

    let events = feed.read("commit-foo", Some(r#"{"tasks":2}"#));
    assert_eq!(
        events,
        [ConfigUpdate::TaskConfigsUpdated(vec![
            id("foo", 0),
            id("foo", 1)
        ])]
    );
    let s = feed.snapshot();
    assert_eq!(s.offset(), 4);
    assert_eq!(s.task_count("foo"), 2);
    assert_eq!(s.tasks("foo"), [id("foo", 0), id("foo", 1)]);
    assert_eq!(s.task_config(&id("foo", 1)), Some(&props(&[("file", "b")])));
    assert_eq!(s.task_config_generation("foo"), Some(0));
    assert_eq!(
        s.applied_connector_config("foo"),
        s.connector_config("foo"),
        "the config the tasks were made from"
    );
    assert!(s.pending_fencing("foo"));
    assert!(s.inconsistent_connectors().is_empty());

    // A new generation of task configs: the old ones stay until the commit.
    feed.read("task-foo-0", Some(r#"{"properties":{"file":"c"}}"#));
    assert_eq!(
        feed.snapshot().task_config(&id("foo", 0)),
        Some(&props(&[("file", "a")]))
    );
    feed.read("commit-foo", Some(r#"{"tasks":1}"#));
    let s = feed.snapshot();
    assert_eq!(s.task_config(&id("foo", 0)), Some(&props(&[("file", "c")])));
    assert_eq!(s.tasks("foo"), [id("foo", 0)]);
    assert_eq!(s.task_config_generation("foo"), Some(1));
}

#[test]
fn a_commit_naming_fewer_tasks_than_written_applies_them_all_but_counts_n() {
    let mut feed = Feed::new();
    feed.read("connector-foo", Some(FOO_CONFIG));
    for n in 0..3 {
        feed.read(
            &format!("task-foo-{n}"),
            Some(&format!(r#"{{"properties":{{"n":"{n}"}}}}"#)),
        );
    }
    let events = feed.read("commit-foo", Some(r#"{"tasks":2}"#));
    // Java applies every buffered config, but the tasks are 0..N.
    assert_eq!(
        events,
        [ConfigUpdate::TaskConfigsUpdated(vec![
            id("foo", 0),
            id("foo", 1),
            id("foo", 2)
        ])]
    );
    let s = feed.snapshot();
    assert_eq!(s.task_count("foo"), 2);
    assert_eq!(s.tasks("foo"), [id("foo", 0), id("foo", 1)]);
    assert!(s.inconsistent_connectors().is_empty());
}

#[test]
fn a_commit_naming_more_tasks_than_written_makes_the_connector_inconsistent() {
    let mut feed = Feed::new();
    feed.read("connector-foo", Some(FOO_CONFIG));
    feed.read("task-foo-0", Some(r#"{"properties":{"n":"0"}}"#));
    feed.read("commit-foo", Some(r#"{"tasks":1}"#));
    // The compacted log of Java's class comment: task-foo-1's first config is gone.
    feed.read("task-foo-0", Some(r#"{"properties":{"n":"0b"}}"#));
    let events = feed.read("commit-foo", Some(r#"{"tasks":2}"#));
    assert_eq!(events, [ConfigUpdate::TaskConfigsUpdated(vec![])]);
    let s = feed.snapshot();
    assert!(s.inconsistent_connectors().contains("foo"));
    assert_eq!(s.task_count("foo"), 2);
    assert!(
        s.tasks("foo").is_empty(),
        "inconsistent: no tasks to assign"
    );
    // Nothing of the incomplete set was applied, and the buffer was cleared.
    assert_eq!(s.task_config(&id("foo", 0)), Some(&props(&[("n", "0")])));
    assert_eq!(s.task_config_generation("foo"), Some(0));
    assert!(s.pending_fencing("foo"));

    // The buffer was cleared: task-foo-0 must be written again for the next commit.
    feed.read("task-foo-1", Some(r#"{"properties":{"n":"1"}}"#));
    feed.read("commit-foo", Some(r#"{"tasks":2}"#));
    assert!(feed.snapshot().inconsistent_connectors().contains("foo"));

    // A complete set repairs it.
    feed.read("task-foo-0", Some(r#"{"properties":{"n":"0c"}}"#));
    feed.read("task-foo-1", Some(r#"{"properties":{"n":"1c"}}"#));
    feed.read("commit-foo", Some(r#"{"tasks":2}"#));
    let s = feed.snapshot();
    assert!(s.inconsistent_connectors().is_empty());
    assert_eq!(s.tasks("foo").len(), 2);
    assert_eq!(s.task_config(&id("foo", 1)), Some(&props(&[("n", "1c")])));
    assert_eq!(s.task_config_generation("foo"), Some(1));
}

#[test]
fn a_commit_with_zero_tasks_and_no_task_records() {
    let mut feed = Feed::new();
    feed.read("connector-foo", Some(FOO_CONFIG));
    let events = feed.read("commit-foo", Some(r#"{"tasks":0}"#));
    assert_eq!(events, [ConfigUpdate::TaskConfigsUpdated(vec![])]);
    let s = feed.snapshot();
    assert_eq!(s.task_count("foo"), 0);
    assert!(s.tasks("foo").is_empty());
    assert!(s.inconsistent_connectors().is_empty());
    // No task record was ever read: no generation (Java bumps it only with a buffer).
    assert_eq!(s.task_config_generation("foo"), None);
    assert!(s.applied_connector_config("foo").is_some());
}

#[test]
fn a_commit_for_a_deleted_connector_is_ignored_and_purges_it() {
    let mut feed = Feed::new();
    // The connector's config was compacted away; its tasks and commit remain.
    feed.read("task-gone-0", Some(r#"{"properties":{}}"#));
    let events = feed.read("commit-gone", Some(r#"{"tasks":1}"#));
    assert!(events.is_empty());
    let s = feed.snapshot();
    assert_eq!(s.task_count("gone"), 0);
    assert!(s.tasks("gone").is_empty());
    assert!(!s.pending_fencing("gone"));
    // The buffered task was purged: a later config and commit without tasks are incomplete.
    feed.read("connector-gone", Some(FOO_CONFIG));
    feed.read("commit-gone", Some(r#"{"tasks":1}"#));
    assert!(feed.snapshot().inconsistent_connectors().contains("gone"));
}

#[test]
fn connector_and_target_state_tombstones() {
    let mut feed = Feed::new();
    feed.read("connector-foo", Some(FOO_CONFIG));
    feed.read(
        "target-state-foo",
        Some(r#"{"state":"PAUSED","state.v2":"STOPPED"}"#),
    );
    feed.read("task-foo-0", Some(r#"{"properties":{}}"#));
    feed.read("commit-foo", Some(r#"{"tasks":1}"#));
    feed.read("tasks-fencing-foo", Some(r#"{"task-count":1}"#));

    let events = feed.read("connector-foo", None);
    assert_eq!(events, [ConfigUpdate::ConnectorConfigRemoved("foo".into())]);
    let s = feed.snapshot();
    assert!(!s.contains("foo"));
    assert_eq!(s.task_count("foo"), 0);
    assert_eq!(s.task_config(&id("foo", 0)), None);
    assert_eq!(s.applied_connector_config("foo"), None);
    // The target state goes with its own tombstone; the fencing record stays (Java).
    assert_eq!(s.target_state("foo"), Some(TargetState::Stopped));
    assert_eq!(s.task_count_record("foo"), Some(1));

    let events = feed.read("target-state-foo", None);
    assert!(events.is_empty());
    assert_eq!(feed.snapshot().target_state("foo"), None);

    // A target-state tombstone for an existing connector resets it to STARTED.
    feed.read("connector-bar", Some(FOO_CONFIG));
    feed.read(
        "target-state-bar",
        Some(r#"{"state":"PAUSED","state.v2":"PAUSED"}"#),
    );
    let events = feed.read("target-state-bar", None);
    assert!(events.is_empty(), "Java notifies no listener for a removal");
    assert_eq!(
        feed.snapshot().target_state("bar"),
        Some(TargetState::Started)
    );
}

#[test]
fn target_states_and_their_events() {
    let mut feed = Feed::new();
    // A target state before its connector exists: kept, no event.
    let events = feed.read(
        "target-state-foo",
        Some(r#"{"state":"PAUSED","state.v2":"PAUSED"}"#),
    );
    assert!(events.is_empty());
    feed.read("connector-foo", Some(FOO_CONFIG));
    // The connector record does not reset an existing target state.
    assert_eq!(
        feed.snapshot().target_state("foo"),
        Some(TargetState::Paused)
    );
    // The same state again: no event.
    let events = feed.read(
        "target-state-foo",
        Some(r#"{"state":"PAUSED","state.v2":"PAUSED"}"#),
    );
    assert!(events.is_empty());
    let events = feed.read(
        "target-state-foo",
        Some(r#"{"state":"STARTED","state.v2":"STARTED"}"#),
    );
    assert_eq!(events, [ConfigUpdate::TargetStateChanged("foo".into())]);
    // A pre-3.5 record (no state.v2).
    feed.read("target-state-foo", Some(r#"{"state":"PAUSED"}"#));
    assert_eq!(
        feed.snapshot().target_state("foo"),
        Some(TargetState::Paused)
    );
    // STOPPED through state.v2, PAUSED for old readers.
    feed.read(
        "target-state-foo",
        Some(r#"{"state":"PAUSED","state.v2":"STOPPED"}"#),
    );
    assert_eq!(
        feed.snapshot().target_state("foo"),
        Some(TargetState::Stopped)
    );
    // An invalid state is ignored.
    feed.read("target-state-foo", Some(r#"{"state":"RUNNING"}"#));
    assert_eq!(
        feed.snapshot().target_state("foo"),
        Some(TargetState::Stopped)
    );
}

#[test]
fn session_key_restart_fencing_and_logger_records() {
    let mut feed = Feed::new();
    let events = feed.read(
        "session-key",
        Some(r#"{"key":"AAECAw==","algorithm":"HmacSHA256","creation-timestamp":1700000000000}"#),
    );
    let key = SessionKey {
        key: vec![0, 1, 2, 3],
        algorithm: "HmacSHA256".into(),
        creation_timestamp: 1_700_000_000_000,
    };
    assert_eq!(events, [ConfigUpdate::SessionKeyUpdated(key.clone())]);
    assert_eq!(feed.snapshot().session_key(), Some(&key));
    assert!(
        !format!("{key:?}").contains("[0, 1, 2, 3]"),
        "the key is not logged"
    );

    let events = feed.read(
        "restart-connector-foo",
        Some(r#"{"include-tasks":true,"only-failed":false}"#),
    );
    assert_eq!(
        events,
        [ConfigUpdate::RestartRequested {
            connector: "foo".into(),
            request: RestartRequest {
                include_tasks: true,
                only_failed: false
            }
        }]
    );
    // A restart request is an event, not state.
    assert!(!feed.snapshot().contains("foo"));

    feed.read("connector-foo", Some(FOO_CONFIG));
    feed.read("commit-foo", Some(r#"{"tasks":0}"#));
    assert!(feed.snapshot().pending_fencing("foo"));
    assert!(feed
        .read("tasks-fencing-foo", Some(r#"{"task-count":3}"#))
        .is_empty());
    assert!(!feed.snapshot().pending_fencing("foo"));
    assert_eq!(feed.snapshot().task_count_record("foo"), Some(3));

    let events = feed.read(
        "logger-cluster-org.apache.kafka",
        Some(r#"{"level":"DEBUG"}"#),
    );
    assert_eq!(
        events,
        [ConfigUpdate::LoggerLevelUpdated {
            namespace: "org.apache.kafka".into(),
            level: "DEBUG".into()
        }]
    );
}

#[test]
fn the_offset_follows_records_the_converter_could_read() {
    let mut feed = Feed::new();
    feed.read("connector-foo", Some(FOO_CONFIG));
    assert_eq!(feed.snapshot().offset(), 1);
    // Not JSON: Java's converter fails and the offset does not move.
    feed.read("connector-bar", Some("{not json"));
    assert_eq!(feed.snapshot().offset(), 1);
    assert!(!feed.snapshot().contains("bar"));
    // An unknown key and a malformed value are read (offset moves) but ignored.
    feed.read("something-else", Some("{}"));
    assert_eq!(feed.snapshot().offset(), 3);
    feed.read("connector-bar", Some(r#"{"properties":"x"}"#));
    assert_eq!(feed.snapshot().offset(), 4);
    assert!(!feed.snapshot().contains("bar"));
    feed.read("task-foo-x", Some(r#"{"properties":{}}"#));
    assert_eq!(feed.snapshot().offset(), 5);
    feed.read_bytes(None, Some(b"{}"));
    assert_eq!(feed.snapshot().offset(), 6);
    assert_eq!(feed.snapshot().connectors(), ["foo"]);
}

#[test]
fn connector_names_with_dashes_and_null_property_values() {
    let mut feed = Feed::new();
    feed.read(
        "connector-my-file-src",
        Some(r#"{"properties":{"name":"my-file-src","topic":null}}"#),
    );
    feed.read("task-my-file-src-0", Some(r#"{"properties":{"a":"1"}}"#));
    feed.read("commit-my-file-src", Some(r#"{"tasks":1}"#));
    let s = feed.snapshot();
    assert_eq!(
        s.connector_config("my-file-src")
            .and_then(|p| p.get("topic"))
            .cloned(),
        Some(None)
    );
    assert_eq!(s.tasks("my-file-src"), [id("my-file-src", 0)]);
}

#[test]
fn herder_props_convert_to_stored_props() {
    let mut herder = sluice_api::Props::new();
    herder.insert("tasks.max".into(), "1".into());
    assert_eq!(to_config_props(&herder), props(&[("tasks.max", "1")]));
}
