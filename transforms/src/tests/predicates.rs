use sluice_api::{ConnectError, Predicate, Value};

use super::*;
use crate::predicates::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};

fn configure<P: Predicate>(mut p: P, pairs: &[(&str, &str)]) -> Result<P, String> {
    match p.configure(&props(pairs)) {
        Ok(()) => Ok(p),
        Err(ConnectError::Config(e)) => Err(e.message),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn topic_name_matches_the_whole_topic() {
    let p = configure(TopicNameMatches::new(), &[("pattern", "my-prefix-.*")]).unwrap();
    let mut record = sink(None, Value::Null);
    record.topic = Some("my-prefix-foo".to_string());
    assert!(p.test(&record));
    record.topic = Some("x-my-prefix-foo".to_string());
    assert!(!p.test(&record));
    assert_eq!(
        configure(TopicNameMatches::new(), &[("pattern", "")])
            .err()
            .unwrap(),
        "Invalid value  for configuration pattern: String must be non-empty"
    );
    assert!(configure(TopicNameMatches::new(), &[("pattern", "[")])
        .err()
        .unwrap()
        .starts_with("Invalid value [ for configuration pattern: Invalid regex"));
    assert_eq!(
        configure(TopicNameMatches::new(), &[]).err().unwrap(),
        "Missing required configuration \"pattern\" which has no default value."
    );
}

#[test]
fn has_header_key_and_tombstone() {
    let p = configure(HasHeaderKey::new(), &[("name", "h")]).unwrap();
    let mut record = sink(None, Value::Null);
    assert!(!p.test(&record));
    record.headers.add("h", None, Value::Null);
    assert!(p.test(&record));
    assert_eq!(
        configure(HasHeaderKey::new(), &[("name", "")])
            .err()
            .unwrap(),
        "Invalid value  for configuration name: String must be non-empty"
    );
    let t = RecordIsTombstone::new();
    assert!(t.test(&record));
    record.key = Value::Int32(1);
    assert!(t.test(&record), "the key is irrelevant");
    record.value = Value::Int32(1);
    assert!(!t.test(&record));
}

#[test]
fn topic_name_matches_never_matches_a_null_topic() {
    let p = configure(TopicNameMatches::new(), &[("pattern", ".*")]).unwrap();
    let mut record = sink(None, Value::Null);
    record.topic = Some(String::new());
    assert!(p.test(&record), "the empty topic is a topic");
    record.topic = None;
    assert!(!p.test(&record));
}
