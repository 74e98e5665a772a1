//! `sluice convert --converter CLASS [--key] [--topic T] [--prop k=v]… (--to-connect|--from-connect)`:
//! runs one converter outside a worker.
//!
//! * `--to-connect`: all of stdin is one message. Empty stdin is an empty byte array (what Kafka
//!   hands over for a zero-length value), not null; `--null` converts a null key/value (a
//!   tombstone) without reading stdin. Prints `{"schema":…,"value":…}` (record JSON forms) and a
//!   newline.
//! * `--from-connect`: stdin is `{"schema":…,"value":…}`; the converter's bytes go to stdout as
//!   they are (no newline). When the converter yields null (a tombstone), nothing is written
//!   and stderr says so.
//!
//! `CLASS` is resolved through the plugin registry (class name or alias) as a `Converter`; the
//! converter is configured with the `--prop` keys and `--key` (`isKey`). Config errors exit 2,
//! conversion and I/O errors exit 1.

use std::io::{self, Read, Write};

use sluice_api::{ConnectError, Converter, Headers, PluginFactory, PluginType, Props};
use sluice_converters::json::JsonCodec;
use sluice_converters::record_json::{
    parse_schema_and_value, write_schema_and_value, RecordJsonError,
};

use super::{config_message, ConvertArgs, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK};
use crate::plugins::PluginRegistry;

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The converter or its properties are invalid (names the argument or key).
    #[error("{0}")]
    Config(String),
    /// Stdin could not be read.
    #[error("could not read stdin: {0}")]
    Input(#[source] io::Error),
    /// The `--from-connect` input is not `{"schema":…,"value":…}`.
    #[error("invalid {{\"schema\",\"value\"}} input: {0}")]
    InputJson(#[source] RecordJsonError),
    /// The converter failed.
    #[error("{converter} failed: {source}")]
    Conversion {
        /// The converter's class.
        converter: String,
        /// Its error.
        #[source]
        source: ConnectError,
    },
    /// The converter's result cannot be written as JSON.
    #[error("the converted data cannot be written as JSON: {0}")]
    OutputJson(#[source] RecordJsonError),
    /// Stdout could not be written.
    #[error("could not write stdout: {0}")]
    Output(#[source] io::Error),
}

impl ConvertError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            ConvertError::Config(_) => EXIT_CONFIG,
            _ => EXIT_FAILURE,
        }
    }
}

/// The `--prop` arguments as converter properties.
pub fn parse_props(args: &[String]) -> Result<Props, ConvertError> {
    let mut props = Props::new();
    for arg in args {
        let (key, value) = arg.split_once('=').ok_or_else(|| {
            ConvertError::Config(format!(
                "Invalid value {arg} for --prop: expected KEY=VALUE"
            ))
        })?;
        let key = key.trim();
        if key.is_empty() {
            return Err(ConvertError::Config(format!(
                "Invalid value {arg} for --prop: the key is empty"
            )));
        }
        props.insert(key.to_string(), value.to_string());
    }
    Ok(props)
}

/// A configured converter for the arguments.
pub fn configured_converter(
    args: &ConvertArgs,
    registry: &PluginRegistry,
) -> Result<(String, Box<dyn Converter>), ConvertError> {
    let name = args.converter.trim();
    let plugin = registry.find(name, PluginType::Converter).ok_or_else(|| {
        ConvertError::Config(format!(
            "Invalid value {name} for configuration --converter: Class {name} could not be found."
        ))
    })?;
    let PluginFactory::Converter(make) = plugin.factory else {
        return Err(ConvertError::Config(format!(
            "Invalid value {name} for configuration --converter: {} is not a Converter",
            plugin.class
        )));
    };
    let props = parse_props(&args.props)?;
    let mut converter = make();
    converter.configure(&props, args.key).map_err(|e| match e {
        ConnectError::Config(c) => ConvertError::Config(format!(
            "Invalid configuration of {}: {}",
            plugin.class,
            config_message(&c)
        )),
        other => ConvertError::Config(format!("Could not configure {}: {other}", plugin.class)),
    })?;
    Ok((plugin.class.to_string(), converter))
}

/// Runs the conversion over any streams. `Ok(false)` when `--from-connect` produced null.
pub fn convert<R: Read, W: Write>(
    args: &ConvertArgs,
    registry: &PluginRegistry,
    mut input: R,
    mut output: W,
) -> Result<bool, ConvertError> {
    let (class, mut converter) = configured_converter(args, registry)?;
    let failed = |source| ConvertError::Conversion {
        converter: class.clone(),
        source,
    };
    let mut codec = JsonCodec::for_record_json();
    let mut bytes = Vec::new();
    if !args.null {
        input.read_to_end(&mut bytes).map_err(ConvertError::Input)?;
    }
    let written = if args.from_connect {
        let sv = parse_schema_and_value(&mut codec, &bytes).map_err(ConvertError::InputJson)?;
        let mut headers = Headers::new();
        match converter
            .from_connect_data(&args.topic, &mut headers, sv.schema.as_ref(), &sv.value)
            .map_err(failed)?
        {
            Some(raw) => {
                output.write_all(&raw).map_err(ConvertError::Output)?;
                true
            }
            None => false,
        }
    } else {
        let raw = (!args.null).then_some(bytes.as_slice());
        let sv = converter
            .to_connect_data(&args.topic, &Headers::new(), raw)
            .map_err(failed)?;
        let mut json = write_schema_and_value(&mut codec, &sv).map_err(ConvertError::OutputJson)?;
        json.push(b'\n');
        output.write_all(&json).map_err(ConvertError::Output)?;
        true
    };
    output.flush().map_err(ConvertError::Output)?;
    Ok(written)
}

/// `sluice convert` over stdin/stdout/stderr; returns the exit code.
pub fn run(args: &ConvertArgs) -> u8 {
    run_with(
        args,
        &PluginRegistry::builtin(),
        io::stdin().lock(),
        io::stdout().lock(),
        io::stderr().lock(),
    )
}

/// `sluice convert` over any streams; returns the exit code (0 ok, 1 conversion or I/O error,
/// 2 config error).
pub fn run_with<R: Read, W: Write, E: Write>(
    args: &ConvertArgs,
    registry: &PluginRegistry,
    input: R,
    output: W,
    mut errors: E,
) -> u8 {
    match convert(args, registry, input, output) {
        Ok(true) => EXIT_OK,
        Ok(false) => {
            let _ = writeln!(
                errors,
                "The converter returned null (a tombstone): no bytes written."
            );
            EXIT_OK
        }
        Err(e) => {
            let _ = writeln!(errors, "ERROR: {e}");
            e.exit_code()
        }
    }
}
