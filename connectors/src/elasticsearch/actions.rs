//! Bulk actions kept as the NDJSON lines of the request that carries them. Each action is
//! written once, when its record is put; a batch's request body is those lines as they are.
//! An action waiting in the buffer or in flight costs its lines and one small [`Entry`], not a
//! struct with an index, an id and a source string of its own.

use std::ops::Range;
use std::sync::Arc;

use sluice_api::{SinkRecord, TopicPartition};

use super::bulk::{BulkAction, NdjsonWriter, Op};
use super::offsets::Epoch;

/// Where an action's record came from, and what applying the action's outcome needs of it.
#[derive(Debug)]
pub struct Origin {
    /// Its partition (shared by the entries of a partition).
    pub tp: Arc<TopicPartition>,
    /// The tracked offset and the epoch it was tracked in (`None` for a re-delivered record
    /// that is not tracked again).
    pub offset: Option<(i64, Epoch)>,
    /// The record's Kafka offset (tracked or not), for logs.
    pub kafka_offset: Option<i64>,
    /// The record, kept for the dead letter queue when a reporter exists.
    pub record: Option<Box<SinkRecord>>,
}

/// One action of an [`Actions`]: where its lines are, and what applying its outcome needs.
#[derive(Debug)]
pub struct Entry {
    /// Its metadata line and source line (if any) in the body of the [`Actions`] holding it.
    lines: Range<usize>,
    /// The operation.
    pub op: Op,
    /// Whether the action carries an external version (a conflict then means a repeated or
    /// older offset).
    pub versioned: bool,
    /// What it adds to a request for `bulk.size.bytes` ([`BulkAction::estimated_size`]).
    pub estimated_size: usize,
    /// Its record.
    pub origin: Origin,
}

impl Entry {
    /// Its lines in `body`, the body of the [`Actions`] it was taken from.
    pub fn lines<'a>(&self, body: &'a [u8]) -> &'a [u8] {
        &body[self.lines.clone()]
    }

    /// The `_index` and `_id` of its metadata line in `body`, for logs.
    pub fn index_and_id(&self, body: &[u8]) -> (Option<String>, Option<String>) {
        let lines = self.lines(body);
        let first = lines.split(|&b| b == b'\n').next().unwrap_or_default();
        let Ok(serde_json::Value::Object(line)) = serde_json::from_slice(first) else {
            return (None, None);
        };
        let meta = line.into_iter().next().map(|(_, m)| m);
        let field = |name: &str| {
            meta.as_ref()
                .and_then(|m| m.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        (field("_index"), field("_id"))
    }

    /// `record from topic=… partition=… offset=…`, for logs: formatted only when logged.
    pub fn describe(&self) -> impl std::fmt::Display + '_ {
        struct Describe<'a>(&'a Origin);
        impl std::fmt::Display for Describe<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let o = self.0;
                write!(
                    f,
                    "record from topic={} partition={} offset=",
                    o.tp.topic, o.tp.partition
                )?;
                match o.kafka_offset {
                    Some(offset) => write!(f, "{offset}"),
                    None => f.write_str("null"),
                }
            }
        }
        Describe(&self.origin)
    }
}

/// Actions in order: their NDJSON lines one after the other, and an [`Entry`] for each.
#[derive(Debug, Default)]
pub struct Actions {
    body: Vec<u8>,
    entries: Vec<Entry>,
    writer: NdjsonWriter,
}

impl Actions {
    /// Room for `entries` actions of `bytes` bytes of lines in all.
    pub fn with_capacity(entries: usize, bytes: usize) -> Actions {
        Actions {
            body: Vec::with_capacity(bytes),
            entries: Vec::with_capacity(entries),
            writer: NdjsonWriter::default(),
        }
    }

    /// How many actions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The size of their lines.
    pub fn body_len(&self) -> usize {
        self.body.len()
    }

