//! The in-memory document store and its Elasticsearch semantics: indices with mappings,
//! documents with versions, and the execution of one bulk item.
//!
//! Everything here is synchronous and free of I/O so that the HTTP layer can hold the store's
//! lock for the shortest time and the semantics can be unit tested directly.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// One stored document.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDoc {
    /// The `_source`, compact JSON.
    pub source: Value,
    /// `_version`: internal (counting from 1) or the last external version written.
    pub version: i64,
    /// `_seq_no` of the last write.
    pub seq_no: u64,
}

/// One index (or data stream backing index: data streams are modelled as an index flagged
/// `data_stream`, which only accepts `create` actions).
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// `settings` as given at creation.
    pub settings: Value,
    /// The `mappings` object (`{"properties":{…}}`, maybe `"dynamic":"strict"`).
    pub mappings: Map<String, Value>,
    /// Documents by id.
    pub docs: BTreeMap<String, StoredDoc>,
    /// True for a data stream.
    pub data_stream: bool,
}

/// An Elasticsearch error: HTTP status, `type` and `reason`.
#[derive(Debug, Clone, PartialEq)]
pub struct EsError {
    /// HTTP status of the error.
    pub status: u16,
    /// The exception type, e.g. `mapper_parsing_exception`.
    pub kind: String,
    /// The human-readable reason.
    pub reason: String,
}

impl EsError {
    /// A new error.
    pub fn new(status: u16, kind: &str, reason: impl Into<String>) -> Self {
        EsError {
            status,
            kind: kind.to_string(),
            reason: reason.into(),
        }
    }

    /// The `error` object (`{"type":…,"reason":…}`) as found in bulk items.
    pub fn item_json(&self, index: &str) -> Value {
        json!({"type": self.kind, "reason": self.reason, "index": index})
    }

    /// The full error body of a failed request.
    pub fn body(&self) -> Value {
        json!({
            "error": {
                "root_cause": [{"type": self.kind, "reason": self.reason}],
                "type": self.kind,
                "reason": self.reason,
            },
            "status": self.status,
        })
    }
}

/// A bulk operation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpType {
    /// `index`.
    Index,
    /// `create`.
    Create,
    /// `update`.
    Update,
    /// `delete`.
    Delete,
}

impl OpType {
    /// Parses the action name.
    pub fn parse(name: &str) -> Option<OpType> {
        Some(match name {
            "index" => OpType::Index,
            "create" => OpType::Create,
            "update" => OpType::Update,
            "delete" => OpType::Delete,
            _ => return None,
        })
    }
    /// The action name.
    pub fn name(self) -> &'static str {
        match self {
            OpType::Index => "index",
            OpType::Create => "create",
            OpType::Update => "update",
            OpType::Delete => "delete",
        }
    }
    /// True when a source line follows the metadata line.
    pub fn has_source(self) -> bool {
        !matches!(self, OpType::Delete)
    }
}

/// One parsed bulk item.
#[derive(Debug, Clone)]
pub struct BulkItem {
    /// The operation.
    pub op: OpType,
    /// `_index`.
    pub index: String,
    /// `_id`, when given.
    pub id: Option<String>,
    /// `version` with `version_type=external` (or `external_gte`).
    pub external_version: Option<i64>,
    /// The source line (doc for index/create, `{"doc":…}` for update).
    pub source: Option<Value>,
}

/// The outcome of one bulk item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemOutcome {
    /// HTTP status of the item.
    pub status: u16,
    /// `result` (`created`, `updated`, `deleted`, `not_found`, `noop`) on success.
    pub result: Option<&'static str>,
    /// The error, on failure.
    pub error: Option<EsError>,
    /// The document id (generated when none was given).
    pub id: String,
    /// `_version` after the operation.
    pub version: i64,
}

impl ItemOutcome {
    fn ok(status: u16, result: &'static str, id: String, version: i64) -> Self {
        ItemOutcome {
            status,
            result: Some(result),
            error: None,
            id,
            version,
        }
    }
    fn err(error: EsError, id: String) -> Self {
        ItemOutcome {
            status: error.status,
            result: None,
            error: Some(error),
            id,
            version: -1,
        }
    }
}

