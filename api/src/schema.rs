//! Connect schemas: `org.apache.kafka.connect.data.Schema`, `ConnectSchema` and `SchemaBuilder`.
//!
//! A [`Schema`] is immutable once built and shared as a [`SchemaRef`] (`Arc<Schema>`). Build
//! one with [`SchemaBuilder`], whose attribute setters mirror Java's (each attribute may be set
//! once; a default is validated against the schema under construction).

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::error::ConnectError;
use crate::value::Value;

/// A shared, immutable schema.
pub type SchemaRef = Arc<Schema>;

/// `Schema.Type`: the physical type of a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// 8-bit signed integer (`Byte`).
    Int8,
    /// 16-bit signed integer (`Short`).
    Int16,
    /// 32-bit signed integer (`Integer`).
    Int32,
    /// 64-bit signed integer (`Long`).
    Int64,
    /// 32-bit IEEE-754 float.
    Float32,
    /// 64-bit IEEE-754 float.
    Float64,
    /// Boolean.
    Boolean,
    /// UTF-8 string.
    String,
    /// Byte array.
    Bytes,
    /// Ordered list of values of one element schema.
    Array,
    /// Map from key schema to value schema.
    Map,
    /// Ordered named fields.
    Struct,
}

impl Type {
    /// `Type.getName()`: the lower-case enum name (`float32`, not JsonConverter's `float`).
    pub fn name(self) -> &'static str {
        match self {
            Type::Int8 => "int8",
            Type::Int16 => "int16",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Float32 => "float32",
            Type::Float64 => "float64",
            Type::Boolean => "boolean",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::Array => "array",
            Type::Map => "map",
            Type::Struct => "struct",
        }
    }

    /// The Java enum constant name (`INT32`, `STRUCT`, …), as it appears in Java error messages.
    pub fn java_name(self) -> &'static str {
        match self {
            Type::Int8 => "INT8",
            Type::Int16 => "INT16",
            Type::Int32 => "INT32",
            Type::Int64 => "INT64",
            Type::Float32 => "FLOAT32",
            Type::Float64 => "FLOAT64",
            Type::Boolean => "BOOLEAN",
            Type::String => "STRING",
            Type::Bytes => "BYTES",
            Type::Array => "ARRAY",
            Type::Map => "MAP",
            Type::Struct => "STRUCT",
        }
    }

    /// Parses [`Type::name`] (case-insensitive), also accepting the Java enum names.
    pub fn from_name(name: &str) -> Option<Type> {
        Some(match name.to_ascii_lowercase().as_str() {
            "int8" => Type::Int8,
            "int16" => Type::Int16,
            "int32" => Type::Int32,
            "int64" => Type::Int64,
            "float32" => Type::Float32,
            "float64" => Type::Float64,
            "boolean" => Type::Boolean,
            "string" => Type::String,
            "bytes" => Type::Bytes,
            "array" => Type::Array,
            "map" => Type::Map,
            "struct" => Type::Struct,
            _ => return None,
        })
    }

    /// True for INT8 through BYTES.
    pub fn is_primitive(self) -> bool {
        !matches!(self, Type::Array | Type::Map | Type::Struct)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.java_name())
    }
}

/// One field of a struct schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Field name (non-empty, unique within the struct).
    pub name: String,
    /// Position in the struct.
    pub index: usize,
    /// The field's schema.
    pub schema: SchemaRef,
}

/// A built, immutable Connect schema (`ConnectSchema`).
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Physical type.
    pub schema_type: Type,
    /// Whether null is a valid value.
    pub optional: bool,
    /// Default value, already validated against this schema.
    pub default: Option<Value>,
    /// Schema name, e.g. a logical type name.
    pub name: Option<String>,
    /// Schema version.
    pub version: Option<i32>,
    /// Documentation.
    pub doc: Option<String>,
    /// Parameters in insertion order; `None` when never set (an empty map is also `None`).
    pub parameters: Option<IndexMap<String, String>>,
    /// Struct fields (empty for other types).
    pub fields: Vec<Field>,
    /// Map key schema.
    pub key_schema: Option<SchemaRef>,
    /// Map value schema or array element schema.
    pub value_schema: Option<SchemaRef>,
}

