//! `io.confluent.connect.avro.AvroConverter`: the registry, the caches and the wire format
//! around the schema mapping and the binary codec.

use std::collections::HashMap;
use std::sync::Arc;

use sluice_api::config::{ConfigDef, Props};
use sluice_api::{
    logical, ConnectError, ConnectResult, Converter, Headers, SchemaAndValue, SchemaRef, Value,
};
use tracing::debug;

use crate::config::ConverterType;
use crate::json::cache::{Lru, SchemaKey};

use super::anything;
use super::codec::{self, compile, Plan, Reader, WriteOptions};
use super::config::{AvroConverterConfig, CredentialsSource};
use super::from_connect::from_connect_schema;
use super::names::AVRO_TYPE_ANYTHING;
use super::project;
use super::registry::{RegistryClient, RegistryError};
use super::schema::{AvroSchema, Kind, Name};
use super::to_connect::to_connect_schema;
use super::wire;

/// Java's class name.
pub const CLASS: &str = "io.confluent.connect.avro.AvroConverter";

/// How a value's Avro body is written or read.
enum Body {
    /// Through a compiled plan.
    Plan(Plan),
    /// A top-level `bytes` schema: the bytes follow the prefix raw.
    RawBytes,
    /// Schemaless data as the `Anything` record.
    Anything,
}

/// How values of one Connect schema are written to one topic.
struct WriteEntry {
    id: i32,
    body: Body,
}

/// How values of one schema id are read from one topic.
struct ReadEntry {
    schema: Option<SchemaRef>,
    body: Body,
    /// With `use.latest.version`: the latest schema, which values are resolved to.
    latest: Option<SchemaRef>,
}

struct State {
    config: AvroConverterConfig,
    is_key: bool,
    client: Arc<RegistryClient>,
    /// (topic, Connect schema) → writer; bounded by `schemas.cache.config`.
    writers: Lru<(String, SchemaKey), Arc<WriteEntry>>,
    /// The last writer used: most tasks write one schema to one topic over and over.
    last_writer: Option<(String, SchemaRef, Arc<WriteEntry>)>,
    /// topic → writer of schemaless values.
    schemaless_writers: HashMap<String, Arc<WriteEntry>>,
    /// (topic, schema id) → reader.
    readers: HashMap<(String, i32), Arc<ReadEntry>>,
    last_reader: Option<(String, i32, Arc<ReadEntry>)>,
}

/// `AvroConverter`. It must be configured (`schema.registry.url` is required) before use.
#[derive(Default)]
pub struct AvroConverter {
    state: Option<State>,
}

fn not_configured() -> ConnectError {
    ConnectError::data("AvroConverter is not configured".to_string())
}

fn role(is_key: bool) -> &'static str {
    if is_key {
        "key"
    } else {
        "value"
    }
}

impl AvroConverter {
    /// An unconfigured converter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The converter's keys.
    pub fn config_def() -> ConfigDef {
        AvroConverterConfig::config_def()
    }

    /// Configures from parsed settings.
    pub fn with_config(config: AvroConverterConfig, is_key: bool) -> ConnectResult<Self> {
        let client = RegistryClient::new(
            &config.urls,
            match config.credentials_source {
                CredentialsSource::UserInfo => config.user_info.as_deref(),
                CredentialsSource::Url => None,
            },
            config.credentials_source == CredentialsSource::Url,
        )
        .map_err(|e| {
            ConnectError::connect(format!("Cannot start the Schema Registry client: {e}"))
        })?;
        let size = config.data.schemas_cache_size;
        Ok(AvroConverter {
            state: Some(State {
                config,
                is_key,
                client: Arc::new(client),
                writers: Lru::new(size),
                last_writer: None,
                schemaless_writers: HashMap::new(),
                readers: HashMap::new(),
                last_reader: None,
            }),
        })
    }

