//! Sluice's converters, byte-compatible with Kafka Connect's:
//!
//! * [`json::JsonConverter`] (`org.apache.kafka.connect.json.JsonConverter`);
//! * [`string::StringConverter`] (`org.apache.kafka.connect.storage.StringConverter`);
//! * [`bytearray::ByteArrayConverter`] and the fixed-width [`number`] converters
//!   (`org.apache.kafka.connect.converters.*`);
//! * [`avro::AvroConverter`] (`io.confluent.connect.avro.AvroConverter`, key and value only);
//! * [`header::SimpleHeaderConverter`] (`org.apache.kafka.connect.storage.SimpleHeaderConverter`).
//!
//! Every converter but SimpleHeaderConverter is also a header converter; [`plugins`] lists each
//! under its Java class name, once per role. [`record_json`] reads and writes the record JSON of
//! Sluice's command-line tools.

pub mod avro;
pub mod bytearray;
pub mod charset;
pub mod config;
mod dual;
pub mod header;
pub mod json;
pub mod number;
pub mod record_json;
pub mod string;

use sluice_api::{Converter, HeaderConverter, Plugin, PluginFactory, Value, SLUICE_VERSION};

pub use avro::AvroConverter;
pub use bytearray::ByteArrayConverter;
pub use header::SimpleHeaderConverter;
pub use json::JsonConverter;
pub use number::{
    BooleanConverter, DoubleConverter, FloatConverter, IntegerConverter, LongConverter,
    ShortConverter,
};
pub use string::StringConverter;

/// `value.getClass()` as Java prints it in messages (`class java.lang.String`).
pub(crate) fn class_of(value: &Value) -> String {
    format!("class {}", value.java_class())
}

fn converter<T: Converter + Default + 'static>() -> Box<dyn Converter> {
    Box::new(T::default())
}

fn header_converter<T: HeaderConverter + Default + 'static>() -> Box<dyn HeaderConverter> {
    Box::new(T::default())
}

fn both<T: Converter + HeaderConverter + Default + 'static>(class: &'static str) -> [Plugin; 2] {
    [
        Plugin {
            class,
            version: SLUICE_VERSION,
            factory: PluginFactory::Converter(converter::<T>),
        },
        Plugin {
            class,
            version: SLUICE_VERSION,
            factory: PluginFactory::HeaderConverter(header_converter::<T>),
        },
    ]
}

/// Every plugin this crate provides, for the worker's registry: each converter as a
/// `Converter` and as a `HeaderConverter`, plus SimpleHeaderConverter.
pub fn plugins() -> Vec<Plugin> {
    let mut out = Vec::new();
    out.extend(both::<JsonConverter>(json::CLASS));
    out.extend(both::<StringConverter>(string::CLASS));
    out.extend(both::<ByteArrayConverter>(bytearray::CLASS));
    out.extend(both::<ShortConverter>(ShortConverter::CLASS));
    out.extend(both::<IntegerConverter>(IntegerConverter::CLASS));
    out.extend(both::<LongConverter>(LongConverter::CLASS));
    out.extend(both::<FloatConverter>(FloatConverter::CLASS));
    out.extend(both::<DoubleConverter>(DoubleConverter::CLASS));
    out.extend(both::<BooleanConverter>(BooleanConverter::CLASS));
    out.push(Plugin {
        class: avro::CLASS,
        version: SLUICE_VERSION,
        factory: PluginFactory::Converter(converter::<AvroConverter>),
    });
    out.push(Plugin {
        class: header::CLASS,
        version: SLUICE_VERSION,
        factory: PluginFactory::HeaderConverter(header_converter::<SimpleHeaderConverter>),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::{PluginType, Props};

    #[test]
    fn plugins_are_listed_by_java_class_and_role() {
        let plugins = plugins();
        assert_eq!(plugins.len(), 20);
        let has = |class: &str, t: PluginType| {
            plugins
                .iter()
                .any(|p| p.class == class && p.factory.plugin_type() == t)
        };
        assert!(has(
            "org.apache.kafka.connect.json.JsonConverter",
            PluginType::Converter
        ));
        assert!(has(
            "org.apache.kafka.connect.json.JsonConverter",
            PluginType::HeaderConverter
        ));
        assert!(has(
            "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            PluginType::HeaderConverter
        ));
        assert!(!has(
            "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            PluginType::Converter
        ));
        // Every factory makes a configurable instance.
        for p in &plugins {
            match p.factory {
                // AvroConverter needs a registry URL.
                PluginFactory::Converter(f) if p.class == avro::CLASS => f()
                    .configure(
                        &sluice_api::config::props_of(&[("schema.registry.url", "http://r")]),
                        true,
                    )
                    .unwrap(),
                PluginFactory::Converter(f) => f().configure(&Props::new(), true).unwrap(),
                PluginFactory::HeaderConverter(f) => f().configure(&Props::new()).unwrap(),
                _ => panic!("unexpected plugin type for {}", p.class),
            }
        }
    }
}
