//! `org.apache.kafka.connect.transforms.RegexRouter`: rewrites the topic when the configured
//! regular expression matches the whole topic, with `Matcher.replaceFirst` semantics.

use std::collections::HashMap;

use sluice_api::transform::apply_by_editing;
use sluice_api::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConfigValue, ConnectError, ConnectRecord,
    ConnectResult, Importance, Props, Transformation, Validator,
};

use crate::java_regex::{JavaRegex, Replacement};
use crate::util::parse_config;

const REGEX: &str = "regex";
const REPLACEMENT: &str = "replacement";

/// `RegexValidator`: the value must compile as a Java regular expression.
pub(crate) fn regex_validator() -> Validator {
    Validator::custom(|_, value| match value {
        ConfigValue::String(s) => JavaRegex::compile(s)
            .map(|_| ())
            .map_err(|e| format!("Invalid regex: {e}")),
        _ => Ok(()),
    })
}

/// How many topics' routes [`RegexRouter`] remembers.
const ROUTES_REMEMBERED: usize = 1024;

/// `RegexRouter`: see the module documentation.
#[derive(Debug, Default)]
pub struct RegexRouter {
    compiled: Option<(JavaRegex, Replacement)>,
    /// The route of each topic seen (`None`: the topic stays), up to [`ROUTES_REMEMBERED`]
    /// topics: the route depends on the topic alone, and a connector sees few topics, so most
    /// records need no regex search. The first [`FEW_TOPICS`] are compared one by one (no
    /// hashing), the others looked up by hash.
    few: Vec<(String, Option<String>)>,
    routes: HashMap<String, Option<String>, foldhash::fast::RandomState>,
}

/// How many topics' routes [`RegexRouter`] finds by comparing topics.
const FEW_TOPICS: usize = 8;

impl RegexRouter {
    /// An unconfigured instance.
    pub fn new() -> Self {
        RegexRouter::default()
    }

    /// The keys RegexRouter accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    REGEX,
                    ConfigType::String,
                    Importance::High,
                    "Regular expression to use for matching.",
                )
                .validator(regex_validator()),
            )
            .define(ConfigKey::new(
                REPLACEMENT,
                ConfigType::String,
                Importance::High,
                "Replacement string.",
            ))
    }
}

impl Transformation for RegexRouter {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        let pattern = config.require_string(REGEX)?;
        let regex = JavaRegex::compile(pattern)
            .map_err(|e| ConfigError::invalid(REGEX, pattern, format!("Invalid regex: {e}")))?;
        let replacement = regex.replacement(config.require_string(REPLACEMENT)?);
        self.compiled = Some((regex, replacement));
        self.few.clear();
        self.routes.clear();
        Ok(())
    }

    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        apply_by_editing(self, record)
    }

    fn apply_in_place(&mut self, record: &mut ConnectRecord) -> ConnectResult<bool> {
        let Some((regex, replacement)) = &self.compiled else {
            return Err(ConnectError::connect("RegexRouter is not configured"));
        };
        let Some(topic) = record.topic.as_deref() else {
            // Java fails on a null topic too (a NullPointerException in the matcher).
            return Err(ConnectError::data(
                "RegexRouter cannot route a record with a null topic",
            ));
        };
        let remembered = match self.few.iter().find(|(t, _)| t == topic) {
            Some((_, route)) => Some(route),
            None => self.routes.get(topic),
        };
        if let Some(route) = remembered {
            if let Some(routed) = route {
                record.topic = Some(routed.clone());
            }
            return Ok(true);
        }
        let route = if regex.matches(topic) {
            Some(
                regex
                    .replace_first(topic, replacement)
                    .map_err(ConnectError::IllegalArgument)?,
            )
        } else {
            None
        };
        if self.few.len() < FEW_TOPICS {
            self.few.push((topic.to_string(), route.clone()));
        } else if self.routes.len() < ROUTES_REMEMBERED - FEW_TOPICS {
            self.routes.insert(topic.to_string(), route.clone());
        }
        if let Some(routed) = route {
            record.topic = Some(routed);
        }
        Ok(true)
    }
}
