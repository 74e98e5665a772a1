//! The key, value and header converters of one task, chosen and configured as Java does:
//! the connector's `key.converter`/`value.converter`/`header.converter` when set (configured
//! by the connector's own prefixed keys only), else the worker's (configured by the worker's
//! prefixed keys).

use std::sync::Arc;

use sluice_api::config::originals_with_prefix;
use sluice_api::{
    ConnectError, ConnectResult, Converter, HeaderConverter, Headers, PluginFactory, PluginType,
    Props, SchemaAndValue,
};

use crate::config::WorkerConfig;
use crate::plugins::PluginRegistry;

use super::Stage;

/// A serialized header: key and value bytes (`None`: null).
pub type RawHeader = (String, Option<Vec<u8>>);

/// The three converters of a task.
pub struct RecordConverters {
    key: Box<dyn Converter>,
    value: Box<dyn Converter>,
    header: Box<dyn HeaderConverter>,
    classes: Arc<ConverterClasses>,
}

/// The Java class names of a task's converters (for error reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConverterClasses {
    /// Key converter class.
    pub key: String,
    /// Value converter class.
    pub value: String,
    /// Header converter class.
    pub header: String,
}

impl Default for ConverterClasses {
    fn default() -> Self {
        ConverterClasses {
            key: "org.apache.kafka.connect.storage.Converter".into(),
            value: "org.apache.kafka.connect.storage.Converter".into(),
            header: "org.apache.kafka.connect.storage.HeaderConverter".into(),
        }
    }
}

/// Which class and settings configure one converter.
fn choose<'a>(
    key: &str,
    worker_class: &'a str,
    worker: &'a Props,
    connector: &'a Props,
) -> (&'a str, Props) {
    match connector.get(key).filter(|c| !c.trim().is_empty()) {
        Some(class) => (
            class.as_str(),
            originals_with_prefix(connector, &format!("{key}.")),
        ),
        None => (
            worker_class,
            originals_with_prefix(worker, &format!("{key}.")),
        ),
    }
}

fn not_found(key: &str, class: &str) -> ConnectError {
    ConnectError::Config(sluice_api::ConfigError::invalid(
        key,
        class,
        format!("Class {class} could not be found."),
    ))
}

/// Instantiates and configures a key or value converter.
pub fn build_converter(
    registry: &PluginRegistry,
    config_key: &str,
    class: &str,
    props: &Props,
    is_key: bool,
) -> ConnectResult<Box<dyn Converter>> {
    match registry
        .find(class, PluginType::Converter)
        .map(|p| p.factory)
    {
        Some(PluginFactory::Converter(make)) => {
            let mut converter = make();
            converter.configure(props, is_key)?;
            Ok(converter)
        }
        _ => Err(not_found(config_key, class)),
    }
}

/// Instantiates and configures a header converter.
pub fn build_header_converter(
    registry: &PluginRegistry,
    class: &str,
    props: &Props,
) -> ConnectResult<Box<dyn HeaderConverter>> {
    match registry
        .find(class, PluginType::HeaderConverter)
        .map(|p| p.factory)
    {
        Some(PluginFactory::HeaderConverter(make)) => {
            let mut converter = make();
            converter.configure(props)?;
            Ok(converter)
        }
        _ => Err(not_found("header.converter", class)),
    }
}

impl RecordConverters {
    /// The converters for a task of the connector configured by `connector`.
    pub fn build(
        registry: &PluginRegistry,
        worker: &WorkerConfig,
        connector: &Props,
    ) -> ConnectResult<Self> {
        let (kc, kp) = choose(
            "key.converter",
            &worker.key_converter,
            &worker.originals,
            connector,
        );
        let (vc, vp) = choose(
            "value.converter",
            &worker.value_converter,
            &worker.originals,
            connector,
        );
        let (hc, hp) = choose(
            "header.converter",
            &worker.header_converter,
            &worker.originals,
            connector,
        );
        let class = |name: &str, ty: PluginType| {
            registry
                .find(name, ty)
                .map_or_else(|| name.to_string(), |p| p.class.to_string())
        };
        Ok(RecordConverters {
            key: build_converter(registry, "key.converter", kc, &kp, true)?,
            value: build_converter(registry, "value.converter", vc, &vp, false)?,
            header: build_header_converter(registry, hc, &hp)?,
            classes: Arc::new(ConverterClasses {
                key: class(kc, PluginType::Converter),
                value: class(vc, PluginType::Converter),
                header: class(hc, PluginType::HeaderConverter),
            }),
        })
    }

