//! The keys of [`super::AvroConverter`]: the registry client and serializer keys of Confluent's
//! `AbstractKafkaSchemaSerDeConfig` the converter uses, and `AvroDataConfig`'s mapping keys.

use sluice_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Props};
use sluice_api::{ConfigError, ConnectError, ConnectResult, Validator};

use crate::config::{base_config_def, configure, ConverterType};

use super::subject::SubjectNameStrategy;

/// `schema.registry.url`: comma-separated registry URLs (required).
pub const SCHEMA_REGISTRY_URL: &str = "schema.registry.url";
/// `basic.auth.credentials.source`: `URL`, `USER_INFO` or `SASL_INHERIT`.
pub const BASIC_AUTH_CREDENTIALS_SOURCE: &str = "basic.auth.credentials.source";
/// `basic.auth.user.info`: `user:password` for `USER_INFO`.
pub const USER_INFO: &str = "basic.auth.user.info";
/// `schema.registry.basic.auth.user.info`: the older name of [`USER_INFO`].
pub const LEGACY_USER_INFO: &str = "schema.registry.basic.auth.user.info";
/// `auto.register.schemas`: register unknown schemas on write.
pub const AUTO_REGISTER_SCHEMAS: &str = "auto.register.schemas";
/// `use.latest.version`: write with the subject's latest schema.
pub const USE_LATEST_VERSION: &str = "use.latest.version";
/// `latest.compatibility.strict`: check that the latest schema can take the written data.
pub const LATEST_COMPATIBILITY_STRICT: &str = "latest.compatibility.strict";
/// `normalize.schemas`: ask the registry to normalize schemas on register and lookup.
pub const NORMALIZE_SCHEMAS: &str = "normalize.schemas";
/// `max.schemas.per.subject`: the registry client's cache size.
pub const MAX_SCHEMAS_PER_SUBJECT: &str = "max.schemas.per.subject";
/// `key.subject.name.strategy`.
pub const KEY_SUBJECT_NAME_STRATEGY: &str = "key.subject.name.strategy";
/// `value.subject.name.strategy`.
pub const VALUE_SUBJECT_NAME_STRATEGY: &str = "value.subject.name.strategy";
/// `connect.meta.data`: write and read the `connect.*` Avro properties.
pub const CONNECT_META_DATA: &str = "connect.meta.data";
/// `enhanced.avro.schema.support`: keep enum symbols and full names.
pub const ENHANCED_AVRO_SCHEMA_SUPPORT: &str = "enhanced.avro.schema.support";
/// `schemas.cache.config`: size of the Connect↔Avro schema caches.
pub const SCHEMAS_CACHE_CONFIG: &str = "schemas.cache.config";
/// `scrub.invalid.names`: replace characters that are invalid in Avro names.
pub const SCRUB_INVALID_NAMES: &str = "scrub.invalid.names";
/// `allow.optional.map.keys`: an optional-string-keyed map may be an Avro map.
pub const ALLOW_OPTIONAL_MAP_KEYS: &str = "allow.optional.map.keys";
/// `flatten.singleton.unions`: a one-branch union becomes its branch.
pub const FLATTEN_SINGLETON_UNIONS: &str = "flatten.singleton.unions";
/// `ignore.default.for.nullables`: a null optional field stays null on write.
pub const IGNORE_DEFAULT_FOR_NULLABLES: &str = "ignore.default.for.nullables";
/// `generalized.sum.type.support` (only `false` is supported).
pub const GENERALIZED_SUM_TYPE_SUPPORT: &str = "generalized.sum.type.support";
/// `discard.type.doc.default` (deprecated; only `false` is supported).
pub const DISCARD_TYPE_DOC_DEFAULT: &str = "discard.type.doc.default";

/// Where basic-auth credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsSource {
    /// `user:password@` in the registry URL.
    Url,
    /// `basic.auth.user.info`.
    UserInfo,
}

/// The mapping settings (`AvroDataConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroDataConfig {
    /// `connect.meta.data` (default true).
    pub connect_meta_data: bool,
    /// `enhanced.avro.schema.support` (default false).
    pub enhanced_avro_schema_support: bool,
    /// `scrub.invalid.names` (default false).
    pub scrub_invalid_names: bool,
    /// `allow.optional.map.keys` (default false).
    pub allow_optional_map_keys: bool,
    /// `flatten.singleton.unions` (default true).
    pub flatten_singleton_unions: bool,
    /// `ignore.default.for.nullables` (default false).
    pub ignore_default_for_nullables: bool,
    /// `schemas.cache.config` (default 1000).
    pub schemas_cache_size: i32,
}

