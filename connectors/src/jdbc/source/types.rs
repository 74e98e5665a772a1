//! PostgreSQL result columns → Connect schemas and values, as Confluent's PostgreSQL dialect
//! maps the PostgreSQL JDBC driver's type codes (`GenericDatabaseDialect.addFieldToSchema`,
//! `PostgreSqlDatabaseDialect`). Values are decoded from PostgreSQL's binary format here
//! (NUMERIC exactly, from its base-10000 digits).

use std::str::FromStr;

use sluice_api::logical;
use sluice_api::{BigDecimal, ConnectError, SchemaBuilder, SchemaRef, Struct, Value};
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::Row;
use tracing::warn;

use super::config::{NumericMapping, TimestampGranularity};
use super::offsets::Instant;
use crate::jdbc::zone::DbZone as Zone;

/// The schema parameter Confluent puts on decimals: the column's precision.
pub const PRECISION_PARAMETER: &str = "connect.decimal.precision";
/// The scale of an unconstrained `numeric` (Confluent's scale for an unset scale).
pub const UNCONSTRAINED_NUMERIC_SCALE: i32 = 127;
/// Seconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01.
const PG_EPOCH_SECS: i64 = 946_684_800;
/// `PGStatement.DATE_POSITIVE_INFINITY` / `DATE_NEGATIVE_INFINITY` (epoch ms).
const POSITIVE_INFINITY_MS: i64 = 9_223_372_036_825_200_000;
const NEGATIVE_INFINITY_MS: i64 = -9_223_372_036_832_400_000;

/// One result column as the server describes it.
#[derive(Debug, Clone)]
pub struct ColumnInfo {
    /// The column label.
    pub name: String,
    /// The type.
    pub ty: Type,
    /// The type modifier (-1 when none).
    pub typmod: i32,
    /// `Some(false)` when the column is a table column declared NOT NULL; `None` when unknown.
    pub nullable: Option<bool>,
}

/// What a NUMERIC column becomes under `numeric.mapping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericTarget {
    /// Decimal with this scale.
    Decimal(i32),
    /// INT8.
    Int8,
    /// INT16.
    Int16,
    /// INT32.
    Int32,
    /// INT64.
    Int64,
    /// FLOAT64.
    Float64,
}

/// How one column is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// smallint.
    Int16,
    /// integer.
    Int32,
    /// bigint.
    Int64,
    /// oid (BIGINT).
    Oid,
    /// real.
    Float32,
    /// double precision.
    Float64,
    /// money (DOUBLE; two fractional digits).
    Money,
    /// numeric.
    Numeric(NumericTarget),
    /// boolean, bit(1).
    Bool,
    /// bit(n), 1 < n ≤ 8: the driver's `getByte` of the bit string.
    BitByte,
    /// bit(n), n > 8: the driver's `getBytes` of the bit string (its text).
    BitBytes,
    /// char/varchar/text/name/bpchar/json/xml.
    Text,
    /// jsonb (version byte, then text).
    Jsonb,
    /// The one-byte `"char"`.
    Char1,
    /// uuid.
    Uuid,
    /// bytea.
    Bytea,
    /// date.
    Date,
    /// time.
    Time,
    /// timetz.
    TimeTz,
    /// timestamp without time zone.
    Timestamp,
    /// timestamp with time zone.
    TimestampTz,
}

impl Kind {
    /// True for the kinds whose instant can be an offset timestamp.
    pub fn is_timestamp(self) -> bool {
        matches!(self, Kind::Timestamp | Kind::TimestampTz)
    }
}

/// (precision, scale) of a numeric typmod; `None` when unconstrained.
pub fn numeric_precision_scale(typmod: i32) -> Option<(i32, i32)> {
    if typmod < 4 {
        return None;
    }
    let t = typmod - 4;
    let precision = (t >> 16) & 0xffff;
    // PostgreSQL 15+ stores the scale as a signed 11-bit value.
    let scale = ((t & 0x7ff) ^ 1024) - 1024;
    Some((precision, scale))
}

fn integer_by_precision(p: i32) -> NumericTarget {
    if p > 9 {
        NumericTarget::Int64
    } else if p > 4 {
        NumericTarget::Int32
    } else if p > 2 {
        NumericTarget::Int16
    } else {
        NumericTarget::Int8
    }
}

