//! Which Elasticsearch resource (index or data stream) a topic is written to.

use super::config::EsSinkConfig;

/// `convertTopicToIndexName`: lower-case, truncate to 255 characters, strip one leading `-`
/// or `_`, then `..` → `dotdot` and `.` → `dot` (the whole name only, as Elasticsearch
/// forbids exactly these names).
pub fn topic_to_index_name(topic: &str) -> String {
    let mut name: String = topic.to_lowercase().chars().take(255).collect();
    if name.starts_with('-') || name.starts_with('_') {
        name.remove(0);
    }
    match name.as_str() {
        ".." => "dotdot".to_string(),
        "." => "dot".to_string(),
        _ => name,
    }
}

/// `<type>-<dataset>-<namespace>` with `${topic}` replaced by the lower-cased topic; the
/// namespace is truncated to 100 characters.
pub fn data_stream_name(ds_type: &str, dataset: &str, namespace: &str, topic: &str) -> String {
    let ns: String = namespace
        .replace("${topic}", &topic.to_lowercase())
        .chars()
        .take(100)
        .collect();
    format!("{}-{}-{}", ds_type.to_lowercase(), dataset, ns)
}

/// The resource a record of `topic` goes to; `None` when the topic is not mapped in external
/// resource mode.
pub fn resource_for(cfg: &EsSinkConfig, topic: &str) -> Option<String> {
    if !cfg.topic_to_resource.is_empty() {
        return cfg.topic_to_resource.get(topic).cloned();
    }
    match &cfg.data_stream_type {
        Some(t) if !cfg.data_stream_dataset.is_empty() => Some(data_stream_name(
            t,
            &cfg.data_stream_dataset,
            &cfg.data_stream_namespace,
            topic,
        )),
        _ => Some(topic_to_index_name(topic)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names_follow_confluent_rules() {
        assert_eq!(topic_to_index_name("UPPERCASE"), "uppercase");
        assert_eq!(topic_to_index_name("-dash"), "dash");
        assert_eq!(topic_to_index_name("_underscore"), "underscore");
        assert_eq!(topic_to_index_name("."), "dot");
        assert_eq!(topic_to_index_name(".."), "dotdot");
        assert_eq!(topic_to_index_name("position"), "position");
        let long = format!("{}1", "0".repeat(255));
        assert_eq!(topic_to_index_name(&long), "0".repeat(255));
    }

    #[test]
    fn data_stream_names_keep_dashes_of_the_topic() {
        assert_eq!(
            data_stream_name("LOGS", "a_valid_dataset", "${topic}", "-dash"),
            "logs-a_valid_dataset--dash"
        );
        assert_eq!(
            data_stream_name("metrics", "fleet", "prod_${topic}", "Position"),
            "metrics-fleet-prod_position"
        );
    }
}
