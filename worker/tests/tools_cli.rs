//! `sluice transform` and `sluice convert` run as subprocesses over stdin/stdout, including the
//! README examples and the configs in `examples/transforms/`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn sluice(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sluice");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    // Write from another thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let output = child.wait_with_output().expect("wait for sluice");
    writer.join().expect("stdin writer");
    output
}

fn example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/transforms")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn record(topic: &str, timestamp: &str, value: &str) -> String {
    format!(
        r#"{{"topic":"{topic}","partition":0,"offset":1,"timestamp":{timestamp},"key_schema":null,"key":null,"value_schema":null,"value":{value},"headers":[]}}"#
    )
}

#[test]
fn transform_readme_example() {
    let input = record("t", "1700000000000", r#"{"line":"x"}"#);
    let out = sluice(
        &[
            "transform",
            "--config",
            &example("insert-source.properties"),
        ],
        format!("{input}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}\n",
            record(
                "t",
                "1700000000000",
                r#"{"line":"x","data_source":"test-file-source"}"#
            )
        )
    );
}

#[test]
fn transform_file_source_chain_on_a_schema_d_source_record() {
    let input = r#"{"topic":"t","partition":null,"timestamp":null,"key_schema":null,"key":null,"value_schema":{"type":"string"},"value":"x","headers":[]}"#;
    let out = sluice(
        &["transform", "-c", &example("file-source-chain.properties")],
        format!("{input}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let line = text(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("JSON output");
    assert!(
        v.get("offset").is_none(),
        "a source record stays a source record: {line}"
    );
    assert_eq!(
        v["value"],
        serde_json::json!({"line": "x", "data_source": "test-file-source"})
    );
    assert_eq!(v["value_schema"]["type"], "struct");
    assert_eq!(v["value_schema"]["fields"][0]["field"], "line");
    assert_eq!(v["value_schema"]["fields"][1]["field"], "data_source");
}

#[test]
fn transform_route_filter_and_tolerated_failure() {
    let input = [
        record("orders-eu", "1700000000000", r#"{"id":1}"#),
        record("test-orders", "1700000000000", r#"{"id":2}"#),
        record("orders-us", "1700000000000", r#""not a map""#),
        record("other", "1700000000001", r#"{"id":3}"#),
    ]
    .join("\n");
    let out = sluice(
        &["transform", "--config", &example("route-and-filter.json")],
        input.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Schemaless, InsertField's timestamp.field is the record's epoch-millis Long (as in Java).
    let expected = [
        record(
            "archive-eu",
            "1700000000000",
            r#"{"id":1,"ingested_at":1700000000000}"#,
        ),
        "null".to_string(),
        record(
            "other",
            "1700000000001",
            r#"{"id":3,"ingested_at":1700000000001}"#,
        ),
    ];
    assert_eq!(text(&out.stdout), format!("{}\n", expected.join("\n")));
    let err = text(&out.stderr);
    assert!(err.contains("line 3: skipped"), "{err}");
    assert!(err.contains("'Stamp'"), "{err}");
}

#[test]
fn transform_failure_without_tolerance_exits_1_after_earlier_records() {
    let input = format!(
        "{}\n{}\n{}\n",
        record("t", "1", "{}"),
        record("t", "2", "[1]"),
        record("t", "3", "{}")
    );
    let out = sluice(
        &[
            "transform",
            "--config",
            &example("insert-source.properties"),
        ],
        input.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}\n",
            record("t", "1", r#"{"data_source":"test-file-source"}"#)
        )
    );
    let err = text(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("'InsertSource'"), "{err}");
}

#[test]
fn transform_config_error_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.properties");
    std::fs::write(
        &path,
        "transforms=Route\ntransforms.Route.type=RegexRouter\n",
    )
    .expect("write");
    let out = sluice(&["transform", "--config", &path.to_string_lossy()], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("transforms.Route.regex"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn transform_streams_many_records() {
    let line = record("t", "1700000000000", r#"{"line":"x"}"#);
    let n = 20_000;
    let mut input = String::with_capacity((line.len() + 1) * n);
    for _ in 0..n {
        input.push_str(&line);
        input.push('\n');
    }
    let out = sluice(
        &[
            "transform",
            "--config",
            &example("insert-source.properties"),
        ],
        input.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), n);
    assert!(stdout
        .lines()
        .all(|l| l.contains(r#""data_source":"test-file-source""#)));
}

#[test]
fn convert_readme_example() {
    let out = sluice(
        &[
            "convert",
            "--converter",
            "JsonConverter",
            "--prop",
            "schemas.enable=false",
            "--to-connect",
        ],
        br#"{"a":1}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "{\"schema\":null,\"value\":{\"a\":1}}\n");
}

#[test]
fn convert_round_trip_through_bytes() {
    let connect = r#"{"schema":{"type":"struct","fields":[{"field":"id","type":"int64","optional":false},{"field":"price","type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}],"optional":false,"name":"order"},"value":{"id":7,"price":"AJw="}}"#;
    let bytes = sluice(
        &[
            "convert",
            "--converter",
            "org.apache.kafka.connect.json.JsonConverter",
            "--topic",
            "orders",
            "--from-connect",
        ],
        connect.as_bytes(),
    );
    assert_eq!(bytes.status.code(), Some(0), "{}", text(&bytes.stderr));
    let envelope: serde_json::Value = serde_json::from_slice(&bytes.stdout).expect("JSON bytes");
    assert_eq!(envelope["payload"]["id"], 7);
    assert_eq!(envelope["schema"]["name"], "order");
    let back = sluice(
        &["convert", "--converter", "Json", "--to-connect"],
        &bytes.stdout,
    );
    assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
    let v: serde_json::Value = serde_json::from_slice(&back.stdout).expect("JSON");
    assert_eq!(v["value"], serde_json::json!({"id": 7, "price": "AJw="}));
    assert_eq!(v["schema"]["fields"][1]["parameters"]["scale"], "2");
}

#[test]
fn convert_exit_codes() {
    let unknown = sluice(&["convert", "--converter", "Nope", "--to-connect"], b"");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("--converter"));
    let bad_prop = sluice(
        &[
            "convert",
            "--converter",
            "JsonConverter",
            "--prop",
            "decimal.format=HEX",
            "--to-connect",
        ],
        b"1",
    );
    assert_eq!(bad_prop.status.code(), Some(2));
    assert!(text(&bad_prop.stderr).contains("decimal.format"));
    let no_direction = sluice(&["convert", "--converter", "JsonConverter"], b"");
    assert_eq!(no_direction.status.code(), Some(2));
    let bad_bytes = sluice(
        &["convert", "--converter", "JsonConverter", "--to-connect"],
        b"{\"schema\":",
    );
    assert_eq!(bad_bytes.status.code(), Some(1));
    assert!(!text(&bad_bytes.stderr).is_empty());
    let tombstone = sluice(
        &[
            "convert",
            "--converter",
            "StringConverter",
            "--to-connect",
            "--null",
        ],
        b"",
    );
    assert_eq!(tombstone.status.code(), Some(0));
    assert_eq!(
        text(&tombstone.stdout),
        "{\"schema\":{\"type\":\"string\",\"optional\":true},\"value\":null}\n"
    );
}

#[test]
fn validate_reports_every_key_and_exits_by_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.properties");
    std::fs::write(
        &good,
        "name=src\nconnector.class=FileStreamSource\nfile=/tmp/in.txt\ntopic=t\n",
    )
    .expect("write");
    let out = sluice(&["validate", &good.to_string_lossy()], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("topic ") && l.ends_with(" t")),
        "{table}"
    );
    assert!(table.contains("0 error(s)"), "{table}");

    // The validate endpoint's JSON, with the errors it would report.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"name":"s","config":{"connector.class":"FileStreamSink","tasks.max":"0","transforms":"x"}}"#,
    )
    .expect("write");
    let out = sluice(&["validate", "--json", &bad.to_string_lossy()], b"");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["name"], "FileStreamSink");
    assert!(json["error_count"].as_u64().unwrap_or(0) >= 2, "{json}");
    let errors_of = |key: &str| {
        json["configs"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["value"]["name"] == key))
            .map(|c| c["value"]["errors"].clone())
            .unwrap_or_default()
    };
    assert!(
        errors_of("tasks.max")
            .to_string()
            .contains("Value must be at least 1"),
        "{json}"
    );
    assert_ne!(
        errors_of("transforms.x.type"),
        serde_json::json!([]),
        "{json}"
    );

    // Unreadable file, unknown class: exit 2 with the reason.
    let out = sluice(&["validate", "/no/such/connector.properties"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/no/such/connector.properties"));
    let unknown = dir.path().join("unknown.properties");
    std::fs::write(&unknown, "connector.class=com.example.Nope\n").expect("write");
    let out = sluice(&["validate", &unknown.to_string_lossy()], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("com.example.Nope"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn validate_resolves_references_with_the_worker_s_providers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let worker = dir.path().join("worker.properties");
    std::fs::write(
        &worker,
        "config.providers=env\nconfig.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider\n",
    )
    .expect("write");
    let conn = dir.path().join("c.properties");
    std::fs::write(
        &conn,
        "name=s\nconnector.class=FileStreamSource\ntopic=t\ntasks.max=${env:SLUICE_VALIDATE_TASKS}\n",
    )
    .expect("write");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.args([
        "validate",
        "--worker",
        &worker.to_string_lossy(),
        &conn.to_string_lossy(),
    ])
    .env("SLUICE_VALIDATE_TASKS", "0");
    let out = cmd.output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("Value must be at least 1"),
        "{}",
        text(&out.stdout)
    );
    let out = cmd.env("SLUICE_VALIDATE_TASKS", "2").output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn validate_judges_client_overrides_by_the_worker_s_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = dir.path().join("c.properties");
    std::fs::write(
        &conn,
        "name=s\nconnector.class=FileStreamSink\ntopics=t\nfile=/tmp/out.txt\n\
         consumer.override.max.poll.records=5\n",
    )
    .expect("write");
    let validate = |worker: Option<&str>| {
        let mut args = vec!["validate".to_string()];
        if let Some(content) = worker {
            let path = dir.path().join("worker.properties");
            std::fs::write(&path, content).expect("write");
            args.extend(["--worker".to_string(), path.to_string_lossy().into_owned()]);
        }
        args.push(conn.to_string_lossy().into_owned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sluice(&args, b"")
    };
    // Without a worker file, Java's default policy (All).
    let out = validate(None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("consumer.override.max.poll.records"),
        "{}",
        text(&out.stdout)
    );
    let out = validate(Some("connector.client.config.override.policy=None\n"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains(
            "The 'None' policy does not allow 'max.poll.records' to be overridden in the \
             connector configuration."
        ),
        "{}",
        text(&out.stdout)
    );
    let out = validate(Some("connector.client.config.override.policy=Strict\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "Invalid value Strict for configuration connector.client.config.override.policy"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_jdbc_example_configs_validate_against_the_real_postgresql() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/jdbc");
    for file in ["orders-source.properties", "orders-sink.properties"] {
        let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args([
                "validate",
                "--worker",
                &root.join("worker.properties").to_string_lossy(),
                &root.join(file).to_string_lossy(),
            ])
            .env("PGPASSWORD", "any")
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

/// A struct schema's struct default (readable in the record JSON) feeds Flatten's defaults for
/// the fields of an optional parent, as in Java.
#[test]
fn transform_flatten_takes_defaults_from_a_struct_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("flatten.properties");
    std::fs::write(
        &config,
        "name=flatten\ntransforms=f\ntransforms.f.type=org.apache.kafka.connect.transforms.Flatten$Value\n",
    )
    .expect("write config");
    let input = concat!(
        r#"{"topic":"t","partition":0,"offset":1,"timestamp":null,"key_schema":null,"key":null,"#,
        r#""value_schema":{"type":"struct","fields":[{"type":"struct","fields":["#,
        r#"{"type":"int32","optional":false,"field":"x"}],"optional":true,"default":{"x":7},"field":"p"}],"optional":false},"#,
        r#""value":{"p":null},"headers":[]}"#
    );
    let out = sluice(
        &["transform", "--config", &config.to_string_lossy()],
        format!("{input}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).expect("JSON");
    assert_eq!(
        v["value_schema"]["fields"][0],
        serde_json::json!({"type": "int32", "optional": true, "default": 7, "field": "p.x"})
    );
    // Java's Struct.getStruct returns the default for the null parent, so Flatten copies it.
    assert_eq!(v["value"], serde_json::json!({"p.x": 7}));
}