impl Schema {
    /// A plain schema of `t` with no other attributes.
    pub fn of(t: Type) -> Schema {
        Schema {
            schema_type: t,
            optional: false,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: None,
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
        }
    }

    /// Looks a struct field up by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// A parameter value.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .as_ref()
            .and_then(|p| p.get(key))
            .map(String::as_str)
    }

    /// True when this schema carries the given logical name.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name)
    }

    /// Validates `value` against this schema (`ConnectSchema.validateValue`).
    pub fn validate_value(&self, value: &Value) -> Result<(), ConnectError> {
        validate_value(None, self, value)
    }

    /// A copy of this schema marked optional (keeping every other attribute).
    pub fn to_optional(&self) -> Schema {
        let mut s = self.clone();
        s.optional = true;
        s
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "Schema{{{}:{}}}", n, self.schema_type),
            None => write!(f, "Schema{{{}}}", self.schema_type),
        }
    }
}

fn validate_value(field: Option<&str>, schema: &Schema, value: &Value) -> Result<(), ConnectError> {
    let location = || match field {
        Some(f) => format!(" for field: \"{f}\""),
        None => String::new(),
    };
    if value.is_null() {
        if schema.optional {
            return Ok(());
        }
        return Err(ConnectError::data(format!(
            "Invalid value: null used for required field: \"{}\", schema type: {}",
            field.unwrap_or("null"),
            schema.schema_type
        )));
    }
    if let Some(name) = &schema.name {
        use crate::logical;
        let ok = match name.as_str() {
            logical::DECIMAL_NAME => matches!(value, Value::Decimal(_)),
            logical::DATE_NAME | logical::TIME_NAME | logical::TIMESTAMP_NAME => {
                matches!(value, Value::Date(_))
            }
            _ => true,
        };
        if !ok {
            return Err(ConnectError::data(format!(
                "Invalid Java object for schema \"{}\" with type {}: {}{}",
                name,
                schema.schema_type,
                value.java_class(),
                location()
            )));
        }
        if matches!(value, Value::Decimal(_) | Value::Date(_)) {
            return Ok(());
        }
    }
    let ok = match (schema.schema_type, value) {
        (Type::Int8, Value::Int8(_))
        | (Type::Int16, Value::Int16(_))
        | (Type::Int32, Value::Int32(_))
        | (Type::Int64, Value::Int64(_))
        | (Type::Float32, Value::Float32(_))
        | (Type::Float64, Value::Float64(_))
        | (Type::Boolean, Value::Boolean(_))
        | (Type::String, Value::String(_))
        | (Type::Bytes, Value::Bytes(_)) => true,
        (Type::Array, Value::Array(items)) => {
            let element = schema.value_schema.as_deref();
            for item in items {
                if let Some(es) = element {
                    validate_value(field, es, item)?;
                }
            }
            true
        }
        (Type::Map, Value::Map(entries)) => {
            for (k, v) in entries {
                if let Some(ks) = schema.key_schema.as_deref() {
                    validate_value(field, ks, k)?;
                }
                if let Some(vs) = schema.value_schema.as_deref() {
                    validate_value(field, vs, v)?;
                }
            }
            true
        }
        (Type::Struct, Value::Struct(s)) => {
            if s.schema().as_ref() != schema {
                return Err(ConnectError::data(format!(
                    "Struct schemas do not match{}.",
                    location()
                )));
            }
            s.validate()?;
            true
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ConnectError::data(format!(
            "Invalid Java object for schema with type {}: {}{}",
            schema.schema_type,
            value.java_class(),
            location()
        )))
    }
}

/// Builds a [`Schema`] the way Java's `SchemaBuilder` does.
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    schema: Schema,
    default_set: bool,
}

