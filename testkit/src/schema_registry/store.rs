//! Subjects, versions and schema ids, with compatibility levels, as Confluent's Schema
//! Registry keeps them: one id per distinct schema (shared by every subject that registers
//! it), versions numbered from 1 per subject.

use std::collections::{BTreeMap, HashMap};

use sluice_converters::avro::schema::AvroSchema;

use super::compat::incompatibilities;

/// An error answer: HTTP status, registry error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// HTTP status.
    pub status: u16,
    /// `error_code`.
    pub code: i64,
    /// `message`.
    pub message: String,
}

impl RegistryError {
    fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        RegistryError {
            status,
            code,
            message: message.into(),
        }
    }
    /// 40401.
    pub fn subject_not_found(subject: &str) -> Self {
        Self::new(404, 40401, format!("Subject '{subject}' not found."))
    }
    /// 40402.
    pub fn version_not_found(version: &str) -> Self {
        Self::new(404, 40402, format!("Version {version} not found."))
    }
    /// 40403.
    pub fn schema_not_found(what: &str) -> Self {
        Self::new(404, 40403, format!("Schema {what}not found"))
    }
    /// 42201.
    pub fn invalid_schema(detail: &str) -> Self {
        Self::new(422, 42201, format!("Invalid schema {detail}"))
    }
}

/// A stored schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSchema {
    /// Its id.
    pub id: i32,
    /// `AVRO`, `JSON` or `PROTOBUF`.
    pub schema_type: String,
    /// The text as first registered.
    pub schema: String,
    /// The form identical schemas share.
    canonical: String,
}

/// One version of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubjectVersion {
    /// Version number (from 1).
    pub version: i32,
    /// Schema id.
    pub id: i32,
}

/// The registry's state.
#[derive(Debug)]
pub struct Store {
    schemas: Vec<StoredSchema>,
    ids: HashMap<(String, String), i32>,
    subjects: BTreeMap<String, Vec<SubjectVersion>>,
    global_compatibility: String,
    subject_compatibility: HashMap<String, String>,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            schemas: Vec::new(),
            ids: HashMap::new(),
            subjects: BTreeMap::new(),
            global_compatibility: "BACKWARD".to_string(),
            subject_compatibility: HashMap::new(),
        }
    }
}

/// The compatibility levels the registry knows.
pub const LEVELS: &[&str] = &[
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
];

fn canonical(schema_type: &str, schema: &str) -> Result<String, RegistryError> {
    if schema_type != "AVRO" {
        return Ok(schema.to_string());
    }
    match AvroSchema::parse(schema) {
        Ok(s) => Ok(s.to_json_string()),
        // Recursive schemas (such as Confluent's Anything record) are compared as JSON and not
        // checked for compatibility.
        Err(e) if e.to_string().starts_with("Recursive") => {
            serde_json::from_str::<serde_json::Value>(schema)
                .map(|v| v.to_string())
                .map_err(|e| RegistryError::invalid_schema(&format!("{schema}, details: {e}")))
        }
        Err(e) => Err(RegistryError::invalid_schema(&format!(
            "{schema}, details: {e}"
        ))),
    }
}

fn is_recursive(schema: &str) -> bool {
    AvroSchema::parse(schema).is_err_and(|e| e.to_string().starts_with("Recursive"))
}

