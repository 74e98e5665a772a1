//! Avro schemas as AvroData sees them: the types of the Avro specification plus every custom
//! property (`connect.name`, `connect.type`, `logicalType`, …), which Avro libraries that drop
//! properties on primitive types would lose.
//!
//! [`AvroSchema::parse`] reads schema JSON (named types may be referenced by name after their
//! definition); [`AvroSchema::to_json_string`] writes it the way Java's `Schema.toString()`
//! does (member order `type`, `name`, `namespace`, `doc`, then the type's members, then the
//! properties in insertion order; a named type is written in full once, then by name).

use std::collections::HashSet;
use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};
use sluice_api::{ConnectError, ConnectResult};

/// Custom properties of a schema or field, in insertion order.
pub type Props = IndexMap<String, Json>;

/// A record field.
#[derive(Debug, Clone, PartialEq)]
pub struct AvroField {
    /// Field name.
    pub name: String,
    /// Field schema.
    pub schema: AvroSchema,
    /// Field doc.
    pub doc: Option<String>,
    /// Field default (Avro JSON; `Some(Json::Null)` is an explicit `null` default).
    pub default: Option<Json>,
    /// Custom field properties.
    pub props: Props,
}

/// A named type's full name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    /// Namespace (`None`: the null namespace).
    pub namespace: Option<String>,
    /// Simple name.
    pub name: String,
}

impl Name {
    /// Splits `a.b.C` into namespace `a.b` and name `C`; `default_ns` applies to a simple name.
    pub fn parse(full: &str, default_ns: Option<&str>) -> Name {
        match full.rfind('.') {
            Some(i) => Name {
                namespace: Some(full[..i].to_string()).filter(|s| !s.is_empty()),
                name: full[i + 1..].to_string(),
            },
            None => Name {
                namespace: default_ns.filter(|s| !s.is_empty()).map(str::to_string),
                name: full.to_string(),
            },
        }
    }

    /// `namespace.name`, or `name` in the null namespace.
    pub fn full(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The kind of an Avro schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `null`.
    Null,
    /// `boolean`.
    Boolean,
    /// `int`.
    Int,
    /// `long`.
    Long,
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// `bytes`.
    Bytes,
    /// `string`.
    String,
    /// `record`.
    Record {
        /// Full name.
        name: Name,
        /// Record doc.
        doc: Option<String>,
        /// Fields in order.
        fields: Vec<AvroField>,
    },
    /// `enum`.
    Enum {
        /// Full name.
        name: Name,
        /// Enum doc.
        doc: Option<String>,
        /// Symbols in order.
        symbols: Vec<String>,
        /// Default symbol.
        default: Option<String>,
    },
    /// `fixed`.
    Fixed {
        /// Full name.
        name: Name,
        /// Size in bytes.
        size: usize,
    },
    /// `array`.
    Array(Box<AvroSchema>),
    /// `map` (string keys).
    Map(Box<AvroSchema>),
    /// A union of branches.
    Union(Vec<AvroSchema>),
}

/// An Avro schema with its custom properties. Cheap to clone (shared).
#[derive(Debug, Clone, PartialEq)]
pub struct AvroSchema(pub Arc<Node>);

/// The content of an [`AvroSchema`].
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The type.
    pub kind: Kind,
    /// Custom properties (not for unions, which have none).
    pub props: Props,
}

fn err(msg: impl Into<String>) -> ConnectError {
    ConnectError::data(msg.into())
}

impl AvroSchema {
    /// A schema of `kind` with no properties.
    pub fn new(kind: Kind) -> Self {
        AvroSchema(Arc::new(Node {
            kind,
            props: Props::new(),
        }))
    }

    /// A schema of `kind` with properties.
    pub fn with_props(kind: Kind, props: Props) -> Self {
        AvroSchema(Arc::new(Node { kind, props }))
    }

    /// The type.
    pub fn kind(&self) -> &Kind {
        &self.0.kind
    }

    /// The custom properties.
    pub fn props(&self) -> &Props {
        &self.0.props
    }

    /// A string property.
    pub fn prop_str(&self, key: &str) -> Option<&str> {
        self.0.props.get(key).and_then(Json::as_str)
    }

