//! Connect schema → Avro schema, as Confluent's `AvroData.fromConnectSchema`.

use serde_json::{Map, Value as Json};
use sluice_api::logical::{self, Logical};
use sluice_api::{ConnectError, ConnectResult, Schema, Type, Value};

use super::config::AvroDataConfig;
use super::names::*;
use super::schema::{AvroField, AvroSchema, Kind, Name, Props};

/// One conversion: the unnamed-struct counter and the already converted schemas.
pub struct FromConnect<'a> {
    cfg: &'a AvroDataConfig,
    name_index: u32,
    converted: Vec<(Schema, AvroSchema)>,
}

fn err(msg: impl Into<String>) -> ConnectError {
    ConnectError::data(msg.into())
}

/// `AvroData.fromConnectSchema(schema)` for a top-level schema.
pub fn from_connect_schema(cfg: &AvroDataConfig, schema: &Schema) -> ConnectResult<AvroSchema> {
    FromConnect {
        cfg,
        name_index: 0,
        converted: Vec::new(),
    }
    .convert(schema, false)
}

/// Java's `splitName`: `a.b.C` → (`a.b`, `C`); a simple name has no namespace.
pub fn split_name(full: &str) -> (Option<String>, String) {
    match full.rfind('.') {
        Some(i) => (Some(full[..i].to_string()), full[i + 1..].to_string()),
        None => (None, full.to_string()),
    }
}

/// Java's `doScrubName`: characters outside `[A-Za-z0-9_]` become `_`; a leading digit gets
/// an `x` prefix.
pub fn scrub(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        out.insert(0, 'x');
    }
    out
}

fn is_union(schema: &Schema) -> bool {
    schema.is_named(AVRO_TYPE_UNION)
}

