//! The checks a distributed worker adds when it validates a connector config (Java's
//! `DistributedHerder.validateSinkConnectorConfig` / `validateSourceConnectorConfig`):
//!
//! * a sink's consumer group must not be the worker group (`connect-<name>` on `name`, a
//!   `consumer.override.group.id` on that key);
//! * `exactly.once.support=required`: Sluice has no exactly-once source support, so the
//!   worker says so (`This worker does not have exactly-once source support enabled.`), and
//!   the connector is asked whether it could deliver exactly once with the config;
//! * `transaction.boundary=connector`: the connector is asked whether it can define its own
//!   transaction boundaries.
//!
//! Tools that prepare connectors for a cluster read these answers from the validate endpoint
//! to learn whether the cluster delivers exactly once.

use sluice_api::{ConnectorTransactionBoundaries, ExactlyOnceSupport, Props, SourceConnector};

use crate::config::connector::{sink_group_id, NAME};

/// `exactly.once.support`.
pub const EXACTLY_ONCE_SUPPORT: &str = "exactly.once.support";
/// `transaction.boundary`.
pub const TRANSACTION_BOUNDARY: &str = "transaction.boundary";
/// The override of a sink's consumer group.
const CONSUMER_GROUP_OVERRIDE: &str = "consumer.override.group.id";

/// The worker's answer to `exactly.once.support=required` (Sluice has no exactly-once
/// source support).
pub const WORKER_WITHOUT_EOS: &str =
    "This worker does not have exactly-once source support enabled.";

/// What a distributed worker asks a source connector, from its config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Questions {
    /// `exactly.once.support` is `required`.
    exactly_once: bool,
    /// `transaction.boundary` is `connector`.
    boundaries: bool,
}

/// The connector's answers to [`Questions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answers {
    /// `Some` when asked: the connector's `exactly_once_support`.
    exactly_once: Option<Option<ExactlyOnceSupport>>,
    /// `Some` when asked: the connector's `can_define_transaction_boundaries`.
    boundaries: Option<ConnectorTransactionBoundaries>,
}

