//! `org.apache.kafka.connect.storage.SimpleHeaderConverter`: header values as their
//! `Values.convertToString` text in UTF-8, read back with `Values.parseString`.

use sluice_api::config::{ConfigDef, Props};
use sluice_api::values::{convert_to_string, parse_string};
use sluice_api::{schemas, ConnectResult, HeaderConverter, SchemaAndValue, SchemaRef, Value};

/// Java's class name.
pub const CLASS: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// `SimpleHeaderConverter`, the default header converter. It has no settings.
///
/// Reading: null bytes are `(null, null)`; valid UTF-8 is parsed with
/// [`sluice_api::values::parse_string`] (`"1"` is INT8, `{"a":"b"}` a MAP); bytes that are not
/// UTF-8 come back as `(BYTES, raw bytes)`, as Java falls back when parsing fails.
#[derive(Debug, Clone, Default)]
pub struct SimpleHeaderConverter;

impl SimpleHeaderConverter {
    /// A converter.
    pub fn new() -> Self {
        SimpleHeaderConverter
    }

    /// No keys.
    pub fn config_def() -> ConfigDef {
        ConfigDef::new()
    }
}

impl HeaderConverter for SimpleHeaderConverter {
    fn config_def(&self) -> ConfigDef {
        Self::config_def()
    }

    fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
        Ok(())
    }

    fn from_connect_header(
        &mut self,
        _topic: &str,
        _header_key: &str,
        _schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        Ok(convert_to_string(value).map(String::into_bytes))
    }

    fn to_connect_header(
        &mut self,
        topic: &str,
        header_key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(parse_string(s)),
            Err(_) => {
                // Java decodes malformed UTF-8 as U+FFFD and parses that; Sluice keeps the
                // bytes intact instead, as Java does whenever parsing fails.
                tracing::warn!(
                    topic,
                    header = header_key,
                    "header value is not UTF-8, so using byte array"
                );
                Ok(SchemaAndValue::new(
                    Some(schemas::bytes()),
                    Value::Bytes(bytes.to_vec()),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::Type;

    fn write(v: &Value) -> Option<Vec<u8>> {
        SimpleHeaderConverter
            .from_connect_header("t", "h", None, v)
            .unwrap()
    }

    fn read(b: Option<&[u8]>) -> SchemaAndValue {
        SimpleHeaderConverter
            .to_connect_header("t", "h", b)
            .unwrap()
    }

    #[test]
    fn writes_values_as_strings() {
        assert_eq!(write(&Value::Int32(123)), Some(b"123".to_vec()));
        assert_eq!(write(&Value::from("x")), Some(b"x".to_vec()));
        assert_eq!(
            write(&Value::string_map([("foo", Value::from("123"))])),
            Some(br#"{"foo":"123"}"#.to_vec())
        );
        assert_eq!(write(&Value::Null), None);
    }

    #[test]
    fn reads_typed_values() {
        let v = read(Some(b"1"));
        assert_eq!(v.schema.unwrap().schema_type, Type::Int8);
        assert_eq!(v.value, Value::Int8(1));
        let v = read(Some(br#"{"foo":"123"}"#));
        let schema = v.schema.unwrap();
        assert_eq!(schema.schema_type, Type::Map);
        assert_eq!(v.value, Value::string_map([("foo", Value::from("123"))]));
        assert_eq!(read(None), SchemaAndValue::NULL);
        let raw = read(Some(&[0xff, 0xfe]));
        assert_eq!(raw.schema, Some(schemas::bytes()));
        assert_eq!(raw.value, Value::Bytes(vec![0xff, 0xfe]));
    }

    #[test]
    fn round_trips() {
        for v in [
            Value::Int16(1000),
            Value::Boolean(false),
            Value::from("hello world"),
            Value::Array(vec![Value::Int8(1), Value::Int8(2)]),
        ] {
            let bytes = write(&v);
            assert_eq!(read(bytes.as_deref()).value, v);
        }
    }
}