impl FromConnect<'_> {
    fn name_or_default(&mut self, name: Option<&str>) -> Name {
        match name {
            Some(n) => {
                let (ns, simple) = split_name(n);
                if self.cfg.scrub_invalid_names {
                    Name {
                        namespace: ns
                            .map(|ns| ns.split('.').map(scrub).collect::<Vec<_>>().join(".")),
                        name: scrub(&simple),
                    }
                } else {
                    Name {
                        namespace: ns,
                        name: simple,
                    }
                }
            }
            None => {
                self.name_index += 1;
                Name {
                    namespace: Some(NAMESPACE.to_string()),
                    name: if self.name_index > 1 {
                        format!("{DEFAULT_SCHEMA_NAME}{}", self.name_index)
                    } else {
                        DEFAULT_SCHEMA_NAME.to_string()
                    },
                }
            }
        }
    }

    fn field_name(&self, name: &str) -> String {
        if self.cfg.scrub_invalid_names {
            scrub(name)
        } else {
            name.to_string()
        }
    }

    /// `fromConnectSchema(schema, context, ignoreOptional)`.
    pub fn convert(&mut self, schema: &Schema, ignore_optional: bool) -> ConnectResult<AvroSchema> {
        if !is_union(schema) && !schema.optional {
            if let Some((_, done)) = self.converted.iter().find(|(s, _)| s == schema) {
                return Ok(done.clone());
            }
        }
        let mut props = Props::new();
        let mut connect_type = None;
        let kind = match schema.schema_type {
            Type::Int8 => {
                connect_type = Some("int8");
                Kind::Int
            }
            Type::Int16 => {
                connect_type = Some("int16");
                Kind::Int
            }
            Type::Int32 => Kind::Int,
            Type::Int64 => Kind::Long,
            Type::Float32 => Kind::Float,
            Type::Float64 => Kind::Double,
            Type::Boolean => Kind::Boolean,
            Type::String => match schema.parameter(AVRO_TYPE_ENUM) {
                Some(enum_name) if self.cfg.enhanced_avro_schema_support => {
                    let prefix = format!("{AVRO_TYPE_ENUM}.");
                    let symbols: Vec<String> = schema
                        .parameters
                        .iter()
                        .flatten()
                        .filter_map(|(k, _)| k.strip_prefix(&prefix).map(str::to_string))
                        .collect();
                    let simple = self.name_or_default(schema.name.as_deref()).name;
                    Kind::Enum {
                        name: Name::parse(enum_name, None),
                        doc: schema
                            .parameter(&format!("{AVRO_ENUM_DOC_PREFIX_PROP}{simple}"))
                            .map(str::to_string),
                        symbols,
                        default: schema
                            .parameter(&format!("{AVRO_ENUM_DEFAULT_PREFIX_PROP}{simple}"))
                            .map(str::to_string),
                    }
                }
                _ => Kind::String,
            },
            Type::Bytes => {
                let kind = match schema.parameter(CONNECT_AVRO_FIXED_SIZE_PROP) {
                    Some(size) => Kind::Fixed {
                        name: self.name_or_default(schema.name.as_deref()),
                        size: size
                            .parse()
                            .map_err(|_| err(format!("Invalid fixed size: {size}")))?,
                    },
                    None => Kind::Bytes,
                };
                if schema.is_named(logical::DECIMAL_NAME) {
                    props.insert(SCALE_PROP.into(), Json::from(decimal_scale(schema)?));
                    props.insert(
                        PRECISION_PROP.into(),
                        Json::from(decimal_precision(schema)?),
                    );
                }
                kind
            }
            Type::Array => {
                let items = schema
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| err("Array schema has no value schema"))?;
                Kind::Array(Box::new(self.convert(items, false)?))
            }
            Type::Map => {
                let key = schema
                    .key_schema
                    .as_deref()
                    .ok_or_else(|| err("Map schema has no key schema"))?;
                let value = schema
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| err("Map schema has no value schema"))?;
                if key.schema_type == Type::String
                    && (!key.optional || self.cfg.allow_optional_map_keys)
                {
                    Kind::Map(Box::new(self.convert(value, false)?))
                } else {
                    let mut entry_props = Props::new();
                    let name = match &schema.name {
                        None => Name {
                            namespace: Some(NAMESPACE.into()),
                            name: MAP_ENTRY_TYPE_NAME.into(),
                        },
                        Some(n) => {
                            entry_props.insert(
                                CONNECT_INTERNAL_TYPE_NAME.into(),
                                MAP_ENTRY_TYPE_NAME.into(),
                            );
                            self.name_or_default(Some(n))
                        }
                    };
                    let fields = vec![
                        self.record_field(KEY_FIELD.into(), key, None)?,
                        self.record_field(VALUE_FIELD.into(), value, None)?,
                    ];
                    let entry = AvroSchema::with_props(
                        Kind::Record {
                            name,
                            doc: None,
                            fields,
                        },
                        entry_props,
                    );
                    Kind::Array(Box::new(entry))
                }
            }
            Type::Struct => {
                if is_union(schema) {
                    let mut branches = Vec::new();
                    if schema.optional {
                        branches.push(AvroSchema::new(Kind::Null));
                    }
                    for f in &schema.fields {
                        let member = if f.schema.optional {
                            f.schema.to_optional_false()
                        } else {
                            (*f.schema).clone()
                        };
                        branches.push(self.convert(&member, true)?);
                    }
                    return Ok(AvroSchema::new(Kind::Union(branches)));
                } else if schema.optional {
                    let inner = self.convert(&schema.to_optional_false(), false)?;
                    return Ok(AvroSchema::new(Kind::Union(vec![
                        AvroSchema::new(Kind::Null),
                        inner,
                    ])));
                } else {
                    let name = self.name_or_default(schema.name.as_deref());
                    let doc = schema.parameter(AVRO_RECORD_DOC_PROP).map(str::to_string);
                    let mut fields = Vec::with_capacity(schema.fields.len());
                    for f in &schema.fields {
                        let doc = schema
                            .parameter(&format!("{AVRO_FIELD_DOC_PREFIX_PROP}{}", f.name))
                            .map(str::to_string);
                        fields.push(self.record_field(self.field_name(&f.name), &f.schema, doc)?);
                    }
                    Kind::Record { name, doc, fields }
                }
            }
        };

        if self.cfg.connect_meta_data {
            if let Some(doc) = &schema.doc {
                props.insert(CONNECT_DOC_PROP.into(), doc.clone().into());
            }
            if let Some(v) = schema.version {
                props.insert(CONNECT_VERSION_PROP.into(), v.into());
            }
            if let Some(params) = &schema.parameters {
                let obj: Map<String, Json> = params
                    .iter()
                    .filter(|(k, _)| k.as_str() != AVRO_FIELD_DEFAULT_FLAG_PROP)
                    .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                    .collect();
                if !obj.is_empty() {
                    props.insert(CONNECT_PARAMETERS_PROP.into(), Json::Object(obj));
                }
            }
            if let Some(d) = &schema.default {
                if schema.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP).is_none() {
                    props.insert(
                        CONNECT_DEFAULT_VALUE_PROP.into(),
                        self.default_json(schema, d)?,
                    );
                }
            }
            if let Some(n) = &schema.name {
                props.insert(CONNECT_NAME_PROP.into(), n.clone().into());
            }
            if let Some(t) = connect_type {
                props.insert(CONNECT_TYPE_PROP.into(), t.into());
            }
        }
        match Logical::of(schema) {
            Some(Logical::Decimal) => {
                // Native and legacy decimal both end as logicalType=decimal.
                props.insert(LOGICAL_TYPE_PROP.into(), "decimal".into());
            }
            Some(Logical::Time) => {
                props.insert(LOGICAL_TYPE_PROP.into(), "time-millis".into());
            }
            Some(Logical::Timestamp) => {
                props.insert(LOGICAL_TYPE_PROP.into(), "timestamp-millis".into());
            }
            Some(Logical::Date) => {
                props.insert(LOGICAL_TYPE_PROP.into(), "date".into());
            }
            None => {}
        }
        for (k, v) in schema.parameters.iter().flatten() {
            if k.starts_with(AVRO_PROP) {
                props.entry(k.clone()).or_insert_with(|| v.clone().into());
            }
        }
        let base = AvroSchema::with_props(kind, props);
        let out = if ignore_optional || !schema.optional {
            base
        } else if schema.default.is_some() {
            AvroSchema::new(Kind::Union(vec![base, AvroSchema::new(Kind::Null)]))
        } else {
            AvroSchema::new(Kind::Union(vec![AvroSchema::new(Kind::Null), base]))
        };
        if !schema.optional {
            self.converted.push((schema.clone(), out.clone()));
        }
        Ok(out)
    }

    fn record_field(
        &mut self,
        name: String,
        schema: &Schema,
        doc: Option<String>,
    ) -> ConnectResult<AvroField> {
        let default = match &schema.default {
            Some(d) => Some(self.default_json(schema, d)?),
            None if schema.optional => Some(Json::Null),
            None => None,
        };
        Ok(AvroField {
            name,
            schema: self.convert(schema, false)?,
            doc,
            default,
            props: Props::new(),
        })
    }

    /// `defaultValueFromConnect`: a Connect default as Avro JSON.
    pub fn default_json(&self, schema: &Schema, value: &Value) -> ConnectResult<Json> {
        if value.is_null() {
            return Ok(Json::Null);
        }
        let physical = logical::to_physical(schema, value)?;
        let bad = || {
            err(format!(
                "Invalid type used for default value of {} field: class {}",
                schema.schema_type,
                value.java_class()
            ))
        };
        Ok(match (schema.schema_type, &physical) {
            (Type::Int8, Value::Int8(v)) => (*v).into(),
            (Type::Int16, Value::Int16(v)) => (*v).into(),
            (Type::Int32, Value::Int32(v)) => (*v).into(),
            (Type::Int64, Value::Int64(v)) => (*v).into(),
            (Type::Float32, Value::Float32(v)) => Json::from(f64::from(*v)),
            (Type::Float64, Value::Float64(v)) => Json::from(*v),
            (Type::Boolean, Value::Boolean(v)) => (*v).into(),
            (Type::String, Value::String(v)) => v.clone().into(),
            (Type::Bytes, Value::Bytes(b)) => Json::String(b.iter().map(|&c| c as char).collect()),
            (Type::Array, Value::Array(items)) => {
                let es = schema.value_schema.as_deref().ok_or_else(bad)?;
                Json::Array(
                    items
                        .iter()
                        .map(|i| self.default_json(es, i))
                        .collect::<ConnectResult<_>>()?,
                )
            }
            (Type::Map, Value::Map(entries)) => {
                let ks = schema.key_schema.as_deref().ok_or_else(bad)?;
                let vs = schema.value_schema.as_deref().ok_or_else(bad)?;
                if ks.schema_type == Type::String
                    && (!ks.optional || self.cfg.allow_optional_map_keys)
                {
                    let mut o = Map::new();
                    for (k, v) in entries {
                        o.insert(
                            k.as_str().ok_or_else(bad)?.to_string(),
                            self.default_json(vs, v)?,
                        );
                    }
                    Json::Object(o)
                } else {
                    Json::Array(
                        entries
                            .iter()
                            .map(|(k, v)| {
                                Ok(Json::Array(vec![
                                    self.default_json(ks, k)?,
                                    self.default_json(vs, v)?,
                                ]))
                            })
                            .collect::<ConnectResult<_>>()?,
                    )
                }
            }
            (Type::Struct, Value::Struct(s)) => {
                let mut o = Map::new();
                for f in &schema.fields {
                    let v = self.default_json(&f.schema, s.get(&f.name)?)?;
                    if is_union(schema) {
                        return Ok(v);
                    }
                    o.insert(self.field_name(&f.name), v);
                }
                Json::Object(o)
            }
            _ => return Err(bad()),
        })
    }
}

/// The `scale` of a Decimal schema.
pub fn decimal_scale(schema: &Schema) -> ConnectResult<i32> {
    logical::decimal_scale(schema)
}

/// The precision a Decimal schema is written with (`connect.decimal.precision`, default 64).
pub fn decimal_precision(schema: &Schema) -> ConnectResult<i32> {
    match schema.parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP) {
        Some(p) => p.parse().map_err(|_| {
            err(format!(
                "Invalid {CONNECT_AVRO_DECIMAL_PRECISION_PROP}: {p}"
            ))
        }),
        None => Ok(DECIMAL_PRECISION_DEFAULT),
    }
}

/// A schema copy that is required (Java's `nonOptional`).
trait NonOptional {
    fn to_optional_false(&self) -> Schema;
}

impl NonOptional for Schema {
    fn to_optional_false(&self) -> Schema {
        let mut s = self.clone();
        s.optional = false;
        s
    }
}
