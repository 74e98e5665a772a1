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
/// * `apply_in_place` does the same to a record the caller owns; the worker's chain calls it.
///   Its default moves the record through `apply`, so a transformation implements `apply` and,
///   when it can edit a record where it lies, `apply_in_place` too (then the chain never moves
///   the record, ~250 bytes, between stages). On an error the record's content is unspecified:
///   the caller drops it.
/// * Errors are per record; the worker applies `errors.tolerance` to them.
pub trait Transformation: Send {
    /// The keys this transformation accepts.
    fn config_def(&self) -> ConfigDef;
    /// Configures the transformation.
    fn configure(&mut self, props: &Props) -> ConnectResult<()>;
    /// Transforms one record.
    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>>;

    /// Transforms one record where it lies: `Ok(false)` drops it. The default moves the record
    /// through [`Transformation::apply`].
    fn apply_in_place(&mut self, record: &mut ConnectRecord) -> ConnectResult<bool> {
        match self.apply(std::mem::take(record))? {
            Some(transformed) => {
                *record = transformed;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// [`Transformation::apply`] for a transformation that implements
/// [`Transformation::apply_in_place`]: applies it to the owned record.
pub fn apply_by_editing<T: Transformation + ?Sized>(
    transformation: &mut T,
    mut record: ConnectRecord,
) -> ConnectResult<Option<ConnectRecord>> {
    Ok(transformation
        .apply_in_place(&mut record)?
        .then_some(record))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;
    use crate::value::Value;

    /// Implements only `apply`: renames the topic, drops records without a value.
    struct OwnedOnly;

    impl Transformation for OwnedOnly {
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }
        fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
            Ok(())
        }
        fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
            if record.value.is_null() {
                return Ok(None);
            }
            record.topic = Some("renamed".into());
            Ok(Some(record))
        }
    }

    /// Implements `apply_in_place` and `apply` through it.
    struct InPlace;

    impl Transformation for InPlace {
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }
        fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
            Ok(())
        }
        fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
            apply_by_editing(self, record)
        }
        fn apply_in_place(&mut self, record: &mut ConnectRecord) -> ConnectResult<bool> {
            record.timestamp = Some(7);
            Ok(!record.value.is_null())
        }
    }

    fn record(value: Value) -> ConnectRecord {
        ConnectRecord {
            topic: Some("t".into()),
            value,
            ..ConnectRecord::default()
        }
    }

    #[test]
    fn the_default_in_place_application_goes_through_apply() {
        let mut kept = record(Value::Int32(1));
        assert!(OwnedOnly.apply_in_place(&mut kept).expect("apply"));
        assert_eq!(kept.topic.as_deref(), Some("renamed"));
        assert_eq!(
            kept.value,
            Value::Int32(1),
            "the rest of the record is kept"
        );
        let mut dropped = record(Value::Null);
        assert!(!OwnedOnly.apply_in_place(&mut dropped).expect("apply"));
    }

    #[test]
    fn apply_by_editing_returns_the_edited_record_or_none() {
        let out = InPlace.apply(record(Value::Int32(1))).expect("apply");
        assert_eq!(out.map(|r| r.timestamp), Some(Some(7)));
        assert_eq!(InPlace.apply(record(Value::Null)).expect("apply"), None);
    }

    #[test]
    fn the_default_record_is_empty() {
        let empty = ConnectRecord::default();
        assert_eq!(empty.topic, None);
        assert!(empty.key.is_null() && empty.value.is_null());
        assert!(empty.headers.is_empty());
        assert_eq!(
            empty.origin,
            Origin::Source {
                partition: None,
                offset: None
            }
        );
    }
}
