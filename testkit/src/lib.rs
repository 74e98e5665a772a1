//! Test servers for Sluice's tests.
