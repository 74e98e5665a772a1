//! End to end through the real broker: the `sluice` binary running the FileStream
//! connectors (issue 2, "Must show").
//!
//! Needs the broker of `scripts/services start` (or `SLUICE_BOOTSTRAP_SERVERS`); fails, never
//! skips, when it is unreachable.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{
    consume, create_topic, produce, unique_name, unique_topic, wait_until, worker_properties,
    Consumed, Sluice, TestDir,
};

/// Bound for records to travel through the worker and the broker.
const ARRIVAL: Duration = Duration::from_secs(60);

fn source_connector(dir: &TestDir, name: &str, input: &str, topic: &str) -> std::path::PathBuf {
    let input = dir.file(input);
    dir.properties(
        &format!("{name}.properties"),
        &[
            ("name", name),
            ("connector.class", "FileStreamSource"),
            ("tasks.max", "1"),
            ("file", &input.to_string_lossy()),
            ("topic", topic),
        ],
    )
}

fn sink_connector(dir: &TestDir, name: &str, output: &str, topic: &str) -> std::path::PathBuf {
    let output = dir.file(output);
    dir.properties(
        &format!("{name}.properties"),
        &[
            ("name", name),
            (
                "connector.class",
                "org.apache.kafka.connect.file.FileStreamSinkConnector",
            ),
            ("tasks.max", "1"),
            ("file", &output.to_string_lossy()),
            ("topics", topic),
        ],
    )
}

/// Runs a file source with the given value converter settings and returns the raw keys and
/// values written to the topic.
fn source_bytes(schemas_enable: &str) -> Vec<Consumed> {
    let dir = TestDir::new();
    let topic = unique_topic("file-source-json", 1);
    dir.write(
        "input.txt",
        "first line\nsecond \"quoted\" line\n\nünïcode\n",
    );
    let worker = worker_properties(&dir, &[("value.converter.schemas.enable", schemas_enable)]);
    let connector = source_connector(&dir, &unique_name("src"), "input.txt", &topic);
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&connector]);
    let records = consume(&topic, 4, ARRIVAL);
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );
    records
}

