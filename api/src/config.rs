//! Typed configuration definitions: Kafka's `ConfigDef`, `AbstractConfig` and `ConfigValue`.
//!
//! Every plugin and the worker describe their keys once, in a [`ConfigDef`]: name, type,
//! default, importance, documentation, validator and display hints. The same definition
//!
//! * parses a string map into a [`ParsedConfig`], collecting an error per key instead of
//!   stopping at the first ([`ConfigDef::parse`]),
//! * answers `PUT /connector-plugins/{plugin}/config/validate` with a result for every key
//!   ([`ConfigDef::validate`]), and
//! * documents the keys (`GET /connector-plugins/{plugin}/config`, the README tables).
//!
//! Plugins then read the [`ParsedConfig`] into their own typed struct, once.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use crate::error::ConfigError;

/// A raw configuration map, as written in `.properties` files or REST bodies.
pub type Props = BTreeMap<String, String>;

/// Props from `(key, value)` pairs (a later pair wins), as tests and examples write them.
pub fn props_of(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    /// `true`/`false`, case-insensitive.
    Boolean,
    /// A string (trimmed).
    String,
    /// A 32-bit integer.
    Int,
    /// A 16-bit integer.
    Short,
    /// A 64-bit integer.
    Long,
    /// A double.
    Double,
    /// A comma-separated list.
    List,
    /// A Java class name.
    Class,
    /// A secret, never printed.
    Password,
}

impl ConfigType {
    /// The Java enum name (`STRING`, `INT`, …) used by the REST API.
    pub fn java_name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }
}

/// `ConfigDef.Importance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    /// HIGH.
    High,
    /// MEDIUM.
    Medium,
    /// LOW.
    Low,
}

impl Importance {
    /// The Java enum name.
    pub fn java_name(self) -> &'static str {
        match self {
            Importance::High => "HIGH",
            Importance::Medium => "MEDIUM",
            Importance::Low => "LOW",
        }
    }
}

/// `ConfigDef.Width`: a display hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Width {
    /// NONE.
    #[default]
    None,
    /// SHORT.
    Short,
    /// MEDIUM.
    Medium,
    /// LONG.
    Long,
}

impl Width {
    /// The Java enum name.
    pub fn java_name(self) -> &'static str {
        match self {
            Width::None => "NONE",
            Width::Short => "SHORT",
            Width::Medium => "MEDIUM",
            Width::Long => "LONG",
        }
    }
}

/// A secret string whose `Debug` and `Display` print `[hidden]`, like Kafka's `Password`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// What `Password.toString()` prints.
    pub const HIDDEN: &'static str = "[hidden]";
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Password(s.into())
    }
    /// The secret itself.
    pub fn value(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::HIDDEN)
    }
}
impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::HIDDEN)
    }
}

/// A parsed configuration value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// A null value (a key whose default is null).
    Null,
    /// BOOLEAN.
    Boolean(bool),
    /// STRING.
    String(String),
    /// INT.
    Int(i32),
    /// SHORT.
    Short(i16),
    /// LONG.
    Long(i64),
    /// DOUBLE.
    Double(f64),
    /// LIST.
    List(Vec<String>),
    /// CLASS.
    Class(String),
    /// PASSWORD.
    Password(Password),
}

impl ConfigValue {
    /// `ConfigDef.convertToString`: how the value prints in REST answers (lists joined by
    /// `,`, passwords as `[hidden]`); `None` for null.
    pub fn to_java_string(&self) -> Option<String> {
        Some(match self {
            ConfigValue::Null => return None,
            ConfigValue::Boolean(b) => b.to_string(),
            ConfigValue::String(s) | ConfigValue::Class(s) => s.clone(),
            ConfigValue::Int(v) => v.to_string(),
            ConfigValue::Short(v) => v.to_string(),
            ConfigValue::Long(v) => v.to_string(),
            ConfigValue::Double(v) => java_double(*v),
            ConfigValue::List(l) => l.join(","),
            ConfigValue::Password(_) => Password::HIDDEN.to_string(),
        })
    }
}