/// Every index of the server.
#[derive(Debug, Default)]
pub struct Store {
    /// Indices by name.
    pub indices: BTreeMap<String, Index>,
    seq_no: u64,
    auto_id: u64,
    /// Number of version conflicts answered so far.
    pub version_conflicts: u64,
}

/// Checks an index name as Elasticsearch does (lower case, no forbidden characters).
pub fn check_index_name(name: &str) -> Result<(), EsError> {
    let bad = |why: &str| {
        Err(EsError::new(
            400,
            "invalid_index_name_exception",
            format!("Invalid index name [{name}], {why}"),
        ))
    };
    if name.is_empty() {
        return bad("must not be empty");
    }
    if name.chars().any(|c| c.is_uppercase()) {
        return bad("must be lowercase");
    }
    if name.starts_with(['-', '_', '+']) {
        return bad("must not start with '_', '-', or '+'");
    }
    if name == "." || name == ".." {
        return bad("must not be '.' or '..'");
    }
    if name.len() > 255 {
        return bad("index name is too long");
    }
    if name.chars().any(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
        )
    }) {
        return bad("must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]");
    }
    Ok(())
}

fn index_not_found(name: &str) -> EsError {
    EsError::new(
        404,
        "index_not_found_exception",
        format!("no such index [{name}]"),
    )
}

impl Store {
    /// `PUT /{index}`.
    pub fn create_index(&mut self, name: &str, body: &Value) -> Result<(), EsError> {
        check_index_name(name)?;
        if self.indices.contains_key(name) {
            return Err(EsError::new(
                400,
                "resource_already_exists_exception",
                format!("index [{name}/sluice] already exists"),
            ));
        }
        let mappings = body
            .get("mappings")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let settings = body.get("settings").cloned().unwrap_or_else(|| json!({}));
        self.indices.insert(
            name.to_string(),
            Index {
                settings,
                mappings,
                ..Index::default()
            },
        );
        Ok(())
    }

    /// `PUT /_data_stream/{name}`.
    pub fn create_data_stream(&mut self, name: &str) -> Result<(), EsError> {
        check_index_name(name)?;
        if self.indices.contains_key(name) {
            return Err(EsError::new(
                400,
                "resource_already_exists_exception",
                format!("data_stream [{name}] already exists"),
            ));
        }
        let mut mappings = Map::new();
        mappings.insert("properties".into(), json!({"@timestamp": {"type": "date"}}));
        self.indices.insert(
            name.to_string(),
            Index {
                settings: json!({}),
                mappings,
                data_stream: true,
                ..Index::default()
            },
        );
        Ok(())
    }

