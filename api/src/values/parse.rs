//! `Values.parseString`: a port of Java's tokenizer and recursive parser, quirks included
//! (blank tokens dropped inside quotes, backslashes kept in quoted strings, an array with a null
//! element falling back to a plain string, lenient ISO-8601 dates).

use std::sync::Arc;

use bigdecimal::BigDecimal;
use num_bigint::{BigInt, Sign};

use super::java_num::{
    decimal_low_i64, decimal_to_f32, decimal_to_f64, double_value, long_value, parse_java_decimal,
};
use super::temporal::{self, Pattern};
use super::{convert_to_string, java_to_string};
use crate::logical::{self, Logical};
use crate::schema::{schemas, Schema, SchemaRef, Type};
use crate::value::{SchemaAndValue, Value};

/// A `DataException` raised while parsing; `parseString` itself catches them all.
type Fail = String;

/// `Values.parseString(value)`: the schema and value a string stands for.
///
/// `""` is an empty STRING; `true`/`false` BOOLEAN; `null` is [`SchemaAndValue::NULL`]; whole
/// numbers the narrowest of INT8..INT64; other numbers FLOAT32, FLOAT64 or a Decimal; ISO-8601
/// dates, times and timestamps their logical types; `[..]` an ARRAY and `{..}` a MAP (with the
/// element schemas inferred when the elements agree); anything else the STRING itself.
pub fn parse_string(value: &str) -> SchemaAndValue {
    if value.is_empty() {
        return SchemaAndValue::new(Some(schemas::string()), Value::String(String::new()));
    }
    let mut parser = ValueParser {
        tokens: Tokenizer::new(value),
    };
    match parser.parse(false) {
        Ok(Some(sv)) => sv,
        Ok(None) => SchemaAndValue::NULL,
        // Unreachable in practice: the top level catches every failure and falls back to a
        // string. Kept total so that no input can panic.
        Err(_) => SchemaAndValue::new(Some(schemas::string()), Value::String(value.to_string())),
    }
}

/// Java's `String.trim()`: strips every char `<= ' '`.
pub(super) fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn is_blank(s: &str) -> bool {
    java_trim(s).is_empty()
}

/// `Values.Parser`: splits on unescaped `: , { } [ ] "`, each delimiter being its own token.
struct Tokenizer {
    chars: Vec<char>,
    pos: usize,
    next_token: Option<String>,
    previous: Option<String>,
}

impl Tokenizer {
    fn new(s: &str) -> Self {
        Tokenizer {
            chars: s.chars().collect(),
            pos: 0,
            next_token: None,
            previous: None,
        }
    }
    fn original(&self) -> String {
        self.chars.iter().collect()
    }
    fn mark(&self) -> usize {
        self.pos - self.next_token.as_ref().map_or(0, |t| t.chars().count())
    }
    fn rewind_to(&mut self, position: usize) {
        self.pos = position;
        self.next_token = None;
        self.previous = None;
    }
    fn can_consume_next_token(&self) -> bool {
        self.pos < self.chars.len()
    }
    fn has_next(&self) -> bool {
        self.next_token.is_some() || self.can_consume_next_token()
    }
    fn next(&mut self) -> String {
        let token = match self.next_token.take() {
            Some(t) => t,
            None => self.consume_next_token(),
        };
        self.previous = Some(token.clone());
        token
    }
    fn next_n(&mut self, n: usize) -> Option<String> {
        let start = self.mark();
        for _ in 0..n {
            if !self.has_next() {
                self.rewind_to(start);
                return None;
            }
            self.next();
        }
        Some(self.chars[start..self.pos].iter().collect())
    }
    fn consume_next_token(&mut self) -> String {
        let mut escaped = false;
        let start = self.pos;
        while self.pos < self.chars.len() {
            match self.chars[self.pos] {
                '\\' => escaped = !escaped,
                ':' | ',' | '{' | '}' | '[' | ']' | '"' => {
                    if !escaped {
                        if start < self.pos {
                            return self.chars[start..self.pos].iter().collect();
                        }
                        self.pos += 1;
                        return self.chars[start..start + 1].iter().collect();
                    }
                    escaped = false;
                }
                _ => escaped = false,
            }
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }
    fn previous(&self) -> Option<&str> {
        self.previous.as_deref()
    }
    fn can_consume(&mut self, expected: &str) -> bool {
        if self.is_next(expected) {
            self.next_token = None;
            return true;
        }
        false
    }
    fn is_next(&mut self, expected: &str) -> bool {
        if self.next_token.is_none() {
            if !self.has_next() {
                return false;
            }
            self.next_token = Some(self.consume_next_token());
        }
        while self.next_token.as_deref().is_some_and(is_blank) && self.can_consume_next_token() {
            self.next_token = Some(self.consume_next_token());
        }
        self.next_token
            .as_deref()
            .is_some_and(|t| java_trim(t) == expected)
    }
}

struct ValueParser {
    tokens: Tokenizer,
}

impl ValueParser {
    fn can_parse_single_token_literal(&mut self, embedded: bool, literal: &str) -> bool {
        let start = self.tokens.mark();
        if self.tokens.can_consume(literal) && (embedded || !self.tokens.has_next()) {
            return true;
        }
        self.tokens.rewind_to(start);
        false
    }