fn java_double(v: f64) -> String {
    if v.fract() == 0.0 && v.is_finite() && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        v.to_string()
    }
}

/// Parses `raw` as `ty` (`ConfigDef.parseType`), with Java's messages.
pub fn parse_type(key: &str, raw: &str, ty: ConfigType) -> Result<ConfigValue, ConfigError> {
    let trimmed = raw.trim();
    let bad = |what: &str| ConfigError::invalid(key, raw, what);
    Ok(match ty {
        ConfigType::Boolean => {
            if trimmed.eq_ignore_ascii_case("true") {
                ConfigValue::Boolean(true)
            } else if trimmed.eq_ignore_ascii_case("false") {
                ConfigValue::Boolean(false)
            } else {
                return Err(bad("Expected value to be either true or false"));
            }
        }
        ConfigType::String => ConfigValue::String(trimmed.to_string()),
        ConfigType::Class => ConfigValue::Class(trimmed.to_string()),
        ConfigType::Password => ConfigValue::Password(Password::new(raw)),
        ConfigType::Int => ConfigValue::Int(
            trimmed
                .parse()
                .map_err(|_| bad("Not a number of type INT"))?,
        ),
        ConfigType::Short => ConfigValue::Short(
            trimmed
                .parse()
                .map_err(|_| bad("Not a number of type SHORT"))?,
        ),
        ConfigType::Long => ConfigValue::Long(
            trimmed
                .parse()
                .map_err(|_| bad("Not a number of type LONG"))?,
        ),
        ConfigType::Double => ConfigValue::Double(
            trimmed
                .parse()
                .map_err(|_| bad("Not a number of type DOUBLE"))?,
        ),
        ConfigType::List => ConfigValue::List(parse_list(trimmed)),
    })
}

/// Splits a LIST value as Java does: on commas with surrounding white space; an empty string
/// is an empty list.
pub fn parse_list(raw: &str) -> Vec<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed.split(',').map(|s| s.trim().to_string()).collect()
}

/// A custom validation function: gets the key and the parsed value, returns the message of
/// what is wrong.
pub type ValidatorFn = Arc<dyn Fn(&str, &ConfigValue) -> Result<(), String> + Send + Sync>;

/// `ConfigDef.Validator`s, with Java's messages.
#[derive(Clone)]
pub enum Validator {
    /// `Range.between` / `atLeast` (either bound may be absent).
    Range {
        /// Inclusive lower bound.
        min: Option<f64>,
        /// Inclusive upper bound.
        max: Option<f64>,
    },
    /// `ValidString.in(...)`: exact match.
    OneOf(Vec<String>),
    /// `CaseInsensitiveValidString.in(...)`.
    OneOfIgnoreCase(Vec<String>),
    /// `NonEmptyString`.
    NonEmptyString,
    /// `ValidList.in(...)`: every element one of these.
    ListOf(Vec<String>),
    /// Anything else.
    Custom(ValidatorFn),
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Validator::Range { min, max } => write!(f, "Range({min:?}, {max:?})"),
            Validator::OneOf(v) => write!(f, "OneOf({v:?})"),
            Validator::OneOfIgnoreCase(v) => write!(f, "OneOfIgnoreCase({v:?})"),
            Validator::NonEmptyString => f.write_str("NonEmptyString"),
            Validator::ListOf(v) => write!(f, "ListOf({v:?})"),
            Validator::Custom(_) => f.write_str("Custom"),
        }
    }
}

