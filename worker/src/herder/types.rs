//! The entities the herder answers with, serialized exactly as Java's REST entities
//! (`ConnectorInfo`, `ConnectorStateInfo`, `TaskInfo`, … with Java's field names).

use serde::{Deserialize, Serialize};
use sluice_api::Props;

pub use crate::model::{ConnectorState, ConnectorTaskId, State, TargetState, TaskState};

/// Whether the connector is a source or a sink (`unknown` when the class cannot be loaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorType {
    /// Source connector.
    Source,
    /// Sink connector.
    Sink,
    /// Class not loadable.
    Unknown,
}

/// `ConnectorInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectorInfo {
    /// Name.
    pub name: String,
    /// Raw config.
    pub config: Props,
    /// Task ids.
    pub tasks: Vec<ConnectorTaskId>,
    /// Type.
    #[serde(rename = "type")]
    pub connector_type: ConnectorType,
}

/// A create-or-update result: whether the connector was created (201) or updated (200).
#[derive(Debug, Clone, PartialEq)]
pub struct Created<T> {
    /// True when newly created.
    pub created: bool,
    /// The result.
    pub result: T,
}

/// `ConnectorStateInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectorStateInfo {
    /// Connector name.
    pub name: String,
    /// Connector state.
    pub connector: ConnectorState,
    /// Task states, sorted by id.
    pub tasks: Vec<TaskState>,
    /// Type.
    #[serde(rename = "type")]
    pub connector_type: ConnectorType,
}

/// `TaskInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskInfo {
    /// Task id.
    pub id: ConnectorTaskId,
    /// Raw task config.
    pub config: Props,
}

/// `POST /connectors/{c}/restart` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RestartRequest {
    /// Also restart tasks.
    pub include_tasks: bool,
    /// Only restart failed instances.
    pub only_failed: bool,
}

/// One partition/offset pair of `ConnectorOffsets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectorOffset {
    /// Source partition, or `{"kafka_topic","kafka_partition"}` for sinks.
    #[schema(value_type = Object)]
    pub partition: serde_json::Map<String, serde_json::Value>,
    /// Offset, or `{"kafka_offset"}` for sinks; `null` in a PATCH removes it.
    #[schema(value_type = Option<Object>)]
    pub offset: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `{"offsets": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct ConnectorOffsets {
    /// The offsets.
    pub offsets: Vec<ConnectorOffset>,
}

/// `{"message": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    /// The message.
    pub message: String,
}

/// `ConfigKeyInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConfigKeyInfo {
    /// Key.
    pub name: String,
    /// `STRING`, `INT`, ….
    #[serde(rename = "type")]
    pub config_type: String,
    /// No default.
    pub required: bool,
    /// Stringified default.
    pub default_value: Option<String>,
    /// `HIGH`/`MEDIUM`/`LOW`.
    pub importance: String,
    /// Documentation.
    pub documentation: String,
    /// Group.
    pub group: Option<String>,
    /// Order in group.
    #[serde(alias = "order_in_group")]
    pub order: i32,
    /// `NONE`/`SHORT`/`MEDIUM`/`LONG`.
    pub width: String,
    /// Display name.
    pub display_name: String,
    /// Dependent keys.
    pub dependents: Vec<String>,
}

impl From<&sluice_api::ConfigKey> for ConfigKeyInfo {
    fn from(k: &sluice_api::ConfigKey) -> Self {
        ConfigKeyInfo {
            name: k.name.clone(),
            config_type: k.ty.java_name().to_string(),
            required: k.required(),
            default_value: k.default_string(),
            importance: k.importance.java_name().to_string(),
            documentation: k.documentation.clone(),
            group: k.group.clone(),
            order: k.order_in_group,
            width: k.width.java_name().to_string(),
            display_name: k.display_name.clone(),
            dependents: k.dependents.clone(),
        }
    }
}

/// `ConfigValueInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConfigValueInfo {
    /// Key.
    pub name: String,
    /// Stringified value.
    pub value: Option<String>,
    /// Values a UI may offer.
    pub recommended_values: Vec<String>,
    /// Errors.
    pub errors: Vec<String>,
    /// Visible.
    pub visible: bool,
}

impl From<sluice_api::ValidatedKey> for ConfigValueInfo {
    fn from(v: sluice_api::ValidatedKey) -> Self {
        ConfigValueInfo {
            name: v.name,
            value: v.value,
            recommended_values: v.recommended_values,
            errors: v.errors,
            visible: v.visible,
        }
    }
}

/// One element of `ConfigInfos.configs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConfigInfo {
    /// The key's definition.
    pub definition: Option<ConfigKeyInfo>,
    /// The key's validated value.
    pub value: Option<ConfigValueInfo>,
}

/// `ConfigInfos`: the validate answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConfigInfos {
    /// `connector.class` as given.
    pub name: String,
    /// Total number of errors.
    pub error_count: usize,
    /// Groups, in order of appearance.
    pub groups: Vec<String>,
    /// One entry per key.
    pub configs: Vec<ConfigInfo>,
}

/// `PluginInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginInfo {
    /// Java class name.
    #[serde(rename = "class")]
    pub class_name: String,
    /// REST plugin type name.
    #[serde(rename = "type")]
    pub plugin_type: String,
    /// Version, omitted when undefined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}
