//! Config providers (KIP-297): `${provider:path:key}` references in worker and connector
//! configs, resolved from files, directories or environment variables so that secrets stay
//! out of config files, the config topic, the REST API and the logs.
//!
//! The worker declares them as Java's does:
//!
//! ```properties
//! config.providers=file,dir,env
//! config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
//! config.providers.dir.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider
//! config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
//! config.providers.env.param.allowlist.pattern=^DB_.*
//! ```
//!
//! Worker configs are resolved when they are loaded. Connector and task configs are stored
//! and shown with their references and resolved each time a connector or task starts; task
//! configs a connector generates from resolved values get the references back before they are
//! stored (Java's `reverseTransform`). A reference whose provider is not declared, or whose
//! key the provider does not have, is left as written (Java's `ConfigTransformer`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use sluice_api::{ConfigError, Props};

/// `config.providers`.
pub const CONFIG_PROVIDERS: &str = "config.providers";

/// `FileConfigProvider`'s class name.
pub const FILE_PROVIDER: &str = "org.apache.kafka.common.config.provider.FileConfigProvider";
/// `DirectoryConfigProvider`'s class name.
pub const DIRECTORY_PROVIDER: &str =
    "org.apache.kafka.common.config.provider.DirectoryConfigProvider";
/// `EnvVarConfigProvider`'s class name.
pub const ENV_VAR_PROVIDER: &str = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";

/// Java's `ConfigTransformer.DEFAULT_PATTERN`: `${provider:[path:]key}`.
fn pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN
        .get_or_init(|| Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}").expect("static regex"))
}

/// True when `value` holds a `${provider:…}` reference.
pub fn has_reference(value: &str) -> bool {
    pattern().is_match(value)
}

/// One declared provider.
#[derive(Debug, Clone)]
enum Provider {
    /// `FileConfigProvider`: `${file:/path/to/file.properties:key}`.
    File { allowed: AllowedPaths },
    /// `DirectoryConfigProvider`: `${dir:/path/to/dir:file-name}`.
    Directory { allowed: AllowedPaths },
    /// `EnvVarConfigProvider`: `${env:NAME}` (or `${env::NAME}`).
    Env { allowlist: Option<Regex> },
}

/// `allowed.paths` (KIP-993): when set, only files below these directories may be read.
#[derive(Debug, Clone, Default)]
struct AllowedPaths(Option<Vec<PathBuf>>);

impl AllowedPaths {
    fn parse(key: &str, value: Option<&String>) -> Result<AllowedPaths, ConfigError> {
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
            return Ok(AllowedPaths(None));
        };
        let mut paths = Vec::new();
        for p in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let path = PathBuf::from(p);
            if !path.is_absolute() {
                return Err(ConfigError::invalid(
                    key,
                    value,
                    format!("Path {p} is not absolute"),
                ));
            }
            paths.push(normalize(&path));
        }
        Ok(AllowedPaths(Some(paths)))
    }

    /// The path to read, or `None` when it is outside the allowed paths.
    fn check(&self, path: &str) -> Option<PathBuf> {
        let p = normalize(Path::new(path));
        match &self.0 {
            None => Some(p),
            Some(allowed) => allowed.iter().any(|a| p.starts_with(a)).then_some(p),
        }
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The providers a worker declares.
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
}

