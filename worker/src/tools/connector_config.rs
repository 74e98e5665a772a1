//! Reading a connector config for the offline tools: a `.properties` file, a flat JSON map, or a
//! JSON create request (`{"name": …, "config": {…}}`), as `connect-standalone` accepts.
//!
//! Unlike [`crate::config::connector::load_connector_file`], `name` is not required: the tools
//! only use the transform and error-handling keys. JSON scalars (numbers, booleans) are taken as
//! their text, as Jackson does for a `Map<String, String>`; JSON `null` values are left out.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use sluice_api::Props;

use crate::config::props_file::parse_properties;

/// Why a connector config file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorConfigError {
    /// The file could not be read.
    #[error("Could not read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is neither valid properties nor a JSON connector config.
    #[error("Malformed connector configuration {path}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong (with the line or key where known).
        message: String,
    },
}

/// Reads the connector config at `path`.
pub fn load(path: &Path) -> Result<Props, ConnectorConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConnectorConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &bytes)
}

/// Parses a connector config already read from `path` (JSON when the file is named `.json` or
/// starts with `{`, properties otherwise).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Props, ConnectorConfigError> {
    let malformed = |message: String| ConnectorConfigError::Malformed {
        path: path.to_path_buf(),
        message,
    };
    let is_json = path.extension().is_some_and(|e| e == "json")
        || String::from_utf8_lossy(bytes).trim_start().starts_with('{');
    if !is_json {
        return parse_properties(bytes).map_err(malformed);
    }
    let json: Json = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    let Json::Object(top) = json else {
        return Err(malformed("expected a JSON object".to_string()));
    };
    // A create request has an object "config"; a flat map has only scalar values.
    let (map, prefix) = match top.get("config") {
        Some(Json::Object(config)) => (config, "config."),
        _ => (&top, ""),
    };
    let mut props = Props::new();
    for (key, value) in map {
        let text = match value {
            Json::Null => continue,
            Json::String(s) => s.clone(),
            Json::Bool(b) => b.to_string(),
            Json::Number(n) => n.to_string(),
            Json::Array(_) | Json::Object(_) => {
                return Err(malformed(format!(
                    "the value of \"{prefix}{key}\" must be a string"
                )))
            }
        };
        props.insert(key.clone(), text);
    }
    if let (Some(Json::String(name)), "config.") = (top.get("name"), prefix) {
        props
            .entry("name".to_string())
            .or_insert_with(|| name.clone());
    }
    Ok(props)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(name: &str, text: &str) -> Result<Props, ConnectorConfigError> {
        parse(Path::new(name), text.as_bytes())
    }

    #[test]
    fn reads_properties() {
        let p = parse_str("c.properties", "transforms=a\ntransforms.a.type=Filter\n").unwrap();
        assert_eq!(p["transforms"], "a");
        assert_eq!(p["transforms.a.type"], "Filter");
        assert!(!p.contains_key("name"));
    }

    #[test]
    fn reads_flat_json_with_scalars() {
        let p = parse_str(
            "c.json",
            r#"{"transforms":"a","tasks.max":2,"x":true,"skip":null}"#,
        )
        .unwrap();
        assert_eq!(p["transforms"], "a");
        assert_eq!(p["tasks.max"], "2");
        assert_eq!(p["x"], "true");
        assert!(!p.contains_key("skip"));
    }

    #[test]
    fn reads_create_request() {
        let p = parse_str(
            "c.conf",
            r#"{"name":"n","config":{"transforms":"a","transforms.a.type":"Filter"}}"#,
        )
        .unwrap();
        assert_eq!(p["transforms.a.type"], "Filter");
        assert_eq!(p["name"], "n");
    }

    #[test]
    fn rejects_nested_values_naming_the_key() {
        let e = parse_str("c.json", r#"{"config":{"transforms":["a"]}}"#).unwrap_err();
        assert!(e.to_string().contains("\"config.transforms\""), "{e}");
        let e = parse_str("c.json", r#"{"transforms": {"a": 1}"#).unwrap_err();
        assert!(e.to_string().contains("c.json"), "{e}");
        let e = parse_str("c.json", "[1]").unwrap_err();
        assert!(e.to_string().contains("expected a JSON object"), "{e}");
    }

    #[test]
    fn missing_file_names_it() {
        let e = load(Path::new("/nonexistent/x.properties")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/x.properties"), "{e}");
    }
}
