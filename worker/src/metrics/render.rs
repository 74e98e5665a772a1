//! The text exposition: families of samples collected at scrape time, encoded by the
//! `prometheus-client` crate's OpenMetrics text encoder (which Prometheus scrapes natively).
//!
//! Names ending in `_total` are counters (the encoder writes the `_total` suffix back on
//! each sample); everything else is a gauge, as the jmx_exporter rules declare them. Label
//! values are escaped here (`\\`, `"`, newline), so any connector name is safe.

use indexmap::IndexMap;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One sample: its labels and value.
#[derive(Debug, Clone)]
struct Sample {
    labels: Vec<(&'static str, String)>,
    value: f64,
}

/// One metric family.
#[derive(Debug, Clone)]
struct Family {
    help: String,
    samples: Vec<Sample>,
}

/// The families of one scrape, in the order first seen.
#[derive(Debug, Default, Clone)]
pub struct Families {
    families: IndexMap<String, Family>,
}

impl Families {
    /// Adds a sample of `name` (the family is created with `help` the first time).
    pub fn push(
        &mut self,
        name: impl Into<String>,
        help: &str,
        labels: Vec<(&'static str, String)>,
        value: f64,
    ) {
        self.families
            .entry(name.into())
            .or_insert_with(|| Family {
                help: help.to_string(),
                samples: Vec::new(),
            })
            .samples
            .push(Sample { labels, value });
    }

    /// The names of the families, for tests.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.families.keys().map(String::as_str)
    }

    /// The text exposition, `# EOF` included.
    pub fn encode(self) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self));
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
            tracing::warn!(error = %e, "Could not encode the metrics.");
        }
        out
    }
}

/// A label value, escaped as the text format requires.
#[derive(Debug)]
struct Escaped<'a>(&'a str);

impl EncodeLabelValue for Escaped<'_> {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        for c in self.0.chars() {
            match c {
                '\\' => encoder.write_str("\\\\")?,
                '"' => encoder.write_str("\\\"")?,
                '\n' => encoder.write_str("\\n")?,
                c => encoder.write_char(c)?,
            }
        }
        Ok(())
    }
}

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, family) in &self.families {
            let (base, counter) = match name.strip_suffix("_total") {
                Some(base) => (base, true),
                None => (name.as_str(), false),
            };
            let ty = if counter {
                MetricType::Counter
            } else {
                MetricType::Gauge
            };
            let mut metric = encoder.encode_descriptor(base, &family.help, None, ty)?;
            if let [only] = family.samples.as_slice() {
                if only.labels.is_empty() {
                    encode_value(only.value, counter, metric)?;
                    continue;
                }
            }
            for sample in &family.samples {
                let labels: Vec<(&str, Escaped<'_>)> = sample
                    .labels
                    .iter()
                    .map(|(k, v)| (*k, Escaped(v)))
                    .collect();
                encode_value(sample.value, counter, metric.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

fn encode_value(
    value: f64,
    counter: bool,
    encoder: prometheus_client::encoding::MetricEncoder<'_>,
) -> Result<(), std::fmt::Error> {
    if counter {
        // Counters are whole counts; u64 keeps them exact past 2^53.
        let v = if value.is_finite() && value >= 0.0 {
            value as u64
        } else {
            0
        };
        ConstCounter::new(v).encode(encoder)
    } else {
        ConstGauge::new(value).encode(encoder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_gauges_and_escaped_labels() {
        let mut f = Families::default();
        f.push(
            "kafka_connect_source_task_source_record_poll_total",
            "Polled records.",
            vec![("connector", "a\"b\\c\nd".into()), ("task", "0".into())],
            12.0,
        );
        f.push(
            "kafka_connect_worker_connector_count",
            "Connectors.",
            vec![],
            1.0,
        );
        f.push(
            "kafka_connect_connector_task_batch_size_avg",
            "Average batch size.",
            vec![("connector", "x".into()), ("task", "1".into())],
            f64::NAN,
        );
        let text = f.encode();
        assert!(
            text.contains("# TYPE kafka_connect_source_task_source_record_poll counter\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "kafka_connect_source_task_source_record_poll_total{connector=\"a\\\"b\\\\c\\nd\",task=\"0\"} 12\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("# TYPE kafka_connect_worker_connector_count gauge\n"),
            "{text}"
        );
        assert!(
            text.contains("kafka_connect_worker_connector_count 1.0\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "kafka_connect_connector_task_batch_size_avg{connector=\"x\",task=\"1\"} NaN\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
