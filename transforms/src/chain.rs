//! The transformation chain of a connector (`ConnectorConfig.transformationStages` and
//! `TransformationStage`): built from the `transforms`, `transforms.<alias>.*`, `predicates` and
//! `predicates.<alias>.*` keys, applied in order, stopping when a stage drops the record.
//!
//! Plugins are looked up through a [`PluginResolver`], so the chain does not depend on the
//! worker's registry; [`PluginsResolver`] resolves any list of [`Plugin`]s (by Java class name
//! or simple-name alias), e.g. this crate's [`crate::plugins`].

use std::collections::HashSet;
use std::fmt;

use sluice_api::config::{originals_with_prefix, parse_list, parse_type, Width};
use sluice_api::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConfigValue, ConnectError, ConnectRecord,
    Importance, Plugin, PluginFactory, Predicate, Props, Transformation, Validator,
};
use thiserror::Error;

/// `transforms`.
pub const TRANSFORMS: &str = "transforms";
/// `predicates`.
pub const PREDICATES: &str = "predicates";
/// The implicit per-transformation key naming its predicate.
pub const PREDICATE: &str = "predicate";
/// The implicit per-transformation key negating its predicate.
pub const NEGATE: &str = "negate";

/// Creates unconfigured transformations and predicates from a class name or alias.
pub trait PluginResolver {
    /// A new transformation for `class_or_alias`, or `None` when there is none of that name.
    fn transformation(&self, class_or_alias: &str) -> Option<Box<dyn Transformation>>;
    /// A new predicate for `class_or_alias`, or `None` when there is none of that name.
    fn predicate(&self, class_or_alias: &str) -> Option<Box<dyn Predicate>>;
}

/// A [`PluginResolver`] over a list of plugins: a name matches a plugin's Java class name or its
/// simple name (`InsertField$Value`, `TopicNameMatches`), as Java's aliases do.
#[derive(Debug, Clone)]
pub struct PluginsResolver {
    plugins: Vec<Plugin>,
}

impl PluginsResolver {
    /// Resolves among `plugins`.
    pub fn new(plugins: Vec<Plugin>) -> Self {
        PluginsResolver { plugins }
    }

    /// Resolves among this crate's transformations and predicates.
    pub fn builtin() -> Self {
        PluginsResolver::new(crate::plugins())
    }

    fn find(&self, name: &str) -> impl Iterator<Item = &Plugin> + '_ {
        let name = name.trim().to_string();
        self.plugins.iter().filter(move |p| {
            p.class == name
                || p.class
                    .rsplit('.')
                    .next()
                    .is_some_and(|simple| simple == name)
        })
    }
}

impl PluginResolver for PluginsResolver {
    fn transformation(&self, class_or_alias: &str) -> Option<Box<dyn Transformation>> {
        self.find(class_or_alias).find_map(|p| match p.factory {
            PluginFactory::Transformation(make) => Some(make()),
            _ => None,
        })
    }

    fn predicate(&self, class_or_alias: &str) -> Option<Box<dyn Predicate>> {
        self.find(class_or_alias).find_map(|p| match p.factory {
            PluginFactory::Predicate(make) => Some(make()),
            _ => None,
        })
    }
}

/// A record failed in one stage of the chain. The worker applies `errors.tolerance` to it.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("Error applying transformation '{alias}' ({class}): {source}")]
pub struct ChainError {
    /// The transformation's alias in `transforms`.
    pub alias: String,
    /// Its configured class (the `transforms.<alias>.type` value).
    pub class: String,
    /// What the transformation reported.
    #[source]
    pub source: ConnectError,
}

struct Stage {
    alias: String,
    class: String,
    transformation: Box<dyn Transformation>,
    predicate: Option<(Box<dyn Predicate>, bool)>,
}

impl Stage {
    /// The chain's error for this stage's failure.
    fn error(&self, source: ConnectError) -> ChainError {
        ChainError {
            alias: self.alias.clone(),
            class: self.class.clone(),
            source,
        }
    }
}

/// A connector's configured transformations, in order.
#[derive(Default)]
pub struct TransformChain {
    stages: Vec<Stage>,
}

