//! Sluice's built-in connectors.
//!
//! Each connector lives in its own module and contributes its entries to [`plugins`], which
//! the worker's registry reads; aliases (`FileStreamSource`, `FileStreamSourceConnector`) are
//! derived there from the Java class names.

pub mod elasticsearch;
pub mod file;
pub mod jdbc;

use sluice_api::Plugin;

/// Every plugin this crate provides, for the worker's registry.
pub fn plugins() -> Vec<Plugin> {
    let mut all = Vec::new();
    all.extend(file::plugins());
    all.extend(elasticsearch::plugins());
    all.extend(jdbc::source::plugins());
    all.extend(jdbc::sink::plugins());
    all
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_stream_connectors_are_listed_under_their_java_class_names() {
        let classes: Vec<_> = super::plugins().iter().map(|p| p.class).collect();
        assert!(classes.contains(&"org.apache.kafka.connect.file.FileStreamSourceConnector"));
        assert!(classes.contains(&"org.apache.kafka.connect.file.FileStreamSinkConnector"));
    }
}