    /// The type name as Avro's `Schema.Type.getName()` prints it.
    pub fn type_name(&self) -> &'static str {
        match self.kind() {
            Kind::Null => "null",
            Kind::Boolean => "boolean",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Float => "float",
            Kind::Double => "double",
            Kind::Bytes => "bytes",
            Kind::String => "string",
            Kind::Record { .. } => "record",
            Kind::Enum { .. } => "enum",
            Kind::Fixed { .. } => "fixed",
            Kind::Array(_) => "array",
            Kind::Map(_) => "map",
            Kind::Union(_) => "union",
        }
    }

    /// The full name of a record, enum or fixed.
    pub fn name(&self) -> Option<&Name> {
        match self.kind() {
            Kind::Record { name, .. } | Kind::Enum { name, .. } | Kind::Fixed { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }

    /// Parses schema JSON text.
    pub fn parse(text: &str) -> ConnectResult<AvroSchema> {
        let json: Json = serde_json::from_str(text)
            .map_err(|e| err(format!("Invalid Avro schema JSON: {e}")))?;
        Self::from_json(&json)
    }

    /// Parses a schema JSON tree.
    pub fn from_json(json: &Json) -> ConnectResult<AvroSchema> {
        let mut names = IndexMap::new();
        parse(json, None, &mut names)
    }

    /// The schema JSON as Java's `Schema.toString()` writes it.
    pub fn to_json_string(&self) -> String {
        self.to_json().to_string()
    }

    /// The schema JSON tree (see [`AvroSchema::to_json_string`]).
    pub fn to_json(&self) -> Json {
        let mut seen = HashSet::new();
        write(self, None, &mut seen)
    }
}

type Names = IndexMap<String, AvroSchema>;

fn primitive(name: &str) -> Option<Kind> {
    Some(match name {
        "null" => Kind::Null,
        "boolean" => Kind::Boolean,
        "int" => Kind::Int,
        "long" => Kind::Long,
        "float" => Kind::Float,
        "double" => Kind::Double,
        "bytes" => Kind::Bytes,
        "string" => Kind::String,
        _ => return None,
    })
}

fn lookup(name: &str, ns: Option<&str>, names: &Names) -> ConnectResult<AvroSchema> {
    let full = Name::parse(name, ns).full();
    names
        .get(&full)
        .or_else(|| names.get(name))
        .cloned()
        .ok_or_else(|| err(format!("Undefined name: \"{name}\"")))
}

fn parse(json: &Json, ns: Option<&str>, names: &mut Names) -> ConnectResult<AvroSchema> {
    match json {
        Json::String(s) => match primitive(s) {
            Some(k) => Ok(AvroSchema::new(k)),
            None => lookup(s, ns, names),
        },
        Json::Array(branches) => {
            let mut out = Vec::with_capacity(branches.len());
            for b in branches {
                out.push(parse(b, ns, names)?);
            }
            Ok(AvroSchema::new(Kind::Union(out)))
        }
        Json::Object(obj) => parse_object(obj, ns, names),
        other => Err(err(format!("Invalid Avro schema: {other}"))),
    }
}

const RESERVED: &[&str] = &[
    "type",
    "name",
    "namespace",
    "doc",
    "fields",
    "symbols",
    "items",
    "values",
    "size",
    "default",
    "aliases",
    "order",
];

fn props_of(obj: &Map<String, Json>) -> Props {
    obj.iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn str_member<'a>(obj: &'a Map<String, Json>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Json::as_str)
}

fn named(obj: &Map<String, Json>, ns: Option<&str>) -> ConnectResult<Name> {
    let name = str_member(obj, "name").ok_or_else(|| {
        err("No name in schema: ".to_string() + &Json::Object(obj.clone()).to_string())
    })?;
    let own_ns = match obj.get("namespace") {
        Some(Json::String(s)) => Some(s.as_str()),
        Some(Json::Null) => None,
        _ => ns,
    };
    Ok(Name::parse(name, own_ns))
}

