//! `org.apache.kafka.connect.transforms.Filter`: drops every record it is applied to; combined
//! with a predicate it drops the records that match (or, negated, that do not).

use sluice_api::{ConfigDef, ConnectRecord, ConnectResult, Props, Transformation};

/// `Filter`: see the module documentation.
#[derive(Debug, Default)]
pub struct Filter;

impl Filter {
    /// A Filter (it has no configuration).
    pub fn new() -> Self {
        Filter
    }
}

impl Transformation for Filter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
        Ok(())
    }

    fn apply(&mut self, _record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        Ok(None)
    }
}
