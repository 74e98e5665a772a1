//! The worker keys of the metrics: Java's `metrics.sample.window.ms` and
//! `metrics.num.samples` (the windows of rates, averages, maxima and percentages), and
//! Sluice's own `sluice.metrics.*` keys (on/off, the naming style of `/metrics`, how often
//! each Kafka client reports its librdkafka statistics).

use std::time::Duration;

use sluice_api::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Validator};

use super::names::Naming;

/// `sluice.metrics.enabled`: Sluice's own switch for `/metrics` and every measurement
/// behind it (the benchmark turns it off to measure the cost).
pub const METRICS_ENABLED: &str = "sluice.metrics.enabled";
/// `sluice.metrics.naming`: `strimzi` (default) or `confluent`.
pub const METRICS_NAMING: &str = "sluice.metrics.naming";
/// `sluice.metrics.client.statistics.interval.ms`: librdkafka's `statistics.interval.ms`
/// given to every Kafka client the worker makes.
pub const METRICS_CLIENT_STATS_INTERVAL_MS: &str = "sluice.metrics.client.statistics.interval.ms";
/// `metrics.sample.window.ms` (Java's key): the length of one sample window.
pub const METRICS_SAMPLE_WINDOW_MS: &str = "metrics.sample.window.ms";
/// `metrics.num.samples` (Java's key): how many windows a windowed value covers.
pub const METRICS_NUM_SAMPLES: &str = "metrics.num.samples";

/// Adds the metrics keys to the worker's [`ConfigDef`].
pub fn define(def: ConfigDef) -> ConfigDef {
    def.define(
        ConfigKey::new(
            METRICS_ENABLED,
            ConfigType::Boolean,
            Importance::Low,
            "Sluice's own key: whether the worker measures its connectors, tasks and Kafka \
             clients and serves them at GET /metrics (Prometheus text format). When false, \
             /metrics answers 404 and nothing is measured.",
        )
        .default("true"),
    )
    .define(
        ConfigKey::new(
            METRICS_NAMING,
            ConfigType::String,
            Importance::Low,
            "Sluice's own key: how /metrics names Java's JMX metrics. strimzi: as the Strimzi \
             jmx_exporter rules (kafka_connect_source_task_source_record_poll_total, \
             kafka_connect_connector_task_status{status=\"running\"}); confluent: as \
             Confluent's jmx-monitoring-stacks rules \
             (kafka_connect_source_task_metrics_source_record_poll_total).",
        )
        .default("strimzi")
        .validator(Validator::one_of_ignore_case(&["strimzi", "confluent"])),
    )
    .define(
        ConfigKey::new(
            METRICS_CLIENT_STATS_INTERVAL_MS,
            ConfigType::Long,
            Importance::Low,
            "Sluice's own key: how often each Kafka client the worker makes reports its \
             librdkafka statistics (bytes, connections, request latency, queue sizes, consumer \
             lag), in milliseconds; librdkafka's statistics.interval.ms. 0 turns the client \
             metrics off. A client's own statistics.interval.ms (producer., consumer., admin. \
             prefixes, connector overrides) takes precedence.",
        )
        .default("10000")
        .validator(Validator::between(0.0, 86_400_000.0)),
    )
    .define(
        ConfigKey::new(
            METRICS_SAMPLE_WINDOW_MS,
            ConfigType::Long,
            Importance::Low,
            "The window of time a metrics sample is computed over.",
        )
        .default("30000")
        .validator(Validator::at_least(1.0)),
    )
    .define(
        ConfigKey::new(
            METRICS_NUM_SAMPLES,
            ConfigType::Int,
            Importance::Low,
            "The number of samples maintained to compute metrics.",
        )
        .default("2")
        .validator(Validator::at_least(1.0)),
    )
}

/// The parsed metrics keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// `sluice.metrics.enabled`.
    pub enabled: bool,
    /// `sluice.metrics.naming`.
    pub naming: Naming,
    /// `metrics.sample.window.ms`.
    pub sample_window: Duration,
    /// `metrics.num.samples`.
    pub num_samples: usize,
    /// `sluice.metrics.client.statistics.interval.ms` (zero: no client statistics).
    pub client_stats_interval: Duration,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            naming: Naming::Strimzi,
            sample_window: Duration::from_millis(30_000),
            num_samples: 2,
            client_stats_interval: Duration::from_millis(10_000),
        }
    }
}

impl MetricsConfig {
    /// Reads the keys [`define`] added from the parsed worker config.
    pub fn from_parsed(parsed: &ParsedConfig) -> Result<Self, String> {
        let ms = |key: &str| -> Result<Duration, String> {
            let v = parsed.get_long(key).map_err(|e| e.message)?;
            Ok(Duration::from_millis(u64::try_from(v).unwrap_or(0)))
        };
        let naming = parsed.get_string(METRICS_NAMING).unwrap_or("strimzi");
        let naming = Naming::parse(naming).ok_or_else(|| {
            format!(
                "Invalid value {naming} for configuration {METRICS_NAMING}: String must be one of: strimzi, confluent"
            )
        })?;
        Ok(MetricsConfig {
            enabled: parsed.get_bool(METRICS_ENABLED).map_err(|e| e.message)?,
            naming,
            sample_window: ms(METRICS_SAMPLE_WINDOW_MS)?.max(Duration::from_millis(1)),
            num_samples: usize::try_from(
                parsed
                    .get_int(METRICS_NUM_SAMPLES)
                    .map_err(|e| e.message)?
                    .max(1),
            )
            .unwrap_or(1),
            client_stats_interval: ms(METRICS_CLIENT_STATS_INTERVAL_MS)?,
        })
    }

    /// The `statistics.interval.ms` to give new Kafka clients, when they report any.
    pub fn statistics_interval_ms(&self) -> Option<String> {
        (self.enabled && !self.client_stats_interval.is_zero())
            .then(|| self.client_stats_interval.as_millis().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::Props;

    fn parse(pairs: &[(&str, &str)]) -> Result<MetricsConfig, String> {
        let props: Props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let parsed = define(ConfigDef::new()).parse(&props).map_err(|e| {
            e.errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        MetricsConfig::from_parsed(&parsed)
    }

    #[test]
    fn defaults_are_javas_windows_and_strimzi_names() {
        let c = parse(&[]).expect("defaults parse");
        assert_eq!(c, MetricsConfig::default());
        assert_eq!(c.statistics_interval_ms().as_deref(), Some("10000"));
    }

    #[test]
    fn the_naming_switch_and_windows_are_read() {
        let c = parse(&[
            (METRICS_NAMING, "Confluent"),
            (METRICS_SAMPLE_WINDOW_MS, "1000"),
            (METRICS_NUM_SAMPLES, "3"),
            (METRICS_ENABLED, "false"),
        ])
        .expect("parses");
        assert_eq!(c.naming, Naming::Confluent);
        assert_eq!(c.sample_window, Duration::from_secs(1));
        assert_eq!(c.num_samples, 3);
        assert!(!c.enabled);
        assert_eq!(c.statistics_interval_ms(), None);
    }

    #[test]
    fn bad_values_name_their_key() {
        let e = parse(&[(METRICS_NAMING, "prometheus")]).expect_err("refused");
        assert!(e.contains(METRICS_NAMING), "{e}");
        let e = parse(&[(METRICS_NUM_SAMPLES, "0")]).expect_err("refused");
        assert!(e.contains(METRICS_NUM_SAMPLES), "{e}");
        let e = parse(&[(METRICS_ENABLED, "maybe")]).expect_err("refused");
        assert!(e.contains(METRICS_ENABLED), "{e}");
    }
}
