//! How Java's JMX metrics are named in `/metrics`: the two exporter rule sets dashboards are
//! built on.
//!
//! * [`Naming::Strimzi`] (default): Strimzi's jmx_exporter rules
//!   (`kafka-connect-metrics.yaml`): `kafka_connect_<type without -metrics>_<attribute>`,
//!   `connect-worker-metrics` → `kafka_connect_worker_…`, string attributes as a label with
//!   the value 1 (`kafka_connect_connector_task_status{status="running"} 1`), client metrics
//!   `kafka_<client>_<attribute>{clientId}`.
//! * [`Naming::Confluent`]: Confluent's jmx-monitoring-stacks rules (`kafka_connect.yml`):
//!   `kafka_connect_<type>_<attribute>` with the whole MBean type
//!   (`kafka_connect_source_task_metrics_source_record_poll_total`), worker metrics with
//!   `connector="aggregate"`, connector attributes as labels of `kafka_connect_connector_metrics`,
//!   client metrics `kafka_<client>_<client>_metrics_<attribute>{client_type,client_id}`.
//!
//! Attribute names are Java's (`source-record-poll-total`); `-` becomes `_` as jmx_exporter
//! does.

/// The naming style of `/metrics` (`sluice.metrics.naming`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// Strimzi's jmx_exporter rules.
    #[default]
    Strimzi,
    /// Confluent's jmx-monitoring-stacks rules.
    Confluent,
}

impl Naming {
    /// `strimzi` or `confluent`, any case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "strimzi" => Some(Naming::Strimzi),
            "confluent" => Some(Naming::Confluent),
            _ => None,
        }
    }
}

/// A Connect MBean type (`kafka.connect:type=…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// `connect-worker-metrics` (no tags).
    Worker,
    /// `connect-worker-metrics,connector=…`.
    WorkerConnector,
    /// `connect-worker-rebalance-metrics`.
    Rebalance,
    /// `connect-coordinator-metrics,client-id=…`.
    Coordinator,
    /// `connector-metrics,connector=…`.
    Connector,
    /// `connector-task-metrics,connector=…,task=…`.
    ConnectorTask,
    /// `source-task-metrics,…`.
    SourceTask,
    /// `sink-task-metrics,…`.
    SinkTask,
    /// `task-error-metrics,…`.
    TaskError,
}

impl Group {
    /// The MBean type.
    pub fn mbean_type(self) -> &'static str {
        match self {
            Group::Worker | Group::WorkerConnector => "connect-worker-metrics",
            Group::Rebalance => "connect-worker-rebalance-metrics",
            Group::Coordinator => "connect-coordinator-metrics",
            Group::Connector => "connector-metrics",
            Group::ConnectorTask => "connector-task-metrics",
            Group::SourceTask => "source-task-metrics",
            Group::SinkTask => "sink-task-metrics",
            Group::TaskError => "task-error-metrics",
        }
    }
}

/// A Kafka client kind, as its MBean domain (`kafka.producer`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientType {
    /// `kafka.producer`.
    Producer,
    /// `kafka.consumer`.
    Consumer,
    /// `kafka.admin.client`.
    Admin,
}

impl ClientType {
    /// `producer`, `consumer` or `admin_client` (the domain after `kafka.`, `.` → `_`).
    pub fn label(self) -> &'static str {
        match self {
            ClientType::Producer => "producer",
            ClientType::Consumer => "consumer",
            ClientType::Admin => "admin_client",
        }
    }
}

fn underscores(s: &str) -> String {
    s.replace(['-', '.'], "_").to_ascii_lowercase()
}

impl Naming {
    /// The metric name of `attribute` of `group`.
    pub fn connect(self, group: Group, attribute: &str) -> String {
        let attr = underscores(attribute);
        match self {
            Naming::Strimzi => {
                let prefix = match group {
                    Group::Worker | Group::WorkerConnector => "worker",
                    Group::Rebalance => "worker_rebalance",
                    Group::Coordinator => "coordinator",
                    Group::Connector => "connector",
                    Group::ConnectorTask => "connector_task",
                    Group::SourceTask => "source_task",
                    Group::SinkTask => "sink_task",
                    Group::TaskError => "task_error",
                };
                format!("kafka_connect_{prefix}_{attr}")
            }
            Naming::Confluent => match group {
                Group::Connector => "kafka_connect_connector_metrics".to_string(),
                _ => format!("kafka_connect_{}_{attr}", underscores(group.mbean_type())),
            },
        }
    }

