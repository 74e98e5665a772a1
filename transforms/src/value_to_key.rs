//! `org.apache.kafka.connect.transforms.ValueToKey`: replaces the record key with fields taken
//! from the value.

use sluice_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, ConnectResult, Importance,
    Props, SchemaBuilder, SchemaRef, Struct, Transformation, Value,
};

use crate::mask_field::non_empty_list;
use crate::util::{
    field_value, map_get, map_put, parse_config, put_field, replace_null_with_default_key,
    require_map_ref, require_struct_ref, SchemaCache, REPLACE_NULL_WITH_DEFAULT,
};

const FIELDS: &str = "fields";
const PURPOSE: &str = "copying fields from value to key";

/// `ValueToKey`: see the module documentation.
#[derive(Debug, Default)]
pub struct ValueToKey {
    fields: Vec<String>,
    replace_null_with_default: bool,
    cache: SchemaCache<SchemaRef>,
}

impl ValueToKey {
    /// An unconfigured instance.
    pub fn new() -> Self {
        ValueToKey {
            replace_null_with_default: true,
            ..ValueToKey::default()
        }
    }

    /// The keys ValueToKey accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    FIELDS,
                    ConfigType::List,
                    Importance::High,
                    "Field names on the record value to extract as the record key.",
                )
                .validator(non_empty_list()),
            )
            .define(replace_null_with_default_key())
    }

    fn key_schema(&self, value_schema: &SchemaRef) -> ConnectResult<SchemaRef> {
        let mut builder = SchemaBuilder::struct_();
        for name in &self.fields {
            let field = value_schema
                .field(name)
                .ok_or_else(|| ConnectError::data(format!("Field does not exist: {name}")))?;
            builder = builder.field(name.clone(), field.schema.clone())?;
        }
        Ok(builder.build_ref())
    }
}

impl Transformation for ValueToKey {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.fields = config.get_list(FIELDS);
        self.replace_null_with_default = config.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if record.value_schema.is_none() {
            let value = require_map_ref(&record.value, PURPOSE)?;
            let mut key = Vec::with_capacity(self.fields.len());
            for name in &self.fields {
                let v = map_get(value, name).cloned().unwrap_or(Value::Null);
                map_put(&mut key, name, v);
            }
            record.key_schema = None;
            record.key = Value::Map(key);
            return Ok(Some(record));
        }
        let value = require_struct_ref(&record.value, PURPOSE)?;
        let value_schema = value.schema().clone();
        let key_schema = match self.cache.get(&value_schema) {
            Some(s) => s,
            None => {
                let s = self.key_schema(&value_schema)?;
                self.cache.put(value_schema.clone(), s.clone());
                s
            }
        };
        let mut key = Struct::new(key_schema.clone());
        for (key_field, name) in key_schema.fields.iter().zip(&self.fields) {
            let v = match value_schema.field(name) {
                Some(f) => field_value(value, f, self.replace_null_with_default),
                None => {
                    return Err(ConnectError::data(format!(
                        "{name} is not a valid field name"
                    )))
                }
            };
            put_field(&mut key, key_field, v)?;
        }
        record.key_schema = Some(key_schema);
        record.key = Value::Struct(key);
        record.value_schema = Some(value_schema);
        Ok(Some(record))
    }
}