impl Validator {
    /// `Range.atLeast(min)`.
    pub fn at_least(min: f64) -> Self {
        Validator::Range {
            min: Some(min),
            max: None,
        }
    }
    /// `Range.between(min, max)`.
    pub fn between(min: f64, max: f64) -> Self {
        Validator::Range {
            min: Some(min),
            max: Some(max),
        }
    }
    /// `ValidString.in(values)`.
    pub fn one_of(values: &[&str]) -> Self {
        Validator::OneOf(values.iter().map(|s| s.to_string()).collect())
    }
    /// `CaseInsensitiveValidString.in(values)`.
    pub fn one_of_ignore_case(values: &[&str]) -> Self {
        Validator::OneOfIgnoreCase(values.iter().map(|s| s.to_string()).collect())
    }
    /// A custom check.
    pub fn custom(
        f: impl Fn(&str, &ConfigValue) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Validator::Custom(Arc::new(f))
    }

    /// Checks a parsed value; the error is the full `ConfigException` message.
    pub fn ensure_valid(&self, key: &str, value: &ConfigValue) -> Result<(), ConfigError> {
        let shown = value.to_java_string().unwrap_or_else(|| "null".to_string());
        let fail = |msg: String| Err(ConfigError::invalid(key, &shown, msg));
        match self {
            Validator::Range { min, max } => {
                let n = match value {
                    ConfigValue::Int(v) => f64::from(*v),
                    ConfigValue::Short(v) => f64::from(*v),
                    ConfigValue::Long(v) => *v as f64,
                    ConfigValue::Double(v) => *v,
                    ConfigValue::Null => {
                        return Err(ConfigError::key(
                            key,
                            format!("Value must be non-null for configuration {key}"),
                        ))
                    }
                    _ => return Ok(()),
                };
                if let Some(min) = min {
                    if n < *min {
                        return fail(format!("Value must be at least {}", num(*min)));
                    }
                }
                if let Some(max) = max {
                    if n > *max {
                        return fail(format!("Value must be no more than {}", num(*max)));
                    }
                }
                Ok(())
            }
            Validator::OneOf(allowed) => match value {
                ConfigValue::String(s) if allowed.contains(s) => Ok(()),
                _ => fail(format!("String must be one of: {}", allowed.join(", "))),
            },
            Validator::OneOfIgnoreCase(allowed) => match value {
                ConfigValue::String(s) if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) => {
                    Ok(())
                }
                _ => fail(format!(
                    "String must be one of (case insensitive): {}",
                    allowed.join(", ")
                )),
            },
            Validator::NonEmptyString => match value {
                ConfigValue::String(s) if !s.is_empty() => Ok(()),
                _ => fail("String may not be empty".to_string()),
            },
            Validator::ListOf(allowed) => match value {
                ConfigValue::List(items) => {
                    for item in items {
                        if !allowed.contains(item) {
                            return fail(format!(
                                "Invalid value {item} for configuration {key}: String must be one of: {}",
                                allowed.join(", ")
                            ));
                        }
                    }
                    Ok(())
                }
                _ => Ok(()),
            },
            Validator::Custom(f) => {
                f(key, value).map_err(|msg| ConfigError::invalid(key, &shown, msg))
            }
        }
    }

    /// The values a UI may offer (`recommendedValues` of validators that enumerate them).
    pub fn recommended(&self) -> Vec<String> {
        match self {
            Validator::OneOf(v) | Validator::OneOfIgnoreCase(v) | Validator::ListOf(v) => v.clone(),
            _ => Vec::new(),
        }
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

/// How a key's default is given.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// `ConfigDef.NO_DEFAULT_VALUE`: the key is required.
    Required,
    /// A null default.
    Null,
    /// A default written as the string a user would write (parsed with the key's type).
    Value(String),
}

/// One key of a [`ConfigDef`] (`ConfigDef.ConfigKey`).
#[derive(Debug, Clone)]
pub struct ConfigKey {
    /// The key.
    pub name: String,
    /// Its type.
    pub ty: ConfigType,
    /// Its default.
    pub default: DefaultValue,
    /// Validator run on the parsed value (not on a null default).
    pub validator: Option<Validator>,
    /// Importance.
    pub importance: Importance,
    /// Documentation (the source of every doc about the key).
    pub documentation: String,
    /// Group name.
    pub group: Option<String>,
    /// Order within the group (-1 when none).
    pub order_in_group: i32,
    /// Width hint.
    pub width: Width,
    /// Display name (the key when none is given).
    pub display_name: String,
    /// Keys whose visibility depends on this one.
    pub dependents: Vec<String>,
}

