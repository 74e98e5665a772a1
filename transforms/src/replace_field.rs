//! `org.apache.kafka.connect.transforms.ReplaceField$Key` / `$Value`: drops, keeps and renames
//! fields.

use std::collections::{HashMap, HashSet};

use sluice_api::transform::apply_by_editing;
use sluice_api::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConfigValue, ConnectError, ConnectRecord,
    ConnectResult, Importance, Props, SchemaBuilder, SchemaRef, Struct, Transformation, Validator,
    Value,
};

use crate::util::{
    copy_schema_basics, field_value, parse_config, put_field, replace_null_with_default_key,
    require_map_ref, require_struct, SchemaCache, Side, REPLACE_NULL_WITH_DEFAULT,
};

const EXCLUDE: &str = "exclude";
const INCLUDE: &str = "include";
const RENAMES: &str = "renames";
const BLACKLIST: &str = "blacklist";
const WHITELIST: &str = "whitelist";
const PURPOSE: &str = "field replacement";

/// Java's `String.split(":")`: trailing empty strings are removed.
pub(crate) fn java_split(s: &str, sep: char) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts == [""] && !s.is_empty() {
        parts.clear();
    }
    parts
}

/// Parses `old:new` pairs; the error is Java's message.
fn parse_renames(mappings: &[String]) -> Result<Vec<(String, String)>, String> {
    mappings
        .iter()
        .map(|mapping| match java_split(mapping, ':').as_slice() {
            [old, new] => Ok((old.to_string(), new.to_string())),
            _ => Err(format!("Invalid rename mapping: {mapping}")),
        })
        .collect()
}

/// The bit of a name's length in [`ReplaceField`]'s `rename_lengths`.
fn length_bit(name: &str) -> u64 {
    1 << name.len().min(63)
}

/// `ReplaceField`: see the module documentation.
#[derive(Debug)]
pub struct ReplaceField {
    side: Side,
    exclude: HashSet<String>,
    include: HashSet<String>,
    renames: HashMap<String, String, foldhash::fast::RandomState>,
    /// Bit `n` set: a renamed field name is `n` bytes long (bit 63: 63 or more), so that most
    /// names need no look-up in `renames`.
    rename_lengths: u64,
    reverse: HashMap<String, String>,
    replace_null_with_default: bool,
    cache: SchemaCache<SchemaRef>,
}

impl ReplaceField {
    /// An unconfigured instance for one side of the record.
    pub fn new(side: Side) -> Self {
        ReplaceField {
            side,
            exclude: HashSet::new(),
            include: HashSet::new(),
            renames: HashMap::default(),
            rename_lengths: 0,
            reverse: HashMap::new(),
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }

    /// The keys ReplaceField accepts.
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    EXCLUDE,
                    ConfigType::List,
                    Importance::Medium,
                    "Fields to exclude. This takes precedence over the fields to include.",
                )
                .default(""),
            )
            .define(
                ConfigKey::new(
                    BLACKLIST,
                    ConfigType::List,
                    Importance::Low,
                    "Deprecated. Use exclude instead.",
                )
                .default_null(),
            )
            .define(
                ConfigKey::new(
                    INCLUDE,
                    ConfigType::List,
                    Importance::Medium,
                    "Fields to include. If specified, only these fields will be used.",
                )
                .default(""),
            )
            .define(
                ConfigKey::new(
                    WHITELIST,
                    ConfigType::List,
                    Importance::Low,
                    "Deprecated. Use include instead.",
                )
                .default_null(),
            )
            .define(
                ConfigKey::new(
                    RENAMES,
                    ConfigType::List,
                    Importance::Medium,
                    "Field rename mappings.",
                )
                .default("")
                .validator(Validator::custom(|_, value| match value {
                    ConfigValue::List(items) => parse_renames(items).map(|_| ()),
                    _ => Ok(()),
                })),
            )
            .define(replace_null_with_default_key())
    }

    fn keep(&self, name: &str) -> bool {
        !self.exclude.contains(name) && (self.include.is_empty() || self.include.contains(name))
    }

    /// The new name of a renamed field.
    fn renamed_to(&self, name: &str) -> Option<&String> {
        if self.rename_lengths & length_bit(name) == 0 {
            return None;
        }
        self.renames.get(name)
    }

    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames.get(name).map_or(name, String::as_str)
    }

    /// The schemaless form: kept entries, renamed, in their order, a (renamed) key that is
    /// already there replacing that entry's value (`Map.put`). Done in the entries' own
    /// storage: kept entries move to the front, the rest is dropped at the end.
    fn replace_in_place(&self, entries: &mut Vec<(Value, Value)>) {
        let mut kept = 0;
        for i in 0..entries.len() {
            let renamed = match entries[i].0.as_str() {
                Some(name) if self.keep(name) => self.renamed_to(name),
                Some(_) => continue,
                None if self.include.is_empty() => {
                    // A non-string key is kept as is, never merged.
                    if kept != i {
                        entries.swap(kept, i);
                    }
                    kept += 1;
                    continue;
                }
                None => continue,
            };
            if let Some(new_name) = renamed {
                // The key is only copied when renamed.
                entries[i].0 = Value::String(new_name.clone());
            }
            let name = entries[i].0.as_str();
            let earlier = entries[..kept]
                .iter()
                .position(|(k, _)| k.as_str().is_some() && k.as_str() == name);
            match earlier {
                Some(j) => entries[j].1 = std::mem::take(&mut entries[i].1),
                None => {
                    if kept != i {
                        entries.swap(kept, i);
                    }
                    kept += 1;
                }
            }
        }
        entries.truncate(kept);
    }

    fn updated_schema(&self, schema: &SchemaRef) -> ConnectResult<SchemaRef> {
        let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
        for field in &schema.fields {
            if self.keep(&field.name) {
                builder = builder.field(self.renamed(&field.name), field.schema.clone())?;
            }
        }
        Ok(builder.build_ref())
    }
}

