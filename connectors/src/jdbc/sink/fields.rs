//! Confluent's `FieldsMetadata`: which columns a record's key and value schemas give, which of
//! them form the primary key, and the column order of `CREATE TABLE`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sluice_api::{schemas, SchemaRef, Type};

use super::config::{PkMode, DEFAULT_KAFKA_PK_NAMES, STRING_OUTPUT_VALUE_COLUMN_NAME};

/// One column a record contributes (`SinkRecordField`).
#[derive(Debug, Clone, PartialEq)]
pub struct SinkField {
    /// The column (field) name.
    pub name: String,
    /// The field's Connect schema.
    pub schema: SchemaRef,
    /// Whether the column is part of the primary key.
    pub is_pk: bool,
}

impl SinkField {
    /// Key columns are never optional.
    pub fn is_optional(&self) -> bool {
        !self.is_pk && self.schema.optional
    }
}

impl fmt::Display for SinkField {
    /// Java's `SinkRecordField.toString()`, which Confluent's messages print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SinkRecordField{{schema={}, name='{}', isPrimaryKey={}}}",
            self.schema, self.name, self.is_pk
        )
    }
}

/// The columns of one key/value schema pair.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldsMetadata {
    /// Key columns in key order.
    pub key_field_names: Vec<String>,
    /// Other columns in value-schema order.
    pub non_key_field_names: Vec<String>,
    /// Every column in `CREATE TABLE` order: Kafka coordinates, value fields, then remaining
    /// key fields sorted by name.
    pub all_fields: Vec<SinkField>,
}

/// The settings [`FieldsMetadata::extract`] reads.
#[derive(Debug, Clone, Copy)]
pub struct FieldRules<'a> {
    /// `pk.mode`.
    pub pk_mode: PkMode,
    /// `pk.fields`.
    pub pk_fields: &'a [String],
    /// `fields.whitelist`.
    pub whitelist: &'a BTreeSet<String>,
    /// `string.output.value.column.name`.
    pub string_value_column: &'a str,
}

