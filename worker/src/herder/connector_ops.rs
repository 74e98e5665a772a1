//! [`ConnectorOps`]: what both herders do with connectors the same way: validating a config
//! (Java's `AbstractHerder.validateConnectorConfig`), starting and stopping a connector
//! instance, asking it for task configs, and the shapes of infos and errors. Synchronous
//! connector calls run on the blocking pool under
//! [`CONNECTOR_CALL_TIMEOUT`](super::blocking::CONNECTOR_CALL_TIMEOUT).

use std::collections::HashSet;
use std::sync::Arc;

use sluice_api::{ConfigDef, ConnectError, PluginType, Props, ValidatedKey};
use tracing::warn;

use super::blocking::{call_connector, ConnectorCallError};
use super::distributed_validation::{self as eos, sink_group_errors};
use super::{
    ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValueInfo, ConnectorTaskId, ConnectorType,
    HerderError, HerderResult, State, TargetState,
};
use crate::config::connector::{self, config_def_for, sink_topic_errors, ConnectorKind};
use crate::config::kafka_clients::refused_client_keys;
use crate::config::override_policy::{ClientUse, OverridePolicy};
use crate::config::providers::ConfigProviders;
use crate::plugins::PluginRegistry;
use crate::runtime::connect_trace;
use crate::runtime::worker::Worker;

/// Connector operations over one worker's runtime, shared by the standalone and distributed
/// herders.
#[derive(Clone)]
pub struct ConnectorOps {
    worker: Arc<Worker>,
    /// The worker group's `group.id` on a distributed worker.
    worker_group: Option<String>,
}

/// What validating a connector config depends on besides the plugins and the config: the
/// worker's settings.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// Resolve `${provider:…}` references.
    pub providers: &'a ConfigProviders,
    /// `connector.client.config.override.policy`.
    pub policy: OverridePolicy,
    /// The worker group's `group.id` when a distributed worker validates: its own checks
    /// (a sink's consumer group, exactly-once source support, transaction boundaries) apply.
    pub worker_group: Option<&'a str>,
}

/// Java's `Map.toString` of a config, as in its error messages.
pub fn java_map_string(props: &Props) -> String {
    let items: Vec<String> = props.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", items.join(", "))
}

fn call_error(e: ConnectorCallError) -> HerderError {
    HerderError::Internal(e.to_string())
}

impl ConnectorOps {
    /// Operations over `worker` (standalone).
    pub fn new(worker: Arc<Worker>) -> Self {
        ConnectorOps {
            worker,
            worker_group: None,
        }
    }

    /// Operations over `worker`, a member of the worker group `group_id` (distributed).
    pub fn in_group(worker: Arc<Worker>, group_id: &str) -> Self {
        ConnectorOps {
            worker,
            worker_group: Some(group_id.to_string()),
        }
    }

    /// The worker.
    pub fn worker(&self) -> &Arc<Worker> {
        &self.worker
    }

    /// Source or sink, from `connector.class`; `None` when the class is unknown.
    pub fn kind_of(&self, config: &Props) -> Option<ConnectorKind> {
        config
            .get(connector::CONNECTOR_CLASS)
            .and_then(|c| self.worker.connector_kind(c))
    }

    /// The type shown in REST answers (`unknown` when the class is unknown).
    pub fn connector_type(&self, config: &Props) -> ConnectorType {
        match self.kind_of(config) {
            Some(ConnectorKind::Source) => ConnectorType::Source,
            Some(ConnectorKind::Sink) => ConnectorType::Sink,
            None => ConnectorType::Unknown,
        }
    }

    /// The ids of a connector's `count` tasks.
    pub fn task_ids(name: &str, count: usize) -> Vec<ConnectorTaskId> {
        (0..count)
            .map(|t| ConnectorTaskId {
                connector: name.to_string(),
                task: t as u32,
            })
            .collect()
    }

    /// The simple class name of the connector, for messages about its calls.
    pub fn class_name(config: &Props) -> String {
        let class = config
            .get(connector::CONNECTOR_CLASS)
            .map_or("Connector", String::as_str);
        class.rsplit('.').next().unwrap_or(class).to_string()
    }