    fn parse(&mut self, embedded: bool) -> Result<Option<SchemaAndValue>, Fail> {
        if !self.tokens.has_next() {
            return Ok(None);
        }
        if embedded && self.tokens.can_consume("\"") {
            return Ok(Some(self.parse_quoted_string()));
        }
        if self.can_parse_single_token_literal(embedded, "null") {
            return Ok(None);
        }
        if self.can_parse_single_token_literal(embedded, "true") {
            return Ok(Some(sv(schemas::boolean(), Value::Boolean(true))));
        }
        if self.can_parse_single_token_literal(embedded, "false") {
            return Ok(Some(sv(schemas::boolean(), Value::Boolean(false))));
        }
        let start = self.tokens.mark();
        let structured = if self.tokens.can_consume("[") {
            Some(self.parse_array())
        } else if self.tokens.can_consume("{") {
            Some(self.parse_map())
        } else {
            None
        };
        match structured {
            Some(Ok(v)) => return Ok(Some(v)),
            Some(Err(_)) => self.tokens.rewind_to(start),
            None => {}
        }
        let token = self.tokens.next();
        if is_blank(&token) {
            return Ok(Some(sv(schemas::string(), Value::String(token))));
        }
        self.parse_next_token(embedded, java_trim(&token)).map(Some)
    }

    fn parse_next_token(&mut self, embedded: bool, token: &str) -> Result<SchemaAndValue, Fail> {
        let first = token.chars().next().unwrap_or(' ');
        let digit = first.is_ascii_digit();
        if digit {
            if let Some(t) = self.parse_multiple_tokens_as_temporal(token) {
                return Ok(t);
            }
        }
        if digit || first == '+' || first == '-' {
            if let Some(n) = parse_as_number(token) {
                return Ok(n);
            }
        }
        if embedded {
            return Err("Failed to parse embedded value".to_string());
        }
        Ok(sv(schemas::string(), Value::String(self.tokens.original())))
    }

    fn parse_quoted_string(&mut self) -> SchemaAndValue {
        let mut content = String::new();
        while self.tokens.has_next() {
            if self.tokens.can_consume("\"") {
                break;
            }
            content.push_str(&self.tokens.next());
        }
        parse_as_temporal(&content).unwrap_or_else(|| sv(schemas::string(), Value::String(content)))
    }

    fn parse_array(&mut self) -> Result<SchemaAndValue, Fail> {
        let mut result = Vec::new();
        let mut merger = SchemaMerger::default();
        while self.tokens.has_next() {
            if self.tokens.can_consume("]") {
                return Ok(match merger.common {
                    Some(common) => {
                        let items = result
                            .into_iter()
                            .map(|v| convert_to(&common, v))
                            .collect::<Result<Vec<_>, _>>()?;
                        let mut schema = Schema::of(Type::Array);
                        schema.value_schema = Some(common);
                        sv(Arc::new(schema), Value::Array(items))
                    }
                    None => sv(Arc::new(Schema::of(Type::Array)), Value::Array(result)),
                });
            }
            if self.tokens.can_consume(",") {
                return Err(format!(
                    "Unable to parse an empty array element: {}",
                    self.tokens.original()
                ));
            }
            let element = self.parse(true)?;
            merger.merge(element.as_ref());
            result.push(element.map(|e| e.value).unwrap_or_default());
            let current = self.tokens.mark();
            if self.tokens.can_consume("]") {
                self.tokens.rewind_to(current);
            } else if !self.tokens.can_consume(",") {
                return Err("Array elements missing ',' delimiter".to_string());
            }
        }
        if self.tokens.previous() == Some(",") {
            return Err(format!(
                "Array is missing element after ',': {}",
                self.tokens.original()
            ));
        }
        Err(format!(
            "Array is missing terminating ']': {}",
            self.tokens.original()
        ))
    }

