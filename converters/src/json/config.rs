//! `JsonConverterConfig`: the keys of [`super::JsonConverter`].

use sluice_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Props, Width};
use sluice_api::{ConnectResult, Validator};

use crate::config::{base_config_def, configure, ConverterType};

/// `schemas.enable`: write and require the `{"schema":…,"payload":…}` envelope.
pub const SCHEMAS_ENABLE_CONFIG: &str = "schemas.enable";
/// `schemas.cache.size`: size of each of the two schema LRU caches.
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";
/// `decimal.format`: `BASE64` or `NUMERIC` (case-insensitive).
pub const DECIMAL_FORMAT_CONFIG: &str = "decimal.format";
/// `replace.null.with.default`: a null whose schema has a default becomes the default.
pub const REPLACE_NULL_WITH_DEFAULT_CONFIG: &str = "replace.null.with.default";

/// How Decimal values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    /// Base64 of the unscaled value's two's-complement bytes (`"AJw="` for 1.56 at scale 2).
    #[default]
    Base64,
    /// A JSON number that keeps the scale (`1.5600`).
    Numeric,
}

/// The parsed configuration of a JsonConverter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonConverterConfig {
    /// `schemas.enable` (default true).
    pub schemas_enable: bool,
    /// `schemas.cache.size` (default 1000; 0 or less disables caching).
    pub schemas_cache_size: i32,
    /// `decimal.format` (default BASE64).
    pub decimal_format: DecimalFormat,
    /// `replace.null.with.default` (default true).
    pub replace_null_with_default: bool,
}

impl Default for JsonConverterConfig {
    fn default() -> Self {
        JsonConverterConfig {
            schemas_enable: true,
            schemas_cache_size: 1000,
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        }
    }
}

impl JsonConverterConfig {
    /// `JsonConverterConfig.configDef()`: `converter.type` plus the four keys above, with
    /// Java's documentation, groups and display names.
    pub fn config_def() -> ConfigDef {
        base_config_def()
            .define(
                ConfigKey::new(
                    SCHEMAS_ENABLE_CONFIG,
                    ConfigType::Boolean,
                    Importance::High,
                    "Include schemas within each of the serialized values and keys.",
                )
                .default("true")
                .display("Schemas", 0, Width::Medium, "Enable Schemas"),
            )
            .define(
                ConfigKey::new(
                    SCHEMAS_CACHE_SIZE_CONFIG,
                    ConfigType::Int,
                    Importance::High,
                    "The maximum number of schemas that can be cached in this converter instance.",
                )
                .default("1000")
                .display("Schemas", 1, Width::Medium, "Schema Cache Size"),
            )
            .define(
                ConfigKey::new(
                    DECIMAL_FORMAT_CONFIG,
                    ConfigType::String,
                    Importance::Low,
                    "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
                )
                .default("BASE64")
                .validator(Validator::one_of_ignore_case(&["BASE64", "NUMERIC"]))
                .display("Serialization", 0, Width::Medium, "Decimal Format"),
            )
            .define(
                ConfigKey::new(
                    REPLACE_NULL_WITH_DEFAULT_CONFIG,
                    ConfigType::Boolean,
                    Importance::Low,
                    "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
                )
                .default("true")
                .display("Serialization", 1, Width::Medium, "Replace null with default"),
            )
    }

    /// Parses the converter's properties (without their `key.converter.`-style prefix).
    pub fn from_props(props: &Props, ty: ConverterType) -> ConnectResult<Self> {
        let parsed = configure(&Self::config_def(), props, ty)?;
        let format = parsed.require_string(DECIMAL_FORMAT_CONFIG)?;
        Ok(JsonConverterConfig {
            schemas_enable: parsed.get_bool(SCHEMAS_ENABLE_CONFIG)?,
            schemas_cache_size: parsed.get_int(SCHEMAS_CACHE_SIZE_CONFIG)?,
            decimal_format: if format.eq_ignore_ascii_case("NUMERIC") {
                DecimalFormat::Numeric
            } else {
                DecimalFormat::Base64
            },
            replace_null_with_default: parsed.get_bool(REPLACE_NULL_WITH_DEFAULT_CONFIG)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::ConnectError;

    fn props(pairs: &[(&str, &str)]) -> Props {
        sluice_api::config::props_of(pairs)
    }

    #[test]
    fn defaults_and_overrides() {
        let c = JsonConverterConfig::from_props(&Props::new(), ConverterType::Value).unwrap();
        assert_eq!(c, JsonConverterConfig::default());
        let c = JsonConverterConfig::from_props(
            &props(&[
                ("schemas.enable", "false"),
                ("decimal.format", "numeric"),
                ("replace.null.with.default", "false"),
                ("schemas.cache.size", "5"),
            ]),
            ConverterType::Key,
        )
        .unwrap();
        assert!(!c.schemas_enable);
        assert_eq!(c.decimal_format, DecimalFormat::Numeric);
        assert!(!c.replace_null_with_default);
        assert_eq!(c.schemas_cache_size, 5);
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = JsonConverterConfig::from_props(
            &props(&[("decimal.format", "HEX")]),
            ConverterType::Value,
        )
        .unwrap_err();
        let ConnectError::Config(e) = err else {
            panic!("config error expected")
        };
        assert_eq!(e.key.as_deref(), Some("decimal.format"));
        assert_eq!(
            e.message,
            "Invalid value HEX for configuration decimal.format: String must be one of (case insensitive): BASE64, NUMERIC"
        );
    }
}
