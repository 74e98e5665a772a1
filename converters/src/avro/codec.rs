//! Connect values ↔ Avro binary, through a [`Plan`] compiled once per (Connect schema, Avro
//! schema) pair: `AvroData.fromConnectData`/`toConnectData` and Avro's binary encoding in one
//! pass, with no intermediate Avro datum.

use std::sync::Arc;

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use sluice_api::logical::{self, Logical};
use sluice_api::{ConnectError, ConnectResult, SchemaRef, Struct, Type, Value};

use super::config::AvroDataConfig;
use super::names::*;
use super::schema::{AvroSchema, Kind};
use super::to_connect::{nullable_branch, union_member_name};

fn err(msg: impl Into<String>) -> ConnectError {
    ConnectError::data(msg.into())
}

/// How one value is written and read.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Avro `boolean`.
    Boolean,
    /// Avro `int` holding a Connect INT8.
    Int8,
    /// Avro `int` holding a Connect INT16.
    Int16,
    /// Avro `int`.
    Int32,
    /// Avro `long`.
    Int64,
    /// Avro `float`.
    Float32,
    /// Avro `double`.
    Float64,
    /// Avro `string`.
    String,
    /// Avro `enum` read and written as a Connect STRING.
    Enum(Vec<String>),
    /// Avro `bytes`.
    Bytes,
    /// Avro `fixed` of this size.
    Fixed(usize),
    /// A Decimal as `bytes` (or `fixed` of the given size).
    Decimal {
        /// The Connect schema (for its scale).
        schema: SchemaRef,
        /// Fixed size, when the Avro type is `fixed`.
        fixed: Option<usize>,
    },
    /// A Date as an Avro `int` of days.
    Date,
    /// A Time as an Avro `int` of milliseconds.
    Time,
    /// A Timestamp as an Avro `long` of milliseconds.
    Timestamp,
    /// A two-branch union with `null` (an optional Connect schema).
    Optional {
        /// Branch index of `null`.
        null_index: u8,
        /// The other branch.
        inner: Box<Plan>,
    },
    /// A one-branch union.
    Single(Box<Plan>),
    /// Avro `array`.
    Array(Box<Plan>),
    /// Avro `map` (string keys).
    StringMap(Box<Plan>),
    /// A Connect map as an Avro array of key/value records.
    EntryMap(Box<Plan>, Box<Plan>),
    /// Avro `record` ↔ Connect STRUCT.
    Record {
        /// The Connect schema of the struct.
        schema: SchemaRef,
        /// One entry per Avro field, in Avro order: the Connect field index and its plan.
        fields: Vec<(usize, Plan)>,
    },
    /// An Avro union ↔ a Connect `io.confluent.connect.avro.Union` struct.
    Union {
        /// The Connect schema of the union struct.
        schema: SchemaRef,
        /// Branch index of `null`, if any.
        null_index: Option<u8>,
        /// For each non-null branch: its Avro index, Connect field index and plan.
        branches: Vec<(u32, usize, Plan)>,
    },
}

