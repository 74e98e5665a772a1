//! The transformation chain of a task, built by the transforms crate's
//! [`TransformChain`] from the connector config (`transforms=a,b`, `transforms.<alias>.type`,
//! the transformation's own keys, predicates and `negate`), with plugins resolved through the
//! worker's [`PluginRegistry`].

use std::collections::HashMap;
use std::sync::Mutex;

use sluice_api::{
    ConnectError, ConnectRecord, PluginFactory, PluginType, Predicate, Props, Transformation,
};
use sluice_transforms::chain::{PluginResolver, TransformChain};

use super::errors::context::OriginalRecord;
use super::errors::RetryWithToleranceOperator;
use super::{Stage, TaskError};
use crate::plugins::PluginRegistry;

/// Resolves transformations and predicates by Java class name or alias in the registry.
pub struct RegistryResolver<'a>(pub &'a PluginRegistry);

impl PluginResolver for RegistryResolver<'_> {
    fn transformation(&self, class_or_alias: &str) -> Option<Box<dyn Transformation>> {
        match self
            .0
            .find(class_or_alias, PluginType::Transformation)
            .map(|p| p.factory)
        {
            Some(PluginFactory::Transformation(make)) => Some(make()),
            _ => None,
        }
    }

    fn predicate(&self, class_or_alias: &str) -> Option<Box<dyn Predicate>> {
        match self
            .0
            .find(class_or_alias, PluginType::Predicate)
            .map(|p| p.factory)
        {
            Some(PluginFactory::Predicate(make)) => Some(make()),
            _ => None,
        }
    }
}

/// A transformation failed on a record.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("transformation '{alias}': {error}")]
pub struct TransformError {
    /// The alias in `transforms`.
    pub alias: String,
    /// The transformation's Java class name (as configured when it is not a known plugin).
    pub class: String,
    /// What the transformation reported.
    pub error: ConnectError,
}

/// The configured transformations of one task, applied in order.
#[derive(Default)]
pub struct Transforms {
    chain: TransformChain,
    /// Configured class or alias → the plugin's full class name.
    classes: HashMap<String, String>,
}

impl Transforms {
    /// No transformations.
    pub fn none() -> Self {
        Self::default()
    }

    /// Builds the chain from a connector config; errors name the key at fault.
    pub fn build(registry: &PluginRegistry, config: &Props) -> Result<Self, ConnectError> {
        let chain = TransformChain::from_config(config, &RegistryResolver(registry))?;
        let classes = chain
            .aliases()
            .filter_map(|alias| config.get(&format!("transforms.{alias}.type")))
            .filter_map(|configured| {
                let configured = configured.trim();
                registry
                    .find(configured, PluginType::Transformation)
                    .map(|p| (configured.to_string(), p.class.to_string()))
            })
            .collect();
        Ok(Transforms { chain, classes })
    }

    /// Applies every step; `Ok(None)` when a step dropped the record.
    pub fn apply(
        &mut self,
        record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, TransformError> {
        self.chain.apply(record).map_err(|e| TransformError {
            class: self.classes.get(&e.class).cloned().unwrap_or(e.class),
            alias: e.alias,
            error: e.source,
        })
    }

    /// True when there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.chain.is_empty()
    }

    /// Applies the chain to `record` as the task's transformation stage: retried and
    /// tolerated as the connector's `errors.*` settings say, the failing transformation's
    /// class reported with the error. `None` when a transformation dropped the record or its
    /// failure was tolerated; `original` is what the error reporters get.
    pub async fn apply_in_stage(
        &mut self,
        errors: &RetryWithToleranceOperator,
        record: ConnectRecord,
        original: impl FnOnce() -> OriginalRecord,
    ) -> Result<Option<ConnectRecord>, TaskError> {
        let failed_class = Mutex::new(String::new());
        let may_retry = errors.may_retry();
        let mut slot = Some(record);
        let out = errors
            .execute(
                Stage::Transformation,
                || std::mem::take(&mut *failed_class.lock().unwrap_or_else(|p| p.into_inner())),
                original,
                || {
                    // A retry needs the input again; without retries it is moved, not copied.
                    let input = if may_retry { slot.clone() } else { slot.take() };
                    let input =
                        input.ok_or_else(|| ConnectError::connect("record already transformed"))?;
                    self.apply(input).map_err(|e| {
                        *failed_class.lock().unwrap_or_else(|p| p.into_inner()) = e.class;
                        e.error
                    })
                },
            )
            .await?;
        Ok(out.flatten())
    }
}