impl fmt::Debug for TransformChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.stages
                    .iter()
                    .map(|s| (&s.alias, &s.class, s.predicate.is_some())),
            )
            .finish()
    }
}

fn type_key(kind: &str, alias: &str) -> String {
    format!("{kind}.{alias}.type")
}

/// The aliases listed under `key`, with Java's duplicate check.
fn aliases(props: &Props, key: &str) -> Result<Vec<String>, ConfigError> {
    let list = props.get(key).map(|v| parse_list(v)).unwrap_or_default();
    let unique: HashSet<&String> = list.iter().collect();
    if unique.len() < list.len() {
        return Err(ConfigError::invalid(
            key,
            format!("[{}]", list.join(", ")),
            "Duplicate alias provided.",
        ));
    }
    Ok(list)
}

/// `Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate'
/// defining a predicate to be negated.`
fn negate_without_predicate(props: &Props, alias: &str) -> Option<ConfigError> {
    let negate = format!("{TRANSFORMS}.{alias}.{NEGATE}");
    let predicate = format!("{TRANSFORMS}.{alias}.{PREDICATE}");
    (props.contains_key(&negate) && !props.contains_key(&predicate)).then(|| {
        ConfigError::key(
            &negate,
            format!(
                "Config '{negate}' was provided but there is no config '{predicate}' defining a \
                 predicate to be negated."
            ),
        )
    })
}

/// The plugin's keys under `prefix` (`ConfigDef.embed`), minus the keys in `masked`.
fn embed(prefix: &str, group: &str, def: &ConfigDef, masked: &[&str]) -> Vec<ConfigKey> {
    def.keys()
        .iter()
        .filter(|k| !masked.contains(&k.name.as_str()))
        .enumerate()
        .map(|(i, k)| {
            let mut key = k.clone();
            key.name = format!("{prefix}{}", k.name);
            key.display_name = key.name.clone();
            key.group = Some(group.to_string());
            key.order_in_group = i as i32 + 3;
            key
        })
        .collect()
}

/// Validates the plugin's own keys under their prefixed names, so that errors name the key as
/// the user wrote it (`transforms.a.field`).
fn check_embedded(
    props: &Props,
    prefix: &str,
    def: &ConfigDef,
    masked: &[&str],
) -> Result<(), ConfigError> {
    let mut embedded = ConfigDef::new();
    for key in embed(prefix, "", def, masked) {
        embedded.add(key);
    }
    embedded.parse(props).map(|_| ()).map_err(|errors| {
        errors
            .errors
            .into_iter()
            .next()
            .unwrap_or_else(|| ConfigError::general("Invalid configuration"))
    })
}

/// Maps an error from a plugin's `configure` to one naming the prefixed key.
fn configure_error(prefix: &str, type_key: &str, error: ConnectError) -> ConfigError {
    match error {
        ConnectError::Config(e) => ConfigError {
            key: Some(
                e.key
                    .map_or_else(|| type_key.to_string(), |k| format!("{prefix}{k}")),
            ),
            message: e.message,
        },
        other => ConfigError::key(type_key, other.to_string()),
    }
}

fn class_not_found(key: &str, class: &str) -> ConfigError {
    ConfigError::invalid(key, class, format!("Class {class} could not be found."))
}

fn build_predicate(
    props: &Props,
    alias: &str,
    resolver: &dyn PluginResolver,
) -> Result<Box<dyn Predicate>, ConfigError> {
    let key = type_key(PREDICATES, alias);
    let class = props
        .get(&key)
        .map(|c| c.trim())
        .ok_or_else(|| ConfigError::invalid(&key, "null", "Not a Predicate"))?;
    let mut predicate = resolver
        .predicate(class)
        .ok_or_else(|| class_not_found(&key, class))?;
    let prefix = format!("{PREDICATES}.{alias}.");
    check_embedded(props, &prefix, &predicate.config_def(), &[])?;
    predicate
        .configure(&originals_with_prefix(props, &prefix))
        .map_err(|e| configure_error(&prefix, &key, e))?;
    Ok(predicate)
}