    /// A connector's `alterOffsets` on the blocking pool, as its other calls; a refusal
    /// (timeout and panic included) is answered with its message, as Java answers it (500).
    async fn alter_offsets_call(
        &self,
        config: &Props,
        call: impl FnOnce() -> sluice_api::ConnectResult<bool> + Send + 'static,
    ) -> HerderResult<bool> {
        let name = format!("{}.alterOffsets", Self::class_name(config));
        match call_connector(name, call).await {
            Ok(result) => result.map_err(|e| HerderError::Internal(e.to_string())),
            Err(e) => Err(HerderError::Internal(e.to_string())),
        }
    }

    /// `Connector::start` on the blocking pool; a failure (timeout and panic included) is
    /// recorded as the connector's FAILED status and returned as text.
    pub async fn start_instance(
        &self,
        name: &str,
        config: &Props,
        target: TargetState,
    ) -> Result<(), String> {
        let (worker, n, c) = (self.worker.clone(), name.to_string(), config.clone());
        let call = format!("{}.start", Self::class_name(config));
        match call_connector(call, move || worker.start_connector(&n, &c, target)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => {
                let e = ConnectError::connect(e.to_string());
                self.worker
                    .status()
                    .put_connector(name, State::Failed, Some(connect_trace(&e)));
                Err(e.to_string())
            }
        }
    }

    /// `Connector::stop` on the blocking pool.
    pub async fn stop_instance(&self, name: &str) {
        let (worker, n) = (self.worker.clone(), name.to_string());
        if let Err(e) = call_connector(format!("{name}: Connector.stop"), move || {
            worker.stop_connector(&n)
        })
        .await
        {
            warn!(connector = %name, error = %e, "Connector failed to stop cleanly.");
        }
    }

    /// `Connector::task_configs` on the blocking pool.
    pub async fn generate_tasks(
        &self,
        name: &str,
        config: &Props,
    ) -> Result<Vec<Props>, ConnectError> {
        let (worker, n, c) = (self.worker.clone(), name.to_string(), config.clone());
        let call = format!("{}.taskConfigs", Self::class_name(config));
        match call_connector(call, move || worker.task_configs(&n, &c)).await {
            Ok(r) => r,
            Err(e) => Err(ConnectError::connect(e.to_string())),
        }
    }

    /// Validates a config; also gives the connector kind when the class was found. The
    /// connector's own `validate` runs on the blocking pool under the call cap.
    pub async fn validate(&self, config: &Props) -> HerderResult<(ConfigInfos, ConnectorKind)> {
        let context = ValidationContext {
            providers: &self.worker.config().config_providers,
            policy: self.worker.config().client_override_policy,
            worker_group: self.worker_group.as_deref(),
        };
        validate_connector_config(self.worker.registry(), context, config).await
    }

    /// Java's check that the config's `name` matches the URL's (and sets it when absent).
    pub fn check_config_name(name: &str, config: &mut Props) -> HerderResult<()> {
        match config.get(connector::NAME) {
            Some(cfg) if cfg != name => Err(HerderError::BadRequest(format!(
                "Connector name configuration ({cfg}) doesn't match connector name in the URL ({name})"
            ))),
            Some(_) => Ok(()),
            None => {
                config.insert(connector::NAME.to_string(), name.to_string());
                Ok(())
            }
        }
    }

    /// Java's 400 for a config with errors, listing every error.
    pub fn validation_error(infos: &ConfigInfos) -> HerderError {
        let errors: Vec<String> = infos
            .configs
            .iter()
            .filter_map(|c| c.value.as_ref())
            .flat_map(|v| v.errors.iter().cloned())
            .collect();
        HerderError::BadRequest(format!(
            "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{{connectorType}}/config/validate`",
            errors.len(),
            errors.join("\n")
        ))
    }
}

const FRAMEWORK_MANAGED: &str = "The Connect framework-managed offsets for this connector have been {} successfully. However, if this connector manages offsets externally, they will need to be manually {} in the system that the connector uses.";