/// `numeric.mapping` for a NUMERIC(p, s) column; unconstrained → Decimal(127).
pub fn numeric_target(
    mapping: NumericMapping,
    precision_scale: Option<(i32, i32)>,
) -> NumericTarget {
    let Some((p, s)) = precision_scale else {
        return NumericTarget::Decimal(UNCONSTRAINED_NUMERIC_SCALE);
    };
    let integral = (-84..1).contains(&s);
    match mapping {
        NumericMapping::PrecisionOnly if s == 0 && p <= 18 => integer_by_precision(p),
        NumericMapping::BestFit if p <= 18 && integral => integer_by_precision(p),
        NumericMapping::BestFit if p <= 18 && s > 0 => NumericTarget::Float64,
        NumericMapping::BestFitEagerDouble if integral && p <= 18 => integer_by_precision(p),
        NumericMapping::BestFitEagerDouble if s > 0 => NumericTarget::Float64,
        _ => NumericTarget::Decimal(s),
    }
}

/// The kind of a column, `None` when its type is not supported (Confluent omits it).
pub fn kind_of(col: &ColumnInfo, mapping: NumericMapping) -> Option<Kind> {
    Some(match col.ty {
        Type::INT2 => Kind::Int16,
        Type::INT4 => Kind::Int32,
        Type::INT8 => Kind::Int64,
        Type::OID => Kind::Oid,
        Type::FLOAT4 => Kind::Float32,
        Type::FLOAT8 => Kind::Float64,
        Type::MONEY => Kind::Money,
        Type::NUMERIC => {
            Kind::Numeric(numeric_target(mapping, numeric_precision_scale(col.typmod)))
        }
        Type::BOOL => Kind::Bool,
        Type::BIT => match col.typmod {
            n if n <= 1 => Kind::Bool,
            n if n <= 8 => Kind::BitByte,
            _ => Kind::BitBytes,
        },
        Type::CHAR => Kind::Char1,
        Type::BPCHAR | Type::VARCHAR | Type::TEXT | Type::NAME | Type::JSON | Type::XML => {
            Kind::Text
        }
        Type::JSONB => Kind::Jsonb,
        Type::UUID => Kind::Uuid,
        Type::BYTEA => Kind::Bytea,
        Type::DATE => Kind::Date,
        Type::TIME => Kind::Time,
        Type::TIMETZ => Kind::TimeTz,
        Type::TIMESTAMP => Kind::Timestamp,
        Type::TIMESTAMPTZ => Kind::TimestampTz,
        _ => return None,
    })
}

fn schema_of(kind: Kind, col: &ColumnInfo, granularity: TimestampGranularity) -> SchemaBuilder {
    use TimestampGranularity as G;
    match kind {
        Kind::Int16 => SchemaBuilder::int16(),
        Kind::Int32 => SchemaBuilder::int32(),
        Kind::Int64 | Kind::Oid => SchemaBuilder::int64(),
        Kind::Float32 => SchemaBuilder::float32(),
        Kind::Float64 | Kind::Money => SchemaBuilder::float64(),
        Kind::Numeric(t) => match t {
            NumericTarget::Decimal(scale) => {
                let precision = numeric_precision_scale(col.typmod).map_or(0, |(p, _)| p);
                logical::decimal(scale).parameter(PRECISION_PARAMETER, precision.to_string())
            }
            NumericTarget::Int8 => SchemaBuilder::int8(),
            NumericTarget::Int16 => SchemaBuilder::int16(),
            NumericTarget::Int32 => SchemaBuilder::int32(),
            NumericTarget::Int64 => SchemaBuilder::int64(),
            NumericTarget::Float64 => SchemaBuilder::float64(),
        },
        Kind::Bool => SchemaBuilder::boolean(),
        Kind::BitByte => SchemaBuilder::int8(),
        Kind::BitBytes | Kind::Bytea => SchemaBuilder::bytes(),
        Kind::Text | Kind::Jsonb | Kind::Char1 | Kind::Uuid => SchemaBuilder::string(),
        Kind::Date => logical::date(),
        Kind::Time | Kind::TimeTz => logical::time(),
        Kind::Timestamp | Kind::TimestampTz => match granularity {
            G::ConnectLogical => logical::timestamp(),
            G::MicrosLong | G::NanosLong => SchemaBuilder::int64(),
            _ => SchemaBuilder::string(),
        },
    }
}