impl Store {
    /// Registers `schema` under `subject`; an identical schema already there keeps its
    /// version. Fails with 409 when the compatibility level forbids it.
    pub fn register(
        &mut self,
        subject: &str,
        schema_type: &str,
        schema: &str,
    ) -> Result<SubjectVersion, RegistryError> {
        let canon = canonical(schema_type, schema)?;
        if let Some(existing) = self.find_in_subject(subject, schema_type, &canon) {
            return Ok(existing);
        }
        let problems = self.check(subject, schema_type, schema, None)?;
        if !problems.is_empty() {
            return Err(RegistryError::new(
                409,
                409,
                format!(
                    "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
                    problems.join(", ")
                ),
            ));
        }
        let key = (schema_type.to_string(), canon.clone());
        let id = match self.ids.get(&key) {
            Some(id) => *id,
            None => {
                let id = self.schemas.len() as i32 + 1;
                self.schemas.push(StoredSchema {
                    id,
                    schema_type: schema_type.to_string(),
                    schema: schema.to_string(),
                    canonical: canon,
                });
                self.ids.insert(key, id);
                id
            }
        };
        let versions = self.subjects.entry(subject.to_string()).or_default();
        let version = versions.last().map_or(1, |v| v.version + 1);
        let sv = SubjectVersion { version, id };
        versions.push(sv);
        Ok(sv)
    }

    fn find_in_subject(
        &self,
        subject: &str,
        schema_type: &str,
        canon: &str,
    ) -> Option<SubjectVersion> {
        let id = *self
            .ids
            .get(&(schema_type.to_string(), canon.to_string()))?;
        self.subjects
            .get(subject)?
            .iter()
            .find(|v| v.id == id)
            .copied()
    }

    /// `POST /subjects/{subject}`: the version of a schema in a subject.
    pub fn lookup(
        &self,
        subject: &str,
        schema_type: &str,
        schema: &str,
    ) -> Result<SubjectVersion, RegistryError> {
        if !self.subjects.contains_key(subject) {
            return Err(RegistryError::subject_not_found(subject));
        }
        let canon = canonical(schema_type, schema)?;
        self.find_in_subject(subject, schema_type, &canon)
            .ok_or_else(|| RegistryError::schema_not_found(""))
    }