impl Transformation for ReplaceField {
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let config = parse_config(&Self::definition(), props)?;
        // KIP-629: the deprecated names apply only when the new ones are absent.
        let list = |new: &str, old: &str| -> HashSet<String> {
            if props.contains_key(new) || !props.contains_key(old) {
                config.get_list(new).into_iter().collect()
            } else {
                config.get_list(old).into_iter().collect()
            }
        };
        self.exclude = list(EXCLUDE, BLACKLIST);
        self.include = list(INCLUDE, WHITELIST);
        let renames = parse_renames(&config.get_list(RENAMES)).map_err(|msg| {
            ConfigError::invalid(
                RENAMES,
                format!("[{}]", config.get_list(RENAMES).join(", ")),
                msg,
            )
        })?;
        self.reverse = renames
            .iter()
            .map(|(old, new)| (new.clone(), old.clone()))
            .collect();
        self.rename_lengths = renames
            .iter()
            .fold(0, |bits, (old, _)| bits | length_bit(old));
        self.renames = renames.into_iter().collect();
        self.replace_null_with_default = config.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        apply_by_editing(self, record)
    }

    fn apply_in_place(&mut self, record: &mut ConnectRecord) -> ConnectResult<bool> {
        if self.side.value(record).is_null() {
            return Ok(true);
        }
        if self.side.schema(record).is_none() {
            require_map_ref(self.side.value(record), PURPOSE)?;
            if let Value::Map(entries) = self.side.value_mut(record) {
                self.replace_in_place(entries);
            }
            return Ok(true);
        }
        let (_, value) = self.side.take(record);
        let value = require_struct(value, PURPOSE)?;
        let input = value.schema().clone();
        let updated = match self.cache.get(&input) {
            Some(s) => s,
            None => {
                let s = self.updated_schema(&input)?;
                self.cache.put(input.clone(), s.clone());
                s
            }
        };
        let mut out = Struct::new(updated.clone());
        for field in &updated.fields {
            let source = self.reverse.get(&field.name).unwrap_or(&field.name);
            let source_field = input
                .field(source)
                .ok_or_else(|| ConnectError::data(format!("{source} is not a valid field name")))?;
            let v = field_value(&value, source_field, self.replace_null_with_default);
            put_field(&mut out, field, v)?;
        }
        self.side.put(record, Some(updated), Value::Struct(out));
        Ok(true)
    }
}
