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

/// How to create a plugin instance. Instances are created unconfigured, as Java creates them
/// with their no-arg constructor, and then configured or started.
#[derive(Clone, Copy)]
pub enum PluginFactory {
    /// A source connector.
    Source(fn() -> Box<dyn crate::SourceConnector>),
    /// A sink connector.
    Sink(fn() -> Box<dyn crate::SinkConnector>),
    /// A key/value converter.
    Converter(fn() -> Box<dyn crate::Converter>),
    /// A header converter.
    HeaderConverter(fn() -> Box<dyn crate::HeaderConverter>),
    /// A single-message transformation.
    Transformation(fn() -> Box<dyn crate::Transformation>),
    /// A predicate.
    Predicate(fn() -> Box<dyn crate::Predicate>),
}

impl PluginFactory {
    /// The kind of plugin this factory makes.
    pub fn plugin_type(&self) -> PluginType {
        match self {
            PluginFactory::Source(_) => PluginType::Source,
            PluginFactory::Sink(_) => PluginType::Sink,
            PluginFactory::Converter(_) => PluginType::Converter,
            PluginFactory::HeaderConverter(_) => PluginType::HeaderConverter,
            PluginFactory::Transformation(_) => PluginType::Transformation,
            PluginFactory::Predicate(_) => PluginType::Predicate,
        }
    }
}

impl std::fmt::Debug for PluginFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PluginFactory({})", self.plugin_type().rest_name())
    }
}

/// One entry of a plugin crate's `plugins()` list: the Java class name it answers to, its
/// version and its factory. The worker's registry derives the aliases (simple name, and the
/// simple name without its `Connector`/`Converter`/… suffix) from the class name, as Java does.
/// A class that is both a converter and a header converter (JsonConverter) has two entries.
#[derive(Debug, Clone, Copy)]
pub struct Plugin {
    /// Fully qualified Java class name.
    pub class: &'static str,
    /// Version string.
    pub version: &'static str,
    /// Factory.
    pub factory: PluginFactory,
}
