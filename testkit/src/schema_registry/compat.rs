//! Avro schema compatibility, good enough for tests: can a reader schema read data written
//! with a writer schema (Avro's schema resolution rules, without aliases)?

use sluice_converters::avro::schema::{AvroSchema, Kind};

/// Why a reader cannot read a writer's data (empty: it can).
pub fn incompatibilities(reader: &AvroSchema, writer: &AvroSchema) -> Vec<String> {
    let mut out = Vec::new();
    check(reader, writer, "/", &mut out);
    out
}

fn promotable(reader: &Kind, writer: &Kind) -> bool {
    matches!(
        (writer, reader),
        (Kind::Int, Kind::Long | Kind::Float | Kind::Double)
            | (Kind::Long, Kind::Float | Kind::Double)
            | (Kind::Float, Kind::Double)
            | (Kind::String, Kind::Bytes)
            | (Kind::Bytes, Kind::String)
    )
}

fn check(reader: &AvroSchema, writer: &AvroSchema, at: &str, out: &mut Vec<String>) {
    match (reader.kind(), writer.kind()) {
        (_, Kind::Union(branches)) => {
            for (i, b) in branches.iter().enumerate() {
                let mut sub = Vec::new();
                check(reader, b, &format!("{at}{i}/"), &mut sub);
                out.extend(sub);
            }
        }
        (Kind::Union(branches), _) => {
            let readable = branches.iter().any(|b| {
                let mut sub = Vec::new();
                check(b, writer, at, &mut sub);
                sub.is_empty()
            });
            if !readable {
                out.push(format!(
                    "{{type:TYPE_MISMATCH, location:{at}, description:The type (path '{at}') of a field in the new schema does not match with the old schema: reader union lacks {}}}",
                    writer.type_name()
                ));
            }
        }
        (
            Kind::Record {
                name: rn,
                fields: rf,
                ..
            },
            Kind::Record {
                name: wn,
                fields: wf,
                ..
            },
        ) => {
            if rn.name != wn.name {
                out.push(format!(
                    "{{type:NAME_MISMATCH, location:{at}name, description:The name of the schema has changed (path '{at}name')}}"
                ));
                return;
            }
            for f in rf {
                match wf.iter().find(|w| w.name == f.name) {
                    Some(w) => check(&f.schema, &w.schema, &format!("{at}fields/{}/", f.name), out),
                    None if f.default.is_some() => {}
                    None => out.push(format!(
                        "{{type:READER_FIELD_MISSING_DEFAULT_VALUE, location:{at}fields/{}, description:The field '{}' at path '{at}fields/{}' in the new schema has no default value and is missing in the old schema}}",
                        f.name, f.name, f.name
                    )),
                }
            }
        }
        (
            Kind::Enum {
                symbols: rs,
                default,
                ..
            },
            Kind::Enum { symbols: ws, .. },
        ) => {
            if default.is_none() {
                let missing: Vec<&String> = ws.iter().filter(|s| !rs.contains(s)).collect();
                if !missing.is_empty() {
                    out.push(format!(
                        "{{type:MISSING_ENUM_SYMBOLS, location:{at}symbols, description:The new schema is missing enum symbols '{missing:?}' at path '{at}symbols' in the old schema}}"
                    ));
                }
            }
        }
        (Kind::Fixed { size: rs, .. }, Kind::Fixed { size: ws, .. }) => {
            if rs != ws {
                out.push(format!(
                    "{{type:FIXED_SIZE_MISMATCH, location:{at}size, description:The size of FIXED type field at path '{at}size' in the new schema does not match with the old schema}}"
                ));
            }
        }
        (Kind::Array(r), Kind::Array(w)) => check(r, w, &format!("{at}items/"), out),
        (Kind::Map(r), Kind::Map(w)) => check(r, w, &format!("{at}values/"), out),
        (r, w) if std::mem::discriminant(r) == std::mem::discriminant(w) => {}
        (r, w) if promotable(r, w) => {}
        _ => out.push(format!(
            "{{type:TYPE_MISMATCH, location:{at}, description:The type (path '{at}') of a field in the new schema does not match with the old schema: {} cannot read {}}}",
            reader.type_name(),
            writer.type_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> AvroSchema {
        AvroSchema::parse(t).unwrap()
    }

    #[test]
    fn added_field_needs_a_default_and_types_must_match() {
        let v1 = s(r#"{"type":"record","name":"P","fields":[{"name":"a","type":"int"}]}"#);
        let v2_ok = s(
            r#"{"type":"record","name":"P","fields":[{"name":"a","type":"long"},{"name":"b","type":["null","string"],"default":null}]}"#,
        );
        let v2_bad = s(
            r#"{"type":"record","name":"P","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#,
        );
        let v2_type = s(r#"{"type":"record","name":"P","fields":[{"name":"a","type":"string"}]}"#);
        assert!(incompatibilities(&v2_ok, &v1).is_empty());
        assert_eq!(incompatibilities(&v2_bad, &v1).len(), 1);
        assert_eq!(incompatibilities(&v2_type, &v1).len(), 1);
        // Removing a field is backward compatible; int cannot read long.
        assert!(incompatibilities(&v1, &v2_ok).len() == 1);
    }

    #[test]
    fn unions_and_enums() {
        assert!(incompatibilities(&s(r#"["null","int"]"#), &s(r#""int""#)).is_empty());
        assert!(!incompatibilities(&s(r#""int""#), &s(r#"["null","int"]"#)).is_empty());
        let e1 = s(r#"{"type":"enum","name":"E","symbols":["A","B"]}"#);
        let e2 = s(r#"{"type":"enum","name":"E","symbols":["A"]}"#);
        assert!(incompatibilities(&e1, &e2).is_empty());
        assert!(!incompatibilities(&e2, &e1).is_empty());
    }
}