/// Compiles the plan of `connect` written as (or read from) `avro`.
pub fn compile(
    cfg: &AvroDataConfig,
    connect: &SchemaRef,
    avro: &AvroSchema,
) -> ConnectResult<Plan> {
    let mismatch = || {
        err(format!(
            "Avro schema of type {} does not match Connect schema {}",
            avro.type_name(),
            connect
        ))
    };
    if let Kind::Union(branches) = avro.kind() {
        if connect.is_named(AVRO_TYPE_UNION) && connect.schema_type == Type::Struct {
            let mut null_index = None;
            let mut out = Vec::new();
            for (i, b) in branches.iter().enumerate() {
                if matches!(b.kind(), Kind::Null) {
                    null_index = Some(i as u8);
                    continue;
                }
                let name = union_member_name(cfg, b);
                let field = connect.field(&name).ok_or_else(mismatch)?;
                out.push((i as u32, field.index, compile(cfg, &field.schema, b)?));
            }
            return Ok(Plan::Union {
                schema: connect.clone(),
                null_index,
                branches: out,
            });
        }
        if branches.len() == 1 {
            return Ok(Plan::Single(Box::new(compile(cfg, connect, &branches[0])?)));
        }
        if branches.len() == 2 {
            if let Some(other) = nullable_branch(branches) {
                let null_index = if matches!(branches[0].kind(), Kind::Null) {
                    0
                } else {
                    1
                };
                return Ok(Plan::Optional {
                    null_index,
                    inner: Box::new(compile(cfg, connect, other)?),
                });
            }
        }
        return Err(mismatch());
    }
    let logical = Logical::of(connect);
    Ok(match (connect.schema_type, avro.kind()) {
        (Type::Boolean, Kind::Boolean) => Plan::Boolean,
        (Type::Int8, Kind::Int) => Plan::Int8,
        (Type::Int16, Kind::Int) => Plan::Int16,
        (Type::Int32, Kind::Int) => match logical {
            Some(Logical::Date) => Plan::Date,
            Some(Logical::Time) => Plan::Time,
            _ => Plan::Int32,
        },
        (Type::Int64, Kind::Long) => match logical {
            Some(Logical::Timestamp) => Plan::Timestamp,
            _ => Plan::Int64,
        },
        (Type::Float32, Kind::Float) => Plan::Float32,
        (Type::Float64, Kind::Double) => Plan::Float64,
        (Type::String, Kind::String) => Plan::String,
        (Type::String, Kind::Enum { symbols, .. }) => Plan::Enum(symbols.clone()),
        (Type::Bytes, Kind::Bytes) | (Type::Bytes, Kind::Fixed { .. }) => {
            let fixed = match avro.kind() {
                Kind::Fixed { size, .. } => Some(*size),
                _ => None,
            };
            match (logical, fixed) {
                (Some(Logical::Decimal), _) => Plan::Decimal {
                    schema: connect.clone(),
                    fixed,
                },
                (_, Some(size)) => Plan::Fixed(size),
                _ => Plan::Bytes,
            }
        }
        (Type::Array, Kind::Array(items)) => {
            let es = connect.value_schema.as_ref().ok_or_else(mismatch)?;
            Plan::Array(Box::new(compile(cfg, es, items)?))
        }
        (Type::Map, Kind::Map(values)) => {
            let vs = connect.value_schema.as_ref().ok_or_else(mismatch)?;
            Plan::StringMap(Box::new(compile(cfg, vs, values)?))
        }
        (Type::Map, Kind::Array(entry)) => {
            let Kind::Record { fields, .. } = entry.kind() else {
                return Err(mismatch());
            };
            let ks = connect.key_schema.as_ref().ok_or_else(mismatch)?;
            let vs = connect.value_schema.as_ref().ok_or_else(mismatch)?;
            let find = |n: &str| fields.iter().find(|f| f.name == n).ok_or_else(mismatch);
            Plan::EntryMap(
                Box::new(compile(cfg, ks, &find(KEY_FIELD)?.schema)?),
                Box::new(compile(cfg, vs, &find(VALUE_FIELD)?.schema)?),
            )
        }
        (Type::Struct, Kind::Record { fields, .. }) => {
            let mut out = Vec::with_capacity(fields.len());
            for f in fields {
                let cf = connect
                    .fields
                    .iter()
                    .find(|cf| {
                        cf.name == f.name
                            || (cfg.scrub_invalid_names
                                && super::from_connect::scrub(&cf.name) == f.name)
                    })
                    .ok_or_else(|| {
                        err(format!(
                            "Avro field {} has no Connect field in {}",
                            f.name, connect
                        ))
                    })?;
                out.push((cf.index, compile(cfg, &cf.schema, &f.schema)?));
            }
            Plan::Record {
                schema: connect.clone(),
                fields: out,
            }
        }
        _ => return Err(mismatch()),
    })
}

// ---- writing ----

#[inline]
fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

#[inline]
fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

fn type_error(plan: &Plan, value: &Value) -> ConnectError {
    err(format!(
        "Invalid type for {}: class {}",
        plan_type(plan),
        value.java_class()
    ))
}

fn plan_type(plan: &Plan) -> &'static str {
    match plan {
        Plan::Boolean => "BOOLEAN",
        Plan::Int8 => "INT8",
        Plan::Int16 => "INT16",
        Plan::Int32 | Plan::Date | Plan::Time => "INT32",
        Plan::Int64 | Plan::Timestamp => "INT64",
        Plan::Float32 => "FLOAT32",
        Plan::Float64 => "FLOAT64",
        Plan::String | Plan::Enum(_) => "STRING",
        Plan::Bytes | Plan::Fixed(_) | Plan::Decimal { .. } => "BYTES",
        Plan::Array(_) => "ARRAY",
        Plan::StringMap(_) | Plan::EntryMap(..) => "MAP",
        Plan::Record { .. } | Plan::Union { .. } => "STRUCT",
        Plan::Optional { inner, .. } | Plan::Single(inner) => plan_type(inner),
    }
}

