//! The plugin registry: an explicit list of every built-in plugin, keyed by Java class name
//! and by the aliases Java derives from it (`PluginUtils.simpleName`/`prunedName`): the simple
//! class name (`FileStreamSinkConnector`, `InsertField$Value`) and that name without its
//! type suffix (`FileStreamSink`, `Json`), each only where it is unambiguous.

use std::collections::HashMap;

use sluice_api::{Plugin, PluginType};

/// Every built-in plugin, resolvable by class name or alias.
#[derive(Debug, Clone)]
pub struct PluginRegistry {
    plugins: Vec<Plugin>,
    /// type → name or alias → index into `plugins` (looked up by `&str`, without an
    /// allocation: REST listings look up every connector's class).
    by_name: HashMap<PluginType, HashMap<String, usize>>,
}

impl PluginRegistry {
    /// The built-in plugins of `converters`, `transforms` and `connectors`.
    pub fn builtin() -> Self {
        let mut all = sluice_connectors::plugins();
        all.extend(sluice_converters::plugins());
        all.extend(sluice_transforms::plugins());
        Self::new(all)
    }

    /// A registry over an explicit list.
    pub fn new(plugins: Vec<Plugin>) -> Self {
        let mut by_name: HashMap<PluginType, HashMap<String, usize>> = HashMap::new();
        for (i, p) in plugins.iter().enumerate() {
            by_name
                .entry(p.factory.plugin_type())
                .or_default()
                .insert(p.class.to_string(), i);
        }
        // Aliases count only when no two plugins of any type share them (Java's rule).
        let mut alias_owners: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in plugins.iter().enumerate() {
            for alias in aliases(p) {
                let owners = alias_owners.entry(alias).or_default();
                if !owners.iter().any(|&o| plugins[o].class == p.class) {
                    owners.push(i);
                }
            }
        }
        for (alias, owners) in alias_owners {
            if owners.len() == 1 {
                let p = &plugins[owners[0]];
                by_name
                    .entry(p.factory.plugin_type())
                    .or_default()
                    .entry(alias.clone())
                    .or_insert(owners[0]);
                // A class registered under several types (a converter that is also a header
                // converter) keeps its alias for each of them.
                for (j, q) in plugins.iter().enumerate() {
                    if q.class == p.class {
                        by_name
                            .entry(q.factory.plugin_type())
                            .or_default()
                            .entry(alias.clone())
                            .or_insert(j);
                    }
                }
            }
        }
        PluginRegistry { plugins, by_name }
    }

    /// Every plugin, in registration order.
    pub fn all(&self) -> &[Plugin] {
        &self.plugins
    }

    /// Looks up a plugin of one type by class name or alias.
    pub fn find(&self, name: &str, plugin_type: PluginType) -> Option<&Plugin> {
        self.by_name
            .get(&plugin_type)?
            .get(name.trim())
            .map(|&i| &self.plugins[i])
    }

    /// Looks up a connector (source or sink) by class name or alias.
    pub fn find_connector(&self, name: &str) -> Option<&Plugin> {
        self.find(name, PluginType::Source)
            .or_else(|| self.find(name, PluginType::Sink))
    }

    /// Looks up a plugin of any type (the first type that has it).
    pub fn find_any(&self, name: &str) -> Option<&Plugin> {
        [
            PluginType::Source,
            PluginType::Sink,
            PluginType::Converter,
            PluginType::HeaderConverter,
            PluginType::Transformation,
            PluginType::Predicate,
        ]
        .into_iter()
        .find_map(|t| self.find(name, t))
    }
}

/// Java's aliases of a plugin: its simple name and, when it ends with the type's suffix, the
/// simple name without it.
pub fn aliases(p: &Plugin) -> Vec<String> {
    let simple = p.class.rsplit('.').next().unwrap_or(p.class).to_string();
    let suffix = match p.factory.plugin_type() {
        PluginType::Source | PluginType::Sink => "Connector",
        PluginType::Converter => "Converter",
        PluginType::HeaderConverter => "HeaderConverter",
        PluginType::Transformation => "Transformation",
        PluginType::Predicate => "Predicate",
    };
    let mut out = vec![simple.clone()];
    if let Some(pruned) = simple.strip_suffix(suffix) {
        if !pruned.is_empty() {
            out.push(pruned.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::{
        ConnectResult, Converter, Headers, PluginFactory, Props, SchemaAndValue, SchemaRef, Value,
    };

    struct Nop;
    impl Converter for Nop {
        fn configure(&mut self, _: &Props, _: bool) -> ConnectResult<()> {
            Ok(())
        }
        fn from_connect_data(
            &mut self,
            _: &str,
            _: &mut Headers,
            _: Option<&SchemaRef>,
            _: &Value,
        ) -> ConnectResult<Option<Vec<u8>>> {
            Ok(None)
        }
        fn to_connect_data(
            &mut self,
            _: &str,
            _: &Headers,
            _: Option<&[u8]>,
        ) -> ConnectResult<SchemaAndValue> {
            Ok(SchemaAndValue::NULL)
        }
    }
    fn nop() -> Box<dyn Converter> {
        Box::new(Nop)
    }

    #[test]
    fn resolves_class_simple_and_pruned_names() {
        let r = PluginRegistry::new(vec![
            Plugin {
                class: "org.apache.kafka.connect.json.JsonConverter",
                version: "1",
                factory: PluginFactory::Converter(nop),
            },
            Plugin {
                class: "a.b.DupConverter",
                version: "1",
                factory: PluginFactory::Converter(nop),
            },
            Plugin {
                class: "c.d.DupConverter",
                version: "1",
                factory: PluginFactory::Converter(nop),
            },
        ]);
        for name in [
            "org.apache.kafka.connect.json.JsonConverter",
            "JsonConverter",
            "Json",
        ] {
            assert!(r.find(name, PluginType::Converter).is_some(), "{name}");
        }
        assert!(r.find("Json", PluginType::HeaderConverter).is_none());
        assert!(r.find("DupConverter", PluginType::Converter).is_none());
        assert!(r.find("a.b.DupConverter", PluginType::Converter).is_some());
    }
}