impl SchemaBuilder {
    /// A builder for `t`.
    pub fn new(t: Type) -> Self {
        SchemaBuilder {
            schema: Schema::of(t),
            default_set: false,
        }
    }
    /// `SchemaBuilder.int8()`.
    pub fn int8() -> Self {
        Self::new(Type::Int8)
    }
    /// `SchemaBuilder.int16()`.
    pub fn int16() -> Self {
        Self::new(Type::Int16)
    }
    /// `SchemaBuilder.int32()`.
    pub fn int32() -> Self {
        Self::new(Type::Int32)
    }
    /// `SchemaBuilder.int64()`.
    pub fn int64() -> Self {
        Self::new(Type::Int64)
    }
    /// `SchemaBuilder.float32()`.
    pub fn float32() -> Self {
        Self::new(Type::Float32)
    }
    /// `SchemaBuilder.float64()`.
    pub fn float64() -> Self {
        Self::new(Type::Float64)
    }
    /// `SchemaBuilder.bool()`.
    pub fn boolean() -> Self {
        Self::new(Type::Boolean)
    }
    /// `SchemaBuilder.string()`.
    pub fn string() -> Self {
        Self::new(Type::String)
    }
    /// `SchemaBuilder.bytes()`.
    pub fn bytes() -> Self {
        Self::new(Type::Bytes)
    }
    /// `SchemaBuilder.struct()`.
    pub fn struct_() -> Self {
        Self::new(Type::Struct)
    }
    /// `SchemaBuilder.array(valueSchema)`.
    pub fn array(value_schema: SchemaRef) -> Self {
        let mut b = Self::new(Type::Array);
        b.schema.value_schema = Some(value_schema);
        b
    }
    /// `SchemaBuilder.map(keySchema, valueSchema)`.
    pub fn map(key_schema: SchemaRef, value_schema: SchemaRef) -> Self {
        let mut b = Self::new(Type::Map);
        b.schema.key_schema = Some(key_schema);
        b.schema.value_schema = Some(value_schema);
        b
    }

    /// Starts a builder from an existing schema's attributes (all of them).
    pub fn from_schema(schema: &Schema) -> Self {
        SchemaBuilder {
            default_set: schema.default.is_some(),
            schema: schema.clone(),
        }
    }

    /// The schema type being built.
    pub fn schema_type(&self) -> Type {
        self.schema.schema_type
    }

    /// Marks the schema optional.
    pub fn optional(mut self) -> Self {
        self.schema.optional = true;
        self
    }
    /// Marks the schema required (the default).
    pub fn required(mut self) -> Self {
        self.schema.optional = false;
        self
    }
    /// Sets optional from a flag.
    pub fn with_optional(mut self, optional: bool) -> Self {
        self.schema.optional = optional;
        self
    }
    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.schema.name = Some(name.into());
        self
    }
    /// Sets the version.
    pub fn version(mut self, version: i32) -> Self {
        self.schema.version = Some(version);
        self
    }
    /// Sets the doc.
    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.schema.doc = Some(doc.into());
        self
    }
    /// Adds one parameter.
    pub fn parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.schema
            .parameters
            .get_or_insert_with(IndexMap::new)
            .insert(key.into(), value.into());
        self
    }
    /// Adds parameters; an empty map leaves the parameters unset, as in Java.
    pub fn parameters(mut self, params: IndexMap<String, String>) -> Self {
        if !params.is_empty() {
            self.schema
                .parameters
                .get_or_insert_with(IndexMap::new)
                .extend(params);
        }
        self
    }
    /// Sets the default value, validating it against the schema built so far.
    pub fn default_value(mut self, value: Value) -> Result<Self, ConnectError> {
        if self.default_set {
            return Err(ConnectError::data(
                "Invalid SchemaBuilder call: defaultValue has already been set.".to_string(),
            ));
        }
        self.schema
            .validate_value(&value)
            .map_err(|e| ConnectError::data(format!("Invalid default value: {e}")))?;
        self.schema.default = Some(value);
        self.default_set = true;
        Ok(self)
    }
    /// Appends a struct field. Fails on a non-struct builder, an empty or duplicate name.
    pub fn field(
        mut self,
        name: impl Into<String>,
        schema: SchemaRef,
    ) -> Result<Self, ConnectError> {
        let name = name.into();
        if self.schema.schema_type != Type::Struct {
            return Err(ConnectError::data(
                "Cannot create fields on type ".to_string() + self.schema.schema_type.java_name(),
            ));
        }
        if name.is_empty() {
            return Err(ConnectError::data("fieldName cannot be null.".to_string()));
        }
        if self.schema.field(&name).is_some() {
            return Err(ConnectError::data(format!(
                "Cannot create field because of field name duplication {name}"
            )));
        }
        let index = self.schema.fields.len();
        self.schema.fields.push(Field {
            name,
            index,
            schema,
        });
        Ok(self)
    }
    /// Builds the schema.
    pub fn build(self) -> Schema {
        self.schema
    }
    /// Builds the schema into a [`SchemaRef`].
    pub fn build_ref(self) -> SchemaRef {
        Arc::new(self.schema)
    }
}

