//! Helpers shared by the transformations: which side of the record they operate on, Java's
//! `Requirements` checks, `SchemaUtil.copySchemaBasics`, struct and map access, and the
//! per-transformation schema cache.

use std::sync::Arc;

use sluice_api::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConnectError, ConnectRecord, ConnectResult,
    Field, Importance, ParsedConfig, Props, Schema, SchemaBuilder, SchemaRef, Struct, Type, Value,
};

/// Parses a transformation's own props against its definition (`new SimpleConfig(def, props)`);
/// the error is the first key's, as Java throws at the first.
pub fn parse_config(def: &ConfigDef, props: &Props) -> ConnectResult<ParsedConfig> {
    def.parse(props).map_err(|errors| {
        ConnectError::Config(
            errors
                .errors
                .into_iter()
                .next()
                .unwrap_or_else(|| ConfigError::general("Invalid configuration")),
        )
    })
}

/// A configuration error not tied to one key (`new ConfigException(message)`).
pub fn config_error(message: impl Into<String>) -> ConnectError {
    ConnectError::Config(ConfigError::general(message))
}

/// The key of the `replace.null.with.default` option shared by many transformations.
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// The `replace.null.with.default` key definition (KIP-1040).
pub fn replace_null_with_default_key() -> ConfigKey {
    ConfigKey::new(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType::Boolean,
        Importance::Medium,
        "Whether to replace fields that have a default value and that are null to the default \
         value. When set to true, the default value is used, otherwise null is used.",
    )
    .default("true")
}

/// The part of a record a `$Key`/`$Value` transformation operates on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The record key (`…$Key`).
    Key,
    /// The record value (`…$Value`).
    Value,
}

impl Side {
    /// The operating schema (`operatingSchema(record)`).
    pub fn schema(self, record: &ConnectRecord) -> Option<&SchemaRef> {
        match self {
            Side::Key => record.key_schema.as_ref(),
            Side::Value => record.value_schema.as_ref(),
        }
    }

    /// The operating value (`operatingValue(record)`).
    pub fn value(self, record: &ConnectRecord) -> &Value {
        match self {
            Side::Key => &record.key,
            Side::Value => &record.value,
        }
    }

    /// The operating value, to change in place.
    #[inline]
    pub fn value_mut(self, record: &mut ConnectRecord) -> &mut Value {
        match self {
            Side::Key => &mut record.key,
            Side::Value => &mut record.value,
        }
    }

    /// Moves the operating schema and value out of the record, leaving null in their place.
    #[inline]
    pub fn take(self, record: &mut ConnectRecord) -> (Option<SchemaRef>, Value) {
        match self {
            Side::Key => (record.key_schema.take(), std::mem::take(&mut record.key)),
            Side::Value => (
                record.value_schema.take(),
                std::mem::take(&mut record.value),
            ),
        }
    }

    /// Puts a new operating schema and value into the record (`newRecord`).
    #[inline]
    pub fn set(
        self,
        mut record: ConnectRecord,
        schema: Option<SchemaRef>,
        value: Value,
    ) -> ConnectRecord {
        self.put(&mut record, schema, value);
        record
    }

    /// [`Side::set`] on a record in place.
    #[inline]
    pub fn put(self, record: &mut ConnectRecord, schema: Option<SchemaRef>, value: Value) {
        match self {
            Side::Key => {
                record.key_schema = schema;
                record.key = value;
            }
            Side::Value => {
                record.value_schema = schema;
                record.value = value;
            }
        }
    }
}

/// Java's `nullSafeClassName`.
fn class_name(value: &Value) -> &'static str {
    value.java_class()
}

/// `Requirements.requireMap`: the entries of a map value, or Java's `DataException`.
pub fn require_map(value: Value, purpose: &str) -> ConnectResult<Vec<(Value, Value)>> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(ConnectError::data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            class_name(&other)
        ))),
    }
}

/// `Requirements.requireMap` on a borrowed value.
pub fn require_map_ref<'a>(value: &'a Value, purpose: &str) -> ConnectResult<&'a [(Value, Value)]> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(ConnectError::data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            class_name(other)
        ))),
    }
}