impl TransformChain {
    /// A chain with no stages (records pass unchanged).
    pub fn empty() -> Self {
        TransformChain::default()
    }

    /// Builds and configures the chain of a connector config. Errors name the key at fault, with
    /// Java's messages (`Missing required configuration "transforms.a.type" …`, `Class X could
    /// not be found.`, `Config 'transforms.a.negate' was provided but …`, and every error of the
    /// transformations' and predicates' own keys, prefixed).
    pub fn from_config(
        props: &Props,
        resolver: &dyn PluginResolver,
    ) -> Result<TransformChain, ConfigError> {
        let transforms = aliases(props, TRANSFORMS)?;
        // Listed predicates are validated even when unused, as the enriched ConfigDef does.
        for alias in aliases(props, PREDICATES)? {
            let key = type_key(PREDICATES, &alias);
            if !props.contains_key(&key) {
                return Err(ConfigError::missing(&key));
            }
            build_predicate(props, &alias, resolver)?;
        }
        let mut stages = Vec::with_capacity(transforms.len());
        for alias in transforms {
            if let Some(e) = negate_without_predicate(props, &alias) {
                return Err(e);
            }
            let key = type_key(TRANSFORMS, &alias);
            let class = props
                .get(&key)
                .map(|c| c.trim().to_string())
                .ok_or_else(|| ConfigError::missing(&key))?;
            let mut transformation = resolver
                .transformation(&class)
                .ok_or_else(|| class_not_found(&key, &class))?;
            let prefix = format!("{TRANSFORMS}.{alias}.");
            check_embedded(
                props,
                &prefix,
                &transformation.config_def(),
                &[PREDICATE, NEGATE],
            )?;
            let mut own = originals_with_prefix(props, &prefix);
            let predicate_alias = own.remove(PREDICATE);
            let negate = own.remove(NEGATE);
            own.remove("type");
            transformation
                .configure(&own)
                .map_err(|e| configure_error(&prefix, &key, e))?;
            let predicate = match predicate_alias {
                None => None,
                Some(p) => {
                    let negate = match negate {
                        None => false,
                        Some(raw) => match parse_type(
                            &format!("{prefix}{NEGATE}"),
                            &raw,
                            ConfigType::Boolean,
                        )? {
                            ConfigValue::Boolean(b) => b,
                            _ => false,
                        },
                    };
                    Some((build_predicate(props, p.trim(), resolver)?, negate))
                }
            };
            stages.push(Stage {
                alias,
                class,
                transformation,
                predicate,
            });
        }
        Ok(TransformChain { stages })
    }

    /// Number of stages.
    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// True when there are no stages.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// The aliases of the stages, in order.
    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(|s| s.alias.as_str())
    }

    /// Applies every stage in order: a stage with a predicate runs only when
    /// `negate XOR predicate.test(record)`; `Ok(None)` means a stage dropped the record.
    /// Each stage edits the record where it lies ([`Transformation::apply_in_place`]), so the
    /// record is not moved from stage to stage.
    pub fn apply(
        &mut self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ChainError> {
        for stage in &mut self.stages {
            if let Some((predicate, negate)) = &stage.predicate {
                if !(*negate ^ predicate.test(&record)) {
                    continue;
                }
            }
            match stage.transformation.apply_in_place(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(source) => return Err(stage.error(source)),
            }
        }
        Ok(Some(record))
    }
}

