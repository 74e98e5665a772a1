//! `sluice convert` with `io.confluent.connect.avro.AvroConverter` against the test Schema
//! Registry (the registry URL given as a `--prop`): Connect data → Confluent Avro bytes → back.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use sluice_testkit::SchemaRegistryTestServer;

fn sluice(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sluice");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait for sluice")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn convert_round_trip_through_confluent_avro_bytes() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let reg = rt
        .block_on(SchemaRegistryTestServer::start())
        .expect("test registry");
    let url = format!("schema.registry.url={}", reg.url());
    let connect = r#"{"schema":{"type":"struct","fields":[{"field":"id","type":"int64","optional":false},{"field":"price","type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}],"optional":false,"name":"shop.Order"},"value":{"id":7,"price":"AJw="}}"#;
    let bytes = sluice(
        &[
            "convert",
            "--converter",
            "AvroConverter",
            "--prop",
            &url,
            "--topic",
            "orders",
            "--from-connect",
        ],
        connect.as_bytes(),
    );
    assert_eq!(bytes.status.code(), Some(0), "{}", text(&bytes.stderr));
    // Magic byte 0, schema id 1, then zigzag 7 and the optional decimal (branch 1, 2 bytes).
    assert_eq!(bytes.stdout, vec![0, 0, 0, 0, 1, 14, 2, 4, 0x00, 0x9c]);
    assert_eq!(reg.with_store(|s| s.subjects()), vec!["orders-value"]);

    let back = sluice(
        &[
            "convert",
            "--converter",
            "io.confluent.connect.avro.AvroConverter",
            "--prop",
            &url,
            "--topic",
            "orders",
            "--to-connect",
        ],
        &bytes.stdout,
    );
    assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
    let v: serde_json::Value = serde_json::from_slice(&back.stdout).expect("JSON");
    assert_eq!(v["value"], serde_json::json!({"id": 7, "price": "AJw="}));
    assert_eq!(v["schema"]["name"], "shop.Order");
    assert_eq!(v["schema"]["version"], 1);
    assert_eq!(v["schema"]["fields"][1]["parameters"]["scale"], "2");

    // The registry URL is required: a config error (exit 2) naming the key.
    let missing = sluice(
        &["convert", "--converter", "AvroConverter", "--to-connect"],
        b"",
    );
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    assert!(
        text(&missing.stderr).contains("schema.registry.url"),
        "{}",
        text(&missing.stderr)
    );
}