impl Default for AvroDataConfig {
    fn default() -> Self {
        AvroDataConfig {
            connect_meta_data: true,
            enhanced_avro_schema_support: false,
            scrub_invalid_names: false,
            allow_optional_map_keys: false,
            flatten_singleton_unions: true,
            ignore_default_for_nullables: false,
            schemas_cache_size: 1000,
        }
    }
}

/// The parsed configuration of an AvroConverter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroConverterConfig {
    /// `schema.registry.url`, split on commas.
    pub urls: Vec<String>,
    /// `basic.auth.credentials.source`.
    pub credentials_source: CredentialsSource,
    /// `basic.auth.user.info` (or its older name), when set.
    pub user_info: Option<String>,
    /// `auto.register.schemas` (default true).
    pub auto_register_schemas: bool,
    /// `use.latest.version` (default false).
    pub use_latest_version: bool,
    /// `latest.compatibility.strict` (default true).
    pub latest_compatibility_strict: bool,
    /// `normalize.schemas` (default false).
    pub normalize_schemas: bool,
    /// `max.schemas.per.subject` (default 1000).
    pub max_schemas_per_subject: i32,
    /// The subject strategy of this converter's role (key or value).
    pub subject_name_strategy: SubjectNameStrategy,
    /// The mapping settings.
    pub data: AvroDataConfig,
}

fn boolean(name: &str, default: bool, importance: Importance, doc: &str) -> ConfigKey {
    ConfigKey::new(name, ConfigType::Boolean, importance, doc).default(default.to_string())
}

fn strategy_key(name: &str, doc: &str) -> ConfigKey {
    ConfigKey::new(name, ConfigType::Class, Importance::Medium, doc)
        .default(SubjectNameStrategy::Topic.class())
        .validator(Validator::custom(|_, v| {
            let s = v.to_java_string().unwrap_or_default();
            SubjectNameStrategy::from_class(&s)
                .map(|_| ())
                .ok_or_else(|| format!("Class {s} could not be found."))
        }))
}

fn only_false(name: &str, doc: &str) -> ConfigKey {
    let key = name.to_string();
    boolean(name, false, Importance::Low, doc).validator(Validator::custom(move |_, v| {
        if v.to_java_string().as_deref() == Some("true") {
            Err(format!(
                "{key}=true is not supported by Sluice's AvroConverter"
            ))
        } else {
            Ok(())
        }
    }))
}