/// Java's answer to a change of offsets: without the caveat when the connector's
/// `alterOffsets` said it keeps no offsets of its own.
fn offsets_message(verb: &str, connector_agreed: bool) -> super::Message {
    super::Message {
        message: if connector_agreed {
            format!("The offsets for this connector have been {verb} successfully")
        } else {
            FRAMEWORK_MANAGED.replace("{}", verb)
        },
    }
}

/// The offsets endpoints, the same in both herders: source offsets in the worker's offset
/// store, sink offsets in the connector's consumer group. The caller checks that the
/// connector exists (and, to change offsets, that it is stopped).
impl ConnectorOps {
    /// `GET /connectors/{c}/offsets`.
    pub async fn offsets(
        &self,
        name: &str,
        config: &Props,
    ) -> HerderResult<super::ConnectorOffsets> {
        match self.kind_of(config) {
            Some(ConnectorKind::Sink) => {
                super::sink_offsets::list(self.worker.config(), name, config).await
            }
            _ => Ok(super::ConnectorOffsets {
                offsets: self
                    .source_offsets(config)
                    .await?
                    .connector_offsets(name)
                    .into_iter()
                    .map(|(partition, offset)| super::ConnectorOffset {
                        partition,
                        offset: Some(offset),
                    })
                    .collect(),
            }),
        }
    }

    /// The offset store of a source connector (its own offsets topic's, if it has one).
    async fn source_offsets(
        &self,
        config: &Props,
    ) -> HerderResult<Arc<dyn crate::storage::OffsetBackingStore>> {
        self.worker
            .offsets_for(config)
            .await
            .map_err(|e| HerderError::Internal(e.to_string()))
    }

    /// `PATCH /connectors/{c}/offsets`: the offsets are checked, shown to the connector's
    /// `alter_offsets`, then written.
    pub async fn alter_offsets(
        &self,
        name: &str,
        config: &Props,
        offsets: super::ConnectorOffsets,
    ) -> HerderResult<super::Message> {
        if offsets.offsets.is_empty() {
            return Err(HerderError::BadRequest(
                "Partitions / offsets need to be provided for an alter offsets request".to_string(),
            ));
        }
        let agreed = match self.kind_of(config) {
            Some(ConnectorKind::Sink) => {
                let parsed = super::sink_offsets::parse(&offsets)?;
                let (worker, props, offsets) =
                    (self.worker.clone(), config.clone(), parsed.clone());
                let agreed = self
                    .alter_offsets_call(config, move || {
                        worker.sink_connector_alters_offsets(&props, &offsets)
                    })
                    .await?;
                super::sink_offsets::alter(self.worker.config(), name, config, &parsed).await?;
                agreed
            }
            _ => {
                let mut batch = Vec::with_capacity(offsets.offsets.len());
                for o in offsets.offsets {
                    crate::storage::check_primitive(&o.partition)
                        .map_err(HerderError::BadRequest)?;
                    if let Some(off) = &o.offset {
                        crate::storage::check_primitive(off).map_err(HerderError::BadRequest)?;
                    }
                    batch.push((o.partition, o.offset));
                }
                let (worker, props, offsets) = (self.worker.clone(), config.clone(), batch.clone());
                let agreed = self
                    .alter_offsets_call(config, move || {
                        worker.source_connector_alters_offsets(&props, &offsets)
                    })
                    .await?;
                crate::storage::put_offsets(
                    self.source_offsets(config).await?,
                    name.to_string(),
                    batch,
                )
                .await
                .map_err(|e| HerderError::Internal(e.to_string()))?;
                agreed
            }
        };
        Ok(offsets_message("altered", agreed))
    }

