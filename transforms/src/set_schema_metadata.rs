//! `org.apache.kafka.connect.transforms.SetSchemaMetadata$Key` / `$Value`: sets the schema name
//! and/or version.

use sluice_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, ConnectResult, Importance,
    Props, SchemaRef, Struct, Transformation, Type, Value,
};

use crate::util::{
    config_error, field_value, parse_config, put_field, replace_null_with_default_key, SchemaCache,
    Side, REPLACE_NULL_WITH_DEFAULT,
};

const SCHEMA_NAME: &str = "schema.name";
const SCHEMA_VERSION: &str = "schema.version";

/// `SetSchemaMetadata`: see the module documentation.
#[derive(Debug)]
pub struct SetSchemaMetadata {
    side: Side,
    name: Option<String>,
    version: Option<i32>,
    replace_null_with_default: bool,
    cache: SchemaCache<SchemaRef>,
}

impl SetSchemaMetadata {
    /// An unconfigured instance for one side of the record.
    pub fn new(side: Side) -> Self {
        SetSchemaMetadata {
            side,
            name: None,
            version: None,
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }

    /// The keys SetSchemaMetadata accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    SCHEMA_NAME,
                    ConfigType::String,
                    Importance::High,
                    "Schema name to set.",
                )
                .default_null(),
            )
            .define(
                ConfigKey::new(
                    SCHEMA_VERSION,
                    ConfigType::Int,
                    Importance::High,
                    "Schema version to set.",
                )
                .default_null(),
            )
            .define(replace_null_with_default_key())
    }

    fn updated(&self, schema: &SchemaRef) -> SchemaRef {
        let mut s = (**schema).clone();
        if let Some(name) = &self.name {
            s.name = Some(name.clone());
        }
        if let Some(version) = self.version {
            s.version = Some(version);
        }
        SchemaRef::new(s)
    }
}

impl Transformation for SetSchemaMetadata {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.name = config.get_string(SCHEMA_NAME).map(str::to_string);
        self.version = match config.get(SCHEMA_VERSION) {
            Some(sluice_api::ConfigValue::Int(v)) => Some(*v),
            _ => None,
        };
        self.replace_null_with_default = config.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        if self.name.is_none() && self.version.is_none() {
            return Err(config_error("Neither schema name nor version configured"));
        }
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let (schema, value) = self.side.take(&mut record);
        let Some(schema) = schema else {
            if value.is_null() {
                return Ok(Some(self.side.set(record, None, value)));
            }
            return Err(ConnectError::data(
                "Schema required for [updating schema metadata]".to_string(),
            ));
        };
        // Java reads `schema.fields()`, which only STRUCT schemas allow.
        if schema.schema_type != Type::Struct {
            return Err(ConnectError::data(
                "Cannot list fields on non-struct type".to_string(),
            ));
        }
        let updated = match self.cache.get(&schema) {
            Some(s) => s,
            None => {
                let s = self.updated(&schema);
                self.cache.put(schema, s.clone());
                s
            }
        };
        let value = match value {
            Value::Struct(original) => {
                let mut out = Struct::new(updated.clone());
                for field in &updated.fields {
                    let source = original.schema().field(&field.name).ok_or_else(|| {
                        ConnectError::data(format!("{} is not a valid field name", field.name))
                    })?;
                    let v = field_value(&original, source, self.replace_null_with_default);
                    put_field(&mut out, field, v)?;
                }
                Value::Struct(out)
            }
            other => other,
        };
        Ok(Some(self.side.set(record, Some(updated), value)))
    }
}
