//! Sluice transforms.

use sluice_api::Plugin;

/// Every plugin this crate provides, for the worker's registry.
pub fn plugins() -> Vec<Plugin> {
    Vec::new()
}