/// `Requirements.requireStruct`: the struct, or Java's `DataException`.
pub fn require_struct(value: Value, purpose: &str) -> ConnectResult<Struct> {
    match value {
        Value::Struct(s) => Ok(s),
        other => Err(ConnectError::data(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            class_name(&other)
        ))),
    }
}

/// `Requirements.requireStruct` on a borrowed value.
pub fn require_struct_ref<'a>(value: &'a Value, purpose: &str) -> ConnectResult<&'a Struct> {
    match value {
        Value::Struct(s) => Ok(s),
        other => Err(ConnectError::data(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            class_name(other)
        ))),
    }
}

/// `Requirements.requireSinkRecord`: the Kafka offset of a sink record.
pub fn require_sink_offset(record: &ConnectRecord, purpose: &str) -> ConnectResult<i64> {
    record.kafka_offset().ok_or_else(|| {
        ConnectError::data(format!(
            "Only SinkRecord supported for [{purpose}], found: org.apache.kafka.connect.source.SourceRecord"
        ))
    })
}

/// `SchemaUtil.copySchemaBasics`: name, version, doc and parameters (not optional, not the
/// default).
pub fn copy_schema_basics(source: &Schema, mut builder: SchemaBuilder) -> SchemaBuilder {
    if let Some(name) = &source.name {
        builder = builder.name(name.clone());
    }
    if let Some(version) = source.version {
        builder = builder.version(version);
    }
    if let Some(doc) = &source.doc {
        builder = builder.doc(doc.clone());
    }
    if let Some(params) = &source.parameters {
        builder = builder.parameters(params.clone());
    }
    builder
}

/// `SchemaUtil.copySchemaBasics(source)`: a builder of the same type (arrays keep their element
/// schema; maps, like Java's `new SchemaBuilder(MAP)`, get none) with the basics copied.
pub fn copy_schema_basics_same_type(source: &Schema) -> SchemaBuilder {
    let builder = match (source.schema_type, &source.value_schema) {
        (Type::Array, Some(element)) => SchemaBuilder::array(element.clone()),
        (t, _) => SchemaBuilder::new(t),
    };
    copy_schema_basics(source, builder)
}

/// A struct field's value by index: `Struct.get` (the field default replaces a null) when
/// `with_default`, else `Struct.getWithoutDefault`.
pub fn field_value(value: &Struct, field: &Field, with_default: bool) -> Value {
    let raw = value.get_index(field.index);
    if raw.is_null() && with_default {
        if let Some(default) = &field.schema.default {
            return default.clone();
        }
    }
    raw.clone()
}

/// `Struct.put(field, value)`: validates `value` against the field's schema, with Java's
/// messages, then stores it.
pub fn put_field(target: &mut Struct, field: &Field, value: Value) -> ConnectResult<()> {
    if value.is_null() {
        if !field.schema.optional {
            return Err(ConnectError::data(format!(
                "Invalid value: null used for required field: \"{}\", schema type: {}",
                field.name, field.schema.schema_type
            )));
        }
    } else {
        field.schema.validate_value(&value)?;
    }
    target.put_index(field.index, value);
    Ok(())
}

/// Looks a string key up in schemaless map entries.
pub fn map_get<'a>(entries: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// `Map.put` with a string key: replaces the value of an existing key, else appends.
pub fn map_put(entries: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some((_, v)) => *v = value,
        None => entries.push((Value::String(key.to_string()), value)),
    }
}

/// `Map.put` with a string key already made a [`Value`]: replaces the value of an existing
/// key (keeping its place), else appends the entry.
pub fn map_put_key(entries: &mut Vec<(Value, Value)>, key: Value, value: Value) {
    let existing = match key.as_str() {
        Some(name) => entries.iter_mut().find(|(k, _)| k.as_str() == Some(name)),
        None => None,
    };
    match existing {
        Some((_, v)) => *v = value,
        None => entries.push((key, value)),
    }
}

/// `Map.remove` with a string key.
pub fn map_remove(entries: &mut Vec<(Value, Value)>, key: &str) {
    entries.retain(|(k, _)| k.as_str() != Some(key));
}

