//! `sluice standalone --config-dir DIR`: connector configs created or updated over REST are
//! kept as JSON files in `DIR` and recreated when the worker starts again. Java's standalone
//! worker forgets REST-created connectors when it exits; this is an opt-in addition.
//!
//! * One file per connector, `<name>.json`, with the name percent-encoded where it has
//!   characters other than ASCII letters, digits, `-`, `_` and `.` (a leading `.` too).
//! * The content is a `CreateConnectorRequest`, the JSON that `POST /connectors` and the
//!   standalone command line accept: `{"name", "config", "initial_state"}`. `initial_state`
//!   follows pause (`PAUSED`), stop (`STOPPED`) and resume (`RUNNING`).
//! * A connector whose file name would be longer than [`MAX_FILE_NAME_BYTES`] is refused
//!   with a 400 when it is created, before anything runs.
//! * Files are written atomically: a temporary file with a unique name in the same
//!   directory, created with mode 0600 (configs hold credentials), fsync, rename, fsync of
//!   the directory. Files are removed on delete. A directory Sluice creates gets mode 0700.
//! * Writes follow the herder's ordering: a change and the file write after it happen under
//!   the connector's lock, so the file always holds the last change.
//!
//! [`PersistingHerder`] wraps any [`Herder`] and writes the files after each successful
//! change; [`restore`] recreates the stored connectors through the herder at start, as
//! stored: no validation, so nothing calls a connector's external system before it runs,
//! and a connector that cannot start comes up FAILED instead of stopping the worker.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sluice_api::Props;

use crate::herder::locks::ConnectorLocks;
use crate::herder::{
    ConfigInfos, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, ConnectorTaskId, Created,
    Herder, HerderError, HerderResult, Message, RestartRequest, TargetState, TaskInfo, TaskState,
};

/// Why the config directory could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigDirError {
    /// An I/O failure on a path.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file that is not a connector config.
    #[error("connector config file {path} is not valid JSON of the form {{\"name\":…,\"config\":{{…}}}}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// Recreating a stored connector failed.
    #[error("could not recreate connector {name} from {path}: {source}")]
    Restore {
        /// The connector.
        name: String,
        /// The file.
        path: PathBuf,
        /// The herder's answer.
        source: HerderError,
    },
}

/// One stored connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredConnector {
    /// Name.
    pub name: String,
    /// Raw config.
    pub config: Props,
    /// `RUNNING`, `PAUSED` or `STOPPED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_state: Option<String>,
}

