//! `org.apache.kafka.connect.transforms.HoistField$Key` / `$Value`: wraps the whole key or value
//! in a struct (with a schema) or a map (schemaless) with one field.

use sluice_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Importance, Props,
    SchemaBuilder, SchemaRef, Struct, Transformation, Value,
};

use crate::util::{parse_config, put_field, SchemaCache, Side};

const FIELD: &str = "field";

/// `HoistField`: see the module documentation.
#[derive(Debug)]
pub struct HoistField {
    side: Side,
    field: String,
    cache: SchemaCache<SchemaRef>,
}

impl HoistField {
    /// An unconfigured instance for one side of the record.
    pub fn new(side: Side) -> Self {
        HoistField {
            side,
            field: String::new(),
            cache: SchemaCache::default(),
        }
    }

    /// The keys HoistField accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new(
            FIELD,
            ConfigType::String,
            Importance::Medium,
            "Field name for the single field that will be created in the resulting Struct or Map.",
        ))
    }
}

impl Transformation for HoistField {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.field = config.require_string(FIELD)?.to_string();
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => {
                let map = Value::Map(vec![(Value::String(self.field.clone()), value)]);
                Ok(Some(self.side.set(record, None, map)))
            }
            Some(schema) => {
                let updated = match self.cache.get(&schema) {
                    Some(s) => s,
                    None => {
                        let s = SchemaBuilder::struct_()
                            .field(self.field.clone(), schema.clone())?
                            .build_ref();
                        self.cache.put(schema, s.clone());
                        s
                    }
                };
                let mut out = Struct::new(updated.clone());
                put_field(&mut out, &updated.fields[0], value)?;
                Ok(Some(self.side.set(
                    record,
                    Some(updated),
                    Value::Struct(out),
                )))
            }
        }
    }
}
