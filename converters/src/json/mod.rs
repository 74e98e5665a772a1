//! `org.apache.kafka.connect.json.JsonConverter`, byte-compatible with Java's.
//!
//! Modules: [`config`] (the keys), [`node`] (the JSON tree), [`parse`] and [`write`] (Jackson's
//! reading and writing), [`schema`] (schema JSON), `encode`/`decode` (payloads), [`codec`]
//! (what ties them to a configuration), `cache` (the schema LRU caches).

pub(crate) mod cache;
pub mod codec;
pub mod config;
mod decode;
pub(crate) mod direct;
mod encode;
mod envelope;
pub mod node;
pub mod parse;
pub mod schema;
pub mod write;

use std::sync::Arc;

use sluice_api::config::{ConfigDef, Props};
use sluice_api::{
    ConnectError, ConnectResult, Converter, HeaderConverter, Headers, SchemaAndValue, SchemaRef,
    Value,
};

pub use codec::JsonCodec;
pub use config::{DecimalFormat, JsonConverterConfig};
pub use node::{JsonNode, JsonNumber};

use crate::config::ConverterType;

/// Java's class name.
pub const CLASS: &str = "org.apache.kafka.connect.json.JsonConverter";

const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";
const READ_ERROR: &str =
    "Converting byte[] to Kafka Connect data failed due to serialization error: ";

/// `JsonConverter`: Connect data ↔ JSON, with or without the `{"schema","payload"}` envelope.
///
/// Unconfigured, it behaves as configured with defaults (schemas enabled, BASE64 decimals).
pub struct JsonConverter {
    codec: JsonCodec,
    /// The last top-level schema written and its serialized JSON: most tasks write one schema
    /// over and over, and this skips even the cache lookup for it.
    last_schema: Option<(SchemaRef, Arc<Vec<u8>>)>,
    /// The bytes of the last envelope `schema` read and the schema they gave: consumers read
    /// one schema over and over, and this skips parsing and hashing it for every record.
    last_read: Option<(Vec<u8>, Option<SchemaRef>)>,
}

impl Default for JsonConverter {
    fn default() -> Self {
        Self::with_config(JsonConverterConfig::default())
    }
}

impl JsonConverter {
    /// An unconfigured converter (defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// A converter with explicit settings.
    pub fn with_config(config: JsonConverterConfig) -> Self {
        JsonConverter {
            codec: JsonCodec::new(config),
            last_schema: None,
            last_read: None,
        }
    }

    /// The converter's keys ([`JsonConverterConfig::config_def`]).
    pub fn config_def() -> ConfigDef {
        JsonConverterConfig::config_def()
    }

    /// The codec (schema JSON and payload conversions under this converter's settings).
    pub fn codec(&mut self) -> &mut JsonCodec {
        &mut self.codec
    }

    fn configure_as(&mut self, props: &Props, ty: ConverterType) -> ConnectResult<()> {
        *self = Self::with_config(JsonConverterConfig::from_props(props, ty)?);
        Ok(())
    }

    fn schema_bytes(&mut self, schema: &SchemaRef) -> ConnectResult<Arc<Vec<u8>>> {
        if let Some((last, bytes)) = &self.last_schema {
            if Arc::ptr_eq(last, schema) {
                return Ok(bytes.clone());
            }
        }
        let node = self.codec.as_json_schema(schema)?;
        let bytes = Arc::new(write::to_bytes(&node));
        self.last_schema = Some((schema.clone(), bytes.clone()));
        Ok(bytes)
    }

