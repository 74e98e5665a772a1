//! Sluice connectors.