impl ConfigProviders {
    /// Reads `config.providers` and `config.providers.<name>.class` / `.param.*` from worker
    /// props. A provider class Sluice does not have is an error naming its key.
    pub fn from_worker_props(props: &Props) -> Result<ConfigProviders, ConfigError> {
        let mut providers = BTreeMap::new();
        let names = props
            .get(CONFIG_PROVIDERS)
            .map(|v| sluice_api::config::parse_list(v))
            .unwrap_or_default();
        for name in names {
            let class_key = format!("{CONFIG_PROVIDERS}.{name}.class");
            let Some(class) = props.get(&class_key).map(|c| c.trim()) else {
                return Err(ConfigError::missing(&class_key));
            };
            let param_prefix = format!("{CONFIG_PROVIDERS}.{name}.param.");
            let param = |p: &str| props.get(&format!("{param_prefix}{p}"));
            let allowed_key = format!("{param_prefix}allowed.paths");
            let provider = match class {
                FILE_PROVIDER | "FileConfigProvider" => Provider::File {
                    allowed: AllowedPaths::parse(&allowed_key, param("allowed.paths"))?,
                },
                DIRECTORY_PROVIDER | "DirectoryConfigProvider" => Provider::Directory {
                    allowed: AllowedPaths::parse(&allowed_key, param("allowed.paths"))?,
                },
                ENV_VAR_PROVIDER | "EnvVarConfigProvider" => {
                    let key = format!("{param_prefix}allowlist.pattern");
                    let allowlist = match param("allowlist.pattern") {
                        Some(p) => Some(Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                            ConfigError::invalid(&key, p, format!("not a valid regular expression: {e}"))
                        })?),
                        None => None,
                    };
                    Provider::Env { allowlist }
                }
                other => {
                    return Err(ConfigError::invalid(
                        &class_key,
                        other,
                        format!(
                            "Sluice provides {FILE_PROVIDER}, {DIRECTORY_PROVIDER} and {ENV_VAR_PROVIDER}"
                        ),
                    ))
                }
            };
            providers.insert(name, provider);
        }
        Ok(ConfigProviders { providers })
    }

    /// True when no provider is declared.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// `props` with every resolvable reference replaced by its value.
    pub fn transform(&self, props: &Props) -> Result<Props, ConfigError> {
        if self.providers.is_empty() {
            return Ok(props.clone());
        }
        let mut out = Props::new();
        for (key, value) in props {
            out.insert(key.clone(), self.resolve(value)?);
        }
        Ok(out)
    }

    /// One value with its references resolved.
    pub fn resolve(&self, value: &str) -> Result<String, ConfigError> {
        if self.providers.is_empty() || !has_reference(value) {
            return Ok(value.to_string());
        }
        let mut out = String::with_capacity(value.len());
        let mut last = 0;
        for caps in pattern().captures_iter(value) {
            let whole = caps.get(0).expect("group 0");
            out.push_str(&value[last..whole.start()]);
            last = whole.end();
            let name = &caps[1];
            let path = caps.get(3).map_or("", |m| m.as_str());
            let key = &caps[4];
            match self.providers.get(name) {
                Some(p) => match p.get(path, key)? {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(whole.as_str()),
                },
                None => out.push_str(whole.as_str()),
            }
        }
        out.push_str(&value[last..]);
        Ok(out)
    }
}

impl Provider {
    /// The value of `key` under `path`; `None` when there is none (the reference stays).
    fn get(&self, path: &str, key: &str) -> Result<Option<String>, ConfigError> {
        match self {
            Provider::File { allowed } => {
                if path.is_empty() {
                    return Ok(None);
                }
                let Some(file) = allowed.check(path) else {
                    tracing::warn!(path, "The path is not allowed to be accessed.");
                    return Ok(None);
                };
                let bytes = std::fs::read(&file).map_err(|e| {
                    ConfigError::general(format!("Could not read properties from file {path}: {e}"))
                })?;
                let props = super::props_file::parse_properties(&bytes).map_err(|e| {
                    ConfigError::general(format!("Could not read properties from file {path}: {e}"))
                })?;
                Ok(props.get(key).cloned())
            }
            Provider::Directory { allowed } => {
                if path.is_empty() {
                    return Ok(None);
                }
                let Some(dir) = allowed.check(path) else {
                    tracing::warn!(path, "The path is not allowed to be accessed.");
                    return Ok(None);
                };
                // Only regular files directly in the directory are keys (no sub-paths).
                if key.contains('/') || key == ".." {
                    return Ok(None);
                }
                let file = dir.join(key);
                if !file.is_file() {
                    if !dir.is_dir() {
                        return Err(ConfigError::general(format!(
                            "Could not list directory {path}"
                        )));
                    }
                    return Ok(None);
                }
                std::fs::read_to_string(&file).map(Some).map_err(|e| {
                    ConfigError::general(format!("Could not read file {}: {e}", file.display()))
                })
            }
            Provider::Env { allowlist } => {
                if !path.is_empty() {
                    return Err(ConfigError::general(format!(
                        "Path must be empty for EnvVarConfigProvider, got '{path}'"
                    )));
                }
                if allowlist.as_ref().is_some_and(|re| !re.is_match(key)) {
                    return Ok(None);
                }
                Ok(std::env::var(key).ok())
            }
        }
    }
}

