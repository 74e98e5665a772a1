//! Environment overrides in the convention of Confluent's container images: every variable
//! `CONNECT_<NAME>` sets the worker key obtained by lower-casing `<NAME>` and mapping `___`
//! to `-`, `__` to `_` and `_` to `.`; so `CONNECT_BOOTSTRAP_SERVERS` sets
//! `bootstrap.servers` and `CONNECT_KEY_CONVERTER_SCHEMAS_ENABLE` sets
//! `key.converter.schemas.enable`. Variables meant for the JVM images' logging and JMX set-up
//! (`CONNECT_LOG4J_*`, `CONNECT_JMX_*`) are not worker keys and are skipped. Overrides win
//! over the worker properties file.

use std::collections::HashMap;

use sluice_api::Props;

/// The variable prefix.
pub const ENV_PREFIX: &str = "CONNECT";

/// Worker keys set by the process environment.
pub fn env_overrides() -> Result<Props, String> {
    overrides_from(None)
}

/// Worker keys set by `vars` (a stand-in for the process environment), or by the process
/// environment when `None`.
pub fn overrides_from(vars: Option<HashMap<String, String>>) -> Result<Props, String> {
    let source = config::Environment::with_prefix(ENV_PREFIX)
        .prefix_separator("_")
        .source(vars);
    let settings = config::Config::builder()
        .add_source(source)
        .build()
        .map_err(|e| format!("Could not read CONNECT_* environment variables: {e}"))?;
    let raw: HashMap<String, String> = settings
        .try_deserialize()
        .map_err(|e| format!("Could not read CONNECT_* environment variables: {e}"))?;
    Ok(raw
        .into_iter()
        .filter_map(|(name, value)| {
            let key = env_name_to_key(&name);
            if key.starts_with("log4j.") || key.starts_with("jmx.") {
                None
            } else {
                Some((key, value))
            }
        })
        .collect())
}

/// `bootstrap_servers` (already lower-cased, prefix removed) → `bootstrap.servers`.
pub fn env_name_to_key(name: &str) -> String {
    name.to_ascii_lowercase()
        .replace("___", "\u{1}")
        .replace("__", "\u{2}")
        .replace('_', ".")
        .replace('\u{1}', "-")
        .replace('\u{2}', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confluent_naming() {
        let vars: HashMap<String, String> = [
            ("CONNECT_BOOTSTRAP_SERVERS", "broker:9092"),
            ("CONNECT_KEY_CONVERTER_SCHEMAS_ENABLE", "false"),
            ("CONNECT_PRODUCER_CLIENT__ID", "x"),
            ("CONNECT_LOG4J_ROOT_LOGLEVEL", "INFO"),
            ("OTHER_VAR", "y"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let p = overrides_from(Some(vars)).unwrap();
        assert_eq!(p["bootstrap.servers"], "broker:9092");
        assert_eq!(p["key.converter.schemas.enable"], "false");
        assert_eq!(p["producer.client_id"], "x");
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(env_name_to_key("a___b"), "a-b");
    }
}
