//! Records: `ConnectRecord` with its source (`SourceRecord`) or sink (`SinkRecord`) part.
//!
//! Java models the two kinds as subclasses and transformations keep the subtype through
//! `newRecord`. Here one [`ConnectRecord`] carries an [`Origin`]; transformations build their
//! output with struct update syntax (`ConnectRecord { value, ..record }`), which keeps it.

use std::sync::Arc;

use crate::header::Headers;
use crate::schema::SchemaRef;
use crate::value::Value;

/// A source partition or offset map (`Map<String, ?>`), kept in insertion order. It is
/// serialized as schemaless JSON in offset stores.
pub type OffsetMap = serde_json::Map<String, serde_json::Value>;

/// A source record's offset (`sourceOffset()`): an [`OffsetMap`], or the map of one integer
/// field held as just that field and number, so that a task whose offset is a position (the
/// FileStream source's `{"position": N}`) does not build a map for every record. The two
/// forms are interchangeable: they compare, store and print as the same map.
#[derive(Debug, Clone)]
pub enum SourceOffset {
    /// Any offset map.
    Map(OffsetMap),
    /// The map `{field: value}`.
    Int {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: i64,
    },
}

impl SourceOffset {
    /// The offset `{field: value}`.
    pub fn int(field: &'static str, value: i64) -> Self {
        SourceOffset::Int { field, value }
    }

    /// The offset as a map.
    pub fn to_map(&self) -> OffsetMap {
        match self {
            SourceOffset::Map(map) => map.clone(),
            SourceOffset::Int { .. } => self.clone().into_map(),
        }
    }

    /// The offset as a map, without copying one that already is.
    pub fn into_map(self) -> OffsetMap {
        match self {
            SourceOffset::Map(map) => map,
            SourceOffset::Int { field, value } => {
                let mut map = OffsetMap::with_capacity(1);
                map.insert(field.to_string(), value.into());
                map
            }
        }
    }
}

/// Written as the map it stands for.
impl serde::Serialize for SourceOffset {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            SourceOffset::Map(map) => map.serialize(serializer),
            SourceOffset::Int { field, value } => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(field, value)?;
                map.end()
            }
        }
    }
}

impl From<OffsetMap> for SourceOffset {
    fn from(map: OffsetMap) -> Self {
        SourceOffset::Map(map)
    }
}

impl PartialEq for SourceOffset {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SourceOffset::Map(a), SourceOffset::Map(b)) => a == b,
            (
                SourceOffset::Int { field, value },
                SourceOffset::Int {
                    field: other_field,
                    value: other_value,
                },
            ) => field == other_field && value == other_value,
            _ => self.to_map() == other.to_map(),
        }
    }
}

/// Topic and partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: String,
    /// Partition number.
    pub partition: i32,
}

impl TopicPartition {
    /// A topic partition.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Kafka's `TimestampType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    /// No timestamp.
    #[default]
    NoTimestampType,
    /// Set by the producer.
    CreateTime,
    /// Set by the broker.
    LogAppendTime,
}

/// Where a record comes from: a source task (with its source partition and offset) or a Kafka
/// topic (a sink record, with its offset).
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// `SourceRecord`.
    Source {
        /// `sourcePartition()`, shared: a task usually gives every record of one source
        /// partition the same map, so it is built once and its records hold a reference.
        partition: Option<Arc<OffsetMap>>,
        /// `sourceOffset()`.
        offset: Option<SourceOffset>,
    },
    /// `SinkRecord`.
    Sink {
        /// `kafkaOffset()`.
        kafka_offset: i64,
        /// `timestampType()`.
        timestamp_type: TimestampType,
    },
}

/// A Connect record.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRecord {
    /// Topic (for a source record: where it will be written). `None` is Java's null topic: a
    /// record built without one (the record JSON allows it); transforms see it as null and the
    /// worker refuses to send a source record without a topic.
    pub topic: Option<String>,
    /// Kafka partition, if known or chosen.
    pub kafka_partition: Option<i32>,
    /// Key schema; `None` for schemaless.
    pub key_schema: Option<SchemaRef>,
    /// Key.
    pub key: Value,
    /// Value schema; `None` for schemaless.
    pub value_schema: Option<SchemaRef>,
    /// Value.
    pub value: Value,
    /// Timestamp in epoch milliseconds.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Headers,
    /// Source or sink specifics.
    pub origin: Origin,
}