    /// Requests sent to the registry so far (for benchmarks and tests).
    pub fn registry_calls(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| s.client.calls())
    }

    /// `fromConnectData`: magic byte, schema id and Avro binary; `None` for a null value.
    pub fn serialize(
        &mut self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        let state = self.state.as_mut().ok_or_else(not_configured)?;
        if value.is_null() {
            return match schema {
                Some(s) if !s.optional => Err(ConnectError::data(format!(
                    "Failed to serialize Avro data from topic {topic}: Found null value for non-optional schema"
                ))),
                _ => Ok(None),
            };
        }
        let fail = |e: ConnectError| {
            ConnectError::data(format!(
                "Failed to serialize Avro data from topic {topic}: {e}"
            ))
        };
        let entry = match schema {
            Some(schema) => state.writer(topic, schema)?,
            None => state.schemaless_writer(topic)?,
        };
        let opts = WriteOptions {
            ignore_default_for_nullables: state.config.data.ignore_default_for_nullables,
        };
        let mut out = wire::with_prefix(entry.id, 64);
        match (&entry.body, schema) {
            (Body::Plan(plan), _) => codec::write(plan, value, opts, &mut out).map_err(fail)?,
            (Body::RawBytes, Some(schema)) => match logical::to_physical(schema, value)? {
                Value::Bytes(b) => out.extend_from_slice(&b),
                other => {
                    return Err(fail(ConnectError::data(format!(
                        "Invalid type for BYTES: class {}",
                        other.java_class()
                    ))))
                }
            },
            _ => anything::write(value, &mut out).map_err(fail)?,
        }
        Ok(Some(out))
    }

    /// `toConnectData`: the Connect schema and value of framed Avro bytes.
    pub fn deserialize(
        &mut self,
        topic: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        let state = self.state.as_mut().ok_or_else(not_configured)?;
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        let fail = |e: ConnectError| {
            ConnectError::data(format!(
                "Failed to deserialize data for topic {topic} to Avro: {e}"
            ))
        };
        let (id, payload) = wire::split(bytes).map_err(fail)?;
        let entry = state.reader(topic, id)?;
        let mut r = Reader::new(payload);
        let value = match (&entry.body, &entry.schema) {
            (Body::RawBytes, Some(schema)) => {
                logical::to_logical(schema, &Value::Bytes(payload.to_vec())).map_err(fail)?
            }
            (Body::Plan(plan), _) => codec::read(plan, &mut r).map_err(fail)?,
            _ => anything::read(&mut r).map_err(fail)?,
        };
        if let Some(latest) = &entry.latest {
            let value = project::project(&value, latest).map_err(fail)?;
            return Ok(SchemaAndValue::new(Some(latest.clone()), value));
        }
        Ok(SchemaAndValue::new(entry.schema.clone(), value))
    }
}

fn registry_error(action: &str, topic: &str, e: RegistryError) -> ConnectError {
    ConnectError::data(format!(
        "Failed to {action} Avro data from topic {topic}: {e}"
    ))
}

impl State {
    fn writer(&mut self, topic: &str, schema: &SchemaRef) -> ConnectResult<Arc<WriteEntry>> {
        if let Some((t, s, e)) = &self.last_writer {
            if t == topic && Arc::ptr_eq(s, schema) {
                return Ok(e.clone());
            }
        }
        let key = (topic.to_string(), SchemaKey(schema.clone()));
        let entry = match self.writers.get(&key) {
            Some(e) => e,
            None => {
                let e = Arc::new(self.new_writer(topic, schema)?);
                self.writers.put(key, e.clone());
                e
            }
        };
        self.last_writer = Some((topic.to_string(), schema.clone(), entry.clone()));
        Ok(entry)
    }

    fn new_writer(&self, topic: &str, schema: &SchemaRef) -> ConnectResult<WriteEntry> {
        let cfg = &self.config;
        let avro = from_connect_schema(&cfg.data, schema)?;
        let text = avro.to_json_string();
        let subject = cfg
            .subject_name_strategy
            .subject(topic, self.is_key, &avro)?;
        let (id, write_avro) = if cfg.use_latest_version {
            let latest = self
                .client
                .latest(&subject)
                .map_err(|e| registry_error("serialize", topic, e))?;
            let latest_avro = AvroSchema::parse(&latest.schema)?;
            (latest.id, latest_avro)
        } else if cfg.auto_register_schemas {
            let id = self
                .client
                .register(&subject, &text, cfg.normalize_schemas)
                .map_err(|e| registry_error("serialize", topic, e))?;
            (id, avro)
        } else {
            let found = self
                .client
                .lookup(&subject, &text, cfg.normalize_schemas)
                .map_err(|e| registry_error("serialize", topic, e))?;
            (found.id, avro)
        };
        let plan = compile(&cfg.data, schema, &write_avro).map_err(|e| {
            if cfg.use_latest_version && cfg.latest_compatibility_strict {
                ConnectError::data(format!(
                    "Failed to serialize Avro data from topic {topic}: Incompatible schema: the latest version of subject {subject} (id {id}) cannot take the record's schema: {e}"
                ))
            } else {
                e
            }
        })?;
        debug!("AvroConverter: topic {topic} writes schema id {id} (subject {subject})");
        Ok(WriteEntry {
            id,
            body: if codec::is_raw_bytes(&write_avro) {
                Body::RawBytes
            } else {
                Body::Plan(plan)
            },
        })
    }