fn parse_object(
    obj: &Map<String, Json>,
    ns: Option<&str>,
    names: &mut Names,
) -> ConnectResult<AvroSchema> {
    let ty = obj
        .get("type")
        .ok_or_else(|| err("No type in schema".to_string()))?;
    let props = props_of(obj);
    let type_name = match ty {
        Json::String(s) => s.as_str(),
        // {"type": {...}} or {"type": [...]}: the nested schema (properties of the wrapper are
        // dropped, as Avro does).
        other => return parse(other, ns, names),
    };
    if let Some(k) = primitive(type_name) {
        return Ok(AvroSchema::with_props(k, props));
    }
    let doc = str_member(obj, "doc").map(str::to_string);
    match type_name {
        "record" | "error" => {
            let name = named(obj, ns)?;
            let inner_ns = name.namespace.clone();
            let fields_json = obj
                .get("fields")
                .and_then(Json::as_array)
                .ok_or_else(|| err(format!("Record has no fields: {}", name.full())))?;
            // Recursive records are not supported: the name is registered once complete.
            let mut fields = Vec::with_capacity(fields_json.len());
            let mut seen = HashSet::new();
            for f in fields_json {
                let fo = f
                    .as_object()
                    .ok_or_else(|| err("Invalid record field".to_string()))?;
                let fname = str_member(fo, "name")
                    .ok_or_else(|| err("No field name".to_string()))?
                    .to_string();
                if !seen.insert(fname.clone()) {
                    return Err(err(format!(
                        "Duplicate field {fname} in record {}",
                        name.full()
                    )));
                }
                let ftype = fo
                    .get("type")
                    .ok_or_else(|| err(format!("No field type: {fname}")))?;
                let schema = parse(ftype, inner_ns.as_deref(), names).map_err(|e| {
                    if e.to_string().contains(&name.name) {
                        err(format!(
                            "Recursive Avro schemas are not supported (record {})",
                            name.full()
                        ))
                    } else {
                        e
                    }
                })?;
                fields.push(AvroField {
                    name: fname,
                    schema,
                    doc: str_member(fo, "doc").map(str::to_string),
                    default: fo.get("default").cloned(),
                    props: props_of(fo),
                });
            }
            let s = AvroSchema::with_props(Kind::Record { name, doc, fields }, props);
            define(s, names)
        }
        "enum" => {
            let name = named(obj, ns)?;
            let symbols = obj
                .get("symbols")
                .and_then(Json::as_array)
                .ok_or_else(|| err(format!("Enum has no symbols: {}", name.full())))?
                .iter()
                .map(|s| {
                    s.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| err("Enum symbols must be strings".to_string()))
                })
                .collect::<ConnectResult<Vec<_>>>()?;
            let default = str_member(obj, "default").map(str::to_string);
            let s = AvroSchema::with_props(
                Kind::Enum {
                    name,
                    doc,
                    symbols,
                    default,
                },
                props,
            );
            define(s, names)
        }
        "fixed" => {
            let name = named(obj, ns)?;
            let size = obj
                .get("size")
                .and_then(Json::as_u64)
                .ok_or_else(|| err(format!("Invalid fixed size: {}", name.full())))?;
            let s = AvroSchema::with_props(
                Kind::Fixed {
                    name,
                    size: size as usize,
                },
                props,
            );
            define(s, names)
        }
        "array" => {
            let items = obj
                .get("items")
                .ok_or_else(|| err("Array has no items type".to_string()))?;
            Ok(AvroSchema::with_props(
                Kind::Array(Box::new(parse(items, ns, names)?)),
                props,
            ))
        }
        "map" => {
            let values = obj
                .get("values")
                .ok_or_else(|| err("Map has no values type".to_string()))?;
            Ok(AvroSchema::with_props(
                Kind::Map(Box::new(parse(values, ns, names)?)),
                props,
            ))
        }
        other => lookup(other, ns, names),
    }
}

fn define(s: AvroSchema, names: &mut Names) -> ConnectResult<AvroSchema> {
    if let Some(name) = s.name() {
        let full = name.full();
        if names.contains_key(&full) {
            return Err(err(format!("Can't redefine: {full}")));
        }
        names.insert(full, s.clone());
    }
    Ok(s)
}

fn with_props(mut obj: Map<String, Json>, props: &Props) -> Json {
    for (k, v) in props {
        obj.insert(k.clone(), v.clone());
    }
    Json::Object(obj)
}

