//! `Transformation` (single-message transforms) and `Predicate`.

use crate::config::{ConfigDef, Props};
use crate::error::ConnectResult;
use crate::record::ConnectRecord;

/// `org.apache.kafka.connect.transforms.Transformation`.
///
/// # Invariants
/// * `configure` is called once with the transformation's own keys (the worker strips
///   `transforms.<alias>.` and removes `type`, `predicate` and `negate`).
/// * `apply` consumes the record and returns the transformed one, or `None` to drop it. The
///   input is owned, so no caller can observe a mutation.
/// * Errors are per record; the worker applies `errors.tolerance` to them.
pub trait Transformation: Send {
    /// The keys this transformation accepts.
    fn config_def(&self) -> ConfigDef;
    /// Configures the transformation.
    fn configure(&mut self, props: &Props) -> ConnectResult<()>;
    /// Transforms one record.
    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>>;
}

/// `org.apache.kafka.connect.transforms.predicates.Predicate`.
pub trait Predicate: Send {
    /// The keys this predicate accepts.
    fn config_def(&self) -> ConfigDef;
    /// Configures the predicate (keys without `predicates.<alias>.`).
    fn configure(&mut self, props: &Props) -> ConnectResult<()>;
    /// Whether the record matches.
    fn test(&self, record: &ConnectRecord) -> bool;
}
