//! `org.apache.kafka.connect.transforms.MaskField$Key` / `$Value`: replaces field values with
//! the "empty" value of their type, or with a configured replacement.

use sluice_api::transform::apply_by_editing;
use sluice_api::values::java_num::{decimal_low_i64, decimal_to_f64, parse_java_decimal};
use sluice_api::{
    BigDecimal, BigInt, ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord,
    ConnectResult, Importance, Props, Struct, Transformation, Validator, Value,
};

use crate::util::{
    field_value, parse_config, put_field, replace_null_with_default_key, require_map_ref,
    require_struct, Side, REPLACE_NULL_WITH_DEFAULT,
};

const FIELDS: &str = "fields";
const REPLACEMENT: &str = "replacement";
const PURPOSE: &str = "mask fields";

/// `NonEmptyListValidator`: `Invalid value [] for configuration <key>: Empty list`.
pub(crate) fn non_empty_list() -> Validator {
    Validator::custom(|_, value| match value {
        sluice_api::ConfigValue::List(items) if items.is_empty() => Err("Empty list".to_string()),
        _ => Ok(()),
    })
}

/// `ConfigDef.NonEmptyString` for a key whose default is null.
pub(crate) fn non_empty_string() -> Validator {
    Validator::custom(|_, value| match value {
        sluice_api::ConfigValue::String(s) if s.is_empty() => {
            Err("String must be non-empty".to_string())
        }
        _ => Ok(()),
    })
}

/// `MaskField`: see the module documentation.
#[derive(Debug)]
pub struct MaskField {
    side: Side,
    fields: Vec<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
}

fn class_of(value: &Value) -> String {
    format!("class {}", value.java_class())
}

fn to_number_error(replacement: &str, article: bool) -> ConnectError {
    ConnectError::data(format!(
        "Unable to convert {replacement} (class java.lang.String) to {}number",
        if article { "a " } else { "" }
    ))
}

/// The masked form of a non-null value.
fn mask(value: &Value, replacement: Option<&str>) -> ConnectResult<Value> {
    let Some(r) = replacement else {
        return Ok(match value {
            Value::Boolean(_) => Value::Boolean(false),
            Value::Int8(_) => Value::Int8(0),
            Value::Int16(_) => Value::Int16(0),
            Value::Int32(_) => Value::Int32(0),
            Value::Int64(_) => Value::Int64(0),
            Value::Float32(_) => Value::Float32(0.0),
            Value::Float64(_) => Value::Float64(0.0),
            Value::BigInt(_) => Value::BigInt(BigInt::from(0)),
            Value::Decimal(_) => Value::Decimal(BigDecimal::from(0)),
            Value::Date(_) => Value::Date(0),
            Value::String(_) => Value::String(String::new()),
            Value::Array(_) => Value::Array(Vec::new()),
            Value::Map(_) => Value::Map(Vec::new()),
            other => {
                return Err(ConnectError::data(format!(
                    "Cannot mask value of type: {}",
                    class_of(other)
                )))
            }
        });
    };
    // `Values.convertToXxx(null, replacement)`: through BigDecimal, narrowed like a cast.
    let as_long = || {
        parse_java_decimal(r)
            .map(|d| decimal_low_i64(&d))
            .ok_or_else(|| to_number_error(r, true))
    };
    let as_double = || {
        parse_java_decimal(r)
            .map(|d| decimal_to_f64(&d))
            .ok_or_else(|| to_number_error(r, true))
    };
    Ok(match value {
        Value::Int8(_) => Value::Int8(as_long()? as i8),
        Value::Int16(_) => Value::Int16(as_long()? as i16),
        Value::Int32(_) => Value::Int32(as_long()? as i32),
        Value::Int64(_) => Value::Int64(as_long()?),
        Value::Float32(_) => Value::Float32(as_double()? as f32),
        Value::Float64(_) => Value::Float64(as_double()?),
        Value::String(_) => Value::String(r.to_string()),
        Value::Decimal(_) => {
            Value::Decimal(parse_java_decimal(r).ok_or_else(|| to_number_error(r, false))?)
        }
        Value::BigInt(_) => {
            let digits = r.strip_prefix(['+', '-']).unwrap_or(r);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(to_number_error(r, false));
            }
            Value::BigInt(r.parse().map_err(|_| to_number_error(r, false))?)
        }
        other => {
            return Err(ConnectError::data(format!(
                "Cannot mask value of type {} with custom replacement.",
                class_of(other)
            )))
        }
    })
}

impl MaskField {
    /// An unconfigured instance for one side of the record.
    pub fn new(side: Side) -> Self {
        MaskField {
            side,
            fields: Vec::new(),
            replacement: None,
            replace_null_with_default: true,
        }
    }

    /// The keys MaskField accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    FIELDS,
                    ConfigType::List,
                    Importance::High,
                    "Names of fields to mask.",
                )
                .validator(non_empty_list()),
            )
            .define(
                ConfigKey::new(
                    REPLACEMENT,
                    ConfigType::String,
                    Importance::Low,
                    "Custom value replacement, that will be applied to all 'fields' values \
                     (numeric or non-empty string values only).",
                )
                .default_null()
                .validator(non_empty_string()),
            )
            .define(replace_null_with_default_key())
    }

    fn masked(&self, value: Value) -> ConnectResult<Value> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        mask(&value, self.replacement.as_deref())
    }
}

impl Transformation for MaskField {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        let mut fields = Vec::new();
        for f in config.get_list(FIELDS) {
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
        self.fields = fields;
        self.replacement = config.get_string(REPLACEMENT).map(str::to_string);
        self.replace_null_with_default = config.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        Ok(())
    }

    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        apply_by_editing(self, record)
    }

    fn apply_in_place(&mut self, record: &mut ConnectRecord) -> ConnectResult<bool> {
        if self.side.schema(record).is_none() {
            require_map_ref(self.side.value(record), PURPOSE)?;
            if let Value::Map(map) = self.side.value_mut(record) {
                for field in &self.fields {
                    // `put(field, masked(get(field)))`, masking in place (no copy of the value).
                    match map.iter_mut().find(|(k, _)| k.as_str() == Some(field)) {
                        Some((_, v)) if v.is_null() => {}
                        Some((_, v)) => *v = mask(v, self.replacement.as_deref())?,
                        None => map.push((Value::String(field.clone()), Value::Null)),
                    }
                }
            }
            return Ok(true);
        }
        let (schema, value) = self.side.take(record);
        match schema {
            None => {
                self.side.put(record, None, value);
                Ok(true)
            }
            Some(schema) => {
                let value = require_struct(value, PURPOSE)?;
                let struct_schema = value.schema().clone();
                let mut out = Struct::new(struct_schema.clone());
                for field in &struct_schema.fields {
                    let v = field_value(&value, field, self.replace_null_with_default);
                    let v = if self.fields.contains(&field.name) {
                        self.masked(v)?
                    } else {
                        v
                    };
                    put_field(&mut out, field, v)?;
                }
                self.side.put(record, Some(schema), Value::Struct(out));
                Ok(true)
            }
        }
    }
}