    /// `DELETE /{index}`.
    pub fn delete_index(&mut self, name: &str) -> Result<(), EsError> {
        self.indices
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| index_not_found(name))
    }

    /// One index, or `index_not_found_exception`.
    pub fn index(&self, name: &str) -> Result<&Index, EsError> {
        self.indices.get(name).ok_or_else(|| index_not_found(name))
    }

    /// `PUT /{index}/_mapping`: merges `properties` (and `dynamic`).
    pub fn put_mapping(&mut self, name: &str, body: &Value) -> Result<(), EsError> {
        let index = self
            .indices
            .get_mut(name)
            .ok_or_else(|| index_not_found(name))?;
        let Some(obj) = body.as_object() else {
            return Err(EsError::new(
                400,
                "mapper_parsing_exception",
                "Failed to parse mapping: the mapping must be an object",
            ));
        };
        for (k, v) in obj {
            if k == "properties" {
                let Some(props) = v.as_object() else {
                    return Err(EsError::new(
                        400,
                        "mapper_parsing_exception",
                        "Failed to parse mapping: [properties] must be an object",
                    ));
                };
                check_properties(props)?;
                let target = index
                    .mappings
                    .entry("properties")
                    .or_insert_with(|| json!({}));
                if let Some(target) = target.as_object_mut() {
                    for (field, m) in props {
                        target.insert(field.clone(), m.clone());
                    }
                }
            } else {
                index.mappings.insert(k.clone(), v.clone());
            }
        }
        Ok(())
    }

    /// Executes one bulk item, creating the index on first write as Elasticsearch does with
    /// `action.auto_create_index=true`.
    pub fn execute(&mut self, item: BulkItem) -> ItemOutcome {
        let BulkItem {
            op,
            index: index_name,
            id,
            external_version,
            source,
        } = item;
        if let Err(e) = check_index_name(&index_name) {
            return ItemOutcome::err(e, id.unwrap_or_default());
        }
        let id = match id {
            Some(id) if !id.is_empty() => id,
            Some(_) => {
                return ItemOutcome::err(
                    EsError::new(
                        400,
                        "action_request_validation_exception",
                        "Validation Failed: 1: an id must be provided if version type or value are set;",
                    ),
                    String::new(),
                )
            }
            None if op == OpType::Index || op == OpType::Create => {
                self.auto_id += 1;
                format!("auto-{:012}", self.auto_id)
            }
            None => {
                return ItemOutcome::err(
                    EsError::new(
                        400,
                        "action_request_validation_exception",
                        "Validation Failed: 1: id is missing;",
                    ),
                    String::new(),
                )
            }
        };
        let index = self.indices.entry(index_name.clone()).or_default();
        if index.data_stream && op != OpType::Create {
            return ItemOutcome::err(
                EsError::new(
                    400,
                    "illegal_argument_exception",
                    format!(
                        "only write ops with an op_type of create are allowed in data streams (index [{index_name}])"
                    ),
                ),
                id,
            );
        }
        self.seq_no += 1;
        let seq_no = self.seq_no;
        let outcome = match op {
            OpType::Index | OpType::Create => {
                index_or_create(index, op, id, external_version, source, seq_no)
            }
            OpType::Update => update(index, id, source, seq_no),
            OpType::Delete => delete(index, id, external_version),
        };
        if outcome
            .error
            .as_ref()
            .is_some_and(|e| e.kind == "version_conflict_engine_exception")
        {
            self.version_conflicts += 1;
        }
        outcome
    }
}

fn conflict(id: &str, current: i64, provided: i64) -> EsError {
    EsError::new(
        409,
        "version_conflict_engine_exception",
        format!(
            "[{id}]: version conflict, current version [{current}] is higher or equal to the one provided [{provided}]"
        ),
    )
}

fn index_or_create(
    index: &mut Index,
    op: OpType,
    id: String,
    external_version: Option<i64>,
    source: Option<Value>,
    seq_no: u64,
) -> ItemOutcome {
    let Some(source) = source else {
        return ItemOutcome::err(
            EsError::new(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: source is missing;",
            ),
            id,
        );
    };
    let existing = index.docs.get(&id).map(|d| d.version);
    if op == OpType::Create {
        if let Some(current) = existing {
            return ItemOutcome::err(
                EsError::new(
                    409,
                    "version_conflict_engine_exception",
                    format!(
                        "[{id}]: version conflict, document already exists (current version [{current}])"
                    ),
                ),
                id,
            );
        }
    }
    let version = match (existing, external_version) {
        (Some(current), Some(v)) if current >= v => {
            return ItemOutcome::err(conflict(&id, current, v), id)
        }
        (_, Some(v)) => v,
        (Some(current), None) => current + 1,
        (None, None) => 1,
    };
    if let Err(e) = check_document(index, &id, &source) {
        return ItemOutcome::err(e, id);
    }
    add_dynamic_mappings(&mut index.mappings, &source);
    index.docs.insert(
        id.clone(),
        StoredDoc {
            source,
            version,
            seq_no,
        },
    );
    if existing.is_some() {
        ItemOutcome::ok(200, "updated", id, version)
    } else {
        ItemOutcome::ok(201, "created", id, version)
    }
}