    /// From explicit instances (tests, tools).
    pub fn new(
        key: Box<dyn Converter>,
        value: Box<dyn Converter>,
        header: Box<dyn HeaderConverter>,
    ) -> Self {
        RecordConverters {
            key,
            value,
            header,
            classes: Arc::default(),
        }
    }

    /// Sets the class names used in error reports.
    pub fn with_classes(mut self, classes: ConverterClasses) -> Self {
        self.classes = Arc::new(classes);
        self
    }

    /// The class names of the converters.
    pub fn classes(&self) -> Arc<ConverterClasses> {
        self.classes.clone()
    }

    /// The class name of the converter of `stage` (empty for other stages).
    pub fn class_for(&self, stage: Stage) -> &str {
        match stage {
            Stage::KeyConverter => &self.classes.key,
            Stage::ValueConverter => &self.classes.value,
            Stage::HeaderConverter => &self.classes.header,
            _ => "",
        }
    }

    /// Serializes a key (the key converter stage); the converter may amend `headers`.
    pub fn key_to_kafka(
        &mut self,
        topic: &str,
        headers: &mut Headers,
        schema: Option<&sluice_api::SchemaRef>,
        key: &sluice_api::Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        self.key.from_connect_data(topic, headers, schema, key)
    }

    /// Serializes a value (the value converter stage); the converter may amend `headers`.
    pub fn value_to_kafka(
        &mut self,
        topic: &str,
        headers: &mut Headers,
        schema: Option<&sluice_api::SchemaRef>,
        value: &sluice_api::Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        self.value.from_connect_data(topic, headers, schema, value)
    }

    /// Serializes every header (the header converter stage).
    pub fn headers_to_kafka(
        &mut self,
        topic: &str,
        headers: &Headers,
    ) -> Result<Vec<RawHeader>, ConnectError> {
        let mut out = Vec::with_capacity(headers.len());
        for h in headers.iter() {
            let bytes = self
                .header
                .from_connect_header(topic, &h.key, h.schema(), &h.value)?;
            out.push((h.key.clone(), bytes));
        }
        Ok(out)
    }

    /// Converts a consumed record's headers (the header converter stage).
    pub fn headers_from_kafka(
        &mut self,
        topic: &str,
        raw_headers: &[(String, Option<Vec<u8>>)],
    ) -> Result<Headers, ConnectError> {
        let mut headers = Headers::new();
        for (k, v) in raw_headers {
            let sv = self.header.to_connect_header(topic, k, v.as_deref())?;
            headers.add(k.clone(), sv.schema, sv.value);
        }
        Ok(headers)
    }

