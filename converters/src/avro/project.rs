//! Reading with the subject's latest schema (`use.latest.version` on the read side): a value
//! decoded with its writer's schema is resolved to the reader's Connect schema by Avro's rules
//! — fields matched by name, reader fields missing from the writer take their defaults, writer
//! fields the reader lacks are dropped, numbers are promoted (int → long/float/double, long →
//! float/double, float → double) and strings and bytes convert into each other.

use sluice_api::{ConnectError, ConnectResult, Schema, SchemaRef, Struct, Type, Value};

fn err(msg: String) -> ConnectError {
    ConnectError::data(msg)
}

/// Resolves `value` to `target`.
pub fn project(value: &Value, target: &SchemaRef) -> ConnectResult<Value> {
    project_to(value, target)
}

fn project_to(value: &Value, target: &SchemaRef) -> ConnectResult<Value> {
    let t: &Schema = target;
    Ok(match (value, t.schema_type) {
        (Value::Null, _) => Value::Null,
        (Value::Struct(s), Type::Struct) => {
            let mut out = Struct::new(target.clone());
            for f in &t.fields {
                let v = match s.schema().field(&f.name) {
                    Some(_) => project_to(s.get_without_default(&f.name)?, &f.schema)?,
                    None => match &f.schema.default {
                        Some(d) => d.clone(),
                        None if f.schema.optional => Value::Null,
                        None => {
                            return Err(err(format!(
                                "Cannot read with the latest schema: field {} has no value and no default",
                                f.name
                            )))
                        }
                    },
                };
                out.put_index(f.index, v);
            }
            Value::Struct(out)
        }
        (Value::Array(items), Type::Array) => {
            let es = t
                .value_schema
                .as_ref()
                .ok_or_else(|| err("Array schema without element schema".into()))?;
            Value::Array(
                items
                    .iter()
                    .map(|i| project_to(i, es))
                    .collect::<ConnectResult<_>>()?,
            )
        }
        (Value::Map(entries), Type::Map) => {
            let (ks, vs) = match (&t.key_schema, &t.value_schema) {
                (Some(k), Some(v)) => (k, v),
                _ => return Err(err("Map schema without key or value schema".into())),
            };
            Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| Ok((project_to(k, ks)?, project_to(v, vs)?)))
                    .collect::<ConnectResult<_>>()?,
            )
        }
        (Value::Int32(v), Type::Int64) => Value::Int64(i64::from(*v)),
        (Value::Int32(v), Type::Float32) => Value::Float32(*v as f32),
        (Value::Int32(v), Type::Float64) => Value::Float64(f64::from(*v)),
        (Value::Int64(v), Type::Float32) => Value::Float32(*v as f32),
        (Value::Int64(v), Type::Float64) => Value::Float64(*v as f64),
        (Value::Float32(v), Type::Float64) => Value::Float64(f64::from(*v)),
        (Value::String(s), Type::Bytes) => Value::Bytes(s.as_bytes().to_vec()),
        (Value::Bytes(b), Type::String) => Value::String(
            String::from_utf8(b.clone())
                .map_err(|e| err(format!("Cannot read bytes as a string: {e}")))?,
        ),
        (v, ty) => {
            if v.inferred_type() == Some(ty) || matches!(v, Value::Decimal(_) | Value::Date(_)) {
                v.clone()
            } else {
                return Err(err(format!(
                    "Cannot read a {} with the latest schema's {ty}",
                    v.java_class()
                )));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::{schemas, SchemaBuilder};

    #[test]
    fn old_records_take_the_new_defaults_and_promotions() {
        let old = SchemaBuilder::struct_()
            .field("a", schemas::int32())
            .unwrap()
            .field("gone", schemas::string())
            .unwrap()
            .build_ref();
        let new = SchemaBuilder::struct_()
            .field("a", schemas::int64())
            .unwrap()
            .field(
                "b",
                SchemaBuilder::string()
                    .default_value(Value::from("dflt"))
                    .unwrap()
                    .build_ref(),
            )
            .unwrap()
            .field("c", schemas::optional_float64())
            .unwrap()
            .build_ref();
        let mut s = Struct::new(old);
        s.put("a", Value::Int32(4)).unwrap();
        s.put("gone", Value::from("x")).unwrap();
        let p = project(&Value::Struct(s), &new).unwrap();
        let p = p.as_struct().unwrap();
        assert_eq!(p.get("a").unwrap(), &Value::Int64(4));
        assert_eq!(p.get("b").unwrap(), &Value::from("dflt"));
        assert_eq!(p.get("c").unwrap(), &Value::Null);
        assert!(p.schema().field("gone").is_none());
        let required = SchemaBuilder::struct_()
            .field("z", schemas::int32())
            .unwrap()
            .build_ref();
        assert!(project(&Value::Struct(Struct::new(new)), &required).is_err());
    }
}