/// The schema of a result set and how to decode each kept column (`SchemaMapping`).
#[derive(Debug, Clone)]
pub struct RowMapping {
    /// The value schema.
    pub schema: SchemaRef,
    /// (result column index, kind) of each field, in field order.
    pub columns: Vec<(usize, Kind)>,
    zone: Zone,
    granularity: TimestampGranularity,
}

/// One decoded row: the value and the instants of its timestamp fields (by field index), kept
/// at full precision for offsets.
#[derive(Debug, Clone)]
pub struct DecodedRow {
    /// The struct.
    pub value: Struct,
    /// The instant of each timestamp field (`None` for other fields and nulls).
    pub instants: Vec<Option<Instant>>,
}

impl RowMapping {
    /// Builds the mapping; unsupported columns are left out with Confluent's warning.
    pub fn new(
        schema_name: Option<&str>,
        columns: &[ColumnInfo],
        mapping: NumericMapping,
        zone: Zone,
        granularity: TimestampGranularity,
    ) -> Result<RowMapping, ConnectError> {
        let mut builder = SchemaBuilder::struct_();
        if let Some(n) = schema_name {
            builder = builder.name(n);
        }
        let mut kept = Vec::new();
        for (i, col) in columns.iter().enumerate() {
            let Some(kind) = kind_of(col, mapping) else {
                warn!(column = %col.name, r#type = %col.ty.name(), "JDBC type {} ({}) not currently supported", col.ty.oid(), col.ty.name());
                continue;
            };
            let optional = col.nullable != Some(false);
            let field = schema_of(kind, col, granularity)
                .with_optional(optional)
                .build_ref();
            builder = builder.field(col.name.clone(), field)?;
            kept.push((i, kind));
        }
        Ok(RowMapping {
            schema: builder.build_ref(),
            columns: kept,
            zone,
            granularity,
        })
    }

    /// Decodes one row.
    pub fn decode(&self, row: &Row) -> Result<DecodedRow, ConnectError> {
        let mut value = Struct::new(self.schema.clone());
        let mut instants = vec![None; self.columns.len()];
        for (field, (idx, kind)) in self.columns.iter().enumerate() {
            let name = &self.schema.fields[field].name;
            let raw: Option<Raw> = row
                .try_get(*idx)
                .map_err(|e| ConnectError::data(format!("Column {name}: {e}")))?;
            let v = match raw {
                None => Value::Null,
                Some(raw) => {
                    let (v, instant) =
                        decode_value(*kind, &raw.ty, raw.bytes, &self.zone, self.granularity)
                            .map_err(|e| ConnectError::data(format!("Column {name}: {e}")))?;
                    instants[field] = instant;
                    v
                }
            };
            value.put_index(field, v);
        }
        Ok(DecodedRow { value, instants })
    }
}

/// A column's raw binary value.
struct Raw<'a> {
    ty: Type,
    bytes: &'a [u8],
}

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw {
            ty: ty.clone(),
            bytes: raw,
        })
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

type DecodeResult = Result<(Value, Option<Instant>), String>;

fn get<'a, T: FromSql<'a>>(ty: &'a Type, raw: &'a [u8]) -> Result<T, String> {
    T::from_sql(ty, raw).map_err(|e| e.to_string())
}