    /// Writes `action`'s lines after the others.
    pub fn push(&mut self, action: &BulkAction, origin: Origin) {
        let start = self.body.len();
        self.writer.write(action, &mut self.body);
        self.entries.push(Entry {
            lines: start..self.body.len(),
            op: action.op,
            versioned: action.version.is_some(),
            estimated_size: action.estimated_size(),
            origin,
        });
    }

    /// Adds `entry`, whose lines are in `from` (the body it was taken from).
    pub fn push_entry(&mut self, from: &[u8], mut entry: Entry) {
        let start = self.body.len();
        self.body.extend_from_slice(entry.lines(from));
        entry.lines = start..self.body.len();
        self.entries.push(entry);
    }

    /// The request body and the entries whose lines it holds, in order.
    pub fn into_parts(self) -> (Vec<u8>, Vec<Entry>) {
        (self.body, self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(op: Op, index: &Arc<str>, id: &str, source: Option<&str>) -> BulkAction {
        BulkAction {
            op,
            index: index.clone(),
            id: Some(id.to_string()),
            version: (op == Op::Index).then_some(7),
            retry_on_conflict: None,
            source: source.map(str::to_string),
        }
    }

    fn origin(offset: i64) -> Origin {
        Origin {
            tp: Arc::new(TopicPartition::new("t".to_string(), 0)),
            offset: None,
            kafka_offset: Some(offset),
            record: None,
        }
    }

    #[test]
    fn the_body_is_each_action_written_alone_one_after_the_other() {
        let index: Arc<str> = "idx \"1\"".into();
        let actions = [
            action(Op::Index, &index, "a", Some(r#"{"x":1}"#)),
            action(Op::Delete, &index, "b", None),
            action(Op::Index, &index, "c\n", Some(r#"{"y":"é"}"#)),
        ];
        let mut all = Actions::with_capacity(0, 0);
        let mut expected = Vec::new();
        for (i, a) in actions.iter().enumerate() {
            all.push(a, origin(i as i64));
            a.write_ndjson(&mut expected);
        }
        assert_eq!(all.len(), 3);
        assert_eq!(all.body_len(), expected.len());
        let (body, entries) = all.into_parts();
        assert_eq!(body, expected);
        for (entry, a) in entries.iter().zip(&actions) {
            let mut alone = Vec::new();
            a.write_ndjson(&mut alone);
            assert_eq!(entry.lines(&body), &alone[..]);
            assert_eq!((entry.op, entry.versioned), (a.op, a.version.is_some()));
            assert_eq!(entry.estimated_size, a.estimated_size());
            assert_eq!(
                entry.index_and_id(&body),
                (Some(index.to_string()), a.id.clone())
            );
        }
        assert_eq!(
            entries[2].describe().to_string(),
            "record from topic=t partition=0 offset=2"
        );
    }

    #[test]
    fn an_entry_moved_to_other_actions_takes_its_lines_along() {
        let index: Arc<str> = "i".into();
        let mut first = Actions::default();
        first.push(&action(Op::Index, &index, "a", Some("{}")), origin(0));
        first.push(&action(Op::Delete, &index, "b", None), origin(1));
        let (body, entries) = first.into_parts();
        let mut second = Actions::default();
        second.push(&action(Op::Index, &index, "c", Some("[]")), origin(2));
        for e in entries.into_iter().rev() {
            second.push_entry(&body, e);
        }
        let (body, entries) = second.into_parts();
        let ids: Vec<_> = entries.iter().map(|e| e.index_and_id(&body).1).collect();
        assert_eq!(
            ids,
            [
                Some("c".to_string()),
                Some("b".to_string()),
                Some("a".to_string())
            ]
        );
        let mut expected = Vec::new();
        action(Op::Index, &index, "c", Some("[]")).write_ndjson(&mut expected);
        action(Op::Delete, &index, "b", None).write_ndjson(&mut expected);
        action(Op::Index, &index, "a", Some("{}")).write_ndjson(&mut expected);
        assert_eq!(body, expected);
    }
}
