//! `sluice transform --config CONNECTOR.(properties|json)`: applies a connector's transform
//! chain to records read as JSON lines on stdin.
//!
//! * Each non-blank input line is one record in the record JSON (`record-json.md`); a `null`
//!   line is an already dropped record and is written back as `null`.
//! * Each record yields one output line: the transformed record, or `null` when a stage drops it.
//! * A record that fails (malformed JSON, a transformation error, or a result that cannot be
//!   written as record JSON) is handled by `errors.tolerance`: with `none` (the default) the
//!   records before it are flushed, the error (line number, transformation alias) goes to stderr
//!   and the exit code is 1; with `all` it is skipped, reported on stderr, and processing goes on.
//!   `errors.log.include.messages=true` adds the input line to the report.
//! * Input is read line by line and output is buffered, so memory does not grow with the input.
//!   A closed stdout (e.g. `| head`) ends the run quietly with exit code 0.

use std::io::{self, BufRead, BufWriter, Write};

use sluice_api::{ConfigDef, ConfigError, Props};
use sluice_converters::json::JsonCodec;
use sluice_converters::record_json::{parse_record, write_record_to, RecordJsonError};
use sluice_transforms::{ChainError, PluginResolver, TransformChain};

use super::{config_message, connector_config, TransformArgs, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK};
use crate::config::connector::{common_config_def, ERRORS_TOLERANCE};
use crate::plugins::PluginRegistry;
use crate::runtime::transforms::RegistryResolver;

/// `errors.log.include.messages`.
const INCLUDE_MESSAGES: &str = "errors.log.include.messages";

/// Why one record failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The line is not a record in the record JSON.
    #[error("invalid record JSON: {0}")]
    Parse(#[source] RecordJsonError),
    /// A transformation failed (the message names its alias and class).
    #[error(transparent)]
    Transform(#[from] ChainError),
    /// The transformed record cannot be written as record JSON.
    #[error("the transformed record cannot be written as JSON: {0}")]
    Write(#[source] RecordJsonError),
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A record failed under `errors.tolerance=none`.
    #[error("line {line}: {source}")]
    Record {
        /// The 1-based input line.
        line: u64,
        /// What failed.
        #[source]
        source: RecordError,
    },
    /// Reading the input failed.
    #[error("could not read stdin: {0}")]
    Input(#[source] io::Error),
    /// Writing the output failed.
    #[error("could not write stdout: {0}")]
    Output(#[source] io::Error),
}

/// Counts of a completed run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records read (non-blank lines).
    pub records: u64,
    /// Records written as a record (not `null`).
    pub written: u64,
    /// Records written as `null` (dropped by the chain, or `null` on input).
    pub dropped: u64,
    /// Failed records skipped under `errors.tolerance=all`.
    pub skipped: u64,
}

/// A configured transform run: the chain and the error-handling keys of one connector config.
pub struct TransformTool {
    chain: TransformChain,
    tolerate_all: bool,
    include_messages: bool,
    codec: JsonCodec,
}

impl std::fmt::Debug for TransformTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformTool")
            .field("chain", &self.chain)
            .field("tolerate_all", &self.tolerate_all)
            .field("include_messages", &self.include_messages)
            .finish()
    }
}

/// The `errors.*` keys of the connector config definition (Java's types, defaults, validators).
fn error_keys_def() -> ConfigDef {
    let mut def = ConfigDef::new();
    for key in common_config_def().keys() {
        if key.name.starts_with("errors.") {
            def.add(key.clone());
        }
    }
    def
}

impl TransformTool {
    /// Builds the chain and reads `errors.tolerance` / `errors.log.include.messages` from a
    /// connector config. The error names the key at fault.
    pub fn from_props(props: &Props, resolver: &dyn PluginResolver) -> Result<Self, ConfigError> {
        let parsed = error_keys_def().parse(props).map_err(|errors| {
            errors
                .errors
                .into_iter()
                .next()
                .unwrap_or_else(|| ConfigError::general("Invalid error handling configuration"))
        })?;
        let tolerate_all = parsed.get_string(ERRORS_TOLERANCE) == Some("all");
        let include_messages = parsed.get_bool(INCLUDE_MESSAGES)?;
        let chain = TransformChain::from_config(props, resolver)?;
        Ok(TransformTool {
            chain,
            tolerate_all,
            include_messages,
            codec: JsonCodec::for_record_json(),
        })
    }

    /// One record: appends the output line (without newline) for one input line to `out`;
    /// true when the record was kept. On error `out` is unchanged.
    fn apply_line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<bool, RecordError> {
        let transformed = match parse_record(&mut self.codec, line).map_err(RecordError::Parse)? {
            None => None,
            Some(record) => self.chain.apply(record)?,
        };
        write_record_to(&mut self.codec, transformed.as_ref(), out).map_err(RecordError::Write)?;
        Ok(transformed.is_some())
    }

    /// Processes every line of `input`, writing results to `output` and skipped-record reports
    /// to `report`. `output` is flushed before returning, also on error.
    pub fn process<R: BufRead, W: Write, E: Write>(
        &mut self,
        mut input: R,
        output: W,
        mut report: E,
    ) -> Result<Summary, RunError> {
        let mut out = BufWriter::with_capacity(64 * 1024, output);
        let mut summary = Summary::default();
        let mut line = Vec::with_capacity(1024);
        // One output line, reused from record to record.
        let mut record_out = Vec::with_capacity(1024);
        let mut line_no = 0u64;
        let result = loop {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => break Ok(()),
                Ok(_) => {}
                Err(e) => break Err(RunError::Input(e)),
            }
            line_no += 1;
            let text = trim_line(&line);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            summary.records += 1;
            record_out.clear();
            match self.apply_line(text, &mut record_out) {
                Ok(kept) => {
                    if kept {
                        summary.written += 1;
                    } else {
                        summary.dropped += 1;
                    }
                    record_out.push(b'\n');
                    if let Err(e) = out.write_all(&record_out) {
                        break Err(RunError::Output(e));
                    }
                }
                Err(source) if self.tolerate_all => {
                    summary.skipped += 1;
                    let mut message =
                        format!("line {line_no}: skipped (errors.tolerance=all): {source}");
                    if self.include_messages {
                        message.push_str(&format!("\n  record: {}", String::from_utf8_lossy(text)));
                    }
                    // A failing stderr must not stop the records: the report is best effort.
                    let _ = writeln!(report, "{message}");
                }
                Err(source) => {
                    if self.include_messages {
                        let _ = writeln!(
                            report,
                            "record at line {line_no}: {}",
                            String::from_utf8_lossy(text)
                        );
                    }
                    break Err(RunError::Record {
                        line: line_no,
                        source,
                    });
                }
            }
        };
        let flushed = out.flush().map_err(RunError::Output);
        result?;
        flushed?;
        Ok(summary)
    }
}

