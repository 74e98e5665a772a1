//! [`JsonCodec`]: the conversions between Connect data and JSON trees that JsonConverter and the
//! record JSON tools share, with the converter's settings and schema caches.

use std::sync::Arc;

use sluice_api::{ConnectResult, SchemaRef, Value};

use super::cache::{FromConnectCache, SchemaKey, ToConnectCache};
use super::config::JsonConverterConfig;
use super::node::JsonNode;

/// Connect data ↔ JSON trees under one [`JsonConverterConfig`].
///
/// * [`JsonCodec::as_json_schema`] / [`JsonCodec::as_connect_schema`]: the schema JSON form
///   (`schema.rs`).
/// * [`JsonCodec::convert_to_json`]: a value to its payload (`encode.rs`).
/// * [`JsonCodec::convert_to_connect`]: a payload to a value (`decode.rs`).
pub struct JsonCodec {
    pub(crate) config: JsonConverterConfig,
    pub(crate) from_connect: FromConnectCache,
    pub(crate) to_connect: ToConnectCache,
    /// Record JSON mode: nulls are accepted for any schema and structs are not validated
    /// (Connect does not validate records), see [`JsonCodec::for_record_json`].
    pub(crate) unvalidated: bool,
    /// The compact JSON of recently written schemas, by schema instance (pointer), most
    /// recently used first: see [`JsonCodec::json_schema_bytes`].
    schema_bytes: Vec<(SchemaRef, Vec<u8>)>,
}

/// How many schema instances [`JsonCodec::json_schema_bytes`] keeps the bytes of.
const SCHEMA_BYTES_CACHED: usize = 16;

impl JsonCodec {
    /// A codec with its own caches of `config.schemas_cache_size` entries.
    pub fn new(config: JsonConverterConfig) -> Self {
        JsonCodec {
            from_connect: FromConnectCache::new(config.schemas_cache_size),
            to_connect: ToConnectCache::new(config.schemas_cache_size),
            config,
            unvalidated: false,
            schema_bytes: Vec::new(),
        }
    }

    /// The codec of Sluice's record JSON: BASE64 decimals, nulls never replaced by defaults,
    /// and values taken as given (a null under a required schema, a struct missing a required
    /// field), as Connect records are not validated.
    pub fn for_record_json() -> Self {
        let mut codec = JsonCodec::new(JsonConverterConfig {
            schemas_enable: true,
            schemas_cache_size: 100,
            decimal_format: super::config::DecimalFormat::Base64,
            replace_null_with_default: false,
        });
        codec.unvalidated = true;
        codec
    }

    /// The settings.
    pub fn config(&self) -> &JsonConverterConfig {
        &self.config
    }

    /// Number of cached Connect→JSON schema conversions.
    pub fn from_connect_cache_len(&self) -> usize {
        self.from_connect.len()
    }

    /// Number of cached JSON→Connect schema conversions.
    pub fn to_connect_cache_len(&self) -> usize {
        self.to_connect.len()
    }

    pub(crate) fn cached_json_schema(&mut self, schema: &SchemaRef) -> Option<Arc<JsonNode>> {
        self.from_connect.get(&SchemaKey(schema.clone()))
    }

    pub(crate) fn cache_json_schema(&mut self, schema: &SchemaRef, node: Arc<JsonNode>) {
        self.from_connect.put(SchemaKey(schema.clone()), node);
    }

    /// The compact JSON bytes of [`JsonCodec::as_json_schema`]. The bytes of the last few
    /// schema instances are kept (looked up by pointer, the instance held so that its address
    /// stays its own), so that a writer repeating the same schema instance record after record
    /// neither hashes the schema nor serializes its tree again.
    pub fn json_schema_bytes(&mut self, schema: &SchemaRef) -> ConnectResult<&[u8]> {
        let index = match self
            .schema_bytes
            .iter()
            .position(|(s, _)| Arc::ptr_eq(s, schema))
        {
            Some(i) => i,
            None => {
                let node = self.as_json_schema(schema)?;
                if self.schema_bytes.len() >= SCHEMA_BYTES_CACHED {
                    self.schema_bytes.pop();
                }
                self.schema_bytes
                    .push((schema.clone(), super::write::to_bytes(&node)));
                self.schema_bytes.len() - 1
            }
        };
        if index > 0 {
            self.schema_bytes[..=index].rotate_right(1);
        }
        Ok(&self.schema_bytes[0].1)
    }

    /// Converts a value to its JSON payload, `None` standing for Java's `null` (a null value
    /// without a schema). See `encode.rs`.
    pub fn to_json(&self, schema: Option<&SchemaRef>, value: &Value) -> ConnectResult<JsonNode> {
        Ok(self
            .convert_to_json(schema.map(|s| s.as_ref()), value)?
            .unwrap_or(JsonNode::Null))
    }
}
