//! `org.apache.kafka.connect.storage.StringConverter`: a value's `toString()` in a charset.

use sluice_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Props, Width};
use sluice_api::values::java_to_string;
use sluice_api::{schemas, ConfigError, ConnectResult, SchemaAndValue, SchemaRef, Value};

use crate::charset::Charset;
use crate::config::{base_config_def, configure, ConverterType};
use crate::dual::impl_dual_converter;

/// Java's class name.
pub const CLASS: &str = "org.apache.kafka.connect.storage.StringConverter";
/// `converter.encoding`: the charset (default `UTF-8`; `key.converter.encoding` or
/// `value.converter.encoding` in worker and connector configs).
pub const ENCODING_CONFIG: &str = "converter.encoding";

/// `StringConverter`: writes `String.valueOf(value)` (see
/// [`sluice_api::values::java_to_string`]) ignoring the schema, reads an optional STRING.
#[derive(Debug, Clone)]
pub struct StringConverter {
    charset: Charset,
}

impl Default for StringConverter {
    fn default() -> Self {
        StringConverter {
            charset: Charset::Utf8,
        }
    }
}

impl StringConverter {
    /// An unconfigured converter (UTF-8).
    pub fn new() -> Self {
        Self::default()
    }

    /// `StringConverterConfig.configDef()`.
    pub fn config_def() -> ConfigDef {
        let mut key = ConfigKey::new(
            ENCODING_CONFIG,
            ConfigType::String,
            Importance::High,
            "The name of the Java character set to use for encoding strings as byte arrays.",
        )
        .default("UTF-8");
        key.width = Width::Medium;
        key.display_name = "Encoding".to_string();
        base_config_def().define(key)
    }

    fn configure_as(&mut self, props: &Props, ty: ConverterType) -> ConnectResult<()> {
        let parsed = configure(&Self::config_def(), props, ty)?;
        let name = parsed.require_string(ENCODING_CONFIG)?;
        self.charset = Charset::for_name(name).ok_or_else(|| {
            ConfigError::invalid(
                ENCODING_CONFIG,
                name,
                format!("Unsupported encoding {name}"),
            )
        })?;
        Ok(())
    }

    /// The bytes of `value.toString()`; `None` for null.
    pub fn serialize(
        &mut self,
        _schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        Ok(match value {
            Value::Null => None,
            Value::String(s) => Some(self.charset.encode(s)),
            other => Some(self.charset.encode(&java_to_string(other))),
        })
    }

    /// An optional STRING (null for null bytes).
    pub fn deserialize(&mut self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let value = bytes.map_or(Value::Null, |b| Value::String(self.charset.decode(b)));
        Ok(SchemaAndValue::new(Some(schemas::optional_string()), value))
    }
}

impl_dual_converter!(StringConverter);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::{ConnectError, Converter, Headers};

    fn configured(encoding: Option<&str>) -> ConnectResult<StringConverter> {
        let mut props = Props::new();
        if let Some(e) = encoding {
            props.insert(ENCODING_CONFIG.to_string(), e.to_string());
        }
        let mut c = StringConverter::new();
        Converter::configure(&mut c, &props, false)?;
        Ok(c)
    }

    #[test]
    fn writes_to_string_in_the_charset() {
        let mut c = configured(None).unwrap();
        let mut h = Headers::new();
        let w = |c: &mut StringConverter, h: &mut Headers, v: Value| {
            c.from_connect_data("t", h, None, &v).unwrap()
        };
        assert_eq!(
            w(&mut c, &mut h, Value::from("é")),
            Some("é".as_bytes().to_vec())
        );
        assert_eq!(w(&mut c, &mut h, Value::Int32(42)), Some(b"42".to_vec()));
        assert_eq!(
            w(&mut c, &mut h, Value::Float64(1e10)),
            Some(b"1.0E10".to_vec())
        );
        assert_eq!(w(&mut c, &mut h, Value::Null), None);
        let mut c16 = configured(Some("UTF-16")).unwrap();
        assert_eq!(
            w(&mut c16, &mut h, Value::from("a")),
            Some(vec![0xFE, 0xFF, 0, b'a'])
        );
    }

    #[test]
    fn reads_optional_strings() {
        let mut c = configured(Some("ISO-8859-1")).unwrap();
        let got = c
            .to_connect_data("t", &Headers::new(), Some(&[0xE9]))
            .unwrap();
        assert_eq!(got.schema, Some(schemas::optional_string()));
        assert_eq!(got.value, Value::from("é"));
        let null = c.to_connect_data("t", &Headers::new(), None).unwrap();
        assert_eq!(null.value, Value::Null);
        assert_eq!(null.schema, Some(schemas::optional_string()));
    }

    #[test]
    fn unknown_charset_is_a_config_error_naming_the_key() {
        let err = configured(Some("KLINGON")).unwrap_err();
        let ConnectError::Config(e) = err else {
            panic!("config error expected")
        };
        assert_eq!(e.key.as_deref(), Some(ENCODING_CONFIG));
        assert!(e.message.contains("KLINGON"));
    }
}