    fn parse_map(&mut self) -> Result<SchemaAndValue, Fail> {
        let mut result: Vec<(Value, Value)> = Vec::new();
        let mut keys = SchemaMerger::default();
        let mut values = SchemaMerger::default();
        while self.tokens.has_next() {
            if self.tokens.can_consume("}") {
                let mut schema = Schema::of(Type::Map);
                if let Some(key_schema) = keys.common.clone() {
                    let value_schema = values.common.clone();
                    let mut aligned = Vec::with_capacity(result.len());
                    for (k, v) in result {
                        let k = convert_to(&key_schema, k)?;
                        let v = match &value_schema {
                            Some(vs) => convert_to(vs, v)?,
                            None => v,
                        };
                        aligned.push((k, v));
                    }
                    result = aligned;
                    schema.key_schema = Some(key_schema);
                    schema.value_schema = value_schema;
                }
                return Ok(sv(Arc::new(schema), Value::Map(result)));
            }
            if self.tokens.can_consume(",") {
                return Err(format!(
                    "Unable to parse a map entry with no key or value: {}",
                    self.tokens.original()
                ));
            }
            let key = match self.parse(true)? {
                Some(k) if !k.value.is_null() => k,
                _ => {
                    return Err(format!(
                        "Map entry may not have a null key: {}",
                        self.tokens.original()
                    ))
                }
            };
            if !self.tokens.can_consume(":") {
                return Err(format!(
                    "Map entry is missing ':' at {} in {}",
                    self.tokens.pos,
                    self.tokens.original()
                ));
            }
            let value = self.parse(true)?;
            let entry_value = value.as_ref().map(|v| v.value.clone()).unwrap_or_default();
            match result.iter_mut().find(|(k, _)| *k == key.value) {
                Some(slot) => slot.1 = entry_value,
                None => result.push((key.value.clone(), entry_value)),
            }
            self.tokens.can_consume(",");
            keys.merge(Some(&key));
            values.merge(value.as_ref());
        }
        if self.tokens.previous() == Some(",") {
            return Err(format!(
                "Map is missing element after ',': {}",
                self.tokens.original()
            ));
        }
        Err(format!(
            "Map is missing terminating '}}': {}",
            self.tokens.original()
        ))
    }

