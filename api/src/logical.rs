//! The logical types `Decimal`, `Date`, `Time` and `Timestamp`: schema builders and the
//! conversions between their in-memory values and their physical encodings.

use bigdecimal::BigDecimal;
use num_bigint::BigInt;

use crate::error::ConnectError;
use crate::schema::{Schema, SchemaBuilder};
use crate::value::Value;

/// `Decimal.LOGICAL_NAME`.
pub const DECIMAL_NAME: &str = "org.apache.kafka.connect.data.Decimal";
/// `Decimal.SCALE_FIELD`: the schema parameter holding the scale.
pub const DECIMAL_SCALE: &str = "scale";
/// `Date.LOGICAL_NAME`.
pub const DATE_NAME: &str = "org.apache.kafka.connect.data.Date";
/// `Time.LOGICAL_NAME`.
pub const TIME_NAME: &str = "org.apache.kafka.connect.data.Time";
/// `Timestamp.LOGICAL_NAME`.
pub const TIMESTAMP_NAME: &str = "org.apache.kafka.connect.data.Timestamp";

/// Milliseconds in a day.
pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// `Decimal.builder(scale)`.
pub fn decimal(scale: i32) -> SchemaBuilder {
    SchemaBuilder::bytes()
        .name(DECIMAL_NAME)
        .parameter(DECIMAL_SCALE, scale.to_string())
        .version(1)
}

/// `Date.builder()`.
pub fn date() -> SchemaBuilder {
    SchemaBuilder::int32().name(DATE_NAME).version(1)
}

/// `Time.builder()`.
pub fn time() -> SchemaBuilder {
    SchemaBuilder::int32().name(TIME_NAME).version(1)
}

/// `Timestamp.builder()`.
pub fn timestamp() -> SchemaBuilder {
    SchemaBuilder::int64().name(TIMESTAMP_NAME).version(1)
}

/// The scale parameter of a Decimal schema.
pub fn decimal_scale(schema: &Schema) -> Result<i32, ConnectError> {
    let raw = schema.parameter(DECIMAL_SCALE).ok_or_else(|| {
        ConnectError::data("Invalid Decimal schema: scale parameter not found.".to_string())
    })?;
    raw.parse::<i32>().map_err(|_| {
        ConnectError::data(format!(
            "Invalid scale parameter found in Decimal schema: {raw}"
        ))
    })
}

/// `Decimal.fromLogical`: the unscaled value as minimal big-endian two's complement. The
/// value's scale must equal the schema's.
pub fn decimal_to_bytes(schema: &Schema, value: &BigDecimal) -> Result<Vec<u8>, ConnectError> {
    let scale = decimal_scale(schema)?;
    let (unscaled, value_scale) = value.as_bigint_and_exponent();
    if value_scale != i64::from(scale) {
        return Err(ConnectError::data(format!(
            "Decimal value has mismatching scale for given Decimal schema. Schema has scale {scale}, value has scale {value_scale}."
        )));
    }
    Ok(unscaled.to_signed_bytes_be())
}

/// `Decimal.toLogical`: bytes (big-endian two's complement) at the schema's scale.
pub fn decimal_from_bytes(schema: &Schema, bytes: &[u8]) -> Result<BigDecimal, ConnectError> {
    let scale = decimal_scale(schema)?;
    Ok(BigDecimal::new(
        BigInt::from_signed_bytes_be(bytes),
        i64::from(scale),
    ))
}

/// `Date.fromLogical`: epoch millis at UTC midnight → days. A non-midnight time is an error.
pub fn date_to_days(millis: i64) -> Result<i32, ConnectError> {
    if millis.rem_euclid(MILLIS_PER_DAY) != 0 {
        return Err(ConnectError::data(
            "Kafka Connect Date type should not have any time fields set to non-zero values."
                .to_string(),
        ));
    }
    i32::try_from(millis.div_euclid(MILLIS_PER_DAY))
        .map_err(|_| ConnectError::data(format!("Date out of range: {millis}")))
}

/// `Date.toLogical`: days → epoch millis.
pub fn days_to_date(days: i32) -> i64 {
    i64::from(days) * MILLIS_PER_DAY
}

