//! `org.apache.kafka.connect.transforms.Flatten$Key` / `$Value`: flattens nested structs (with
//! a schema) or maps (schemaless) into one level, joining names with a delimiter.

use sluice_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, ConnectResult, Importance,
    Props, Schema, SchemaBuilder, SchemaRef, Struct, Transformation, Type, Value,
};

use crate::cast::java_to_string;
use crate::util::{
    copy_schema_basics, copy_schema_basics_same_type, field_value, map_put, parse_config,
    put_field, require_map, require_struct, SchemaCache, Side,
};

const DELIMITER: &str = "delimiter";
const PURPOSE: &str = "flattening";

/// `Flatten`: see the module documentation.
#[derive(Debug)]
pub struct Flatten {
    side: Side,
    delimiter: String,
    cache: SchemaCache<SchemaRef>,
}

impl Flatten {
    /// An unconfigured instance for one side of the record.
    pub fn new(side: Side) -> Self {
        Flatten {
            side,
            delimiter: ".".to_string(),
            cache: SchemaCache::default(),
        }
    }

    /// The keys Flatten accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                DELIMITER,
                ConfigType::String,
                Importance::Medium,
                "Delimiter to insert between field names from the input record when generating \
                 field names for the output record",
            )
            .default("."),
        )
    }

    fn name(&self, prefix: &str, field: &str) -> String {
        if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}{}{field}", self.delimiter)
        }
    }

    fn flatten_map(
        &self,
        entries: Vec<(Value, Value)>,
        prefix: &str,
        out: &mut Vec<(Value, Value)>,
    ) -> ConnectResult<()> {
        for (key, value) in entries {
            let key = match key {
                Value::String(s) => s,
                other => java_to_string(&other),
            };
            let name = self.name(prefix, &key);
            match value.inferred_type() {
                _ if value.is_null() => map_put(out, &name, Value::Null),
                None => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation was passed a value of type class {} which is not \
                         supported by Connect's data API",
                        value.java_class()
                    )))
                }
                Some(Type::Map) => self.flatten_map(require_map(value, PURPOSE)?, &name, out)?,
                Some(Type::Struct) => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation does not support class {} for record without \
                         schemas (for field {name}).",
                        value.java_class()
                    )))
                }
                Some(_) => map_put(out, &name, value),
            }
        }
        Ok(())
    }

    fn build_schema(
        &self,
        schema: &Schema,
        prefix: &str,
        mut builder: SchemaBuilder,
        optional: bool,
        parent_default: Option<&Struct>,
    ) -> ConnectResult<SchemaBuilder> {
        for field in &schema.fields {
            let name = self.name(prefix, &field.name);
            let field_optional = optional || field.schema.optional;
            let default = match (&field.schema.default, parent_default) {
                (Some(d), _) => Some(d.clone()),
                (None, Some(parent)) => Some(field_value(parent, field, true)),
                (None, None) => None,
            }
            .filter(|d| !d.is_null());
            match field.schema.schema_type {
                Type::Struct => {
                    let nested = match &default {
                        Some(Value::Struct(s)) => Some(s),
                        _ => None,
                    };
                    builder = self.build_schema(&field.schema, &name, builder, field_optional, nested)?;
                }
                Type::Map => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation does not support MAP for record with schemas (for field {name})."
                    )))
                }
                _ => {
                    let mut fb = copy_schema_basics_same_type(&field.schema);
                    if field_optional {
                        fb = fb.optional();
                    }
                    if let Some(d) = default {
                        fb = fb.default_value(d)?;
                    }
                    builder = builder.field(name, fb.build_ref())?;
                }
            }
        }
        Ok(builder)
    }

    fn flatten_struct(
        &self,
        value: &Struct,
        prefix: &str,
        out: &mut Struct,
        out_schema: &SchemaRef,
    ) -> ConnectResult<()> {
        for field in &value.schema().fields {
            let name = self.name(prefix, &field.name);
            match field.schema.schema_type {
                Type::Struct => match field_value(value, field, true) {
                    Value::Struct(nested) => self.flatten_struct(&nested, &name, out, out_schema)?,
                    Value::Null => {}
                    other => {
                        return Err(ConnectError::data(format!(
                            "Invalid Java object for schema with type STRUCT: {}",
                            other.java_class()
                        )))
                    }
                },
                Type::Map => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation does not support MAP for record with schemas (for field {name})."
                    )))
                }
                _ => {
                    let target = out_schema.field(&name).ok_or_else(|| {
                        ConnectError::data(format!("{name} is not a valid field name"))
                    })?;
                    put_field(out, target, field_value(value, field, true))?;
                }
            }
        }
        Ok(())
    }
}

impl Transformation for Flatten {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.delimiter = config.require_string(DELIMITER)?.to_string();
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.side.take(&mut record);
        let Some(schema) = schema else {
            let entries = require_map(value, PURPOSE)?;
            let mut out = Vec::with_capacity(entries.len());
            self.flatten_map(entries, "", &mut out)?;
            return Ok(Some(self.side.set(record, None, Value::Map(out))));
        };
        let value = require_struct(value, PURPOSE)?;
        let updated = match self.cache.get(&schema) {
            Some(s) => s,
            None => {
                let default = match &schema.default {
                    Some(Value::Struct(s)) => Some(s),
                    _ => None,
                };
                let builder = copy_schema_basics(&schema, SchemaBuilder::struct_());
                let s = self
                    .build_schema(&schema, "", builder, schema.optional, default)?
                    .build_ref();
                self.cache.put(schema.clone(), s.clone());
                s
            }
        };
        let mut out = Struct::new(updated.clone());
        self.flatten_struct(&value, "", &mut out, &updated)?;
        Ok(Some(self.side.set(
            record,
            Some(updated),
            Value::Struct(out),
        )))
    }
}
