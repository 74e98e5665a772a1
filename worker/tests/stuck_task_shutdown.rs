//! A task stuck in blocking code never keeps the worker process alive: after SIGTERM the
//! worker abandons it after `task.shutdown.graceful.timeout.ms` and exits (issue 9, item 3).
//! Needs the test broker (`scripts/services start`).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{unique_topic, wait_until, worker_properties, Sluice, TestDir};

/// `task.shutdown.graceful.timeout.ms` in this test.
const GRACEFUL_MS: u64 = 1000;

/// The worker's own bound past the graceful timeout (`cli::SHUTDOWN_MARGIN`), plus slack for
/// a loaded machine.
const EXIT_BOUND: Duration = Duration::from_millis(GRACEFUL_MS + 5_000 + 4_000);

#[test]
fn sigterm_exits_even_when_a_task_is_stuck_opening_a_fifo() {
    let dir = TestDir::new();
    let fifo = dir.file("input.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(made, "mkfifo {}", fifo.display());
    let topic = unique_topic("stuck", 1);
    let graceful = GRACEFUL_MS.to_string();
    let worker = worker_properties(
        &dir,
        &[("task.shutdown.graceful.timeout.ms", graceful.as_str())],
    );
    let fifo_path = fifo.to_string_lossy().to_string();
    let connector = dir.properties(
        "stuck.properties",
        &[
            ("name", "stuck"),
            ("connector.class", "FileStreamSource"),
            ("file", fifo_path.as_str()),
            ("topic", topic.as_str()),
        ],
    );
    let mut sluice = Sluice::standalone(&dir, "stuck", &worker, &[&connector]);
    wait_until("the worker to be ready", Duration::from_secs(30), || {
        sluice.logs().contains("Sluice standalone worker is ready.")
    });
    // Nobody writes to the FIFO: the task's first poll blocks opening it.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(sluice.is_running(), "{}", sluice.logs());

    let sent = Command::new("kill")
        .args(["-TERM", &sluice.pid().to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(sent, "could not send SIGTERM");
    let started = Instant::now();
    let status = sluice.wait_exit(EXIT_BOUND);
    let logs = sluice.logs();
    let Some(status) = status else {
        sluice.kill();
        panic!("sluice did not exit within {EXIT_BOUND:?} of SIGTERM; it printed:\n{logs}");
    };
    // A clean shutdown (0), or the watchdog's exit code when the shutdown itself hung.
    assert!(
        matches!(status.code(), Some(0) | Some(4)),
        "exit {status:?} after {:?}:\n{logs}",
        started.elapsed()
    );
}
