//! The header transformations: `InsertHeader` (adds a literal header), `DropHeaders` (removes
//! headers by key) and `HeaderFrom$Key` / `$Value` (moves or copies fields into headers).

use std::collections::HashSet;

use sluice_api::transform::apply_by_editing;
use sluice_api::values::parse_string;
use sluice_api::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConnectError, ConnectRecord, ConnectResult,
    Header, Importance, Props, SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Transformation,
    Validator, Value,
};

use crate::mask_field::non_empty_list;
use crate::util::{
    config_error, copy_schema_basics, field_value, map_get, map_remove, parse_config, put_field,
    replace_null_with_default_key, require_map, require_struct, SchemaCache, Side,
    REPLACE_NULL_WITH_DEFAULT,
};

/// `ConnectHeaders.add(key, value, schema)`: checks the value against the schema first.
fn add_checked(
    headers: &mut sluice_api::Headers,
    key: &str,
    schema: Option<SchemaRef>,
    value: Value,
) -> ConnectResult<()> {
    if let Some(s) = &schema {
        if value.is_null() {
            if !s.optional {
                return Err(ConnectError::data(format!(
                    "A null value requires an optional schema but was {s}"
                )));
            }
        } else {
            s.validate_value(&value)?;
        }
    }
    headers.push(Header {
        key: key.to_string(),
        schema,
        value,
    });
    Ok(())
}

const HEADER: &str = "header";
const VALUE_LITERAL: &str = "value.literal";

/// `InsertHeader`: appends a header whose value is the configured literal, parsed once with
/// `Values.parseString` (`"1"` is an INT8 header, `"a"` a STRING header).
#[derive(Debug, Default)]
pub struct InsertHeader {
    header: String,
    literal: SchemaAndValue,
}

impl InsertHeader {
    /// An unconfigured instance.
    pub fn new() -> Self {
        InsertHeader::default()
    }

    /// The keys InsertHeader accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new(
                HEADER,
                ConfigType::String,
                Importance::High,
                "The name of the header.",
            ))
            .define(ConfigKey::new(
                VALUE_LITERAL,
                ConfigType::String,
                Importance::High,
                "The literal value that is to be set as the header value on all records.",
            ))
    }
}

impl Transformation for InsertHeader {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.header = config.require_string(HEADER)?.to_string();
        self.literal = parse_string(config.require_string(VALUE_LITERAL)?);
        Ok(())
    }

    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        apply_by_editing(self, record)
    }

    fn apply_in_place(&mut self, record: &mut ConnectRecord) -> ConnectResult<bool> {
        record.headers.push(Header {
            key: self.header.clone(),
            schema: self.literal.schema.clone(),
            value: self.literal.value.clone(),
        });
        Ok(true)
    }
}

const HEADERS: &str = "headers";

/// `DropHeaders`: removes every header whose key is configured (all duplicates), keeping the
/// order of the others.
#[derive(Debug, Default)]
pub struct DropHeaders {
    headers: HashSet<String>,
}

impl DropHeaders {
    /// An unconfigured instance.
    pub fn new() -> Self {
        DropHeaders::default()
    }

    /// The keys DropHeaders accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                HEADERS,
                ConfigType::List,
                Importance::High,
                "The name of the headers to be removed.",
            )
            .validator(non_empty_list()),
        )
    }
}

impl Transformation for DropHeaders {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.headers = config.get_list(HEADERS).into_iter().collect();
        Ok(())
    }

    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        apply_by_editing(self, record)
    }

    fn apply_in_place(&mut self, record: &mut ConnectRecord) -> ConnectResult<bool> {
        record.headers.retain(|h| !self.headers.contains(&h.key));
        Ok(true)
    }
}

const FIELDS: &str = "fields";
const OPERATION: &str = "operation";

/// `HeaderFrom`: moves or copies fields of the key or value into headers.
#[derive(Debug)]
pub struct HeaderFrom {
    side: Side,
    fields: Vec<String>,
    headers: Vec<String>,
    moving: bool,
    replace_null_with_default: bool,
    cache: SchemaCache<SchemaRef>,
}