    /// Labels every series of `group` carries besides its own tags (Confluent marks the
    /// untagged worker metrics `connector="aggregate"`).
    pub fn extra_labels(self, group: Group) -> &'static [(&'static str, &'static str)] {
        match (self, group) {
            (Naming::Confluent, Group::Worker) => &[("connector", "aggregate")],
            _ => &[],
        }
    }

    /// The label naming the client id of a client metric or of the coordinator.
    pub fn client_id_label(self) -> &'static str {
        match self {
            Naming::Strimzi => "clientId",
            Naming::Confluent => "client_id",
        }
    }

    /// Whether the task `status` string attribute is exported (Confluent's rules give it no
    /// value, so jmx_exporter drops it).
    pub fn exports_task_status(self) -> bool {
        self == Naming::Strimzi
    }

    /// The metric name of a client attribute of MBean type `<client>-metrics` (`fetch_manager`
    /// selects `consumer-fetch-manager-metrics`).
    pub fn client(self, client: ClientType, fetch_manager: bool, attribute: &str) -> String {
        let attr = underscores(attribute);
        let t = client.label();
        match (self, fetch_manager) {
            (Naming::Strimzi, false) => format!("kafka_{t}_{attr}"),
            (Naming::Strimzi, true) => format!("kafka_{t}_fetch_manager_{attr}"),
            (Naming::Confluent, false) => format!("kafka_{t}_{t}_metrics_{attr}"),
            (Naming::Confluent, true) => format!("kafka_{t}_{t}_fetch_manager_metrics_{attr}"),
        }
    }

    /// The labels naming a client: `clientId`, or `client_type` and `client_id`.
    pub fn client_labels(self, client: ClientType, id: &str) -> Vec<(&'static str, String)> {
        match self {
            Naming::Strimzi => vec![("clientId", id.to_string())],
            Naming::Confluent => vec![
                ("client_type", client.label().to_string()),
                ("client_id", id.to_string()),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strimzi_names_follow_the_jmx_exporter_rules() {
        let n = Naming::Strimzi;
        assert_eq!(
            n.connect(Group::Worker, "connector-count"),
            "kafka_connect_worker_connector_count"
        );
        assert_eq!(
            n.connect(Group::WorkerConnector, "connector-failed-task-count"),
            "kafka_connect_worker_connector_failed_task_count"
        );
        assert_eq!(
            n.connect(Group::SourceTask, "source-record-poll-total"),
            "kafka_connect_source_task_source_record_poll_total"
        );
        assert_eq!(
            n.connect(Group::TaskError, "total-record-failures"),
            "kafka_connect_task_error_total_record_failures"
        );
        assert_eq!(
            n.connect(Group::ConnectorTask, "status"),
            "kafka_connect_connector_task_status"
        );
        assert_eq!(
            n.connect(Group::Rebalance, "rebalancing"),
            "kafka_connect_worker_rebalance_rebalancing"
        );
        assert_eq!(
            n.connect(Group::Coordinator, "assigned-tasks"),
            "kafka_connect_coordinator_assigned_tasks"
        );
        assert_eq!(
            n.client(ClientType::Admin, false, "connection-count"),
            "kafka_admin_client_connection_count"
        );
        assert_eq!(
            n.client(ClientType::Consumer, true, "records-lag"),
            "kafka_consumer_fetch_manager_records_lag"
        );
        assert!(n.extra_labels(Group::Worker).is_empty());
    }

    #[test]
    fn confluent_names_keep_the_mbean_type() {
        let n = Naming::Confluent;
        assert_eq!(
            n.connect(Group::SourceTask, "source-record-poll-total"),
            "kafka_connect_source_task_metrics_source_record_poll_total"
        );
        assert_eq!(
            n.connect(Group::Worker, "connector-count"),
            "kafka_connect_connect_worker_metrics_connector_count"
        );
        assert_eq!(n.extra_labels(Group::Worker), &[("connector", "aggregate")]);
        assert_eq!(
            n.connect(Group::Connector, "status"),
            "kafka_connect_connector_metrics"
        );
        assert_eq!(
            n.connect(Group::TaskError, "deadletterqueue-produce-requests"),
            "kafka_connect_task_error_metrics_deadletterqueue_produce_requests"
        );
        assert_eq!(
            n.client(ClientType::Producer, false, "outgoing-byte-total"),
            "kafka_producer_producer_metrics_outgoing_byte_total"
        );
        assert_eq!(
            n.client_labels(ClientType::Producer, "p")[0],
            ("client_type", "producer".to_string())
        );
        assert!(!n.exports_task_status());
    }
}