    /// A schema by id.
    pub fn schema(&self, id: i32) -> Result<&StoredSchema, RegistryError> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.schemas.get(i))
            .ok_or_else(|| RegistryError::schema_not_found(&format!("{id} ")))
    }

    /// Every subject.
    pub fn subjects(&self) -> Vec<String> {
        self.subjects.keys().cloned().collect()
    }

    /// The versions of a subject.
    pub fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        self.subjects
            .get(subject)
            .map(|v| v.iter().map(|v| v.version).collect())
            .ok_or_else(|| RegistryError::subject_not_found(subject))
    }

    /// One version (`latest` or a number).
    pub fn version(&self, subject: &str, version: &str) -> Result<SubjectVersion, RegistryError> {
        let versions = self
            .subjects
            .get(subject)
            .ok_or_else(|| RegistryError::subject_not_found(subject))?;
        let found = if version == "latest" || version == "-1" {
            versions.last()
        } else {
            let n: i32 = version
                .parse()
                .map_err(|_| RegistryError::new(422, 42202, format!("The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"")))?;
            versions.iter().find(|v| v.version == n)
        };
        found
            .copied()
            .ok_or_else(|| RegistryError::version_not_found(version))
    }

    /// The compatibility level of a subject (its own, else the global one).
    pub fn compatibility(&self, subject: Option<&str>) -> String {
        subject
            .and_then(|s| self.subject_compatibility.get(s))
            .unwrap_or(&self.global_compatibility)
            .clone()
    }

    /// The subject's own level, if set.
    pub fn subject_compatibility(&self, subject: &str) -> Option<String> {
        self.subject_compatibility.get(subject).cloned()
    }

    /// Sets the global (`None`) or a subject's level.
    pub fn set_compatibility(
        &mut self,
        subject: Option<&str>,
        level: &str,
    ) -> Result<(), RegistryError> {
        let level = level.to_ascii_uppercase();
        if !LEVELS.contains(&level.as_str()) {
            return Err(RegistryError::new(
                422,
                42203,
                format!(
                    "Invalid compatibility level. Valid values are {}",
                    LEVELS.join(", ")
                ),
            ));
        }
        match subject {
            Some(s) => {
                self.subject_compatibility.insert(s.to_string(), level);
            }
            None => self.global_compatibility = level,
        }
        Ok(())
    }

    /// The incompatibilities of `schema` with the subject's versions under its level (or with
    /// one version when `against` is given).
    pub fn check(
        &self,
        subject: &str,
        schema_type: &str,
        schema: &str,
        against: Option<&str>,
    ) -> Result<Vec<String>, RegistryError> {
        let level = self.compatibility(Some(subject));
        if schema_type != "AVRO" || level == "NONE" || is_recursive(schema) {
            return Ok(Vec::new());
        }
        let Some(versions) = self.subjects.get(subject) else {
            return match against {
                Some(_) => Err(RegistryError::subject_not_found(subject)),
                None => Ok(Vec::new()),
            };
        };
        let new = AvroSchema::parse(schema)
            .map_err(|e| RegistryError::invalid_schema(&format!("{schema}, details: {e}")))?;
        let olds: Vec<SubjectVersion> = match against {
            Some(v) => vec![self.version(subject, v)?],
            None if level.ends_with("_TRANSITIVE") => versions.clone(),
            None => versions.last().copied().into_iter().collect(),
        };
        let mut problems = Vec::new();
        for old in olds {
            let old_schema = self.schema(old.id)?;
            if is_recursive(&old_schema.schema) {
                continue;
            }
            let old = AvroSchema::parse(&old_schema.schema)
                .map_err(|e| RegistryError::invalid_schema(&e.to_string()))?;
            if level.starts_with("BACKWARD") || level.starts_with("FULL") {
                problems.extend(incompatibilities(&new, &old));
            }
            if level.starts_with("FORWARD") || level.starts_with("FULL") {
                problems.extend(incompatibilities(&old, &new));
            }
        }
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{"type":"record","name":"P","fields":[{"name":"a","type":"int"}]}"#;
    const V2: &str = r#"{"type":"record","name":"P","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}"#;
    const BAD: &str = r#"{"type":"record","name":"P","fields":[{"name":"a","type":"string"}]}"#;

    #[test]
    fn ids_are_shared_and_versions_count_per_subject() {
        let mut s = Store::default();
        let a = s.register("t-value", "AVRO", V1).unwrap();
        assert_eq!(a, SubjectVersion { version: 1, id: 1 });
        // The same schema, written differently, in another subject: same id, version 1.
        let spaced = V1.replace(':', " : ");
        assert_eq!(
            s.register("u-value", "AVRO", &spaced).unwrap(),
            SubjectVersion { version: 1, id: 1 }
        );
        // Registering again changes nothing.
        assert_eq!(s.register("t-value", "AVRO", V1).unwrap(), a);
        assert_eq!(
            s.register("t-value", "AVRO", V2).unwrap(),
            SubjectVersion { version: 2, id: 2 }
        );
        assert_eq!(s.version("t-value", "latest").unwrap().id, 2);
        assert_eq!(s.lookup("t-value", "AVRO", V1).unwrap().version, 1);
        assert_eq!(s.lookup("x", "AVRO", V1).unwrap_err().code, 40401);
        assert_eq!(s.lookup("u-value", "AVRO", V2).unwrap_err().code, 40403);
        assert_eq!(s.version("t-value", "9").unwrap_err().code, 40402);
        assert_eq!(s.schema(7).unwrap_err().code, 40403);
    }

    #[test]
    fn incompatible_schemas_are_409_unless_the_level_is_none() {
        let mut s = Store::default();
        s.register("t-value", "AVRO", V1).unwrap();
        let e = s.register("t-value", "AVRO", BAD).unwrap_err();
        assert_eq!((e.status, e.code), (409, 409));
        assert!(e
            .message
            .starts_with("Schema being registered is incompatible"));
        s.set_compatibility(Some("t-value"), "none").unwrap();
        assert!(s.register("t-value", "AVRO", BAD).is_ok());
        assert_eq!(s.compatibility(None), "BACKWARD");
        assert!(s.set_compatibility(None, "SIDEWAYS").is_err());
    }
}
