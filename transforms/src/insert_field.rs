//! `org.apache.kafka.connect.transforms.InsertField$Key` / `$Value`: inserts the record's topic,
//! partition, offset, timestamp and/or a static value as fields.

use sluice_api::logical;
use sluice_api::transform::apply_by_editing;
use sluice_api::{
    schemas, ConfigDef, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Importance, Props,
    SchemaBuilder, SchemaRef, Struct, Transformation, Value,
};

use crate::util::{
    config_error, copy_schema_basics, field_value, map_put, parse_config, put_field,
    replace_null_with_default_key, require_map_ref, require_sink_offset, require_struct,
    SchemaCache, Side, REPLACE_NULL_WITH_DEFAULT,
};

const TOPIC_FIELD: &str = "topic.field";
const PARTITION_FIELD: &str = "partition.field";
const OFFSET_FIELD: &str = "offset.field";
const TIMESTAMP_FIELD: &str = "timestamp.field";
const STATIC_FIELD: &str = "static.field";
const STATIC_VALUE: &str = "static.value";
const PURPOSE: &str = "field insertion";
const OPTIONALITY_DOC: &str = "Suffix with <code>!</code> to make this a required field, or \
                               <code>?</code> to keep it optional (the default).";

/// A field to insert: its name and whether its schema is optional (`name?`, `name!`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct InsertionSpec {
    name: String,
    optional: bool,
}

impl InsertionSpec {
    fn parse(spec: Option<&str>) -> Option<InsertionSpec> {
        let spec = spec?;
        Some(if let Some(name) = spec.strip_suffix('?') {
            InsertionSpec {
                name: name.to_string(),
                optional: true,
            }
        } else if let Some(name) = spec.strip_suffix('!') {
            InsertionSpec {
                name: name.to_string(),
                optional: false,
            }
        } else {
            InsertionSpec {
                name: spec.to_string(),
                optional: true,
            }
        })
    }
}

/// `InsertField`: see the module documentation.
#[derive(Debug)]
pub struct InsertField {
    side: Side,
    topic: Option<InsertionSpec>,
    partition: Option<InsertionSpec>,
    offset: Option<InsertionSpec>,
    timestamp: Option<InsertionSpec>,
    static_field: Option<InsertionSpec>,
    static_value: Option<String>,
    replace_null_with_default: bool,
    cache: SchemaCache<SchemaRef>,
}

