//! `org.apache.kafka.connect.converters.ByteArrayConverter`: bytes pass through.

use sluice_api::config::{ConfigDef, Props};
use sluice_api::{schemas, ConnectError, ConnectResult, SchemaAndValue, SchemaRef, Type, Value};

use crate::class_of;
use crate::config::{base_config_def, ConverterType};
use crate::dual::impl_dual_converter;

/// Java's class name.
pub const CLASS: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

/// `ByteArrayConverter`: writes BYTES values as they are, reads an optional BYTES.
#[derive(Debug, Clone, Default)]
pub struct ByteArrayConverter;

impl ByteArrayConverter {
    /// An unconfigured converter.
    pub fn new() -> Self {
        ByteArrayConverter
    }

    /// `converter.type` only.
    pub fn config_def() -> ConfigDef {
        base_config_def()
    }

    /// Java's ByteArrayConverter ignores its configuration.
    fn configure_as(&mut self, _props: &Props, _ty: ConverterType) -> ConnectResult<()> {
        Ok(())
    }

    /// The bytes themselves; `None` for null. The schema must be absent or BYTES.
    pub fn serialize(
        &mut self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if let Some(s) = schema.filter(|s| s.schema_type != Type::Bytes) {
            return Err(ConnectError::data(format!(
                "Invalid schema type for ByteArrayConverter: {}",
                s.schema_type
            )));
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.clone())),
            other => Err(ConnectError::data(format!(
                "ByteArrayConverter is not compatible with objects of type {}",
                class_of(other)
            ))),
        }
    }

    /// An optional BYTES holding the bytes (null for null).
    pub fn deserialize(&mut self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let value = bytes.map_or(Value::Null, |b| Value::Bytes(b.to_vec()));
        Ok(SchemaAndValue::new(Some(schemas::optional_bytes()), value))
    }
}

impl_dual_converter!(ByteArrayConverter);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_bytes_through() {
        let mut c = ByteArrayConverter;
        assert_eq!(
            c.serialize(Some(&schemas::bytes()), &Value::Bytes(vec![1, 2]))
                .unwrap(),
            Some(vec![1, 2])
        );
        assert_eq!(c.serialize(None, &Value::Null).unwrap(), None);
        let back = c.deserialize(Some(&[9])).unwrap();
        assert_eq!(back.value, Value::Bytes(vec![9]));
        assert_eq!(back.schema, Some(schemas::optional_bytes()));
        assert_eq!(c.deserialize(None).unwrap().value, Value::Null);
    }

    #[test]
    fn rejects_other_schemas_and_values() {
        let mut c = ByteArrayConverter;
        let err = c
            .serialize(Some(&schemas::string()), &Value::Bytes(vec![]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid schema type for ByteArrayConverter: STRING"
        );
        let err = c.serialize(None, &Value::from("x")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ByteArrayConverter is not compatible with objects of type class java.lang.String"
        );
    }
}