    /// `fromConnectData`: the JSON bytes of a value, `None` (a tombstone) for a null value
    /// without a schema.
    pub fn serialize(
        &mut self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        if self.codec.config.schemas_enable {
            let schema_bytes = match schema {
                Some(s) => Some(self.schema_bytes(s)?),
                None => None,
            };
            let payload = self.codec.to_json(schema, value)?;
            let mut out = Vec::with_capacity(64);
            out.extend_from_slice(b"{\"schema\":");
            match schema_bytes {
                Some(b) => out.extend_from_slice(&b),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
            write::write(&mut out, &payload);
            out.push(b'}');
            Ok(Some(out))
        } else {
            let payload = self
                .codec
                .convert_to_json(schema.map(|s| s.as_ref()), value)?;
            Ok(payload.map(|p| write::to_bytes(&p)))
        }
    }

    /// `toConnectData`: the Connect data of JSON bytes (`None` bytes are a null value).
    pub fn deserialize(&mut self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        if self.codec.config.schemas_enable {
            if let Some(read) = self.deserialize_envelope(bytes)? {
                return Ok(read);
            }
        }
        if !self.codec.config.schemas_enable {
            // Straight into the value; the tree reads whatever the direct reader gives up on.
            if let Some(value) = direct::read_all(bytes, &mut direct::ConverterRules) {
                return Ok(SchemaAndValue::new(None, value));
            }
        }
        let node =
            parse::parse(bytes).map_err(|e| ConnectError::data(format!("{READ_ERROR}{e}")))?;
        if !self.codec.config.schemas_enable {
            let value = node.map_or(Value::Null, decode::schemaless_to_connect);
            return Ok(SchemaAndValue::new(None, value));
        }
        let (schema_node, payload) = match &node {
            Some(JsonNode::Object(m)) if m.len() == 2 => {
                match (m.get("schema"), m.get("payload")) {
                    (Some(s), Some(p)) => (s, p),
                    _ => return Err(ConnectError::data(ENVELOPE_ERROR)),
                }
            }
            _ => return Err(ConnectError::data(ENVELOPE_ERROR)),
        };
        let schema = self.codec.as_connect_schema(schema_node)?;
        let value = self
            .codec
            .convert_to_connect(schema.as_ref(), Some(payload))?;
        Ok(SchemaAndValue::new(schema, value))
    }
}

impl JsonConverter {
    /// The fast path of [`JsonConverter::deserialize`] for a plain envelope whose schema bytes
    /// repeat: `None` when the general path must read the bytes (and report any error).
    fn deserialize_envelope(&mut self, bytes: &[u8]) -> ConnectResult<Option<SchemaAndValue>> {
        let known = self.last_read.as_ref().map(|(b, _)| b.as_slice());
        let Some(envelope) = envelope::split(bytes, known) else {
            return Ok(None);
        };
        // Both spans parse before any conversion, so errors come out as the general path's.
        let Ok(Some(payload)) = parse::parse(envelope.payload) else {
            return Ok(None);
        };
        let schema = match &self.last_read {
            Some((last, schema)) if last.as_slice() == envelope.schema => schema.clone(),
            _ => {
                let Ok(Some(node)) = parse::parse(envelope.schema) else {
                    return Ok(None);
                };
                let schema = self.codec.as_connect_schema(&node)?;
                self.last_read = Some((envelope.schema.to_vec(), schema.clone()));
                schema
            }
        };
        let value = self
            .codec
            .convert_to_connect(schema.as_ref(), Some(&payload))?;
        Ok(Some(SchemaAndValue::new(schema, value)))
    }
}

impl Converter for JsonConverter {
    fn config_def(&self) -> ConfigDef {
        Self::config_def()
    }
    fn configure(&mut self, props: &Props, is_key: bool) -> ConnectResult<()> {
        self.configure_as(props, ConverterType::for_key(is_key))
    }
    fn from_connect_data(
        &mut self,
        _topic: &str,
        _headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.serialize(schema, value)
    }
    fn to_connect_data(
        &mut self,
        _topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        self.deserialize(bytes)
    }
}

impl HeaderConverter for JsonConverter {
    fn config_def(&self) -> ConfigDef {
        Self::config_def()
    }
    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        self.configure_as(props, ConverterType::Header)
    }
    fn from_connect_header(
        &mut self,
        _topic: &str,
        _header_key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.serialize(schema, value)
    }
    fn to_connect_header(
        &mut self,
        _topic: &str,
        _header_key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        self.deserialize(bytes)
    }
}

#[cfg(test)]
mod tests;