fn alias_list_key(name: &str, kind: &str, doc: &str, group: &str, display: &str) -> ConfigKey {
    ConfigKey::new(name, ConfigType::List, Importance::Low, doc)
        .default("")
        .validator(Validator::custom(move |_, value| match value {
            ConfigValue::List(items) => {
                let unique: HashSet<&String> = items.iter().collect();
                if unique.len() < items.len() {
                    Err("Duplicate alias provided.".to_string())
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }))
        .display(
            group,
            if kind == "transformation" { 1 } else { 2 },
            Width::Long,
            display,
        )
}

/// The `transforms` and `predicates` keys every connector config has.
pub fn base_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(alias_list_key(
            TRANSFORMS,
            "transformation",
            "Aliases for the transformations to be applied to records.",
            "Transforms",
            "Transforms",
        ))
        .define(alias_list_key(
            PREDICATES,
            "predicate",
            "Aliases for the predicates used by transformations.",
            "Predicates",
            "Predicates",
        ))
}

fn failing(message: String) -> Validator {
    Validator::custom(move |_, _| Err(message.clone()))
}

/// The keys the chain contributes to a connector's config for validation (`ConnectorConfig.enrich`):
/// [`base_config_def`] plus, per alias, `transforms.<a>.type`, `transforms.<a>.predicate`,
/// `transforms.<a>.negate` and the transformation's own keys as `transforms.<a>.<key>`, and
/// `predicates.<p>.type` with the predicate's keys. A type that cannot be resolved, or a
/// `negate` without a `predicate`, makes the `type` key invalid.
pub fn config_def(props: &Props, resolver: &dyn PluginResolver) -> ConfigDef {
    let mut def = base_config_def();
    let mut seen = HashSet::new();
    let transforms = props
        .get(TRANSFORMS)
        .map(|v| parse_list(v))
        .unwrap_or_default();
    for alias in transforms.into_iter().filter(|a| seen.insert(a.clone())) {
        let prefix = format!("{TRANSFORMS}.{alias}.");
        let group = format!("Transforms: {alias}");
        let key = type_key(TRANSFORMS, &alias);
        let class = props.get(&key).map(|c| c.trim().to_string());
        let plugin = class.as_deref().and_then(|c| resolver.transformation(c));
        let mut type_key_def = ConfigKey::new(
            &key,
            ConfigType::Class,
            Importance::High,
            &format!("Class for the '{alias}' transformation."),
        )
        .display(
            &group,
            0,
            Width::Long,
            &format!("Transformation type for {alias}"),
        );
        if let Some(e) = negate_without_predicate(props, &alias) {
            type_key_def = type_key_def.validator(failing(e.message));
        } else if let (Some(c), None) = (&class, &plugin) {
            type_key_def =
                type_key_def.validator(failing(format!("Class {c} could not be found.")));
        }
        def.add(type_key_def);
        def.add(
            ConfigKey::new(
                &format!("{prefix}{PREDICATE}"),
                ConfigType::String,
                Importance::Medium,
                "The alias of a predicate used to determine whether to apply this transformation.",
            )
            .default_null()
            .display(&group, 1, Width::None, &format!("{prefix}{PREDICATE}")),
        );
        def.add(
            ConfigKey::new(
                &format!("{prefix}{NEGATE}"),
                ConfigType::Boolean,
                Importance::Medium,
                "Whether the configured predicate should be negated.",
            )
            .default("false")
            .display(&group, 2, Width::None, &format!("{prefix}{NEGATE}")),
        );
        if let Some(t) = plugin {
            for k in embed(&prefix, &group, &t.config_def(), &[PREDICATE, NEGATE]) {
                def.add(k);
            }
        }
    }
    let mut seen = HashSet::new();
    let predicates = props
        .get(PREDICATES)
        .map(|v| parse_list(v))
        .unwrap_or_default();
    for alias in predicates.into_iter().filter(|a| seen.insert(a.clone())) {
        let prefix = format!("{PREDICATES}.{alias}.");
        let group = format!("Predicates: {alias}");
        let key = type_key(PREDICATES, &alias);
        let class = props.get(&key).map(|c| c.trim().to_string());
        let plugin = class.as_deref().and_then(|c| resolver.predicate(c));
        let mut type_key_def = ConfigKey::new(
            &key,
            ConfigType::Class,
            Importance::High,
            &format!("Class for the '{alias}' predicate."),
        )
        .display(
            &group,
            0,
            Width::Long,
            &format!("Predicate type for {alias}"),
        );
        if let (Some(c), None) = (&class, &plugin) {
            type_key_def =
                type_key_def.validator(failing(format!("Class {c} could not be found.")));
        }
        def.add(type_key_def);
        if let Some(p) = plugin {
            for k in embed(&prefix, &group, &p.config_def(), &[]) {
                def.add(k);
            }
        }
    }
    def
}