    /// `DELETE /connectors/{c}/offsets`: every partition with an offset is shown to the
    /// connector's `alter_offsets` with none, then the offsets are removed (a sink's whole
    /// consumer group is deleted).
    pub async fn reset_offsets(&self, name: &str, config: &Props) -> HerderResult<super::Message> {
        let agreed = match self.kind_of(config) {
            Some(ConnectorKind::Sink) => {
                let worker = self.worker.config();
                let partitions: Vec<_> = super::sink_offsets::committed(worker, name, config)
                    .await
                    .map_err(|e| {
                        tracing::error!(connector = %name, error = %e,
                            "Failed to list offsets prior to resetting offsets.");
                        HerderError::Internal(format!(
                            "Failed to list offsets prior to resetting offsets for sink connector {name}"
                        ))
                    })?
                    .into_iter()
                    .map(|c| (sluice_api::TopicPartition::new(c.topic, c.partition), None))
                    .collect();
                let (runtime, props) = (self.worker.clone(), config.clone());
                let agreed = self
                    .alter_offsets_call(config, move || {
                        runtime.sink_connector_alters_offsets(&props, &partitions)
                    })
                    .await?;
                super::sink_offsets::reset(worker, name, config).await?;
                agreed
            }
            _ => {
                let store = self.source_offsets(config).await?;
                let batch: Vec<_> = store
                    .connector_offsets(name)
                    .into_iter()
                    .map(|(p, _)| (p, None))
                    .collect();
                let (worker, props, offsets) = (self.worker.clone(), config.clone(), batch.clone());
                let agreed = self
                    .alter_offsets_call(config, move || {
                        worker.source_connector_alters_offsets(&props, &offsets)
                    })
                    .await?;
                crate::storage::put_offsets(store, name.to_string(), batch)
                    .await
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                agreed
            }
        };
        Ok(offsets_message("reset", agreed))
    }
}