/// The shared primitive schemas (`Schema.INT32_SCHEMA`, `Schema.OPTIONAL_STRING_SCHEMA`, …).
pub mod schemas {
    use super::*;
    use std::sync::OnceLock;

    macro_rules! primitive {
        ($req:ident, $opt:ident, $t:expr) => {
            /// The required primitive schema of this type.
            pub fn $req() -> SchemaRef {
                static S: OnceLock<SchemaRef> = OnceLock::new();
                S.get_or_init(|| Arc::new(Schema::of($t))).clone()
            }
            /// The optional primitive schema of this type.
            pub fn $opt() -> SchemaRef {
                static S: OnceLock<SchemaRef> = OnceLock::new();
                S.get_or_init(|| {
                    Arc::new(Schema {
                        optional: true,
                        ..Schema::of($t)
                    })
                })
                .clone()
            }
        };
    }
    primitive!(int8, optional_int8, Type::Int8);
    primitive!(int16, optional_int16, Type::Int16);
    primitive!(int32, optional_int32, Type::Int32);
    primitive!(int64, optional_int64, Type::Int64);
    primitive!(float32, optional_float32, Type::Float32);
    primitive!(float64, optional_float64, Type::Float64);
    primitive!(boolean, optional_boolean, Type::Boolean);
    primitive!(string, optional_string, Type::String);
    primitive!(bytes, optional_bytes, Type::Bytes);

    /// The primitive schema of `t`, optional or required.
    pub fn primitive(t: Type, optional: bool) -> Option<SchemaRef> {
        Some(match (t, optional) {
            (Type::Int8, false) => int8(),
            (Type::Int8, true) => optional_int8(),
            (Type::Int16, false) => int16(),
            (Type::Int16, true) => optional_int16(),
            (Type::Int32, false) => int32(),
            (Type::Int32, true) => optional_int32(),
            (Type::Int64, false) => int64(),
            (Type::Int64, true) => optional_int64(),
            (Type::Float32, false) => float32(),
            (Type::Float32, true) => optional_float32(),
            (Type::Float64, false) => float64(),
            (Type::Float64, true) => optional_float64(),
            (Type::Boolean, false) => boolean(),
            (Type::Boolean, true) => optional_boolean(),
            (Type::String, false) => string(),
            (Type::String, true) => optional_string(),
            (Type::Bytes, false) => bytes(),
            (Type::Bytes, true) => optional_bytes(),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_rejects_duplicate_and_non_struct_fields() {
        let b = SchemaBuilder::struct_()
            .field("a", schemas::int32())
            .unwrap();
        assert!(b.clone().field("a", schemas::int32()).is_err());
        assert!(SchemaBuilder::int32().field("a", schemas::int32()).is_err());
        let s = b.field("b", schemas::string()).unwrap().build();
        assert_eq!(s.field("b").unwrap().index, 1);
    }

    #[test]
    fn default_is_validated() {
        assert!(SchemaBuilder::int32()
            .default_value(Value::String("x".into()))
            .is_err());
        let s = SchemaBuilder::int32()
            .default_value(Value::Int32(5))
            .unwrap()
            .build();
        assert_eq!(s.default, Some(Value::Int32(5)));
        assert!(SchemaBuilder::int32()
            .default_value(Value::Int32(1))
            .unwrap()
            .default_value(Value::Int32(2))
            .is_err());
    }

    #[test]
    fn null_needs_optional() {
        assert!(schemas::int32().validate_value(&Value::Null).is_err());
        assert!(schemas::optional_int32()
            .validate_value(&Value::Null)
            .is_ok());
    }

    #[test]
    fn empty_parameters_stay_unset() {
        let s = SchemaBuilder::string().parameters(IndexMap::new()).build();
        assert!(s.parameters.is_none());
    }
}
