//! Avro schema → Connect schema, as Confluent's `AvroData.toConnectSchema`.

use std::collections::HashSet;

use serde_json::Value as Json;
use sluice_api::logical;
use sluice_api::{
    schemas, ConnectError, ConnectResult, Schema, SchemaBuilder, SchemaRef, Struct, Type, Value,
};
use tracing::warn;

use super::config::AvroDataConfig;
use super::names::*;
use super::schema::{AvroSchema, Kind};

fn err(msg: impl Into<String>) -> ConnectError {
    ConnectError::data(msg.into())
}

/// `AvroData.toConnectSchema(schema, version)` for a top-level schema; `version` is the
/// registry version, used when the schema carries no `connect.version`.
pub fn to_connect_schema(
    cfg: &AvroDataConfig,
    schema: &AvroSchema,
    version: Option<i32>,
) -> ConnectResult<SchemaRef> {
    convert(cfg, schema, false, None, version).map(std::sync::Arc::new)
}

/// The Connect union field name of an Avro union branch.
pub fn union_member_name(cfg: &AvroDataConfig, schema: &AvroSchema) -> String {
    match schema.name() {
        Some(n) if cfg.enhanced_avro_schema_support => n.full(),
        Some(n) => n.name.clone(),
        None => schema.type_name().to_string(),
    }
}

fn is_map_entry(s: &AvroSchema) -> bool {
    match s.kind() {
        Kind::Record { name, .. } => {
            (name.namespace.as_deref() == Some(NAMESPACE) && name.name == MAP_ENTRY_TYPE_NAME)
                || s.prop_str(CONNECT_INTERNAL_TYPE_NAME) == Some(MAP_ENTRY_TYPE_NAME)
        }
        _ => false,
    }
}

