//! `sluice validate CONNECTOR.(properties|json)`: the validate endpoint's answer
//! (`PUT /connector-plugins/{class}/config/validate`) without a running worker: every key's
//! value and errors as a table, or the endpoint's JSON with `--json`.
//!
//! Exit codes: [`EXIT_OK`] when the config is valid, [`EXIT_INVALID`] when it has errors,
//! [`EXIT_UNREADABLE`] when a file cannot be read or the connector class is unknown.
//! Checks that reach out (a connector testing its database or Elasticsearch connection) run
//! as they do for the endpoint.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::override_policy::{OverridePolicy, CONNECTOR_CLIENT_POLICY};
use crate::config::providers::ConfigProviders;
use crate::herder::connector_ops::{validate_connector_config, ValidationContext};
use crate::herder::ConfigInfos;
use crate::plugins::PluginRegistry;

/// Valid.
pub const EXIT_OK: u8 = 0;
/// The config has errors.
pub const EXIT_INVALID: u8 = 1;
/// A file cannot be read, or the config cannot be validated at all.
pub const EXIT_UNREADABLE: u8 = 2;

/// Arguments of `sluice validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// The connector config: a `.properties` file, a flat JSON map, or a JSON create request.
    #[arg(value_name = "CONNECTOR.(properties|json)")]
    pub config: PathBuf,
    /// A worker properties file whose `config.providers` resolve `${…}` references in the
    /// connector config, and whose `connector.client.config.override.policy` judges its
    /// client overrides, as the worker would; with a `group.id` (a distributed worker's
    /// file), the distributed worker's own checks apply too.
    #[arg(long, value_name = "WORKER.properties")]
    pub worker: Option<PathBuf>,
    /// Print the validate endpoint's JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the tool; returns the exit code.
pub async fn run(args: &ValidateArgs) -> u8 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    run_with(args, &mut stdout.lock(), &mut stderr.lock()).await
}

/// [`run`] writing to the given streams.
pub async fn run_with(args: &ValidateArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let config = match super::connector_config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            return EXIT_UNREADABLE;
        }
    };
    let (providers, policy, group) = match &args.worker {
        None => (ConfigProviders::default(), OverridePolicy::default(), None),
        Some(path) => match worker_settings(path) {
            Ok(p) => p,
            Err(e) => {
                let _ = writeln!(err, "{e}");
                return EXIT_UNREADABLE;
            }
        },
    };
    let registry = PluginRegistry::builtin();
    let infos = match validate_connector_config(
        &registry,
        ValidationContext {
            providers: &providers,
            policy,
            worker_group: group.as_deref(),
        },
        &config,
    )
    .await
    {
        Ok((infos, _)) => infos,
        Err(e) => {
            let _ = writeln!(err, "{}: {e}", args.config.display());
            return EXIT_UNREADABLE;
        }
    };
    let written = if args.json {
        serde_json::to_string_pretty(&infos)
            .map_err(std::io::Error::other)
            .and_then(|s| writeln!(out, "{s}"))
    } else {
        write_table(&infos, out)
    };
    if let Err(e) = written {
        let _ = writeln!(err, "Could not write the result: {e}");
        return EXIT_UNREADABLE;
    }
    if infos.error_count == 0 {
        EXIT_OK
    } else {
        EXIT_INVALID
    }
}

/// The worker file's config providers, client override policy and `group.id`.
fn worker_settings(
    worker: &Path,
) -> Result<(ConfigProviders, OverridePolicy, Option<String>), String> {
    let props =
        crate::config::props_file::read_properties_file(worker).map_err(|e| e.to_string())?;
    let providers = ConfigProviders::from_worker_props(&props)
        .map_err(|e| format!("{}: {}", worker.display(), e.message))?;
    let policy = match props.get(CONNECTOR_CLIENT_POLICY) {
        Some(name) => OverridePolicy::parse(name).map_err(|e| {
            format!(
                "{}: Invalid value {name} for configuration {CONNECTOR_CLIENT_POLICY}: {e}",
                worker.display()
            )
        })?,
        None => OverridePolicy::default(),
    };
    let group = props.get("group.id").map(|g| g.trim().to_string());
    Ok((providers, policy, group))
}

/// One line per key (`KEY  VALUE`), its errors indented below it, then a summary line.
fn write_table(infos: &ConfigInfos, out: &mut dyn Write) -> std::io::Result<()> {
    let values: Vec<_> = infos
        .configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .collect();
    let width = values.iter().map(|v| v.name.len()).max().unwrap_or(0);
    writeln!(out, "{:width$}  VALUE", "KEY")?;
    for v in &values {
        let value = v.value.as_deref().unwrap_or("null");
        let mark = if v.errors.is_empty() { ' ' } else { '!' };
        writeln!(out, "{:width$}{mark} {value}", v.name)?;
        for e in &v.errors {
            writeln!(out, "{:width$}    error: {e}", "")?;
        }
    }
    writeln!(
        out,
        "{}: {} error(s) in {} key(s)",
        infos.name,
        infos.error_count,
        values.len()
    )
}