impl FieldsMetadata {
    /// Confluent's `FieldsMetadata.extract`, with its messages.
    pub fn extract(
        table: &str,
        rules: FieldRules<'_>,
        key_schema: Option<&SchemaRef>,
        value_schema: Option<&SchemaRef>,
    ) -> Result<FieldsMetadata, String> {
        if let Some(v) = value_schema {
            if v.schema_type != Type::Struct && v.schema_type != Type::String {
                return Err("Value schema must be of type Struct or String".to_string());
            }
        }
        let is_string_value = value_schema.is_some_and(|v| v.schema_type == Type::String);
        let mut all: BTreeMap<String, SinkField> = BTreeMap::new();
        let mut keys: Vec<String> = Vec::new();
        let pk = |name: &str, schema: SchemaRef| SinkField {
            name: name.to_string(),
            schema,
            is_pk: true,
        };
        match rules.pk_mode {
            PkMode::None => {}
            PkMode::Kafka => {
                let names: Vec<String> = if rules.pk_fields.is_empty() {
                    DEFAULT_KAFKA_PK_NAMES
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                } else if rules.pk_fields.len() == 3 {
                    rules.pk_fields.to_vec()
                } else {
                    return Err(format!(
                        "PK mode for table '{table}' is KAFKA so there should either be no field \
                         names defined for defaults [{}] to be applicable, or exactly 3, defined \
                         fields are: [{}]",
                        DEFAULT_KAFKA_PK_NAMES.join(", "),
                        rules.pk_fields.join(", ")
                    ));
                };
                let types = [schemas::string(), schemas::int32(), schemas::int64()];
                for (n, s) in names.iter().zip(types) {
                    push_unique(&mut keys, n);
                    all.insert(n.clone(), pk(n, s));
                }
            }
            PkMode::RecordKey => {
                let Some(ks) = key_schema else {
                    return Err(format!(
                        "PK mode for table '{table}' is RECORD_KEY, but record key schema is missing"
                    ));
                };
                if ks.schema_type.is_primitive() {
                    if rules.pk_fields.len() != 1 {
                        return Err(format!(
                            "Need exactly one PK column defined since the key schema for records \
                             is a primitive type, defined columns are: [{}]",
                            rules.pk_fields.join(", ")
                        ));
                    }
                    let n = &rules.pk_fields[0];
                    keys.push(n.clone());
                    all.insert(n.clone(), pk(n, ks.clone()));
                } else if ks.schema_type == Type::Struct {
                    if rules.pk_fields.is_empty() {
                        keys.extend(ks.fields.iter().map(|f| f.name.clone()));
                    } else {
                        for n in rules.pk_fields {
                            if ks.field(n).is_none() {
                                return Err(format!(
                                    "PK mode for table '{table}' is RECORD_KEY with configured PK \
                                     fields [{}], but record key schema does not contain field: {n}",
                                    rules.pk_fields.join(", ")
                                ));
                            }
                            push_unique(&mut keys, n);
                        }
                    }
                    for n in &keys {
                        if let Some(f) = ks.field(n) {
                            all.insert(n.clone(), pk(n, f.schema.clone()));
                        }
                    }
                } else {
                    return Err(format!(
                        "Key schema must be primitive type or Struct, but is of type: {}",
                        ks.schema_type
                    ));
                }
            }
            PkMode::RecordValue => {
                if is_string_value {
                    return Err(
                        "pk.mode record_value is not supported with String value schemas"
                            .to_string(),
                    );
                }
                let Some(vs) = value_schema else {
                    return Err(format!(
                        "PK mode for table '{table}' is RECORD_VALUE, but record value schema is missing"
                    ));
                };
                if rules.pk_fields.is_empty() {
                    keys.extend(vs.fields.iter().map(|f| f.name.clone()));
                } else {
                    for n in rules.pk_fields {
                        if vs.field(n).is_none() {
                            return Err(format!(
                                "PK mode for table '{table}' is RECORD_VALUE with configured PK \
                                 fields [{}], but record value schema does not contain field: {n}",
                                rules.pk_fields.join(", ")
                            ));
                        }
                        push_unique(&mut keys, n);
                    }
                }
                for n in &keys {
                    if let Some(f) = vs.field(n) {
                        all.insert(n.clone(), pk(n, f.schema.clone()));
                    }
                }
            }
        }
        let mut non_keys: Vec<String> = Vec::new();
        if is_string_value {
            let col = rules.string_value_column;
            if keys.iter().any(|k| k == col) {
                return Err(format!(
                    "Configured {STRING_OUTPUT_VALUE_COLUMN_NAME} '{col}' conflicts with a primary \
                     key column for table '{table}'"
                ));
            }
            non_keys.push(col.to_string());
            all.insert(
                col.to_string(),
                SinkField {
                    name: col.to_string(),
                    schema: schemas::optional_string(),
                    is_pk: false,
                },
            );
        } else if let Some(vs) = value_schema {
            for f in &vs.fields {
                if keys.contains(&f.name) {
                    continue;
                }
                if !rules.whitelist.is_empty() && !rules.whitelist.contains(&f.name) {
                    continue;
                }
                non_keys.push(f.name.clone());
                all.insert(
                    f.name.clone(),
                    SinkField {
                        name: f.name.clone(),
                        schema: f.schema.clone(),
                        is_pk: false,
                    },
                );
            }
        }
        if all.is_empty() {
            return Err(format!(
                "No fields found using key and value schemas for table: {table}"
            ));
        }
        let mut ordered: Vec<SinkField> = Vec::with_capacity(all.len());
        let mut take = |name: &str, ordered: &mut Vec<SinkField>| {
            if let Some(f) = all.remove(name) {
                ordered.push(f);
            }
        };
        for n in DEFAULT_KAFKA_PK_NAMES {
            take(n, &mut ordered);
        }
        if is_string_value {
            take(rules.string_value_column, &mut ordered);
        } else if let Some(vs) = value_schema {
            for f in &vs.fields {
                take(&f.name, &mut ordered);
            }
        }
        // What is left (key fields not in the value) in name order (a BTreeMap).
        ordered.extend(all.into_values());
        Ok(FieldsMetadata {
            key_field_names: keys,
            non_key_field_names: non_keys,
            all_fields: ordered,
        })
    }

    /// The column named `name`.
    pub fn field(&self, name: &str) -> Option<&SinkField> {
        self.all_fields.iter().find(|f| f.name == name)
    }
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::SchemaBuilder;
    use std::sync::Arc;

    fn rules<'a>(mode: PkMode, pk: &'a [String], wl: &'a BTreeSet<String>) -> FieldRules<'a> {
        FieldRules {
            pk_mode: mode,
            pk_fields: pk,
            whitelist: wl,
            string_value_column: "record_value",
        }
    }

    fn value_schema() -> SchemaRef {
        Arc::new(
            SchemaBuilder::struct_()
                .field("name", schemas::string())
                .unwrap()
                .field("age", schemas::optional_int32())
                .unwrap()
                .build(),
        )
    }