/// Task configs a connector generated from resolved values, with the references of the
/// connector's stored config put back for every key whose stored value has one (Java's
/// `AbstractHerder.reverseTransform`), so that no resolved secret is stored.
pub fn reverse_transform(connector_raw: &Props, task_configs: Vec<Props>) -> Vec<Props> {
    let referenced: Vec<(&String, &String)> = connector_raw
        .iter()
        .filter(|(_, v)| has_reference(v))
        .collect();
    if referenced.is_empty() {
        return task_configs;
    }
    task_configs
        .into_iter()
        .map(|mut task| {
            for (key, raw) in &referenced {
                if let Some(v) = task.get_mut(*key) {
                    v.clone_from(raw);
                }
            }
            task
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn all_three(extra: &[(&str, &str)]) -> ConfigProviders {
        let mut p = props(&[
            (CONFIG_PROVIDERS, "file, dir,env"),
            ("config.providers.file.class", FILE_PROVIDER),
            ("config.providers.dir.class", DIRECTORY_PROVIDER),
            ("config.providers.env.class", ENV_VAR_PROVIDER),
        ]);
        p.extend(props(extra));
        ConfigProviders::from_worker_props(&p).expect("providers")
    }

    #[test]
    fn file_directory_and_environment_references_resolve() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("secrets.properties");
        std::fs::write(&file, "db.password=s3cret\nuser = app\n").expect("write");
        std::fs::write(dir.path().join("token"), "tok-123").expect("write");
        std::env::set_var("SLUICE_PROVIDER_TEST_VAR", "from-env");
        let providers = all_three(&[]);
        let f = file.display();
        let d = dir.path().display();
        let resolved = providers
            .transform(&props(&[
                ("connection.password", &format!("${{file:{f}:db.password}}")),
                (
                    "url",
                    &format!("jdbc:postgresql://h/d?user=${{file:{f}:user}}&x=1"),
                ),
                ("token", &format!("${{dir:{d}:token}}")),
                ("env", "${env:SLUICE_PROVIDER_TEST_VAR}"),
                ("plain", "no reference"),
            ]))
            .expect("resolved");
        assert_eq!(resolved["connection.password"], "s3cret");
        assert_eq!(resolved["url"], "jdbc:postgresql://h/d?user=app&x=1");
        assert_eq!(resolved["token"], "tok-123");
        assert_eq!(resolved["env"], "from-env");
        assert_eq!(resolved["plain"], "no reference");
    }

    #[test]
    fn unknown_providers_and_missing_keys_leave_the_reference() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("s.properties");
        std::fs::write(&file, "a=1\n").expect("write");
        let providers = all_three(&[]);
        let missing = format!("${{file:{}:nope}}", file.display());
        assert_eq!(providers.resolve(&missing).expect("ok"), missing);
        assert_eq!(
            providers.resolve("${vault:x:y}").expect("ok"),
            "${vault:x:y}"
        );
        assert_eq!(
            providers
                .resolve("${env:SLUICE_SURELY_UNSET_VAR}")
                .expect("ok"),
            "${env:SLUICE_SURELY_UNSET_VAR}"
        );
    }

    #[test]
    fn an_unreadable_file_is_an_error_naming_it() {
        let e = all_three(&[])
            .resolve("${file:/no/such/file.properties:k}")
            .expect_err("unreadable");
        assert!(
            e.message
                .contains("Could not read properties from file /no/such/file.properties"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_env_allowlist_and_allowed_paths_restrict_what_is_read() {
        std::env::set_var("SLUICE_ALLOWED_X", "yes");
        std::env::set_var("SLUICE_DENIED_X", "no");
        let dir = tempfile::tempdir().expect("tempdir");
        let inside = dir.path().join("in.properties");
        std::fs::write(&inside, "k=v\n").expect("write");
        let providers = all_three(&[
            (
                "config.providers.env.param.allowlist.pattern",
                "SLUICE_ALLOWED_.*",
            ),
            (
                "config.providers.file.param.allowed.paths",
                &dir.path().display().to_string(),
            ),
        ]);
        assert_eq!(
            providers.resolve("${env:SLUICE_ALLOWED_X}").expect("ok"),
            "yes"
        );
        assert_eq!(
            providers.resolve("${env:SLUICE_DENIED_X}").expect("ok"),
            "${env:SLUICE_DENIED_X}"
        );
        assert_eq!(
            providers
                .resolve(&format!("${{file:{}:k}}", inside.display()))
                .expect("ok"),
            "v"
        );
        let escape = format!("${{file:{}/../../etc/passwd:root}}", dir.path().display());
        assert_eq!(providers.resolve(&escape).expect("ok"), escape);
    }

    #[test]
    fn declared_providers_must_be_known_classes() {
        let e = ConfigProviders::from_worker_props(&props(&[
            (CONFIG_PROVIDERS, "vault"),
            (
                "config.providers.vault.class",
                "com.example.VaultConfigProvider",
            ),
        ]))
        .expect_err("unknown class");
        assert_eq!(e.key.as_deref(), Some("config.providers.vault.class"));
        let e = ConfigProviders::from_worker_props(&props(&[(CONFIG_PROVIDERS, "file")]))
            .expect_err("no class");
        assert_eq!(e.key.as_deref(), Some("config.providers.file.class"));
    }

    #[test]
    fn task_configs_get_the_references_back() {
        let raw = props(&[
            ("connection.password", "${file:/s.properties:pw}"),
            ("topic", "t"),
        ]);
        let tasks = vec![props(&[
            ("connection.password", "s3cret"),
            ("topic", "t"),
            ("tables", "a"),
        ])];
        let out = reverse_transform(&raw, tasks);
        assert_eq!(out[0]["connection.password"], "${file:/s.properties:pw}");
        assert_eq!(out[0]["tables"], "a");
    }
}