#[test]
fn file_source_writes_java_json_converter_bytes_with_schemas() {
    let records = source_bytes("true");
    let values: Vec<_> = records
        .iter()
        .map(|r| r.value.as_deref().map(String::from_utf8_lossy))
        .collect();
    // Java's FileStreamSourceTask uses Schema.STRING_SCHEMA (not optional).
    let envelope = |payload: &str| {
        format!(r#"{{"schema":{{"type":"string","optional":false}},"payload":{payload}}}"#)
    };
    let expected = [
        envelope(r#""first line""#),
        envelope(r#""second \"quoted\" line""#),
        envelope(r#""""#),
        envelope(r#""ünïcode""#),
    ];
    assert_eq!(
        values,
        expected
            .iter()
            .map(|s| Some(s.as_str().into()))
            .collect::<Vec<_>>()
    );
    // A null key with a null schema is written as a null (not `{"schema":null,…}`).
    assert!(records.iter().all(|r| r.key.is_none()), "{records:?}");
}

#[test]
fn file_source_writes_java_json_converter_bytes_without_schemas() {
    let records = source_bytes("false");
    let values: Vec<_> = records
        .iter()
        .map(|r| r.value.clone().map(String::from_utf8).and_then(Result::ok))
        .collect();
    let expected = [
        r#""first line""#,
        r#""second \"quoted\" line""#,
        r#""""#,
        r#""ünïcode""#,
    ];
    assert_eq!(
        values,
        expected
            .iter()
            .map(|s| Some(s.to_string()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn topic_to_file_sink_prints_java_to_string_lines() {
    let dir = TestDir::new();
    let topic = unique_topic("file-sink", 1);
    let values: [Option<&[u8]>; 6] = [
        Some(br#""hello""#),
        Some(b"42"),
        Some(b"2.5"),
        Some(br#"{"b":1,"a":"x"}"#),
        Some(br#"[true,null,"s"]"#),
        None,
    ];
    let records: Vec<_> = values.iter().map(|v| (None, *v)).collect();
    produce(&topic, &records);
    let worker = worker_properties(&dir, &[("value.converter.schemas.enable", "false")]);
    let connector = sink_connector(&dir, &unique_name("sink"), "output.txt", &topic);
    let mut sluice = Sluice::standalone(&dir, "worker", &worker, &[&connector]);
    wait_until("six lines in the sink file", ARRIVAL, || {
        dir.lines("output.txt").len() >= 6
    });
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );
    // String.valueOf of what JsonConverter (schemas.enable=false) yields: String, Long,
    // Double, HashMap, ArrayList, and null for the tombstone.
    assert_eq!(
        dir.lines("output.txt"),
        vec![
            "hello",
            "42",
            "2.5",
            "{a=x, b=1}",
            "[true, null, s]",
            "null"
        ]
    );
}

#[test]
fn source_and_sink_resume_after_sigterm_moving_only_new_lines() {
    let dir = TestDir::new();
    let topic = unique_topic("file-roundtrip", 1);
    dir.write("input.txt", "a\nb\nc\n");
    let worker = worker_properties(&dir, &[]);
    let source = source_connector(&dir, &unique_name("src"), "input.txt", &topic);
    let sink = sink_connector(&dir, &unique_name("sink"), "output.txt", &topic);
    let mut sluice = Sluice::standalone(&dir, "run1", &worker, &[&source, &sink]);
    wait_until("3 lines in the output", ARRIVAL, || {
        dir.lines("output.txt").len() >= 3
    });
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );

    dir.append("input.txt", "d\ne\n");
    let mut sluice = Sluice::standalone(&dir, "run2", &worker, &[&source, &sink]);
    wait_until("5 lines in the output", ARRIVAL, || {
        dir.lines("output.txt").len() >= 5
    });
    // Give a wrongly replayed line the time to show up before stopping.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );
    assert_eq!(dir.lines("output.txt"), vec!["a", "b", "c", "d", "e"]);
}

#[test]
fn worker_killed_with_sigkill_mid_stream_loses_no_line() {
    let dir = TestDir::new();
    let topic = unique_name("file-sigkill");
    create_topic(&topic, 1);
    dir.write("input.txt", "");
    let worker = worker_properties(&dir, &[]);
    let source = source_connector(&dir, &unique_name("src"), "input.txt", &topic);
    let sink = sink_connector(&dir, &unique_name("sink"), "output.txt", &topic);
    let line = |i: usize| format!("line-{i:07}-{}", "x".repeat(40));

    // The input keeps growing (50 lines every 10 ms) until `stop` is set, so the kill lands
    // mid-stream whatever the worker's speed.
    let stop = Arc::new(AtomicBool::new(false));
    let input = dir.file("input.txt");
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&input)
                .expect("input");
            let mut written = 0;
            while !stop.load(Ordering::Relaxed) {
                let text: String = (written..written + 50)
                    .map(|i| format!("{}\n", line(i)))
                    .collect();
                f.write_all(text.as_bytes()).expect("append");
                written += 50;
                std::thread::sleep(Duration::from_millis(10));
            }
            written
        })
    };

    let mut sluice = Sluice::standalone(&dir, "run1", &worker, &[&source, &sink]);
    wait_until("the first lines in the output", ARRIVAL, || {
        dir.lines("output.txt").len() >= 500
    });
    sluice.kill();
    std::thread::sleep(Duration::from_millis(300));

    let mut sluice = Sluice::standalone(&dir, "run2", &worker, &[&source, &sink]);
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().expect("writer thread");
    let want: HashSet<String> = (0..written).map(line).collect();
    wait_until("every input line in the output", ARRIVAL, || {
        let got: HashSet<String> = dir.lines("output.txt").into_iter().collect();
        want.is_subset(&got)
    });
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );
    // At-least-once: duplicates are allowed, nothing else may appear.
    let out = dir.lines("output.txt");
    let unknown: Vec<_> = out.iter().filter(|l| !want.contains(*l)).collect();
    assert!(
        unknown.is_empty(),
        "unexpected lines in the output: {unknown:?}"
    );
}

/// The resident memory of process `pid`, in MiB.
fn rss_mib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[cfg(target_os = "linux")]
#[test]
fn dev_zero_and_fifo_sources_keep_memory_bounded_and_sigterm_exits() {
    let dir = TestDir::new();
    let topic = unique_topic("file-zero", 1);
    let fifo = dir.file("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    let worker = worker_properties(&dir, &[]);
    let connector = |name: &str, file: &str| {
        dir.properties(
            &format!("{name}.properties"),
            &[
                ("name", name),
                ("connector.class", "FileStreamSource"),
                ("file", file),
                ("topic", &topic),
            ],
        )
    };
    let zero = connector("zero", "/dev/zero");
    let pipe = connector("pipe", &fifo.to_string_lossy());
    let mut sluice = Sluice::standalone(&dir, "zero", &worker, &[&zero, &pipe]);
    // The default limit (8 MiB) fails the /dev/zero task with an error naming the file.
    wait_until("the /dev/zero task to fail", ARRIVAL, || {
        sluice.logs().contains(
            "Cannot read /dev/zero: the line starting at byte offset 0 is longer than 8388608 bytes",
        )
    });
    let mut peak = 0;
    for _ in 0..15 {
        peak = peak.max(rss_mib(sluice.pid()).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(peak < 150, "resident memory reached {peak} MiB");
    // The FIFO has no writer: neither it nor the failed task keeps the worker alive.
    let started = std::time::Instant::now();
    assert!(
        sluice.terminate().success(),
        "worker exit:\n{}",
        sluice.logs()
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(8), "SIGTERM took {took:?}");
}