impl AvroConverterConfig {
    /// The converter's keys, with Confluent's documentation.
    pub fn config_def() -> ConfigDef {
        base_config_def()
            .define(ConfigKey::new(
                SCHEMA_REGISTRY_URL,
                ConfigType::List,
                Importance::High,
                "Comma-separated list of URLs for schema registry instances that can be used to register or look up schemas.",
            ))
            .define(
                ConfigKey::new(
                    BASIC_AUTH_CREDENTIALS_SOURCE,
                    ConfigType::String,
                    Importance::Medium,
                    "Specify how to pick the credentials for Basic Auth header. The supported values are URL, USER_INFO and SASL_INHERIT",
                )
                .default("URL")
                .validator(Validator::one_of(&["URL", "USER_INFO"])),
            )
            .define(
                ConfigKey::new(
                    USER_INFO,
                    ConfigType::Password,
                    Importance::Medium,
                    "Specify the user info for Basic Auth in the form of {username}:{password}",
                )
                .default(""),
            )
            .define(
                ConfigKey::new(
                    LEGACY_USER_INFO,
                    ConfigType::Password,
                    Importance::Medium,
                    "Specify the user info for Basic Auth in the form of {username}:{password} (deprecated name of basic.auth.user.info)",
                )
                .default(""),
            )
            .define(boolean(
                AUTO_REGISTER_SCHEMAS,
                true,
                Importance::Medium,
                "Specify if the Serializer should attempt to register the Schema with Schema Registry",
            ))
            .define(boolean(
                USE_LATEST_VERSION,
                false,
                Importance::Low,
                "Specify if the Serializer should use the latest subject version for serialization",
            ))
            .define(boolean(
                LATEST_COMPATIBILITY_STRICT,
                true,
                Importance::Low,
                "Whether to check for backward compatibility between the latest subject version and  the Schema of the object to be serialized",
            ))
            .define(boolean(
                NORMALIZE_SCHEMAS,
                false,
                Importance::Low,
                "Whether to normalize schemas, which generally ignores ordering when it is not significant",
            ))
            .define(
                ConfigKey::new(
                    MAX_SCHEMAS_PER_SUBJECT,
                    ConfigType::Int,
                    Importance::Low,
                    "Maximum number of schemas to create or cache locally.",
                )
                .default("1000"),
            )
            .define(strategy_key(
                KEY_SUBJECT_NAME_STRATEGY,
                "Determines how to construct the subject name under which the key schema is registered with the schema registry. By default, <topic>-key is used as subject.",
            ))
            .define(strategy_key(
                VALUE_SUBJECT_NAME_STRATEGY,
                "Determines how to construct the subject name under which the value schema is registered with the schema registry. By default, <topic>-value is used as subject.",
            ))
            .define(
                ConfigKey::new(
                    SCHEMAS_CACHE_CONFIG,
                    ConfigType::Int,
                    Importance::Low,
                    "Size of the converted schemas cache",
                )
                .default("1000")
                .validator(Validator::at_least(0.0)),
            )
            .define(boolean(
                ENHANCED_AVRO_SCHEMA_SUPPORT,
                false,
                Importance::Medium,
                "Toggle for enabling/disabling enhanced avro schema support: Enum symbol preservation and Package Name awareness",
            ))
            .define(boolean(
                SCRUB_INVALID_NAMES,
                false,
                Importance::Medium,
                "Whether to scrub invalid names by replacing invalid characters with valid ones",
            ))
            .define(boolean(
                CONNECT_META_DATA,
                true,
                Importance::Low,
                "Toggle for enabling/disabling connect converter to add its meta data to the output schema or not",
            ))
            .define(boolean(
                ALLOW_OPTIONAL_MAP_KEYS,
                false,
                Importance::Low,
                "Allow optional string map key when converting from Connect Schema to Avro Schema.",
            ))
            .define(boolean(
                FLATTEN_SINGLETON_UNIONS,
                true,
                Importance::Low,
                "Whether to flatten singleton unions",
            ))
            .define(boolean(
                IGNORE_DEFAULT_FOR_NULLABLES,
                false,
                Importance::Low,
                "Whether to ignore the default for nullable fields when the value is null",
            ))
            .define(only_false(
                GENERALIZED_SUM_TYPE_SUPPORT,
                "Toggle for enabling/disabling generalized sum type support: interoperability of enum/union with other schema formats (not supported by Sluice: false only)",
            ))
            .define(only_false(
                DISCARD_TYPE_DOC_DEFAULT,
                "Only Avro field doc and default will be retained during conversion of Avro and Connect schema (deprecated; not supported by Sluice: false only)",
            ))
    }