/// The line without its `\n` / `\r\n`.
fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `sluice transform` over stdin/stdout/stderr; returns the exit code.
pub fn run(args: &TransformArgs) -> u8 {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let stderr = io::stderr();
    run_with(
        args,
        &PluginRegistry::builtin(),
        stdin.lock(),
        stdout.lock(),
        stderr.lock(),
    )
}

/// `sluice transform` over any streams; returns the exit code (0 ok, 1 record or I/O failure,
/// 2 config error).
pub fn run_with<R: BufRead, W: Write, E: Write>(
    args: &TransformArgs,
    registry: &PluginRegistry,
    input: R,
    output: W,
    mut errors: E,
) -> u8 {
    let props = match connector_config::load(&args.config) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(errors, "ERROR: {e}");
            return EXIT_CONFIG;
        }
    };
    let mut tool = match TransformTool::from_props(&props, &RegistryResolver(registry)) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(
                errors,
                "ERROR: Invalid configuration in {}: {}",
                args.config.display(),
                config_message(&e)
            );
            return EXIT_CONFIG;
        }
    };
    match tool.process(input, output, &mut errors) {
        Ok(summary) => {
            if summary.skipped > 0 {
                let _ = writeln!(
                    errors,
                    "Skipped {} of {} records (errors.tolerance=all).",
                    summary.skipped, summary.records
                );
            }
            EXIT_OK
        }
        Err(RunError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e @ RunError::Record { .. }) => {
            let _ = writeln!(
                errors,
                "ERROR: {e}\nStopped: errors.tolerance=none (set errors.tolerance=all to skip failed records)."
            );
            EXIT_FAILURE
        }
        Err(e) => {
            let _ = writeln!(errors, "ERROR: {e}");
            EXIT_FAILURE
        }
    }
}
