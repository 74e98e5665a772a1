//! Source partitions and offsets exactly as Confluent writes them (`OffsetProtocols`,
//! `TimestampIncrementingOffset`): partitions `{"protocol":"1","table":"public.orders"}`
//! (V1), the legacy `{"table":"orders"}` (V0, also bulk's partition) and `{"query":"query"}`;
//! offsets `{"incrementing":…,"timestamp":ms,"timestamp_nanos":n}`.

use serde_json::Value as Json;
use sluice_api::OffsetMap;

use crate::jdbc::identifier::TableId;

/// `incrementing`.
pub const INCREMENTING_FIELD: &str = "incrementing";
/// `timestamp`.
pub const TIMESTAMP_FIELD: &str = "timestamp";
/// `timestamp_nanos`.
pub const TIMESTAMP_NANOS_FIELD: &str = "timestamp_nanos";

/// An instant with nanosecond precision (`java.sql.Timestamp`): epoch seconds and the
/// nanos of that second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    /// Seconds since the epoch (may be negative).
    pub secs: i64,
    /// Nanoseconds of the second, 0..999 999 999.
    pub nanos: u32,
}

impl Instant {
    /// The epoch.
    pub const EPOCH: Instant = Instant { secs: 0, nanos: 0 };

    /// From epoch milliseconds.
    pub fn from_millis(ms: i64) -> Instant {
        Instant {
            secs: ms.div_euclid(1000),
            nanos: (ms.rem_euclid(1000) * 1_000_000) as u32,
        }
    }
    /// From epoch microseconds.
    pub fn from_micros(us: i64) -> Instant {
        Instant {
            secs: us.div_euclid(1_000_000),
            nanos: (us.rem_euclid(1_000_000) * 1000) as u32,
        }
    }
    /// `Timestamp.getTime()`: epoch milliseconds (floor).
    pub fn millis(self) -> i64 {
        self.secs * 1000 + i64::from(self.nanos / 1_000_000)
    }
    /// Epoch microseconds, rounded to the nearest (PostgreSQL's precision).
    pub fn micros_rounded(self) -> i64 {
        self.secs * 1_000_000 + i64::from((self.nanos + 500) / 1000)
    }
    /// Epoch nanoseconds (saturating).
    pub fn nanos_total(self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }
}

/// Partition of a table in the modes with offsets (protocol V1): the unquoted qualified name.
pub fn partition_v1(table: &TableId) -> OffsetMap {
    let mut m = OffsetMap::new();
    m.insert("protocol".into(), Json::String("1".into()));
    m.insert("table".into(), Json::String(table.qualified()));
    m
}

/// The legacy partition (protocol V0), also bulk mode's: the unqualified table name.
pub fn partition_v0(table: &TableId) -> OffsetMap {
    let mut m = OffsetMap::new();
    m.insert("table".into(), Json::String(table.table.clone()));
    m
}

/// Query mode's partition.
pub fn partition_query() -> OffsetMap {
    let mut m = OffsetMap::new();
    m.insert("query".into(), Json::String("query".into()));
    m
}

/// The partitions to look a table's stored offset up under, newest protocol first.
pub fn possible_partitions(table: &TableId) -> [OffsetMap; 2] {
    [partition_v1(table), partition_v0(table)]
}

/// A stored or running offset: the last timestamp and incrementing value seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offset {
    /// The timestamp, when one was seen (or configured by `timestamp.initial`).
    pub timestamp: Option<Instant>,
    /// The incrementing value, when one was seen.
    pub incrementing: Option<i64>,
}

impl Offset {
    /// `getTimestampOffset()`: the timestamp or the epoch.
    pub fn begin(&self) -> Instant {
        self.timestamp.unwrap_or(Instant::EPOCH)
    }
    /// `getIncrementingOffset()`: the value or -1.
    pub fn last_incrementing(&self) -> i64 {
        self.incrementing.unwrap_or(-1)
    }

