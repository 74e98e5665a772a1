//! The predicates of `org.apache.kafka.connect.transforms.predicates`: `TopicNameMatches`,
//! `HasHeaderKey` and `RecordIsTombstone`.

use sluice_api::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Importance,
    Predicate, Props, Validator,
};

use crate::java_regex::JavaRegex;
use crate::regex_router::regex_validator;
use crate::util::parse_config;

const PATTERN: &str = "pattern";
const NAME: &str = "name";

/// `ConfigDef.NonEmptyString`: `String must be non-empty`.
fn non_empty() -> Validator {
    Validator::custom(|_, value| match value {
        sluice_api::ConfigValue::String(s) if s.is_empty() => {
            Err("String must be non-empty".to_string())
        }
        _ => Ok(()),
    })
}

/// `TopicNameMatches`: true when the record's whole topic matches `pattern`.
#[derive(Debug, Default)]
pub struct TopicNameMatches {
    pattern: Option<JavaRegex>,
}

impl TopicNameMatches {
    /// An unconfigured instance.
    pub fn new() -> Self {
        TopicNameMatches::default()
    }

    /// The keys TopicNameMatches accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                PATTERN,
                ConfigType::String,
                Importance::Medium,
                "A Java regular expression for matching against the name of a record's topic.",
            )
            .validator(Validator::custom(|key, value| {
                if let sluice_api::ConfigValue::String(s) = value {
                    if s.is_empty() {
                        return Err("String must be non-empty".to_string());
                    }
                }
                match regex_validator().ensure_valid(key, value) {
                    Ok(()) => Ok(()),
                    Err(e) => Err(e
                        .message
                        .rsplit_once(": Invalid regex: ")
                        .map(|(_, m)| format!("Invalid regex: {m}"))
                        .unwrap_or(e.message)),
                }
            })),
        )
    }
}

impl Predicate for TopicNameMatches {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        let pattern = config.require_string(PATTERN)?;
        self.pattern = Some(JavaRegex::compile(pattern).map_err(|e| {
            ConfigError::invalid(
                PATTERN,
                pattern,
                format!("entry must be a Java-compatible regular expression: {e}"),
            )
        })?);
        Ok(())
    }

    fn test(&self, record: &ConnectRecord) -> bool {
        self.pattern
            .as_ref()
            .zip(record.topic.as_deref())
            .is_some_and(|(p, topic)| p.matches(topic))
    }
}

/// `HasHeaderKey`: true when at least one header has the configured key.
#[derive(Debug, Default)]
pub struct HasHeaderKey {
    name: String,
}

impl HasHeaderKey {
    /// An unconfigured instance.
    pub fn new() -> Self {
        HasHeaderKey::default()
    }

    /// The keys HasHeaderKey accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                NAME,
                ConfigType::String,
                Importance::Medium,
                "The header name.",
            )
            .validator(non_empty()),
        )
    }
}

impl Predicate for HasHeaderKey {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.name = config.require_string(NAME)?.to_string();
        Ok(())
    }

    fn test(&self, record: &ConnectRecord) -> bool {
        record.headers.iter().any(|h| h.key == self.name)
    }
}

/// `RecordIsTombstone`: true when the record value is null.
#[derive(Debug, Default)]
pub struct RecordIsTombstone;

impl RecordIsTombstone {
    /// A RecordIsTombstone (it has no configuration).
    pub fn new() -> Self {
        RecordIsTombstone
    }
}

impl Predicate for RecordIsTombstone {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
        Ok(())
    }

    fn test(&self, record: &ConnectRecord) -> bool {
        record.value.is_null()
    }
}