fn convert(
    cfg: &AvroDataConfig,
    schema: &AvroSchema,
    force_optional: bool,
    field_default: Option<&Json>,
    version: Option<i32>,
) -> ConnectResult<Schema> {
    let connect_type = schema.prop_str(CONNECT_TYPE_PROP);
    let logical_type = schema.prop_str(LOGICAL_TYPE_PROP);
    let is_logical = |t: &str| logical_type.is_some_and(|l| l.eq_ignore_ascii_case(t));
    let mut b = match schema.kind() {
        Kind::Boolean => SchemaBuilder::boolean(),
        Kind::Bytes | Kind::Fixed { .. } => {
            let mut b = if is_logical("decimal") {
                let scale = match schema.props().get(SCALE_PROP) {
                    Some(Json::Number(n)) => n.as_i64().unwrap_or(0) as i32,
                    _ => 0,
                };
                let mut b = logical::decimal(scale);
                match schema.props().get(PRECISION_PROP) {
                    None => {}
                    Some(Json::Number(n)) => {
                        let p = n.as_i64().unwrap_or(0);
                        if p != i64::from(DECIMAL_PRECISION_DEFAULT) {
                            b = b.parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP, p.to_string());
                        }
                    }
                    Some(_) => {
                        return Err(err(
                            "precision property must be a JSON Integer. https://avro.apache.org/docs/1.9.1/spec.html#Decimal",
                        ))
                    }
                }
                b
            } else {
                SchemaBuilder::bytes()
            };
            if let Kind::Fixed { size, .. } = schema.kind() {
                b = b.parameter(CONNECT_AVRO_FIXED_SIZE_PROP, size.to_string());
            }
            b
        }
        Kind::Double => SchemaBuilder::float64(),
        Kind::Float => SchemaBuilder::float32(),
        Kind::Int => match (connect_type, logical_type) {
            (None, None) => SchemaBuilder::int32(),
            (_, Some(_)) if is_logical("date") => logical::date(),
            (_, Some(_)) if is_logical("time-millis") => logical::time(),
            (_, Some(_)) => SchemaBuilder::int32(),
            (Some("int8"), None) => SchemaBuilder::int8(),
            (Some("int16"), None) => SchemaBuilder::int16(),
            (Some(other), None) => match Type::from_name(other) {
                Some(t) => SchemaBuilder::new(t),
                None => return Err(err("Connect type annotation for Avro int field is null")),
            },
        },
        Kind::Long => {
            if is_logical("timestamp-millis") {
                logical::timestamp()
            } else {
                SchemaBuilder::int64()
            }
        }
        Kind::String => SchemaBuilder::string(),
        Kind::Array(items) => {
            if is_map_entry(items) {
                let Kind::Record { fields, .. } = items.kind() else {
                    unreachable!("is_map_entry checks for a record")
                };
                let key = fields.iter().find(|f| f.name == KEY_FIELD);
                let value = fields.iter().find(|f| f.name == VALUE_FIELD);
                match (fields.len(), key, value) {
                    (2, Some(k), Some(v)) => SchemaBuilder::map(
                        to_connect_schema(cfg, &k.schema, None)?,
                        to_connect_schema(cfg, &v.schema, None)?,
                    ),
                    _ => {
                        return Err(err(
                            "Found map encoded as array of key-value pairs, but array elements do not match the expected format.",
                        ))
                    }
                }
            } else {
                SchemaBuilder::array(std::sync::Arc::new(convert(cfg, items, false, None, None)?))
            }
        }
        Kind::Map(values) => SchemaBuilder::map(
            schemas::string(),
            std::sync::Arc::new(convert(cfg, values, false, None, None)?),
        ),
        Kind::Record { doc, fields, .. } => {
            let mut b = SchemaBuilder::struct_();
            if cfg.connect_meta_data {
                if let Some(d) = doc {
                    b = b.parameter(AVRO_RECORD_DOC_PROP, d.clone());
                }
            }
            for f in fields {
                if cfg.connect_meta_data {
                    if let Some(d) = &f.doc {
                        b = b.parameter(
                            format!("{AVRO_FIELD_DOC_PREFIX_PROP}{}", f.name),
                            d.clone(),
                        );
                    }
                }
                let mut fs = convert(cfg, &f.schema, false, f.default.as_ref(), None)?;
                if cfg.connect_meta_data {
                    if let Some(Json::Object(params)) = f.props.get(CONNECT_PARAMETERS_PROP) {
                        let p = fs.parameters.get_or_insert_with(Default::default);
                        for (k, v) in params {
                            if let Json::String(v) = v {
                                p.insert(k.clone(), v.clone());
                            }
                        }
                    }
                }
                b = b.field(f.name.clone(), std::sync::Arc::new(fs))?;
            }
            b
        }
        Kind::Enum {
            name,
            doc,
            symbols,
            default,
        } => {
            let mut b = SchemaBuilder::string();
            if cfg.connect_meta_data {
                if let Some(d) = doc {
                    b = b.parameter(
                        format!("{AVRO_ENUM_DOC_PREFIX_PROP}{}", name.name),
                        d.clone(),
                    );
                }
                if let Some(d) = default {
                    b = b.parameter(
                        format!("{AVRO_ENUM_DEFAULT_PREFIX_PROP}{}", name.name),
                        d.clone(),
                    );
                }
            }
            b = b.parameter(AVRO_TYPE_ENUM, name.full());
            for s in symbols {
                b = b.parameter(format!("{AVRO_TYPE_ENUM}.{s}"), s.clone());
            }
            b
        }
        Kind::Union(branches) => {
            if branches.len() == 1 && cfg.flatten_singleton_unions {
                return convert(cfg, &branches[0], false, None, None);
            }
            if branches.len() == 2 {
                if let Some(other) = nullable_branch(branches) {
                    return convert(cfg, other, true, None, None);
                }
            }
            let mut b = SchemaBuilder::struct_().name(AVRO_TYPE_UNION);
            let mut names = HashSet::new();
            for m in branches {
                if matches!(m.kind(), Kind::Null) {
                    b = b.optional();
                    continue;
                }
                let field = union_member_name(cfg, m);
                if !names.insert(field.clone()) {
                    return Err(err(
                        "Multiple union schemas map to the Connect union field name",
                    ));
                }
                b = b.field(
                    field,
                    std::sync::Arc::new(convert(cfg, m, true, None, None)?),
                )?;
            }
            b
        }
        Kind::Null => {
            return Err(err(
                "Standalone null schemas are not supported by this converter",
            ))
        }
    };

    if cfg.connect_meta_data {
        if let Some(d) = schema.prop_str(CONNECT_DOC_PROP) {
            b = b.doc(d);
        }
    }
    let version = match schema.props().get(CONNECT_VERSION_PROP) {
        Some(Json::Number(n)) => n.as_i64().map(|v| v as i32),
        Some(other) => return Err(err(format!("Invalid Connect version found: {other}"))),
        None => version,
    };
    if let Some(v) = version.filter(|v| *v >= 0) {
        match b.clone().build().version {
            Some(existing) if existing != v => {
                return Err(err(format!(
                    "Mismatched versions: version already added to SchemaBuilder ({existing}) differs from version in source schema ({v})"
                )))
            }
            Some(_) => {}
            None => b = b.version(v),
        }
    }
    if cfg.connect_meta_data {
        match schema.props().get(CONNECT_PARAMETERS_PROP) {
            None => {}
            Some(Json::Object(params)) => {
                for (k, v) in params {
                    match v {
                        Json::String(s) => b = b.parameter(k.clone(), s.clone()),
                        other => {
                            return Err(err(format!(
                                "Expected schema parameter values to be strings but found: {other}"
                            )))
                        }
                    }
                }
            }
            Some(other) => {
                return Err(err(format!(
                    "Expected JSON object for schema parameters but found: {other}"
                )))
            }
        }
    }
    for (k, v) in schema.props() {
        if k.starts_with(AVRO_PROP) {
            let text = match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            b = b.parameter(k.clone(), text);
        }
    }
    let connect_default = schema.props().get(CONNECT_DEFAULT_VALUE_PROP);
    let default = match field_default {
        None => connect_default,
        Some(d) => {
            if cfg.connect_meta_data && connect_default.is_none() {
                b = b.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP, "true");
            }
            Some(d)
        }
    };

    let name = match schema.props().get(CONNECT_NAME_PROP) {
        Some(Json::String(n)) => Some(n.clone()),
        Some(other) => return Err(err(format!("Invalid schema name: {other}"))),
        None => match schema.kind() {
            Kind::Record { name, .. } | Kind::Enum { name, .. } => Some(name.full()),
            Kind::Fixed { name, .. } if !b.clone().build().is_named(logical::DECIMAL_NAME) => {
                Some(name.full())
            }
            _ => None,
        },
    };
    if let Some(name) = name.filter(|n| !n.starts_with(DEFAULT_SCHEMA_FULL_NAME)) {
        let built = b.clone().build();
        match &built.name {
            Some(existing) if *existing != name => {
                return Err(err(format!(
                    "Mismatched names: name already added to SchemaBuilder ({existing}) differs from name in source schema ({name})"
                )))
            }
            Some(_) => {}
            None => b = b.name(name),
        }
    }
    if force_optional {
        b = b.optional();
    }
    if let Some(d) = default.filter(|d| !d.is_null()) {
        let built = b.clone().build();
        match default_from_avro(cfg, &built, schema, d) {
            Ok(v) if !v.is_null() => match b.clone().default_value(v) {
                Ok(with) => b = with,
                Err(e) => warn!(
                    "Ignoring invalid default for schema {}: {e}",
                    schema.type_name()
                ),
            },
            Ok(_) => {}
            Err(e) => warn!(
                "Ignoring invalid default for schema {}: {e}",
                schema.type_name()
            ),
        }
    }
    Ok(b.build())
}

