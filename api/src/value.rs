//! Connect values and [`Struct`].
//!
//! [`Value`] is the Rust counterpart of the Java objects Connect moves around: one variant per
//! Java value class, so that schemaless data keeps Java's scalar typing (an `Integer` partition
//! is not a `Long` timestamp), which several transformations depend on.

use std::fmt;

use bigdecimal::BigDecimal;
use num_bigint::BigInt;

use crate::error::ConnectError;
use crate::schema::{Schema, SchemaRef, Type};

/// A Connect value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Java `null`.
    #[default]
    Null,
    /// `Byte`.
    Int8(i8),
    /// `Short`.
    Int16(i16),
    /// `Integer`.
    Int32(i32),
    /// `Long`.
    Int64(i64),
    /// `Float`.
    Float32(f32),
    /// `Double`.
    Float64(f64),
    /// `Boolean`.
    Boolean(bool),
    /// `String`.
    String(String),
    /// `byte[]` / `ByteBuffer`.
    Bytes(Vec<u8>),
    /// `List`.
    Array(Vec<Value>),
    /// `Map`, in insertion order; keys may be any value.
    Map(Vec<(Value, Value)>),
    /// `Struct`.
    Struct(Struct),
    /// `BigDecimal`: the value of the `Decimal` logical type (its scale is the schema's).
    Decimal(BigDecimal),
    /// `BigInteger` (appears in schemaless data only).
    BigInt(BigInt),
    /// `java.util.Date` as epoch milliseconds: the value of the `Date`, `Time` and `Timestamp`
    /// logical types, and of temporal values in schemaless data.
    Date(i64),
}

impl Value {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The Java class name of this value, for error messages (`java.lang.Integer`, …).
    pub fn java_class(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int8(_) => "java.lang.Byte",
            Value::Int16(_) => "java.lang.Short",
            Value::Int32(_) => "java.lang.Integer",
            Value::Int64(_) => "java.lang.Long",
            Value::Float32(_) => "java.lang.Float",
            Value::Float64(_) => "java.lang.Double",
            Value::Boolean(_) => "java.lang.Boolean",
            Value::String(_) => "java.lang.String",
            Value::Bytes(_) => "[B",
            Value::Array(_) => "java.util.ArrayList",
            Value::Map(_) => "java.util.HashMap",
            Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
            Value::Decimal(_) => "java.math.BigDecimal",
            Value::BigInt(_) => "java.math.BigInteger",
            Value::Date(_) => "java.util.Date",
        }
    }

    /// `ConnectSchema.schemaType(Class)`: the type inferred for schemaless data, `None` for null,
    /// logical values (`BigDecimal`, `Date`) and `BigInteger`, which have no inferred type.
    pub fn inferred_type(&self) -> Option<Type> {
        Some(match self {
            Value::Int8(_) => Type::Int8,
            Value::Int16(_) => Type::Int16,
            Value::Int32(_) => Type::Int32,
            Value::Int64(_) => Type::Int64,
            Value::Float32(_) => Type::Float32,
            Value::Float64(_) => Type::Float64,
            Value::Boolean(_) => Type::Boolean,
            Value::String(_) => Type::String,
            Value::Bytes(_) => Type::Bytes,
            Value::Array(_) => Type::Array,
            Value::Map(_) => Type::Map,
            Value::Struct(_) => Type::Struct,
            Value::Null | Value::Decimal(_) | Value::BigInt(_) | Value::Date(_) => return None,
        })
    }

    /// The string, if this is a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The struct, if this is a [`Value::Struct`].
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The map entries, if this is a [`Value::Map`].
    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Looks a string key up in a map value (first match, as map keys are unique).
    pub fn map_get(&self, key: &str) -> Option<&Value> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// A string-keyed map built from pairs.
    pub fn string_map<I, K>(entries: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::String(k.into()), v))
                .collect(),
        )
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int32(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int64(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}
impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Value::Struct(v)
    }
}

/// A value together with its (optional) schema: Java's `SchemaAndValue`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchemaAndValue {
    /// The schema; `None` for schemaless data.
    pub schema: Option<SchemaRef>,
    /// The value.
    pub value: Value,
}

impl SchemaAndValue {
    /// `SchemaAndValue.NULL`.
    pub const NULL: SchemaAndValue = SchemaAndValue {
        schema: None,
        value: Value::Null,
    };

    /// Pairs a schema and a value.
    pub fn new(schema: Option<SchemaRef>, value: Value) -> Self {
        SchemaAndValue { schema, value }
    }
}

