//! `SingleFieldPath` (KIP-821): a field reference in the `V1` syntax (one top-level name) or the
//! `V2` syntax (a dotted path into nested structs and maps, backticks quoting dots).

use sluice_api::{
    ConfigError, ConfigKey, ConfigType, ConnectError, ConnectResult, Field, Importance, Schema,
    Struct, Type, Validator, Value,
};

use crate::util::{field_value, map_get};

/// `field.syntax.version`.
pub const FIELD_SYNTAX_VERSION: &str = "field.syntax.version";

/// The `field.syntax.version` key definition.
pub fn field_syntax_version_key() -> ConfigKey {
    ConfigKey::new(
        FIELD_SYNTAX_VERSION,
        ConfigType::String,
        Importance::High,
        "Defines the version of the syntax to access fields. If set to `V1`, then the field paths \
         are limited to access the elements at the root level of the struct or map. If set to \
         `V2`, the syntax will support accessing nested elements. To access nested elements, \
         dotted notation is used. If dots are already included in the field name, then backtick \
         pairs can be used to wrap field names containing dots. E.g. to access the subfield `baz` \
         from a field named \"foo.bar\" in a struct/map the following format can be used to \
         access its elements: \"`foo.bar`.baz\".",
    )
    .default("V1")
    .validator(Validator::one_of_ignore_case(&["V1", "V2"]))
}

/// The field path syntax version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSyntaxVersion {
    /// One top-level field name; dots and backticks are literal.
    V1,
    /// Dotted paths into nested structs and maps.
    V2,
}

impl FieldSyntaxVersion {
    /// Parses the (case-insensitive) config value.
    pub fn parse(value: &str) -> Result<FieldSyntaxVersion, ConfigError> {
        match value.to_ascii_uppercase().as_str() {
            "V1" => Ok(FieldSyntaxVersion::V1),
            "V2" => Ok(FieldSyntaxVersion::V2),
            _ => Err(ConfigError::invalid(
                FIELD_SYNTAX_VERSION,
                value,
                "Unrecognized field syntax version",
            )),
        }
    }
}

/// A parsed path: one or more steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleFieldPath {
    steps: Vec<String>,
}

fn incomplete_backtick(path: &str, at: usize) -> ConfigError {
    ConfigError::general(format!(
        "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick \
         at position {at} to escape it"
    ))
}

fn parse_v2(path: &str) -> Result<Vec<String>, ConfigError> {
    let chars: Vec<char> = path.chars().collect();
    let find = |from: usize, c: char| {
        chars[from.min(chars.len())..]
            .iter()
            .position(|&x| x == c)
            .map(|p| p + from)
    };
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < chars.len() {
        if chars[idx] != '`' {
            let start = idx;
            match find(idx, '.') {
                Some(dot) => {
                    steps.push(chars[start..dot].iter().collect());
                    idx = dot + 1;
                }
                None => {
                    steps.push(chars[start..].iter().collect());
                    idx = chars.len();
                }
            }
        } else {
            let backtick_at = idx;
            idx += 1;
            let mut field = String::new();
            let mut start = idx;
            loop {
                let Some(found) = find(idx, '`') else {
                    return Err(incomplete_backtick(path, backtick_at));
                };
                idx = found;
                let escaped = chars[idx - 1] == '\\';
                if idx + 1 >= chars.len() {
                    if escaped {
                        return Err(incomplete_backtick(path, backtick_at));
                    }
                    field.extend(&chars[start..idx]);
                    steps.push(field);
                    idx += 1;
                    break;
                }
                if chars[idx + 1] != '.' {
                    idx += 1;
                    continue;
                }
                if escaped {
                    field.extend(&chars[start..idx - 1]);
                    field.push('`');
                    idx += 1;
                    start = idx;
                    continue;
                }
                field.extend(&chars[start..idx]);
                steps.push(field);
                idx += 2;
                break;
            }
        }
    }
    if path.ends_with('.') {
        steps.push(String::new());
    }
    Ok(steps)
}

fn struct_field<'a>(schema: &'a Schema, name: &str) -> ConnectResult<Option<&'a Field>> {
    if schema.schema_type != Type::Struct {
        return Err(ConnectError::data(
            "Cannot look up fields on non-struct type".to_string(),
        ));
    }
    Ok(schema.field(name))
}