impl ConfigKey {
    /// A key with a type, importance and documentation; required until a default is given.
    pub fn new(name: &str, ty: ConfigType, importance: Importance, documentation: &str) -> Self {
        ConfigKey {
            name: name.to_string(),
            ty,
            default: DefaultValue::Required,
            validator: None,
            importance,
            documentation: documentation.to_string(),
            group: None,
            order_in_group: -1,
            width: Width::None,
            display_name: name.to_string(),
            dependents: Vec::new(),
        }
    }
    /// Sets a default, written as a user would write it.
    pub fn default(mut self, value: impl Into<String>) -> Self {
        self.default = DefaultValue::Value(value.into());
        self
    }
    /// Makes the default null (the key is optional with no value).
    pub fn default_null(mut self) -> Self {
        self.default = DefaultValue::Null;
        self
    }
    /// Sets the validator.
    pub fn validator(mut self, v: Validator) -> Self {
        self.validator = Some(v);
        self
    }
    /// Sets group, order in group, width and display name.
    pub fn display(mut self, group: &str, order: i32, width: Width, display_name: &str) -> Self {
        self.group = Some(group.to_string());
        self.order_in_group = order;
        self.width = width;
        self.display_name = display_name.to_string();
        self
    }
    /// Sets the dependents.
    pub fn dependents(mut self, deps: &[&str]) -> Self {
        self.dependents = deps.iter().map(|s| s.to_string()).collect();
        self
    }
    /// True when the key has no default.
    pub fn required(&self) -> bool {
        self.default == DefaultValue::Required
    }
    /// The default as REST prints it (`default_value`); `None` when required or null.
    pub fn default_string(&self) -> Option<String> {
        match &self.default {
            DefaultValue::Value(v) => match parse_type(&self.name, v, self.ty) {
                Ok(parsed) => parsed.to_java_string(),
                Err(_) => Some(v.clone()),
            },
            _ => None,
        }
    }

    /// Parses and validates the raw value (or the default when absent).
    pub fn parse(&self, raw: Option<&str>) -> Result<ConfigValue, ConfigError> {
        let value = match (raw, &self.default) {
            (Some(raw), _) => parse_type(&self.name, raw, self.ty)?,
            (None, DefaultValue::Required) => return Err(ConfigError::missing(&self.name)),
            (None, DefaultValue::Null) => return Ok(ConfigValue::Null),
            (None, DefaultValue::Value(d)) => parse_type(&self.name, d, self.ty)?,
        };
        if let Some(v) = &self.validator {
            v.ensure_valid(&self.name, &value)?;
        }
        Ok(value)
    }
}

/// The result of validating one key (Java's `ConfigValue`, REST's `value` object).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedKey {
    /// The key.
    pub name: String,
    /// The value as a string (`None` when null), `[hidden]` for passwords.
    pub value: Option<String>,
    /// Values a UI may offer.
    pub recommended_values: Vec<String>,
    /// Error messages (empty when valid).
    pub errors: Vec<String>,
    /// Whether the key applies given the others.
    pub visible: bool,
}

/// Every error found while parsing a config, one or more per key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; "))]
pub struct ConfigErrors {
    /// The errors, in key definition order.
    pub errors: Vec<ConfigError>,
}

impl ConfigErrors {
    /// The first error (what Java would have thrown).
    pub fn first(&self) -> Option<&ConfigError> {
        self.errors.first()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors { errors: vec![e] }
    }
}