fn update(index: &mut Index, id: String, body: Option<Value>, seq_no: u64) -> ItemOutcome {
    let Some(body) = body else {
        return ItemOutcome::err(
            EsError::new(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: script or doc is missing;",
            ),
            id,
        );
    };
    let doc = body.get("doc").cloned();
    let doc_as_upsert = body
        .get("doc_as_upsert")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let upsert = body
        .get("upsert")
        .cloned()
        .or_else(|| doc.clone().filter(|_| doc_as_upsert));
    match index.docs.get(&id).cloned() {
        Some(existing) => {
            let Some(doc) = doc else {
                return ItemOutcome::err(
                    EsError::new(
                        400,
                        "action_request_validation_exception",
                        "Validation Failed: 1: script or doc is missing;",
                    ),
                    id,
                );
            };
            let mut merged = existing.source.clone();
            merge(&mut merged, &doc);
            if merged == existing.source {
                return ItemOutcome::ok(200, "noop", id, existing.version);
            }
            if let Err(e) = check_document(index, &id, &merged) {
                return ItemOutcome::err(e, id);
            }
            add_dynamic_mappings(&mut index.mappings, &merged);
            let version = existing.version + 1;
            index.docs.insert(
                id.clone(),
                StoredDoc {
                    source: merged,
                    version,
                    seq_no,
                },
            );
            ItemOutcome::ok(200, "updated", id, version)
        }
        None => match upsert {
            Some(upsert) => {
                if let Err(e) = check_document(index, &id, &upsert) {
                    return ItemOutcome::err(e, id);
                }
                add_dynamic_mappings(&mut index.mappings, &upsert);
                index.docs.insert(
                    id.clone(),
                    StoredDoc {
                        source: upsert,
                        version: 1,
                        seq_no,
                    },
                );
                ItemOutcome::ok(201, "created", id, 1)
            }
            None => ItemOutcome::err(
                EsError::new(
                    404,
                    "document_missing_exception",
                    format!("[{id}]: document missing"),
                ),
                id,
            ),
        },
    }
}

fn delete(index: &mut Index, id: String, external_version: Option<i64>) -> ItemOutcome {
    match (index.docs.get(&id).map(|d| d.version), external_version) {
        (Some(current), Some(v)) if current >= v => ItemOutcome::err(conflict(&id, current, v), id),
        (Some(current), v) => {
            index.docs.remove(&id);
            ItemOutcome::ok(200, "deleted", id, v.unwrap_or(current + 1))
        }
        (None, v) => ItemOutcome::ok(404, "not_found", id, v.unwrap_or(1)),
    }
}

/// Deep-merges `patch` into `target` (objects merge, everything else replaces).
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

const FIELD_TYPES: &[&str] = &[
    "text",
    "keyword",
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "boolean",
    "date",
    "binary",
    "object",
    "nested",
    "geo_point",
    "ip",
];

fn check_properties(props: &Map<String, Value>) -> Result<(), EsError> {
    for (field, m) in props {
        let ty = m.get("type").and_then(Value::as_str);
        if let Some(ty) = ty {
            if !FIELD_TYPES.contains(&ty) {
                return Err(EsError::new(
                    400,
                    "mapper_parsing_exception",
                    format!("No handler for type [{ty}] declared on field [{field}]"),
                ));
            }
        }
        if let Some(inner) = m.get("properties").and_then(Value::as_object) {
            check_properties(inner)?;
        }
    }
    Ok(())
}

/// Checks a document against the index mapping: a value that cannot be parsed as its mapped
/// type is a `mapper_parsing_exception`, an unmapped field under `"dynamic":"strict"` a
/// `strict_dynamic_mapping_exception`, a non-object source a `mapper_parsing_exception`.
pub fn check_document(index: &Index, id: &str, source: &Value) -> Result<(), EsError> {
    let Some(obj) = source.as_object() else {
        return Err(EsError::new(
            400,
            "mapper_parsing_exception",
            format!("failed to parse, document is empty or not an object (id '{id}')"),
        ));
    };
    let strict = index.mappings.get("dynamic").and_then(Value::as_str) == Some("strict");
    let props = index.mappings.get("properties").and_then(Value::as_object);
    check_object(props, strict, "", id, obj)
}

fn check_object(
    props: Option<&Map<String, Value>>,
    strict: bool,
    prefix: &str,
    id: &str,
    obj: &Map<String, Value>,
) -> Result<(), EsError> {
    for (field, value) in obj {
        let path = if prefix.is_empty() {
            field.clone()
        } else {
            format!("{prefix}.{field}")
        };
        let Some(mapping) = props.and_then(|p| p.get(field)) else {
            if strict {
                return Err(EsError::new(
                    400,
                    "strict_dynamic_mapping_exception",
                    format!(
                        "[1:2] mapping set to strict, dynamic introduction of [{field}] within [_doc] is not allowed"
                    ),
                ));
            }
            continue;
        };
        let values: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            v => vec![v],
        };
        for v in values {
            check_value(mapping, &path, id, v, strict)?;
        }
    }
    Ok(())
}