/// Options of the write path.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// `ignore.default.for.nullables`.
    pub ignore_default_for_nullables: bool,
}

/// Writes `value` (already defaulted by the caller for struct fields) with `plan`.
pub fn write(
    plan: &Plan,
    value: &Value,
    opts: WriteOptions,
    out: &mut Vec<u8>,
) -> ConnectResult<()> {
    match (plan, value) {
        (Plan::Optional { null_index, inner }, v) => {
            if v.is_null() {
                write_long(out, i64::from(*null_index));
                Ok(())
            } else {
                write_long(out, i64::from(1 - *null_index));
                write(inner, v, opts, out)
            }
        }
        (
            Plan::Union {
                null_index,
                branches,
                ..
            },
            v,
        ) => match v {
            Value::Null => match null_index {
                Some(i) => {
                    write_long(out, i64::from(*i));
                    Ok(())
                }
                None => Err(err("Found null value for non-optional schema")),
            },
            Value::Struct(s) => {
                for (avro_index, field_index, p) in branches {
                    let fv = s.get_index(*field_index);
                    let fv = if fv.is_null() && !opts.ignore_default_for_nullables {
                        s.schema().fields[*field_index]
                            .schema
                            .default
                            .as_ref()
                            .unwrap_or(fv)
                    } else {
                        fv
                    };
                    if !fv.is_null() {
                        write_long(out, i64::from(*avro_index));
                        return write(p, fv, opts, out);
                    }
                }
                match null_index {
                    Some(i) => {
                        write_long(out, i64::from(*i));
                        Ok(())
                    }
                    None => Err(err("Found null value for non-optional schema")),
                }
            }
            other => Err(type_error(plan, other)),
        },
        (_, Value::Null) => Err(err("Found null value for non-optional schema")),
        (Plan::Single(inner), v) => {
            out.push(0);
            write(inner, v, opts, out)
        }
        (Plan::Boolean, Value::Boolean(b)) => {
            out.push(u8::from(*b));
            Ok(())
        }
        (Plan::Int8, Value::Int8(v)) => {
            write_long(out, i64::from(*v));
            Ok(())
        }
        (Plan::Int16, Value::Int16(v)) => {
            write_long(out, i64::from(*v));
            Ok(())
        }
        (Plan::Int32, Value::Int32(v)) => {
            write_long(out, i64::from(*v));
            Ok(())
        }
        (Plan::Int64, Value::Int64(v)) => {
            write_long(out, *v);
            Ok(())
        }
        (Plan::Float32, Value::Float32(v)) => {
            out.extend_from_slice(&v.to_le_bytes());
            Ok(())
        }
        (Plan::Float64, Value::Float64(v)) => {
            out.extend_from_slice(&v.to_le_bytes());
            Ok(())
        }
        (Plan::String, Value::String(s)) => {
            write_bytes(out, s.as_bytes());
            Ok(())
        }
        (Plan::Enum(symbols), Value::String(s)) => {
            let i = symbols
                .iter()
                .position(|x| x == s)
                .ok_or_else(|| err(format!("Not an enum symbol: {s}")))?;
            write_long(out, i as i64);
            Ok(())
        }
        (Plan::Bytes, Value::Bytes(b)) => {
            write_bytes(out, b);
            Ok(())
        }
        (Plan::Fixed(size), Value::Bytes(b)) => {
            if b.len() != *size {
                return Err(err(format!(
                    "Fixed value of {} bytes does not match the fixed size {size}",
                    b.len()
                )));
            }
            out.extend_from_slice(b);
            Ok(())
        }
        (Plan::Decimal { schema, fixed }, Value::Decimal(d)) => {
            let bytes = logical::decimal_to_bytes(schema, d)?;
            match fixed {
                None => write_bytes(out, &bytes),
                Some(size) => out.extend_from_slice(&pad_to_fixed(&bytes, *size)?),
            }
            Ok(())
        }
        (Plan::Date, Value::Date(ms)) => {
            write_long(out, i64::from(logical::date_to_days(*ms)?));
            Ok(())
        }
        (Plan::Time, Value::Date(ms)) => {
            write_long(out, i64::from(logical::time_to_millis(*ms)?));
            Ok(())
        }
        (Plan::Timestamp, Value::Date(ms)) => {
            write_long(out, *ms);
            Ok(())
        }
        (Plan::Array(items), Value::Array(values)) => {
            if !values.is_empty() {
                write_long(out, values.len() as i64);
                for v in values {
                    write(items, v, opts, out)?;
                }
            }
            out.push(0);
            Ok(())
        }
        (Plan::StringMap(values), Value::Map(entries)) => {
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                for (k, v) in entries {
                    let k = k.as_str().ok_or_else(|| type_error(plan, k))?;
                    write_bytes(out, k.as_bytes());
                    write(values, v, opts, out)?;
                }
            }
            out.push(0);
            Ok(())
        }
        (Plan::EntryMap(kp, vp), Value::Map(entries)) => {
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                for (k, v) in entries {
                    write(kp, k, opts, out)?;
                    write(vp, v, opts, out)?;
                }
            }
            out.push(0);
            Ok(())
        }
        (Plan::Record { schema, fields }, Value::Struct(s)) => {
            if !Arc::ptr_eq(schema, s.schema()) && **schema != **s.schema() {
                return Err(err("Mismatching struct schema"));
            }
            for (index, p) in fields {
                let raw = s.get_index(*index);
                let v = if raw.is_null() && !opts.ignore_default_for_nullables {
                    schema.fields[*index].schema.default.as_ref().unwrap_or(raw)
                } else {
                    raw
                };
                write(p, v, opts, out).map_err(|e| match e {
                    ConnectError::Data(m) if m == "Found null value for non-optional schema" => {
                        err(format!("{m} (field \"{}\")", schema.fields[*index].name))
                    }
                    other => other,
                })?;
            }
            Ok(())
        }
        (p, v) => Err(type_error(p, v)),
    }
}

