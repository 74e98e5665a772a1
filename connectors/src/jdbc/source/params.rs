//! Query parameters bound as the PostgreSQL JDBC driver binds them for Confluent's criteria:
//! timestamps through a `db.timezone` calendar (`setTimestamp(i, ts, calendar)`) and the
//! incrementing value as a long (`setLong`), encoded for whatever type the server inferred for
//! the placeholder.

use std::error::Error;

use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

use super::offsets::Instant;
use crate::jdbc::zone::DbZone as Zone;

/// Seconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01.
const PG_EPOCH_SECS: i64 = 946_684_800;

type BoxError = Box<dyn Error + Sync + Send>;

/// A timestamp parameter: an instant, written as a wall-clock time in `zone` for
/// `timestamp without time zone` (and `date`) placeholders.
#[derive(Debug, Clone)]
pub struct TimestampParam {
    /// The instant.
    pub instant: Instant,
    /// `db.timezone`.
    pub zone: Zone,
}

impl ToSql for TimestampParam {
    fn to_sql(&self, ty: &Type, out: &mut bytes_like::Buf) -> Result<IsNull, BoxError> {
        let micros = self.instant.micros_rounded() - PG_EPOCH_SECS * 1_000_000;
        let local = |m: i64| m + i64::from(self.zone.offset_at(self.instant.secs)) * 1_000_000;
        match *ty {
            Type::TIMESTAMPTZ => out.extend_from_slice(&micros.to_be_bytes()),
            Type::TIMESTAMP => out.extend_from_slice(&local(micros).to_be_bytes()),
            Type::DATE => {
                let days = local(micros).div_euclid(86_400_000_000);
                let days = i32::try_from(days).map_err(|_| "timestamp out of range for date")?;
                out.extend_from_slice(&days.to_be_bytes());
            }
            _ => return Err(format!("cannot bind a timestamp to a parameter of type {ty}").into()),
        }
        Ok(IsNull::No)
    }
    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::TIMESTAMPTZ | Type::TIMESTAMP | Type::DATE)
    }
    to_sql_checked!();
}

/// The incrementing parameter, bound as the placeholder's integer or numeric type.
#[derive(Debug, Clone, Copy)]
pub struct IncrementingParam(pub i64);

impl ToSql for IncrementingParam {
    fn to_sql(&self, ty: &Type, out: &mut bytes_like::Buf) -> Result<IsNull, BoxError> {
        let v = self.0;
        match *ty {
            Type::INT8 => out.extend_from_slice(&v.to_be_bytes()),
            Type::INT4 => out.extend_from_slice(&i32::try_from(v)?.to_be_bytes()),
            Type::INT2 => out.extend_from_slice(&i16::try_from(v)?.to_be_bytes()),
            Type::NUMERIC => out.extend_from_slice(&numeric_bytes(v)),
            Type::FLOAT8 => out.extend_from_slice(&(v as f64).to_be_bytes()),
            Type::FLOAT4 => out.extend_from_slice(&(v as f32).to_be_bytes()),
            _ => {
                return Err(format!(
                    "cannot bind the incrementing value to a parameter of type {ty}"
                )
                .into())
            }
        }
        Ok(IsNull::No)
    }
    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8 | Type::INT4 | Type::INT2 | Type::NUMERIC | Type::FLOAT8 | Type::FLOAT4
        )
    }
    to_sql_checked!();
}

/// PostgreSQL's binary NUMERIC of an integer.
pub fn numeric_bytes(v: i64) -> Vec<u8> {
    let mut abs = i128::from(v).unsigned_abs();
    let mut groups = Vec::new();
    while abs > 0 {
        groups.push((abs % 10_000) as u16);
        abs /= 10_000;
    }
    groups.reverse();
    let weight = groups.len() as i16 - 1;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    let sign: u16 = if v < 0 { 0x4000 } else { 0 };
    let mut out = Vec::with_capacity(8 + groups.len() * 2);
    for w in [groups.len() as u16, weight.max(0) as u16, sign, 0] {
        out.extend_from_slice(&w.to_be_bytes());
    }
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    out
}

/// The buffer type `ToSql` writes into.
mod bytes_like {
    pub use tokio_postgres::types::private::BytesMut as Buf;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_encoding_round_trips_through_the_decoder() {
        for v in [
            0i64,
            1,
            -1,
            9999,
            10_000,
            123_456_789,
            -42_0000,
            i64::MAX,
            i64::MIN + 1,
        ] {
            let d = super::super::types::decode_numeric(&numeric_bytes(v)).unwrap();
            assert_eq!(d.to_string(), v.to_string());
        }
    }

    #[test]
    fn timestamps_are_written_in_the_zone_for_timestamp_without_time_zone() {
        let p = TimestampParam {
            instant: Instant::from_millis(946_684_800_000 + 1500),
            zone: Zone::fixed(3600),
        };
        let mut buf = bytes_like::Buf::new();
        p.to_sql(&Type::TIMESTAMPTZ, &mut buf).unwrap();
        assert_eq!(i64::from_be_bytes(buf[..].try_into().unwrap()), 1_500_000);
        let mut buf = bytes_like::Buf::new();
        p.to_sql(&Type::TIMESTAMP, &mut buf).unwrap();
        assert_eq!(
            i64::from_be_bytes(buf[..].try_into().unwrap()),
            3_601_500_000
        );
    }
}
