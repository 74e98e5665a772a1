//! Subject name strategies (`io.confluent.kafka.serializers.subject.*`).

use sluice_api::{ConnectError, ConnectResult};

use super::schema::AvroSchema;

const PACKAGE: &str = "io.confluent.kafka.serializers.subject.";

/// How the subject of a schema is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectNameStrategy {
    /// `TopicNameStrategy`: `<topic>-key` / `<topic>-value`.
    Topic,
    /// `RecordNameStrategy`: the record's full name.
    Record,
    /// `TopicRecordNameStrategy`: `<topic>-<record full name>`.
    TopicRecord,
}

impl SubjectNameStrategy {
    /// The Java class name.
    pub fn class(self) -> &'static str {
        match self {
            SubjectNameStrategy::Topic => {
                "io.confluent.kafka.serializers.subject.TopicNameStrategy"
            }
            SubjectNameStrategy::Record => {
                "io.confluent.kafka.serializers.subject.RecordNameStrategy"
            }
            SubjectNameStrategy::TopicRecord => {
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
            }
        }
    }

    /// Parses a class name (full, or the simple name).
    pub fn from_class(class: &str) -> Option<Self> {
        let simple = class.trim().strip_prefix(PACKAGE).unwrap_or(class.trim());
        Some(match simple {
            "TopicNameStrategy" => SubjectNameStrategy::Topic,
            "RecordNameStrategy" => SubjectNameStrategy::Record,
            "TopicRecordNameStrategy" => SubjectNameStrategy::TopicRecord,
            _ => return None,
        })
    }

    /// The subject for a schema written to `topic`.
    pub fn subject(self, topic: &str, is_key: bool, schema: &AvroSchema) -> ConnectResult<String> {
        let record_name = || {
            match schema.kind() {
                super::schema::Kind::Record { name, .. } => Ok(name.full()),
                _ => Err(ConnectError::data(format!(
                    "In configuration {}.subject.name.strategy = {}, the message {} must only be a record schema",
                    if is_key { "key" } else { "value" },
                    self.class(),
                    if is_key { "key" } else { "value" },
                ))),
            }
        };
        Ok(match self {
            SubjectNameStrategy::Topic => {
                format!("{topic}-{}", if is_key { "key" } else { "value" })
            }
            SubjectNameStrategy::Record => record_name()?,
            SubjectNameStrategy::TopicRecord => format!("{topic}-{}", record_name()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_by_strategy() {
        let rec =
            AvroSchema::parse(r#"{"type":"record","name":"P","namespace":"fleet","fields":[]}"#)
                .unwrap();
        let int = AvroSchema::parse("\"int\"").unwrap();
        let t = SubjectNameStrategy::Topic;
        assert_eq!(t.subject("pos", false, &int).unwrap(), "pos-value");
        assert_eq!(t.subject("pos", true, &int).unwrap(), "pos-key");
        let r = SubjectNameStrategy::from_class(
            "io.confluent.kafka.serializers.subject.RecordNameStrategy",
        )
        .unwrap();
        assert_eq!(r.subject("pos", false, &rec).unwrap(), "fleet.P");
        assert!(r
            .subject("pos", false, &int)
            .unwrap_err()
            .to_string()
            .contains("must only be a record schema"));
        let tr = SubjectNameStrategy::from_class("TopicRecordNameStrategy").unwrap();
        assert_eq!(tr.subject("pos", false, &rec).unwrap(), "pos-fleet.P");
        assert_eq!(SubjectNameStrategy::from_class("x.Y"), None);
    }
}