impl InsertField {
    /// An unconfigured instance for one side of the record.
    pub fn new(side: Side) -> Self {
        InsertField {
            side,
            topic: None,
            partition: None,
            offset: None,
            timestamp: None,
            static_field: None,
            static_value: None,
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }

    /// The keys InsertField accepts.
    pub fn definition() -> ConfigDef {
        let field = |key: &str, doc: &str| {
            ConfigKey::new(key, ConfigType::String, Importance::Medium, doc).default_null()
        };
        ConfigDef::new()
            .define(field(
                TOPIC_FIELD,
                &format!("Field name for Kafka topic. {OPTIONALITY_DOC}"),
            ))
            .define(field(
                PARTITION_FIELD,
                &format!("Field name for Kafka partition. {OPTIONALITY_DOC}"),
            ))
            .define(field(
                OFFSET_FIELD,
                &format!(
                    "Field name for Kafka offset - only applicable to sink connectors.<br/>{OPTIONALITY_DOC}"
                ),
            ))
            .define(field(
                TIMESTAMP_FIELD,
                &format!("Field name for record timestamp. {OPTIONALITY_DOC}"),
            ))
            .define(field(
                STATIC_FIELD,
                &format!("Field name for static data field. {OPTIONALITY_DOC}"),
            ))
            .define(field(
                STATIC_VALUE,
                "Static field value, if field name configured.",
            ))
            .define(replace_null_with_default_key())
    }

    fn updated_schema(&self, schema: &SchemaRef) -> ConnectResult<SchemaRef> {
        let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
        for field in &schema.fields {
            builder = builder.field(field.name.clone(), field.schema.clone())?;
        }
        let pick =
            |optional: bool, opt: SchemaRef, req: SchemaRef| if optional { opt } else { req };
        if let Some(s) = &self.topic {
            builder = builder.field(
                s.name.clone(),
                pick(s.optional, schemas::optional_string(), schemas::string()),
            )?;
        }
        if let Some(s) = &self.partition {
            builder = builder.field(
                s.name.clone(),
                pick(s.optional, schemas::optional_int32(), schemas::int32()),
            )?;
        }
        if let Some(s) = &self.offset {
            builder = builder.field(
                s.name.clone(),
                pick(s.optional, schemas::optional_int64(), schemas::int64()),
            )?;
        }
        if let Some(s) = &self.timestamp {
            let ts = logical::timestamp().with_optional(s.optional).build_ref();
            builder = builder.field(s.name.clone(), ts)?;
        }
        if let Some(s) = &self.static_field {
            builder = builder.field(
                s.name.clone(),
                pick(s.optional, schemas::optional_string(), schemas::string()),
            )?;
        }
        Ok(builder.build_ref())
    }

    /// The schemaless insertions ([`InsertField::insertions`] with epoch-millisecond
    /// timestamps), put into the map in the record itself, one by one: the record is not moved
    /// out and back, and no list of insertions is built.
    fn insert_schemaless(&self, record: &mut ConnectRecord) -> ConnectResult<()> {
        let topic = match &self.topic {
            Some(s) => Some((s, record.topic.clone())),
            None => None,
        };
        let partition = record.kafka_partition;
        let timestamp = record.timestamp;
        let offset = match &self.offset {
            Some(s) => Some((s, require_sink_offset(record, PURPOSE)?)),
            None => None,
        };
        let Value::Map(map) = self.side.value_mut(record) else {
            return Ok(());
        };
        if let Some((s, topic)) = topic {
            map_put(map, &s.name, topic.map_or(Value::Null, Value::String));
        }
        if let (Some(s), Some(p)) = (&self.partition, partition) {
            map_put(map, &s.name, Value::Int32(p));
        }
        if let Some((s, offset)) = offset {
            map_put(map, &s.name, Value::Int64(offset));
        }
        if let (Some(s), Some(ts)) = (&self.timestamp, timestamp) {
            map_put(map, &s.name, Value::Int64(ts));
        }
        if let (Some(s), Some(v)) = (&self.static_field, &self.static_value) {
            map_put(map, &s.name, Value::String(v.clone()));
        }
        Ok(())
    }

    /// The (field name, value) pairs to insert; `timestamp_as_date` selects the schema'd form.
    fn insertions(
        &self,
        record: &ConnectRecord,
        timestamp_as_date: bool,
    ) -> ConnectResult<impl Iterator<Item = (&str, Value)>> {
        // A fixed array, not a Vec: no allocation per record.
        let topic = self.topic.as_ref().map(|s| {
            (
                s.name.as_str(),
                record.topic.clone().map_or(Value::Null, Value::String),
            )
        });
        let partition = match (&self.partition, record.kafka_partition) {
            (Some(s), Some(p)) => Some((s.name.as_str(), Value::Int32(p))),
            _ => None,
        };
        let offset = match &self.offset {
            Some(s) => Some((
                s.name.as_str(),
                Value::Int64(require_sink_offset(record, PURPOSE)?),
            )),
            None => None,
        };
        let timestamp = match (&self.timestamp, record.timestamp) {
            (Some(s), Some(ts)) => Some((
                s.name.as_str(),
                if timestamp_as_date {
                    Value::Date(ts)
                } else {
                    Value::Int64(ts)
                },
            )),
            _ => None,
        };
        let static_field = match (&self.static_field, &self.static_value) {
            (Some(s), Some(v)) => Some((s.name.as_str(), Value::String(v.clone()))),
            _ => None,
        };
        Ok([topic, partition, offset, timestamp, static_field]
            .into_iter()
            .flatten())
    }
}

impl Transformation for InsertField {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.topic = InsertionSpec::parse(config.get_string(TOPIC_FIELD));
        self.partition = InsertionSpec::parse(config.get_string(PARTITION_FIELD));
        self.offset = InsertionSpec::parse(config.get_string(OFFSET_FIELD));
        self.timestamp = InsertionSpec::parse(config.get_string(TIMESTAMP_FIELD));
        self.static_field = InsertionSpec::parse(config.get_string(STATIC_FIELD));
        self.static_value = config.get_string(STATIC_VALUE).map(str::to_string);
        self.replace_null_with_default = config.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        if self.topic.is_none()
            && self.partition.is_none()
            && self.offset.is_none()
            && self.timestamp.is_none()
            && self.static_field.is_none()
        {
            return Err(config_error("No field insertion configured"));
        }
        if let (Some(field), None) = (&self.static_field, &self.static_value) {
            return Err(sluice_api::ConfigError::invalid(
                STATIC_VALUE,
                "null",
                format!("No value specified for static field: {}", field.name),
            )
            .into());
        }
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        apply_by_editing(self, record)
    }

    fn apply_in_place(&mut self, record: &mut ConnectRecord) -> ConnectResult<bool> {
        if self.side.value(record).is_null() {
            return Ok(true);
        }
        if self.side.schema(record).is_none() {
            require_map_ref(self.side.value(record), PURPOSE)?;
            self.insert_schemaless(record)?;
            return Ok(true);
        }
        let (schema, value) = self.side.take(record);
        match schema {
            None => {
                self.side.put(record, None, value);
                Ok(true)
            }
            Some(_) => {
                let value = require_struct(value, PURPOSE)?;
                let input_schema = value.schema().clone();
                let updated = match self.cache.get(&input_schema) {
                    Some(s) => s,
                    None => {
                        let s = self.updated_schema(&input_schema)?;
                        self.cache.put(input_schema.clone(), s.clone());
                        s
                    }
                };
                let mut out = Struct::new(updated.clone());
                for field in &input_schema.fields {
                    let v = field_value(&value, field, self.replace_null_with_default);
                    put_field(&mut out, &updated.fields[field.index], v)?;
                }
                for (name, v) in self.insertions(record, true)? {
                    if let Some(f) = updated.field(name) {
                        put_field(&mut out, f, v)?;
                    }
                }
                self.side.put(record, Some(updated), Value::Struct(out));
                Ok(true)
            }
        }
    }
}
