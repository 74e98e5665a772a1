//! Offline tools of the `sluice` binary, which need no running worker or Kafka:
//!
//! * [`transform`]: `sluice transform --config CONNECTOR.(properties|json)` applies a
//!   connector's transform chain (with predicates and `errors.tolerance`) to records read as
//!   JSON lines on stdin (the record JSON of `record-json.md`), writing one JSON line per record
//!   (`null` when the chain drops it).
//! * [`convert`]: `sluice convert --converter CLASS (--to-connect|--from-connect)` runs one
//!   converter over stdin, between raw bytes and `{"schema":…,"value":…}`.
//! * [`validate`]: `sluice validate CONNECTOR.(properties|json)` prints the validate
//!   endpoint's result for a connector config (its own exit codes, see the module).
//!
//! Exit codes, for both: [`EXIT_OK`], [`EXIT_FAILURE`] (a record or conversion failed, or I/O
//! failed) and [`EXIT_CONFIG`] (a configuration or usage error; clap's own usage errors also
//! exit 2).

pub mod connector_config;
pub mod convert;
pub mod transform;
pub mod validate;

pub use validate::ValidateArgs;

use std::path::PathBuf;

use clap::{ArgGroup, Args};
use sluice_api::ConfigError;

/// Success.
pub const EXIT_OK: u8 = 0;
/// A record or conversion failed (or reading stdin / writing stdout failed).
pub const EXIT_FAILURE: u8 = 1;
/// A configuration error: the message names the key or argument.
pub const EXIT_CONFIG: u8 = 2;

/// Arguments of `sluice transform`.
#[derive(Debug, Clone, Args)]
pub struct TransformArgs {
    /// The connector config: a `.properties` file, a flat JSON map, or a JSON create request
    /// (`{"name": …, "config": {…}}`). Only `transforms*`, `predicates*` and `errors.*` are used.
    #[arg(long, short = 'c', value_name = "CONNECTOR.(properties|json)")]
    pub config: PathBuf,
}

/// Arguments of `sluice convert`.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("direction").required(true).args(["to_connect", "from_connect"])))]
pub struct ConvertArgs {
    /// The converter: a Java class name or alias (`JsonConverter`, `Json`,
    /// `org.apache.kafka.connect.storage.StringConverter`).
    #[arg(long, value_name = "CLASS")]
    pub converter: String,
    /// Configure the converter for keys (`isKey=true`) instead of values.
    #[arg(long)]
    pub key: bool,
    /// The topic passed to the converter.
    #[arg(long, value_name = "T", default_value = "topic")]
    pub topic: String,
    /// A converter property, as in `value.converter.<k>=<v>` without the prefix. Repeatable.
    #[arg(long = "prop", value_name = "KEY=VALUE")]
    pub props: Vec<String>,
    /// Bytes on stdin (all of it, one message) → `{"schema":…,"value":…}` on stdout. Empty stdin
    /// is an empty byte array; use `--null` for a null (tombstone) key or value.
    #[arg(long)]
    pub to_connect: bool,
    /// `{"schema":…,"value":…}` on stdin → the converter's bytes on stdout. When the converter
    /// returns null (a tombstone) nothing is written and stderr says so.
    #[arg(long)]
    pub from_connect: bool,
    /// With `--to-connect`: convert null bytes (a tombstone) instead of reading stdin.
    #[arg(long, requires = "to_connect")]
    pub null: bool,
}

/// A configuration error's message, with the key appended when the message does not name it.
pub fn config_message(error: &ConfigError) -> String {
    match &error.key {
        Some(key) if !error.message.contains(key.as_str()) => {
            format!("{} (key: {key})", error.message)
        }
        _ => error.message.clone(),
    }
}

#[cfg(test)]
mod tests;