/// Java's `padToFixedSize`: sign-extends an unscaled value to a fixed size.
fn pad_to_fixed(unscaled: &[u8], size: usize) -> ConnectResult<Vec<u8>> {
    if unscaled.len() > size {
        return Err(err(format!(
            "Unscaled value byte array length {} is greater than fixed size {size}",
            unscaled.len()
        )));
    }
    let fill = if unscaled.first().is_some_and(|b| *b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut out = vec![fill; size - unscaled.len()];
    out.extend_from_slice(unscaled);
    Ok(out)
}

// ---- reading ----

/// A cursor over Avro binary data.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn eof() -> ConnectError {
    err("Failed to deserialize Avro data: unexpected end of data")
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// True when every byte was read.
    pub fn is_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    #[inline]
    pub(crate) fn long(&mut self) -> ConnectResult<i64> {
        let mut n: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *self.buf.get(self.pos).ok_or_else(eof)?;
            self.pos += 1;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return Err(err("Failed to deserialize Avro data: invalid varint"));
            }
        }
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }

    #[inline]
    pub(crate) fn int(&mut self) -> ConnectResult<i32> {
        let v = self.long()?;
        i32::try_from(v).map_err(|_| {
            err(format!(
                "Failed to deserialize Avro data: int out of range: {v}"
            ))
        })
    }

    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> ConnectResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(eof)?;
        let s = self.buf.get(self.pos..end).ok_or_else(eof)?;
        self.pos = end;
        Ok(s)
    }

    #[inline]
    pub(crate) fn bytes(&mut self) -> ConnectResult<&'a [u8]> {
        let n = self.long()?;
        let n = usize::try_from(n).map_err(|_| {
            err(format!(
                "Failed to deserialize Avro data: negative length {n}"
            ))
        })?;
        self.take(n)
    }

    pub(crate) fn string(&mut self) -> ConnectResult<String> {
        let b = self.bytes()?;
        std::str::from_utf8(b).map(str::to_string).map_err(|e| {
            err(format!(
                "Failed to deserialize Avro data: invalid UTF-8 string: {e}"
            ))
        })
    }

    /// Reads block-encoded items (arrays and maps), calling `item` once per item.
    pub(crate) fn blocks(
        &mut self,
        mut item: impl FnMut(&mut Self) -> ConnectResult<()>,
    ) -> ConnectResult<()> {
        loop {
            let mut n = self.long()?;
            if n == 0 {
                return Ok(());
            }
            if n < 0 {
                n = -n;
                self.long()?; // block size in bytes
            }
            for _ in 0..n {
                item(self)?;
            }
        }
    }
}