fn decode_value(
    kind: Kind,
    ty: &Type,
    raw: &[u8],
    zone: &Zone,
    g: TimestampGranularity,
) -> DecodeResult {
    let plain = |v: Value| Ok((v, None));
    match kind {
        Kind::Int16 => plain(Value::Int16(get(ty, raw)?)),
        Kind::Int32 => plain(Value::Int32(get(ty, raw)?)),
        Kind::Int64 => plain(Value::Int64(get(ty, raw)?)),
        Kind::Oid => plain(Value::Int64(i64::from(get::<u32>(ty, raw)?))),
        Kind::Float32 => plain(Value::Float32(get(ty, raw)?)),
        Kind::Float64 => plain(Value::Float64(get(ty, raw)?)),
        Kind::Money => {
            let cents = i64::from_be_bytes(raw.try_into().map_err(|_| "bad money value")?);
            plain(Value::Float64(cents as f64 / 100.0))
        }
        Kind::Numeric(target) => plain(numeric_value(decode_numeric(raw)?, target)?),
        Kind::Bool => match *ty {
            Type::BIT => plain(Value::Boolean(bit_string(raw)? == "1")),
            _ => plain(Value::Boolean(get(ty, raw)?)),
        },
        Kind::BitByte => {
            // pgjdbc's getByte parses the bit string as a decimal number.
            let bits = bit_string(raw)?;
            let n: i8 = bits
                .parse()
                .map_err(|_| format!("Bad value for type byte : {bits}"))?;
            plain(Value::Int8(n))
        }
        Kind::BitBytes => plain(Value::Bytes(bit_string(raw)?.into_bytes())),
        Kind::Text => plain(Value::String(String::from_utf8_lossy(raw).into_owned())),
        Kind::Jsonb => match raw.split_first() {
            Some((1, rest)) => plain(Value::String(String::from_utf8_lossy(rest).into_owned())),
            _ => Err("unsupported jsonb version".into()),
        },
        Kind::Char1 => plain(Value::String(String::from(
            get::<i8>(ty, raw)? as u8 as char
        ))),
        Kind::Uuid => {
            let b: [u8; 16] = raw.try_into().map_err(|_| "bad uuid value")?;
            let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
            plain(Value::String(format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )))
        }
        Kind::Bytea => plain(Value::Bytes(raw.to_vec())),
        Kind::Date => {
            let days = get::<i32>(&Type::INT4, raw)?;
            let ms = match days {
                i32::MAX => POSITIVE_INFINITY_MS,
                i32::MIN => NEGATIVE_INFINITY_MS,
                d => (i64::from(d) * 86_400 + PG_EPOCH_SECS) * 1000,
            };
            plain(Value::Date(ms))
        }
        Kind::Time => {
            let us = get::<i64>(&Type::INT8, raw)?;
            let utc = zone.local_to_utc(us.div_euclid(1_000_000));
            plain(Value::Date(utc * 1000 + us.rem_euclid(1_000_000) / 1000))
        }
        Kind::TimeTz => {
            let us = i64::from_be_bytes(
                raw.get(..8)
                    .and_then(|b| b.try_into().ok())
                    .ok_or("bad timetz value")?,
            );
            let west = i32::from_be_bytes(
                raw.get(8..12)
                    .and_then(|b| b.try_into().ok())
                    .ok_or("bad timetz value")?,
            );
            plain(Value::Date(us.div_euclid(1000) + i64::from(west) * 1000))
        }
        Kind::Timestamp | Kind::TimestampTz => {
            let us = get::<i64>(&Type::INT8, raw)?;
            let instant = match us {
                i64::MAX => Instant::from_millis(POSITIVE_INFINITY_MS),
                i64::MIN => Instant::from_millis(NEGATIVE_INFINITY_MS),
                us => {
                    let secs = us.div_euclid(1_000_000) + PG_EPOCH_SECS;
                    let secs = if kind == Kind::Timestamp {
                        zone.local_to_utc(secs)
                    } else {
                        secs
                    };
                    Instant {
                        secs,
                        nanos: (us.rem_euclid(1_000_000) * 1000) as u32,
                    }
                }
            };
            Ok((timestamp_value(instant, zone, g), Some(instant)))
        }
    }
}

/// A timestamp as `timestamp.granularity` represents it.
pub fn timestamp_value(t: Instant, zone: &Zone, g: TimestampGranularity) -> Value {
    use TimestampGranularity as G;
    let micros = t.nanos_total().div_euclid(1000);
    match g {
        G::ConnectLogical => Value::Date(t.millis()),
        G::MicrosLong => Value::Int64(micros as i64),
        G::MicrosString => Value::String(micros.to_string()),
        G::NanosLong => Value::Int64(t.nanos_total() as i64),
        G::NanosString => Value::String(t.nanos_total().to_string()),
        G::MicrosIsoDatetimeString | G::NanosIsoDatetimeString => {
            let local = t.secs + i64::from(zone.offset_at(t.secs));
            let dt = chrono::DateTime::from_timestamp(local, t.nanos).map(|d| d.naive_utc());
            let text = match (dt, g) {
                (Some(d), G::MicrosIsoDatetimeString) => {
                    d.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
                }
                (Some(d), _) => d.format("%Y-%m-%dT%H:%M:%S%.9f").to_string(),
                (None, _) => t.nanos_total().to_string(),
            };
            Value::String(text)
        }
    }
}

fn bit_string(raw: &[u8]) -> Result<String, String> {
    let n = i32::from_be_bytes(
        raw.get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or("bad bit value")?,
    );
    let bytes = &raw[4..];
    Ok((0..n.max(0) as usize)
        .map(|i| {
            if bytes.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0) {
                '1'
            } else {
                '0'
            }
        })
        .collect())
}