/// The key of a schemaless map entry as Java would see it in a `Map<String, Object>`.
pub fn key_string(key: &Value) -> Option<&str> {
    key.as_str()
}

/// Java's `LRUCache<Schema, V>(16)` of derived schemas, keyed by input schema. A lookup first
/// compares pointers (the common case: converters share one schema instance across records),
/// then falls back to schema equality, as Java's `equals`-based cache does.
#[derive(Debug)]
pub struct SchemaCache<V> {
    entries: Vec<(SchemaRef, V, u64)>,
    tick: u64,
}

impl<V: Clone> Default for SchemaCache<V> {
    fn default() -> Self {
        SchemaCache {
            entries: Vec::new(),
            tick: 0,
        }
    }
}

impl<V: Clone> SchemaCache<V> {
    /// Capacity, as Java's transformations use.
    pub const CAPACITY: usize = 16;

    /// The cached value for `key`, marking it recently used.
    pub fn get(&mut self, key: &SchemaRef) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        let index = self
            .entries
            .iter()
            .position(|(k, _, _)| Arc::ptr_eq(k, key))
            .or_else(|| self.entries.iter().position(|(k, _, _)| **k == **key))?;
        let entry = &mut self.entries[index];
        entry.2 = tick;
        Some(entry.1.clone())
    }

    /// Stores `value` for `key`, evicting the least recently used entry when full.
    pub fn put(&mut self, key: SchemaRef, value: V) {
        self.tick += 1;
        if self.entries.len() >= Self::CAPACITY {
            if let Some(oldest) = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, _, t))| *t)
                .map(|(i, _)| i)
            {
                self.entries.swap_remove(oldest);
            }
        }
        self.entries.push((key, value, self.tick));
    }

    /// The cached value for `key`, or the result of `build`, which is then cached.
    pub fn get_or_build(
        &mut self,
        key: &SchemaRef,
        build: impl FnOnce() -> ConnectResult<V>,
    ) -> ConnectResult<V> {
        if let Some(v) = self.get(key) {
            return Ok(v);
        }
        let v = build()?;
        self.put(key.clone(), v.clone());
        Ok(v)
    }

    /// Number of cached entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::schemas;

    #[test]
    fn cache_hits_by_pointer_and_by_equality_and_evicts_lru() {
        let mut cache: SchemaCache<i32> = SchemaCache::default();
        let a = SchemaBuilder::struct_()
            .field("a", schemas::int32())
            .unwrap()
            .build_ref();
        cache.put(a.clone(), 1);
        assert_eq!(cache.get(&a), Some(1));
        let equal = Arc::new((*a).clone());
        assert_eq!(cache.get(&equal), Some(1));
        for i in 0..16 {
            cache.put(SchemaBuilder::int32().version(i).build_ref(), i);
            // keep `a` hot so it is never the eviction victim
            assert_eq!(cache.get(&a), Some(1));
        }
        assert_eq!(cache.len(), 16);
        assert_eq!(
            cache.get(&SchemaBuilder::int32().version(0).build_ref()),
            None
        );
    }

    #[test]
    fn requirement_messages_match_java() {
        let e = require_map(Value::Int32(1), "x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Only Map objects supported in absence of schema for [x], found: java.lang.Integer"
        );
        let e = require_struct(Value::Null, "y").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Only Struct objects supported for [y], found: null"
        );
    }

    #[test]
    fn put_field_rejects_null_for_required() {
        let schema = SchemaBuilder::struct_()
            .field("a", schemas::int32())
            .unwrap()
            .build_ref();
        let mut s = Struct::new(schema.clone());
        let err = put_field(&mut s, &schema.fields[0], Value::Null).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value: null used for required field: \"a\", schema type: INT32"
        );
        assert!(put_field(&mut s, &schema.fields[0], Value::from("x")).is_err());
        put_field(&mut s, &schema.fields[0], Value::Int32(3)).unwrap();
        assert_eq!(s.get_index(0), &Value::Int32(3));
    }
}
