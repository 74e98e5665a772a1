//! Plugin descriptions for the registry and `GET /connector-plugins`.

/// The kinds of plugins, named as the REST API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginType {
    /// `source`.
    Source,
    /// `sink`.
    Sink,
    /// `converter`.
    Converter,
    /// `header_converter`.
    HeaderConverter,
    /// `transformation`.
    Transformation,
    /// `predicate`.
    Predicate,
}

impl PluginType {
    /// The REST name (`source`, `sink`, `converter`, `header_converter`, `transformation`,
    /// `predicate`).
    pub fn rest_name(self) -> &'static str {
        match self {
            PluginType::Source => "source",
            PluginType::Sink => "sink",
            PluginType::Converter => "converter",
            PluginType::HeaderConverter => "header_converter",
            PluginType::Transformation => "transformation",
            PluginType::Predicate => "predicate",
        }
    }
}

/// A plugin's identity: its Java class name, the aliases it resolves under, and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginDesc {
    /// Fully qualified Java class name, e.g.
    /// `org.apache.kafka.connect.transforms.InsertField$Value`.
    pub class: &'static str,
    /// Kind.
    pub plugin_type: PluginType,
    /// Version string.
    pub version: &'static str,
}

impl PluginDesc {
    /// The simple class name (after the last `.`), Java's first alias.
    pub fn simple_name(&self) -> &'static str {
        self.class.rsplit('.').next().unwrap_or(self.class)
    }
}