/// Decodes PostgreSQL's binary NUMERIC exactly (at its display scale).
pub fn decode_numeric(raw: &[u8]) -> Result<BigDecimal, String> {
    let word = |i: usize| -> Result<u16, String> {
        raw.get(i * 2..i * 2 + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "bad numeric value".to_string())
    };
    let ndigits = word(0)? as usize;
    let weight = word(1)? as i16 as i64;
    let sign = word(2)?;
    let dscale = i64::from(word(3)?);
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Err("Bad value for type BigDecimal : NaN".into()),
        0xD000 => return Err("Bad value for type BigDecimal : Infinity".into()),
        _ => return Err("Bad value for type BigDecimal : -Infinity".into()),
    }
    if ndigits == 0 {
        return Ok(BigDecimal::from(0).with_scale(dscale));
    }
    let mut digits = String::with_capacity(ndigits * 4 + 1);
    if sign == 0x4000 {
        digits.push('-');
    }
    for i in 0..ndigits {
        digits.push_str(&format!("{:04}", word(4 + i)?));
    }
    let exponent = (weight - (ndigits as i64 - 1)) * 4;
    let v = BigDecimal::from_str(&format!("{digits}e{exponent}")).map_err(|e| e.to_string())?;
    Ok(v.with_scale(dscale))
}

fn numeric_value(v: BigDecimal, target: NumericTarget) -> Result<Value, String> {
    let integer = |v: &BigDecimal| -> Result<i64, String> {
        if !v.is_integer() {
            return Err(format!("Bad value for type long : {v}"));
        }
        v.with_scale(0)
            .to_string()
            .parse::<i64>()
            .map_err(|_| format!("Bad value for type long : {v}"))
    };
    Ok(match target {
        NumericTarget::Decimal(scale) => {
            let scaled = v.with_scale(i64::from(scale));
            if scaled != v {
                return Err(format!("Bad value for type BigDecimal : {v}"));
            }
            Value::Decimal(scaled)
        }
        NumericTarget::Int8 => Value::Int8(
            i8::try_from(integer(&v)?).map_err(|_| format!("Bad value for type byte : {v}"))?,
        ),
        NumericTarget::Int16 => Value::Int16(
            i16::try_from(integer(&v)?).map_err(|_| format!("Bad value for type short : {v}"))?,
        ),
        NumericTarget::Int32 => Value::Int32(
            i32::try_from(integer(&v)?).map_err(|_| format!("Bad value for type int : {v}"))?,
        ),
        NumericTarget::Int64 => Value::Int64(integer(&v)?),
        NumericTarget::Float64 => Value::Float64(
            v.to_string()
                .parse()
                .map_err(|_| format!("Bad value for type double : {v}"))?,
        ),
    })
}

