//! Sluice converters.