/// Java's `AbstractHerder.validateConnectorConfig` over a plugin registry: the connector's
/// own `validate`, the framework keys, the transform chain, converters, the client overrides
/// under the worker's override policy, a distributed worker's own checks and refused client
/// keys, with `${provider:…}` references resolved first. Used by the validate endpoint of both
/// herders and by `sluice validate`.
pub async fn validate_connector_config(
    registry: &PluginRegistry,
    context: ValidationContext<'_>,
    config: &Props,
) -> HerderResult<(ConfigInfos, ConnectorKind)> {
    let ValidationContext {
        providers,
        policy,
        worker_group,
    } = context;
    // As Java's herder, the connector validates its config with provider references
    // resolved (password-type keys are shown as [hidden] in the result).
    let resolved = providers
        .transform(config)
        .map_err(|e| HerderError::BadRequest(e.message))?;
    let config = &resolved;
    let class = match config.get(connector::CONNECTOR_CLASS) {
        Some(c) => c.clone(),
        None => {
            return Err(HerderError::BadRequest(format!(
                "Connector config {} contains no connector type",
                java_map_string(config)
            )))
        }
    };
    let plugin = registry.find_connector(&class).ok_or_else(|| {
        let available: Vec<&str> = registry
            .all()
            .iter()
            .filter(|p| {
                matches!(
                    p.factory.plugin_type(),
                    PluginType::Source | PluginType::Sink
                )
            })
            .map(|p| p.class)
            .collect();
        HerderError::Internal(format!(
            "Failed to find any class that implements Connector and which name matches {class}, available connectors are: {}",
            available.join(", ")
        ))
    })?;
    let call = format!("{}.validate", ConnectorOps::class_name(config));
    let props = config.clone();
    // A distributed worker asks a source connector about exactly-once delivery and its own
    // transaction boundaries when the config asks for them.
    let ask = worker_group.map(|_| eos::Questions::of(config));
    let mut eos_answers = None;
    let (kind, connector_def, connector_results) = match plugin.factory {
        sluice_api::PluginFactory::Source(make) => {
            let (def, results, answers) = call_connector(call, move || {
                let c = make();
                let answers = ask.map(|q| q.ask(&*c, &props));
                (c.config_def(), c.validate(&props), answers)
            })
            .await
            .map_err(call_error)?;
            eos_answers = answers;
            (ConnectorKind::Source, def, results)
        }
        sluice_api::PluginFactory::Sink(make) => {
            let (def, results) = call_connector(call, move || {
                let c = make();
                (c.config_def(), c.validate(&props))
            })
            .await
            .map_err(call_error)?;
            (ConnectorKind::Sink, def, results)
        }
        _ => return Err(HerderError::Internal(format!("{class} is not a connector"))),
    };
    let chain_def = sluice_transforms::chain::config_def(
        config,
        &crate::runtime::transforms::RegistryResolver(registry),
    );
    let mut base_def = config_def_for(kind).extend(&chain_def);
    // A source connector using topic creation gets the keys of its groups (KIP-158).
    if kind == ConnectorKind::Source && crate::runtime::topic_creation::used_by(config) {
        base_def = base_def.extend(&crate::runtime::topic_creation::config_def(config));
    }
    let mut base_results = base_def.validate(config);
    if let Some(answers) = &eos_answers {
        eos::add_errors(&mut base_results, answers);
    }
    let mut extra: Vec<(String, String)> = Vec::new();
    if kind == ConnectorKind::Sink {
        extra.extend(sink_topic_errors(config));
        if let Some(group) = worker_group {
            extra.extend(sink_group_errors(config, group));
        }
    }
    for key in ["key.converter", "value.converter"] {
        if let Some(c) = config.get(key).filter(|c| !c.trim().is_empty()) {
            if registry.find(c, PluginType::Converter).is_none() {
                extra.push((
                    key.to_string(),
                    format!(
                        "Invalid value {c} for configuration {key}: Class {c} could not be found."
                    ),
                ));
            }
        }
    }
    if let Some(c) = config
        .get("header.converter")
        .filter(|c| !c.trim().is_empty())
    {
        if registry.find(c, PluginType::HeaderConverter).is_none() {
            extra.push((
                "header.converter".to_string(),
                format!("Invalid value {c} for configuration header.converter: Class {c} could not be found."),
            ));
        }
    }
    for (key, msg) in extra {
        match base_results.iter_mut().find(|r| r.name == key) {
            Some(r) => {
                if !r.errors.contains(&msg) {
                    r.errors.push(msg);
                }
            }
            // A key no definition has (`consumer.override.group.id`) gets an entry of its own.
            None => base_results.push(ValidatedKey {
                value: config.get(&key).cloned(),
                name: key,
                recommended_values: Vec::new(),
                errors: vec![msg],
                visible: true,
            }),
        }
    }
    let mut groups: Vec<String> = Vec::new();
    let mut configs = Vec::new();
    let mut error_count = 0;
    let mut seen = HashSet::new();
    let mut add = |def: &ConfigDef, results: Vec<ValidatedKey>, configs: &mut Vec<ConfigInfo>| {
        for key in def.keys() {
            if let Some(g) = &key.group {
                if !groups.contains(g) {
                    groups.push(g.clone());
                }
            }
        }
        for r in results {
            if !seen.insert(r.name.clone()) {
                continue;
            }
            error_count += r.errors.len();
            configs.push(ConfigInfo {
                definition: def.key(&r.name).map(ConfigKeyInfo::from),
                value: Some(ConfigValueInfo::from(r)),
            });
        }
    };
    add(&base_def, base_results, &mut configs);
    add(&connector_def, connector_results, &mut configs);
    // Each client override of the clients the connector has, with the policy's verdict
    // (Java's `validateClientOverrides`; shown without the client key's definition).
    let uses = ClientUse::validated(kind, config, worker_group.is_some());
    for client in uses.kinds() {
        for checked in policy.check(client, config) {
            let name = format!("{}{}", client.override_prefix(), checked.key);
            if !seen.insert(name.clone()) {
                continue;
            }
            error_count += usize::from(checked.error.is_some());
            let errors = checked.error.into_iter().collect();
            configs.push(undefined_key(name, Some(checked.value), errors));
        }
    }
    // Kafka client settings that run a command or load code, under any client prefix.
    for (key, message) in refused_client_keys(config) {
        error_count += 1;
        match configs
            .iter_mut()
            .filter_map(|c| c.value.as_mut())
            .find(|v| v.name == key)
        {
            Some(v) => v.errors.push(message),
            None => configs.push(undefined_key(
                key.clone(),
                config.get(&key).cloned(),
                vec![message],
            )),
        }
    }
    Ok((
        ConfigInfos {
            name: class,
            error_count,
            groups,
            configs,
        },
        kind,
    ))
}