    /// Converts a consumed record's key (the key converter stage).
    pub fn key_from_kafka(
        &mut self,
        topic: &str,
        headers: &Headers,
        key: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConnectError> {
        self.key.to_connect_data(topic, headers, key)
    }

    /// Converts a consumed record's value (the value converter stage).
    pub fn value_from_kafka(
        &mut self,
        topic: &str,
        headers: &Headers,
        value: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConnectError> {
        self.value.to_connect_data(topic, headers, value)
    }

    /// Serializes a source record's key, value and headers.
    pub fn to_kafka(
        &mut self,
        record: &mut sluice_api::ConnectRecord,
    ) -> Result<KafkaBytes, (Stage, ConnectError)> {
        let topic = record.topic_name().to_string();
        let key = self
            .key
            .from_connect_data(
                &topic,
                &mut record.headers,
                record.key_schema.as_ref(),
                &record.key,
            )
            .map_err(|e| (Stage::KeyConverter, e))?;
        let value = self
            .value
            .from_connect_data(
                &topic,
                &mut record.headers,
                record.value_schema.as_ref(),
                &record.value,
            )
            .map_err(|e| (Stage::ValueConverter, e))?;
        let mut headers = Vec::with_capacity(record.headers.len());
        for h in record.headers.iter() {
            let bytes = self
                .header
                .from_connect_header(&topic, &h.key, h.schema(), &h.value)
                .map_err(|e| (Stage::HeaderConverter, e))?;
            headers.push((h.key.clone(), bytes));
        }
        Ok(KafkaBytes {
            key,
            value,
            headers,
        })
    }

    /// Deserializes a consumed record's headers, key and value.
    pub fn from_kafka(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        raw_headers: &[(String, Option<Vec<u8>>)],
    ) -> Result<(SchemaAndValue, SchemaAndValue, Headers), (Stage, ConnectError)> {
        let mut headers = Headers::new();
        for (k, v) in raw_headers {
            let sv = self
                .header
                .to_connect_header(topic, k, v.as_deref())
                .map_err(|e| (Stage::HeaderConverter, e))?;
            headers.add(k.clone(), sv.schema, sv.value);
        }
        let key = self
            .key
            .to_connect_data(topic, &headers, key)
            .map_err(|e| (Stage::KeyConverter, e))?;
        let value = self
            .value
            .to_connect_data(topic, &headers, value)
            .map_err(|e| (Stage::ValueConverter, e))?;
        Ok((key, value, headers))
    }
}

/// A record serialized for Kafka.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KafkaBytes {
    /// Key bytes (`None`: null key).
    pub key: Option<Vec<u8>>,
    /// Value bytes (`None`: tombstone).
    pub value: Option<Vec<u8>>,
    /// Header keys and value bytes, in order.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

#[cfg(test)]
mod tests {
    use sluice_api::{
        schemas, ConnectRecord, OffsetMap, Props, SchemaBuilder, Struct, Transformation, Value,
    };
    use sluice_converters::json::JsonConverter;
    use sluice_converters::string::StringConverter;
    use sluice_transforms::headers::HeaderFrom;
    use sluice_transforms::Side;

    use super::RecordConverters;

    /// Java's `Header.schema()` reports a schemaless Struct header's own schema, so HeaderFrom in
    /// schemaless mode followed by JsonConverter as the header converter writes the struct.
    #[test]
    fn a_struct_moved_to_a_header_without_schema_is_written_by_its_own_schema() {
        let schema = SchemaBuilder::struct_()
            .name("point")
            .field("x", schemas::int32())
            .expect("field x")
            .build_ref();
        let mut point = Struct::new(schema);
        point.put("x", Value::Int32(4)).expect("x is int32");
        let mut record = ConnectRecord::source(
            OffsetMap::new(),
            OffsetMap::new(),
            "t",
            None,
            Value::Map(vec![(Value::from("p"), Value::Struct(point))]),
        );
        record.kafka_partition = Some(0);
        let mut header_from = HeaderFrom::new(Side::Value);
        let props: Props = [("fields", "p"), ("headers", "hp"), ("operation", "move")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        header_from.configure(&props).expect("configure HeaderFrom");
        let out = header_from
            .apply(record)
            .expect("HeaderFrom applies")
            .expect("a record");
        let mut json = JsonConverter::new();
        sluice_api::HeaderConverter::configure(&mut json, &Props::new())
            .expect("configure JsonConverter");
        let mut converters = RecordConverters::new(
            Box::new(StringConverter::new()),
            Box::new(StringConverter::new()),
            Box::new(json),
        );
        let raw = converters
            .headers_to_kafka("t", &out.headers)
            .expect("the header converts");
        assert_eq!(raw.len(), 1);
        assert_eq!(
            String::from_utf8(raw[0].1.clone().expect("bytes")).expect("utf-8"),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"x"}],"optional":false,"name":"point"},"payload":{"x":4}}"#
        );
    }
}