    /// Parses the converter's properties (without their `value.converter.`-style prefix).
    pub fn from_props(props: &Props, ty: ConverterType) -> ConnectResult<Self> {
        let parsed = configure(&Self::config_def(), props, ty)?;
        let urls: Vec<String> = parsed
            .get_list(SCHEMA_REGISTRY_URL)
            .into_iter()
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if urls.is_empty() {
            return Err(ConnectError::Config(ConfigError::missing(
                SCHEMA_REGISTRY_URL,
            )));
        }
        for u in &urls {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(ConnectError::Config(ConfigError::invalid(
                    SCHEMA_REGISTRY_URL,
                    u,
                    "only http:// and https:// registry URLs are supported",
                )));
            }
        }
        let credentials_source = match parsed.require_string(BASIC_AUTH_CREDENTIALS_SOURCE)? {
            "USER_INFO" => CredentialsSource::UserInfo,
            _ => CredentialsSource::Url,
        };
        let user_info = [USER_INFO, LEGACY_USER_INFO]
            .iter()
            .filter_map(|k| parsed.get_password(k))
            .map(|p| p.value().to_string())
            .find(|s| !s.is_empty());
        if credentials_source == CredentialsSource::UserInfo && user_info.is_none() {
            return Err(ConnectError::Config(ConfigError::key(
                USER_INFO,
                "UserInfo must be provided when basic.auth.credentials.source is set to USER_INFO",
            )));
        }
        let strategy_key = match ty {
            ConverterType::Key => KEY_SUBJECT_NAME_STRATEGY,
            _ => VALUE_SUBJECT_NAME_STRATEGY,
        };
        let strategy = parsed
            .get(strategy_key)
            .and_then(|v| v.to_java_string())
            .and_then(|s| SubjectNameStrategy::from_class(&s))
            .unwrap_or(SubjectNameStrategy::Topic);
        Ok(AvroConverterConfig {
            urls,
            credentials_source,
            user_info,
            auto_register_schemas: parsed.get_bool(AUTO_REGISTER_SCHEMAS)?,
            use_latest_version: parsed.get_bool(USE_LATEST_VERSION)?,
            latest_compatibility_strict: parsed.get_bool(LATEST_COMPATIBILITY_STRICT)?,
            normalize_schemas: parsed.get_bool(NORMALIZE_SCHEMAS)?,
            max_schemas_per_subject: parsed.get_int(MAX_SCHEMAS_PER_SUBJECT)?,
            subject_name_strategy: strategy,
            data: AvroDataConfig {
                connect_meta_data: parsed.get_bool(CONNECT_META_DATA)?,
                enhanced_avro_schema_support: parsed.get_bool(ENHANCED_AVRO_SCHEMA_SUPPORT)?,
                scrub_invalid_names: parsed.get_bool(SCRUB_INVALID_NAMES)?,
                allow_optional_map_keys: parsed.get_bool(ALLOW_OPTIONAL_MAP_KEYS)?,
                flatten_singleton_unions: parsed.get_bool(FLATTEN_SINGLETON_UNIONS)?,
                ignore_default_for_nullables: parsed.get_bool(IGNORE_DEFAULT_FOR_NULLABLES)?,
                schemas_cache_size: parsed.get_int(SCHEMAS_CACHE_CONFIG)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::config::props_of;

    #[test]
    fn defaults_and_required_url() {
        let err = AvroConverterConfig::from_props(&Props::new(), ConverterType::Value).unwrap_err();
        assert!(err.to_string().contains("schema.registry.url"), "{err}");
        let c = AvroConverterConfig::from_props(
            &props_of(&[("schema.registry.url", "http://a:8081/, http://b:8081")]),
            ConverterType::Value,
        )
        .unwrap();
        assert_eq!(c.urls, vec!["http://a:8081", "http://b:8081"]);
        assert!(c.auto_register_schemas);
        assert!(!c.use_latest_version);
        assert!(c.latest_compatibility_strict);
        assert_eq!(c.subject_name_strategy, SubjectNameStrategy::Topic);
        assert_eq!(c.data, AvroDataConfig::default());
        assert_eq!(c.credentials_source, CredentialsSource::Url);
    }

    #[test]
    fn strategies_auth_and_unsupported_keys() {
        let c = AvroConverterConfig::from_props(
            &props_of(&[
                ("schema.registry.url", "http://r"),
                ("basic.auth.credentials.source", "USER_INFO"),
                ("schema.registry.basic.auth.user.info", "u:p"),
                (
                    "key.subject.name.strategy",
                    "io.confluent.kafka.serializers.subject.RecordNameStrategy",
                ),
                (
                    "value.subject.name.strategy",
                    "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
                ),
                ("connect.meta.data", "false"),
            ]),
            ConverterType::Key,
        )
        .unwrap();
        assert_eq!(c.subject_name_strategy, SubjectNameStrategy::Record);
        assert_eq!(c.user_info.as_deref(), Some("u:p"));
        assert!(!c.data.connect_meta_data);
        let err = AvroConverterConfig::from_props(
            &props_of(&[
                ("schema.registry.url", "http://r"),
                ("value.subject.name.strategy", "com.example.Nope"),
            ]),
            ConverterType::Value,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("value.subject.name.strategy"),
            "{err}"
        );
        let err = AvroConverterConfig::from_props(
            &props_of(&[
                ("schema.registry.url", "http://r"),
                ("basic.auth.credentials.source", "USER_INFO"),
            ]),
            ConverterType::Value,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("UserInfo must be provided"),
            "{err}"
        );
        assert!(AvroConverterConfig::from_props(
            &props_of(&[
                ("schema.registry.url", "http://r"),
                ("generalized.sum.type.support", "true"),
            ]),
            ConverterType::Value,
        )
        .is_err());
    }
}