    fn parse_multiple_tokens_as_temporal(&mut self, token: &str) -> Option<SchemaAndValue> {
        let position = self.tokens.mark();
        if let Some(remainder) = self.tokens.next_n(4) {
            if let Some(t) = parse_as_temporal(&format!("{token}{remainder}")) {
                return Some(t);
            }
        }
        self.tokens.rewind_to(position);
        parse_as_temporal(token)
    }
}

fn sv(schema: SchemaRef, value: Value) -> SchemaAndValue {
    SchemaAndValue::new(Some(schema), value)
}

fn parse_as_temporal(token: &str) -> Option<SchemaAndValue> {
    let token = token.replace("\\:", ":");
    let (pattern, schema) = match token.chars().count() {
        13 => (Pattern::Time, logical::time().build_ref()),
        24 => (Pattern::Timestamp, logical::timestamp().build_ref()),
        10 => (Pattern::Date, logical::date().build_ref()),
        _ => return None,
    };
    temporal::parse(pattern, &token).map(|ms| sv(schema, Value::Date(ms)))
}

fn parse_as_number(token: &str) -> Option<SchemaAndValue> {
    let decimal = parse_java_decimal(token)?;
    if let Some(exact) = parse_as_exact_integer(&decimal) {
        return Some(exact);
    }
    let scale = decimal.as_bigint_and_exponent().1;
    let f = decimal_to_f32(&decimal);
    if f.is_finite() && scale != 0 {
        return Some(sv(schemas::float32(), Value::Float32(f)));
    }
    let d = decimal_to_f64(&decimal);
    if d.is_finite() && scale != 0 {
        return Some(sv(schemas::float64(), Value::Float64(d)));
    }
    let schema = logical::decimal(i32::try_from(scale).ok()?).build_ref();
    Some(sv(schema, Value::Decimal(decimal)))
}

/// `parseAsExactDecimal`: an integral value within the `long` range, in the narrowest type.
fn parse_as_exact_integer(decimal: &BigDecimal) -> Option<SchemaAndValue> {
    let (unscaled, scale) = decimal.as_bigint_and_exponent();
    let integral: i64 = if unscaled.sign() == Sign::NoSign {
        0
    } else if scale <= 0 {
        if scale < -19 {
            return None;
        }
        let v = unscaled * BigInt::from(10u8).pow(u32::try_from(-scale).ok()?);
        i64::try_from(v).ok()?
    } else {
        let digits = unscaled.magnitude().to_string();
        let zeros = digits.len() - digits.trim_end_matches('0').len();
        if (zeros as i64) < scale {
            return None;
        }
        let v = unscaled / BigInt::from(10u8).pow(u32::try_from(scale).ok()?);
        i64::try_from(v).ok()?
    };
    Some(if let Ok(v) = i8::try_from(integral) {
        sv(schemas::int8(), Value::Int8(v))
    } else if let Ok(v) = i16::try_from(integral) {
        sv(schemas::int16(), Value::Int16(v))
    } else if let Ok(v) = i32::try_from(integral) {
        sv(schemas::int32(), Value::Int32(v))
    } else {
        sv(schemas::int64(), Value::Int64(integral))
    })
}

/// `Values.SchemaMerger`: the common schema of the parsed elements, if any.
#[derive(Default)]
struct SchemaMerger {
    common: Option<SchemaRef>,
    incompatible: bool,
}

impl SchemaMerger {
    fn merge(&mut self, latest: Option<&SchemaAndValue>) {
        let Some(schema) = latest.and_then(|l| l.schema.clone()) else {
            return;
        };
        if self.incompatible {
            return;
        }
        self.common = match self.common.take() {
            None => Some(schema),
            Some(previous) => {
                let merged = merge_schemas(&previous, &schema);
                self.incompatible = merged.is_none();
                merged
            }
        };
    }
}

fn numeric_rank(t: Type) -> Option<u8> {
    Some(match t {
        Type::Int8 => 0,
        Type::Int16 => 1,
        Type::Int32 => 2,
        Type::Int64 => 3,
        Type::Float32 => 4,
        Type::Float64 => 5,
        _ => return None,
    })
}

/// `Values.mergeSchemas`: numeric types widen to the wider one; equal types keep the optional
/// one (or the newer when both agree).
fn merge_schemas(previous: &SchemaRef, new: &SchemaRef) -> Option<SchemaRef> {
    if previous.schema_type != new.schema_type {
        let a = numeric_rank(previous.schema_type)?;
        let b = numeric_rank(new.schema_type)?;
        return Some(if a > b { previous.clone() } else { new.clone() });
    }
    if previous.optional == new.optional {
        return Some(if previous.optional {
            previous.clone()
        } else {
            new.clone()
        });
    }
    (previous == new).then(|| previous.clone())
}

/// `Values.convertTo(toSchema, null, value)`, as used to align parsed elements with their
/// common schema.
fn convert_to(to: &Schema, value: Value) -> Result<Value, Fail> {
    if value.is_null() {
        if to.optional {
            return Ok(Value::Null);
        }
        return Err("Unable to convert a null value to a schema that requires a value".to_string());
    }
    let cant = |v: &Value| {
        format!(
            "Unable to convert {} (class {}) to {}",
            java_to_string(v),
            v.java_class(),
            to
        )
    };
    Ok(match to.schema_type {
        Type::Bytes if Logical::of(to) == Some(Logical::Decimal) => match value {
            Value::Bytes(b) => {
                Value::Decimal(logical::decimal_from_bytes(to, &b).map_err(|e| e.to_string())?)
            }
            Value::Decimal(_) => value,
            Value::String(ref s) => {
                Value::Decimal(parse_java_decimal(s).ok_or_else(|| cant(&value))?)
            }
            ref n if double_value(n).is_some() => {
                let d = super::java_fmt::double_to_string(double_value(n).unwrap_or_default());
                Value::Decimal(parse_java_decimal(&d).ok_or_else(|| cant(&value))?)
            }
            other => return Err(cant(&other)),
        },
        Type::Bytes => match value {
            Value::Bytes(_) => value,
            Value::Decimal(d) => {
                Value::Bytes(logical::decimal_to_bytes(to, &d).map_err(|e| e.to_string())?)
            }
            other => return Err(cant(&other)),
        },
        Type::String => Value::String(convert_to_string(&value).unwrap_or_default()),
        Type::Boolean => match value {
            Value::Boolean(_) => value,
            Value::String(ref s) => match parse_string(s).value {
                Value::Boolean(b) => Value::Boolean(b),
                _ => Value::Boolean(as_long(&value)? != 0),
            },
            other => Value::Boolean(as_long(&other)? != 0),
        },
        Type::Int8 => match value {
            Value::Int8(_) => value,
            other => Value::Int8(as_long(&other)? as i8),
        },
        Type::Int16 => match value {
            Value::Int16(_) => value,
            other => Value::Int16(as_long(&other)? as i16),
        },
        Type::Int32 => match Logical::of(to) {
            Some(Logical::Date) => Value::Date(logical::days_to_date(temporal_long(value)? as i32)),
            Some(Logical::Time) => Value::Date(
                logical::millis_to_time(temporal_long(value)? as i32).map_err(|e| e.to_string())?,
            ),
            _ => match value {
                Value::Int32(_) => value,
                other => Value::Int32(as_long(&other)? as i32),
            },
        },
        Type::Int64 => match Logical::of(to) {
            Some(Logical::Timestamp) => Value::Date(temporal_long(value)?),
            _ => match value {
                Value::Int64(_) => value,
                other => Value::Int64(as_long(&other)?),
            },
        },
        Type::Float32 => match value {
            Value::Float32(_) => value,
            other => Value::Float32(as_double(&other)? as f32),
        },
        Type::Float64 => match value {
            Value::Float64(_) => value,
            other => Value::Float64(as_double(&other)?),
        },
        Type::Array => match value {
            Value::String(ref s) => match parse_string(s).value {
                v @ Value::Array(_) => v,
                _ => return Err(cant(&value)),
            },
            Value::Array(_) => value,
            other => return Err(cant(&other)),
        },
        Type::Map => match value {
            Value::String(ref s) => match parse_string(s).value {
                v @ Value::Map(_) => v,
                _ => return Err(cant(&value)),
            },
            Value::Map(_) => value,
            other => return Err(cant(&other)),
        },
        Type::Struct => match value {
            Value::Struct(_) => value,
            other => return Err(cant(&other)),
        },
    })
}

/// The epoch-millis/day/millis number of a value converted to a temporal logical type without a
/// source schema: a `Date` stays as it is, strings are parsed first, numbers are taken as is.
fn temporal_long(value: Value) -> Result<i64, Fail> {
    let value = match value {
        Value::String(s) => parse_string(&s).value,
        other => other,
    };
    match value {
        Value::Date(ms) => Ok(ms),
        other => as_long(&other),
    }
}

/// `Values.asLong(value, null, null)`.
fn as_long(value: &Value) -> Result<i64, Fail> {
    match value {
        Value::String(s) => parse_java_decimal(s)
            .map(|d| decimal_low_i64(&d))
            .ok_or_else(|| not_a_number(value)),
        other => long_value(other).ok_or_else(|| not_a_number(other)),
    }
}

/// `Values.asDouble(value, null, null)`.
fn as_double(value: &Value) -> Result<f64, Fail> {
    match value {
        Value::String(s) => parse_java_decimal(s)
            .map(|d| decimal_to_f64(&d))
            .ok_or_else(|| not_a_number(value)),
        other => double_value(other).map_or_else(|| as_long(other).map(|l| l as f64), Ok),
    }
}

fn not_a_number(value: &Value) -> Fail {
    format!(
        "Unable to convert {} (class {}) to a number",
        java_to_string(value),
        value.java_class()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> (Option<Type>, Value) {
        let r = parse_string(s);
        (r.schema.map(|s| s.schema_type), r.value)
    }

    #[test]
    fn scalars() {
        assert_eq!(parsed(""), (Some(Type::String), Value::from("")));
        assert_eq!(parsed("true"), (Some(Type::Boolean), Value::Boolean(true)));
        assert_eq!(parsed("null"), (None, Value::Null));
        assert_eq!(parsed("1"), (Some(Type::Int8), Value::Int8(1)));
        assert_eq!(parsed("1.0"), (Some(Type::Int8), Value::Int8(1)));
        assert_eq!(parsed("300"), (Some(Type::Int16), Value::Int16(300)));
        assert_eq!(parsed("70000"), (Some(Type::Int32), Value::Int32(70000)));
        assert_eq!(
            parsed("-9223372036854775808"),
            (Some(Type::Int64), Value::Int64(i64::MIN))
        );
        assert_eq!(parsed("1.5"), (Some(Type::Float32), Value::Float32(1.5)));
        assert_eq!(
            parsed("1e300"),
            (Some(Type::Float64), Value::Float64(1e300))
        );
        let big = parse_string("123456789012345678901234567890");
        assert!(big.schema.unwrap().is_named(logical::DECIMAL_NAME));
        assert_eq!(parsed("inserted-value").1, Value::from("inserted-value"));
        assert_eq!(parsed("true}").1, Value::from("true}"));
        assert_eq!(parsed("  ").1, Value::from("  "));
    }

    #[test]
    fn temporals() {
        let d = parse_string("2024-01-02");
        assert!(d.schema.unwrap().is_named(logical::DATE_NAME));
        assert_eq!(d.value, Value::Date(19_724 * logical::MILLIS_PER_DAY));
        let t = parse_string("12:00:00.000Z");
        assert!(t.schema.unwrap().is_named(logical::TIME_NAME));
        assert_eq!(t.value, Value::Date(43_200_000));
        let ts = parse_string("2023-11-14T22:13:20.123Z");
        assert!(ts.schema.unwrap().is_named(logical::TIMESTAMP_NAME));
        assert_eq!(ts.value, Value::Date(1_700_000_000_123));
    }

    #[test]
    fn arrays_and_maps() {
        let r = parse_string("[1, 2, 300]");
        let schema = r.schema.unwrap();
        assert_eq!(schema.schema_type, Type::Array);
        assert_eq!(
            schema.value_schema.as_ref().unwrap().schema_type,
            Type::Int16
        );
        assert_eq!(
            r.value,
            Value::Array(vec![Value::Int16(1), Value::Int16(2), Value::Int16(300)])
        );
        let r = parse_string(r#"{"foo":"123"}"#);
        let schema = r.schema.unwrap();
        assert_eq!(
            schema.key_schema.as_ref().unwrap().schema_type,
            Type::String
        );
        assert_eq!(
            schema.value_schema.as_ref().unwrap().schema_type,
            Type::String
        );
        assert_eq!(r.value, Value::string_map([("foo", Value::from("123"))]));
        let mixed = parse_string(r#"[1, "a"]"#);
        assert!(mixed.schema.unwrap().value_schema.is_none());
        assert_eq!(
            mixed.value,
            Value::Array(vec![Value::Int8(1), Value::from("a")])
        );
        // A null element cannot be aligned with a required element schema: Java falls back
        // to the whole string.
        assert_eq!(parsed("[1, null]").1, Value::from("[1, null]"));
        assert_eq!(parsed("[1, 2").1, Value::from("[1, 2"));
        assert_eq!(parsed("{\"a\" 1}").1, Value::from("{\"a\" 1}"));
        let empty = parse_string("[]");
        assert_eq!(empty.value, Value::Array(vec![]));
    }

    #[test]
    fn round_trips_convert_to_string() {
        for v in [
            Value::Array(vec![Value::Int8(1), Value::Int8(2)]),
            Value::string_map([("a", Value::Boolean(true))]),
            Value::Float32(2.5),
            Value::Int64(1 << 40),
        ] {
            let s = convert_to_string(&v).unwrap();
            assert_eq!(parse_string(&s).value, v, "{s}");
        }
    }
}