/// The non-null branch of a two-branch union with `null`.
pub fn nullable_branch(branches: &[AvroSchema]) -> Option<&AvroSchema> {
    match (branches[0].kind(), branches[1].kind()) {
        (Kind::Null, k) if *k != Kind::Null => Some(&branches[1]),
        (k, Kind::Null) if *k != Kind::Null => Some(&branches[0]),
        _ => None,
    }
}

/// `defaultValueFromAvro`: an Avro JSON default (or a `connect.default`) as a Connect value.
pub fn default_from_avro(
    cfg: &AvroDataConfig,
    schema: &Schema,
    avro: &AvroSchema,
    json: &Json,
) -> ConnectResult<Value> {
    let physical = default_physical(cfg, schema, avro, json)?;
    if physical.is_null() {
        return Ok(physical);
    }
    logical::to_logical(schema, &physical)
}

fn default_physical(
    cfg: &AvroDataConfig,
    schema: &Schema,
    avro: &AvroSchema,
    json: &Json,
) -> ConnectResult<Value> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    let bad = || {
        err(format!(
            "Invalid JSON for {} default value",
            avro.type_name()
        ))
    };
    Ok(match avro.kind() {
        Kind::Int => {
            let v = json.as_i64().ok_or_else(bad)?;
            match schema.schema_type {
                Type::Int8 => Value::Int8(v as i8),
                Type::Int16 => Value::Int16(v as i16),
                _ => Value::Int32(v as i32),
            }
        }
        Kind::Long => Value::Int64(json.as_i64().ok_or_else(bad)?),
        Kind::Float => Value::Float32(json.as_f64().ok_or_else(bad)? as f32),
        Kind::Double => Value::Float64(json.as_f64().ok_or_else(bad)?),
        Kind::Boolean => Value::Boolean(json.as_bool().ok_or_else(bad)?),
        Kind::Null => Value::Null,
        Kind::String | Kind::Enum { .. } => Value::String(json.as_str().ok_or_else(bad)?.into()),
        Kind::Bytes | Kind::Fixed { .. } => Value::Bytes(
            json.as_str()
                .ok_or_else(bad)?
                .chars()
                .map(|c| c as u8)
                .collect(),
        ),
        Kind::Array(items) => {
            let es = schema.value_schema.as_deref().ok_or_else(bad)?;
            if let (Type::Map, Kind::Record { .. }) = (schema.schema_type, items.kind()) {
                return map_entries_default(cfg, schema, items, json);
            }
            Value::Array(
                json.as_array()
                    .ok_or_else(bad)?
                    .iter()
                    .map(|e| default_from_avro(cfg, es, items, e))
                    .collect::<ConnectResult<_>>()?,
            )
        }
        Kind::Map(values) => {
            let vs = schema.value_schema.as_deref().ok_or_else(bad)?;
            Value::Map(
                json.as_object()
                    .ok_or_else(bad)?
                    .iter()
                    .map(|(k, v)| {
                        Ok((
                            Value::String(k.clone()),
                            default_from_avro(cfg, vs, values, v)?,
                        ))
                    })
                    .collect::<ConnectResult<_>>()?,
            )
        }
        Kind::Record { fields, .. } => {
            // As AvroData: a Struct of the schema being built (every attribute but its own
            // default), each field from the JSON member or else the Avro field's default.
            let members = json
                .as_object()
                .ok_or_else(|| err(format!("Invalid JSON for record default value: {json}")))?;
            let mut st = Struct::new(std::sync::Arc::new(schema.clone()));
            for avro_field in fields {
                let field = schema.field(&avro_field.name).ok_or_else(bad)?;
                let v = match members
                    .get(&avro_field.name)
                    .or(avro_field.default.as_ref())
                {
                    Some(j) => default_from_avro(cfg, &field.schema, &avro_field.schema, j)?,
                    None => Value::Null,
                };
                st.put(&avro_field.name, v)?;
            }
            Value::Struct(st)
        }
        Kind::Union(branches) => {
            let first = &branches[0];
            if matches!(first.kind(), Kind::Null) {
                Value::Null
            } else {
                let field = union_member_name(cfg, first);
                let fs = schema
                    .field(&field)
                    .map(|f| f.schema.clone())
                    .ok_or_else(bad)?;
                let v = default_from_avro(cfg, &fs, first, json)?;
                let mut st = Struct::new(std::sync::Arc::new(schema.clone()));
                st.put_unchecked(&field, v)?;
                Value::Struct(st)
            }
        }
    })
}