impl StoredConnector {
    fn target_state(&self) -> Option<TargetState> {
        match self.initial_state.as_deref()?.to_ascii_uppercase().as_str() {
            "RUNNING" => Some(TargetState::Started),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }
}

/// The directory of connector config files.
#[derive(Debug, Clone)]
pub struct ConfigDir {
    dir: PathBuf,
}

/// The longest file name Sluice writes: `NAME_MAX` of Linux file systems (ext4, xfs, btrfs,
/// tmpfs) and of macOS's APFS.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// The 400 for a connector whose name cannot be a file name in the config directory (with
/// percent-encoding, a name of up to 250 ASCII letters, digits, `-`, `_` and `.` fits; other
/// characters take three bytes each). Every other character is encoded, so length is the
/// only limit.
pub fn check_storable(connector: &str) -> Result<(), HerderError> {
    let len = file_name(connector).len();
    if len > MAX_FILE_NAME_BYTES {
        return Err(HerderError::BadRequest(format!(
            "Connector name is too long to be stored with --config-dir: its file name would be \
             {len} bytes, more than the {MAX_FILE_NAME_BYTES} a file system allows (names are \
             percent-encoded: characters other than ASCII letters, digits, '-', '_' and '.' \
             take 3 bytes each, and '.json' is added)"
        )));
    }
    Ok(())
}

/// The file name of a connector: its name, percent-encoded where needed, plus `.json`.
pub fn file_name(connector: &str) -> String {
    let mut out = String::with_capacity(connector.len() + 5);
    for (i, b) in connector.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') || (b == b'.' && i > 0);
        if plain {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str(".json");
    out
}

impl ConfigDir {
    /// Opens (creating it if needed) the directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, ConfigDirError> {
        let dir = dir.into();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(|source| ConfigDirError::Io {
            op: "creating config directory",
            path: dir.clone(),
            source,
        })?;
        Ok(ConfigDir { dir })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn file(&self, connector: &str) -> PathBuf {
        self.dir.join(file_name(connector))
    }

    /// Every stored connector, sorted by name, with the file each came from.
    pub fn load(&self) -> Result<Vec<(PathBuf, StoredConnector)>, ConfigDirError> {
        let io = |op, path: &Path| {
            let path = path.to_path_buf();
            move |source| ConfigDirError::Io { op, path, source }
        };
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io("reading", &self.dir))? {
            let path = entry.map_err(io("reading", &self.dir))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(io("reading", &path))?;
            let stored: StoredConnector =
                serde_json::from_slice(&bytes).map_err(|source| ConfigDirError::Parse {
                    path: path.clone(),
                    source,
                })?;
            out.push((path, stored));
        }
        out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        Ok(out)
    }

    /// The stored entry of one connector, if any.
    pub fn get(&self, connector: &str) -> Option<StoredConnector> {
        let bytes = std::fs::read(self.file(connector)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes one connector's file atomically: a uniquely named temporary file (mode
    /// 0600) in the directory, fsync, rename over the connector's file, fsync of the
    /// directory.
    pub fn save(&self, stored: &StoredConnector) -> Result<(), ConfigDirError> {
        let path = self.file(&stored.name);
        let io = |op, p: &Path| {
            let path = p.to_path_buf();
            move |source| ConfigDirError::Io { op, path, source }
        };
        let json = serde_json::to_vec_pretty(stored).map_err(|e| ConfigDirError::Io {
            op: "serializing",
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        let (tmp, mut file) = self.temp_file()?;
        let written = file
            .write_all(&json)
            .map_err(io("writing", &tmp))
            .and_then(|()| file.sync_all().map_err(io("syncing", &tmp)));
        drop(file);
        let renamed =
            written.and_then(|()| std::fs::rename(&tmp, &path).map_err(io("renaming into", &path)));
        if let Err(e) = renamed {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        // The rename is durable once the directory entry is.
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// A new temporary file in the directory, its name unique to this write (process id,
    /// sequence number, time) and created exclusively, readable by the owner only.
    fn temp_file(&self) -> Result<(PathBuf, std::fs::File), ConfigDirError> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let tmp = self.dir.join(format!(
                ".{}-{}-{nanos}.tmp",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::Relaxed)
            ));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&tmp) {
                Ok(f) => return Ok((tmp, f)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => {
                    return Err(ConfigDirError::Io {
                        op: "creating",
                        path: tmp,
                        source,
                    })
                }
            }
        }
    }

    /// Removes one connector's file (absent is fine).
    pub fn remove(&self, connector: &str) -> Result<(), ConfigDirError> {
        let path = self.file(connector);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(ConfigDirError::Io {
                op: "removing",
                path,
                source,
            }),
        }
    }
}

/// Recreates every stored connector through `herder` with [`Herder::restore_connector`]
/// (as stored, without validation; replacing any of the same name; a connector that cannot
/// start comes up FAILED), except those named in `skip` (connectors given as files on the command line win over
/// stored ones). Returns how many were recreated.
pub async fn restore(
    herder: &dyn Herder,
    dir: &ConfigDir,
    skip: &[String],
) -> Result<usize, ConfigDirError> {
    let mut n = 0;
    for (path, c) in dir.load()? {
        if skip.contains(&c.name) {
            tracing::info!(connector = %c.name, file = %path.display(), "stored config ignored: the connector is given on the command line");
            continue;
        }
        let state = c.target_state();
        herder
            .restore_connector(&c.name, c.config.clone(), state)
            .await
            .map_err(|source| ConfigDirError::Restore {
                name: c.name.clone(),
                path: path.clone(),
                source,
            })?;
        n += 1;
        tracing::info!(connector = %c.name, file = %path.display(), "connector restored from config dir");
    }
    Ok(n)
}

/// A [`Herder`] that persists connector configs into a [`ConfigDir`] after every
/// successful create, update, lifecycle change and delete. Each change and its file write
/// run under the connector's lock, so writes happen in the herder's order.
pub struct PersistingHerder {
    inner: Arc<dyn Herder>,
    dir: ConfigDir,
    locks: ConnectorLocks,
}

impl PersistingHerder {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Herder>, dir: ConfigDir) -> Self {
        PersistingHerder {
            inner,
            dir,
            locks: ConnectorLocks::new(),
        }
    }

    fn persist_err(&self, name: &str, e: ConfigDirError) -> HerderError {
        tracing::error!(connector = name, error = %e, "could not persist connector config");
        HerderError::Internal(format!(
            "Connector {name} was changed, but its config could not be saved to {}: {e}",
            self.dir.path().display()
        ))
    }

    fn save(&self, name: &str, config: Props, state: Option<&str>) -> HerderResult<()> {
        let previous = self.dir.get(name).and_then(|s| s.initial_state);
        let stored = StoredConnector {
            name: name.to_string(),
            config,
            initial_state: state.map(str::to_string).or(previous),
        };
        self.dir
            .save(&stored)
            .map_err(|e| self.persist_err(name, e))
    }

    fn save_state(&self, name: &str, state: &str) -> HerderResult<()> {
        match self.dir.get(name) {
            Some(mut s) => {
                s.initial_state = Some(state.to_string());
                self.dir.save(&s).map_err(|e| self.persist_err(name, e))
            }
            None => Ok(()),
        }
    }
}

fn state_name(s: TargetState) -> &'static str {
    match s {
        TargetState::Started => "RUNNING",
        TargetState::Paused => "PAUSED",
        TargetState::Stopped => "STOPPED",
    }
}

#[async_trait]
impl Herder for PersistingHerder {
    fn worker_id(&self) -> String {
        self.inner.worker_id()
    }
    async fn kafka_cluster_id(&self) -> String {
        self.inner.kafka_cluster_id().await
    }
    async fn connectors(&self) -> Vec<String> {
        self.inner.connectors().await
    }
    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        self.inner.connector_info(name).await
    }
    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        self.inner.connector_config(name).await
    }
    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> HerderResult<Created<ConnectorInfo>> {
        check_storable(name)?;
        let _op = self.locks.lock(name).await;
        let created = self
            .inner
            .put_connector_config(name, config, allow_replace, initial_state)
            .await?;
        self.save(
            name,
            created.result.config.clone(),
            initial_state.map(state_name),
        )?;
        Ok(created)
    }
    async fn restore_connector(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
    ) -> HerderResult<ConnectorInfo> {
        // The file is where the config came from: nothing to write.
        let _op = self.locks.lock(name).await;
        self.inner
            .restore_connector(name, config, initial_state)
            .await
    }
    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        let _op = self.locks.lock(name).await;
        let info = self.inner.patch_connector_config(name, patch).await?;
        self.save(name, info.config.clone(), None)?;
        Ok(info)
    }
    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        let _op = self.locks.lock(name).await;
        self.inner.delete_connector(name).await?;
        self.dir.remove(name).map_err(|e| self.persist_err(name, e))
    }
    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        self.inner.connector_status(name).await
    }
    async fn connector_statuses(
        &self,
        names: &[String],
    ) -> HerderResult<Vec<Option<ConnectorStateInfo>>> {
        self.inner.connector_statuses(names).await
    }
    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState> {
        self.inner.task_status(id).await
    }
    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        self.inner.task_configs(name).await
    }
    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        self.inner.restart_connector(name, request).await
    }
    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()> {
        self.inner.restart_task(id).await
    }
    async fn pause_connector(&self, name: &str) -> HerderResult<()> {
        let _op = self.locks.lock(name).await;
        self.inner.pause_connector(name).await?;
        self.save_state(name, "PAUSED")
    }
    async fn resume_connector(&self, name: &str) -> HerderResult<()> {
        let _op = self.locks.lock(name).await;
        self.inner.resume_connector(name).await?;
        self.save_state(name, "RUNNING")
    }
    async fn stop_connector(&self, name: &str) -> HerderResult<()> {
        let _op = self.locks.lock(name).await;
        self.inner.stop_connector(name).await?;
        self.save_state(name, "STOPPED")
    }
    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        self.inner.active_topics(name).await
    }
    async fn reset_active_topics(&self, name: &str) -> HerderResult<()> {
        self.inner.reset_active_topics(name).await
    }
    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        self.inner.connector_offsets(name).await
    }
    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> HerderResult<Message> {
        self.inner.alter_connector_offsets(name, offsets).await
    }
    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message> {
        self.inner.reset_connector_offsets(name).await
    }
    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos> {
        self.inner.validate_connector_config(config).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::tests::MemHerder;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name("my-sink_1.x"), "my-sink_1.x.json");
        assert_eq!(file_name("a/b c"), "a%2Fb%20c.json");
        assert_eq!(file_name(".."), "%2E..json");
        assert_eq!(file_name("é"), "%C3%A9.json");
    }

    #[tokio::test]
    async fn persists_changes_and_restores_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ConfigDir::open(tmp.path().join("connectors")).unwrap();
        let herder = PersistingHerder::new(Arc::new(MemHerder::new()), dir.clone());
        let config = MemHerder::source_config("a/1");
        herder
            .put_connector_config("a/1", config.clone(), false, None)
            .await
            .unwrap();
        herder
            .put_connector_config("b", MemHerder::source_config("b"), false, None)
            .await
            .unwrap();
        herder.stop_connector("a/1").await.unwrap();
        herder
            .patch_connector_config(
                "a/1",
                BTreeMap::from([("extra".to_string(), Some("1".to_string()))]),
            )
            .await
            .unwrap();
        herder.delete_connector("b").await.unwrap();

        let stored = dir.load().unwrap();
        assert_eq!(stored.len(), 1);
        let (path, a) = &stored[0];
        assert!(path.ends_with("a%2F1.json"), "{}", path.display());
        assert_eq!(a.name, "a/1");
        assert_eq!(a.config["extra"], "1");
        assert_eq!(a.initial_state.as_deref(), Some("STOPPED"));
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);

        let fresh = MemHerder::new();
        assert_eq!(
            restore(&fresh, &dir, &["a/1".to_string()]).await.unwrap(),
            0
        );
        assert!(fresh.connectors().await.is_empty());
        assert_eq!(restore(&fresh, &dir, &[]).await.unwrap(), 1);
        assert_eq!(fresh.connector_config("a/1").await.unwrap()["extra"], "1");
        assert_eq!(
            fresh.connector_status("a/1").await.unwrap().connector.state,
            crate::herder::State::Stopped
        );
    }

    #[tokio::test]
    async fn a_name_too_long_for_a_file_is_a_400_before_anything_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ConfigDir::open(tmp.path()).unwrap();
        let inner = Arc::new(MemHerder::new());
        let herder = PersistingHerder::new(inner.clone(), dir.clone());
        // 250 plain bytes fit (with ".json", 255); 84 encoded characters do not.
        let fits = "a".repeat(250);
        herder
            .put_connector_config(&fits, MemHerder::source_config(&fits), false, None)
            .await
            .unwrap();
        for name in ["b".repeat(251), "/".repeat(84)] {
            let err = herder
                .put_connector_config(&name, MemHerder::source_config(&name), false, None)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 400, "{err}");
            assert!(err.to_string().contains("too long"), "{err}");
        }
        assert_eq!(inner.connectors().await, vec![fits]);
    }

    #[cfg(unix)]
    #[test]
    fn stored_files_are_private_and_each_write_has_its_own_temporary_file() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = ConfigDir::open(tmp.path().join("new")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.path()), 0o700);
        // Concurrent writes of one connector never trip over each other's temporary file.
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    for j in 0..25 {
                        let mut config = MemHerder::source_config("c");
                        config.insert("n".into(), format!("{i}-{j}"));
                        dir.save(&StoredConnector {
                            name: "c".into(),
                            config,
                            initial_state: None,
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("c.json")]);
        assert_eq!(mode(&dir.path().join("c.json")), 0o600);
    }

    #[tokio::test]
    async fn a_broken_file_is_reported_with_its_path() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("x.json"), "{not json").unwrap();
        let dir = ConfigDir::open(tmp.path()).unwrap();
        let err = restore(&MemHerder::new(), &dir, &[]).await.unwrap_err();
        assert!(err.to_string().contains("x.json"), "{err}");
    }
}
