//! `org.apache.kafka.connect.transforms.TimestampRouter`: rewrites the topic from a format with
//! `${topic}` and `${timestamp}` placeholders, the timestamp formatted in UTC.

use sluice_api::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConnectError, ConnectRecord, ConnectResult,
    Importance, Props, Transformation,
};

use crate::java_date::JavaDateFormat;
use crate::util::parse_config;

const TOPIC_FORMAT: &str = "topic.format";
const TIMESTAMP_FORMAT: &str = "timestamp.format";

/// `TimestampRouter`: see the module documentation.
#[derive(Debug, Default)]
pub struct TimestampRouter {
    topic_format: String,
    timestamp_format: Option<JavaDateFormat>,
}

impl TimestampRouter {
    /// An unconfigured instance.
    pub fn new() -> Self {
        TimestampRouter::default()
    }

    /// The keys TimestampRouter accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    TOPIC_FORMAT,
                    ConfigType::String,
                    Importance::High,
                    "Format string which can contain <code>${topic}</code> and \
                     <code>${timestamp}</code> as placeholders for the topic and timestamp, \
                     respectively.",
                )
                .default("${topic}-${timestamp}"),
            )
            .define(
                ConfigKey::new(
                    TIMESTAMP_FORMAT,
                    ConfigType::String,
                    Importance::High,
                    "Format string for the timestamp that is compatible with \
                     <code>java.text.SimpleDateFormat</code>.",
                )
                .default("yyyyMMdd"),
            )
    }
}

impl Transformation for TimestampRouter {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.topic_format = config.require_string(TOPIC_FORMAT)?.to_string();
        let pattern = config.require_string(TIMESTAMP_FORMAT)?;
        self.timestamp_format = Some(
            JavaDateFormat::new(pattern)
                .map_err(|e| ConfigError::invalid(TIMESTAMP_FORMAT, pattern, e))?,
        );
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let Some(format) = &self.timestamp_format else {
            return Err(ConnectError::connect("TimestampRouter is not configured"));
        };
        let Some(timestamp) = record.timestamp else {
            return Err(ConnectError::data(format!(
                "Timestamp missing on record: ConnectRecord{{topic='{}', kafkaPartition={}, timestamp=null}}",
                record.topic.as_deref().unwrap_or("null"),
                record
                    .kafka_partition
                    .map_or_else(|| "null".to_string(), |p| p.to_string())
            )));
        };
        let formatted = format
            .format(timestamp)
            .ok_or_else(|| ConnectError::data(format!("Timestamp out of range: {timestamp}")))?;
        let Some(topic) = record.topic.as_deref() else {
            // Java fails on a null topic too (a NullPointerException in String.replace).
            return Err(ConnectError::data(
                "TimestampRouter cannot route a record with a null topic",
            ));
        };
        record.topic = Some(
            self.topic_format
                .replace("${topic}", topic)
                .replace("${timestamp}", &formatted),
        );
        Ok(Some(record))
    }
}
