//! Logging set-up: `tracing-subscriber` with a reloadable `EnvFilter`, so the log levels can be
//! changed at run time (`/admin/loggers`). The initial filter comes from `SLUICE_LOG` (or
//! `RUST_LOG`), default `info`.
//!
//! Two formats, both on stderr:
//!
//! * human (default): `2026-12-03T20:20:00.123456Z  INFO [orders-sink|task-0] sluice_worker::runtime::sink: message key=value`
//!   — the bracket is Java's `connector.context` (`[name|worker]` for a connector, `[name|task-N]`
//!   for a task), present on every line logged for a connector or task;
//! * JSON (`--log-format json` or `SLUICE_LOG_FORMAT=json`): one object per line with
//!   `timestamp`, `level`, `target`, `message`, `connector` and `task` when logged for one, and
//!   the event's other fields under `fields`.

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Layer, Registry};

/// The environment variable holding the initial filter directives.
pub const LOG_ENV: &str = "SLUICE_LOG";
/// The environment variable choosing the format (`human` or `json`).
pub const LOG_FORMAT_ENV: &str = "SLUICE_LOG_FORMAT";

/// The handle to change the active filter, and the directives it started with.
pub struct LogHandle {
    /// The directives the filter was built from (e.g. `info,rdkafka=warn`).
    pub initial: String,
    /// Replaces the active `EnvFilter`.
    pub reload: reload::Handle<EnvFilter, Registry>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Text lines for people.
    #[default]
    Human,
    /// One JSON object per line, for log shippers.
    Json,
}

impl LogFormat {
    /// `--log-format` when given, else `SLUICE_LOG_FORMAT`, else human.
    pub fn resolve(flag: Option<LogFormat>) -> Result<LogFormat, String> {
        if let Some(f) = flag {
            return Ok(f);
        }
        match std::env::var(LOG_FORMAT_ENV) {
            Err(_) => Ok(LogFormat::Human),
            Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
                "" | "human" | "text" => Ok(LogFormat::Human),
                "json" => Ok(LogFormat::Json),
                other => Err(format!(
                    "Invalid log format \"{other}\" in {LOG_FORMAT_ENV}: expected human or json"
                )),
            },
        }
    }
}

/// The initial directives: `SLUICE_LOG`, else `RUST_LOG`, else `info`.
pub fn initial_directives() -> String {
    std::env::var(LOG_ENV)
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "info".to_string())
}

/// Installs the global subscriber (logs to stderr) and returns its reload handle.
pub fn init(format: LogFormat) -> Result<LogHandle, String> {
    let initial = initial_directives();
    let filter = EnvFilter::try_new(&initial)
        .map_err(|e| format!("Invalid log filter \"{initial}\" in {LOG_ENV}: {e}"))?;
    let (filter, reload) = reload::Layer::new(filter);
    let ansi = format == LogFormat::Human && std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::registry()
        .with(filter)
        .with(ContextLayer)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(ansi)
                .event_format(LineFormat { format }),
        )
        .try_init()
        .map_err(|e| format!("Could not install the logger: {e}"))?;
    Ok(LogHandle { initial, reload })
}

/// The connector (and task) a span runs for, from its `connector` and `task` fields; a span
/// without them inherits its parent's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectorContext {
    /// The connector's name.
    pub connector: Option<String>,
    /// The task number, for a task.
    pub task: Option<i64>,
}

impl ConnectorContext {
    /// Java's `connector.context` bracket: `[name|task-0]` or `[name|worker]`.
    pub fn bracket(&self) -> Option<String> {
        let connector = self.connector.as_deref()?;
        Some(match self.task {
            Some(t) => format!("[{connector}|task-{t}]"),
            None => format!("[{connector}|worker]"),
        })
    }
}

impl Visit for ConnectorContext {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "connector" {
            self.connector = Some(value.to_string());
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "task" {
            self.task = Some(value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "task" {
            self.task = i64::try_from(value).ok();
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "connector" => {
                self.connector = Some(format!("{value:?}").trim_matches('"').to_string())
            }
            "task" => self.task = format!("{value:?}").parse().ok(),
            _ => {}
        }
    }
}

/// Records each span's [`ConnectorContext`] in its extensions.
struct ContextLayer;

impl<S> Layer<S> for ContextLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut context = span
            .parent()
            .and_then(|p| p.extensions().get::<ConnectorContext>().cloned())
            .unwrap_or_default();
        let mut own = ConnectorContext::default();
        attrs.record(&mut own);
        if own.connector.is_some() {
            context = own;
        }
        if context.connector.is_some() {
            span.extensions_mut().insert(context);
        }
    }
}

