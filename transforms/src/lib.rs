//! Sluice transforms.