fn check_value(
    mapping: &Value,
    path: &str,
    id: &str,
    value: &Value,
    strict: bool,
) -> Result<(), EsError> {
    if value.is_null() {
        return Ok(());
    }
    if let Some(inner) = mapping.get("properties").and_then(Value::as_object) {
        return match value {
            Value::Object(o) => check_object(Some(inner), strict, path, id, o),
            _ => Err(EsError::new(
                400,
                "mapper_parsing_exception",
                format!(
                    "object mapping for [{path}] tried to parse field [{path}] as object, but found a concrete value"
                ),
            )),
        };
    }
    let ty = mapping
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object");
    let ok = match ty {
        "long" | "integer" | "short" | "byte" => match value {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            Value::String(s) => s.trim().parse::<f64>().is_ok(),
            _ => false,
        },
        "double" | "float" | "half_float" | "scaled_float" => match value {
            Value::Number(_) => true,
            Value::String(s) => s.trim().parse::<f64>().is_ok(),
            _ => false,
        },
        "boolean" => match value {
            Value::Bool(_) => true,
            Value::String(s) => s == "true" || s == "false" || s.is_empty(),
            _ => false,
        },
        "date" => matches!(value, Value::Number(_) | Value::String(_)),
        "geo_point" => matches!(value, Value::Object(_) | Value::String(_) | Value::Array(_)),
        "object" | "nested" => value.is_object(),
        _ => !value.is_object(),
    };
    if ok {
        Ok(())
    } else {
        let preview = match value {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        Err(EsError::new(
            400,
            "mapper_parsing_exception",
            format!(
                "failed to parse field [{path}] of type [{ty}] in document with id '{id}'. Preview of field's value: '{preview}'"
            ),
        ))
    }
}

/// Adds dynamic mappings for fields the mapping does not have yet, as Elasticsearch's default
/// dynamic mapping does (integers → long, floats → float, strings → text with a keyword
/// sub-field, booleans → boolean, objects → object).
fn add_dynamic_mappings(mappings: &mut Map<String, Value>, source: &Value) {
    if mappings.get("dynamic").and_then(Value::as_str) == Some("strict") {
        return;
    }
    let Some(obj) = source.as_object() else {
        return;
    };
    let props = mappings.entry("properties").or_insert_with(|| json!({}));
    if let Some(props) = props.as_object_mut() {
        add_dynamic_properties(props, obj);
    }
}

fn add_dynamic_properties(props: &mut Map<String, Value>, obj: &Map<String, Value>) {
    for (field, value) in obj {
        let value = match value {
            Value::Array(items) => match items.iter().find(|v| !v.is_null()) {
                Some(v) => v,
                None => continue,
            },
            v => v,
        };
        if let Value::Object(inner) = value {
            let entry = props
                .entry(field.clone())
                .or_insert_with(|| json!({"properties": {}}));
            if let Some(inner_props) = entry
                .as_object_mut()
                .and_then(|e| e.get_mut("properties"))
                .and_then(Value::as_object_mut)
            {
                add_dynamic_properties(inner_props, inner);
            }
            continue;
        }
        if props.contains_key(field) {
            continue;
        }
        let mapping = match value {
            Value::Null => continue,
            Value::Bool(_) => json!({"type": "boolean"}),
            Value::Number(n) if n.is_f64() => json!({"type": "float"}),
            Value::Number(_) => json!({"type": "long"}),
            Value::String(_) => {
                json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}})
            }
            Value::Array(_) | Value::Object(_) => continue,
        };
        props.insert(field.clone(), mapping);
    }
}