/// Reads one value with `plan`.
pub fn read(plan: &Plan, r: &mut Reader<'_>) -> ConnectResult<Value> {
    Ok(match plan {
        Plan::Boolean => Value::Boolean(r.take(1)?[0] != 0),
        Plan::Int8 => Value::Int8(r.int()? as i8),
        Plan::Int16 => Value::Int16(r.int()? as i16),
        Plan::Int32 => Value::Int32(r.int()?),
        Plan::Int64 => Value::Int64(r.long()?),
        Plan::Float32 => {
            let b = r.take(4)?;
            Value::Float32(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
        Plan::Float64 => {
            let b = r.take(8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            Value::Float64(f64::from_le_bytes(a))
        }
        Plan::String => Value::String(r.string()?),
        Plan::Enum(symbols) => {
            let i = r.int()?;
            let s = usize::try_from(i)
                .ok()
                .and_then(|i| symbols.get(i))
                .ok_or_else(|| {
                    err(format!(
                        "Failed to deserialize Avro data: enum index {i} out of range"
                    ))
                })?;
            Value::String(s.clone())
        }
        Plan::Bytes => Value::Bytes(r.bytes()?.to_vec()),
        Plan::Fixed(size) => Value::Bytes(r.take(*size)?.to_vec()),
        Plan::Decimal { schema, fixed } => {
            let b = match fixed {
                Some(size) => r.take(*size)?,
                None => r.bytes()?,
            };
            let scale = logical::decimal_scale(schema)?;
            Value::Decimal(BigDecimal::new(
                BigInt::from_signed_bytes_be(b),
                i64::from(scale),
            ))
        }
        Plan::Date => Value::Date(logical::days_to_date(r.int()?)),
        Plan::Time => Value::Date(logical::millis_to_time(r.int()?)?),
        Plan::Timestamp => Value::Date(r.long()?),
        Plan::Optional { null_index, inner } => {
            let i = r.long()?;
            if i == i64::from(*null_index) {
                Value::Null
            } else if i == i64::from(1 - *null_index) {
                read(inner, r)?
            } else {
                return Err(err(format!(
                    "Failed to deserialize Avro data: union index {i} out of range"
                )));
            }
        }
        Plan::Single(inner) => {
            let i = r.long()?;
            if i != 0 {
                return Err(err(format!(
                    "Failed to deserialize Avro data: union index {i} out of range"
                )));
            }
            read(inner, r)?
        }
        Plan::Array(items) => {
            let mut out = Vec::new();
            r.blocks(|r| {
                out.push(read(items, r)?);
                Ok(())
            })?;
            Value::Array(out)
        }
        Plan::StringMap(values) => {
            let mut out = Vec::new();
            r.blocks(|r| {
                let k = r.string()?;
                out.push((Value::String(k), read(values, r)?));
                Ok(())
            })?;
            Value::Map(out)
        }
        Plan::EntryMap(kp, vp) => {
            let mut out = Vec::new();
            r.blocks(|r| {
                let k = read(kp, r)?;
                out.push((k, read(vp, r)?));
                Ok(())
            })?;
            Value::Map(out)
        }
        Plan::Record { schema, fields } => {
            let mut s = Struct::new(schema.clone());
            for (index, p) in fields {
                let v = read(p, r)?;
                s.put_index(*index, v);
            }
            Value::Struct(s)
        }
        Plan::Union {
            schema,
            null_index,
            branches,
        } => {
            let i = r.long()?;
            if Some(i) == null_index.map(i64::from) {
                Value::Null
            } else {
                let (_, field, p) = branches
                    .iter()
                    .find(|(a, _, _)| i64::from(*a) == i)
                    .ok_or_else(|| {
                        err(format!(
                            "Failed to deserialize Avro data: union index {i} out of range"
                        ))
                    })?;
                let v = read(p, r)?;
                let mut s = Struct::new(schema.clone());
                s.put_index(*field, v);
                Value::Struct(s)
            }
        }
    })
}

/// True when a top-level Avro schema is plain `bytes` (written raw after the prefix).
pub fn is_raw_bytes(avro: &AvroSchema) -> bool {
    matches!(avro.kind(), Kind::Bytes)
}