fn write(s: &AvroSchema, ns: Option<&str>, seen: &mut HashSet<String>) -> Json {
    let props = s.props();
    let simple = |t: &str| {
        if props.is_empty() {
            Json::String(t.to_string())
        } else {
            let mut o = Map::new();
            o.insert("type".into(), Json::String(t.to_string()));
            with_props(o, props)
        }
    };
    match s.kind() {
        Kind::Union(branches) => Json::Array(branches.iter().map(|b| write(b, ns, seen)).collect()),
        Kind::Array(items) => {
            let mut o = Map::new();
            o.insert("type".into(), "array".into());
            o.insert("items".into(), write(items, ns, seen));
            with_props(o, props)
        }
        Kind::Map(values) => {
            let mut o = Map::new();
            o.insert("type".into(), "map".into());
            o.insert("values".into(), write(values, ns, seen));
            with_props(o, props)
        }
        Kind::Record { name, .. } | Kind::Enum { name, .. } | Kind::Fixed { name, .. } => {
            let full = name.full();
            if !seen.insert(full.clone()) {
                // Already written: a reference, relative to the enclosing namespace.
                return Json::String(if name.namespace.as_deref() == ns {
                    name.name.clone()
                } else {
                    full
                });
            }
            let mut o = Map::new();
            o.insert("type".into(), s.type_name().into());
            o.insert("name".into(), name.name.clone().into());
            if name.namespace.as_deref() != ns {
                o.insert(
                    "namespace".into(),
                    name.namespace.clone().map_or(Json::Null, Json::String),
                );
            }
            let own_ns = name.namespace.as_deref();
            match s.kind() {
                Kind::Record { doc, fields, .. } => {
                    if let Some(d) = doc {
                        o.insert("doc".into(), d.clone().into());
                    }
                    let fs = fields
                        .iter()
                        .map(|f| {
                            let mut fo = Map::new();
                            fo.insert("name".into(), f.name.clone().into());
                            fo.insert("type".into(), write(&f.schema, own_ns, seen));
                            if let Some(d) = &f.doc {
                                fo.insert("doc".into(), d.clone().into());
                            }
                            if let Some(d) = &f.default {
                                fo.insert("default".into(), d.clone());
                            }
                            with_props(fo, &f.props)
                        })
                        .collect();
                    o.insert("fields".into(), Json::Array(fs));
                }
                Kind::Enum {
                    doc,
                    symbols,
                    default,
                    ..
                } => {
                    if let Some(d) = doc {
                        o.insert("doc".into(), d.clone().into());
                    }
                    o.insert(
                        "symbols".into(),
                        Json::Array(symbols.iter().cloned().map(Json::String).collect()),
                    );
                    if let Some(d) = default {
                        o.insert("default".into(), d.clone().into());
                    }
                }
                Kind::Fixed { size, .. } => {
                    o.insert("size".into(), (*size as u64).into());
                }
                _ => {}
            }
            with_props(o, props)
        }
        _ => simple(s.type_name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_keep_their_properties() {
        let s = AvroSchema::parse(r#"{"type":"int","connect.type":"int16"}"#).unwrap();
        assert_eq!(s.kind(), &Kind::Int);
        assert_eq!(s.prop_str("connect.type"), Some("int16"));
        assert_eq!(
            s.to_json_string(),
            r#"{"type":"int","connect.type":"int16"}"#
        );
        assert_eq!(
            AvroSchema::parse("\"long\"").unwrap().to_json_string(),
            "\"long\""
        );
    }

    #[test]
    fn named_types_are_referenced_after_their_definition() {
        let text = r#"{"type":"record","name":"R","namespace":"a.b","fields":[{"name":"x","type":{"type":"fixed","name":"F","size":2}},{"name":"y","type":"F"},{"name":"z","type":["null","a.b.F"],"default":null}]}"#;
        let s = AvroSchema::parse(text).unwrap();
        let Kind::Record { name, fields, .. } = s.kind() else {
            panic!("record expected")
        };
        assert_eq!(name.full(), "a.b.R");
        assert_eq!(fields[1].schema.name().unwrap().full(), "a.b.F");
        assert_eq!(fields[2].default, Some(Json::Null));
        // Written back as Java writes it: the nested namespace is implied, references short.
        assert_eq!(
            s.to_json_string(),
            r#"{"type":"record","name":"R","namespace":"a.b","fields":[{"name":"x","type":{"type":"fixed","name":"F","size":2}},{"name":"y","type":"F"},{"name":"z","type":["null","F"],"default":null}]}"#
        );
    }

    #[test]
    fn bad_schemas_are_data_errors() {
        assert!(AvroSchema::parse("{").is_err());
        assert!(AvroSchema::parse(r#""Nope""#).is_err());
        assert!(AvroSchema::parse(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}"#).is_err());
    }
}
