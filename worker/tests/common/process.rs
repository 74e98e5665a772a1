//! The `sluice` binary as a subprocess.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a worker gets to exit after SIGTERM before the test fails.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A temporary directory for one test's files (configs, offsets, inputs, outputs, logs),
/// removed when dropped.
#[derive(Debug)]
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    /// A new empty directory.
    pub fn new() -> Self {
        TestDir {
            dir: tempfile::Builder::new()
                .prefix("sluice-it-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `content` to `name` and returns its path.
    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.file(name);
        fs::write(&path, content).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Appends `content` to `name` (creating it) and returns its path.
    pub fn append(&self, name: &str, content: &str) -> PathBuf {
        use std::io::Write;
        let path = self.file(name);
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
        f.write_all(content.as_bytes())
            .unwrap_or_else(|e| panic!("appending to {}: {e}", path.display()));
        path
    }

    /// Writes a `.properties` file from key/value pairs and returns its path.
    pub fn properties(&self, name: &str, pairs: &[(&str, &str)]) -> PathBuf {
        let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        self.write(name, &text)
    }

    /// The lines of a file (empty when it does not exist yet).
    pub fn lines(&self, name: &str) -> Vec<String> {
        fs::read_to_string(self.file(name))
            .map(|s| s.lines().map(str::to_string).collect())
            .unwrap_or_default()
    }
}

impl Default for TestDir {
    fn default() -> Self {
        Self::new()
    }
}

/// Worker properties for a test: the test broker, an offsets file in `dir`, the REST server
/// on a free loopback port, a short offset flush interval; `extra` adds or overrides keys.
pub fn worker_properties(dir: &TestDir, extra: &[(&str, &str)]) -> PathBuf {
    let bootstrap = super::kafka::bootstrap_servers();
    let offsets = dir.file("worker.offsets");
    let offsets = offsets.to_string_lossy();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("bootstrap.servers", bootstrap.as_str()),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("offset.storage.file.filename", &offsets),
        ("offset.flush.interval.ms", "500"),
        ("listeners", "http://127.0.0.1:0"),
    ];
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        pairs.push((k, v));
    }
    dir.properties("worker.properties", &pairs)
}

/// A running (or finished) `sluice` process; killed when dropped.
#[derive(Debug)]
pub struct Sluice {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// The path of the `sluice` binary built for these tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_sluice")
}

fn command(args: &[&Path], dir: &TestDir, tag: &str) -> (Command, PathBuf, PathBuf) {
    command_for("standalone", args, dir, tag)
}

fn command_for(
    subcommand: &str,
    args: &[&Path],
    dir: &TestDir,
    tag: &str,
) -> (Command, PathBuf, PathBuf) {
    let stdout = dir.file(&format!("{tag}.stdout.log"));
    let stderr = dir.file(&format!("{tag}.stderr.log"));
    let mut cmd = Command::new(binary());
    cmd.arg(subcommand)
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout).expect("stdout log"))
        .stderr(fs::File::create(&stderr).expect("stderr log"));
    // The test's own environment must not reconfigure the worker.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CONNECT_") {
            cmd.env_remove(key);
        }
    }
    if std::env::var_os("SLUICE_LOG").is_none() {
        cmd.env("SLUICE_LOG", "info");
    }
    (cmd, stdout, stderr)
}

impl Sluice {
    /// Starts `sluice standalone WORKER CONNECTOR…` in `dir`; `tag` names its log files.
    pub fn standalone(dir: &TestDir, tag: &str, worker: &Path, connectors: &[&Path]) -> Self {
        let mut args = vec![worker];
        args.extend_from_slice(connectors);
        let (mut cmd, stdout, stderr) = command(&args, dir, tag);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary()));
        Sluice {
            child,
            stdout,
            stderr,
        }
    }

    /// Starts `sluice distributed WORKER` in `dir`; `tag` names its log files (a restarted
    /// worker appends to them).
    pub fn distributed(dir: &TestDir, tag: &str, worker: &Path) -> Self {
        let stdout = dir.file(&format!("{tag}.stdout.log"));
        let stderr = dir.file(&format!("{tag}.stderr.log"));
        let (mut cmd, _, _) = command_for("distributed", &[worker], dir, &format!("{tag}.tmp"));
        let open = |p: &PathBuf| {
            fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .expect("log file")
        };
        cmd.stdout(open(&stdout)).stderr(open(&stderr));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary()));
        Sluice {
            child,
            stdout,
            stderr,
        }
    }

    /// Runs `sluice standalone ARGS…` and waits (bounded) for it to exit on its own; returns
    /// the status and everything it printed (stdout then stderr).
    pub fn run_to_exit(
        dir: &TestDir,
        tag: &str,
        args: &[&Path],
        timeout: Duration,
    ) -> (ExitStatus, String) {
        let (mut cmd, _, _) = command(args, dir, tag);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary()));
        let mut sluice = Sluice {
            child,
            stdout: dir.file(&format!("{tag}.stdout.log")),
            stderr: dir.file(&format!("{tag}.stderr.log")),
        };
        let status = sluice.wait_exit(timeout).unwrap_or_else(|| {
            let logs = sluice.logs();
            sluice.kill();
            panic!("sluice did not exit within {timeout:?}; it printed:\n{logs}")
        });
        (status, sluice.logs())
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits for the exit; fails the test when it takes longer than
    /// [`STOP_TIMEOUT`].
    pub fn terminate(&mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            sent || !self.is_running(),
            "could not send SIGTERM to sluice"
        );
        match self.wait_exit(STOP_TIMEOUT) {
            Some(status) => status,
            None => {
                let logs = self.logs();
                self.kill();
                panic!(
                    "sluice did not exit within {STOP_TIMEOUT:?} of SIGTERM; it printed:\n{logs}"
                )
            }
        }
    }

    /// SIGKILL: the process dies at once, without flushing or committing anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What the process printed so far: stdout, then stderr.
    pub fn logs(&self) -> String {
        let out = fs::read_to_string(&self.stdout).unwrap_or_default();
        let err = fs::read_to_string(&self.stderr).unwrap_or_default();
        format!("{out}{err}")
    }
}

impl Drop for Sluice {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}
