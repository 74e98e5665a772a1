//! `org.apache.kafka.connect.transforms.ExtractField$Key` / `$Value`: replaces the key or value
//! with one of its (possibly nested) fields.

use sluice_api::{
    ConfigDef, ConfigKey, ConfigType, ConnectError, ConnectRecord, ConnectResult, Importance,
    Props, Transformation, Value,
};

use crate::field_path::{
    field_syntax_version_key, FieldSyntaxVersion, SingleFieldPath, FIELD_SYNTAX_VERSION,
};
use crate::util::{
    parse_config, replace_null_with_default_key, require_map, require_struct, Side,
    REPLACE_NULL_WITH_DEFAULT,
};

const FIELD: &str = "field";
const PURPOSE: &str = "field extraction";

/// `ExtractField`: see the module documentation.
#[derive(Debug)]
pub struct ExtractField {
    side: Side,
    original: String,
    path: SingleFieldPath,
    replace_null_with_default: bool,
}

impl ExtractField {
    /// An unconfigured instance for one side of the record.
    pub fn new(side: Side) -> Self {
        ExtractField {
            side,
            original: String::new(),
            path: SingleFieldPath::top_level(""),
            replace_null_with_default: true,
        }
    }

    /// The keys ExtractField accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new(
                FIELD,
                ConfigType::String,
                Importance::Medium,
                "Field name to extract.",
            ))
            .define(replace_null_with_default_key())
            .define(field_syntax_version_key())
    }
}

impl Transformation for ExtractField {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        let original = config.require_string(FIELD)?.to_string();
        let version = FieldSyntaxVersion::parse(config.require_string(FIELD_SYNTAX_VERSION)?)?;
        self.path = SingleFieldPath::new(&original, version)?;
        self.original = original;
        self.replace_null_with_default = config.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => {
                let extracted = if value.is_null() {
                    Value::Null
                } else {
                    self.path.value_from_map(&require_map(value, PURPOSE)?)?
                };
                Ok(Some(self.side.set(record, None, extracted)))
            }
            Some(schema) => {
                let value = if value.is_null() {
                    None
                } else {
                    Some(require_struct(value, PURPOSE)?)
                };
                let field_schema = match self.path.field_from(&schema)? {
                    Some(f) => f.schema.clone(),
                    None => {
                        return Err(ConnectError::IllegalArgument(format!(
                            "Unknown field: {}",
                            self.original
                        )))
                    }
                };
                let extracted = match value {
                    None => Value::Null,
                    Some(s) => self
                        .path
                        .value_from_struct(&s, self.replace_null_with_default)?,
                };
                Ok(Some(self.side.set(record, Some(field_schema), extracted)))
            }
        }
    }
}