/// The incrementing value of a field (`extractOffsetIncrementedId`): an integer, or a
/// Decimal of scale 0 that fits in a long.
pub fn incrementing_value(v: &Value, type_name: &str) -> Result<i64, ConnectError> {
    match v {
        Value::Int8(x) => Ok(i64::from(*x)),
        Value::Int16(x) => Ok(i64::from(*x)),
        Value::Int32(x) => Ok(i64::from(*x)),
        Value::Int64(x) => Ok(*x),
        Value::Null => Err(ConnectError::connect(format!(
            "Null value for incrementing column of type: {type_name}"
        ))),
        Value::Decimal(d) => {
            let (_, scale) = d.as_bigint_and_exponent();
            if scale != 0 {
                return Err(ConnectError::connect(
                    "Scale of Decimal value for incrementing column must be 0",
                ));
            }
            d.to_string().parse::<i64>().map_err(|_| {
                ConnectError::connect(
                    "Decimal value for incrementing column exceeded Long.MAX_VALUE",
                )
            })
        }
        _ => Err(ConnectError::connect(format!(
            "Invalid type for incrementing column: {type_name}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typmod(p: i32, s: i32) -> i32 {
        ((p << 16) | (s & 0x7ff)) + 4
    }

    // PostgresNumericMappingIT: NUMERIC(8,0), (10,2), (20,5) under none / precision_only /
    // best_fit / best_fit_eager_double.
    #[test]
    fn numeric_mapping_table() {
        use NumericMapping::*;
        use NumericTarget as T;
        let cases = [
            ((8, 0), [T::Decimal(0), T::Int32, T::Int32, T::Int32]),
            (
                (10, 2),
                [T::Decimal(2), T::Decimal(2), T::Float64, T::Float64],
            ),
            (
                (20, 5),
                [T::Decimal(5), T::Decimal(5), T::Decimal(5), T::Float64],
            ),
        ];
        for ((p, s), expected) in cases {
            let ps = numeric_precision_scale(typmod(p, s));
            assert_eq!(ps, Some((p, s)));
            for (m, want) in [None, PrecisionOnly, BestFit, BestFitEagerDouble]
                .into_iter()
                .zip(expected)
            {
                assert_eq!(numeric_target(m, ps), want, "NUMERIC({p},{s}) {m:?}");
            }
        }
        assert_eq!(numeric_target(BestFit, Some((3, 0))), T::Int16);
        assert_eq!(numeric_target(BestFit, Some((2, 0))), T::Int8);
        assert_eq!(numeric_target(BestFit, Some((18, 0))), T::Int64);
        assert_eq!(
            numeric_target(BestFit, numeric_precision_scale(-1)),
            T::Decimal(127)
        );
        assert_eq!(numeric_precision_scale(typmod(5, -2)), Some((5, -2)));
    }

    fn numeric_bytes(ndigits: u16, weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut v = Vec::new();
        for w in [ndigits, weight as u16, sign, dscale].iter().chain(digits) {
            v.extend_from_slice(&w.to_be_bytes());
        }
        v
    }

    #[test]
    fn numerics_decode_exactly() {
        // 12345.678 = [1, 2345, 6780], weight 1, dscale 3.
        let d = decode_numeric(&numeric_bytes(3, 1, 0, 3, &[1, 2345, 6780])).unwrap();
        assert_eq!(d.to_string(), "12345.678");
        let d = decode_numeric(&numeric_bytes(1, -1, 0x4000, 4, &[5])).unwrap();
        assert_eq!(d.to_string(), "-0.0005");
        let d = decode_numeric(&numeric_bytes(1, 2, 0, 0, &[7])).unwrap();
        assert_eq!(d.to_string(), "700000000");
        assert_eq!(
            decode_numeric(&numeric_bytes(0, 0, 0, 2, &[]))
                .unwrap()
                .as_bigint_and_exponent()
                .1,
            2
        );
        assert!(decode_numeric(&numeric_bytes(0, 0, 0xC000, 0, &[])).is_err());
        let v = numeric_value(
            BigDecimal::from_str("1.50").unwrap(),
            NumericTarget::Decimal(1),
        )
        .unwrap();
        assert_eq!(v, Value::Decimal(BigDecimal::from_str("1.5").unwrap()));
        assert!(numeric_value(
            BigDecimal::from_str("1.55").unwrap(),
            NumericTarget::Decimal(1)
        )
        .is_err());
        assert_eq!(
            numeric_value(BigDecimal::from_str("300").unwrap(), NumericTarget::Int16).unwrap(),
            Value::Int16(300)
        );
    }

    #[test]
    fn incrementing_values() {
        assert_eq!(incrementing_value(&Value::Int32(5), "INT32").unwrap(), 5);
        assert_eq!(
            incrementing_value(&Value::Decimal(BigDecimal::from(9)), "BYTES").unwrap(),
            9
        );
        assert!(incrementing_value(
            &Value::Decimal(BigDecimal::from_str("1.5").unwrap()),
            "BYTES"
        )
        .is_err());
        assert_eq!(
            incrementing_value(&Value::Null, "INT64")
                .unwrap_err()
                .to_string(),
            "Null value for incrementing column of type: INT64"
        );
    }

    #[test]
    fn timestamps_per_granularity() {
        let t = Instant::from_micros(1_474_661_402_123_456);
        use TimestampGranularity as G;
        assert_eq!(
            timestamp_value(t, &Zone::utc(), G::ConnectLogical),
            Value::Date(1_474_661_402_123)
        );
        assert_eq!(
            timestamp_value(t, &Zone::utc(), G::MicrosLong),
            Value::Int64(1_474_661_402_123_456)
        );
        assert_eq!(
            timestamp_value(t, &Zone::utc(), G::NanosString),
            Value::String("1474661402123456000".into())
        );
        assert_eq!(
            timestamp_value(t, &Zone::fixed(3600), G::MicrosIsoDatetimeString),
            Value::String("2016-09-23T21:10:02.123456".into())
        );
    }
}
