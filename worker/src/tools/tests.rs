//! Unit tests of the tools' core loops over in-memory streams.

use std::io::{self, Write};
use std::path::PathBuf;

use sluice_api::Props;
use sluice_transforms::PluginResolver;

use super::convert;
use super::transform::{self, RunError, Summary, TransformTool};
use super::{ConvertArgs, TransformArgs, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK};
use crate::plugins::PluginRegistry;
use crate::runtime::transforms::RegistryResolver;

fn props(pairs: &[(&str, &str)]) -> Props {
    sluice_api::config::props_of(pairs)
}

fn record(topic: &str, value: &str) -> String {
    format!(
        r#"{{"topic":"{topic}","partition":0,"offset":1,"timestamp":1700000000000,"key_schema":null,"key":null,"value_schema":null,"value":{value},"headers":[]}}"#
    )
}

/// Runs a tool built from `pairs` over `input`: (result, stdout, stderr).
fn process(pairs: &[(&str, &str)], input: &str) -> (Result<Summary, RunError>, String, String) {
    let registry = PluginRegistry::builtin();
    let mut tool = TransformTool::from_props(&props(pairs), &RegistryResolver(&registry))
        .expect("valid config");
    let mut out = Vec::new();
    let mut err = Vec::new();
    let result = tool.process(input.as_bytes(), &mut out, &mut err);
    (
        result,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// Writes `text` to a temporary config file and runs `sluice transform` on it.
fn run_file(name: &str, text: &str, input: &str) -> (u8, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write config");
    run_path(path, input)
}

fn run_path(config: PathBuf, input: &str) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = transform::run_with(
        &TransformArgs { config },
        &PluginRegistry::builtin(),
        input.as_bytes(),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

const INSERT_STATIC: &[(&str, &str)] = &[
    ("transforms", "InsertSource"),
    ("transforms.InsertSource.type", "InsertField$Value"),
    ("transforms.InsertSource.static.field", "data_source"),
    ("transforms.InsertSource.static.value", "test-file-source"),
];

#[test]
fn registry_resolves_transformations_and_predicates_by_alias_and_class() {
    let registry = PluginRegistry::builtin();
    let r = RegistryResolver(&registry);
    assert!(r.transformation("Filter").is_some());
    assert!(r
        .transformation("org.apache.kafka.connect.transforms.InsertField$Value")
        .is_some());
    assert!(r.predicate("TopicNameMatches").is_some());
    assert!(r.predicate("Filter").is_none());
    assert!(r.transformation("TopicNameMatches").is_none());
    assert!(r.transformation("NoSuchTransform").is_none());
}

#[test]
fn applies_the_chain_and_writes_record_json() {
    let pairs = [
        ("transforms", "MakeMap,InsertSource"),
        ("transforms.MakeMap.type", "HoistField$Value"),
        ("transforms.MakeMap.field", "line"),
        ("transforms.InsertSource.type", "InsertField$Value"),
        ("transforms.InsertSource.static.field", "data_source"),
        ("transforms.InsertSource.static.value", "test-file-source"),
    ];
    let (result, out, err) = process(&pairs, &format!("{}\n", record("t", "\"hello\"")));
    assert_eq!(
        result.expect("ok"),
        Summary {
            records: 1,
            written: 1,
            dropped: 0,
            skipped: 0
        }
    );
    assert_eq!(
        out,
        format!(
            "{}\n",
            record("t", r#"{"line":"hello","data_source":"test-file-source"}"#)
        )
    );
    assert!(err.is_empty(), "{err}");
}

#[test]
fn no_transforms_passes_records_unchanged() {
    let input = format!(
        "{}\n{}\n",
        record("a", r#"{"n":1,"f":1.5,"i":{"$int32":7}}"#),
        record("b", "null")
    );
    let (result, out, _) = process(&[], &input);
    assert_eq!(result.expect("ok").written, 2);
    assert_eq!(out, input);
}

#[test]
fn filter_with_predicate_drops_matching_records_as_null() {
    let pairs = [
        ("transforms", "DropFoo"),
        ("transforms.DropFoo.type", "Filter"),
        ("transforms.DropFoo.predicate", "IsFoo"),
        ("predicates", "IsFoo"),
        ("predicates.IsFoo.type", "TopicNameMatches"),
        ("predicates.IsFoo.pattern", "foo-.*"),
    ];
    let input = format!("{}\n{}\n", record("foo-1", "1"), record("bar", "2"));
    let (result, out, _) = process(&pairs, &input);
    assert_eq!(result.expect("ok").dropped, 1);
    assert_eq!(out, format!("null\n{}\n", record("bar", "2")));
}

#[test]
fn negate_inverts_the_predicate() {
    let pairs = [
        ("transforms", "KeepFoo"),
        (
            "transforms.KeepFoo.type",
            "org.apache.kafka.connect.transforms.Filter",
        ),
        ("transforms.KeepFoo.predicate", "IsFoo"),
        ("transforms.KeepFoo.negate", "true"),
        ("predicates", "IsFoo"),
        (
            "predicates.IsFoo.type",
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        ),
        ("predicates.IsFoo.pattern", "foo-.*"),
    ];
    let input = format!("{}\n{}\n", record("foo-1", "1"), record("bar", "2"));
    let (_, out, _) = process(&pairs, &input);
    assert_eq!(out, format!("{}\nnull\n", record("foo-1", "1")));
}

#[test]
fn null_input_lines_stay_null_and_blank_lines_are_skipped_but_counted() {
    let input = format!("null\n\n  \r\n{}\n\"oops\"\n", record("t", "{}"));
    let (result, out, _) = process(INSERT_STATIC, &input);
    // Line 5 is not a record object: the error counts the blank lines.
    match result {
        Err(RunError::Record { line, .. }) => assert_eq!(line, 5),
        other => panic!("expected a record failure, got {other:?}"),
    }
    assert_eq!(
        out,
        format!(
            "null\n{}\n",
            record("t", r#"{"data_source":"test-file-source"}"#)
        )
    );
}

#[test]
fn failure_under_tolerance_none_prints_earlier_records_then_exits_1() {
    let config = "transforms=InsertSource\ntransforms.InsertSource.type=InsertField$Value\n\
                  transforms.InsertSource.static.field=data_source\n\
                  transforms.InsertSource.static.value=test-file-source\n";
    let input = format!(
        "{}\n{}\n{}\n",
        record("t", "{}"),
        record("t", "\"not a map\""),
        record("t", "{}")
    );
    let (code, out, err) = run_file("c.properties", config, &input);
    assert_eq!(code, EXIT_FAILURE);
    assert_eq!(
        out,
        format!("{}\n", record("t", r#"{"data_source":"test-file-source"}"#))
    );
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("'InsertSource'"), "{err}");
    assert!(err.contains("errors.tolerance=none"), "{err}");
}

#[test]
fn failures_under_tolerance_all_are_skipped_and_reported() {
    let config = r#"{"name":"c","config":{"transforms":"InsertSource",
        "transforms.InsertSource.type":"InsertField$Value",
        "transforms.InsertSource.static.field":"data_source",
        "transforms.InsertSource.static.value":"v",
        "errors.tolerance":"all"}}"#;
    let input = format!(
        "{}\n{}\n{{not json\n{}\n",
        record("t", "{}"),
        record("t", "\"not a map\""),
        record("u", "{}")
    );
    let (code, out, err) = run_file("c.json", config, &input);
    assert_eq!(code, EXIT_OK, "{err}");
    let kept = record("t", r#"{"data_source":"v"}"#);
    assert_eq!(
        out,
        format!("{kept}\n{}\n", record("u", r#"{"data_source":"v"}"#))
    );
    assert!(err.contains("line 2: skipped"), "{err}");
    assert!(err.contains("'InsertSource'"), "{err}");
    assert!(err.contains("line 3: skipped"), "{err}");
    assert!(err.contains("invalid record JSON"), "{err}");
    assert!(err.contains("Skipped 2 of 4 records"), "{err}");
    // Without errors.log.include.messages the record itself is not reported.
    assert!(!err.contains("not a map"), "{err}");
}

#[test]
fn include_messages_adds_the_failed_record_to_the_report() {
    let mut pairs = INSERT_STATIC.to_vec();
    pairs.push(("errors.tolerance", "all"));
    pairs.push(("errors.log.include.messages", "true"));
    let (result, _, err) = process(&pairs, &format!("{}\n", record("t", "\"not a map\"")));
    assert_eq!(result.expect("ok").skipped, 1);
    assert!(err.contains("record: {\"topic\":\"t\""), "{err}");
}

#[test]
fn malformed_json_under_tolerance_none_exits_1_naming_the_line() {
    let (code, out, err) = run_file(
        "c.properties",
        "",
        &format!("{}\n{{\"topic\":\n", record("t", "1")),
    );
    assert_eq!(code, EXIT_FAILURE);
    assert_eq!(out, format!("{}\n", record("t", "1")));
    assert!(err.contains("line 2: invalid record JSON"), "{err}");
}

#[test]
fn config_errors_exit_2_naming_the_key() {
    let cases = [
        ("transforms=a\n", "transforms.a.type"),
        (
            "transforms=a\ntransforms.a.type=NoSuchThing\n",
            "transforms.a.type",
        ),
        (
            "transforms=a\ntransforms.a.type=HoistField$Value\n",
            "transforms.a.field",
        ),
        (
            "transforms=a\ntransforms.a.type=Filter\ntransforms.a.negate=true\n",
            "transforms.a.negate",
        ),
        (
            "transforms=a\ntransforms.a.type=Filter\ntransforms.a.predicate=p\n",
            "predicates.p.type",
        ),
        ("errors.tolerance=some\n", "errors.tolerance"),
        (
            "errors.log.include.messages=maybe\n",
            "errors.log.include.messages",
        ),
    ];
    for (config, key) in cases {
        let (code, out, err) = run_file("c.properties", config, &record("t", "1"));
        assert_eq!(code, EXIT_CONFIG, "{config}: {err}");
        assert!(err.contains(key), "{config}: {err}");
        assert!(out.is_empty());
    }
}

#[test]
fn unreadable_or_malformed_config_files_exit_2() {
    let (code, _, err) = run_path(PathBuf::from("/nonexistent/c.properties"), "");
    assert_eq!(code, EXIT_CONFIG);
    assert!(err.contains("/nonexistent/c.properties"), "{err}");
    let (code, _, err) = run_file("c.json", "{\"transforms\":", "");
    assert_eq!(code, EXIT_CONFIG);
    assert!(err.contains("c.json"), "{err}");
}

/// A writer whose reader went away.
struct ClosedPipe;

impl Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from(io::ErrorKind::BrokenPipe))
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

/// A writer that fails for another reason.
struct FullDisk;

impl Write for FullDisk {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("disk full"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::other("disk full"))
    }
}

#[test]
fn a_closed_stdout_ends_quietly_and_other_write_errors_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.properties");
    std::fs::write(&path, "").expect("write");
    let args = TransformArgs { config: path };
    let registry = PluginRegistry::builtin();
    let input = format!("{}\n", record("t", "1"));
    let mut err = Vec::new();
    let code = transform::run_with(&args, &registry, input.as_bytes(), ClosedPipe, &mut err);
    assert_eq!(code, EXIT_OK);
    assert!(err.is_empty());
    let code = transform::run_with(&args, &registry, input.as_bytes(), FullDisk, &mut err);
    assert_eq!(code, EXIT_FAILURE);
    assert!(String::from_utf8_lossy(&err).contains("disk full"));
}

fn convert_args(converter: &str, props: &[&str], to_connect: bool) -> ConvertArgs {
    ConvertArgs {
        converter: converter.to_string(),
        key: false,
        topic: "topic".to_string(),
        props: props.iter().map(|p| p.to_string()).collect(),
        to_connect,
        from_connect: !to_connect,
        null: false,
    }
}

fn run_convert(args: &ConvertArgs, input: &[u8]) -> (u8, Vec<u8>, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = convert::run_with(args, &PluginRegistry::builtin(), input, &mut out, &mut err);
    (code, out, String::from_utf8_lossy(&err).into_owned())
}

#[test]
fn convert_to_connect_schemaless_json() {
    let args = convert_args("JsonConverter", &["schemas.enable=false"], true);
    let (code, out, err) = run_convert(&args, br#"{"a":1}"#);
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(out, b"{\"schema\":null,\"value\":{\"a\":1}}\n");
}

#[test]
fn convert_to_connect_with_schema_envelope() {
    let args = convert_args("org.apache.kafka.connect.json.JsonConverter", &[], true);
    let (code, out, err) = run_convert(
        &args,
        br#"{"schema":{"type":"int32","optional":false},"payload":42}"#,
    );
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(
        String::from_utf8_lossy(&out),
        "{\"schema\":{\"type\":\"int32\",\"optional\":false},\"value\":42}\n"
    );
}

#[test]
fn convert_from_connect_writes_raw_bytes() {
    let args = convert_args("Json", &["schemas.enable=false"], false);
    let (code, out, err) = run_convert(&args, br#"{"schema":null,"value":{"a":[1,"x"]}}"#);
    assert_eq!(code, EXIT_OK, "{err}");
    assert_eq!(out, br#"{"a":[1,"x"]}"#);
    let args = convert_args("StringConverter", &[], false);
    let (code, out, _) = run_convert(
        &args,
        br#"{"schema":{"type":"string","optional":true},"value":"h\u00e9"}"#,
    );
    assert_eq!(code, EXIT_OK);
    assert_eq!(out, "hé".as_bytes());
}

#[test]
fn convert_null_and_empty_inputs() {
    let mut args = convert_args("StringConverter", &[], true);
    let (code, out, _) = run_convert(&args, b"");
    assert_eq!(code, EXIT_OK);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "{\"schema\":{\"type\":\"string\",\"optional\":true},\"value\":\"\"}\n"
    );
    args.null = true;
    let (code, out, _) = run_convert(&args, b"ignored");
    assert_eq!(code, EXIT_OK);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "{\"schema\":{\"type\":\"string\",\"optional\":true},\"value\":null}\n"
    );
    let args = convert_args("StringConverter", &[], false);
    let (code, out, err) = run_convert(&args, br#"{"schema":null,"value":null}"#);
    assert_eq!(code, EXIT_OK);
    assert!(out.is_empty());
    assert!(err.contains("null"), "{err}");
}

#[test]
fn convert_config_errors_exit_2() {
    let (code, _, err) = run_convert(&convert_args("NoSuchConverter", &[], true), b"");
    assert_eq!(code, EXIT_CONFIG);
    assert!(err.contains("--converter"), "{err}");
    // A transformation is not a converter.
    let (code, _, _) = run_convert(&convert_args("Filter", &[], true), b"");
    assert_eq!(code, EXIT_CONFIG);
    let (code, _, err) = run_convert(&convert_args("Json", &["schemas.enable"], true), b"");
    assert_eq!(code, EXIT_CONFIG);
    assert!(err.contains("--prop"), "{err}");
    let (code, _, err) = run_convert(&convert_args("Json", &["schemas.enable=maybe"], true), b"");
    assert_eq!(code, EXIT_CONFIG);
    assert!(err.contains("schemas.enable"), "{err}");
}

#[test]
fn convert_failures_exit_1() {
    let args = convert_args("JsonConverter", &[], true);
    let (code, out, err) = run_convert(&args, b"{not json");
    assert_eq!(code, EXIT_FAILURE);
    assert!(out.is_empty());
    assert!(err.contains("JsonConverter failed"), "{err}");
    let args = convert_args("JsonConverter", &[], false);
    let (code, _, err) = run_convert(&args, b"[1]");
    assert_eq!(code, EXIT_FAILURE);
    assert!(err.contains("invalid"), "{err}");
}

/// A converter that reports how it was configured: `to_connect_data` yields `is_key`.
struct IsKeyProbe(bool);

impl sluice_api::Converter for IsKeyProbe {
    fn configure(&mut self, _: &Props, is_key: bool) -> sluice_api::ConnectResult<()> {
        self.0 = is_key;
        Ok(())
    }
    fn from_connect_data(
        &mut self,
        _: &str,
        _: &mut sluice_api::Headers,
        _: Option<&sluice_api::SchemaRef>,
        _: &sluice_api::Value,
    ) -> sluice_api::ConnectResult<Option<Vec<u8>>> {
        Ok(None)
    }
    fn to_connect_data(
        &mut self,
        topic: &str,
        _: &sluice_api::Headers,
        _: Option<&[u8]>,
    ) -> sluice_api::ConnectResult<sluice_api::SchemaAndValue> {
        Ok(sluice_api::SchemaAndValue::new(
            None,
            sluice_api::Value::Array(vec![
                sluice_api::Value::Boolean(self.0),
                sluice_api::Value::String(topic.to_string()),
            ]),
        ))
    }
}

#[test]
fn convert_passes_key_flag_and_topic_to_the_converter() {
    let registry = PluginRegistry::new(vec![sluice_api::Plugin {
        class: "test.IsKeyProbeConverter",
        version: "1",
        factory: sluice_api::PluginFactory::Converter(|| Box::new(IsKeyProbe(false))),
    }]);
    let mut args = convert_args("IsKeyProbe", &[], true);
    args.topic = "orders".to_string();
    for (key, expected) in [(false, "[false,\"orders\"]"), (true, "[true,\"orders\"]")] {
        args.key = key;
        let mut out = Vec::new();
        let code = convert::run_with(&args, &registry, &b""[..], &mut out, Vec::new());
        assert_eq!(code, EXIT_OK);
        assert_eq!(
            String::from_utf8_lossy(&out),
            format!("{{\"schema\":null,\"value\":{expected}}}\n")
        );
    }
}
