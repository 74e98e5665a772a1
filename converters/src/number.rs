//! The fixed-width converters of `org.apache.kafka.connect.converters`: Short, Integer, Long,
//! Float and Double (Kafka's big-endian serializers, IEEE-754 for the floats) and Boolean (one
//! byte, `0x01`/`0x00`).

use sluice_api::config::{ConfigDef, Props};
use sluice_api::{schemas, ConnectError, ConnectResult, SchemaAndValue, SchemaRef, Type, Value};

use crate::class_of;
use crate::config::{base_config_def, configure, ConverterType};
use crate::dual::impl_dual_converter;

/// Generates one `NumberConverter` subclass: Java's type name (in messages), Kafka's
/// deserializer name (in messages), the value variant, its Rust type and byte width.
macro_rules! number_converter {
    ($name:ident, $class:literal, $type_name:literal, $deser:literal, $variant:ident, $rust:ty, $width:literal, $schema:path) => {
        #[doc = concat!("`", $class, "`: ", stringify!($width), "-byte big-endian `", $type_name, "` values; reads `", stringify!($schema), "`.")]
        #[derive(Debug, Clone, Default)]
        pub struct $name;

        impl $name {
            /// Java's class name.
            pub const CLASS: &'static str = $class;

            /// An unconfigured converter (it has no settings but `converter.type`).
            pub fn new() -> Self {
                $name
            }

            /// `NumberConverterConfig.configDef()`: `converter.type` only.
            pub fn config_def() -> ConfigDef {
                base_config_def()
            }

            fn configure_as(&mut self, props: &Props, ty: ConverterType) -> ConnectResult<()> {
                configure(&Self::config_def(), props, ty).map(|_| ())
            }

            /// The value's big-endian bytes; `None` for null. The schema is not checked.
            pub fn serialize(
                &mut self,
                _schema: Option<&SchemaRef>,
                value: &Value,
            ) -> ConnectResult<Option<Vec<u8>>> {
                match value {
                    Value::Null => Ok(None),
                    Value::$variant(v) => Ok(Some(v.to_be_bytes().to_vec())),
                    other => Err(ConnectError::data(format!(
                        "Failed to serialize to {} (was {}): ",
                        $type_name,
                        class_of(other)
                    ))),
                }
            }

            /// The value of exactly
            #[doc = stringify!($width)]
            /// bytes; null for null bytes.
            pub fn deserialize(&mut self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
                let value = match bytes {
                    None => Value::Null,
                    Some(b) => {
                        let arr: [u8; $width] = b.try_into().map_err(|_| {
                            ConnectError::data(format!(
                                "Failed to deserialize {}: Size of data received by {} is not {}",
                                $type_name, $deser, $width
                            ))
                        })?;
                        Value::$variant(<$rust>::from_be_bytes(arr))
                    }
                };
                Ok(SchemaAndValue::new(Some($schema()), value))
            }
        }

        impl_dual_converter!($name);
    };
}

number_converter!(
    ShortConverter,
    "org.apache.kafka.connect.converters.ShortConverter",
    "short",
    "ShortDeserializer",
    Int16,
    i16,
    2,
    schemas::optional_int16
);
number_converter!(
    IntegerConverter,
    "org.apache.kafka.connect.converters.IntegerConverter",
    "integer",
    "IntegerDeserializer",
    Int32,
    i32,
    4,
    schemas::optional_int32
);
number_converter!(
    LongConverter,
    "org.apache.kafka.connect.converters.LongConverter",
    "long",
    "LongDeserializer",
    Int64,
    i64,
    8,
    schemas::optional_int64
);
number_converter!(
    FloatConverter,
    "org.apache.kafka.connect.converters.FloatConverter",
    "float",
    "Deserializer",
    Float32,
    f32,
    4,
    schemas::optional_float32
);
number_converter!(
    DoubleConverter,
    "org.apache.kafka.connect.converters.DoubleConverter",
    "double",
    "Deserializer",
    Float64,
    f64,
    8,
    schemas::optional_float64
);

/// `org.apache.kafka.connect.converters.BooleanConverter`: one byte, `0x01` for true and `0x00`
/// for false; reads an optional BOOLEAN.
#[derive(Debug, Clone, Default)]
pub struct BooleanConverter;

impl BooleanConverter {
    /// Java's class name.
    pub const CLASS: &'static str = "org.apache.kafka.connect.converters.BooleanConverter";

    /// An unconfigured converter.
    pub fn new() -> Self {
        BooleanConverter
    }

    /// `BooleanConverterConfig.configDef()`: `converter.type` only.
    pub fn config_def() -> ConfigDef {
        base_config_def()
    }

