//! `Converter` and `HeaderConverter`: between Connect data and the bytes stored in Kafka.

use crate::config::{ConfigDef, Props};
use crate::error::ConnectResult;
use crate::header::Headers;
use crate::schema::SchemaRef;
use crate::value::{SchemaAndValue, Value};

/// `org.apache.kafka.connect.storage.Converter`.
///
/// # Invariants
/// * `configure` is called once, before any conversion, with the converter's own keys (the
///   worker strips the `key.converter.`/`value.converter.` prefix) and `is_key`.
/// * `from_connect_data` returning `None` means a null Kafka key or value (a tombstone).
/// * Malformed input is a [`crate::ConnectError::Data`], never a panic.
/// * A converter instance belongs to one task; it may keep caches.
pub trait Converter: Send {
    /// The keys this converter accepts.
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    /// Configures the converter for keys (`is_key`) or values.
    fn configure(&mut self, props: &Props, is_key: bool) -> ConnectResult<()>;
    /// Connect data → bytes. `headers` may be amended (some converters record schema ids).
    #[allow(clippy::wrong_self_convention)] // Java's name.
    fn from_connect_data(
        &mut self,
        topic: &str,
        headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>>;
    /// Bytes → Connect data. `None` is a null Kafka key or value.
    fn to_connect_data(
        &mut self,
        topic: &str,
        headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue>;
}

/// `org.apache.kafka.connect.storage.HeaderConverter`.
pub trait HeaderConverter: Send {
    /// The keys this converter accepts.
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    /// Configures the converter (keys without the `header.converter.` prefix).
    fn configure(&mut self, props: &Props) -> ConnectResult<()>;
    /// Header value → bytes.
    #[allow(clippy::wrong_self_convention)] // Java's name.
    fn from_connect_header(
        &mut self,
        topic: &str,
        header_key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>>;
    /// Bytes → header value.
    fn to_connect_header(
        &mut self,
        topic: &str,
        header_key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue>;
}