fn map_entries_default(
    cfg: &AvroDataConfig,
    schema: &Schema,
    entry: &AvroSchema,
    json: &Json,
) -> ConnectResult<Value> {
    let bad = || err("Invalid JSON for map default value");
    let Kind::Record { fields, .. } = entry.kind() else {
        return Err(bad());
    };
    let (ks, vs) = (
        schema.key_schema.as_deref().ok_or_else(bad)?,
        schema.value_schema.as_deref().ok_or_else(bad)?,
    );
    let (ka, va) = (
        &fields.first().ok_or_else(bad)?.schema,
        &fields.get(1).ok_or_else(bad)?.schema,
    );
    let mut out = Vec::new();
    for e in json.as_array().ok_or_else(bad)? {
        // connect.default writes entries as [key, value]; Avro defaults as {"key","value"}.
        let (k, v) = match e {
            Json::Array(kv) if kv.len() == 2 => (&kv[0], &kv[1]),
            Json::Object(o) => (
                o.get(KEY_FIELD).ok_or_else(bad)?,
                o.get(VALUE_FIELD).ok_or_else(bad)?,
            ),
            _ => return Err(bad()),
        };
        out.push((
            default_from_avro(cfg, ks, ka, k)?,
            default_from_avro(cfg, vs, va, v)?,
        ));
    }
    Ok(Value::Map(out))
}