impl HeaderFrom {
    /// An unconfigured instance for one side of the record.
    pub fn new(side: Side) -> Self {
        HeaderFrom {
            side,
            fields: Vec::new(),
            headers: Vec::new(),
            moving: false,
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }

    /// The keys HeaderFrom accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    FIELDS,
                    ConfigType::List,
                    Importance::High,
                    "Field names in the record whose values are to be copied or moved to headers.",
                )
                .validator(non_empty_list()),
            )
            .define(
                ConfigKey::new(
                    HEADERS,
                    ConfigType::List,
                    Importance::High,
                    "Header names, in the same order as the field names listed in the fields \
                     configuration property.",
                )
                .validator(non_empty_list()),
            )
            .define(
                ConfigKey::new(
                    OPERATION,
                    ConfigType::String,
                    Importance::High,
                    "Either <code>move</code> if the fields are to be moved to the headers \
                     (removed from the key/value), or <code>copy</code> if the fields are to be \
                     copied to the headers (retained in the key/value).",
                )
                .validator(Validator::one_of(&["move", "copy"])),
            )
            .define(replace_null_with_default_key())
    }

    fn purpose(&self) -> &'static str {
        if self.moving {
            "header move"
        } else {
            "header copy"
        }
    }

    fn move_schema(&self, schema: &SchemaRef) -> ConnectResult<SchemaRef> {
        let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
        for field in &schema.fields {
            if !self.fields.contains(&field.name) {
                builder = builder.field(field.name.clone(), field.schema.clone())?;
            }
        }
        Ok(builder.build_ref())
    }
}

impl Transformation for HeaderFrom {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        self.fields = config.get_list(FIELDS);
        self.headers = config.get_list(HEADERS);
        if self.fields.len() != self.headers.len() {
            return Err(config_error(
                "'fields' config must have the same number of elements as 'headers' config.",
            ));
        }
        self.moving = match config.require_string(OPERATION)? {
            "move" => true,
            "copy" => false,
            other => {
                return Err(ConfigError::invalid(
                    OPERATION,
                    other,
                    "String must be one of: move, copy",
                )
                .into())
            }
        };
        self.replace_null_with_default = config.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let (schema, value) = self.side.take(&mut record);
        let mut headers = std::mem::take(&mut record.headers);
        let Some(schema) = schema else {
            let mut map = require_map(value, self.purpose())?;
            // Every header reads the original value (Java reads all fields before it removes
            // any), so a field listed twice feeds both headers even when moving.
            for (field, header) in self.fields.iter().zip(&self.headers) {
                let v = map_get(&map, field).cloned().unwrap_or(Value::Null);
                add_checked(&mut headers, header, None, v)?;
            }
            if self.moving {
                for field in &self.fields {
                    map_remove(&mut map, field);
                }
            }
            record.headers = headers;
            return Ok(Some(self.side.set(record, None, Value::Map(map))));
        };
        let value = require_struct(value, self.purpose())?;
        for (field_name, header) in self.fields.iter().zip(&self.headers) {
            let field = schema.field(field_name).ok_or_else(|| {
                ConnectError::data(format!(
                    "Field {field_name} does not exist in the {} schema",
                    match self.side {
                        Side::Key => "key",
                        Side::Value => "value",
                    }
                ))
            })?;
            let v = match value.schema().field(field_name) {
                Some(f) => field_value(&value, f, self.replace_null_with_default),
                None => Value::Null,
            };
            add_checked(&mut headers, header, Some(field.schema.clone()), v)?;
        }
        record.headers = headers;
        if !self.moving {
            return Ok(Some(self.side.set(
                record,
                Some(schema),
                Value::Struct(value),
            )));
        }
        let updated = match self.cache.get(&schema) {
            Some(s) => s,
            None => {
                let s = self.move_schema(&schema)?;
                self.cache.put(schema.clone(), s.clone());
                s
            }
        };
        let mut out = Struct::new(updated.clone());
        for field in &updated.fields {
            let v = match value.schema().field(&field.name) {
                Some(f) => field_value(&value, f, self.replace_null_with_default),
                None => {
                    return Err(ConnectError::data(format!(
                        "{} is not a valid field name",
                        field.name
                    )))
                }
            };
            put_field(&mut out, field, v)?;
        }
        Ok(Some(self.side.set(
            record,
            Some(updated),
            Value::Struct(out),
        )))
    }
}
