//! The config key every converter shares (`ConverterConfig`): `converter.type`.

use sluice_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Props};
use sluice_api::{ConfigError, ConnectError, ConnectResult, Validator};

/// `converter.type`: how the converter is used (`key`, `value` or `header`). The worker does
/// not set it; [`configure`] derives it from how the converter is configured, as Java's
/// `configure(map, isKey)` does.
pub const TYPE_CONFIG: &str = "converter.type";
const TYPE_DOC: &str = "How this converter will be used.";

/// `ConverterType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConverterType {
    /// Converts record keys.
    Key,
    /// Converts record values.
    Value,
    /// Converts header values.
    Header,
}

impl ConverterType {
    /// The config value (`key`, `value`, `header`).
    pub fn name(self) -> &'static str {
        match self {
            ConverterType::Key => "key",
            ConverterType::Value => "value",
            ConverterType::Header => "header",
        }
    }

    /// `Key` or `Value`.
    pub fn for_key(is_key: bool) -> Self {
        if is_key {
            ConverterType::Key
        } else {
            ConverterType::Value
        }
    }
}

/// `ConverterConfig.newConfigDef()`: a definition holding `converter.type` only.
pub fn base_config_def() -> ConfigDef {
    ConfigDef::new().define(
        ConfigKey::new(TYPE_CONFIG, ConfigType::String, Importance::Low, TYPE_DOC)
            .validator(Validator::one_of(&["key", "value", "header"])),
    )
}

/// Parses `props` against `def` after setting `converter.type` to `ty`; the first error is
/// returned as a [`ConnectError::Config`] naming its key.
pub fn configure(def: &ConfigDef, props: &Props, ty: ConverterType) -> ConnectResult<ParsedConfig> {
    let mut props = props.clone();
    props.insert(TYPE_CONFIG.to_string(), ty.name().to_string());
    def.parse(&props).map_err(|errors| {
        ConnectError::Config(
            errors
                .errors
                .into_iter()
                .next()
                .unwrap_or_else(|| ConfigError::general("Invalid converter configuration")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_is_set_from_the_use() {
        let parsed = configure(&base_config_def(), &Props::new(), ConverterType::Header).unwrap();
        assert_eq!(parsed.get_string(TYPE_CONFIG), Some("header"));
        assert_eq!(ConverterType::for_key(true).name(), "key");
    }
}