    fn configure_as(&mut self, props: &Props, ty: ConverterType) -> ConnectResult<()> {
        configure(&Self::config_def(), props, ty).map(|_| ())
    }

    /// One byte; `None` for null. A non-BOOLEAN schema or a non-boolean value is an error.
    pub fn serialize(
        &mut self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if let Some(s) = schema.filter(|s| s.schema_type != Type::Boolean) {
            return Err(ConnectError::data(format!(
                "Invalid schema type for BooleanConverter: {}",
                s.schema_type
            )));
        }
        match value {
            Value::Null => Ok(None),
            Value::Boolean(b) => Ok(Some(vec![u8::from(*b)])),
            other => Err(ConnectError::data(format!(
                "BooleanConverter is not compatible with objects of type {}",
                class_of(other)
            ))),
        }
    }

    /// Exactly one byte, `0x00` or `0x01`; null for null bytes.
    pub fn deserialize(&mut self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let value = match bytes {
            None => Value::Null,
            Some([0]) => Value::Boolean(false),
            Some([1]) => Value::Boolean(true),
            Some([b]) => {
                return Err(ConnectError::data(format!(
                    "Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: {}",
                    *b as i8
                )))
            }
            Some(_) => {
                return Err(ConnectError::data(
                    "Failed to deserialize boolean: Size of data received by BooleanDeserializer is not 1",
                ))
            }
        };
        Ok(SchemaAndValue::new(
            Some(schemas::optional_boolean()),
            value,
        ))
    }
}

impl_dual_converter!(BooleanConverter);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_big_endian() {
        assert_eq!(
            ShortConverter
                .serialize(None, &Value::Int16(0x0102))
                .unwrap(),
            Some(vec![1, 2])
        );
        assert_eq!(
            IntegerConverter.serialize(None, &Value::Int32(-2)).unwrap(),
            Some(vec![0xff, 0xff, 0xff, 0xfe])
        );
        assert_eq!(
            LongConverter.serialize(None, &Value::Int64(1)).unwrap(),
            Some(vec![0, 0, 0, 0, 0, 0, 0, 1])
        );
        assert_eq!(
            FloatConverter
                .serialize(None, &Value::Float32(1.0))
                .unwrap(),
            Some(vec![0x3f, 0x80, 0, 0])
        );
        assert_eq!(
            DoubleConverter
                .serialize(None, &Value::Float64(-2.0))
                .unwrap(),
            Some(vec![0xc0, 0, 0, 0, 0, 0, 0, 0])
        );
        assert_eq!(
            IntegerConverter.serialize(None, &Value::Null).unwrap(),
            None
        );
    }

    #[test]
    fn round_trips_with_optional_schemas() {
        for v in [i64::MIN, -1, 0, 1, i64::MAX] {
            let bytes = LongConverter.serialize(None, &Value::Int64(v)).unwrap();
            let back = LongConverter.deserialize(bytes.as_deref()).unwrap();
            assert_eq!(back.value, Value::Int64(v));
            assert_eq!(back.schema, Some(schemas::optional_int64()));
        }
        let back = DoubleConverter.deserialize(None).unwrap();
        assert_eq!(back.value, Value::Null);
        assert_eq!(back.schema, Some(schemas::optional_float64()));
    }

    #[test]
    fn java_error_messages() {
        let err = IntegerConverter.deserialize(Some(b"42")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to deserialize integer: Size of data received by IntegerDeserializer is not 4"
        );
        let err = ShortConverter
            .serialize(None, &Value::from("x"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to serialize to short (was class java.lang.String): "
        );
        let err = BooleanConverter.deserialize(Some(b"42")).unwrap_err();
        assert!(err.to_string().ends_with("is not 1"));
        let err = BooleanConverter.deserialize(Some(&[0xff])).unwrap_err();
        assert!(err.to_string().ends_with("BooleanDeserializer: -1"));
        let err = BooleanConverter
            .serialize(Some(&schemas::int32()), &Value::Boolean(true))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid schema type for BooleanConverter: INT32"
        );
        let err = BooleanConverter
            .serialize(None, &Value::Int32(1))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "BooleanConverter is not compatible with objects of type class java.lang.Integer"
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(
            BooleanConverter
                .serialize(None, &Value::Boolean(true))
                .unwrap(),
            Some(vec![1])
        );
        assert_eq!(
            BooleanConverter.deserialize(Some(&[0])).unwrap().value,
            Value::Boolean(false)
        );
        assert_eq!(
            BooleanConverter.deserialize(None).unwrap().schema,
            Some(schemas::optional_boolean())
        );
    }
}