/// Parses one bulk metadata line into an item (without its source).
pub fn parse_action(line: &Value, default_index: Option<&str>) -> Result<BulkItem, EsError> {
    let malformed = |why: &str| {
        EsError::new(
            400,
            "illegal_argument_exception",
            format!("Malformed action/metadata line: {why}"),
        )
    };
    let obj = line
        .as_object()
        .ok_or_else(|| malformed("expected an object"))?;
    let (name, meta) = obj
        .iter()
        .next()
        .ok_or_else(|| malformed("expected an action"))?;
    let op = OpType::parse(name).ok_or_else(|| {
        malformed(&format!(
            "action/metadata line contains an unknown parameter [{name}]"
        ))
    })?;
    let index = meta
        .get("_index")
        .and_then(Value::as_str)
        .or(default_index)
        .ok_or_else(|| {
            EsError::new(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: index is missing;",
            )
        })?
        .to_string();
    let id = match meta.get("_id") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let version_type = meta.get("version_type").and_then(Value::as_str);
    let external_version = match version_type {
        Some("external") | Some("external_gt") | Some("external_gte") => {
            match meta.get("version").and_then(Value::as_i64) {
                Some(v) => Some(v),
                None => return Err(EsError::new(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: illegal version value [-3] for version type [EXTERNAL];",
                )),
            }
        }
        _ => None,
    };
    Ok(BulkItem {
        op,
        index,
        id,
        external_version,
        source: None,
    })
}

/// Evaluates a `_search`/`_count` query against a document: `match_all`, `term` (on a field
/// or its `.keyword` sub-field), `ids`, `match` (exact value) and `bool.must/filter`.
pub fn matches(query: Option<&Value>, id: &str, source: &Value) -> bool {
    let Some(query) = query.and_then(Value::as_object) else {
        return true;
    };
    query.iter().all(|(kind, body)| match kind.as_str() {
        "match_all" => true,
        "ids" => body
            .get("values")
            .and_then(Value::as_array)
            .is_some_and(|vals| vals.iter().any(|v| v.as_str() == Some(id))),
        "term" | "match" => body.as_object().is_some_and(|o| {
            o.iter().all(|(field, expected)| {
                let expected = match expected {
                    Value::Object(e) => e
                        .get("value")
                        .or_else(|| e.get("query"))
                        .cloned()
                        .unwrap_or(Value::Null),
                    v => v.clone(),
                };
                let field = field.strip_suffix(".keyword").unwrap_or(field);
                lookup(source, field).is_some_and(|actual| loosely_equal(actual, &expected))
            })
        }),
        "bool" => ["must", "filter"]
            .iter()
            .all(|clause| match body.get(*clause) {
                Some(Value::Array(qs)) => qs.iter().all(|q| matches(Some(q), id, source)),
                Some(q) => matches(Some(q), id, source),
                None => true,
            }),
        _ => false,
    })
}