/// `Time.fromLogical`: epoch millis within the first day → millis since midnight.
pub fn time_to_millis(millis: i64) -> Result<i32, ConnectError> {
    if !(0..=MILLIS_PER_DAY).contains(&millis) {
        return Err(ConnectError::data(
            "Kafka Connect Time type should not have any date fields set to non-zero values."
                .to_string(),
        ));
    }
    Ok(millis as i32)
}

/// `Time.toLogical`: millis since midnight → epoch millis (checks the range).
pub fn millis_to_time(millis: i32) -> Result<i64, ConnectError> {
    if !(0..=MILLIS_PER_DAY as i32).contains(&millis) {
        return Err(ConnectError::data(
            "Time values must use number of milliseconds greater than 0 and less than 86400000"
                .to_string(),
        ));
    }
    Ok(i64::from(millis))
}

/// Which logical type a schema names, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logical {
    /// `Decimal`.
    Decimal,
    /// `Date`.
    Date,
    /// `Time`.
    Time,
    /// `Timestamp`.
    Timestamp,
}

impl Logical {
    /// The logical type of `schema`, by name.
    pub fn of(schema: &Schema) -> Option<Logical> {
        match schema.name.as_deref()? {
            DECIMAL_NAME => Some(Logical::Decimal),
            DATE_NAME => Some(Logical::Date),
            TIME_NAME => Some(Logical::Time),
            TIMESTAMP_NAME => Some(Logical::Timestamp),
            _ => None,
        }
    }
}

/// Converts a logical value to its physical value (`Decimal`→bytes, `Date`→int32 days, …).
/// Non-logical schemas return the value unchanged.
pub fn to_physical(schema: &Schema, value: &Value) -> Result<Value, ConnectError> {
    Ok(match (Logical::of(schema), value) {
        (Some(Logical::Decimal), Value::Decimal(d)) => Value::Bytes(decimal_to_bytes(schema, d)?),
        (Some(Logical::Date), Value::Date(ms)) => Value::Int32(date_to_days(*ms)?),
        (Some(Logical::Time), Value::Date(ms)) => Value::Int32(time_to_millis(*ms)?),
        (Some(Logical::Timestamp), Value::Date(ms)) => Value::Int64(*ms),
        _ => value.clone(),
    })
}

/// Converts a physical value to its logical value; the inverse of [`to_physical`].
pub fn to_logical(schema: &Schema, value: &Value) -> Result<Value, ConnectError> {
    Ok(match (Logical::of(schema), value) {
        (Some(Logical::Decimal), Value::Bytes(b)) => Value::Decimal(decimal_from_bytes(schema, b)?),
        (Some(Logical::Date), Value::Int32(d)) => Value::Date(days_to_date(*d)),
        (Some(Logical::Time), Value::Int32(ms)) => Value::Date(millis_to_time(*ms)?),
        (Some(Logical::Timestamp), Value::Int64(ms)) => Value::Date(*ms),
        _ => value.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn decimal_round_trip_matches_java_bytes() {
        let s = decimal(2).build();
        let v = BigDecimal::from_str("1.56").unwrap();
        assert_eq!(decimal_to_bytes(&s, &v).unwrap(), vec![0x00, 0x9c]);
        assert_eq!(decimal_from_bytes(&s, &[0x00, 0x9c]).unwrap(), v);
        let neg = BigDecimal::from_str("-1.56").unwrap();
        assert_eq!(decimal_to_bytes(&s, &neg).unwrap(), vec![0xff, 0x64]);
        assert!(decimal_to_bytes(&s, &BigDecimal::from_str("1.5").unwrap()).is_err());
    }

    #[test]
    fn date_rejects_time_of_day() {
        assert_eq!(date_to_days(MILLIS_PER_DAY * 3).unwrap(), 3);
        assert_eq!(date_to_days(-MILLIS_PER_DAY).unwrap(), -1);
        assert!(date_to_days(5).is_err());
        assert!(time_to_millis(MILLIS_PER_DAY + 1).is_err());
    }
}
