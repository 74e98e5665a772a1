//! RegexRouter and TimestampRouter.

use sluice_api::{ConnectError, Value};

use super::*;
use crate::regex_router::RegexRouter;
use crate::timestamp_router::TimestampRouter;

fn route(regex: &str, replacement: &str, topic: &str) -> String {
    let mut t = configured(
        RegexRouter::new(),
        &[("regex", regex), ("replacement", replacement)],
    );
    let mut record = sink(None, Value::Null);
    record.topic = Some(topic.to_string());
    apply(&mut t, record).topic_name().to_string()
}

#[test]
fn regex_router_matches_kafkas_tests() {
    assert_eq!(route("(.*)", "prefix-$1", "orig"), "prefix-orig");
    assert_eq!(route("(.*)", "$1-suffix", "orig"), "orig-suffix");
    assert_eq!(route("(.*)", "static", "orig"), "static");
    assert_eq!(
        route("(.*)SOMETHING(.*)", "$1$2", "originalSOMETHINGtopic"),
        "originaltopic"
    );
    assert_eq!(route("(.*)a(.*)", "$1$2", "banana"), "banan");
    // a partial match does not route
    assert_eq!(route("orig", "x", "original"), "original");
    assert_eq!(route("a*?", "X", "aaa"), "Xaaa");
}

#[test]
fn regex_router_errors() {
    let mut t = configured(
        RegexRouter::new(),
        &[("regex", "(a)"), ("replacement", "$2")],
    );
    let mut record = sink(None, Value::Null);
    record.topic = Some("a".to_string());
    assert_eq!(
        apply_err(&mut t, record),
        ConnectError::IllegalArgument("No group 2".to_string())
    );
    let msg = config_err(
        RegexRouter::new(),
        &[("regex", "(unclosed"), ("replacement", "x")],
    );
    assert!(
        msg.starts_with("Invalid value (unclosed for configuration regex: Invalid regex:"),
        "{msg}"
    );
}

#[test]
fn timestamp_router_formats_in_utc() {
    let mut t = configured(TimestampRouter::new(), &[]);
    assert_eq!(
        apply(&mut t, sink(None, Value::Null)).topic_name(),
        "test-20170103"
    );
    let mut t = configured(
        TimestampRouter::new(),
        &[
            ("topic.format", "${timestamp}_${topic}_${topic}"),
            ("timestamp.format", "yyyy-MM-dd'T'HH"),
        ],
    );
    assert_eq!(
        apply(&mut t, sink(None, Value::Null)).topic_name(),
        "2017-01-03T06_test_test"
    );
    let mut record = sink(None, Value::Null);
    record.timestamp = None;
    let e = apply_err(&mut t, record);
    assert!(
        e.to_string().starts_with("Timestamp missing on record"),
        "{e}"
    );
    assert_eq!(
        config_err(TimestampRouter::new(), &[("timestamp.format", "yyyyQQ")]),
        "Invalid value yyyyQQ for configuration timestamp.format: Illegal pattern character 'Q'"
    );
}

#[test]
fn routers_refuse_a_null_topic() {
    let mut t = configured(RegexRouter::new(), &[("regex", ".*"), ("replacement", "x")]);
    let mut record = sink(None, Value::Null);
    record.topic = None;
    assert_eq!(
        apply_err(&mut t, record.clone()).to_string(),
        "RegexRouter cannot route a record with a null topic"
    );
    let mut t = configured(TimestampRouter::new(), &[]);
    assert_eq!(
        apply_err(&mut t, record).to_string(),
        "TimestampRouter cannot route a record with a null topic"
    );
}

#[test]
fn regex_router_remembers_routes_without_changing_them() {
    let mut t = configured(
        RegexRouter::new(),
        &[("regex", "orders-(.*)"), ("replacement", "archive-$1")],
    );
    let topic_of = |t: &mut RegexRouter, topic: &str| {
        let mut record = sink(None, Value::Null);
        record.topic = Some(topic.to_string());
        apply(t, record).topic
    };
    // More topics than are remembered, each seen twice: the same routes from the regex and
    // from memory.
    for round in 0..2 {
        for i in 0..1100 {
            assert_eq!(
                topic_of(&mut t, &format!("orders-{i}")),
                Some(format!("archive-{i}")),
                "round {round}"
            );
            assert_eq!(
                topic_of(&mut t, &format!("other-{i}")),
                Some(format!("other-{i}"))
            );
        }
    }
    // A new configuration forgets the old routes.
    t.configure(&props(&[
        ("regex", "orders-(.*)"),
        ("replacement", "new-$1"),
    ]))
    .unwrap();
    assert_eq!(topic_of(&mut t, "orders-1"), Some("new-1".to_string()));
}