/// A struct value: one value slot per field of its STRUCT schema.
///
/// Like Java's `Struct`, a `Struct` can hold values that do not (yet) satisfy its schema:
/// [`Struct::put`] validates, [`Struct::put_unchecked`] does not, and [`Struct::validate`]
/// checks the whole struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    schema: SchemaRef,
    values: Vec<Value>,
}

impl Struct {
    /// An empty struct (every field null). Panics never: a non-struct schema yields a struct
    /// with no slots, and every `put` on it fails.
    pub fn new(schema: SchemaRef) -> Struct {
        let n = schema.fields.len();
        Struct {
            schema,
            values: vec![Value::Null; n],
        }
    }

    /// The struct's schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The raw values in field order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// `Struct.get(name)`: the value, or the field's default when the stored value is null.
    pub fn get(&self, name: &str) -> Result<&Value, ConnectError> {
        let field = self.lookup(name)?;
        let v = &self.values[field];
        if v.is_null() {
            if let Some(d) = &self.schema.fields[field].schema.default {
                return Ok(d);
            }
        }
        Ok(v)
    }

    /// `Struct.getWithoutDefault(name)`: the raw stored value.
    pub fn get_without_default(&self, name: &str) -> Result<&Value, ConnectError> {
        let field = self.lookup(name)?;
        Ok(&self.values[field])
    }

    /// The raw value at a field index.
    pub fn get_index(&self, index: usize) -> &Value {
        self.values.get(index).unwrap_or(&Value::Null)
    }

    /// `Struct.put(name, value)`: validates the value against the field schema.
    pub fn put(&mut self, name: &str, value: Value) -> Result<&mut Self, ConnectError> {
        let index = self.lookup(name)?;
        let field_schema: &Schema = &self.schema.fields[index].schema;
        validate_field(name, field_schema, &value)?;
        self.values[index] = value;
        Ok(self)
    }

    /// Stores a value without validating it (records are not validated either).
    pub fn put_unchecked(&mut self, name: &str, value: Value) -> Result<&mut Self, ConnectError> {
        let index = self.lookup(name)?;
        self.values[index] = value;
        Ok(self)
    }

    /// Stores a value by field index without validating it.
    pub fn put_index(&mut self, index: usize, value: Value) {
        if let Some(slot) = self.values.get_mut(index) {
            *slot = value;
        }
    }

    /// `Struct.validate()`: every field's value against its schema; a null passes when the
    /// field is optional or has a default.
    pub fn validate(&self) -> Result<(), ConnectError> {
        for (field, value) in self.schema.fields.iter().zip(&self.values) {
            if value.is_null() && field.schema.default.is_some() {
                continue;
            }
            validate_field(&field.name, &field.schema, value)?;
        }
        Ok(())
    }

    fn lookup(&self, name: &str) -> Result<usize, ConnectError> {
        if self.schema.schema_type != Type::Struct {
            return Err(ConnectError::data(format!(
                "Cannot look up fields on non-struct type {}",
                self.schema.schema_type
            )));
        }
        self.schema
            .field(name)
            .map(|f| f.index)
            .ok_or_else(|| ConnectError::data(format!("{name} is not a valid field name")))
    }
}

fn validate_field(name: &str, schema: &Schema, value: &Value) -> Result<(), ConnectError> {
    if value.is_null() && !schema.optional {
        return Err(ConnectError::data(format!(
            "Invalid value: null used for required field: \"{name}\", schema type: {}",
            schema.schema_type
        )));
    }
    schema.validate_value(value)
}

impl fmt::Display for Struct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Struct{")?;
        let mut first = true;
        for (field, v) in self.schema.fields.iter().zip(&self.values) {
            if v.is_null() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{}={:?}", field.name, v)?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{schemas, SchemaBuilder};

    fn schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .field("a", schemas::int32())
            .unwrap()
            .field(
                "b",
                SchemaBuilder::string()
                    .optional()
                    .default_value(Value::from("dflt"))
                    .unwrap()
                    .build_ref(),
            )
            .unwrap()
            .build_ref()
    }

    #[test]
    fn get_applies_default_and_get_without_default_does_not() {
        let s = Struct::new(schema());
        assert_eq!(s.get("b").unwrap(), &Value::from("dflt"));
        assert_eq!(s.get_without_default("b").unwrap(), &Value::Null);
        assert!(s.get("zz").is_err());
    }

    #[test]
    fn put_validates_but_put_unchecked_does_not() {
        let mut s = Struct::new(schema());
        assert!(s.put("a", Value::from("x")).is_err());
        assert!(s.put("a", Value::Null).is_err());
        s.put_unchecked("a", Value::Null).unwrap();
        assert!(s.validate().is_err());
        s.put("a", Value::Int32(1)).unwrap();
        assert!(s.validate().is_ok());
    }
}
