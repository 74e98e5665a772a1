//! Fault injection: what the server does wrong, on purpose.
//!
//! Whole-request faults apply to `_bulk` requests only (the calls a sink retries most):
//! the next *n* requests answer with a status, or a share of them does (a "storm"), chosen by
//! a deterministic generator so that a test run is repeatable. Item faults make single bulk
//! items fail, matched by document id. A delay slows every response down.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A per-item failure injected into bulk responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemFault {
    /// 400 `mapper_parsing_exception` (a malformed document).
    MapperParsing,
    /// 409 `version_conflict_engine_exception`.
    VersionConflict,
    /// 429 `es_rejected_execution_exception` (the item was rejected, not the request).
    Rejected,
}

/// A rule making every item whose `_id` contains `id_contains` fail with `fault`, at most
/// `remaining` times (`None`: always).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFaultRule {
    /// Substring of the document id to match.
    pub id_contains: String,
    /// The failure.
    pub fault: ItemFault,
    /// How many more times the rule fires; `None` for every time.
    #[serde(default)]
    pub remaining: Option<u64>,
}

/// The fault plan of a server.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Status of the next `bulk_failures` bulk requests.
    pub bulk_status: u16,
    /// How many of the next bulk requests fail with `bulk_status`.
    pub bulk_failures: u64,
    /// Status of storm failures.
    pub storm_status: u16,
    /// Share (per mille) of bulk requests failing with `storm_status`.
    pub storm_permille: u32,
    /// Delay before every response.
    pub delay: Duration,
    /// Item rules, first match wins.
    pub item_rules: Vec<ItemFaultRule>,
    rng: u64,
}

impl Faults {
    /// Decides whether this bulk request fails as a whole, and with which status.
    pub fn next_bulk_status(&mut self) -> Option<u16> {
        if self.bulk_failures > 0 {
            self.bulk_failures -= 1;
            return Some(self.bulk_status);
        }
        if self.storm_permille > 0 && (self.next_random() % 1000) < u64::from(self.storm_permille) {
            return Some(self.storm_status);
        }
        None
    }

    /// The fault for an item id, if a rule matches (consuming one use of it).
    pub fn item_fault(&mut self, id: &str) -> Option<ItemFault> {
        let rule = self
            .item_rules
            .iter_mut()
            .find(|r| id.contains(&r.id_contains) && r.remaining != Some(0))?;
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        Some(rule.fault)
    }

    /// Seeds the storm generator.
    pub fn seed(&mut self, seed: u64) {
        self.rng = seed.max(1);
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic and good enough to spread failures.
        let mut x = if self.rng == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            self.rng
        };
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11
    }
}

/// The error type and reason a whole-request failure answers with.
pub fn status_error(status: u16) -> (&'static str, &'static str) {
    match status {
        429 => (
            "circuit_breaking_exception",
            "[parent] Data too large, data for [<http_request>] would be larger than limit",
        ),
        503 => (
            "unavailable_shards_exception",
            "primary shard is not active",
        ),
        _ => ("internal_server_error", "injected failure"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_failures_then_storm_share() {
        let mut f = Faults {
            bulk_status: 500,
            bulk_failures: 2,
            ..Faults::default()
        };
        assert_eq!(f.next_bulk_status(), Some(500));
        assert_eq!(f.next_bulk_status(), Some(500));
        assert_eq!(f.next_bulk_status(), None);
        f.storm_status = 429;
        f.storm_permille = 500;
        f.seed(7);
        let failed = (0..1000).filter(|_| f.next_bulk_status().is_some()).count();
        assert!((350..650).contains(&failed), "{failed}");
    }

    #[test]
    fn item_rules_count_down() {
        let mut f = Faults::default();
        f.item_rules.push(ItemFaultRule {
            id_contains: "+7".into(),
            fault: ItemFault::MapperParsing,
            remaining: Some(1),
        });
        assert_eq!(f.item_fault("t+0+7"), Some(ItemFault::MapperParsing));
        assert_eq!(f.item_fault("t+0+7"), None);
        assert_eq!(f.item_fault("t+0+8"), None);
    }
}