/// The event's message and other fields, in order.
#[derive(Default)]
struct EventFields {
    message: String,
    fields: Vec<(&'static str, Value)>,
}

impl Visit for EventFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::Bool(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
}

impl EventFields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
        } else {
            self.fields.push((field.name(), value));
        }
    }
}

/// The event formatter of both formats.
struct LineFormat {
    format: LogFormat,
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let context = ctx
            .lookup_current()
            .and_then(|s| s.extensions().get::<ConnectorContext>().cloned())
            .unwrap_or_default();
        let mut fields = EventFields::default();
        event.record(&mut fields);
        let meta = event.metadata();
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        match self.format {
            LogFormat::Human => {
                write!(writer, "{timestamp} {:>5} ", meta.level())?;
                if let Some(b) = context.bracket() {
                    write!(writer, "{b} ")?;
                }
                write!(writer, "{}: {}", meta.target(), fields.message)?;
                for (name, value) in &fields.fields {
                    match value {
                        Value::String(s) => write!(writer, " {name}={s}")?,
                        other => write!(writer, " {name}={other}")?,
                    }
                }
                writeln!(writer)
            }
            LogFormat::Json => {
                let mut line = Map::new();
                line.insert("timestamp".into(), Value::String(timestamp));
                line.insert("level".into(), Value::String(meta.level().to_string()));
                line.insert("target".into(), Value::String(meta.target().to_string()));
                line.insert("message".into(), Value::String(fields.message));
                if let Some(c) = context.connector {
                    line.insert("connector".into(), Value::String(c));
                }
                if let Some(t) = context.task {
                    line.insert("task".into(), Value::from(t));
                }
                if !fields.fields.is_empty() {
                    let extra: Map<String, Value> = fields
                        .fields
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect();
                    line.insert("fields".into(), Value::Object(extra));
                }
                writeln!(writer, "{}", Value::Object(line))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn capture(format: LogFormat, body: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let out = buffer.clone();
        let subscriber = tracing_subscriber::registry().with(ContextLayer).with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || out.clone())
                .with_ansi(false)
                .event_format(LineFormat { format }),
        );
        tracing::subscriber::with_default(subscriber, body);
        let bytes = buffer.0.lock().expect("lock").clone();
        String::from_utf8(bytes).expect("utf-8")
    }

    fn log_for_task_and_connector() {
        let task = tracing::info_span!("task", connector = %"orders", task = 3u32);
        task.in_scope(|| {
            let inner = tracing::info_span!("poll");
            inner.in_scope(|| tracing::info!(records = 5, topic = "t", "Polled."));
        });
        let connector = tracing::info_span!("connector", connector = %"orders");
        connector.in_scope(|| tracing::warn!("Connector started."));
        tracing::info!("Worker line.");
    }

    #[test]
    fn human_lines_carry_java_s_connector_context() {
        let text = capture(LogFormat::Human, log_for_task_and_connector);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].contains(" INFO [orders|task-3] ")
                && lines[0].ends_with("Polled. records=5 topic=t"),
            "{}",
            lines[0]
        );
        assert!(lines[1].contains(" WARN [orders|worker] "), "{}", lines[1]);
        assert!(!lines[2].contains('['), "{}", lines[2]);
    }

    #[test]
    fn json_lines_have_connector_and_task_fields() {
        let text = capture(LogFormat::Json, log_for_task_and_connector);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        assert_eq!(lines[0]["connector"], "orders");
        assert_eq!(lines[0]["task"], 3);
        assert_eq!(lines[0]["message"], "Polled.");
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[0]["fields"]["records"], 5);
        assert_eq!(lines[1]["connector"], "orders");
        assert!(lines[1].get("task").is_none());
        assert!(lines[2].get("connector").is_none());
        assert!(lines[2]["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn the_format_comes_from_the_flag_then_the_environment() {
        assert_eq!(
            LogFormat::resolve(Some(LogFormat::Json)),
            Ok(LogFormat::Json)
        );
    }
}