impl ConnectRecord {
    /// A source record with a schema'd or schemaless value and no key. `partition` is an
    /// [`OffsetMap`] or, cheaper when many records share it, an `Arc<OffsetMap>`; `offset` an
    /// [`OffsetMap`] or a [`SourceOffset`].
    pub fn source(
        partition: impl Into<Arc<OffsetMap>>,
        offset: impl Into<SourceOffset>,
        topic: impl Into<String>,
        value_schema: Option<SchemaRef>,
        value: Value,
    ) -> Self {
        ConnectRecord {
            topic: Some(topic.into()),
            kafka_partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema,
            value,
            timestamp: None,
            headers: Headers::new(),
            origin: Origin::Source {
                partition: Some(partition.into()),
                offset: Some(offset.into()),
            },
        }
    }

    /// The topic, or `""` for a null topic (sink records always have one).
    pub fn topic_name(&self) -> &str {
        self.topic.as_deref().unwrap_or_default()
    }

    /// The Kafka offset of a sink record.
    pub fn kafka_offset(&self) -> Option<i64> {
        match self.origin {
            Origin::Sink { kafka_offset, .. } => Some(kafka_offset),
            Origin::Source { .. } => None,
        }
    }

    /// True for a sink record.
    pub fn is_sink(&self) -> bool {
        matches!(self.origin, Origin::Sink { .. })
    }

    /// The source partition of a source record.
    pub fn source_partition(&self) -> Option<&OffsetMap> {
        match &self.origin {
            Origin::Source { partition, .. } => partition.as_deref(),
            Origin::Sink { .. } => None,
        }
    }

    /// The source partition of a source record, as the reference the record holds.
    pub fn source_partition_shared(&self) -> Option<&Arc<OffsetMap>> {
        match &self.origin {
            Origin::Source { partition, .. } => partition.as_ref(),
            Origin::Sink { .. } => None,
        }
    }

    /// The source offset of a source record.
    pub fn source_offset(&self) -> Option<&SourceOffset> {
        match &self.origin {
            Origin::Source { offset, .. } => offset.as_ref(),
            Origin::Sink { .. } => None,
        }
    }
}

/// An empty record: no topic, null key and value without schemas, no headers, and a source
/// origin without partition or offset. What [`std::mem::take`] leaves behind when a record is
/// moved out of a `&mut ConnectRecord` (as [`Transformation::apply_in_place`]'s default does).
///
/// [`Transformation::apply_in_place`]: crate::Transformation::apply_in_place
impl Default for ConnectRecord {
    fn default() -> Self {
        ConnectRecord {
            topic: None,
            kafka_partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: Value::Null,
            timestamp: None,
            headers: Headers::new(),
            origin: Origin::Source {
                partition: None,
                offset: None,
            },
        }
    }
}

/// Alias used where a record is known to come from a source task.
pub type SourceRecord = ConnectRecord;
/// Alias used where a record is known to come from Kafka.
pub type SinkRecord = ConnectRecord;

#[cfg(test)]
mod tests {
    use super::*;

    fn map(json: &str) -> OffsetMap {
        serde_json::from_str(json).expect("a JSON object")
    }

    #[test]
    fn an_int_offset_is_the_map_of_its_one_field() {
        let int = SourceOffset::int("position", 42);
        let as_map = SourceOffset::Map(map(r#"{"position":42}"#));
        assert_eq!(int.to_map(), map(r#"{"position":42}"#));
        assert_eq!(int.clone().into_map(), map(r#"{"position":42}"#));
        assert_eq!(int, as_map);
        assert_eq!(as_map, int);
        assert_ne!(int, SourceOffset::int("position", 43));
        assert_ne!(int, SourceOffset::int("offset", 42));
        assert_ne!(int, SourceOffset::Map(map(r#"{"position":"42"}"#)));
        assert_ne!(int, SourceOffset::Map(map(r#"{"position":42,"x":1}"#)));
    }

    #[test]
    fn both_forms_serialize_as_the_same_json() {
        assert_eq!(
            serde_json::to_string(&SourceOffset::int("position", -7)).expect("json"),
            r#"{"position":-7}"#
        );
        assert_eq!(
            serde_json::to_string(&SourceOffset::Map(map(r#"{"b":1,"a":[2]}"#))).expect("json"),
            r#"{"b":1,"a":[2]}"#
        );
    }
}