/// An ordered set of [`ConfigKey`]s (`ConfigDef`).
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    /// An empty definition.
    pub fn new() -> Self {
        ConfigDef { keys: Vec::new() }
    }
    /// Adds a key (replacing one of the same name, keeping its position).
    pub fn define(mut self, key: ConfigKey) -> Self {
        self.add(key);
        self
    }
    /// Adds a key in place.
    pub fn add(&mut self, key: ConfigKey) {
        if let Some(existing) = self.keys.iter_mut().find(|k| k.name == key.name) {
            *existing = key;
        } else {
            self.keys.push(key);
        }
    }
    /// Appends every key of `other` (`ConfigDef(base)` + defines).
    pub fn extend(mut self, other: &ConfigDef) -> Self {
        for k in &other.keys {
            self.add(k.clone());
        }
        self
    }
    /// The keys in definition order.
    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }
    /// One key.
    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Parses `props`, collecting every key's error (`new AbstractConfig(def, props)`).
    pub fn parse(&self, props: &Props) -> Result<ParsedConfig, ConfigErrors> {
        let mut values = HashMap::with_capacity(self.keys.len());
        let mut errors = Vec::new();
        for key in &self.keys {
            match key.parse(props.get(&key.name).map(String::as_str)) {
                Ok(v) => {
                    values.insert(key.name.clone(), v);
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(ParsedConfig {
                values,
                originals: props.clone(),
            })
        } else {
            Err(ConfigErrors { errors })
        }
    }

    /// Validates `props`: one [`ValidatedKey`] per defined key, in definition order.
    pub fn validate(&self, props: &Props) -> Vec<ValidatedKey> {
        self.keys
            .iter()
            .map(|key| {
                let raw = props.get(&key.name).map(String::as_str);
                let recommended = key
                    .validator
                    .as_ref()
                    .map(Validator::recommended)
                    .unwrap_or_default();
                match key.parse(raw) {
                    Ok(v) => ValidatedKey {
                        name: key.name.clone(),
                        value: v.to_java_string(),
                        recommended_values: recommended,
                        errors: Vec::new(),
                        visible: true,
                    },
                    Err(e) => ValidatedKey {
                        name: key.name.clone(),
                        value: raw.map(|r| {
                            if key.ty == ConfigType::Password {
                                Password::HIDDEN.to_string()
                            } else {
                                r.to_string()
                            }
                        }),
                        recommended_values: recommended,
                        errors: vec![e.message],
                        visible: true,
                    },
                }
            })
            .collect()
    }
}

/// A config parsed against a [`ConfigDef`] (`AbstractConfig`): typed getters plus the
/// original strings.
#[derive(Debug, Clone)]
pub struct ParsedConfig {
    values: HashMap<String, ConfigValue>,
    originals: Props,
}

impl ParsedConfig {
    /// The parsed value of a defined key.
    pub fn get(&self, key: &str) -> Option<&ConfigValue> {
        self.values.get(key)
    }
    fn typed<T>(&self, key: &str, f: impl Fn(&ConfigValue) -> Option<T>) -> Result<T, ConfigError> {
        match self.values.get(key) {
            Some(ConfigValue::Null) | None => Err(ConfigError::missing(key)),
            Some(v) => {
                f(v).ok_or_else(|| ConfigError::key(key, format!("{key} has the wrong type")))
            }
        }
    }
    /// A BOOLEAN key.
    pub fn get_bool(&self, key: &str) -> Result<bool, ConfigError> {
        self.typed(key, |v| match v {
            ConfigValue::Boolean(b) => Some(*b),
            _ => None,
        })
    }
    /// An INT (or SHORT) key.
    pub fn get_int(&self, key: &str) -> Result<i32, ConfigError> {
        self.typed(key, |v| match v {
            ConfigValue::Int(i) => Some(*i),
            ConfigValue::Short(i) => Some(i32::from(*i)),
            _ => None,
        })
    }
    /// A LONG (or INT) key.
    pub fn get_long(&self, key: &str) -> Result<i64, ConfigError> {
        self.typed(key, |v| match v {
            ConfigValue::Long(i) => Some(*i),
            ConfigValue::Int(i) => Some(i64::from(*i)),
            ConfigValue::Short(i) => Some(i64::from(*i)),
            _ => None,
        })
    }
    /// A DOUBLE key.
    pub fn get_double(&self, key: &str) -> Result<f64, ConfigError> {
        self.typed(key, |v| match v {
            ConfigValue::Double(d) => Some(*d),
            _ => None,
        })
    }
    /// A STRING or CLASS key; `None` when its value is null.
    pub fn get_string(&self, key: &str) -> Option<&str> {
        match self.values.get(key) {
            Some(ConfigValue::String(s)) | Some(ConfigValue::Class(s)) => Some(s),
            _ => None,
        }
    }
    /// A STRING or CLASS key that must not be null.
    pub fn require_string(&self, key: &str) -> Result<&str, ConfigError> {
        self.get_string(key)
            .ok_or_else(|| ConfigError::missing(key))
    }
    /// A LIST key; empty when null.
    pub fn get_list(&self, key: &str) -> Vec<String> {
        match self.values.get(key) {
            Some(ConfigValue::List(l)) => l.clone(),
            _ => Vec::new(),
        }
    }
    /// A PASSWORD key; `None` when null.
    pub fn get_password(&self, key: &str) -> Option<&Password> {
        match self.values.get(key) {
            Some(ConfigValue::Password(p)) => Some(p),
            _ => None,
        }
    }
    /// The original strings.
    pub fn originals(&self) -> &Props {
        &self.originals
    }
    /// `originalsWithPrefix(prefix)`: keys starting with `prefix`, with it stripped.
    pub fn originals_with_prefix(&self, prefix: &str) -> Props {
        originals_with_prefix(&self.originals, prefix)
    }
}

/// Keys of `props` starting with `prefix`, with the prefix stripped.
pub fn originals_with_prefix(props: &Props, prefix: &str) -> Props {
    props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new(
                "topic",
                ConfigType::String,
                Importance::High,
                "The topic.",
            ))
            .define(
                ConfigKey::new("batch.size", ConfigType::Int, Importance::Low, "Batch.")
                    .default("2000")
                    .validator(Validator::at_least(1.0)),
            )
            .define(
                ConfigKey::new("mode", ConfigType::String, Importance::Low, "Mode.")
                    .default("a")
                    .validator(Validator::one_of(&["a", "b"])),
            )
            .define(ConfigKey::new("list", ConfigType::List, Importance::Low, "L.").default(""))
            .define(
                ConfigKey::new("secret", ConfigType::Password, Importance::Low, "S.")
                    .default_null(),
            )
    }

    #[test]
    fn parse_collects_every_error_with_java_messages() {
        let props: Props = [("batch.size", "x"), ("mode", "c")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let errs = def().parse(&props).unwrap_err();
        let msgs: Vec<_> = errs.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "Missing required configuration \"topic\" which has no default value.",
                "Invalid value x for configuration batch.size: Not a number of type INT",
                "Invalid value c for configuration mode: String must be one of: a, b",
            ]
        );
    }

    #[test]
    fn parse_applies_defaults_and_types() {
        let props: Props = [("topic", " t "), ("list", "a, b ,c")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let c = def().parse(&props).unwrap();
        assert_eq!(c.get_string("topic"), Some("t"));
        assert_eq!(c.get_int("batch.size").unwrap(), 2000);
        assert_eq!(c.get_list("list"), vec!["a", "b", "c"]);
        assert!(c.get_password("secret").is_none());
    }

    #[test]
    fn range_message() {
        let props: Props = [("topic", "t"), ("batch.size", "0")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let v = def().validate(&props);
        assert_eq!(
            v[1].errors,
            vec!["Invalid value 0 for configuration batch.size: Value must be at least 1"]
        );
        assert!(v[0].errors.is_empty());
        assert_eq!(v[2].recommended_values, vec!["a", "b"]);
    }

    #[test]
    fn password_is_hidden() {
        assert_eq!(format!("{:?}", Password::new("s3cret")), "[hidden]");
        assert_eq!(
            ConfigValue::Password(Password::new("x"))
                .to_java_string()
                .as_deref(),
            Some("[hidden]")
        );
    }
}