impl SingleFieldPath {
    /// Parses `path` in the given syntax.
    pub fn new(path: &str, version: FieldSyntaxVersion) -> Result<SingleFieldPath, ConfigError> {
        let steps = match version {
            FieldSyntaxVersion::V1 => return Ok(Self::top_level(path)),
            FieldSyntaxVersion::V2 => parse_v2(path)?,
        };
        Ok(SingleFieldPath { steps })
    }

    /// A `V1` path: one top-level field name.
    pub fn top_level(name: &str) -> SingleFieldPath {
        SingleFieldPath {
            steps: vec![name.to_string()],
        }
    }

    /// The steps of the path.
    pub fn steps(&self) -> &[String] {
        &self.steps
    }

    fn split(&self) -> (&[String], &str) {
        match self.steps.split_last() {
            Some((last, init)) => (init, last.as_str()),
            None => (&[], ""),
        }
    }

    /// `fieldFrom(schema)`: the field the path designates, if the schema has it.
    pub fn field_from<'a>(&self, schema: &'a Schema) -> ConnectResult<Option<&'a Field>> {
        let (init, last) = self.split();
        let mut current = schema;
        for step in init {
            match struct_field(current, step)? {
                Some(f) => current = &f.schema,
                None => return Ok(None),
            }
        }
        struct_field(current, last)
    }

    /// `valueFrom(struct, withDefault)`: null when an intermediate struct is null or a step is
    /// missing.
    pub fn value_from_struct(&self, value: &Struct, with_default: bool) -> ConnectResult<Value> {
        let (init, last) = self.split();
        let mut current = value;
        for step in init {
            let Some(field) = current.schema().field(step) else {
                return Ok(Value::Null);
            };
            match field_value_ref(current, field) {
                Value::Null => return Ok(Value::Null),
                Value::Struct(s) => current = s,
                other => {
                    return Err(ConnectError::data(format!(
                        "Only Struct objects supported for [nested field access], found: {}",
                        other.java_class()
                    )))
                }
            }
        }
        Ok(match current.schema().field(last) {
            Some(field) => field_value(current, field, with_default),
            None => Value::Null,
        })
    }

    /// `valueFrom(map)`: null when a key is missing or an intermediate value is null.
    pub fn value_from_map(&self, entries: &[(Value, Value)]) -> ConnectResult<Value> {
        let (init, last) = self.split();
        let mut current = entries;
        for step in init {
            match map_get(current, step) {
                None | Some(Value::Null) => return Ok(Value::Null),
                Some(Value::Map(m)) => current = m,
                Some(other) => {
                    return Err(ConnectError::data(format!(
                        "Only Map objects supported in absence of schema for [nested field access], found: {}",
                        other.java_class()
                    )))
                }
            }
        }
        Ok(map_get(current, last).cloned().unwrap_or(Value::Null))
    }
}

/// `Struct.get(field)` by reference (intermediate steps always apply the default).
fn field_value_ref<'a>(value: &'a Struct, field: &'a Field) -> &'a Value {
    let raw = value.get_index(field.index);
    if raw.is_null() {
        if let Some(d) = &field.schema.default {
            return d;
        }
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(path: &str) -> Vec<String> {
        SingleFieldPath::new(path, FieldSyntaxVersion::V2)
            .unwrap()
            .steps
    }

    #[test]
    fn v2_paths_follow_kip_821() {
        assert_eq!(v2("foo.bar"), ["foo", "bar"]);
        assert_eq!(v2("`foo.bar`.baz"), ["foo.bar", "baz"]);
        assert_eq!(v2("foo.."), ["foo", "", ""]);
        assert_eq!(v2("`foo\\`.bar`.baz"), ["foo`.bar", "baz"]);
        assert_eq!(v2("fo`o.bar"), ["fo`o", "bar"]);
        assert_eq!(v2("`a`b`.c"), ["a`b", "c"]);
        assert_eq!(
            SingleFieldPath::new("foo.bar", FieldSyntaxVersion::V1)
                .unwrap()
                .steps,
            ["foo.bar"]
        );
    }

    fn v2_raw(path: &str) -> Vec<String> {
        match SingleFieldPath::new(path, FieldSyntaxVersion::V2) {
            Ok(p) => p.steps,
            Err(e) => vec![e.message],
        }
    }

    #[test]
    fn unclosed_backtick_is_javas_error() {
        assert_eq!(
            v2_raw("foo.`bar"),
            [
                "Incomplete backtick pair in path: [foo.`bar], consider adding a backslash before \
              backtick at position 4 to escape it"
            ]
        );
        assert!(FieldSyntaxVersion::parse("v2").is_ok());
        assert!(FieldSyntaxVersion::parse("V3").is_err());
    }
}