    fn schemaless_writer(&mut self, topic: &str) -> ConnectResult<Arc<WriteEntry>> {
        if let Some(e) = self.schemaless_writers.get(topic) {
            return Ok(e.clone());
        }
        let cfg = &self.config;
        // The subject strategies need the record name only.
        let named = AvroSchema::new(Kind::Record {
            name: Name::parse(AVRO_TYPE_ANYTHING, None),
            doc: None,
            fields: Vec::new(),
        });
        let subject = cfg
            .subject_name_strategy
            .subject(topic, self.is_key, &named)?;
        let text = anything::ANYTHING_SCHEMA;
        let id = if cfg.auto_register_schemas && !cfg.use_latest_version {
            self.client.register(&subject, text, cfg.normalize_schemas)
        } else {
            self.client
                .lookup(&subject, text, cfg.normalize_schemas)
                .map(|s| s.id)
        }
        .map_err(|e| registry_error("serialize", topic, e))?;
        let entry = Arc::new(WriteEntry {
            id,
            body: Body::Anything,
        });
        self.schemaless_writers
            .insert(topic.to_string(), entry.clone());
        Ok(entry)
    }

    fn reader(&mut self, topic: &str, id: i32) -> ConnectResult<Arc<ReadEntry>> {
        if let Some((t, i, e)) = &self.last_reader {
            if *i == id && t == topic {
                return Ok(e.clone());
            }
        }
        let key = (topic.to_string(), id);
        let entry = match self.readers.get(&key) {
            Some(e) => e.clone(),
            None => {
                let e = Arc::new(self.new_reader(topic, id)?);
                let limit = usize::try_from(self.config.data.schemas_cache_size).unwrap_or(0);
                if self.readers.len() >= limit.max(1) {
                    self.readers.clear();
                }
                self.readers.insert(key, e.clone());
                e
            }
        };
        self.last_reader = Some((topic.to_string(), id, entry.clone()));
        Ok(entry)
    }

    fn new_reader(&self, topic: &str, id: i32) -> ConnectResult<ReadEntry> {
        let cfg = &self.config;
        let fail = |what: String| {
            ConnectError::data(format!(
                "Failed to deserialize data for topic {topic} to Avro: {what}"
            ))
        };
        let text = self.client.schema_by_id(id, None).map_err(|e| match e {
            RegistryError::Rest { .. } => {
                fail(format!("Error retrieving Avro schema for id {id}: {e}"))
            }
            other => fail(other.to_string()),
        })?;
        if anything::is_anything(&text) {
            return Ok(ReadEntry {
                schema: None,
                body: Body::Anything,
                latest: None,
            });
        }
        let avro = AvroSchema::parse(&text).map_err(|e| fail(e.to_string()))?;
        let subject = cfg
            .subject_name_strategy
            .subject(topic, self.is_key, &avro)?;
        let version = self
            .client
            .lookup(&subject, &text, cfg.normalize_schemas)
            .map_err(|e| {
                fail(format!(
                    "Error retrieving Avro {} schema version for id {id}: {e}",
                    role(self.is_key)
                ))
            })?
            .version;
        let schema = to_connect_schema(&cfg.data, &avro, Some(version))?;
        let plan = compile(&cfg.data, &schema, &avro)?;
        debug!("AvroConverter: topic {topic} reads schema id {id} as version {version}");
        // use.latest.version: read with the subject's latest schema as reader schema.
        let latest = if cfg.use_latest_version {
            let l = self.client.latest(&subject).map_err(|e| {
                fail(format!(
                    "Error retrieving the latest Avro {} schema of subject {subject}: {e}",
                    role(self.is_key)
                ))
            })?;
            if l.id == id {
                None
            } else {
                let reader = AvroSchema::parse(&l.schema).map_err(|e| fail(e.to_string()))?;
                Some(to_connect_schema(&cfg.data, &reader, Some(l.version))?)
            }
        } else {
            None
        };
        Ok(ReadEntry {
            schema: Some(schema),
            body: if codec::is_raw_bytes(&avro) {
                Body::RawBytes
            } else {
                Body::Plan(plan)
            },
            latest,
        })
    }
}

impl Converter for AvroConverter {
    fn config_def(&self) -> ConfigDef {
        Self::config_def()
    }

    fn configure(&mut self, props: &Props, is_key: bool) -> ConnectResult<()> {
        let config = AvroConverterConfig::from_props(props, ConverterType::for_key(is_key))?;
        *self = Self::with_config(config, is_key)?;
        Ok(())
    }

    fn from_connect_data(
        &mut self,
        topic: &str,
        _headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.serialize(topic, schema, value)
    }

    fn to_connect_data(
        &mut self,
        topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        self.deserialize(topic, bytes)
    }
}