    fn names(f: &FieldsMetadata) -> Vec<&str> {
        f.all_fields.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn kafka_mode_uses_the_coordinates_first() {
        let wl = BTreeSet::new();
        let f = FieldsMetadata::extract(
            "t",
            rules(PkMode::Kafka, &[], &wl),
            None,
            Some(&value_schema()),
        )
        .unwrap();
        assert_eq!(
            f.key_field_names,
            vec!["__connect_topic", "__connect_partition", "__connect_offset"]
        );
        assert_eq!(f.non_key_field_names, vec!["name", "age"]);
        assert_eq!(
            names(&f),
            vec![
                "__connect_topic",
                "__connect_partition",
                "__connect_offset",
                "name",
                "age"
            ]
        );
        let e = FieldsMetadata::extract(
            "t",
            rules(PkMode::Kafka, &["a".to_string()], &wl),
            None,
            Some(&value_schema()),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "PK mode for table 't' is KAFKA so there should either be no field names defined for \
             defaults [__connect_topic, __connect_partition, __connect_offset] to be applicable, \
             or exactly 3, defined fields are: [a]"
        );
    }

    #[test]
    fn primitive_keys_need_exactly_one_name() {
        let wl = BTreeSet::new();
        let key = schemas::int64();
        let e = FieldsMetadata::extract(
            "t",
            rules(PkMode::RecordKey, &[], &wl),
            Some(&key),
            Some(&value_schema()),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "Need exactly one PK column defined since the key schema for records is a primitive \
             type, defined columns are: []"
        );
        let pk = vec!["id".to_string()];
        let f = FieldsMetadata::extract(
            "t",
            rules(PkMode::RecordKey, &pk, &wl),
            Some(&key),
            Some(&value_schema()),
        )
        .unwrap();
        // Key fields not in the value come last.
        assert_eq!(names(&f), vec!["name", "age", "id"]);
        assert!(!f.all_fields[2].is_optional());
        let e = FieldsMetadata::extract("t", rules(PkMode::RecordKey, &pk, &wl), None, None)
            .unwrap_err();
        assert_eq!(
            e,
            "PK mode for table 't' is RECORD_KEY, but record key schema is missing"
        );
    }

    #[test]
    fn record_value_mode_keeps_the_value_order() {
        // FieldsMetadataTest.recordValuePkModeWithFieldsRetainOriginalOrdering.
        let wl = BTreeSet::new();
        let vs: SchemaRef = Arc::new(
            SchemaBuilder::struct_()
                .field("field4", schemas::int64())
                .unwrap()
                .field("field2", schemas::int64())
                .unwrap()
                .field("field1", schemas::int64())
                .unwrap()
                .field("field3", schemas::int64())
                .unwrap()
                .build(),
        );
        let pk = vec![
            "field4".to_string(),
            "field1".to_string(),
            "field3".to_string(),
        ];
        let f = FieldsMetadata::extract("t", rules(PkMode::RecordValue, &pk, &wl), None, Some(&vs))
            .unwrap();
        assert_eq!(f.key_field_names, vec!["field4", "field1", "field3"]);
        assert_eq!(f.non_key_field_names, vec!["field2"]);
        assert_eq!(names(&f), vec!["field4", "field2", "field1", "field3"]);
        let bad = vec!["nope".to_string()];
        let e =
            FieldsMetadata::extract("t", rules(PkMode::RecordValue, &bad, &wl), None, Some(&vs))
                .unwrap_err();
        assert!(
            e.ends_with("but record value schema does not contain field: nope"),
            "{e}"
        );
    }

    #[test]
    fn whitelist_and_empty_results() {
        let wl: BTreeSet<String> = ["age".to_string()].into_iter().collect();
        let f = FieldsMetadata::extract(
            "t",
            rules(PkMode::None, &[], &wl),
            None,
            Some(&value_schema()),
        )
        .unwrap();
        assert_eq!(names(&f), vec!["age"]);
        let nothing: BTreeSet<String> = ["zzz".to_string()].into_iter().collect();
        let e = FieldsMetadata::extract(
            "t",
            rules(PkMode::None, &[], &nothing),
            None,
            Some(&value_schema()),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "No fields found using key and value schemas for table: t"
        );
        let e = FieldsMetadata::extract(
            "t",
            rules(PkMode::None, &[], &wl),
            None,
            Some(&schemas::int32()),
        )
        .unwrap_err();
        assert_eq!(e, "Value schema must be of type Struct or String");
    }

    #[test]
    fn string_values_go_to_one_column() {
        let wl = BTreeSet::new();
        let f = FieldsMetadata::extract(
            "t",
            rules(PkMode::Kafka, &[], &wl),
            None,
            Some(&schemas::string()),
        )
        .unwrap();
        assert_eq!(f.non_key_field_names, vec!["record_value"]);
        assert!(f.field("record_value").unwrap().is_optional());
    }
}