fn is(config: &Props, key: &str, value: &str) -> bool {
    config
        .get(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
}

impl Questions {
    /// The questions `config` raises.
    pub fn of(config: &Props) -> Self {
        Questions {
            exactly_once: is(config, EXACTLY_ONCE_SUPPORT, "required"),
            boundaries: is(config, TRANSACTION_BOUNDARY, "connector"),
        }
    }

    /// Asks `connector` (on the blocking pool, as other connector calls).
    pub fn ask(self, connector: &dyn SourceConnector, config: &Props) -> Answers {
        Answers {
            exactly_once: self
                .exactly_once
                .then(|| connector.exactly_once_support(config)),
            boundaries: self
                .boundaries
                .then(|| connector.can_define_transaction_boundaries(config)),
        }
    }
}

/// Adds the errors of `answers` to the validated `exactly.once.support` and
/// `transaction.boundary` keys, unless a key already has errors (its value did not parse), as
/// Java does.
pub fn add_errors(results: &mut [sluice_api::ValidatedKey], answers: &Answers) {
    let mut add = |key: &str, errors: Vec<String>| {
        if let Some(r) = results
            .iter_mut()
            .find(|r| r.name == key && r.errors.is_empty())
        {
            r.errors.extend(errors);
        }
    };
    if let Some(support) = answers.exactly_once {
        let mut errors = vec![WORKER_WITHOUT_EOS.to_string()];
        match support {
            Some(ExactlyOnceSupport::Supported) => {}
            Some(ExactlyOnceSupport::Unsupported) => errors.push(
                "The connector does not support exactly-once semantics with the provided \
                 configuration."
                    .to_string(),
            ),
            None => errors.push(
                "The connector does not implement the API required for preflight validation of \
                 exactly-once source support. Please consult the documentation for the \
                 connector to determine whether it supports exactly-once semantics, and then \
                 consider reconfiguring the connector to use the value \"requested\" for this \
                 property (which will disable this preflight check and allow the connector to \
                 be created)."
                    .to_string(),
            ),
        }
        add(EXACTLY_ONCE_SUPPORT, errors);
    }
    if answers.boundaries == Some(ConnectorTransactionBoundaries::Unsupported) {
        add(
            TRANSACTION_BOUNDARY,
            vec![
                "The connector does not support connector-defined transaction boundaries with \
                 the given configuration. Please reconfigure it to use a different transaction \
                 boundary definition."
                    .to_string(),
            ],
        );
    }
}

/// A sink's consumer group that is the worker group's: `(key, error)` pairs.
pub fn sink_group_errors(config: &Props, worker_group: &str) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    if let Some(name) = config.get(NAME) {
        if sink_group_id(name) == worker_group {
            errors.push((
                NAME.to_string(),
                format!(
                    "Consumer group for sink connector named {name} conflicts with Connect \
                     worker group {worker_group}"
                ),
            ));
        }
    }
    if let Some(group) = config.get(CONSUMER_GROUP_OVERRIDE) {
        if group == worker_group {
            errors.push((
                CONSUMER_GROUP_OVERRIDE.to_string(),
                format!(
                    "Consumer group {group} conflicts with Connect worker group {worker_group}"
                ),
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::{ConfigDef, ConnectResult, Connector, ConnectorContext, SourceTask};
    use std::sync::Arc;

    fn props(pairs: &[(&str, &str)]) -> Props {
        sluice_api::config::props_of(pairs)
    }

    /// A source that answers as configured.
    struct Answering(Option<ExactlyOnceSupport>, ConnectorTransactionBoundaries);

    impl Connector for Answering {
        fn version(&self) -> String {
            "1".into()
        }
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }
        fn start(&mut self, _: &Props, _: Arc<dyn ConnectorContext>) -> ConnectResult<()> {
            Ok(())
        }
        fn task_configs(&self, _: usize) -> ConnectResult<Vec<Props>> {
            Ok(Vec::new())
        }
        fn stop(&mut self) -> ConnectResult<()> {
            Ok(())
        }
    }

    impl SourceConnector for Answering {
        fn create_task(&self) -> Box<dyn SourceTask> {
            unreachable!("not started")
        }
        fn exactly_once_support(&self, _: &Props) -> Option<ExactlyOnceSupport> {
            self.0
        }
        fn can_define_transaction_boundaries(&self, _: &Props) -> ConnectorTransactionBoundaries {
            self.1
        }
    }

    fn errors_for(
        config: &[(&str, &str)],
        connector: Answering,
        already: &[&str],
    ) -> (Vec<String>, Vec<String>) {
        let config = props(config);
        let answers = Questions::of(&config).ask(&connector, &config);
        let key = |name: &str| sluice_api::ValidatedKey {
            name: name.into(),
            value: None,
            recommended_values: Vec::new(),
            errors: already.iter().map(|e| e.to_string()).collect(),
            visible: true,
        };
        let mut results = vec![key(EXACTLY_ONCE_SUPPORT), key(TRANSACTION_BOUNDARY)];
        add_errors(&mut results, &answers);
        (results[0].errors.clone(), results[1].errors.clone())
    }

    #[test]
    fn required_exactly_once_is_refused_by_the_worker_and_the_connector_is_asked() {
        use ConnectorTransactionBoundaries::Unsupported as NoBoundaries;
        let required = [(EXACTLY_ONCE_SUPPORT, " Required ")];
        let (eos, _) = errors_for(
            &required,
            Answering(Some(ExactlyOnceSupport::Supported), NoBoundaries),
            &[],
        );
        assert_eq!(eos, [WORKER_WITHOUT_EOS]);
        let (eos, _) = errors_for(
            &required,
            Answering(Some(ExactlyOnceSupport::Unsupported), NoBoundaries),
            &[],
        );
        assert_eq!(eos.len(), 2);
        assert!(eos[1].starts_with("The connector does not support exactly-once semantics"));
        let (eos, _) = errors_for(&required, Answering(None, NoBoundaries), &[]);
        assert!(
            eos[1].starts_with("The connector does not implement the API required"),
            "{eos:?}"
        );
        // `requested` asks nothing; a value that did not parse keeps its own error only.
        let (eos, boundary) = errors_for(
            &[(EXACTLY_ONCE_SUPPORT, "requested")],
            Answering(None, NoBoundaries),
            &[],
        );
        assert!(eos.is_empty() && boundary.is_empty());
        let (eos, _) = errors_for(&required, Answering(None, NoBoundaries), &["bad value"]);
        assert_eq!(eos, ["bad value"]);
    }

    #[test]
    fn connector_defined_transaction_boundaries_need_the_connector() {
        let connector_defined = [(TRANSACTION_BOUNDARY, "CONNECTOR")];
        let (_, boundary) = errors_for(
            &connector_defined,
            Answering(None, ConnectorTransactionBoundaries::Unsupported),
            &[],
        );
        assert_eq!(
            boundary,
            [
                "The connector does not support connector-defined transaction boundaries with the \
              given configuration. Please reconfigure it to use a different transaction \
              boundary definition."
            ]
        );
        let (_, boundary) = errors_for(
            &connector_defined,
            Answering(None, ConnectorTransactionBoundaries::Supported),
            &[],
        );
        assert!(boundary.is_empty());
        let (_, boundary) = errors_for(
            &[(TRANSACTION_BOUNDARY, "poll")],
            Answering(None, ConnectorTransactionBoundaries::Unsupported),
            &[],
        );
        assert!(boundary.is_empty());
    }

    #[test]
    fn a_sink_group_that_is_the_worker_group_is_refused() {
        assert_eq!(
            sink_group_errors(&props(&[(NAME, "cluster")]), "connect-cluster"),
            [(
                NAME.to_string(),
                "Consumer group for sink connector named cluster conflicts with Connect worker \
                 group connect-cluster"
                    .to_string()
            )]
        );
        assert_eq!(
            sink_group_errors(
                &props(&[(NAME, "s"), (CONSUMER_GROUP_OVERRIDE, "workers")]),
                "workers"
            ),
            [(
                CONSUMER_GROUP_OVERRIDE.to_string(),
                "Consumer group workers conflicts with Connect worker group workers".to_string()
            )]
        );
        assert!(sink_group_errors(&props(&[(NAME, "s")]), "connect-cluster").is_empty());
    }
}