/// A result for a key no definition describes (a client override, a refused client key).
fn undefined_key(name: String, value: Option<String>, errors: Vec<String>) -> ConfigInfo {
    ConfigInfo {
        definition: None,
        value: Some(ConfigValueInfo {
            name,
            value,
            recommended_values: Vec::new(),
            errors,
            visible: true,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::herder::distributed_validation::WORKER_WITHOUT_EOS;

    async fn validate(config: &[(&str, &str)], worker_group: Option<&str>) -> ConfigInfos {
        let providers = ConfigProviders::default();
        let context = ValidationContext {
            providers: &providers,
            policy: OverridePolicy::All,
            worker_group,
        };
        let config = sluice_api::config::props_of(config);
        validate_connector_config(&PluginRegistry::builtin(), context, &config)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .0
    }

    fn errors_of(infos: &ConfigInfos, key: &str) -> Vec<String> {
        infos
            .configs
            .iter()
            .filter_map(|c| c.value.as_ref())
            .find(|v| v.name == key)
            .map(|v| v.errors.clone())
            .unwrap_or_else(|| panic!("{key} is not in the result"))
    }

    #[tokio::test]
    async fn a_distributed_worker_refuses_required_exactly_once_and_its_own_group() {
        let source = [
            ("name", "s"),
            ("connector.class", "FileStreamSource"),
            ("topic", "t"),
            ("file", "/tmp/in.txt"),
            ("exactly.once.support", "required"),
            ("transaction.boundary", "connector"),
            ("transaction.boundary.interval.ms", "-1"),
        ];
        let infos = validate(&source, Some("connect-cluster")).await;
        // The file source could deliver exactly once; the worker cannot, and the file
        // source cannot define transaction boundaries.
        assert_eq!(
            errors_of(&infos, "exactly.once.support"),
            [WORKER_WITHOUT_EOS]
        );
        assert_eq!(errors_of(&infos, "transaction.boundary").len(), 1);
        assert_eq!(
            errors_of(&infos, "transaction.boundary.interval.ms"),
            ["Invalid value -1 for configuration transaction.boundary.interval.ms: Must be positive"]
        );
        assert_eq!(infos.error_count, 3);
        // A standalone worker has no such checks.
        let infos = validate(&source, None).await;
        assert!(errors_of(&infos, "exactly.once.support").is_empty());
        assert!(errors_of(&infos, "transaction.boundary").is_empty());
        assert_eq!(infos.error_count, 1);

        let sink = [
            ("name", "cluster"),
            ("connector.class", "FileStreamSink"),
            ("topics", "t"),
            ("file", "/tmp/out.txt"),
            ("consumer.override.group.id", "connect-cluster"),
        ];
        let infos = validate(&sink, Some("connect-cluster")).await;
        assert_eq!(
            errors_of(&infos, "name"),
            ["Consumer group for sink connector named cluster conflicts with Connect worker group connect-cluster"]
        );
        assert_eq!(
            errors_of(&infos, "consumer.override.group.id"),
            ["Consumer group connect-cluster conflicts with Connect worker group connect-cluster"]
        );
        assert_eq!(infos.error_count, 2);
        assert_eq!(validate(&sink, None).await.error_count, 0);
    }

    #[tokio::test]
    async fn a_distributed_source_with_its_own_offsets_topic_shows_consumer_and_admin_overrides() {
        let source = [
            ("name", "s"),
            ("connector.class", "FileStreamSource"),
            ("topic", "t"),
            ("file", "/tmp/in.txt"),
            ("offsets.storage.topic", "s-offsets"),
            ("consumer.override.fetch.min.bytes", "1"),
            ("admin.override.request.timeout.ms", "1000"),
        ];
        let names = |infos: &ConfigInfos| -> Vec<String> {
            infos
                .configs
                .iter()
                .filter_map(|c| c.value.as_ref())
                .map(|v| v.name.clone())
                .filter(|n| n.contains(".override."))
                .collect()
        };
        assert_eq!(
            names(&validate(&source, Some("cluster")).await),
            [
                "consumer.override.fetch.min.bytes",
                "admin.override.request.timeout.ms"
            ]
        );
        assert!(names(&validate(&source, None).await).is_empty());
    }
}