fn lookup<'a>(source: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = source.get(path) {
        return Some(v);
    }
    let mut cur = source;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn loosely_equal(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Array(items), e) => items.iter().any(|a| loosely_equal(a, e)),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::String(a), Value::Number(b)) | (Value::Number(b), Value::String(a)) => {
            a.parse::<f64>().ok() == b.as_f64()
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(op: OpType, id: &str, version: Option<i64>, source: Option<Value>) -> BulkItem {
        BulkItem {
            op,
            index: "idx".into(),
            id: Some(id.into()),
            external_version: version,
            source,
        }
    }

    #[test]
    fn external_versioning_rejects_stale_and_equal_versions() {
        let mut s = Store::default();
        let o = s.execute(item(OpType::Index, "1", Some(5), Some(json!({"a":1}))));
        assert_eq!((o.status, o.result), (201, Some("created")));
        let o = s.execute(item(OpType::Index, "1", Some(5), Some(json!({"a":2}))));
        assert_eq!(o.status, 409);
        assert_eq!(
            o.error.map(|e| e.kind),
            Some("version_conflict_engine_exception".to_string())
        );
        let o = s.execute(item(OpType::Index, "1", Some(6), Some(json!({"a":3}))));
        assert_eq!((o.status, o.version), (200, 6));
        assert_eq!(s.version_conflicts, 1);
        assert_eq!(s.indices["idx"].docs["1"].source, json!({"a":3}));
    }

    #[test]
    fn update_upserts_then_merges() {
        let mut s = Store::default();
        let body = json!({"doc":{"a":1,"b":{"c":1}},"upsert":{"a":1,"b":{"c":1}}});
        assert_eq!(
            s.execute(item(OpType::Update, "k", None, Some(body)))
                .status,
            201
        );
        let body = json!({"doc":{"b":{"d":2}},"upsert":{"b":{"d":2}}});
        let o = s.execute(item(OpType::Update, "k", None, Some(body)));
        assert_eq!((o.status, o.version), (200, 2));
        assert_eq!(
            s.indices["idx"].docs["k"].source,
            json!({"a":1,"b":{"c":1,"d":2}})
        );
    }

    #[test]
    fn delete_missing_is_not_found_without_error() {
        let mut s = Store::default();
        let o = s.execute(item(OpType::Delete, "x", Some(3), None));
        assert_eq!(
            (o.status, o.result, o.error),
            (404, Some("not_found"), None)
        );
    }

    #[test]
    fn mapping_type_mismatch_is_mapper_parsing_exception() {
        let mut s = Store::default();
        s.create_index(
            "idx",
            &json!({"mappings":{"properties":{"n":{"type":"long"}}}}),
        )
        .unwrap();
        let o = s.execute(item(OpType::Index, "1", None, Some(json!({"n":"abc"}))));
        assert_eq!(o.status, 400);
        assert_eq!(o.error.unwrap().kind, "mapper_parsing_exception");
        let o = s.execute(item(OpType::Index, "2", None, Some(json!("scalar"))));
        assert_eq!(o.error.unwrap().kind, "mapper_parsing_exception");
        assert_eq!(s.indices["idx"].docs.len(), 0);
    }

    #[test]
    fn strict_mapping_rejects_unknown_fields() {
        let mut s = Store::default();
        s.create_index(
            "idx",
            &json!({"mappings":{"dynamic":"strict","properties":{"a":{"type":"long"}}}}),
        )
        .unwrap();
        let o = s.execute(item(OpType::Index, "1", None, Some(json!({"b":1}))));
        assert_eq!(o.error.unwrap().kind, "strict_dynamic_mapping_exception");
    }

    #[test]
    fn dynamic_mapping_is_added() {
        let mut s = Store::default();
        s.execute(item(
            OpType::Index,
            "1",
            None,
            Some(json!({"lat":1.5,"n":2,"s":"x","o":{"b":true}})),
        ));
        let props = &s.indices["idx"].mappings["properties"];
        assert_eq!(props["lat"]["type"], "float");
        assert_eq!(props["n"]["type"], "long");
        assert_eq!(props["s"]["type"], "text");
        assert_eq!(props["o"]["properties"]["b"]["type"], "boolean");
    }

    #[test]
    fn duplicate_index_and_bad_names_are_rejected() {
        let mut s = Store::default();
        s.create_index("a", &json!({})).unwrap();
        assert_eq!(
            s.create_index("a", &json!({})).unwrap_err().kind,
            "resource_already_exists_exception"
        );
        assert_eq!(
            s.create_index("Upper", &json!({})).unwrap_err().kind,
            "invalid_index_name_exception"
        );
    }

    #[test]
    fn data_streams_accept_only_create() {
        let mut s = Store::default();
        s.create_data_stream("logs-a-b").unwrap();
        let mut it = item(OpType::Index, "1", None, Some(json!({"@timestamp": 1})));
        it.index = "logs-a-b".into();
        assert_eq!(s.execute(it.clone()).status, 400);
        it.op = OpType::Create;
        assert_eq!(s.execute(it).status, 201);
    }

    #[test]
    fn queries() {
        let doc = json!({"name":"Bob","n":3,"o":{"x":"y"}});
        assert!(matches(Some(&json!({"match_all":{}})), "1", &doc));
        assert!(matches(
            Some(&json!({"term":{"name.keyword":"Bob"}})),
            "1",
            &doc
        ));
        assert!(matches(Some(&json!({"term":{"n":{"value":3}}})), "1", &doc));
        assert!(matches(Some(&json!({"term":{"o.x":"y"}})), "1", &doc));
        assert!(!matches(Some(&json!({"term":{"n":4}})), "1", &doc));
        assert!(matches(Some(&json!({"ids":{"values":["1"]}})), "1", &doc));
        assert!(!matches(Some(&json!({"ids":{"values":["2"]}})), "1", &doc));
    }
}