    /// `toMap()`: `incrementing`, then `timestamp` and `timestamp_nanos`, each when known.
    pub fn to_map(&self) -> OffsetMap {
        let mut m = OffsetMap::new();
        if let Some(i) = self.incrementing {
            m.insert(INCREMENTING_FIELD.into(), Json::from(i));
        }
        if let Some(t) = self.timestamp {
            m.insert(TIMESTAMP_FIELD.into(), Json::from(t.millis()));
            m.insert(TIMESTAMP_NANOS_FIELD.into(), Json::from(i64::from(t.nanos)));
        }
        m
    }

    /// `fromMap()`: reads the keys (`timestamp_nanos` replaces the sub-second part of
    /// `timestamp`, as `Timestamp.setNanos`). Values must be integers.
    pub fn from_map(m: &OffsetMap) -> Result<Offset, String> {
        let int = |k: &str| -> Result<Option<i64>, String> {
            match m.get(k) {
                None | Some(Json::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| format!("offset field '{k}' is not a long: {v}")),
            }
        };
        let incrementing = int(INCREMENTING_FIELD)?;
        let timestamp = match int(TIMESTAMP_FIELD)? {
            None => None,
            Some(ms) => {
                let mut t = Instant::from_millis(ms);
                if let Some(n) = int(TIMESTAMP_NANOS_FIELD)? {
                    if !(0..1_000_000_000).contains(&n) {
                        return Err(format!(
                            "offset field 'timestamp_nanos' is out of range: {n}"
                        ));
                    }
                    t.nanos = n as u32;
                }
                Some(t)
            }
        };
        Ok(Offset {
            timestamp,
            incrementing,
        })
    }

    /// `timestamp.initial`'s offset: `{"timestamp":ms}` (rendered with nanos once a record
    /// carries it, as Confluent does).
    pub fn initial(ms: i64) -> Offset {
        Offset {
            timestamp: Some(Instant::from_millis(ms)),
            incrementing: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Json) -> OffsetMap {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn partitions_are_confluents() {
        let t = TableId::new(Some("public"), "orders");
        assert_eq!(
            Json::Object(partition_v1(&t)),
            json!({"protocol":"1","table":"public.orders"})
        );
        assert_eq!(Json::Object(partition_v0(&t)), json!({"table":"orders"}));
        assert_eq!(Json::Object(partition_query()), json!({"query":"query"}));
        let [first, second] = possible_partitions(&t);
        assert_eq!(first, partition_v1(&t));
        assert_eq!(second, partition_v0(&t));
    }

    #[test]
    fn offset_maps_round_trip() {
        let o = Offset {
            timestamp: Some(Instant::from_micros(1_474_661_402_123_456)),
            incrementing: Some(42),
        };
        let m = o.to_map();
        assert_eq!(
            Json::Object(m.clone()),
            json!({"incrementing":42,"timestamp":1474661402123i64,"timestamp_nanos":123456000})
        );
        assert_eq!(Offset::from_map(&m).unwrap(), o);
        assert_eq!(
            Json::Object(
                Offset {
                    timestamp: None,
                    incrementing: Some(7)
                }
                .to_map()
            ),
            json!({"incrementing":7})
        );
        assert_eq!(Json::Object(Offset::default().to_map()), json!({}));
    }

    #[test]
    fn confluent_offsets_are_read() {
        let o = Offset::from_map(&map(
            json!({"timestamp":1474661402123i64,"timestamp_nanos":123000000}),
        ))
        .unwrap();
        assert_eq!(
            o.timestamp,
            Some(Instant {
                secs: 1_474_661_402,
                nanos: 123_000_000
            })
        );
        assert_eq!(o.last_incrementing(), -1);
        let o = Offset::from_map(&map(json!({"timestamp":1000}))).unwrap();
        assert_eq!(o.begin().millis(), 1000);
        assert!(Offset::from_map(&map(json!({"incrementing":"x"}))).is_err());
        // Before 1970: the nanos replace the sub-second part of a floored instant.
        let o =
            Offset::from_map(&map(json!({"timestamp":-1,"timestamp_nanos":999000000}))).unwrap();
        assert_eq!(
            o.timestamp,
            Some(Instant {
                secs: -1,
                nanos: 999_000_000
            })
        );
    }
}
