//! The `mock-kafka` binary: it prints its bootstrap servers and, with `--disable-api`, leaves
//! APIs out of its ApiVersions answer (as a Kafka broker without a client-telemetry receiver
//! leaves out GetTelemetrySubscriptions and PushTelemetry).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// A running `mock-kafka` with `args`, and its bootstrap servers.
fn start(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-kafka"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("mock-kafka: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = line
        .trim()
        .strip_prefix("mock-kafka bootstrap.servers=")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, bootstrap)
}

/// The API keys in the broker's ApiVersions v0 answer.
fn advertised(bootstrap: &str) -> Vec<i16> {
    let addr = bootstrap.split(',').next().unwrap_or(bootstrap);
    let mut socket = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    // Request header v1 (api key 18, version 0, correlation id 7, client id "t"), no body.
    let mut request = Vec::new();
    request.extend_from_slice(&18i16.to_be_bytes());
    request.extend_from_slice(&0i16.to_be_bytes());
    request.extend_from_slice(&7i32.to_be_bytes());
    request.extend_from_slice(&1i16.to_be_bytes());
    request.push(b't');
    let mut frame = (request.len() as i32).to_be_bytes().to_vec();
    frame.extend_from_slice(&request);
    socket.write_all(&frame).unwrap_or_else(|e| panic!("{e}"));
    let mut size = [0u8; 4];
    socket
        .read_exact(&mut size)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut body = vec![0u8; i32::from_be_bytes(size) as usize];
    socket
        .read_exact(&mut body)
        .unwrap_or_else(|e| panic!("{e}"));
    // correlation id, error code, [api key, min, max]
    assert_eq!(&body[..4], &7i32.to_be_bytes());
    assert_eq!(&body[4..6], &0i16.to_be_bytes(), "ApiVersions error");
    let count = i32::from_be_bytes([body[6], body[7], body[8], body[9]]) as usize;
    (0..count)
        .map(|i| {
            let at = 10 + i * 6;
            i16::from_be_bytes([body[at], body[at + 1]])
        })
        .collect()
}

fn stop(mut child: Child) {
    drop(child.stdin.take());
    let _ = child.wait();
}

#[test]
fn disabled_apis_are_left_out_of_api_versions() {
    let (plain, bootstrap) = start(&[]);
    let keys = advertised(&bootstrap);
    stop(plain);
    assert!(keys.contains(&71) && keys.contains(&72), "{keys:?}");
    assert!(keys.contains(&1), "{keys:?}");

    let (without, bootstrap) = start(&["--disable-api", "71", "--disable-api", "72"]);
    let keys = advertised(&bootstrap);
    stop(without);
    assert!(!keys.contains(&71) && !keys.contains(&72), "{keys:?}");
    // Everything else still there.
    assert!(keys.contains(&1) && keys.contains(&18), "{keys:?}");
}
